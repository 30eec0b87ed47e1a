//! Hostile input never takes the devnet down: every method with parameters of every wrong
//! shape, random bytes as HTTP bodies, and broken HTTP all get answers (or a closed
//! connection), and the node keeps serving. Also: interval mining.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use bitmodel_devnet::rpc::methods::METHODS;
use bitmodel_devnet::{Config, Devnet};
use bitmodel_rpc::{Auth, Client};
use serde_json::{json, Value};

fn client(devnet: &Devnet) -> Client {
    Client::new(
        &devnet.rpc_url(),
        Auth::Cookie(devnet.cookie_path().expect("cookie").to_path_buf()),
    )
    .expect("url")
}

#[test]
fn every_method_survives_wrong_parameters() {
    let devnet = Devnet::spawn().expect("devnet starts");
    devnet.mine(3).expect("mines");
    let c = client(&devnet);
    let odd: Vec<Value> = vec![
        json!([]),
        json!([null]),
        json!(["x"]),
        json!([-1]),
        json!([1e300]),
        json!([u64::MAX]),
        json!([{}]),
        json!([[]]),
        json!([true, true, true]),
        json!(["00".repeat(32), -5, "y"]),
        json!([["zz", 3], {"a": 1}]),
        json!(["a".repeat(100_000)]),
        json!({"nosuch": 1}),
        json!({}),
    ];
    let mut answered = 0;
    for (method, _, _) in METHODS {
        if *method == "stop" {
            continue;
        }
        for params in &odd {
            let body = json!({"method": method, "params": params, "id": 7}).to_string();
            let (_, reply) = c
                .post_raw(body.as_bytes())
                .unwrap_or_else(|e| panic!("{method} {params}: connection failed: {e}"));
            let v: Value = serde_json::from_slice(&reply)
                .unwrap_or_else(|e| panic!("{method} {params}: reply is not json: {e}"));
            assert_eq!(v["id"], 7, "{method}: reply carries the request id");
            assert!(
                v.get("result").is_some() && v.get("error").is_some(),
                "{method}: reply has result and error"
            );
            answered += 1;
        }
    }
    assert_eq!(answered, (METHODS.len() - 1) * odd.len());
    let n: u64 = c.call("getblockcount", &[]).expect("still serving");
    assert!(n >= 3);
    devnet
        .node()
        .chain
        .check_consistency()
        .expect("state is consistent after the barrage");
}

#[test]
fn generateblock_with_absurd_amounts_is_refused() {
    let devnet = Devnet::spawn().expect("devnet starts");
    let c = client(&devnet);
    let tx = bitcoin::Transaction {
        version: bitcoin::transaction::Version::TWO,
        lock_time: bitcoin::absolute::LockTime::ZERO,
        input: vec![bitcoin::TxIn::default()],
        output: vec![
            bitcoin::TxOut {
                value: bitcoin::Amount::from_sat(u64::MAX),
                script_pubkey: bitcoin::ScriptBuf::new(),
            };
            2
        ],
    };
    let addr = bitmodel_devnet::faucet::Signer::faucet()
        .address()
        .to_string();
    let e = c
        .call_value(
            "generateblock",
            json!([addr, [bitcoin::consensus::encode::serialize_hex(&tx)]]),
        )
        .expect_err("refused");
    assert_eq!(e.rpc_code(), Some(-25), "{e}");
    let _: u64 = c.call("getblockcount", &[]).expect("still serving");
}

#[test]
fn garbage_bodies_and_broken_http() {
    let devnet = Devnet::spawn().expect("devnet starts");
    let c = client(&devnet);
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    for len in [0usize, 1, 7, 64, 1000, 70_000] {
        let body: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        let (status, reply) = c.post_raw(&body).expect("answered");
        assert_eq!(status, 500, "garbage of {len} bytes is a parse error");
        let v: Value = serde_json::from_slice(&reply).expect("json error reply");
        assert_eq!(v["error"]["code"], -32700);
    }
    for raw in [
        "GARBAGE\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: nope\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nno colon here\r\n\r\n",
    ] {
        let mut s = TcpStream::connect(devnet.rpc_addr()).expect("connects");
        s.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        s.write_all(raw.as_bytes()).expect("writes");
        let mut reply = String::new();
        let _ = s.read_to_string(&mut reply);
        assert!(reply.starts_with("HTTP/1.1 4"), "{raw:?} got {reply:?}");
    }
    // A client that connects and says nothing does not block others.
    let _idle = TcpStream::connect(devnet.rpc_addr()).expect("connects");
    let _: u64 = c.call("getblockcount", &[]).expect("still serving");
    // `Expect: 100-continue` (curl, for bodies over 1 KiB) is answered before the body.
    let (u, p) = devnet.rpc_credentials();
    let auth = bitmodel_devnet::rpc::auth::base64_encode(format!("{u}:{p}").as_bytes());
    let body = r#"{"method":"getblockcount","id":1}"#;
    let mut s = TcpStream::connect(devnet.rpc_addr()).expect("connects");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    write!(
        s,
        "POST / HTTP/1.1\r\nAuthorization: Basic {auth}\r\nExpect: 100-continue\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .expect("writes");
    let mut interim = [0u8; 25];
    s.read_exact(&mut interim).expect("interim response");
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    s.write_all(body.as_bytes()).expect("writes body");
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    assert!(reply.starts_with("HTTP/1.1 200"), "got {reply:?}");
    // GET is refused like bitcoind does.
    let mut s = TcpStream::connect(devnet.rpc_addr()).expect("connects");
    write!(s, "GET / HTTP/1.1\r\nAuthorization: Basic {auth}\r\n\r\n").expect("writes");
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    assert!(reply.starts_with("HTTP/1.1 405"), "got {reply:?}");
}

#[test]
fn interval_mining_makes_blocks_by_itself() {
    let devnet = Devnet::spawn_with(Config {
        block_interval: Some(Duration::from_millis(100)),
        ..Config::default()
    })
    .expect("devnet starts");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while devnet.node().chain.height() < 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "interval miner made no blocks"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// SplitMix64, so the mutation run is reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

fn mutate(rng: &mut Rng, bytes: &[u8]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    for _ in 0..1 + rng.next() % 4 {
        let i = (rng.next() % b.len() as u64) as usize;
        match rng.next() % 3 {
            0 => b[i] ^= 1 << (rng.next() % 8),
            1 => b[i] = rng.next() as u8,
            _ => {
                if b.len() > 10 {
                    b.remove(i);
                }
            }
        }
    }
    b
}

#[test]
fn mutated_transactions_and_blocks_never_break_the_node() {
    use bitcoin::consensus::{deserialize, serialize};
    let devnet = Devnet::spawn().expect("devnet starts");
    let signer = bitmodel_devnet::faucet::Signer::from_seed(b"fuzz");
    let op = devnet
        .fund(
            &signer.script_pubkey(),
            bitcoin::Amount::from_sat(1_000_000),
        )
        .expect("funds");
    let prev = bitcoin::TxOut {
        value: bitcoin::Amount::from_sat(1_000_000),
        script_pubkey: signer.script_pubkey(),
    };
    let mut tx = bitcoin::Transaction {
        version: bitcoin::transaction::Version::TWO,
        lock_time: bitcoin::absolute::LockTime::ZERO,
        input: vec![bitcoin::TxIn {
            previous_output: op,
            sequence: bitcoin::Sequence::ENABLE_RBF_NO_LOCKTIME,
            ..Default::default()
        }],
        output: vec![bitcoin::TxOut {
            value: bitcoin::Amount::from_sat(990_000),
            script_pubkey: signer.script_pubkey(),
        }],
    };
    signer.sign_input(&mut tx, 0, &[prev]);
    let raw_tx = serialize(&tx);
    let block = {
        let node = devnet.node();
        bitmodel_devnet::miner::build_block(
            &node.chain,
            &signer.script_pubkey(),
            vec![std::sync::Arc::new(tx.clone())],
            None,
            bitmodel_devnet::node::now() as u32,
        )
    };
    let raw_block = serialize(&block);
    let mut rng = Rng(0x5eed);
    let (mut decoded_txs, mut decoded_blocks) = (0, 0);
    for _ in 0..1500 {
        if let Ok(t) = deserialize::<bitcoin::Transaction>(&mutate(&mut rng, &raw_tx)) {
            decoded_txs += 1;
            let _ = devnet.submit(t);
        }
    }
    for _ in 0..300 {
        if let Ok(b) = deserialize::<bitcoin::Block>(&mutate(&mut rng, &raw_block)) {
            decoded_blocks += 1;
            let _ = devnet.node().submit_block(&b);
        }
    }
    assert!(
        decoded_txs > 100 && decoded_blocks > 10,
        "mutations kept some inputs decodable"
    );
    // Whatever mutants were accepted (a flipped sequence bit, say), the state is consistent.
    let node = devnet.node();
    node.chain.check_consistency().expect("consistent");
}
