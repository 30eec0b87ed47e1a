//! `bitmodel up` as a user runs it: first start seeds the demo and serves the API; Ctrl-C
//! (SIGINT) stops it cleanly; a second start resumes from the datadir without re-seeding.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn start(datadir: &std::path::Path) -> (Child, String, Vec<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bitmodel"))
        .args([
            "--datadir",
            datadir.to_str().unwrap(),
            "up",
            "--http",
            "127.0.0.1:0",
            "--rpc-bind",
            "127.0.0.1:0",
        ])
        .env_remove("BITMODEL_NETWORK")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    loop {
        let Ok(line) = rx.recv_timeout(Duration::from_secs(120)) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("no API URL within 120 s; output: {seen:?}");
        };
        if let Some(rest) = line.split("API at ").nth(1) {
            let url = rest
                .split_whitespace()
                .next()
                .unwrap()
                .trim_end_matches("api/v1/status")
                .to_string();
            seen.push(line);
            return (child, url, seen);
        }
        seen.push(line);
    }
}

fn status(url: &str) -> serde_json::Value {
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(b"GET /api/v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let body = out.split("\r\n\r\n").nth(1).unwrap();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn interrupt(mut child: Child) {
    let ok = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let code = child.wait().unwrap();
    assert!(code.success(), "bitmodel up exits 0 on Ctrl-C, got {code}");
}

#[test]
fn up_seeds_serves_stops_and_resumes() {
    let datadir = std::env::temp_dir().join(format!("bitmodel-up-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&datadir);
    let (child, url, first) = start(&datadir);
    assert!(first.iter().any(|l| l.contains("seeded")), "{first:?}");
    let s = status(&url);
    assert_eq!(s["network"], "devnet");
    let assets = s["assets"].as_u64().unwrap();
    assert!(assets >= 25, "the demo lineage is on chain: {s}");
    assert_eq!(s["books"]["balanced"], true, "{s}");
    assert!(
        s["books"]["paid_out"].as_u64().unwrap() > 0,
        "distributions paid owners: {s}"
    );
    interrupt(child);

    let (child, url, second) = start(&datadir);
    assert!(
        second.iter().any(|l| l.contains("already seeded")),
        "{second:?}"
    );
    let again = status(&url);
    assert_eq!(again["assets"].as_u64().unwrap(), assets, "no re-seeding");
    interrupt(child);
    assert!(datadir.join("devnet/seeded.json").exists());
}
