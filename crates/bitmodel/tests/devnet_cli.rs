//! `bitmodel devnet` as a user runs it: flags, errors, a clean stop over RPC, and its files
//! in `<datadir>/devnet`, the directory every other command uses for the devnet.

mod common;

use std::net::TcpListener;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use bitmodel_rpc::{Auth, Client};
use serde_json::{json, Value};

fn bitmodel(args: &[&str]) -> std::process::Output {
    common::bitmodel()
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Stops the devnet by RPC and waits for it to exit, which it does cleanly; the JSON report
/// it prints after its banner.
fn stop(c: &Client, child: Child) -> Value {
    let _: Value = c.call("stop", &[]).expect("stops");
    let out = child.wait_with_output().expect("exits");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json_start = stdout.find('{').expect("json output after the banner");
    serde_json::from_str(&stdout[json_start..]).expect("json")
}

#[test]
fn bad_flags_are_explained() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_str().expect("utf-8 path");
    let out = bitmodel(&["devnet", "--datadir", d, "--block-interval", "-3"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--block-interval -3 is not a positive number"),
        "{err}"
    );
    let out = bitmodel(&["devnet", "--datadir", d, "--rpc-user", "alice"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--rpc-password"));
    let out = bitmodel(&["devnet", "--datadir", d, "--rpc-bind", "not-an-address"]);
    assert!(!out.status.success());
    // A port already in use is a clear error, not a panic.
    let busy = TcpListener::bind("127.0.0.1:0").expect("binds");
    let addr = busy.local_addr().expect("addr").to_string();
    let out = bitmodel(&["devnet", "--datadir", d, "--rpc-bind", &addr]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot bind the rpc server"), "{err}");
}

#[test]
fn runs_until_stopped_and_reports_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = common::free_port();
    let child = common::bitmodel()
        .args(["--json", "devnet", "--datadir"])
        .arg(dir.path())
        .args(["--rpc-bind", &format!("127.0.0.1:{port}")])
        .args(["--rpc-user", "alice", "--rpc-password", "secret"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let c = Client::new(
        &format!("http://127.0.0.1:{port}"),
        Auth::UserPass("alice".into(), "secret".into()),
    )
    .expect("url")
    .with_retries(0, Duration::from_millis(10));
    let deadline = Instant::now() + Duration::from_secs(30);
    while c.call_value("getblockcount", json!([])).is_err() {
        assert!(Instant::now() < deadline, "devnet did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
    let _: Value = c
        .call(
            "generatetoaddress",
            &[
                json!(3),
                json!("bcrt1p8wpt9v4frpf3tkn0srd97pksgsxc5hs52lafxwru9kgeephvs7rqjeprhg"),
            ],
        )
        .expect("mines");
    let v = stop(&c, child);
    assert_eq!(v["height"], 3);
    assert!(
        !dir.path().join(".cookie").exists(),
        "no cookie with user/password auth"
    );
    let devnet_dir = dir.path().join("devnet");
    assert_eq!(v["datadir"], devnet_dir.display().to_string());
    assert!(
        devnet_dir.join("devnet.redb").exists(),
        "the chain is in <datadir>/devnet"
    );
    assert!(!devnet_dir.join(".cookie").exists());
}

#[test]
fn the_datadir_before_the_subcommand_is_shared_with_every_other_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = common::free_port();
    let url = format!("http://127.0.0.1:{port}");
    // `bitmodel --datadir D devnet`, with cookie authentication.
    let child = common::bitmodel()
        .arg("--datadir")
        .arg(dir.path())
        .args([
            "--json",
            "devnet",
            "--rpc-bind",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let devnet_dir = dir.path().join("devnet");
    let cookie = devnet_dir.join(".cookie");
    let c = Client::new(&url, Auth::Cookie(cookie.clone()))
        .expect("url")
        .with_retries(0, Duration::from_millis(10));
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cookie.exists() || c.call_value("getblockcount", json!([])).is_err() {
        assert!(
            Instant::now() < deadline,
            "devnet did not come up in D/devnet"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Another command given the same --datadir finds the node's cookie in D/devnet (its
    // default) and keeps its own files there, beside the chain.
    let sync = common::bitmodel()
        .arg("--datadir")
        .arg(dir.path())
        .args(["--rpc-url", &url, "--json", "sync"])
        .output()
        .expect("runs");
    assert!(
        sync.status.success(),
        "{}",
        String::from_utf8_lossy(&sync.stderr)
    );
    let synced: Value = serde_json::from_slice(&sync.stdout).expect("json");
    assert_eq!(synced["height"], 0);
    assert!(devnet_dir.join("index.redb").exists());
    assert!(devnet_dir.join("devnet.redb").exists());
    let v = stop(&c, child);
    assert_eq!(v["datadir"], devnet_dir.display().to_string());
    assert!(
        !dir.path().join("devnet.redb").exists(),
        "nothing in D itself"
    );
}
