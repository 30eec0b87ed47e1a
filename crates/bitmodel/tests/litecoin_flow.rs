//! The same node flows against a real litecoind regtest (Bitcoin Core 0.21-based, taproot, no
//! OP_CAT): inscriptions work as anywhere, there are no vaults, and a payment is split
//! directly — one transaction pays every contributor — which the indexer checks. Then
//! `bitmodel up` against that node runs the indexer and the server only (no devnet, no demo),
//! and paid inference says why it cannot work there.

mod common;

use bitcoin::hashes::Hash;
use bitcoin::ScriptBuf;
use bitmodel_index::rows::Event;
use bitmodel_index::Index;
use bitmodel_protocol::Chain;
use bitmodel_testkit::Litecoind;
use common::{Cli, WORDS};

fn spk_of(address: &serde_json::Value) -> ScriptBuf {
    let a: bitcoin::Address<bitcoin::address::NetworkUnchecked> =
        address.as_str().unwrap().parse().unwrap();
    a.assume_checked().script_pubkey()
}

#[test]
fn inscriptions_and_direct_payments_on_litecoind_regtest() {
    let node = Litecoind::start();
    let datadir = std::env::temp_dir().join(format!("bitmodel-ltc-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&datadir);
    std::fs::create_dir_all(&datadir).unwrap();
    let flags = [
        "--network",
        "regtest",
        "--rpc-user",
        "bitmodel",
        "--rpc-password",
        "bitmodel",
    ]
    .map(String::from)
    .to_vec();
    let cli = Cli {
        datadir: datadir.clone(),
        url: node.url(),
        flags,
    };
    let created = cli.json(&["wallet", "create", "--mnemonic", WORDS]);
    let me = spk_of(&created["address"]);
    node.mine_to(101, &me);
    let burn = ScriptBuf::new_p2wpkh(&bitcoin::WPubkeyHash::from_byte_array([1; 20]));
    let register = |args: &[&str]| {
        let mut a = vec!["register"];
        a.extend_from_slice(args);
        let v = cli.json(&a);
        node.mine_to(1, &burn);
        v["asset"].as_str().unwrap().to_string()
    };
    let paper = register(&[
        "--name",
        "Attention Is All You Need",
        "--kind",
        "paper",
        "--license",
        "NOASSERTION",
    ]);
    let base = register(&[
        "--name",
        "gpt2",
        "--license",
        "MIT",
        "--parent",
        &format!("{paper}:500:architecture"),
    ]);
    let agent = register(&[
        "--name",
        "gpt2-agent",
        "--kind",
        "agent",
        "--license",
        "MIT",
        "--parent",
        &format!("{base}:2000:finetune"),
    ]);

    cli.fails(&["distribute", &agent], "has no OP_CAT");
    let paid = cli.json(&["pay", &agent, "10000000"]);
    assert_eq!(
        paid["outputs"].as_array().unwrap().len(),
        3,
        "agent, base and paper paid at once: {paid}"
    );
    // A payment so small that the paper's share is dust: it stays with the base.
    cli.json(&["pay", &agent, "20000"]);
    node.mine_to(1, &burn);
    let shown = cli.json(&["asset", &paper]);
    assert!(shown["vault"].is_null(), "no vaults without OP_CAT");

    let index = Index::open(&datadir.join("regtest/index.redb"), Chain::Regtest).unwrap();
    let t = index.totals().unwrap();
    assert_eq!(t.payments_in, 10_020_000);
    assert_eq!(t.payments_in, t.paid_out + t.fees + t.waiting);
    assert_eq!(t.waiting, 0);
    let paper_id = paper.parse().unwrap();
    let events = index.events_for(&paper_id).unwrap();
    let direct: Vec<_> = events
        .iter()
        .filter(|(_, e)| matches!(e, Event::Direct { .. }))
        .collect();
    assert_eq!(direct.len(), 2);
    for (_, e) in &direct {
        let Event::Direct { conforming, .. } = e else {
            unreachable!()
        };
        assert!(conforming);
    }
    // 10,000,000 → agent 8,000,000, base 1,900,000, paper 100,000.
    assert_eq!(index.stats(&paper_id).unwrap().unwrap().paid_out, 100_000);
    assert!(node.client().get_block_count().unwrap() < 431);
    drop(index);
    up_against_the_node(&cli, &agent);
}

fn up_against_the_node(cli: &Cli, agent: &str) {
    let (running, base, seen) = cli.up();
    assert!(
        !seen
            .iter()
            .any(|l| l.contains("devnet") || l.contains("seeding")),
        "no devnet and no demo against a real node: {seen:?}"
    );
    let http = |req: String| common::http(&base, &req);
    let body = common::http_json(&base, "/api/v1/status");
    assert_eq!(body["network"], "regtest", "{body}");
    assert_eq!(body["assets"], 3, "{body}");
    let input = r#"{"inputs":[{"shape":[1],"data":[0]}]}"#;
    let infer = http(format!(
        "POST /api/v1/assets/{agent}/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{input}",
        input.len()
    ));
    assert!(infer.starts_with("HTTP/1.1 501"), "{infer}");
    assert!(infer.contains("has no OP_CAT"), "{infer}");
    running.interrupt();
}
