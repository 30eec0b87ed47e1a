//! The JSON-RPC server through the real client: authentication, framing, error codes,
//! parameter handling and the result shapes of every method.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use bitcoin::consensus::encode::serialize_hex;
use bitmodel_devnet::faucet::Signer;
use bitmodel_devnet::Devnet;
use bitmodel_rpc::{Auth, Client, Error};
use serde_json::{json, Value};

fn client(devnet: &Devnet) -> Client {
    Client::new(
        &devnet.rpc_url(),
        Auth::Cookie(devnet.cookie_path().expect("cookie auth").to_path_buf()),
    )
    .expect("valid url")
}

fn code(r: Result<Value, Error>) -> i64 {
    r.expect_err("the call must fail")
        .rpc_code()
        .expect("an rpc error")
}

#[test]
fn authentication() {
    let devnet = Devnet::spawn().expect("devnet starts");
    let cookie = std::fs::read_to_string(devnet.cookie_path().expect("cookie")).expect("readable");
    assert!(cookie.starts_with("__cookie__:"));
    let count: u64 = client(&devnet)
        .call("getblockcount", &[])
        .expect("cookie works");
    assert_eq!(count, 0);
    let wrong = Client::new(
        &devnet.rpc_url(),
        Auth::UserPass("__cookie__".into(), "nope".into()),
    )
    .expect("valid url");
    assert!(matches!(
        wrong.call_value("getblockcount", json!([])),
        Err(Error::Unauthorized)
    ));
    let none = Client::new(&devnet.rpc_url(), Auth::None).expect("valid url");
    assert!(matches!(
        none.call_value("getblockcount", json!([])),
        Err(Error::Unauthorized)
    ));

    let configured = Devnet::spawn_with(bitmodel_devnet::Config {
        rpc_auth: Some(("alice".into(), "secret".into())),
        ..Default::default()
    })
    .expect("devnet starts");
    assert!(configured.cookie_path().is_none());
    let c = Client::new(
        &configured.rpc_url(),
        Auth::UserPass("alice".into(), "secret".into()),
    )
    .expect("valid url");
    let _: u64 = c.call("getblockcount", &[]).expect("user/password works");
}

#[test]
fn malformed_requests_get_json_rpc_errors() {
    let devnet = Devnet::spawn().expect("devnet starts");
    let c = client(&devnet);
    let (status, body) = c.post_raw(b"{not json").expect("answered");
    assert_eq!(status, 500);
    let v: Value = serde_json::from_slice(&body).expect("json reply");
    assert_eq!(v["error"]["code"], -32700);

    let (status, _) = c.post_raw(br#"{"method": 5}"#).expect("answered");
    assert_eq!(status, 400);
    let (status, body) = c
        .post_raw(br#"{"method":"nosuch","id":1}"#)
        .expect("answered");
    assert_eq!(status, 404);
    let v: Value = serde_json::from_slice(&body).expect("json reply");
    assert_eq!(v["error"]["code"], -32601);
    assert_eq!(v["id"], 1);

    assert_eq!(code(c.call_value("getblockhash", json!(["zero"]))), -1);
    assert_eq!(code(c.call_value("getblockhash", json!([]))), -1);
    assert_eq!(code(c.call_value("getblockhash", json!([99]))), -8);
    assert_eq!(code(c.call_value("getblock", json!(["xyz"]))), -8);
    assert_eq!(code(c.call_value("getblock", json!(["00".repeat(32)]))), -5);
    assert_eq!(code(c.call_value("getblockcount", json!([1, 2]))), -1);
    let genesis = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206";
    assert_eq!(code(c.call_value("invalidateblock", json!([genesis]))), -8);
    assert_eq!(
        code(c.call_value("reconsiderblock", json!(["00".repeat(32)]))),
        -5
    );
    assert_eq!(code(c.call_value("getblockhash", json!({"heigth": 0}))), -8);
    assert_eq!(
        code(c.call_value("decoderawtransaction", json!(["00"]))),
        -22
    );
    assert_eq!(code(c.call_value("sendrawtransaction", json!(["zz"]))), -22);

    // Batch requests answer every element.
    let (status, body) = c
        .post_raw(br#"[{"method":"getblockcount","id":1},{"method":"nosuch","id":2},7]"#)
        .expect("answered");
    assert_eq!(status, 200);
    let v: Value = serde_json::from_slice(&body).expect("json reply");
    assert_eq!(v[0]["result"], 0);
    assert_eq!(v[1]["error"]["code"], -32601);
    assert_eq!(v[2]["error"]["code"], -32600);

    // An oversized body is refused before it is read, and the server keeps serving.
    let mut s = TcpStream::connect(devnet.rpc_addr()).expect("connects");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let (user, pass) = devnet.rpc_credentials();
    let auth = bitmodel_devnet::rpc::auth::base64_encode(format!("{user}:{pass}").as_bytes());
    write!(
        s,
        "POST / HTTP/1.1\r\nAuthorization: Basic {auth}\r\nContent-Length: 999999999\r\n\r\n"
    )
    .expect("writes");
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    assert!(reply.starts_with("HTTP/1.1 413"), "got {reply:?}");
    let _: u64 = c.call("getblockcount", &[]).expect("still serving");
}

#[test]
fn methods_answer_with_core_shapes() {
    let devnet = Devnet::spawn().expect("devnet starts");
    let c = client(&devnet);
    let addr = Signer::from_seed(b"rpc").address().to_string();
    let hashes: Vec<String> = c
        .call("generatetoaddress", &[json!(101), json!(addr)])
        .expect("generates");
    assert_eq!(hashes.len(), 101);
    let info: Value = c.call("getblockchaininfo", &[]).expect("info");
    assert_eq!(info["chain"], "regtest");
    assert_eq!(info["blocks"], 101);
    assert_eq!(info["bestblockhash"], json!(hashes[100]));
    for key in [
        "difficulty",
        "mediantime",
        "chainwork",
        "size_on_disk",
        "pruned",
    ] {
        assert!(info.get(key).is_some(), "getblockchaininfo has {key}");
    }
    let header: Value = c
        .call("getblockheader", &[json!(hashes[0])])
        .expect("header");
    assert_eq!(header["height"], 1);
    assert_eq!(header["confirmations"], 101);
    assert_eq!(header["bits"], "207fffff");
    assert_eq!(header["nextblockhash"], json!(hashes[1]));
    let hex: String = c
        .call("getblockheader", &[json!(hashes[0]), json!(false)])
        .expect("header hex");
    assert_eq!(hex.len(), 160);
    // Named parameters.
    let named = c
        .call_value("getblock", json!({"blockhash": hashes[0], "verbosity": 2}))
        .expect("named params");
    let cb = &named["tx"][0];
    assert_eq!(cb["vout"][0]["value"], json!(105_000_000.0));
    assert_eq!(cb["vout"][0]["scriptPubKey"]["address"], json!(addr));
    assert_eq!(cb["vout"][0]["scriptPubKey"]["type"], "witness_v1_taproot");
    assert!(cb["vin"][0]["coinbase"].is_string());
    let b1: Value = c.call("getblock", &[json!(hashes[0])]).expect("block");
    assert_eq!(b1["tx"][0], cb["txid"]);
    for key in [
        "size",
        "strippedsize",
        "weight",
        "merkleroot",
        "nTx",
        "previousblockhash",
    ] {
        assert!(b1.get(key).is_some(), "getblock has {key}");
    }
    let raw: String = c
        .call("getblock", &[json!(hashes[0]), json!(0)])
        .expect("raw block");
    assert!(raw.len() > 160);

    // Spend the first coinbase through sendrawtransaction and follow it everywhere.
    let signer = Signer::from_seed(b"rpc");
    let coin = common::Owned {
        outpoint: bitcoin::OutPoint::new(
            cb["txid"].as_str().expect("txid").parse().expect("txid"),
            0,
        ),
        output: bitcoin::TxOut {
            value: bitcoin::Amount::from_sat(105_000_000 * 100_000_000),
            script_pubkey: signer.script_pubkey(),
        },
    };
    let to = Signer::from_seed(b"to").script_pubkey();
    let tx = common::pay(&signer, &coin, &to, 1_000_000, 1_000);
    let test: Value = c
        .call("testmempoolaccept", &[json!([serialize_hex(&tx)])])
        .expect("test accept");
    assert_eq!(test[0]["allowed"], true);
    assert_eq!(test[0]["vsize"], 154);
    let txid: String = c
        .call("sendrawtransaction", &[json!(serialize_hex(&tx))])
        .expect("sent");
    assert_eq!(txid, tx.compute_txid().to_string());
    let again: String = c
        .call("sendrawtransaction", &[json!(serialize_hex(&tx))])
        .expect("already in mempool is success");
    assert_eq!(again, txid);
    let pool: Vec<String> = c.call("getrawmempool", &[]).expect("mempool");
    assert_eq!(pool, vec![txid.clone()]);
    let entry: Value = c.call("getmempoolentry", &[json!(txid)]).expect("entry");
    assert_eq!(entry["vsize"], 154);
    assert_eq!(entry["fees"]["base"], json!(0.00001));
    assert_eq!(entry["bip125-replaceable"], true);
    let mi: Value = c.call("getmempoolinfo", &[]).expect("mempool info");
    assert_eq!(mi["size"], 1);
    let out: Value = c.call("gettxout", &[json!(txid), json!(0)]).expect("txout");
    assert_eq!(out["confirmations"], 0);
    let spent: Value = c
        .call("gettxout", &[cb["txid"].clone(), json!(0)])
        .expect("spent in mempool");
    assert!(spent.is_null());
    let decoded: Value = c
        .call("decoderawtransaction", &[json!(serialize_hex(&tx))])
        .expect("decodes");
    assert_eq!(decoded["txid"], json!(txid));
    assert_eq!(
        decoded["vin"][0]["txinwitness"].as_array().map(Vec::len),
        Some(1)
    );
    let block: Value = c
        .call("generateblock", &[json!(addr), json!([txid])])
        .expect("generateblock");
    let bh = block["hash"].as_str().expect("hash").to_owned();
    let with_fees: Value = c.call("getblock", &[json!(bh), json!(2)]).expect("block");
    assert_eq!(with_fees["tx"][1]["fee"], json!(0.00001));
    assert!(
        with_fees["tx"][0].get("fee").is_none(),
        "coinbases have no fee"
    );
    let with_prevouts: Value = c.call("getblock", &[json!(bh), json!(3)]).expect("block");
    let prevout = &with_prevouts["tx"][1]["vin"][0]["prevout"];
    assert_eq!(prevout["generated"], true);
    assert_eq!(prevout["height"], 1);
    assert_eq!(prevout["value"], json!(105_000_000.0));
    let verbose: Value = c
        .call("getrawtransaction", &[json!(txid), json!(true)])
        .expect("confirmed tx");
    assert_eq!(verbose["blockhash"], json!(bh));
    assert_eq!(verbose["confirmations"], 1);
    let r = c.call_value("sendrawtransaction", json!([serialize_hex(&tx)]));
    assert_eq!(code(r), -27);
    let dust = common::pay(&signer, &common::output_of(&tx, 1), &to, 10, 1_000);
    let e = c
        .call_value("sendrawtransaction", json!([serialize_hex(&dust)]))
        .expect_err("dust");
    assert_eq!(e.rpc_code(), Some(-26));
    assert!(e.to_string().contains("dust"), "{e}");
    let fee: Value = c.call("estimatesmartfee", &[json!(6)]).expect("estimate");
    assert!(fee["feerate"].as_f64().is_some());
    let tips: Value = c.call("getchaintips", &[]).expect("tips");
    assert_eq!(tips[0]["status"], "active");
    let net: Value = c.call("getnetworkinfo", &[]).expect("network info");
    assert!(net["version"].as_u64().is_some());
    let _: u64 = c.call("uptime", &[]).expect("uptime");

    // invalidate/reconsider through RPC.
    c.call_value("invalidateblock", json!([bh]))
        .expect("invalidates");
    let height: u64 = c.call("getblockcount", &[]).expect("count");
    assert_eq!(height, 101);
    let pool: Vec<String> = c.call("getrawmempool", &[]).expect("mempool");
    assert_eq!(pool, vec![txid.clone()]);
    c.call_value("reconsiderblock", json!([bh]))
        .expect("reconsiders");
    let best: String = c.call("getbestblockhash", &[]).expect("best");
    assert_eq!(best, bh);

    // stop ends the server.
    let msg: String = c.call("stop", &[]).expect("stops");
    assert!(msg.contains("stopping"));
    devnet.wait();
}

#[test]
fn submitblock_reports_reasons() {
    let devnet = Devnet::spawn().expect("devnet starts");
    let c = client(&devnet);
    let block = {
        let node = devnet.node();
        bitmodel_devnet::miner::build_block(
            &node.chain,
            &Signer::faucet().script_pubkey(),
            vec![],
            None,
            bitmodel_devnet::node::now() as u32,
        )
    };
    let mut bad = block.clone();
    bad.txdata[0].output[0].value += bitcoin::Amount::from_sat(1);
    bad.header.merkle_root = bad.compute_merkle_root().expect("has txs");
    bitmodel_devnet::miner::grind(&mut bad.header);
    let r: Value = c
        .call("submitblock", &[json!(serialize_hex(&bad))])
        .expect("answers");
    assert_eq!(r, "bad-cb-amount");
    let r: Value = c
        .call("submitblock", &[json!(serialize_hex(&block))])
        .expect("answers");
    assert!(r.is_null());
    let r: Value = c
        .call("submitblock", &[json!(serialize_hex(&block))])
        .expect("answers");
    assert_eq!(r, "duplicate");
}
