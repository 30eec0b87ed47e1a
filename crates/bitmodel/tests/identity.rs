//! `--network` is a claim the CLI checks against the node before anything is built: real
//! nodes claimed as chains they are not are refused with a message naming both, before any
//! file is written or any money moves; and a datadir used against one chain refuses another.

mod common;

use std::path::Path;

use bitcoin::Amount;
use bitmodel_devnet::Devnet;
use bitmodel_testkit::Litecoind;
use common::{Cli, WORDS};

const SOME_ASSET: &str = "1111111111111111111111111111111111111111111111111111111111111111i0";

/// Every command that moves money or starts the stack, with arguments that pass their own
/// checks, so the node check is what refuses them.
fn commands(input: &Path) -> Vec<Vec<String>> {
    let input = input.to_str().unwrap();
    [
        vec!["pay", SOME_ASSET, "1000"],
        vec!["register", "--name", "x", "--license", "MIT"],
        vec!["distribute", SOME_ASSET],
        vec!["merge", SOME_ASSET],
        vec![
            "infer",
            SOME_ASSET,
            "--input",
            input,
            "--server",
            "http://127.0.0.1:9",
        ],
        vec!["wallet", "create"],
        vec!["sync"],
        vec!["up", "--http", "127.0.0.1:0"],
    ]
    .into_iter()
    .map(|c| c.into_iter().map(String::from).collect())
    .collect()
}

fn claim(datadir: &Path, url: &str, network: &str, user: &str, password: &str) -> Cli {
    Cli {
        datadir: datadir.to_path_buf(),
        url: url.to_owned(),
        flags: [
            "--network",
            network,
            "--rpc-user",
            user,
            "--rpc-password",
            password,
        ]
        .map(String::from)
        .to_vec(),
    }
}

/// Runs every command under `cli` and checks each is refused naming `node` and the claim,
/// and that nothing was written for the claimed network.
fn all_refused(cli: &Cli, network: &str, node: &str, extra: &str, input: &Path) {
    for cmd in commands(input) {
        let args: Vec<&str> = cmd.iter().map(String::as_str).collect();
        let r = cli.raw(&args);
        assert_ne!(r.code, 0, "{network}: {args:?} should be refused");
        let msg = &r.stderr;
        assert!(
            msg.contains(&format!("is {node}")) && msg.contains(&format!("not {network}")),
            "{network}: {args:?}: expected the node ({node}) and the claim in: {msg}"
        );
        assert!(
            msg.contains(extra),
            "{network}: {args:?}: expected '{extra}' in: {msg}"
        );
        assert!(msg.contains("the node at http://127.0.0.1:"), "{msg}");
    }
    let dir = cli.datadir.join(network);
    for f in ["wallet.redb", "index.redb", "gateway.redb"] {
        assert!(
            !dir.join(f).exists(),
            "{network}: {f} was created for a node that is not {network}"
        );
    }
}

#[test]
fn real_nodes_claimed_as_other_chains_are_refused_before_money_moves() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("input.json");
    std::fs::write(&input, r#"{"inputs":[{"shape":[1],"data":[0]}]}"#).unwrap();

    // Debian's litecoind regtest: its own genesis, no OP_CAT.
    let ltc = Litecoind::start();
    for network in ["devnet", "fractal-regtest"] {
        let cli = claim(tmp.path(), &ltc.url(), network, "bitmodel", "bitmodel");
        all_refused(
            &cli,
            network,
            "Litecoin regtest",
            "refusing to pay into a vault, which would be anyone-can-spend there",
            &input,
        );
    }

    // Nor MVC or BSV's regtest: the splitter's opcodes are disabled on Litecoin.
    for network in ["bsv-regtest", "mvc"] {
        let cli = claim(tmp.path(), &ltc.url(), network, "bitmodel", "bitmodel");
        all_refused(
            &cli,
            network,
            "Litecoin regtest",
            "refusing to pay into a splitter, whose opcodes are disabled there",
            &input,
        );
    }

    // The devnet is a Fractal regtest chain: not Bitcoin, Fractal mainnet or testnet, nor a
    // plain regtest without OP_CAT, nor an MVC-family chain.
    let dn = Devnet::spawn().unwrap();
    dn.mine(1).unwrap();
    let (u, p) = dn.rpc_credentials();
    for network in [
        "bitcoin",
        "fractal",
        "fractal-testnet",
        "regtest",
        "bsv-regtest",
        "mvc-testnet",
    ] {
        let cli = claim(tmp.path(), &dn.rpc_url(), network, u, p);
        all_refused(
            &cli,
            network,
            "Fractal regtest (block 1 is ",
            "refusing",
            &input,
        );
    }

    // The right claims are accepted.
    let ok = claim(tmp.path(), &ltc.url(), "regtest", "bitmodel", "bitmodel");
    let v = ok.json(&["sync"]);
    assert!(v.is_object(), "{v}");
    let ok = claim(tmp.path(), &dn.rpc_url(), "fractal-regtest", u, p);
    ok.json(&["sync"]);
}

#[test]
fn a_regtest_node_without_block_1_gets_no_vaults() {
    // A fresh devnet has only its genesis: it cannot be told from a Bitcoin-rules regtest
    // yet, so reading works and vault spends are refused until block 1 exists.
    let tmp = tempfile::tempdir().unwrap();
    let dn = Devnet::spawn().unwrap();
    let (u, p) = dn.rpc_credentials();
    let cli = claim(tmp.path(), &dn.rpc_url(), "fractal-regtest", u, p);
    cli.json(&["sync"]);
    cli.fails(&["distribute", SOME_ASSET], "cannot be told apart yet");
    cli.fails(&["pay", SOME_ASSET, "1000"], "unknown asset");
    dn.mine(1).unwrap();
    cli.fails(&["distribute", SOME_ASSET], "unknown asset");
}

#[test]
fn a_datadir_used_against_one_chain_refuses_another() {
    let tmp = tempfile::tempdir().unwrap();
    let a = Devnet::spawn().unwrap();
    a.mine(1).unwrap();
    let (u, p) = a.rpc_credentials();
    let cli = claim(tmp.path(), &a.rpc_url(), "fractal-regtest", u, p);
    let created = cli.json(&["wallet", "create", "--mnemonic", WORDS]);
    let address: bitcoin::Address<bitcoin::address::NetworkUnchecked> =
        created["address"].as_str().unwrap().parse().unwrap();
    a.fund(
        &address.assume_checked().script_pubkey(),
        Amount::from_sat(1_000_000),
    )
    .unwrap();
    a.mine(1).unwrap();
    cli.json(&["sync"]);
    assert_eq!(cli.json(&["wallet", "balance"])["confirmed"], 1_000_000);

    // Another Fractal regtest chain behind a URL (a node reset, another machine): same
    // genesis, another block 1.
    let b = Devnet::spawn().unwrap();
    let burn = bitcoin::ScriptBuf::new_p2wpkh(
        &<bitcoin::WPubkeyHash as bitcoin::hashes::Hash>::from_byte_array([9; 20]),
    );
    b.mine_to(1, &burn).unwrap();
    let (u, p) = b.rpc_credentials();
    let other = claim(tmp.path(), &b.rpc_url(), "fractal-regtest", u, p);
    let index = tmp.path().join("fractal-regtest/index.redb");
    other.fails(&["sync"], &format!("the index at {}", index.display()));
    other.fails(&["sync"], "was built from Fractal regtest (block 1 is ");
    let wallet = tmp.path().join("fractal-regtest/wallet.redb");
    other.fails(
        &["wallet", "balance"],
        &format!(
            "the wallet at {} belongs to Fractal regtest",
            wallet.display()
        ),
    );
    other.fails(&["pay", SOME_ASSET, "1000"], "use another --datadir");
    // Nothing was lost: the first chain still works with its datadir.
    assert_eq!(cli.json(&["wallet", "balance"])["confirmed"], 1_000_000);
}
