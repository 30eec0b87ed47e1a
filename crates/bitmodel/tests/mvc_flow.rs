//! MVC through the CLI, against a real Bitcoin SV 1.0.13 regtest node (MVC's interpreter,
//! sighash and limits; MVC's own node has no regtest): `--network bsv-regtest`. A wallet
//! from the mnemonic, a three-level lineage (20 roots → a model with a 5 MB file in its
//! registration and 20 parents → an agent with a payee), a payment, and `distribute` up
//! every level through the OP_PUSH_TX splitters — every spend checked by the node — with
//! the index's books reconciled against the rule and against what the node says each
//! address holds.

mod common;

use bitcoin::hashes::Hash;
use bitcoin::secp256k1::{Secp256k1, SecretKey};
use bitcoin::{Address, Network, PublicKey};
use bitmodel_index::Index;
use bitmodel_protocol::{AssetId, Chain};
use bitmodel_testkit::bsv::BsvNode;
use common::{Cli, WORDS};

const BPS: u64 = 10_000;

fn address(i: u8) -> Address {
    let secp = Secp256k1::new();
    let k = SecretKey::from_slice(&[i; 32]).unwrap();
    Address::p2pkh(PublicKey::new(k.public_key(&secp)), Network::Regtest)
}

fn cli_on(node: &BsvNode, datadir: &std::path::Path, network: &str) -> Cli {
    Cli {
        datadir: datadir.to_path_buf(),
        url: node.url(),
        flags: [
            "--network",
            network,
            "--rpc-user",
            "bitmodel",
            "--rpc-password",
            "bitmodel",
        ]
        .map(String::from)
        .to_vec(),
    }
}

/// What the node says an address received in total (its wallet watches nothing of ours:
/// read from every block).
fn received(node: &BsvNode, spk: &bitcoin::ScriptBuf) -> u64 {
    let c = node.client();
    let tip = c.get_block_count().unwrap();
    let mut sum = 0;
    for h in 0..=tip {
        let b = c.get_block(&c.get_block_hash(h).unwrap()).unwrap();
        for tx in &b.txdata {
            sum += tx
                .output
                .iter()
                .filter(|o| &o.script_pubkey == spk)
                .map(|o| o.value.to_sat())
                .sum::<u64>();
        }
    }
    sum
}

#[test]
fn register_pay_and_distribute_a_three_level_lineage_on_bsv_regtest() {
    let node = BsvNode::start();
    let dir = tempfile::tempdir().unwrap();
    let cli = cli_on(&node, dir.path(), "bsv-regtest");

    // The node is not Bitcoin Core's regtest, nor Fractal's: claiming either is refused.
    cli_on(&node, dir.path(), "regtest").fails(&["wallet", "balance"], "Bitcoin SV regtest");
    cli_on(&node, dir.path(), "fractal-regtest")
        .fails(&["wallet", "balance"], "Bitcoin SV regtest");

    let created = cli.json(&["wallet", "create", "--mnemonic", WORDS]);
    let me = created["address"].as_str().unwrap().to_string();
    assert!(
        me.starts_with('m') || me.starts_with('n'),
        "a regtest P2PKH address: {me}"
    );
    node.mine_to(110, &me);
    let balance = cli.json(&["wallet", "balance"]);
    // Coinbases of heights 1..=11 may be spent in block 111 (100 blocks after their own).
    assert_eq!(
        balance["confirmed"].as_u64().unwrap(),
        11 * 50 * 100_000_000
    );
    assert_eq!(balance["immature"].as_u64().unwrap(), 99 * 50 * 100_000_000);
    let sink = address(200).to_string();

    // Level 1: 20 roots, each with its own owner.
    let mut roots = Vec::new();
    for i in 0..20u8 {
        let owner = address(i + 1).to_string();
        let v = cli.json(&[
            "register",
            "--name",
            &format!("dataset-{i}"),
            "--kind",
            "dataset",
            "--license",
            "CC-BY-4.0",
            "--owner",
            &owner,
        ]);
        roots.push(v["asset"].as_str().unwrap().to_string());
        if i % 10 == 9 {
            node.mine_to(1, &sink);
        }
    }

    // Level 2: a model with 20 parents and a 5 MB file, in one transaction.
    let file: Vec<u8> = (0..5_000_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    let path = dir.path().join("model.onnx");
    std::fs::write(&path, &file).unwrap();
    let mut args: Vec<String> = [
        "register",
        "--name",
        "model",
        "--license",
        "MIT",
        "--content",
    ]
    .map(String::from)
    .to_vec();
    args.push(path.display().to_string());
    for r in &roots {
        args.push("--parent".into());
        args.push(format!("{r}:400:dataset"));
    }
    let model = cli.json(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let bytes = model["bytes"].as_u64().unwrap();
    assert!(bytes > 5_000_000, "{model}");
    // The fee is the network's rate on the signed size (250 sat/kB), rounded up; the wallet
    // sizes signatures at their longest, so it may be a sat or two above.
    let fee = model["fee"].as_u64().unwrap();
    let at_rate = (bytes * 250).div_ceil(1000);
    assert!(
        (at_rate..=at_rate + 2).contains(&fee),
        "fee {fee} for {bytes} bytes"
    );
    let model_id = model["asset"].as_str().unwrap().to_string();
    node.mine_to(1, &sink);

    // Level 3: an agent of the model, with a payee.
    let payee = address(100);
    let agent = cli.json(&[
        "register",
        "--name",
        "agent",
        "--kind",
        "agent",
        "--license",
        "MIT",
        "--parent",
        &format!("{model_id}:3000:finetune"),
        "--payee",
        &format!("{payee}:1000:author"),
    ]);
    let agent_id = agent["asset"].as_str().unwrap().to_string();
    node.mine_to(1, &sink);

    // Bad input says what is wrong and what would be right.
    cli.fails(
        &["pay", &format!("{}i0", "ab".repeat(32)), "1000"],
        "unknown asset",
    );
    let p2sh = Address::from_script(
        &bitcoin::ScriptBuf::new_p2sh(&bitcoin::ScriptHash::from_byte_array([3; 20])),
        Network::Regtest,
    )
    .unwrap()
    .to_string();
    cli.register_fails(&["--owner", &p2sh], "P2PKH");
    cli.fails(&["distribute", &agent_id], "holds 0 sats");
    cli.fails(&["merge", &agent_id], "has no merge");
    cli.fails(&["wallet", "send", &sink, "1000", "--psbt"], "FORKID");
    let friend = address(201);
    let sent = cli.json(&["wallet", "send", &friend.to_string(), "100000"]);
    assert!(sent["txid"].is_string(), "{sent}");

    // A payment, then distribute up every level.
    let paid = 10_000_000u64;
    cli.json(&["pay", &agent_id, &paid.to_string()]);
    node.mine_to(1, &sink);
    let d = cli.json(&["distribute", &agent_id]);
    let agent_fee = d["distributions"][0]["fee"].as_u64().unwrap();
    node.mine_to(1, &sink);
    let d = cli.json(&["distribute", &model_id]);
    let model_in = d["distributions"][0]["amount"].as_u64().unwrap();
    let model_fee = d["distributions"][0]["fee"].as_u64().unwrap();
    node.mine_to(1, &sink);
    let mut root_fees = Vec::new();
    for r in &roots {
        let d = cli.json(&["distribute", r]);
        root_fees.push(d["distributions"][0]["fee"].as_u64().unwrap());
    }
    node.mine_to(1, &sink);

    // The rule, level by level, against the node's own view of each address.
    assert_eq!(
        received(&node, &friend.script_pubkey()),
        100_000,
        "wallet send"
    );
    let t = paid - agent_fee;
    assert_eq!(
        model_in,
        t * 3000 / BPS,
        "the model's splitter got its share"
    );
    assert_eq!(received(&node, &payee.script_pubkey()), t * 1000 / BPS);
    let tm = model_in - model_fee;
    for (i, fee) in root_fees.iter().enumerate() {
        let share = tm * 400 / BPS;
        assert_eq!(
            received(&node, &address(i as u8 + 1).script_pubkey()),
            share - fee,
            "root {i}"
        );
    }

    // The index books every sat: nothing waits, and in = out + fees.
    let summary = cli.json(&["asset", &agent_id]);
    assert!(summary.to_string().contains("agent"), "{summary}");
    drop(summary);
    let index = Index::open(
        &dir.path().join("bsv-regtest/index.redb"),
        Chain::BsvRegtest,
    )
    .unwrap();
    let totals = index.totals().unwrap();
    assert_eq!(totals.payments_in, paid);
    assert_eq!(totals.waiting, 0);
    assert_eq!(
        totals.payments_in,
        totals.paid_out + totals.fees + totals.waiting
    );
    assert_eq!(
        totals.fees,
        agent_fee + model_fee + root_fees.iter().sum::<u64>()
    );
    let model_asset: AssetId = model_id.parse().unwrap();
    let (content, bytes) = index.content(&model_asset).unwrap().unwrap();
    assert_eq!(
        content.status,
        bitmodel_index::rows::ContentStatus::Verified
    );
    assert_eq!(
        bytes.unwrap(),
        file,
        "the 5 MB file reads back from the index"
    );
    let stats = index.stats(&model_asset).unwrap().unwrap();
    assert_eq!(stats.from_children, model_in);
    assert_eq!(stats.to_parents, 20 * (tm * 400 / BPS));
    drop(index);

    // A second payment, moved up all three levels by `bitmodel up`'s keeper alone.
    let second = 20_000_000u64;
    cli.json(&["pay", &agent_id, &second.to_string()]);
    node.mine_to(1, &sink);
    up_moves_it_up(&node, &cli, &sink, &agent_id, &model_id, paid + second);
}

/// `bitmodel up --network bsv-regtest --rpc-url …`: indexer, server and keeper against the
/// node; one level of the lineage a block; the API and explorer show the MVC assets.
fn up_moves_it_up(node: &BsvNode, cli: &Cli, sink: &str, agent: &str, model: &str, paid: u64) {
    let (running, base, seen) = cli.up();
    assert!(
        seen.iter()
            .any(|l| l.contains("OP_PUSH_TX splitters: vaults on")),
        "{seen:?}"
    );
    assert!(seen.iter().any(|l| l.contains("sat/kB")), "{seen:?}");
    let get = |path: &str| common::http_get(&base, path);
    let json = |path: &str| common::http_json(&base, path);
    // Agent, then model, then the 20 roots: a keeper round per block.
    let c = node.client();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let status = json("/api/v1/status");
        let tip = c.get_block_count().unwrap();
        if status["height"].as_u64() == Some(tip) && c.get_raw_mempool().unwrap().is_empty() {
            let books = &status["books"];
            if books["waiting"] == 0 {
                assert_eq!(books["payments_in"].as_u64(), Some(paid), "{status}");
                assert_eq!(books["balanced"], true, "{status}");
                break;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the keeper did not empty the splitters: {status}"
        );
        if !c.get_raw_mempool().unwrap().is_empty() {
            node.mine_to(1, sink);
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    let status = json("/api/v1/status");
    assert_eq!(
        (status["network"].as_str(), status["vaults"].as_bool()),
        (Some("bsv-regtest"), Some(true)),
        "{status}"
    );
    let vault = json(&format!("/api/v1/assets/{agent}/vault"));
    assert!(
        vault["vault"].as_str().unwrap().starts_with("script:"),
        "{vault}"
    );
    assert_eq!(vault["balance"], 0, "{vault}");
    assert_eq!(vault["keeper"]["fee_rate_unit"], "sat/kB", "{vault}");
    let page = get(&format!("/asset/{model}"));
    assert!(
        page.contains("model") && page.contains("script:"),
        "the explorer shows the MVC asset"
    );
    running.interrupt();
}
