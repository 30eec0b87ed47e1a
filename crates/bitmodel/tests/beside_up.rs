//! The CLI beside a running `bitmodel up` on the same datadir, as a user runs it from a
//! second terminal: `up` holds the index, every command reads it through `up`'s server and
//! never meets the database lock; when `up` stops, commands use the index file again.

mod common;

use std::path::Path;
use std::time::Duration;

use bitmodel_rpc::{Auth, Client};
use common::{Cli, Running, WORDS};

/// Starts `bitmodel up` without the demo and without timed blocks; (process, API, RPC URL).
fn up(datadir: &Path, extra: &[&str]) -> (Running, String, String) {
    let global = ["--datadir".to_owned(), datadir.to_str().unwrap().to_owned()];
    let mut args = vec![
        "--rpc-bind",
        "127.0.0.1:0",
        "--no-seed",
        "--block-interval",
        "3600",
    ];
    args.extend_from_slice(extra);
    let (running, api, seen) = common::start_up(&global, &args);
    let rpc = seen
        .iter()
        .find_map(|l| l.split("devnet rpc on ").nth(1))
        .and_then(|r| r.split_whitespace().next())
        .expect("the devnet's RPC URL")
        .to_owned();
    (running, api, rpc)
}

#[test]
fn every_command_works_beside_a_running_up() {
    let tmp = tempfile::tempdir().unwrap();
    // No keeper here: the CLI's own distribute is under test, and the keeper would race it.
    let (running, api, rpc) = up(tmp.path(), &["--no-keeper"]);
    let node = Client::new(&rpc, Auth::Cookie(tmp.path().join("devnet/.cookie"))).unwrap();
    let mine = |n: u64, to: &str| node.generate_to_address(n, to).unwrap();
    let cli = Cli {
        datadir: tmp.path().to_path_buf(),
        url: rpc.clone(),
        flags: Vec::new(),
    };
    assert!(
        tmp.path().join("devnet/node.json").exists(),
        "up records itself"
    );

    let created = cli.json(&["wallet", "create", "--mnemonic", WORDS]);
    let me = created["address"].as_str().unwrap().to_owned();
    let again = cli.json(&["wallet", "receive"]);
    assert_ne!(again["address"], created["address"]);
    mine(101, &me);
    let balance = cli.json(&["wallet", "balance"]);
    assert!(balance["confirmed"].as_u64().unwrap() > 0, "{balance}");

    let paper = cli.json(&[
        "register",
        "--name",
        "Learning representations by back-propagating errors",
        "--kind",
        "paper",
        "--license",
        "NOASSERTION",
    ])["asset"]
        .as_str()
        .unwrap()
        .to_owned();
    mine(1, &me);
    let args = common::digits_model_args(&paper);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let model = cli.json(&args)["asset"].as_str().unwrap().to_owned();
    mine(1, &me);
    let paid = cli.json(&["pay", &model, "100000"]);
    assert!(paid["txid"].is_string(), "{paid}");
    mine(1, &me);

    let shown = cli.json(&["asset", &model]);
    assert_eq!(shown["stats"]["payments_in"], 100_000, "{shown}");
    let flows = cli.json(&["flows", &model]);
    assert!(flows.to_string().contains("payment"), "{flows}");
    let sync = cli.json(&["sync"]);
    assert_eq!(sync["assets"], 2, "{sync}");
    let earnings = cli.json(&["earnings", &me]);
    assert!(earnings.is_object(), "{earnings}");
    let ran = cli.infer_demo(&model, &api, &[]);
    assert_eq!(ran["paid"], 5000, "{ran}");
    mine(1, &me);
    let d = cli.json(&["distribute", &model]);
    assert_eq!(d["distributions"].as_array().map(Vec::len), Some(2), "{d}");

    // `up` stops cleanly, takes its record with it, and the index file is the CLI's again.
    running.interrupt();
    assert!(!tmp.path().join("devnet/node.json").exists());
    let r = cli.raw(&["asset", &model, "--json"]);
    assert_ne!(r.code, 0, "the devnet stopped with up");
    assert!(r.stderr.contains("node unreachable"), "{}", r.stderr);
}

#[test]
fn up_alone_carries_a_payment_to_every_root() {
    let tmp = tempfile::tempdir().unwrap();
    let (_running, _api, rpc) = up(tmp.path(), &[]);
    let node = Client::new(&rpc, Auth::Cookie(tmp.path().join("devnet/.cookie"))).unwrap();
    let cli = Cli {
        datadir: tmp.path().to_path_buf(),
        url: rpc.clone(),
        flags: Vec::new(),
    };
    let me = cli.json(&["wallet", "create", "--mnemonic", WORDS])["address"]
        .as_str()
        .unwrap()
        .to_owned();
    node.generate_to_address(101, &me).unwrap();
    let register = |name: &str, parents: &[String]| {
        let mut a = vec!["register", "--name", name, "--license", "MIT"];
        for p in parents {
            a.extend(["--parent", p.as_str()]);
        }
        let id = cli.json(&a)["asset"].as_str().unwrap().to_owned();
        node.generate_to_address(1, &me).unwrap();
        id
    };
    // Five levels: two roots → base → fine-tune → quantized → agent.
    let paper = register("paper", &[]);
    let data = register("dataset", &[]);
    let base = register("base", &[format!("{paper}:500"), format!("{data}:500")]);
    let tune = register("tune", &[format!("{base}:2000")]);
    let quant = register("quant", &[format!("{tune}:5000")]);
    let agent = register("agent", &[format!("{quant}:2000")]);
    cli.json(&["pay", &agent, "100000000"]);
    let paid_out = |id: &str| {
        cli.json(&["asset", id])["stats"]["paid_out"]
            .as_u64()
            .unwrap()
    };
    let mut blocks = 0;
    while paid_out(&paper) == 0 || paid_out(&data) == 0 {
        assert!(blocks < 8, "the roots were not paid within 8 blocks");
        node.generate_to_address(1, &me).unwrap();
        blocks += 1;
        // The keeper pushes once the block is indexed; wait for its push to reach the mempool.
        for _ in 0..50 {
            if !node.get_raw_mempool().unwrap().is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    for id in [&agent, &quant, &tune, &base] {
        assert!(paid_out(id) > 0, "every level's owner was paid on the way");
    }
    let sync = cli.json(&["sync"]);
    let n = |k: &str| sync[k].as_u64().unwrap();
    assert_eq!(n("payments_in"), 100_000_000, "{sync}");
    assert_eq!(
        n("payments_in"),
        n("paid_out") + n("fees") + n("waiting"),
        "{sync}"
    );
}

#[test]
fn a_held_index_without_a_running_node_is_explained() {
    let tmp = tempfile::tempdir().unwrap();
    let dn = bitmodel_devnet::Devnet::spawn().unwrap();
    dn.mine(1).unwrap();
    let (u, p) = dn.rpc_credentials();
    let dir = tmp.path().join("fractal-regtest");
    std::fs::create_dir_all(&dir).unwrap();
    // Another process holds the index (here: this test), and no node.json says who.
    let _held = bitmodel_index::Index::open(
        &dir.join("index.redb"),
        bitmodel_protocol::Chain::FractalRegtest,
    )
    .unwrap();
    let cli = Cli {
        datadir: tmp.path().to_path_buf(),
        url: dn.rpc_url(),
        flags: [
            "--network",
            "fractal-regtest",
            "--rpc-user",
            u,
            "--rpc-password",
            p,
        ]
        .map(String::from)
        .to_vec(),
    };
    cli.fails(&["sync"], "is held by another bitmodel process");
}
