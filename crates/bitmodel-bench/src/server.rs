//! `server`: the explorer, the API and the inference gateway under a bounded load on
//! loopback. A devnet holds a nine-level lineage ending in the demo digits model (with its
//! ONNX file and a price); the server runs in-process on 127.0.0.1:0 and 64 client threads
//! with kept-alive connections send 10,000 requests to each of: the asset page (HTML with the
//! lineage SVG), the lineage API, and an unpaid inference call (the 402 quote). Then paid
//! calls, one at a time, against tract called directly on the same input in the same run:
//! the difference is what the gateway adds (HTTP, JSON, the node lookup of the payment, the
//! memo check and the ledger's durable write).
//!
//! Client and server share this machine's two cores, so throughput is a floor.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bitcoin::{Amount, FeeRate, ScriptBuf};
use bitmodel_devnet::Devnet;
use bitmodel_index::Index;
use bitmodel_infer::{Model, Tensor};
use bitmodel_protocol::{AssetId, Chain, Kind, Record, Relation};
use bitmodel_rpc::web::Web;
use bitmodel_server::{AppState, Gateway};
use bitmodel_testkit::assets::register;
use bitmodel_testkit::fixture;
use bitmodel_wallet::Wallet;
use serde_json::{json, Value};

use crate::report::{line, ms, quantile};

const MODEL: &[u8] = include_bytes!("../../../demo/model/digits.onnx");
const INPUT: &str = include_str!("../../../demo/model/input.json");
const REQUESTS: usize = 10_000;
const CONCURRENCY: usize = 64;
const PAID_CALLS: usize = 200;
const PRICE: u64 = 1_000;

fn record(n: u8, parent: Option<AssetId>, model: bool) -> Record {
    Record {
        kind: if model { Kind::Model } else { Kind::Dataset },
        content: model.then(|| fixture::content(MODEL, None)),
        price: model.then_some(PRICE),
        parents: fixture::parents(parent.map(|p| (p, 2_000)).as_slice(), Relation::Finetune),
        ..fixture::record(&format!("layer-{n}"), fixture::owner(n + 1), 20_000)
    }
}

/// 64 threads share `total` requests made by `request`; the latencies and the wall time.
fn load(
    url: &str,
    total: usize,
    request: impl Fn(&Web) -> u16 + Sync,
    want: u16,
) -> (Vec<Duration>, Duration) {
    let next = AtomicUsize::new(0);
    let samples = Mutex::new(Vec::with_capacity(total));
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..CONCURRENCY {
            s.spawn(|| {
                let web = Web::new(url).expect("a url");
                let mut mine = Vec::new();
                while next.fetch_add(1, Ordering::Relaxed) < total {
                    let t = Instant::now();
                    let status = request(&web);
                    mine.push(t.elapsed());
                    assert_eq!(status, want, "the server answered {status}");
                }
                samples.lock().unwrap().extend(mine);
            });
        }
    });
    (samples.into_inner().unwrap(), started.elapsed())
}

type Served = (
    tokio::runtime::Runtime,
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
);

/// The server on 127.0.0.1:0 in its own 2-worker runtime: (runtime, URL, stop, task).
fn serve_in_process(state: AppState) -> Served {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = rt.spawn(bitmodel_server::serve(listener, state, async {
        let _ = stopped.await;
    }));
    (rt, url, stop, server)
}

/// The asset page of the widest of 3,000 records with 11 parents each (thousands of
/// ancestors over tens of thousands of paths), 2,000 requests at 64 connections.
fn wide_dag_page() {
    let dn = Devnet::spawn().expect("a devnet");
    let ids = bitmodel_testkit::assets::wide_dag(&dn, 3_000, 11);
    let client = dn.client().expect("a client");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let index = Index::open(&dir.path().join("wide.redb"), Chain::Devnet).expect("an index");
    bitmodel_index::sync::sync(&index, &client, 0, |_, _| {}).expect("synced");
    let ancestors = index
        .ancestry(ids.last().expect("ids"))
        .expect("read")
        .len();
    let state = AppState::new(
        Arc::new(index),
        client.verify(Chain::Devnet).expect("verified"),
    );
    let (rt, url, stop, server) = serve_in_process(state);
    let path = format!("/asset/{}", ids.last().expect("ids"));
    let (mut lat, took) = load(
        &url,
        2_000,
        |web| web.get(&path).expect("answers").status,
        200,
    );
    line("server.wide_dag_ancestors", ancestors as f64, "assets");
    line(
        "server.wide_dag_asset_page_p50_ms",
        ms(quantile(&mut lat, 0.5)),
        "ms",
    );
    line(
        "server.wide_dag_asset_page_p99_ms",
        ms(quantile(&mut lat, 0.99)),
        "ms",
    );
    line(
        "server.wide_dag_asset_page_requests_per_s",
        lat.len() as f64 / took.as_secs_f64(),
        "req/s",
    );
    let _ = stop.send(());
    let _ = rt.block_on(server);
}

pub fn run() {
    wide_dag_page();
    let dn = Devnet::spawn().expect("a devnet starts for the benchmark");
    let mut parent = None;
    for n in 0..8 {
        parent = Some(register(
            &dn,
            &record(n, parent, false),
            "application/json",
            b"{}".to_vec(),
        ));
    }
    let model = register(
        &dn,
        &record(8, parent, true),
        "application/onnx",
        MODEL.to_vec(),
    );
    let client = || dn.client().expect("a client");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let index = Index::open(&dir.path().join("index.redb"), Chain::Devnet).expect("an index");
    bitmodel_index::sync::sync(&index, &client(), 0, |_, _| {}).expect("synced");
    let vault = index
        .asset(&model)
        .expect("read")
        .expect("indexed")
        .vault
        .expect("a vault");
    let gateway =
        Gateway::open(&dir.path().join("gateway.redb"), Box::new(client()), 0).expect("a gateway");
    let verified = client()
        .verify(Chain::Devnet)
        .expect("the devnet is Fractal regtest");
    let state = AppState::new(Arc::new(index), verified).with_gateway(gateway);

    let (rt, url, stop, server) = serve_in_process(state);

    let input: Value = serde_json::from_str(INPUT).expect("the demo input");
    let infer_path = format!("/api/v1/assets/{model}/infer");
    let asset_path = format!("/asset/{model}");
    let lineage_path = format!("/api/v1/assets/{model}/lineage");
    let mut all = 0usize;
    let mut wall = Duration::ZERO;
    for (name, path, post) in [
        ("asset_page", asset_path.as_str(), false),
        ("lineage_api", lineage_path.as_str(), false),
        ("infer_402", infer_path.as_str(), true),
    ] {
        let want = if post { 402 } else { 200 };
        let (mut lat, took) = load(
            &url,
            REQUESTS,
            |web| {
                let r = if post {
                    web.post_json(path, &input)
                } else {
                    web.get(path)
                };
                r.expect("the server answers").status
            },
            want,
        );
        all += lat.len();
        wall += took;
        line(
            &format!("server.{name}_p50_ms"),
            ms(quantile(&mut lat, 0.5)),
            "ms",
        );
        line(
            &format!("server.{name}_p99_ms"),
            ms(quantile(&mut lat, 0.99)),
            "ms",
        );
        line(
            &format!("server.{name}_requests_per_s"),
            lat.len() as f64 / took.as_secs_f64(),
            "req/s",
        );
    }
    line(
        "server.requests_per_s",
        all as f64 / wall.as_secs_f64(),
        "req/s",
    );
    line("server.concurrency", CONCURRENCY as f64, "connections");

    // Paid calls: payments made ahead (quote, pay with the memo), then called one at a time.
    let (mut wallet, _) = Wallet::create(
        &dir.path().join("wallet.redb"),
        Chain::Devnet.network(),
        None,
        None,
    )
    .expect("a wallet");
    let addr = wallet.receive().expect("an address");
    dn.fund(&addr.script_pubkey(), Amount::from_sat(100_000_000))
        .expect("funded");
    dn.mine(1).expect("mined");
    let node = client();
    wallet.sync(&node, &node).expect("synced");
    let web = Web::new(&url).expect("a url");
    let rate = FeeRate::from_sat_per_vb(2).expect("a rate");
    let mut payments = Vec::new();
    for i in 0..PAID_CALLS {
        let q = web
            .post_json(&infer_path, &input)
            .expect("a quote")
            .json()
            .expect("json");
        let memo =
            ScriptBuf::from_hex(q["payment"]["memo_script"].as_str().expect("memo")).expect("hex");
        let tx = wallet
            .pay(
                &[
                    (vault.clone(), Amount::from_sat(PRICE)),
                    (memo, Amount::ZERO),
                ],
                rate,
            )
            .expect("paid");
        let txid = node.send_raw_transaction(&tx).expect("accepted");
        wallet.note_broadcast(tx).expect("noted");
        payments.push(json!({"txid": txid.to_string(), "token": q["payment"]["token"]}));
        if i % 20 == 19 {
            dn.mine(1).expect("mined");
        }
    }
    let mut gateway = Vec::new();
    for p in payments {
        let mut body = input.clone();
        body["payment"] = p;
        let t = Instant::now();
        let r = web.post_json(&infer_path, &body).expect("an answer");
        gateway.push(t.elapsed());
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    }
    let tensors: Vec<Tensor> = serde_json::from_value(input["inputs"].clone()).expect("tensors");
    let m = Model::load(MODEL).expect("the demo model");
    m.run(&tensors).expect("runs");
    let mut direct: Vec<Duration> = (0..PAID_CALLS)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(m.run(&tensors).expect("runs"));
            t.elapsed()
        })
        .collect();
    let g50 = quantile(&mut gateway, 0.5);
    let d50 = quantile(&mut direct, 0.5);
    line("server.infer_direct_p50_ms", ms(d50), "ms");
    line("server.infer_gateway_p50_ms", ms(g50), "ms");
    line(
        "server.infer_gateway_p99_ms",
        ms(quantile(&mut gateway, 0.99)),
        "ms",
    );
    line(
        "server.infer_gateway_overhead_p50_ms",
        ms(g50) - ms(d50),
        "ms",
    );
    line(
        "server.infer_gateway_vs_direct",
        g50.as_secs_f64() / d50.as_secs_f64(),
        "x",
    );

    let _ = stop.send(());
    let _ = rt.block_on(server);
}
