//! The devnet's RPC against hostile clients: a client without credentials cannot make it read
//! a body (a 32 MB `Content-Length` is answered 401 at once), and the cookie is created 0600
//! without following a planted symlink.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use bitmodel_devnet::{Config, Devnet};

#[test]
fn unauthenticated_bodies_are_never_read() {
    let dn = Devnet::spawn().unwrap();
    let mut s = TcpStream::connect(dn.rpc_addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    // Headers announcing 32 MB, wrong credentials, and no body at all.
    s.write_all(
        b"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic Zm9vOmJhcg==\r\nContent-Length: 33554432\r\n\r\n",
    )
    .unwrap();
    let t = Instant::now();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    assert!(out.starts_with("HTTP/1.1 401"), "{out}");
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "answered without waiting for the body: {:?}",
        t.elapsed()
    );
}

#[cfg(unix)]
#[test]
fn the_cookie_is_created_private_and_a_planted_symlink_is_not_followed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    std::os::unix::fs::symlink(&victim, dir.path().join(".cookie.tmp")).unwrap();
    let dn = Devnet::spawn_with(Config {
        datadir: Some(dir.path().to_path_buf()),
        ..Config::default()
    })
    .unwrap();
    let cookie = dn.cookie_path().unwrap().to_path_buf();
    let mode = std::fs::metadata(&cookie).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the cookie is private");
    assert!(std::fs::read_to_string(&cookie)
        .unwrap()
        .starts_with("__cookie__:"));
    assert_eq!(
        std::fs::read_to_string(&victim).unwrap(),
        "precious",
        "the symlink's target is untouched"
    );
    assert!(!std::fs::symlink_metadata(&cookie)
        .unwrap()
        .file_type()
        .is_symlink());
}
