//! Crash safety of `bitmodel devnet`: the real binary is SIGKILLed at random moments while
//! RPC clients send transactions and mine blocks, then restarted, 50 times. After every kill
//! the stored chain must replay to exactly the stored UTXO set and transaction index, and
//! every block and transaction the node acknowledged must still be there.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bitcoin::consensus::encode::serialize_hex;
use bitcoin::{OutPoint, Transaction};
use bitmodel_devnet::chain::ChainState;
use bitmodel_devnet::faucet::Signer;
use bitmodel_rpc::{Auth, Client};
use bitmodel_testkit::fixture;
use serde_json::{json, Value};

const RESTARTS: usize = 50;
/// Upper bound on the whole test; it stops restarting early (and says so) if reached.
const TIME_BUDGET: Duration = Duration::from_secs(240);

/// What the node acknowledged: blocks by height, and confirmed transactions by block.
#[derive(Default)]
struct Acked {
    blocks: HashMap<u64, String>,
    txs: HashMap<String, String>,
    /// Outputs paying our key that may be spendable.
    coins: Vec<(OutPoint, u64)>,
}

/// The devnet process; killed (SIGKILL) and reaped on drop, so a failing test leaves none.
struct Proc(Child);

impl Proc {
    fn sigkill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.sigkill();
    }
}

/// Starts `bitmodel devnet` on `datadir`, which is `<--datadir>/devnet`.
fn start(datadir: &Path) -> (Proc, Client, String) {
    let port = common::free_port();
    let root = datadir.parent().expect("datadir is <root>/devnet");
    let child = Proc(
        common::bitmodel()
            .args(["devnet", "--datadir"])
            .arg(root)
            .arg("--rpc-bind")
            .arg(format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("bitmodel devnet starts"),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let cookie = datadir.join(".cookie");
        if cookie.exists() {
            let url = format!("http://127.0.0.1:{port}");
            let c = Client::new(&url, Auth::Cookie(cookie))
                .expect("url")
                .with_retries(0, Duration::from_millis(10))
                .with_timeout(Duration::from_secs(10));
            if c.call_value("getblockcount", json!([])).is_ok() {
                return (child, c, url);
            }
        }
        assert!(
            Instant::now() < deadline,
            "devnet did not answer within 30 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn spend(signer: &Signer, op: OutPoint, value: u64) -> Transaction {
    let half = (value - 500) / 2;
    fixture::self_spend(signer, op, value, &[half, value - 500 - half])
}

/// One round of load: spend known coins, mine, record what was acknowledged. Runs until
/// `stop` is set or the node disappears.
fn load(c: &Client, signer: &Signer, addr: &str, acked: &Mutex<Acked>, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        let coins: Vec<(OutPoint, u64)> = {
            let mut a = acked.lock().expect("lock");
            let n = a.coins.len().min(10);
            a.coins.drain(..n).collect()
        };
        for (op, value) in &coins {
            if *value < 10_000 {
                continue;
            }
            let tx = spend(signer, *op, *value);
            if c.call_value("sendrawtransaction", json!([serialize_hex(&tx)]))
                .is_err()
            {
                // Immature, already spent before a kill, or the node is gone.
                continue;
            }
        }
        let Ok(hashes) = c.call_value("generatetoaddress", json!([1, addr])) else {
            return;
        };
        let hash = hashes[0].as_str().expect("hash").to_owned();
        let Ok(block) = c.call_value("getblock", json!([hash, 2])) else {
            return;
        };
        let mut a = acked.lock().expect("lock");
        a.blocks
            .insert(block["height"].as_u64().expect("height"), hash.clone());
        for tx in block["tx"].as_array().expect("txs") {
            let txid: bitcoin::Txid = tx["txid"].as_str().expect("txid").parse().expect("txid");
            a.txs.insert(txid.to_string(), hash.clone());
            for (n, out) in tx["vout"].as_array().expect("vout").iter().enumerate() {
                if out["scriptPubKey"]["address"] == json!(addr) {
                    let sats = (out["value"].as_f64().expect("value") * 1e8).round() as u64;
                    a.coins.push((OutPoint::new(txid, n as u32), sats));
                }
            }
        }
    }
}

/// Checks the acknowledged chain against a running node.
fn check_node(c: &Client, acked: &Acked, sample: usize) {
    for (height, hash) in &acked.blocks {
        let got: String = c
            .call("getblockhash", &[json!(height)])
            .expect("height exists");
        assert_eq!(&got, hash, "acknowledged block at height {height} was lost");
    }
    for (txid, block) in acked.txs.iter().take(sample) {
        let v: Value = c
            .call("getrawtransaction", &[json!(txid), json!(true)])
            .unwrap_or_else(|e| panic!("acknowledged transaction {txid} lost: {e}"));
        assert_eq!(v["blockhash"], json!(block));
    }
}

#[test]
fn sigkill_during_load_never_corrupts_the_chain() {
    let began = Instant::now();
    let dir = tempfile::tempdir().expect("tempdir");
    let datadir = dir.path().join("devnet");
    let signer = Signer::from_seed(b"crash test");
    let addr = signer.address().to_string();
    let acked = Arc::new(Mutex::new(Acked::default()));

    // Mature a first coinbase (105,000,000 coins at height 1).
    let (mut child, mut c, mut url) = start(&datadir);
    let _: Value = c
        .call("generatetoaddress", &[json!(101), json!(addr)])
        .expect("mines");
    let b1: String = c.call("getblockhash", &[json!(1)]).expect("hash");
    let block: Value = c.call("getblock", &[json!(b1), json!(1)]).expect("block");
    let cb: bitcoin::Txid = block["tx"][0]
        .as_str()
        .expect("txid")
        .parse()
        .expect("txid");
    acked
        .lock()
        .expect("lock")
        .coins
        .push((OutPoint::new(cb, 0), 105_000_000 * 100_000_000));

    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut restarts = 0;
    while restarts < RESTARTS && began.elapsed() < TIME_BUDGET {
        let stop = Arc::new(AtomicBool::new(false));
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let (url, acked, stop, addr) =
                    (url.clone(), acked.clone(), stop.clone(), addr.clone());
                let signer = Signer::from_seed(b"crash test");
                let cookie = datadir.join(".cookie");
                std::thread::spawn(move || {
                    let client = Client::new(&url, Auth::Cookie(cookie))
                        .expect("url")
                        .with_retries(0, Duration::from_millis(10))
                        .with_timeout(Duration::from_secs(5));
                    load(&client, &signer, &addr, &acked, &stop);
                })
            })
            .collect();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_millis(50 + seed % 400));
        child.sigkill();
        stop.store(true, Ordering::SeqCst);
        for w in workers {
            w.join().expect("load thread ends");
        }
        restarts += 1;

        // The files on disk must be consistent right after the kill.
        let chain = ChainState::open(&datadir.join("devnet.redb")).expect("reopens after SIGKILL");
        chain
            .check_consistency()
            .unwrap_or_else(|e| panic!("after kill {restarts}: {e}"));
        drop(chain);

        (child, c, url) = start(&datadir);
        check_node(&c, &acked.lock().expect("lock"), 200);
    }
    check_node(&c, &acked.lock().expect("lock"), usize::MAX);
    child.sigkill();
    let a = acked.lock().expect("lock");
    eprintln!(
        "{restarts} SIGKILL restarts in {:.1} s; {} blocks and {} transactions acknowledged and intact",
        began.elapsed().as_secs_f64(),
        a.blocks.len(),
        a.txs.len()
    );
    assert!(
        restarts >= 10,
        "only {restarts} restarts fit in the time budget"
    );
    assert!(
        a.txs.len() > a.blocks.len(),
        "the load confirmed transactions besides coinbases"
    );
}
