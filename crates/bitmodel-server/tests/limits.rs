//! The HTTP server under connection attacks, on loopback (several 127.0.0.x client
//! addresses stand for several clients): 2,000 idle connections from one address, a
//! slowloris that never finishes its headers, and a client over its per-address cap — while
//! `/api/v1/status` keeps answering another client.

mod common;

use std::time::{Duration, Instant};

use bitmodel_devnet::Devnet;
use bitmodel_server::{router, serve_with, Limits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

async fn connect_from(ip: [u8; 4], to: std::net::SocketAddr) -> std::io::Result<TcpStream> {
    let s = TcpSocket::new_v4()?;
    s.bind((std::net::Ipv4Addr::from(ip), 0).into())?;
    s.connect(to).await
}

/// Whether the server closed `s` (EOF or reset) within `within`.
async fn closed(s: &mut TcpStream, within: Duration) -> bool {
    let mut b = [0u8; 64];
    matches!(
        tokio::time::timeout(within, s.read(&mut b)).await,
        Ok(Ok(0)) | Ok(Err(_))
    )
}

async fn status(addr: std::net::SocketAddr) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /api/v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_slow_and_greedy_clients_cannot_hold_the_server() {
    let (state, _dn, _dir) = tokio::task::spawn_blocking(|| {
        let dn = Devnet::spawn().unwrap();
        dn.mine(1).unwrap();
        let (state, dir) = common::indexed_state(&dn);
        (state, dn, dir)
    })
    .await
    .unwrap();
    let limits = Limits {
        max_connections: 512,
        max_per_ip: 64,
        header_timeout: Duration::from_secs(1),
        request_timeout: Duration::from_secs(5),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_with(listener, router(state), limits, async {
        let _ = stopped.await;
    }));

    // 2,000 idle connections from one client address.
    let mut idle = Vec::new();
    for _ in 0..2_000 {
        idle.push(connect_from([127, 0, 0, 2], addr).await.unwrap());
    }
    // Another client is still served, promptly.
    let t = Instant::now();
    let reply = status(addr).await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    // The idle ones beyond the per-address cap were closed at once, the rest once their
    // header time ran out.
    let mut shut = 0;
    for s in idle.iter_mut().take(100) {
        if closed(s, Duration::from_secs(3)).await {
            shut += 1;
        }
    }
    assert_eq!(shut, 100, "idle connections are dropped");

    // A slowloris: headers started and never finished.
    let mut slow = connect_from([127, 0, 0, 3], addr).await.unwrap();
    slow.write_all(b"GET /api/v1/status HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    let t = Instant::now();
    assert!(
        closed(&mut slow, Duration::from_secs(5)).await,
        "the slowloris is cut"
    );
    assert!(
        t.elapsed() >= Duration::from_millis(500),
        "after the header timeout"
    );

    // A client at its cap: the next connection from its address is closed at once.
    let mut greedy = Vec::new();
    for _ in 0..64 {
        greedy.push(connect_from([127, 0, 0, 4], addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut extra = connect_from([127, 0, 0, 4], addr).await.unwrap();
    assert!(
        closed(&mut extra, Duration::from_millis(500)).await,
        "over the per-address cap"
    );
    assert!(status(addr).await.starts_with("HTTP/1.1 200"));
    drop(greedy);
    drop(idle);
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
