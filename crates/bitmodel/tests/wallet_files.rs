//! The wallet at rest: its directory 0700 and its file 0600 from creation; the mnemonic read
//! from a file or standard input instead of the command line; and sealed under a passphrase
//! it is not in the file in the clear, and the wallet opens only with the passphrase.

mod common;

use std::io::Write;
use std::process::Stdio;

use common::WORDS;

fn run(
    datadir: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: Option<&str>,
) -> (i32, String, String) {
    let mut c = common::bitmodel();
    c.args([
        "--datadir",
        datadir.to_str().unwrap(),
        "--rpc-url",
        "http://127.0.0.1:9",
        "--json",
    ])
    .args(args)
    .env_remove("BITMODEL_MNEMONIC")
    .env_remove("BITMODEL_WALLET_PASSPHRASE")
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).unwrap();
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn address(json: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    v["address"].as_str().unwrap().to_owned()
}

#[cfg(unix)]
#[test]
fn wallet_files_are_private_and_the_mnemonic_stays_off_the_command_line() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    // The reference: the same words given on the command line.
    let a = tempfile::tempdir().unwrap();
    let (code, out, err) = run(
        a.path(),
        &["wallet", "create", "--mnemonic", WORDS],
        &[],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let first = address(&out);

    // From a file.
    let b = tempfile::tempdir().unwrap();
    let words = b.path().join("words.txt");
    std::fs::write(&words, format!("{WORDS}\n")).unwrap();
    let (code, out, err) = run(
        b.path(),
        &[
            "wallet",
            "create",
            "--mnemonic-file",
            words.to_str().unwrap(),
        ],
        &[],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(address(&out), first);
    assert_eq!(
        mode(&b.path().join("devnet")),
        0o700,
        "the datadir is private"
    );
    assert_eq!(
        mode(&b.path().join("devnet/wallet.redb")),
        0o600,
        "the wallet file is private"
    );

    // From standard input.
    let c = tempfile::tempdir().unwrap();
    let (code, out, err) = run(
        c.path(),
        &["wallet", "create", "--restore"],
        &[],
        Some(WORDS),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(address(&out), first);

    // Sealed under a passphrase.
    let d = tempfile::tempdir().unwrap();
    let pass = [("BITMODEL_WALLET_PASSPHRASE", "correct horse battery")];
    let (code, out, err) = run(
        d.path(),
        &["wallet", "create", "--restore", "--encrypt"],
        &pass,
        Some(WORDS),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(address(&out), first);
    let file = std::fs::read(d.path().join("devnet/wallet.redb")).unwrap();
    assert!(
        !file.windows(7).any(|w| w == b"abandon"),
        "no words in the clear"
    );
    let (code, _, err) = run(d.path(), &["wallet", "receive"], &[], None);
    assert_ne!(code, 0);
    assert!(err.contains("sealed with a passphrase"), "{err}");
    let (code, _, err) = run(
        d.path(),
        &["wallet", "receive"],
        &[("BITMODEL_WALLET_PASSPHRASE", "wrong")],
        None,
    );
    assert_ne!(code, 0);
    assert!(err.contains("passphrase is wrong"), "{err}");
    let (code, out, err) = run(d.path(), &["wallet", "receive"], &pass, None);
    assert_eq!(code, 0, "{err}");
    assert!(address(&out).starts_with("bcrt1p"));
    // --encrypt without a passphrase says what is missing.
    let e = tempfile::tempdir().unwrap();
    let (code, _, err) = run(e.path(), &["wallet", "create", "--encrypt"], &[], None);
    assert_ne!(code, 0);
    assert!(err.contains("--encrypt needs a passphrase"), "{err}");
    assert!(
        !e.path().join("devnet/wallet.redb").exists(),
        "nothing written"
    );
}
