//! `bitmodel up --network fractal-regtest` against an external Fractal regtest node (a
//! spawned devnet, reached only through its JSON-RPC like a `fractald -regtest`): the node
//! is verified, indexing starts at `--index-from`, and register, pay, paid inference into a
//! vault and distribute all go through the real RPC; the books balance.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use bitcoin::Amount;
use bitmodel_devnet::Devnet;
use bitmodel_rpc::web::Web;
use common::{Cli, Running, WORDS};

fn up(
    datadir: &Path,
    url: &str,
    flags: &[String],
    extra: &[&str],
) -> (Running, String, Vec<String>) {
    let mut global = vec![
        "--datadir".to_owned(),
        datadir.to_str().unwrap().to_owned(),
        "--rpc-url".to_owned(),
        url.to_owned(),
    ];
    global.extend_from_slice(flags);
    common::start_up(&global, extra)
}

fn get(web: &Web, path: &str) -> serde_json::Value {
    let r = web.get(path).unwrap();
    assert_eq!(
        r.status,
        200,
        "{path}: {}",
        String::from_utf8_lossy(&r.body)
    );
    r.json().unwrap()
}

#[test]
fn up_against_an_external_fractal_regtest_node() {
    let tmp = tempfile::tempdir().unwrap();
    let dn = Devnet::spawn().unwrap();
    dn.mine(1).unwrap();
    let (u, p) = dn.rpc_credentials();
    let flags: Vec<String> = [
        "--network",
        "fractal-regtest",
        "--rpc-user",
        u,
        "--rpc-password",
        p,
    ]
    .map(String::from)
    .to_vec();
    let cli = Cli {
        datadir: tmp.path().join("cli"),
        url: dn.rpc_url(),
        flags: flags.clone(),
    };
    let created = cli.json(&["wallet", "create", "--mnemonic", WORDS]);
    let me: bitcoin::Address<bitcoin::address::NetworkUnchecked> =
        created["address"].as_str().unwrap().parse().unwrap();
    dn.fund(
        &me.assume_checked().script_pubkey(),
        Amount::from_sat(100_000_000),
    )
    .unwrap();
    dn.mine(1).unwrap();
    let register = |args: &[&str]| {
        let mut a = vec!["register"];
        a.extend_from_slice(args);
        let v = cli.json(&a);
        dn.mine(1).unwrap();
        v["asset"].as_str().unwrap().to_owned()
    };

    // Registered before the server's start height: not indexed by it.
    let early = register(&["--name", "early-bird", "--license", "MIT"]);
    let start = dn.node().chain.height() + 1;
    let paper = register(&[
        "--name",
        "Backpropagation",
        "--kind",
        "paper",
        "--license",
        "NOASSERTION",
    ]);
    let args = common::digits_model_args(&paper);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let model = register(&args[1..]);

    let (_up, url, seen) = up(
        &tmp.path().join("server"),
        &dn.rpc_url(),
        &flags,
        &[
            "--index-from",
            &start.to_string(),
            "--infer-confirmations",
            "0",
        ],
    );
    assert!(
        seen.iter()
            .any(|l| l.contains("is Fractal regtest") && l.contains("vaults on")),
        "the node's identity is logged: {seen:?}"
    );
    assert!(
        !seen
            .iter()
            .any(|l| l.contains("devnet rpc") || l.contains("seeding")),
        "nothing of the devnet runs: {seen:?}"
    );
    let web = Web::new(url.trim_end_matches('/')).unwrap();
    let s = get(&web, "/api/v1/status");
    assert_eq!(s["network"], "fractal-regtest", "{s}");
    assert_eq!(s["op_cat"], true, "{s}");
    assert_eq!(s["assets"], 2, "the early asset is below --index-from: {s}");
    assert_eq!(
        web.get(&format!("/api/v1/assets/{early}")).unwrap().status,
        404
    );

    // Pay, a paid call of the model through the server, and a distribution: all by RPC.
    cli.json(&["pay", &model, "100000"]);
    dn.mine(1).unwrap();
    let ran = cli.infer_demo(&model, &url, &["--max-price", "10000"]);
    assert_eq!(ran["paid"], 5000, "{ran}");
    assert!(
        ran["outputs"].as_array().is_some_and(|o| !o.is_empty()),
        "{ran}"
    );
    dn.mine(1).unwrap();
    let d = cli.json(&["distribute", &model]);
    assert!(d.is_object(), "{d}");
    dn.mine(1).unwrap();

    // The server catches up and its books balance.
    let height = dn.node().chain.height();
    let deadline = Instant::now() + Duration::from_secs(30);
    let s = loop {
        let s = get(&web, "/api/v1/status");
        if s["height"] == height {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not reach {height}: {s}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let books = &s["books"];
    assert_eq!(books["balanced"], true, "{s}");
    assert_eq!(books["payments_in"], 105_000, "{s}");
    assert!(books["paid_out"].as_u64().unwrap() > 0, "distributed: {s}");
    let paper_row = get(&web, &format!("/api/v1/assets/{paper}"));
    assert!(paper_row.is_object());
}
