//! The RPC server's HTTP layer from a raw socket: chunked request bodies are accepted (also
//! several on one keep-alive connection), the body limit holds for them to the byte, a
//! client that half-closes after its request is answered,
//! connections over the cap are answered `503` and a head that reaches 16 KiB `431`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use bitmodel_devnet::rpc::{MAX_BODY, MAX_CONNECTIONS, MAX_HEAD};
use bitmodel_devnet::Devnet;
use serde_json::Value;

fn auth(devnet: &Devnet) -> String {
    let (u, p) = devnet.rpc_credentials();
    bitmodel_devnet::rpc::auth::base64_encode(format!("{u}:{p}").as_bytes())
}

fn connect(devnet: &Devnet) -> TcpStream {
    let s = TcpStream::connect(devnet.rpc_addr()).expect("connects");
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    s
}

/// Writes `body` with `Transfer-Encoding: chunked` in chunks of `chunk` bytes.
fn send_chunked(s: &mut TcpStream, auth: &str, body: &[u8], chunk: usize) -> std::io::Result<()> {
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {auth}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )?;
    for piece in body.chunks(chunk) {
        write!(s, "{:x}\r\n", piece.len())?;
        s.write_all(piece)?;
        s.write_all(b"\r\n")?;
    }
    s.write_all(b"0\r\n\r\n")?;
    s.flush()
}

/// Reads one response: its status, headers (lower-cased names) and `Content-Length` body.
fn read_response(r: &mut BufReader<TcpStream>) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut line = String::new();
    r.read_line(&mut line).expect("status line");
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a status line, got {line:?}"));
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).expect("header line");
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (name, value) = h.split_once(':').expect("name: value");
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map(|(_, v)| v.parse().expect("a length"))
        .unwrap_or(0);
    let mut body = vec![0; length];
    r.read_exact(&mut body).expect("body");
    (status, headers, body)
}

#[test]
fn chunked_bodies_are_accepted() {
    let devnet = Devnet::spawn().expect("devnet starts");
    devnet.mine(2).expect("mines");
    let auth = auth(&devnet);
    let s = connect(&devnet);
    let mut w = s.try_clone().expect("clone");
    let mut r = BufReader::new(s);
    // Two requests on one keep-alive connection, the body cut into small chunks.
    for (i, body) in [
        r#"{"jsonrpc":"1.0","method":"getblockcount","params":[],"id":1}"#,
        r#"[{"method":"getblockhash","params":[0],"id":"a"},{"method":"getblockcount","id":"b"}]"#,
    ]
    .iter()
    .enumerate()
    {
        send_chunked(&mut w, &auth, body.as_bytes(), 7).expect("sends");
        let (status, _, reply) = read_response(&mut r);
        assert_eq!(
            status,
            200,
            "request {i}: {}",
            String::from_utf8_lossy(&reply)
        );
        let v: Value = serde_json::from_slice(&reply).expect("json reply");
        if i == 0 {
            assert_eq!(v["result"], 2);
        } else {
            assert_eq!(v[0]["result"].as_str().map(str::len), Some(64));
            assert_eq!(v[1]["result"], 2);
        }
    }
}

/// A client that shuts its write side once it has sent its request still gets the answer
/// (hyper's half-close), as from bitcoind.
#[test]
fn a_half_closed_client_gets_its_answer() {
    let devnet = Devnet::spawn().expect("devnet starts");
    devnet.mine(3).expect("mines");
    let auth = auth(&devnet);
    let s = connect(&devnet);
    let mut w = s.try_clone().expect("clone");
    let body = r#"{"method":"getblockcount","params":[],"id":1}"#;
    write!(
        w,
        "POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {auth}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("sends");
    w.shutdown(std::net::Shutdown::Write).expect("half-closes");
    let (status, _, reply) = read_response(&mut BufReader::new(s));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&reply));
    let v: Value = serde_json::from_slice(&reply).expect("json reply");
    assert_eq!(v["result"], 3);
}

#[test]
fn the_body_limit_holds_for_chunked_bodies_to_the_byte() {
    let devnet = Devnet::spawn().expect("devnet starts");
    let auth = auth(&devnet);
    // A request padded with JSON whitespace to exactly MAX_BODY bytes is served.
    let mut body = br#"{"method":"getblockcount","id":1}"#.to_vec();
    body.resize(MAX_BODY, b' ');
    let s = connect(&devnet);
    let mut w = s.try_clone().expect("clone");
    let mut r = BufReader::new(s);
    send_chunked(&mut w, &auth, &body, 1 << 20).expect("sends");
    let (status, _, reply) = read_response(&mut r);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&reply));
    let v: Value = serde_json::from_slice(&reply).expect("json reply");
    assert_eq!(v["result"], 0);

    // One byte more is refused with 413 and a JSON-RPC error, and the connection is closed.
    body.push(b' ');
    let s = connect(&devnet);
    let mut w = s.try_clone().expect("clone");
    // The server stops reading at the limit, so the rest may never be taken: write from a
    // thread and read the answer here.
    let writer_auth = auth.clone();
    let writer = std::thread::spawn(move || {
        let _ = send_chunked(&mut w, &writer_auth, &body, 1 << 20);
    });
    let mut r = BufReader::new(s);
    let (status, headers, reply) = read_response(&mut r);
    assert_eq!(status, 413, "{}", String::from_utf8_lossy(&reply));
    assert!(
        headers
            .iter()
            .any(|(n, v)| n == "connection" && v == "close"),
        "{headers:?}"
    );
    let v: Value = serde_json::from_slice(&reply).expect("json error");
    assert_eq!(v["error"]["code"], -32600);
    assert_eq!(v["error"]["message"], "request body too large");
    drop(r);
    writer.join().expect("writer");

    // The server keeps serving.
    let s = connect(&devnet);
    let mut w = s.try_clone().expect("clone");
    let mut r = BufReader::new(s);
    send_chunked(&mut w, &auth, br#"{"method":"getblockcount","id":1}"#, 5).expect("sends");
    assert_eq!(read_response(&mut r).0, 200);
}

#[test]
fn connections_over_the_cap_are_answered_503() {
    let devnet = Devnet::spawn().expect("devnet starts");
    let auth = auth(&devnet);
    // Fill every slot with a connection that has sent nothing yet, then one that is mid-way
    // through a session, so the server has seen all of them.
    let mut held: Vec<TcpStream> = (0..MAX_CONNECTIONS - 1).map(|_| connect(&devnet)).collect();
    let last = connect(&devnet);
    let mut w = last.try_clone().expect("clone");
    let mut r = BufReader::new(last);
    send_chunked(&mut w, &auth, br#"{"method":"ping","id":1}"#, 64).expect("sends");
    assert_eq!(read_response(&mut r).0, 200, "the last slot is served");
    let mut over = connect(&devnet);
    let mut reply = String::new();
    let _ = over.read_to_string(&mut reply);
    assert!(reply.starts_with("HTTP/1.1 503"), "got {reply:?}");
    // A freed slot is taken again.
    drop(r);
    drop(w);
    held.truncate(10);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let s = connect(&devnet);
        let mut w = s.try_clone().expect("clone");
        let mut r = BufReader::new(s);
        if send_chunked(&mut w, &auth, br#"{"method":"ping","id":1}"#, 64).is_ok() {
            let mut line = String::new();
            if r.read_line(&mut line).is_ok() && line.starts_with("HTTP/1.1 200") {
                break;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "slots are not given back"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn an_oversized_head_is_answered_431() {
    let devnet = Devnet::spawn().expect("devnet starts");
    let mut s = connect(&devnet);
    // Exactly MAX_HEAD bytes of a head that has not ended: the server reads all of them
    // before it refuses, so it closes with nothing unread (a close with unread bytes would
    // reset the connection and could discard the answer before this side reads it).
    let start = "POST / HTTP/1.1\r\nHost: x\r\nX-Filler: ";
    let head = format!("{start}{}", "a".repeat(MAX_HEAD - start.len()));
    s.write_all(head.as_bytes()).expect("writes");
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    assert!(reply.starts_with("HTTP/1.1 431"), "got {reply:?}");
}
