//! The client against small scripted HTTP servers on 127.0.0.1: typed errors for every way a
//! node can answer badly, retries with backoff, timeouts, keep-alive reuse and reconnects,
//! and the cookie re-read on reconnect. Chunked replies and HTTPS are in `transport.rs`.

mod common;

use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bitmodel_rpc::{Auth, Client, Error};
use common::read_request;
use serde_json::{json, Value};

fn respond(s: &mut TcpStream, status: u16, body: &str, close: bool) {
    let conn = if close { "close" } else { "keep-alive" };
    let _ = write!(
        s,
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: {conn}\r\n\r\n{body}",
        body.len()
    );
}

/// A server answering each request with `reply(auth, body)`; counts connections.
fn serve(
    connections: usize,
    reply: impl Fn(Option<String>, Value) -> (u16, String, bool) + Send + Sync + 'static,
) -> (String, Arc<AtomicUsize>, JoinHandle<()>) {
    let l = TcpListener::bind("127.0.0.1:0").expect("binds");
    let url = format!("http://{}", l.local_addr().expect("addr"));
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    let h = std::thread::spawn(move || {
        for stream in l.incoming().take(connections) {
            let Ok(stream) = stream else { return };
            c.fetch_add(1, Ordering::SeqCst);
            let mut w = stream.try_clone().expect("clone");
            let mut r = BufReader::new(stream);
            while let Some((auth, body)) = read_request(&mut r) {
                let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let (status, text, close) = reply(auth, req);
                respond(&mut w, status, &text, close);
                if close {
                    break;
                }
            }
        }
    });
    (url, count, h)
}

#[test]
fn results_and_typed_errors() {
    let (url, _, _h) = serve(1, |_, req| {
        let id = req["id"].clone();
        match req["method"].as_str() {
            Some("getblockcount") => (200, json!({"result": 42, "error": null, "id": id}).to_string(), false),
            Some("bad") => (
                500,
                json!({"result": null, "error": {"code": -8, "message": "Block height out of range"}, "id": id})
                    .to_string(),
                false,
            ),
            Some("html") => (502, "<html>bad gateway</html>".into(), false),
            _ => (404, json!({"result": null, "error": {"code": -32601, "message": "Method not found"}, "id": id}).to_string(), false),
        }
    });
    let c = Client::new(&url, Auth::UserPass("u".into(), "p".into())).expect("url");
    assert_eq!(c.get_block_count().expect("result"), 42);
    let e = c.call_value("bad", json!([])).expect_err("rpc error");
    assert_eq!(e.rpc_code(), Some(-8));
    assert_eq!(e.to_string(), "rpc error -8: Block height out of range");
    assert!(matches!(
        c.call_value("html", json!([])),
        Err(Error::Http { status: 502, .. })
    ));
    assert_eq!(
        c.call_value("nosuch", json!([]))
            .expect_err("404")
            .rpc_code(),
        Some(-32601)
    );
    let e = c
        .call::<String>("getblockcount", &[])
        .expect_err("wrong type");
    assert!(matches!(e, Error::Decode(_)), "{e}");
}

#[test]
fn unauthorized_and_cookie_reread_on_reconnect() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cookie = dir.path().join(".cookie");
    std::fs::write(&cookie, "__cookie__:old").expect("writes");
    // base64("__cookie__:new")
    let good = "Basic X19jb29raWVfXzpuZXc=".to_owned();
    let (url, count, _h) = serve(2, move |auth, req| {
        if auth.as_deref() == Some(good.as_str()) {
            (
                200,
                json!({"result": 1, "error": null, "id": req["id"]}).to_string(),
                true,
            )
        } else {
            (401, String::new(), true)
        }
    });
    let c = Client::new(&url, Auth::Cookie(cookie.clone())).expect("url");
    assert!(matches!(
        c.call_value("x", json!([])),
        Err(Error::Unauthorized)
    ));
    // The node restarted and wrote a new cookie: the next connection uses it.
    std::fs::write(&cookie, "__cookie__:new").expect("writes");
    assert_eq!(c.call::<u64>("x", &[]).expect("authorized"), 1);
    assert_eq!(
        count.load(Ordering::SeqCst),
        2,
        "a closed connection is reopened"
    );
    let missing = Client::new(&url, Auth::Cookie(dir.path().join("nope"))).expect("url");
    assert!(matches!(
        missing.call_value("x", json!([])),
        Err(Error::Cookie { .. })
    ));
}

#[test]
fn keep_alive_reuses_one_connection() {
    let (url, count, _h) = serve(1, |_, req| {
        (
            200,
            json!({"result": req["id"], "error": null, "id": req["id"]}).to_string(),
            false,
        )
    });
    let c = Client::new(&url, Auth::None).expect("url");
    for _ in 0..20 {
        let _: Value = c.call("x", &[]).expect("answers");
    }
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[test]
fn unreachable_node_is_retried_with_backoff() {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let c = Client::new(&format!("http://127.0.0.1:{port}"), Auth::None)
        .expect("url")
        .with_retries(3, Duration::from_millis(20));
    let t = Instant::now();
    match c.call_value("x", json!([])) {
        Err(Error::Unreachable { attempts, .. }) => assert_eq!(attempts, 4),
        other => panic!("expected unreachable, got {other:?}"),
    }
    // 20 + 40 + 80 ms of backoff.
    assert!(
        t.elapsed() >= Duration::from_millis(140),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn silent_node_times_out() {
    let l = TcpListener::bind("127.0.0.1:0").expect("binds");
    let url = format!("http://{}", l.local_addr().expect("addr"));
    let _h = std::thread::spawn(move || {
        let held: Vec<TcpStream> = l.incoming().take(2).filter_map(Result::ok).collect();
        std::thread::sleep(Duration::from_secs(3));
        drop(held);
    });
    let c = Client::new(&url, Auth::None)
        .expect("url")
        .with_timeout(Duration::from_millis(200))
        .with_retries(1, Duration::from_millis(10));
    let t = Instant::now();
    assert!(matches!(
        c.call_value("x", json!([])),
        Err(Error::Unreachable { .. })
    ));
    assert!(t.elapsed() < Duration::from_secs(2), "timed out promptly");
}

#[test]
fn bad_urls_are_refused() {
    for url in [
        "127.0.0.1:1",
        "ftp://x:1",
        "http://",
        "https://",
        "http://nohostport",
        "http://user@x:1",
    ] {
        assert!(
            matches!(Client::new(url, Auth::None), Err(Error::Url(_))),
            "{url}"
        );
    }
}

#[test]
fn https_and_path_urls_are_accepted() {
    for url in [
        "https://rpc.example.org",
        "https://rpc.example.org/v1/key",
        "https://127.0.0.1:8443/",
        "http://127.0.0.1:8332/wallet/w",
    ] {
        assert!(Client::new(url, Auth::None).is_ok(), "{url}");
    }
}
