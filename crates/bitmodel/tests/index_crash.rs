//! `kill -9` while indexing loses nothing: the index is killed at random moments while it
//! follows a 1,500-block devnet chain, restarted each time, and in the end equals an index
//! that was never interrupted.

mod common;

use std::process::Stdio;
use std::time::Duration;

use bitcoin::Amount;
use bitmodel_devnet::{Config, Devnet};
use bitmodel_index::Index;
use bitmodel_protocol::Chain;

#[test]
fn killed_indexer_resumes_and_loses_nothing() {
    let datadir = std::env::temp_dir().join(format!("bitmodel-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&datadir);
    std::fs::create_dir_all(&datadir).unwrap();
    let dn = Devnet::spawn_with(Config {
        datadir: Some(datadir.join("devnet")),
        ..Config::default()
    })
    .unwrap();
    // A chain with something in most blocks.
    let spk = bitcoin::ScriptBuf::new_p2wpkh(&bitcoin::WPubkeyHash::from_byte_array([3; 20]));
    for i in 0..1_500u64 {
        if i % 3 == 0 && i > 110 {
            dn.node().fund(&spk, Amount::from_sat(10_000 + i)).unwrap();
        }
        dn.mine(1).unwrap();
    }
    let run = || {
        common::bitmodel()
            .args([
                "--datadir",
                datadir.to_str().unwrap(),
                "--rpc-url",
                &dn.rpc_url(),
                "sync",
                "--json",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("bitmodel runs")
    };
    let mut seed = 0x5eedu64;
    let mut killed = 0;
    for _ in 0..12 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut child = run();
        std::thread::sleep(Duration::from_millis(5 + (seed >> 33) % 150));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            killed += 1;
        }
        child.wait().unwrap();
    }
    assert!(killed > 0, "at least one run was killed mid-sync");
    assert!(run().wait().unwrap().success());

    let index = Index::open(&datadir.join("devnet/index.redb"), Chain::Devnet).unwrap();
    assert_eq!(index.tip().unwrap().unwrap().0, 1_500);
    let fresh_path = datadir.join("fresh.redb");
    let fresh = Index::open(&fresh_path, Chain::Devnet).unwrap();
    let client = bitmodel_rpc::Client::new(
        &dn.rpc_url(),
        bitmodel_rpc::Auth::Cookie(datadir.join("devnet/.cookie")),
    )
    .unwrap();
    bitmodel_index::sync::sync(&fresh, &client, 0, |_, _| {}).unwrap();
    assert_eq!(index.dump().unwrap(), fresh.dump().unwrap());
    eprintln!("index crash test: {killed} of 12 runs killed mid-sync");
}

use bitcoin::hashes::Hash as _;
