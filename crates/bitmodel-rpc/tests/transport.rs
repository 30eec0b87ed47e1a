//! Replies as real nodes and proxies send them: chunked transfer encoding (a BSV node sends
//! `getblock` chunked; so do reverse proxies), and HTTPS with a certificate from a private CA,
//! both from servers on 127.0.0.1.

mod common;

use std::io::{BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::thread::JoinHandle;

use bitmodel_rpc::{Auth, Client, Error};
use common::read_request;
use serde_json::json;

/// A chunked reply of `body`, cut into pieces of `piece` bytes.
fn chunked(body: &str, piece: usize) -> Vec<u8> {
    let mut out =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            .to_vec();
    for c in body.as_bytes().chunks(piece) {
        out.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
        out.extend_from_slice(c);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

fn reply_for(body: &[u8]) -> String {
    let req: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    // A reply long enough to need many chunks, like a block.
    let hex = "ab".repeat(50_000);
    json!({"result": {"method": req["method"], "hex": hex}, "error": null, "id": req["id"]})
        .to_string()
}

#[test]
fn chunked_replies_are_read() {
    let l = TcpListener::bind("127.0.0.1:0").expect("binds");
    let url = format!("http://{}", l.local_addr().expect("addr"));
    let h: JoinHandle<()> = std::thread::spawn(move || {
        let (s, _) = l.accept().expect("a connection");
        let mut w = s.try_clone().expect("clone");
        let mut r = BufReader::new(s);
        // Two requests on one kept-alive connection, both answered chunked.
        for _ in 0..2 {
            let (_, body) = read_request(&mut r).expect("a request");
            w.write_all(&chunked(&reply_for(&body), 777))
                .expect("writes");
        }
    });
    let c = Client::new(&url, Auth::None).expect("url");
    for m in ["getblock", "getblockhash"] {
        let v = c.call_value(m, json!([])).expect("a chunked reply");
        assert_eq!(v["method"], m);
        assert_eq!(v["hex"].as_str().map(str::len), Some(100_000));
    }
    h.join().expect("the server ran");
}

/// A TLS server for `localhost`/127.0.0.1 with a self-made CA; returns the CA's PEM.
fn tls_server(requests: usize) -> (String, String, JoinHandle<()>) {
    let ca_key = rcgen::KeyPair::generate().expect("a key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "bitmodel test CA");
    let ca = ca_params.self_signed(&ca_key).expect("a CA certificate");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().expect("a key");
    let params = rcgen::CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])
        .expect("params");
    let cert = params
        .signed_by(&key, &issuer)
        .expect("a server certificate");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("tls versions")
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der().clone()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    )
    .expect("a server config");
    let config = Arc::new(config);
    let l = TcpListener::bind("127.0.0.1:0").expect("binds");
    let url = format!("https://127.0.0.1:{}", l.local_addr().expect("addr").port());
    let h = std::thread::spawn(move || {
        for s in l.incoming().take(requests) {
            let Ok(s) = s else { return };
            let conn = rustls::ServerConnection::new(config.clone()).expect("a tls session");
            let mut tls = rustls::StreamOwned::new(conn, s);
            let mut r = BufReader::new(&mut tls);
            let Some((_, body)) = read_request(&mut r) else {
                continue;
            };
            let out = chunked(&reply_for(&body), 4096);
            let _ = tls.write_all(&out);
            let _ = tls.flush();
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    });
    (url, ca.pem(), h)
}

#[test]
fn https_with_a_private_ca() {
    let (url, ca_pem, h) = tls_server(2);
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &ca_pem).expect("writes");
    // Trusting the CA: the call goes through, chunked over TLS.
    let c = Client::new(&url, Auth::UserPass("u".into(), "p".into()))
        .expect("url")
        .with_ca_file(&ca)
        .expect("a CA file");
    let v = c
        .call_value("getblockchaininfo", json!([]))
        .expect("answered over https");
    assert_eq!(v["method"], "getblockchaininfo");
    // Mozilla's roots do not include it: refused at once, not retried as if unreachable.
    let untrusting = Client::new(&url, Auth::None).expect("url");
    match untrusting.call_value("x", json!([])) {
        Err(e @ Error::Transport { .. }) => {
            assert!(e.to_string().to_lowercase().contains("cert"), "{e}")
        }
        other => panic!("expected a tls error, got {other:?}"),
    }
    h.join().expect("the server ran");
    // A CA file that is not PEM is refused with its path.
    std::fs::write(&ca, "not a certificate").expect("writes");
    let e = Client::new(&url, Auth::None)
        .expect("url")
        .with_ca_file(&ca)
        .err()
        .expect("refused");
    assert!(e.to_string().contains("ca.pem"), "{e}");
}
