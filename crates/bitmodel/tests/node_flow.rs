//! The node's CLI flows end to end against an in-process devnet: a five-level lineage of
//! real AI assets is registered, the agent at the bottom is paid many times, and merges and
//! distributions at every level carry the money to the top. Then every sat is accounted for,
//! against a recomputation from the raw chain, and the errors users hit are checked.

use std::path::Path;

use bitcoin::hashes::Hash as _;
use bitcoin::{Amount, ScriptBuf};
use bitmodel_devnet::{Config, Devnet};
use bitmodel_index::Index;
use bitmodel_protocol::Chain;
use serde_json::Value;

mod common;

use common::{infer_args, Cli, WORDS};

fn setup(name: &str) -> (Devnet, Cli) {
    setup_with(name, None)
}

fn setup_with(name: &str, block_interval: Option<std::time::Duration>) -> (Devnet, Cli) {
    let datadir = std::env::temp_dir().join(format!("bitmodel-node-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&datadir);
    std::fs::create_dir_all(&datadir).unwrap();
    let dn = Devnet::spawn_with(Config {
        datadir: Some(datadir.join("devnet")),
        block_interval,
        ..Config::default()
    })
    .unwrap();
    let cli = Cli {
        datadir,
        url: dn.rpc_url(),
        flags: Vec::new(),
    };
    (dn, cli)
}

/// A wallet from the test mnemonic, funded by the faucet.
fn funded_wallet(cli: &Cli, dn: &Devnet, sats: u64) {
    let created = cli.json(&["wallet", "create", "--mnemonic", WORDS]);
    let address: bitcoin::Address<bitcoin::address::NetworkUnchecked> =
        created["address"].as_str().unwrap().parse().unwrap();
    dn.fund(
        &address.assume_checked().script_pubkey(),
        Amount::from_sat(sats),
    )
    .unwrap();
}

use bitmodel_testkit::shared_dir;

fn register(cli: &Cli, dn: &Devnet, args: &[&str]) -> String {
    let mut a = vec!["register"];
    a.extend_from_slice(args);
    let v = cli.json(&a);
    dn.mine(1).unwrap();
    v["asset"].as_str().unwrap().to_string()
}

/// Σ over the raw chain, independent of the indexer: payments into vaults (outputs to a
/// vault script in transactions that spend no vault output), and what is still unspent in
/// vaults (gettxout).
fn recompute(cli: &Cli, index: &Index) -> (u64, u64) {
    let client = bitmodel_rpc::Client::new(
        &cli.url,
        bitmodel_rpc::Auth::Cookie(cli.datadir.join("devnet/.cookie")),
    )
    .unwrap();
    let vaults: Vec<ScriptBuf> = index
        .assets()
        .unwrap()
        .into_iter()
        .filter_map(|a| a.vault)
        .collect();
    let tip = client.get_block_count().unwrap();
    let mut vault_outs = Vec::new();
    let mut paid_in = 0;
    for h in 0..=tip {
        let block = client
            .get_block(&client.get_block_hash(h).unwrap())
            .unwrap();
        for tx in &block.txdata {
            let spends_vault = tx
                .input
                .iter()
                .any(|i| vault_outs.contains(&i.previous_output));
            for (vout, o) in tx.output.iter().enumerate() {
                if vaults.contains(&o.script_pubkey) {
                    vault_outs.push(bitcoin::OutPoint {
                        txid: tx.compute_txid(),
                        vout: vout as u32,
                    });
                    if !spends_vault {
                        paid_in += o.value.to_sat();
                    }
                }
            }
        }
    }
    let mut waiting = 0;
    for op in vault_outs {
        let v = client
            .call_value(
                "gettxout",
                serde_json::json!([op.txid.to_string(), op.vout]),
            )
            .unwrap();
        if let Some(value) = v.get("value").and_then(Value::as_f64) {
            waiting += (value * 1e8).round() as u64;
        }
    }
    (paid_in, waiting)
}

#[test]
fn five_level_lineage_is_paid_and_the_money_reaches_the_top() {
    let (dn, cli) = setup("flow");
    funded_wallet(&cli, &dn, 2_000_000_000);
    assert_eq!(
        cli.json(&["wallet", "balance"])["confirmed"],
        2_000_000_000u64
    );

    let paper = register(
        &cli,
        &dn,
        &[
            "--name",
            "Attention Is All You Need (Vaswani et al. 2017)",
            "--kind",
            "paper",
            "--license",
            "NOASSERTION",
        ],
    );
    let data = register(
        &cli,
        &dn,
        &[
            "--name",
            "English Wikipedia",
            "--kind",
            "dataset",
            "--license",
            "CC-BY-SA-4.0",
        ],
    );
    let base = register(
        &cli,
        &dn,
        &[
            "--name",
            "meta-llama/Llama-2-7b-hf",
            "--license",
            "LicenseRef-llama2",
            "--parent",
            &format!("{paper}:500:architecture"),
            "--parent",
            &format!("{data}:500:dataset"),
        ],
    );
    let chat = register(
        &cli,
        &dn,
        &[
            "--name",
            "meta-llama/Llama-2-7b-chat-hf",
            "--license",
            "LicenseRef-llama2",
            "--parent",
            &format!("{base}:2000:finetune"),
        ],
    );
    let quant = register(
        &cli,
        &dn,
        &[
            "--name",
            "TheBloke/Llama-2-7B-Chat-GGUF",
            "--license",
            "LicenseRef-llama2",
            "--parent",
            &format!("{chat}:5000:quantized"),
        ],
    );
    let agent = register(
        &cli,
        &dn,
        &[
            "--name",
            "bitmodel-demo/research-agent",
            "--kind",
            "agent",
            "--license",
            "MIT",
            "--parent",
            &format!("{quant}:2000:finetune"),
        ],
    );
    let shown = cli.json(&["asset", &agent]);
    assert_eq!(shown["record"]["parents"][0]["weight"], 2000);

    // Pay the agent eight times.
    for i in 0..8 {
        cli.json(&["pay", &agent, &(1_000_000 + 1_000 * i).to_string()]);
    }
    dn.mine(1).unwrap();
    // Merge, then distribute every level, bottom up, until the paper is paid.
    cli.json(&["merge", &agent]);
    dn.mine(1).unwrap();
    for level in [&agent, &quant, &chat, &base] {
        let d = cli.json(&["distribute", level]);
        assert!(
            !d["distributions"].as_array().unwrap().is_empty(),
            "{level}: {d}"
        );
        dn.mine(1).unwrap();
    }
    let p = cli.json(&["asset", &paper]);
    assert!(
        p["vault_balance"].as_u64().unwrap() > 0,
        "money reached the paper: {p}"
    );
    let flows = cli.json(&["flows", &quant]);
    assert!(flows["flows"].as_array().unwrap().len() >= 3);
    let owner_of_agent = shown["record"]["owner"].as_str().unwrap().to_string();
    let earned = cli.json(&["earnings", &owner_of_agent]);
    assert!(earned["total"].as_u64().unwrap() > 0);

    // Every sat: the index's own books, and against the raw chain.
    let index = Index::open(&cli.datadir.join("devnet/index.redb"), Chain::Devnet).unwrap();
    let t = index.totals().unwrap();
    assert_eq!(
        t.payments_in,
        (0..8).map(|i| 1_000_000 + 1_000 * i).sum::<u64>()
    );
    assert_eq!(t.payments_in, t.paid_out + t.fees + t.waiting, "{t:?}");
    let (paid_in, waiting) = recompute(&cli, &index);
    assert_eq!(
        (paid_in, waiting),
        (t.payments_in, t.waiting),
        "index equals the raw chain"
    );
}

#[test]
fn errors_users_hit() {
    let (dn, cli) = setup("errors");
    funded_wallet(&cli, &dn, 50_000_000);
    let a = register(&cli, &dn, &["--name", "base", "--license", "MIT"]);
    let b = register(&cli, &dn, &["--name", "other", "--license", "MIT"]);

    let unknown = format!("{}i0", "ab".repeat(32));
    cli.fails(&["pay", &unknown, "1000"], "unknown asset");
    cli.register_fails(
        &[
            "--parent",
            &format!("{a}:6000"),
            "--parent",
            &format!("{b}:5000"),
        ],
        "sum to 11000",
    );
    cli.fails(&["pay", &a, "100000000000"], "insufficient funds");
    cli.fails(&["pay", &a, "100"], "below the dust limit");
    cli.json(&["pay", &a, "400"]);
    dn.mine(1).unwrap();
    cli.fails(&["distribute", &a], "below its distribution threshold");
    cli.fails(
        &["earnings", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"],
        "another network",
    );
    let big = cli.datadir.join("big.bin");
    std::fs::write(&big, vec![7u8; 100_000]).unwrap();
    cli.fails(
        &[
            "register",
            "--name",
            "big",
            "--license",
            "MIT",
            "--content",
            big.to_str().unwrap(),
            "--max-fee",
            "1000",
        ],
        "above --max-fee",
    );
    // A parent whose reveal is still in the mempool.
    let pending = cli.json(&["register", "--name", "pending", "--license", "MIT"])["asset"]
        .as_str()
        .unwrap()
        .to_string();
    cli.fails(
        &[
            "register",
            "--name",
            "child",
            "--license",
            "MIT",
            "--parent",
            &format!("{pending}:100"),
        ],
        "not confirmed yet",
    );
    let dead = Cli {
        datadir: cli.datadir.clone(),
        url: "http://127.0.0.1:1".into(),
        flags: Vec::new(),
    };
    dead.fails(&["pay", &a, "1000"], "node unreachable");
    drop(dn);
    let _ = std::fs::remove_dir_all(Path::new(&cli.datadir));
}

/// Files larger than one transaction go on chain in parts and are put back together, checked
/// against the record's sha256: a real ONNX model and a 900 KB file.
#[test]
fn large_files_are_inscribed_in_parts_and_reassembled() {
    // Parts wait for each other to be mined (mempool limits), so blocks come by themselves.
    let (dn, cli) = setup_with("content", Some(std::time::Duration::from_millis(300)));
    funded_wallet(&cli, &dn, 500_000_000);
    let shared = shared_dir();
    let model = shared.join("models/ppocr_mobile_v2_cls.onnx");
    let big = cli.datadir.join("weights.bin");
    let big_bytes: Vec<u8> = (0..900_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    std::fs::write(&big, &big_bytes).unwrap();
    let mut ids = Vec::new();
    for (file, name) in [
        (model.clone(), "ppocr-mobile-v2-cls"),
        (big.clone(), "weights"),
    ] {
        let v = cli.json(&[
            "register",
            "--name",
            name,
            "--license",
            "Apache-2.0",
            "--content",
            file.to_str().unwrap(),
        ]);
        assert_eq!(
            v["record"]["content"]["size"],
            std::fs::metadata(&file).unwrap().len()
        );
        ids.push((
            v["asset"].as_str().unwrap().to_string(),
            file,
            v["parts"].as_array().unwrap().len(),
        ));
        dn.mine(1).unwrap();
    }
    assert_eq!(
        ids[1].2, 2,
        "900 KB is three parts: the record's body and two more"
    );
    cli.json(&["asset", &ids[0].0]); // syncs the index
    let index = Index::open(&cli.datadir.join("devnet/index.redb"), Chain::Devnet).unwrap();
    for (id, file, _) in &ids {
        let (row, bytes) = index
            .content(&id.parse().unwrap())
            .unwrap()
            .expect("content indexed");
        assert_eq!(
            row.status,
            bitmodel_index::rows::ContentStatus::Verified,
            "{id}"
        );
        assert_eq!(bytes.unwrap(), std::fs::read(file).unwrap());
    }
}

/// Settings from a config file and from BITMODEL_* variables; unknown config fields are
/// refused; a PSBT goes out unsigned and comes back to be broadcast.
#[test]
fn settings_layers_and_psbt_round_trip() {
    let (dn, cli) = setup("settings");
    funded_wallet(&cli, &dn, 3_000_000);
    let bare = |args: &[&str], envs: &[(&str, &str)]| {
        let out = common::bitmodel()
            .args(["--datadir", cli.datadir.to_str().unwrap()])
            .args(args)
            .envs(envs.iter().copied())
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // From the environment.
    let (ok, out, err) = bare(
        &["wallet", "balance", "--json"],
        &[("BITMODEL_RPC_URL", cli.url.as_str())],
    );
    assert!(ok, "{err}");
    assert!(out.contains("3000000"), "{out}");
    // From the config file.
    let config = cli.datadir.join("bitmodel.json");
    std::fs::write(
        &config,
        format!(r#"{{"network": "devnet", "rpc_url": "{}"}}"#, cli.url),
    )
    .unwrap();
    let (ok, _, err) = bare(&["wallet", "balance"], &[]);
    assert!(ok, "{err}");
    std::fs::write(&config, r#"{"network": "devnet", "rpc_urll": "x"}"#).unwrap();
    let (ok, _, err) = bare(&["wallet", "balance"], &[]);
    assert!(
        !ok && err.contains("not a valid config file") && err.contains("unknown field"),
        "{err}"
    );
    std::fs::remove_file(&config).unwrap();

    // PSBT out, broadcast back in.
    let to = cli.json(&["wallet", "receive"])["address"]
        .as_str()
        .unwrap()
        .to_string();
    let to = to.as_str();
    let psbt = cli.json(&["wallet", "send", to, "100000", "--psbt"])["psbt"]
        .as_str()
        .unwrap()
        .to_string();
    let sent = cli.json(&["wallet", "broadcast", &psbt]);
    let txid: bitcoin::Txid = sent["txid"].as_str().unwrap().parse().unwrap();
    let mempool = bitmodel_rpc::Client::new(
        &cli.url,
        bitmodel_rpc::Auth::Cookie(cli.datadir.join("devnet/.cookie")),
    )
    .unwrap()
    .get_raw_mempool()
    .unwrap();
    assert!(
        mempool.contains(&txid),
        "the externally signed transaction is in the mempool"
    );
    cli.fails(&["wallet", "broadcast", "not-a-psbt"], "not a base64 PSBT");
}

/// The third-party models in ../shared/models, inscribed in parts with a price, sold through
/// the gateway: `bitmodel infer` gets the 402, pays the vault with the memo and gets the
/// model's outputs, computed from the file reassembled from the chain.
#[test]
fn shared_models_are_sold_through_the_gateway() {
    let (dn, cli) = setup_with("gateway", Some(std::time::Duration::from_millis(300)));
    funded_wallet(&cli, &dn, 500_000_000);
    let shared = shared_dir();
    let mut ids = Vec::new();
    for (file, price) in [
        ("ppocr_mobile_v2_cls.onnx", "2000"),
        ("silero_vad_16k.onnx", "3000"),
    ] {
        let path = shared.join("models").join(file);
        let v = cli.json(&[
            "register",
            "--name",
            file,
            "--license",
            "Apache-2.0",
            "--content",
            path.to_str().unwrap(),
            "--content-type",
            "application/onnx",
            "--price",
            price,
        ]);
        ids.push(v["asset"].as_str().unwrap().to_string());
    }
    dn.mine(1).unwrap();

    // The server: its own index of the chain, the gateway asking the devnet.
    let (u, p) = dn.rpc_credentials();
    let client = || {
        bitmodel_rpc::Client::new(
            &dn.rpc_url(),
            bitmodel_rpc::Auth::UserPass(u.into(), p.into()),
        )
        .unwrap()
    };
    let index = Index::open(&cli.datadir.join("server-index.redb"), Chain::Devnet).unwrap();
    bitmodel_index::sync::sync(&index, &client(), 0, |_, _| {}).unwrap();
    let gw =
        bitmodel_server::Gateway::open(&cli.datadir.join("gateway.redb"), Box::new(client()), 0)
            .unwrap();
    let verified = client().verify(Chain::Devnet).unwrap();
    let state =
        bitmodel_server::AppState::new(std::sync::Arc::new(index), verified).with_gateway(gw);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = rt.spawn(bitmodel_server::serve(listener, state, async {
        let _ = stopped.await;
    }));

    let ppocr_in = cli.datadir.join("ppocr.json");
    let n = 3 * 48 * 192;
    let data: Vec<f64> = (0..n).map(|i| ((i % 97) as f64 / 97.0) - 0.5).collect();
    std::fs::write(
        &ppocr_in,
        serde_json::to_vec(
            &serde_json::json!({"inputs": [{"shape": [1, 3, 48, 192], "data": data}]}),
        )
        .unwrap(),
    )
    .unwrap();
    let ppocr = ppocr_in.to_str().unwrap();
    let v = cli.json(&infer_args(&ids[0], ppocr, &url, &[]));
    assert_eq!(v["paid"], 2000);
    let out = &v["outputs"][0];
    assert_eq!(out["shape"], serde_json::json!([1, 2]));
    let row: Vec<f64> = serde_json::from_value(out["data"].clone()).unwrap();
    assert!((row[0] + row[1] - 1.0).abs() < 1e-4, "softmax: {row:?}");

    let vad_in = cli.datadir.join("vad.json");
    let audio: Vec<f64> = (0..576).map(|i| (i as f64 * 0.05).sin() * 0.1).collect();
    std::fs::write(
        &vad_in,
        serde_json::to_vec(&serde_json::json!([
            {"name": "input", "shape": [1, 576], "data": audio},
            {"name": "state", "shape": [2, 1, 128], "data": vec![0.0; 256]}
        ]))
        .unwrap(),
    )
    .unwrap();
    let vad = vad_in.to_str().unwrap();
    let v = cli.json(&infer_args(&ids[1], vad, &url, &[]));
    assert_eq!(v["paid"], 3000);
    let speech = v["outputs"][0]["data"][0].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&speech), "a probability: {speech}");
    assert_eq!(v["outputs"][1]["shape"], serde_json::json!([2, 1, 128]));
    assert_eq!(
        (v["calls_bought"].as_u64(), v["calls_left"].as_u64()),
        (Some(1), Some(0))
    );

    // Prepaid: three calls bought with one payment, then used with --payment.
    let v = cli.json(&infer_args(&ids[1], vad, &url, &["--calls", "3"]));
    assert_eq!(v["paid"], 9000);
    assert_eq!(
        (v["calls_bought"].as_u64(), v["calls_left"].as_u64()),
        (Some(3), Some(2))
    );
    let prepaid = format!(
        "{}:{}",
        v["txid"].as_str().unwrap(),
        v["token"].as_str().unwrap()
    );
    let with_prepaid = infer_args(&ids[1], vad, &url, &["--payment", &prepaid]);
    for left in [1u64, 0] {
        assert_eq!(cli.json(&with_prepaid)["calls_left"], left);
    }
    cli.fails(&with_prepaid, "bought 3 call(s)");

    // What users get wrong.
    cli.fails(
        &infer_args(&ids[0], ppocr, &url, &["--max-price", "1999"]),
        "above --max-price",
    );
    cli.fails(
        &infer_args(&ids[0], "/nonexistent.json", &url, &[]),
        "cannot read the input file",
    );
    let unknown = format!("{}i0", "00".repeat(32));
    cli.fails(&infer_args(&unknown, ppocr, &url, &[]), "unknown asset");
    cli.fails(
        &infer_args(&ids[0], ppocr, "http://127.0.0.1:1", &[]),
        "did not answer",
    );
    let _ = stop.send(());
    rt.block_on(server).unwrap().unwrap();
}

/// Payees (record format v3) through the CLI: a record with one asset parent and two payees
/// from `--parents-file`, paid and distributed; the payees' earnings are their exact shares,
/// `asset` shows them, the books balance.
#[test]
fn payees_from_a_parents_file_are_paid_by_the_distribution() {
    let (dn, cli) = setup("payees");
    funded_wallet(&cli, &dn, 200_000_000);
    let base = register(&cli, &dn, &["--name", "base", "--license", "MIT"]);
    let addr = |b: u8| {
        bitcoin::Address::from_script(
            &bitcoin::ScriptBuf::new_p2wpkh(&bitcoin::WPubkeyHash::from_byte_array([b; 20])),
            bitcoin::Network::Regtest,
        )
        .unwrap()
        .to_string()
    };
    let (author, contributor) = (addr(0xa1), addr(0xc1));
    let file = cli.datadir.join("parents.csv");
    std::fs::write(
        &file,
        format!("parent,bps,relation\n{base},2000,finetune\n{author},300,author\n# data\n{contributor},45\n"),
    )
    .unwrap();
    let tune = register(
        &cli,
        &dn,
        &[
            "--name",
            "tune",
            "--license",
            "MIT",
            "--parents-file",
            file.to_str().unwrap(),
        ],
    );
    let shown = cli.json(&["asset", &tune]);
    let payees = shown["record"]["payees"].as_array().unwrap();
    assert_eq!(payees.len(), 2, "{shown}");
    assert_eq!(payees[0]["weight"], 300);
    assert_eq!(payees[1]["relation"], "contributor");
    cli.json(&["pay", &tune, "2000000"]);
    dn.mine(1).unwrap();
    let d = cli.json(&["distribute", &tune]);
    assert_eq!(d["distributions"].as_array().unwrap().len(), 1, "{d}");
    dn.mine(1).unwrap();
    let a = cli.json(&["earnings", &author])["total"].as_u64().unwrap();
    let c = cli.json(&["earnings", &contributor])["total"]
        .as_u64()
        .unwrap();
    let index = Index::open(&cli.datadir.join("devnet/index.redb"), Chain::Devnet).unwrap();
    let id: bitmodel_protocol::AssetId = tune.parse().unwrap();
    let st = index.stats(&id).unwrap().unwrap();
    let t = 2_000_000 - st.fees;
    assert_eq!(
        (a, c),
        (t * 300 / 10_000, t * 45 / 10_000),
        "the split rule's shares"
    );
    assert_eq!(st.to_payees, a + c);
    let totals = index.totals().unwrap();
    assert_eq!(
        totals.payments_in,
        totals.paid_out + totals.fees + totals.waiting,
        "{totals:?}"
    );
    drop(index);
    cli.register_fails(
        &["--payee", &format!("{author}:10001")],
        "must be 1..=10000",
    );
}

/// Through the CLI, as a user does it: `register --parents-file` with 1,000 payees of random
/// weights (one reveal), `pay`, and the keeper (`bitmodel keeper --once`, a block after each
/// round) pushes the money down the splitters to every payee with nobody pushing by hand;
/// `bitmodel asset` shows what waits on the way; every payee gets what the rule gives with
/// the fees each splitter paid, and the books balance.
#[test]
fn a_thousand_payees_from_a_parents_file_are_paid_by_the_keeper() {
    let (dn, cli) = setup("thousand");
    funded_wallet(&cli, &dn, 2_000_000_000);
    let mut rng = bitmodel_testkit::rng::Rng::new(1_000);
    let scripts: Vec<ScriptBuf> = (0..1_000u16)
        .map(|i| {
            let mut h = [0x3c; 20];
            h[..2].copy_from_slice(&i.to_be_bytes());
            ScriptBuf::new_p2wpkh(&bitcoin::WPubkeyHash::from_byte_array(h))
        })
        .collect();
    let weights: Vec<u16> = (0..1_000).map(|_| 1 + rng.below(10) as u16).collect();
    let mut csv = String::from("parent,bps,relation\n");
    for (s, w) in scripts.iter().zip(&weights) {
        let a = bitcoin::Address::from_script(s, bitcoin::Network::Regtest).unwrap();
        csv.push_str(&format!("{a},{w},contributor\n"));
    }
    let file = cli.datadir.join("contributors.csv");
    std::fs::write(&file, csv).unwrap();
    let id = register(
        &cli,
        &dn,
        &[
            "--name",
            "contributors",
            "--kind",
            "dataset",
            "--license",
            "CC-BY-4.0",
            "--parents-file",
            file.to_str().unwrap(),
        ],
    );
    let shown = cli.json(&["asset", &id]);
    assert_eq!(shown["record"]["payees"].as_array().unwrap().len(), 1_000);
    let paid = 1_000_000_000u64;
    cli.json(&["pay", &id, &paid.to_string()]);
    dn.mine(1).unwrap();
    let mut pushes = Vec::new();
    for _ in 0..6 {
        let r = cli.json(&["keeper", "--once"]);
        let n = r["pushed"].as_array().unwrap().len();
        if n == 0 {
            break;
        }
        if pushes.is_empty() {
            // The vault is pushed; its shares wait in the top splitters until the next round.
            dn.mine(1).unwrap();
            let a = cli.json(&["asset", &id]);
            assert_eq!(a["splitters_waiting"].as_array().unwrap().len(), 9, "{a}");
            pushes.push(n);
            continue;
        }
        pushes.push(n);
        dn.mine(1).unwrap();
    }
    assert_eq!(pushes, vec![1, 9, 91], "one level a block");
    let index = Index::open(&cli.datadir.join("devnet/index.redb"), Chain::Devnet).unwrap();
    let asset: bitmodel_protocol::AssetId = id.parse().unwrap();
    let mut fees = std::collections::HashMap::new();
    for (_, e) in index.events_for(&asset).unwrap() {
        if let bitmodel_index::rows::Event::Distribution { splitter, fee, .. } = e {
            fees.insert(splitter, fee);
        }
    }
    assert_eq!(fees.len(), 101);
    // The rule, level by level, with each spend's real fee (splitters in pre-order).
    let (want, _) =
        bitmodel_protocol::wide::pay_with(&weights, paid - fees[&None], |n| fees[&Some(n)]);
    for (i, s) in scripts.iter().enumerate() {
        assert_eq!(index.earnings(s).unwrap().total, want[i], "payee {i}");
    }
    let st = index.stats(&asset).unwrap().unwrap();
    assert_eq!((st.waiting, st.in_splitters), (0, 0), "{st:?}");
    assert_eq!(st.to_payees, want.iter().sum::<u64>());
    let totals = index.totals().unwrap();
    assert_eq!(
        totals.payments_in,
        totals.paid_out + totals.fees + totals.waiting,
        "{totals:?}"
    );
}

/// A wide record with its file on chain: 700 payees make about 30 KB of metadata, which
/// shares a reveal with the file's first part, so `register` cuts the file into shorter
/// parts (every reveal standard) and the index reassembles and verifies it.
#[test]
fn a_wide_record_with_its_file_in_parts() {
    let (dn, cli) = setup_with("wide-file", Some(std::time::Duration::from_millis(300)));
    funded_wallet(&cli, &dn, 500_000_000);
    let mut csv = String::from("parent,bps\n");
    for i in 0..700u16 {
        let mut h = [0x71; 20];
        h[..2].copy_from_slice(&i.to_be_bytes());
        let s = ScriptBuf::new_p2wpkh(&bitcoin::WPubkeyHash::from_byte_array(h));
        let a = bitcoin::Address::from_script(&s, bitcoin::Network::Regtest).unwrap();
        csv.push_str(&format!("{a},{}\n", 1 + i % 9));
    }
    let list = cli.datadir.join("payees.csv");
    std::fs::write(&list, csv).unwrap();
    let file = cli.datadir.join("weights.bin");
    let bytes: Vec<u8> = (0..700_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    std::fs::write(&file, &bytes).unwrap();
    let v = cli.json(&[
        "register",
        "--name",
        "wide-weights",
        "--license",
        "MIT",
        "--parents-file",
        list.to_str().unwrap(),
        "--content",
        file.to_str().unwrap(),
    ]);
    let part_size = v["record"]["content"]["parts"]["size"].as_u64().unwrap();
    assert!(
        part_size < bitmodel_protocol::chunk::MAX_PART_BYTES as u64,
        "shorter parts beside a wide record: {v}"
    );
    dn.mine(1).unwrap();
    let id = v["asset"].as_str().unwrap().to_string();
    cli.json(&["asset", &id]); // syncs the index
    let index = Index::open(&cli.datadir.join("devnet/index.redb"), Chain::Devnet).unwrap();
    let (row, got) = index
        .content(&id.parse().unwrap())
        .unwrap()
        .expect("content indexed");
    assert_eq!(row.status, bitmodel_index::rows::ContentStatus::Verified);
    assert_eq!(got.unwrap(), bytes);
    assert_eq!(
        index
            .asset(&id.parse().unwrap())
            .unwrap()
            .unwrap()
            .record
            .payees
            .len(),
        700
    );
}
