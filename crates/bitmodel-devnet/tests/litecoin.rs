//! Real clients and a real node: `litecoin-cli` (Bitcoin Core 0.21's client) against the
//! devnet, and one RPC conformance suite run against both the devnet and a real
//! `litecoind -regtest`, comparing result shapes method by method.
//!
//! These tests need the Debian package `litecoind` (installed by `.ci/run`); without it they
//! fail and say so. Litecoin regtest chains stay below height 431 (MWEB activates at 432).

mod common;

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bitcoin::consensus::encode::serialize_hex;
use bitcoin::{absolute, Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Witness};
use bitmodel_devnet::Devnet;
use bitmodel_rpc::{Auth, Client};
use common::WpkhKey;
use serde_json::{json, Value};

fn require(tool: &str) {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "{tool} is not installed: these tests need the Debian package litecoind \
         (apt-get install litecoind; .ci/run installs it)"
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A `litecoind -regtest` in a temporary datadir, killed on drop.
struct Litecoind {
    child: Child,
    rpc_port: u16,
    _dir: tempfile::TempDir,
}

impl Litecoind {
    fn start() -> Litecoind {
        require("litecoind");
        let dir = tempfile::tempdir().expect("tempdir");
        let rpc_port = free_port();
        let child = Command::new("litecoind")
            .arg("-regtest")
            .arg(format!("-datadir={}", dir.path().display()))
            .arg(format!("-rpcport={rpc_port}"))
            .arg(format!("-port={}", free_port()))
            .args([
                "-rpcbind=127.0.0.1",
                "-rpcallowip=127.0.0.1",
                "-listen=0",
                "-server=1",
                "-disablewallet=1",
                "-txindex=1",
                "-rpcuser=conformance",
                "-rpcpassword=conformance",
                "-printtoconsole=0",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("litecoind starts");
        Litecoind {
            child,
            rpc_port,
            _dir: dir,
        }
    }

    fn client(&self) -> Client {
        let c = Client::new(
            &format!("http://127.0.0.1:{}", self.rpc_port),
            Auth::UserPass("conformance".into(), "conformance".into()),
        )
        .expect("valid url")
        .with_retries(0, Duration::from_millis(10));
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match c.call_value("getblockcount", json!([])) {
                Ok(_) => return c,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(e) => panic!("litecoind did not answer within 60 s: {e}"),
            }
        }
    }
}

impl Drop for Litecoind {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn devnet_client(devnet: &Devnet) -> Client {
    Client::new(
        &devnet.rpc_url(),
        Auth::Cookie(devnet.cookie_path().expect("cookie").to_path_buf()),
    )
    .expect("valid url")
}

/// Flattens a JSON value into `path → type` (arrays through their elements as `[]`).
fn shape(v: &Value, path: &str, out: &mut BTreeMap<String, &'static str>) {
    let t = match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(a) => {
            for item in a {
                shape(item, &format!("{path}[]"), out);
            }
            "array"
        }
        Value::Object(o) => {
            for (k, item) in o {
                // Objects keyed by txid (verbose mempool) compare by their values.
                let k = if k.len() == 64 && k.bytes().all(|b| b.is_ascii_hexdigit()) {
                    "<txid>"
                } else {
                    k.as_str()
                };
                let p = if path.is_empty() {
                    k.to_owned()
                } else {
                    format!("{path}.{k}")
                };
                shape(item, &p, out);
            }
            "object"
        }
    };
    out.insert(
        if path.is_empty() {
            ".".into()
        } else {
            path.into()
        },
        t,
    );
}

/// Fields that differ by design between Bitcoin Core 0.21/Litecoin and Core 24/the devnet.
fn excluded(path: &str) -> bool {
    const PARTS: &[&str] = &[
        "softforks",      // moved to getdeploymentinfo in Core 23
        "addresses",      // Core 0.21 scriptPubKey.addresses, Core 22+ has address
        "reqSigs",        // removed in Core 22
        "mweb",           // Litecoin's extension blocks
        "hogex",          // Litecoin MWEB
        "connections_in", // Core 0.21 lacks these
        "connections_out",
        "incrementalrelayfee", // Core 24 only
        "unbroadcastcount",
        "fullrbf",
        "networks[]", // the devnet has no networks to report
        "localaddresses[]",
        "warnings",
    ];
    // Core 0.21's flat fee fields, removed in Core 23 (now under `fees`).
    const LEAVES: &[&str] = &["fee", "modifiedfee", "ancestorfees", "descendantfees"];
    let leaf = path.rsplit('.').next().unwrap_or(path);
    PARTS.iter().any(|p| path.contains(p)) || LEAVES.contains(&leaf)
}

/// Runs the conformance suite against one node; returns each step's result shape.
fn suite(c: &Client, hrp: &str) -> BTreeMap<String, Value> {
    let key = WpkhKey::from_seed(b"conformance");
    let addr = key.address(hrp);
    let mut results: BTreeMap<String, Value> = BTreeMap::new();
    let mut call = |name: &str, method: &str, params: Value| -> Value {
        let v = c
            .call_value(method, params)
            .unwrap_or_else(|e| panic!("{name}: {method} failed: {e}"));
        results.insert(name.to_owned(), v.clone());
        v
    };
    call("getblockchaininfo", "getblockchaininfo", json!([]));
    call("getnetworkinfo", "getnetworkinfo", json!([]));
    let hashes = call("generatetoaddress", "generatetoaddress", json!([101, addr]));
    let first = hashes[0].as_str().expect("block hash").to_owned();
    call("getblockcount", "getblockcount", json!([]));
    call("getbestblockhash", "getbestblockhash", json!([]));
    call("getblockhash", "getblockhash", json!([1]));
    call("getblockheader", "getblockheader", json!([first]));
    call(
        "getblockheader.hex",
        "getblockheader",
        json!([first, false]),
    );
    call("getblock.0", "getblock", json!([first, 0]));
    let b1 = call("getblock.1", "getblock", json!([first, 1]));
    call("getblock.2", "getblock", json!([first, 2]));
    let cb_txid = b1["tx"][0].as_str().expect("coinbase txid").to_owned();
    let cb = call(
        "getrawtransaction.1",
        "getrawtransaction",
        json!([cb_txid, true]),
    );
    call("getrawtransaction.0", "getrawtransaction", json!([cb_txid]));
    call("gettxout", "gettxout", json!([cb_txid, 0]));

    // Spend the first coinbase (P2WPKH) back to the same key.
    let value = Amount::from_btc(cb["vout"][0]["value"].as_f64().expect("value")).expect("amount");
    let mut tx = Transaction {
        version: bitcoin::transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::new(cb_txid.parse().expect("txid"), 0),
            script_sig: ScriptBuf::new(),
            sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value: value - Amount::from_sat(10_000),
            script_pubkey: key.script_pubkey(),
        }],
    };
    key.sign(&mut tx, 0, value);
    let hex = serialize_hex(&tx);
    call("decoderawtransaction", "decoderawtransaction", json!([hex]));
    call("testmempoolaccept", "testmempoolaccept", json!([[hex]]));
    let txid = call("sendrawtransaction", "sendrawtransaction", json!([hex]));
    call("getrawmempool", "getrawmempool", json!([]));
    call("getrawmempool.verbose", "getrawmempool", json!([true]));
    call("getmempoolentry", "getmempoolentry", json!([txid]));
    call("getmempoolinfo", "getmempoolinfo", json!([]));
    call("gettxout.mempool", "gettxout", json!([txid, 0]));
    let gb = call("generateblock", "generateblock", json!([addr, [txid]]));
    let bh = gb["hash"].as_str().expect("hash").to_owned();
    call("getblock.2.spend", "getblock", json!([bh, 2]));
    call(
        "getrawtransaction.confirmed",
        "getrawtransaction",
        json!([txid, true]),
    );
    call("invalidateblock", "invalidateblock", json!([bh]));
    call("getchaintips", "getchaintips", json!([]));
    call("reconsiderblock", "reconsiderblock", json!([bh]));
    call("uptime", "uptime", json!([]));
    call("estimatesmartfee", "estimatesmartfee", json!([2]));
    results
}

/// JSON-RPC error codes for bad calls, which clients branch on.
fn error_codes(c: &Client) -> BTreeMap<&'static str, i64> {
    let cases: [(&str, &str, Value); 7] = [
        ("unknown method", "nosuchmethod", json!([])),
        ("height out of range", "getblockhash", json!([100_000])),
        ("unknown block", "getblock", json!(["11".repeat(32)])),
        ("bad hash", "getblock", json!(["xyz"])),
        ("bad tx hex", "sendrawtransaction", json!(["00"])),
        ("unknown tx", "getrawtransaction", json!(["22".repeat(32)])),
        ("wrong type", "getblockhash", json!(["one"])),
    ];
    cases
        .into_iter()
        .map(|(name, m, p)| {
            let code = c
                .call_value(m, p)
                .expect_err(name)
                .rpc_code()
                .unwrap_or_else(|| panic!("{name}: not a json-rpc error"));
            (name, code)
        })
        .collect()
}

#[test]
fn litecoin_cli_talks_to_the_devnet() {
    require("litecoin-cli");
    let devnet = Devnet::spawn().expect("devnet starts");
    let cli = |args: &[&str]| -> String {
        let out = Command::new("litecoin-cli")
            .arg(format!("-datadir={}", devnet.datadir().display()))
            .arg("-rpcconnect=127.0.0.1")
            .arg(format!("-rpcport={}", devnet.rpc_addr().port()))
            .args(args)
            .output()
            .expect("litecoin-cli runs");
        assert!(
            out.status.success(),
            "litecoin-cli {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let info: Value = serde_json::from_str(&cli(&["getblockchaininfo"])).expect("json");
    assert_eq!(info["chain"], "regtest");
    let key = WpkhKey::from_seed(b"cli");
    let hashes: Value =
        serde_json::from_str(&cli(&["generatetoaddress", "101", &key.address("bcrt")]))
            .expect("json");
    let first = hashes[0].as_str().expect("hash");
    let block: Value = serde_json::from_str(&cli(&["getblock", first])).expect("json");
    let cb_txid = block["tx"][0].as_str().expect("txid");
    let verbose: Value = serde_json::from_str(&cli(&["getblock", first, "2"])).expect("json");
    assert_eq!(verbose["tx"][0]["txid"], json!(cb_txid));
    let raw = cli(&["getrawtransaction", cb_txid]);
    let cb: Transaction = bitcoin::consensus::encode::deserialize_hex(&raw).expect("tx hex");
    let value = cb.output[0].value;
    let mut tx = Transaction {
        version: bitcoin::transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::new(cb.compute_txid(), 0),
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value: value - Amount::from_sat(1_000),
            script_pubkey: key.script_pubkey(),
        }],
    };
    key.sign(&mut tx, 0, value);
    let txid = cli(&["sendrawtransaction", &serialize_hex(&tx)]);
    assert_eq!(txid, tx.compute_txid().to_string());
    let decoded: Value =
        serde_json::from_str(&cli(&["getrawtransaction", &txid, "true"])).expect("json");
    assert_eq!(decoded["txid"], json!(txid));
}

#[test]
fn conformance_with_a_real_litecoind() {
    let ltc = Litecoind::start();
    let lc = ltc.client();
    let devnet = Devnet::spawn().expect("devnet starts");
    let dc = devnet_client(&devnet);

    let reference = suite(&lc, "rltc");
    let ours = suite(&dc, "bcrt");
    let height: u64 = lc.call("getblockcount", &[]).expect("count");
    assert!(
        height < 431,
        "litecoind regtest must stay below MWEB activation"
    );

    let mut problems = Vec::new();
    for (step, ref_value) in &reference {
        let mut want = BTreeMap::new();
        shape(ref_value, "", &mut want);
        let mut got = BTreeMap::new();
        shape(&ours[step], "", &mut got);
        for (path, ty) in &want {
            if excluded(path) || step == "estimatesmartfee" {
                continue;
            }
            match got.get(path) {
                None => problems.push(format!("{step}: devnet lacks {path} ({ty})")),
                Some(t) if t != ty => problems.push(format!(
                    "{step}: {path} is {t} on the devnet, {ty} on litecoind"
                )),
                _ => {}
            }
        }
    }
    assert!(
        problems.is_empty(),
        "result shapes differ from litecoind:\n{}",
        problems.join("\n")
    );
    assert_eq!(
        error_codes(&dc),
        error_codes(&lc),
        "json-rpc error codes differ"
    );
}
