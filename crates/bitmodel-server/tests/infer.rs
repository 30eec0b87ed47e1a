//! Paid inference against a real devnet: the demo digits model on chain with a price, a
//! wallet that pays its vault with the memo, and the gateway checking payments with the
//! node. Covers the 402 quote, a paid call (outputs equal to tract called directly), replay,
//! too small, missing or foreign memo, unknown and malformed txids, unconfirmed payments
//! when confirmations are required, inputs the model refuses (payment kept), huge bodies,
//! wrong content types, unknown fields, assets without price or model, a dead node, and CORS.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use bitcoin::hashes::Hash;
use bitcoin::{Amount, ScriptBuf};
use bitmodel_devnet::Devnet;
use bitmodel_index::sync::sync;
use bitmodel_index::Index;
use bitmodel_infer::{Model, Tensor};
use bitmodel_protocol::{AssetId, Chain, Record};
use bitmodel_rpc::{Auth, Client};
use bitmodel_server::{router, AppState, Cors, Gateway};
use bitmodel_testkit::fixture;
use bitmodel_wallet::Wallet;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

const MODEL: &[u8] = include_bytes!("../../../demo/model/digits.onnx");
const INPUT: &str = include_str!("../../../demo/model/input.json");
const PRICE: u64 = 5_000;

fn record(name: &str, content: Option<&[u8]>, price: Option<u64>) -> Record {
    Record {
        license: "CC-BY-4.0".into(),
        content: content.map(|c| fixture::content(c, None)),
        price,
        // Distinct owners: assets with equal terms (owner, parents, fee cap) share a vault.
        ..fixture::record(name, fixture::owner(name.len() as u8), 20_000)
    }
}

fn register(dn: &Devnet, r: &Record, body: Vec<u8>) -> AssetId {
    bitmodel_testkit::assets::register(dn, r, "application/onnx", body)
}

struct World {
    dn: Devnet,
    dir: tempfile::TempDir,
    index: Arc<Index>,
    client: Client,
    wallet: Wallet,
    model: AssetId,
    unpriced: AssetId,
    not_a_model: AssetId,
}

/// A node as bitcoind is without `-txindex`: confirmed transactions only in a named block.
struct NoTxindex(Client);

impl bitmodel_server::gateway::PaymentSource for NoTxindex {
    fn transaction(
        &self,
        txid: &bitcoin::Txid,
        block: Option<&bitcoin::BlockHash>,
    ) -> Result<Option<(bitcoin::Transaction, u32)>, bitmodel_rpc::source::SourceError> {
        match self.0.transaction(txid, block)? {
            Some((_, confs)) if confs > 0 && block.is_none() => Ok(None),
            found => Ok(found),
        }
    }
}

fn world() -> World {
    let dn = Devnet::spawn().unwrap();
    let model = register(
        &dn,
        &record("digits", Some(MODEL), Some(PRICE)),
        MODEL.to_vec(),
    );
    let unpriced = register(&dn, &record("free", Some(MODEL), None), MODEL.to_vec());
    let junk = b"not an onnx file".to_vec();
    let not_a_model = register(&dn, &record("not-onnx", Some(&junk), Some(PRICE)), junk);
    let dir = tempfile::tempdir().unwrap();
    let client = dn.client().unwrap();
    let index = Index::open(&dir.path().join("i.redb"), Chain::Devnet).unwrap();
    sync(&index, &client, 0, |_, _| {}).unwrap();
    let (mut wallet, _) = Wallet::create(
        &dir.path().join("w.redb"),
        Chain::Devnet.network(),
        None,
        None,
    )
    .unwrap();
    let addr = wallet.receive().unwrap();
    dn.fund(&addr.script_pubkey(), Amount::from_sat(10_000_000))
        .unwrap();
    dn.mine(1).unwrap();
    wallet.sync(&client, &client).unwrap();
    World {
        dn,
        dir,
        index: Arc::new(index),
        client,
        wallet,
        model,
        unpriced,
        not_a_model,
    }
}

impl World {
    fn state(&self, confirmations: u32, ledger: &str) -> AppState {
        let gw = Gateway::open(
            &self.dir.path().join(ledger),
            Box::new(self.dn.client().unwrap()),
            confirmations,
        )
        .unwrap();
        AppState::new(
            self.index.clone(),
            self.client.verify(Chain::Devnet).unwrap(),
        )
        .with_gateway(gw)
    }

    /// Pays `amount` to the model's vault with `memo_script` (if any), not replaceable; the
    /// payment's txid.
    fn pay(&mut self, amount: u64, memo_script: Option<&str>) -> bitcoin::Txid {
        self.pay_with(amount, memo_script, false)
    }

    fn pay_with(&mut self, amount: u64, memo_script: Option<&str>, rbf: bool) -> bitcoin::Txid {
        let vault = self
            .index
            .asset(&self.model)
            .unwrap()
            .unwrap()
            .vault
            .unwrap();
        let mut outs = vec![(vault, Amount::from_sat(amount))];
        if let Some(m) = memo_script {
            outs.push((ScriptBuf::from_hex(m).unwrap(), Amount::ZERO));
        }
        let rate = bitcoin::FeeRate::from_sat_per_vb(2).unwrap();
        let tx = if rbf {
            self.wallet.pay(&outs, rate).unwrap()
        } else {
            self.wallet.pay_final(&outs, rate).unwrap()
        };
        assert_eq!(tx.input.iter().any(|i| i.sequence.is_rbf()), rbf);
        let txid = self.client.send_raw_transaction(&tx).unwrap();
        self.wallet.note_broadcast(tx).unwrap();
        txid
    }
}

async fn call(state: &AppState, uri: &str, ct: Option<&str>, body: Vec<u8>) -> (StatusCode, Value) {
    let mut req = Request::post(uri);
    if let Some(ct) = ct {
        req = req.header("content-type", ct);
    }
    let resp = router(state.clone())
        .oneshot(req.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    if status != StatusCode::OK {
        assert_eq!(resp.headers()["content-type"], "application/problem+json");
    }
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let v = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes)));
    (status, v)
}

async fn infer(state: &AppState, id: &AssetId, payment: Option<Value>) -> (StatusCode, Value) {
    let mut body: Value = serde_json::from_str(INPUT).unwrap();
    if let Some(p) = payment {
        body["payment"] = p;
    }
    call(
        state,
        &format!("/api/v1/assets/{id}/infer"),
        Some("application/json"),
        serde_json::to_vec(&body).unwrap(),
    )
    .await
}

/// POST a JSON body.
async fn post(state: &AppState, uri: &str, body: &Value) -> (StatusCode, Value) {
    call(
        state,
        uri,
        Some("application/json"),
        serde_json::to_vec(body).unwrap(),
    )
    .await
}

/// `n` calls with one payment at once; their answers.
async fn concurrently(
    state: &AppState,
    id: AssetId,
    pay: &Value,
    n: usize,
) -> Vec<(StatusCode, Value)> {
    let calls: Vec<_> = (0..n)
        .map(|_| {
            let (state, pay) = (state.clone(), pay.clone());
            tokio::spawn(async move { infer(&state, &id, Some(pay)).await })
        })
        .collect();
    let mut out = Vec::new();
    for c in calls {
        out.push(c.await.unwrap());
    }
    out
}

/// A tensor with its values back at float32.
type Narrow = (Option<String>, Vec<usize>, String, Vec<f32>);

fn says(v: &Value, what: &str) {
    assert!(
        v["detail"].as_str().unwrap().contains(what),
        "expected '{what}' in {v}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paid_inference_end_to_end() {
    let mut w = world();
    let state = w.state(0, "g.redb");
    let id = w.model;

    // No payment: 402 with a complete quote.
    let (st, q) = infer(&state, &id, None).await;
    assert_eq!(st, StatusCode::PAYMENT_REQUIRED, "{q}");
    let vault = w.index.asset(&id).unwrap().unwrap().vault.unwrap();
    let addr = bitcoin::Address::from_script(&vault, Chain::Devnet.network()).unwrap();
    assert_eq!(q["payment"]["address"], addr.to_string());
    assert_eq!(q["payment"]["amount"], PRICE);
    assert_eq!(q["payment"]["min_confirmations"], 0);
    let token = q["payment"]["token"].as_str().unwrap().to_owned();
    let memo = q["payment"]["memo_script"].as_str().unwrap().to_owned();
    assert!(
        memo.starts_with("6a14424d4931"),
        "OP_RETURN push of BMI1…: {memo}"
    );

    // Paid (in the mempool): the outputs are tract's, called directly.
    let txid = w.pay(PRICE, Some(&memo));
    let pay = json!({"txid": txid.to_string(), "token": token});
    let (st, v) = infer(&state, &id, Some(pay.clone())).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let input: Value = serde_json::from_str(INPUT).unwrap();
    let tensors: Vec<Tensor> = serde_json::from_value(input["inputs"].clone()).unwrap();
    let direct = Model::load(MODEL).unwrap().run(&tensors).unwrap();
    let got: Vec<Tensor> = serde_json::from_value(v["outputs"].clone()).unwrap();
    // Values are float32 on both sides; JSON carries them as decimals of their f64 widening.
    let as_f32 = |t: &[Tensor]| -> Vec<Narrow> {
        t.iter()
            .map(|t| {
                (
                    t.name.clone(),
                    t.shape.clone(),
                    t.dtype.clone(),
                    t.data.iter().map(|v| *v as f32).collect(),
                )
            })
            .collect()
    };
    assert_eq!(as_f32(&got), as_f32(&direct));
    assert_eq!(got[1].data, vec![7.0], "the sample is a 7");
    assert_eq!(v["payment"]["paid"], PRICE);
    assert_eq!(v["payment"]["confirmations"], 0);
    assert_eq!(
        (
            v["payment"]["calls_bought"].as_u64(),
            v["payment"]["calls_left"].as_u64()
        ),
        (Some(1), Some(0))
    );

    // The same payment again: 402 naming the replay, with a fresh quote.
    let (st, v) = infer(&state, &id, Some(pay.clone())).await;
    assert_eq!(st, StatusCode::PAYMENT_REQUIRED);
    says(&v, "bought 1 call(s)");
    assert_eq!(v["calls_left"], 0);
    assert_ne!(v["payment"]["token"], token.as_str());
    // …and still after a restart of the gateway (the ledger is on disk).
    drop(state);
    let state = w.state(0, "g.redb");
    let (st, v) = infer(&state, &id, Some(pay)).await;
    assert_eq!(st, StatusCode::PAYMENT_REQUIRED);
    says(&v, "bought 1 call(s)");
    assert_eq!(v["calls_left"], 0);

    // Too small, no memo, another token's memo, unknown txid.
    let (_, q) = infer(&state, &id, None).await;
    let (tok, memo) = (
        q["payment"]["token"].as_str().unwrap().to_owned(),
        q["payment"]["memo_script"].as_str().unwrap().to_owned(),
    );
    let small = w.pay(PRICE - 1, Some(&memo));
    let (st, v) = infer(
        &state,
        &id,
        Some(json!({"txid": small.to_string(), "token": tok})),
    )
    .await;
    assert_eq!(st, StatusCode::PAYMENT_REQUIRED);
    says(
        &v,
        &format!(
            "pays {} sats to the vault; the price is {PRICE} sats",
            PRICE - 1
        ),
    );
    let bare = w.pay(PRICE, None);
    let (st, v) = infer(
        &state,
        &id,
        Some(json!({"txid": bare.to_string(), "token": tok})),
    )
    .await;
    assert_eq!(st, StatusCode::PAYMENT_REQUIRED);
    says(&v, "no OP_RETURN memo");
    let (_, q2) = infer(&state, &id, None).await;
    let paid_for_other = w.pay(PRICE, Some(q2["payment"]["memo_script"].as_str().unwrap()));
    let (st, v) = infer(
        &state,
        &id,
        Some(json!({"txid": paid_for_other.to_string(), "token": tok})),
    )
    .await;
    assert_eq!(
        st,
        StatusCode::PAYMENT_REQUIRED,
        "a copied txid is useless without its token"
    );
    says(&v, "no OP_RETURN memo");
    let (st, v) = infer(
        &state,
        &id,
        Some(json!({"txid": "11".repeat(32), "token": tok})),
    )
    .await;
    assert_eq!(st, StatusCode::PAYMENT_REQUIRED);
    says(&v, "knows no transaction");
    let (st, v) = infer(&state, &id, Some(json!({"txid": "zz", "token": tok}))).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    says(&v, "not a txid");
    let (st, v) = infer(
        &state,
        &id,
        Some(json!({"txid": small.to_string(), "token": "short"})),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    says(&v, "32 hex characters");
    // The owner of that foreign-memo payment still has it.
    let (st, v) = infer(
        &state,
        &id,
        Some(json!({"txid": paid_for_other.to_string(), "token": q2["payment"]["token"]})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");

    // Inputs the model refuses: 422, and the payment stays usable.
    let (_, q) = infer(&state, &id, None).await;
    let tok = q["payment"]["token"].as_str().unwrap().to_owned();
    let good = w.pay(
        PRICE + 100,
        Some(q["payment"]["memo_script"].as_str().unwrap()),
    );
    let bad = json!({"inputs": [{"shape": [1, 63], "data": vec![0.0; 63]}], "payment": {"txid": good.to_string(), "token": tok}});
    let (st, v) = call(
        &state,
        &format!("/api/v1/assets/{id}/infer"),
        Some("application/json"),
        serde_json::to_vec(&bad).unwrap(),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    says(&v, "can be presented again");
    let wrong_len = json!({"inputs": [{"shape": [1, 64], "data": [1.0]}], "payment": {"txid": good.to_string(), "token": tok}});
    let (st, v) = call(
        &state,
        &format!("/api/v1/assets/{id}/infer"),
        Some("application/json"),
        serde_json::to_vec(&wrong_len).unwrap(),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    says(&v, "holds 64 values but 1 were given");
    let (st, v) = infer(
        &state,
        &id,
        Some(json!({"txid": good.to_string(), "token": tok})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["payment"]["paid"], PRICE + 100);
    assert_eq!(state.gateway.as_ref().unwrap().ledger.count().unwrap(), 3);

    // With confirmations required, a mempool payment waits for its block.
    let strict = w.state(1, "strict.redb");
    let (_, q) = infer(&strict, &id, None).await;
    assert_eq!(q["payment"]["min_confirmations"], 1);
    let tok = q["payment"]["token"].as_str().unwrap().to_owned();
    let txid = w.pay(PRICE, Some(q["payment"]["memo_script"].as_str().unwrap()));
    let pay = json!({"txid": txid.to_string(), "token": tok});
    let (st, v) = infer(&strict, &id, Some(pay.clone())).await;
    assert_eq!(st, StatusCode::PAYMENT_REQUIRED);
    says(&v, "has 0 confirmation(s); this server needs 1");
    w.dn.mine(1).unwrap();
    let (st, v) = infer(&strict, &id, Some(pay)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["payment"]["confirmations"], 1);

    // A node without -txindex finds confirmed transactions only in a named block: the
    // gateway names the one the index saw the payment in.
    sync(&w.index, &w.client, 0, |_, _| {}).unwrap();
    let gw = Gateway::open(
        &w.dir.path().join("plain.redb"),
        Box::new(NoTxindex(w.dn.client().unwrap())),
        1,
    )
    .unwrap();
    let plain =
        AppState::new(w.index.clone(), w.client.verify(Chain::Devnet).unwrap()).with_gateway(gw);
    let (_, q) = infer(&plain, &id, None).await;
    let tok = q["payment"]["token"].as_str().unwrap().to_owned();
    let txid = w.pay(PRICE, Some(q["payment"]["memo_script"].as_str().unwrap()));
    w.dn.mine(1).unwrap();
    let pay = json!({"txid": txid.to_string(), "token": tok});
    let (st, v) = infer(&plain, &id, Some(pay.clone())).await;
    assert_eq!(st, StatusCode::PAYMENT_REQUIRED, "not indexed yet: {v}");
    says(&v, "knows no transaction");
    sync(&w.index, &w.client, 0, |_, _| {}).unwrap();
    let (st, v) = infer(&plain, &id, Some(pay)).await;
    assert_eq!(st, StatusCode::OK, "{v}");

    // Every sat paid sits in the vault once indexed: 5 accepted calls and 2 refused payments.
    sync(&w.index, &w.client, 0, |_, _| {}).unwrap();
    let stats = w.index.stats(&id).unwrap().unwrap();
    assert_eq!(stats.payments_in, 7 * PRICE - 1 + 100);
    assert_eq!(stats.payments, 7);

    // Assets that cannot be sold: no price, not a model, unknown.
    let (st, v) = infer(&state, &w.unpriced, None).await;
    assert_eq!(st, StatusCode::CONFLICT);
    says(&v, "has no price");
    let (st, v) = infer(&state, &w.not_a_model, None).await;
    assert_eq!(st, StatusCode::CONFLICT);
    says(&v, "cannot be served");
    let unknown = AssetId::new(bitcoin::Txid::all_zeros(), 0);
    let (st, _) = infer(&state, &unknown, None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, v) = infer(&state, &id, None).await;
    assert_eq!(st, StatusCode::PAYMENT_REQUIRED, "{v}");
    let (st, v) = call(
        &state,
        "/api/v1/assets/nonsense/infer",
        Some("application/json"),
        b"{\"inputs\":[]}".to_vec(),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    says(&v, "i");

    // Inference off: 503 that says so.
    let off = AppState::new(w.index.clone(), w.client.verify(Chain::Devnet).unwrap());
    let (st, v) = infer(&off, &id, None).await;
    assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE);
    says(&v, "not enabled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_types_dead_node_and_cors() {
    let w = world();
    let state = w.state(0, "g.redb");
    let uri = format!("/api/v1/assets/{}/infer", w.model);

    let (st, v) = call(&state, &uri, None, INPUT.as_bytes().to_vec()).await;
    assert_eq!(st, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    says(&v, "application/json");
    let (st, _) = call(&state, &uri, Some("text/plain"), INPUT.as_bytes().to_vec()).await;
    assert_eq!(st, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (st, v) = call(
        &state,
        &uri,
        Some("application/json"),
        b"{\"inputs\": [".to_vec(),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    says(&v, "not valid JSON");
    let (st, v) = call(
        &state,
        &uri,
        Some("application/json"),
        b"{\"inputs\": [], \"tip\": 5}".to_vec(),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    says(&v, "unknown field `tip`");
    let mut huge = b"{\"inputs\":[{\"shape\":[1],\"data\":[".to_vec();
    huge.extend(std::iter::repeat_n(b'0', 9 * 1024 * 1024));
    huge.extend(b"]}]}");
    let (st, v) = call(&state, &uri, Some("application/json"), huge).await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE);
    says(&v, "over 8388608 bytes");
    let resp = router(state.clone())
        .oneshot(Request::delete(&uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);

    // A dead node: the quote still comes (it needs only the index), checking a payment is 503.
    let dead = Client::new("http://127.0.0.1:1", Auth::None)
        .unwrap()
        .with_retries(0, std::time::Duration::from_millis(1));
    let gw = Gateway::open(&w.dir.path().join("dead.redb"), Box::new(dead), 0).unwrap();
    let down =
        AppState::new(w.index.clone(), w.client.verify(Chain::Devnet).unwrap()).with_gateway(gw);
    let (st, q) = infer(&down, &w.model, None).await;
    assert_eq!(st, StatusCode::PAYMENT_REQUIRED);
    let pay = json!({"txid": "22".repeat(32), "token": q["payment"]["token"]});
    let (st, v) = infer(&down, &w.model, Some(pay)).await;
    assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE);
    says(&v, "the node did not answer");

    // CORS: off by default; an allowed origin gets the headers, another does not.
    let preflight = |state: AppState, origin: &'static str| async move {
        router(state)
            .oneshot(
                Request::options("/api/v1/status")
                    .header("origin", origin)
                    .header("access-control-request-method", "GET")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap()
    };
    let r = preflight(state.clone(), "https://example.org").await;
    assert!(r.headers().get("access-control-allow-origin").is_none());
    let cors: Cors = "https://example.org, http://localhost:3000"
        .parse()
        .unwrap();
    let open = state.clone().with_cors(cors);
    let r = preflight(open.clone(), "https://example.org").await;
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://example.org"
    );
    let r = preflight(open, "https://evil.example").await;
    assert!(r.headers().get("access-control-allow-origin").is_none());
    let any = state.with_cors("*".parse().unwrap());
    let r = preflight(any, "https://anything.example").await;
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    let e = "example.org".parse::<Cors>().unwrap_err();
    assert!(e.contains("http(s)://host[:port]"), "{e}");
    assert_eq!("off".parse::<Cors>().unwrap(), Cors::Off);
}

/// The gateway's attack suite: one payment, many concurrent calls; a replaceable payment
/// at 0 confirmations; a busy server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_payment_runs_the_model_once_and_replaceable_payments_wait() {
    let mut w = world();
    let state = w.state(0, "attacks.redb");
    let gw = state.gateway.clone().unwrap();
    let id = w.model;

    // Quotes load no model: only a paid call does.
    let (_, q) = infer(&state, &id, None).await;
    assert_eq!(gw.models.loaded_bytes(), 0, "unpaid calls load nothing");
    // Eight concurrent calls with one payment: one answer, the model ran once.
    let tok = q["payment"]["token"].as_str().unwrap().to_owned();
    let txid = w.pay(PRICE, Some(q["payment"]["memo_script"].as_str().unwrap()));
    let pay = json!({"txid": txid.to_string(), "token": tok});
    let before = gw.runs_started.load(std::sync::atomic::Ordering::SeqCst);
    let mut ok = 0;
    for (st, v) in concurrently(&state, id, &pay, 8).await {
        match st {
            StatusCode::OK => ok += 1,
            StatusCode::PAYMENT_REQUIRED | StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("{other}: {v}"),
        }
    }
    assert_eq!(ok, 1, "one payment, one answer");
    assert!(
        gw.models.loaded_bytes() > 0,
        "the paid call loaded the model"
    );
    assert_eq!(
        gw.runs_started.load(std::sync::atomic::Ordering::SeqCst) - before,
        1,
        "one payment, one run"
    );

    // A BIP125-signalling payment could be replaced after the answer: refused unconfirmed…
    let (_, q) = infer(&state, &id, None).await;
    let tok = q["payment"]["token"].as_str().unwrap().to_owned();
    let rbf = w.pay_with(
        PRICE,
        Some(q["payment"]["memo_script"].as_str().unwrap()),
        true,
    );
    let pay = json!({"txid": rbf.to_string(), "token": tok});
    let (st, v) = infer(&state, &id, Some(pay.clone())).await;
    assert_eq!(st, StatusCode::PAYMENT_REQUIRED, "{v}");
    says(&v, "signals replacement (BIP125)");
    // …and accepted once mined.
    w.dn.mine(1).unwrap();
    let (st, v) = infer(&state, &id, Some(pay)).await;
    assert_eq!(st, StatusCode::OK, "{v}");

    // Every run slot taken: 429 with Retry-After, and the payment stays usable.
    let (_, q) = infer(&state, &id, None).await;
    let tok = q["payment"]["token"].as_str().unwrap().to_owned();
    let txid = w.pay(PRICE, Some(q["payment"]["memo_script"].as_str().unwrap()));
    let pay = json!({"txid": txid.to_string(), "token": tok});
    let held = gw
        .permits
        .clone()
        .acquire_many_owned(gw.max_runs as u32)
        .await
        .unwrap();
    let mut body: Value = serde_json::from_str(INPUT).unwrap();
    body["payment"] = pay.clone();
    let resp = router(state.clone())
        .oneshot(
            Request::post(format!("/api/v1/assets/{id}/infer"))
                .header("content-type", "application/json")
                .body(Body::from(serde_json::to_vec(&body).unwrap()))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(resp.headers()["retry-after"], "1");
    drop(held);
    let (st, v) = infer(&state, &id, Some(pay)).await;
    assert_eq!(st, StatusCode::OK, "the payment was kept: {v}");
}

/// Prepaid inference: one payment of n × the price buys n calls with one token; concurrent
/// calls never run more often than it bought; the count survives a restart; a quote for n
/// calls asks for n × the price; refused inputs give the call back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prepaid_payment_buys_exactly_its_calls() {
    let mut w = world();
    let state = w.state(0, "prepaid.redb");
    let id = w.model;
    let mut ask: Value = serde_json::from_str(INPUT).unwrap();
    ask["calls"] = json!(5);
    let uri = format!("/api/v1/assets/{id}/infer");
    let (st, q) = post(&state, &uri, &ask).await;
    assert_eq!(st, StatusCode::PAYMENT_REQUIRED, "{q}");
    assert_eq!(q["payment"]["amount"], 5 * PRICE);
    assert_eq!(q["payment"]["calls"], 5);
    assert_eq!(q["payment"]["price_per_call"], PRICE);
    for bad in [json!(0), json!(10_001)] {
        ask["calls"] = bad;
        let (st, v) = post(&state, &uri, &ask).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
        says(&v, "one payment buys 1 to");
    }
    let tok = q["payment"]["token"].as_str().unwrap().to_owned();
    // 5 × price and a little more: five calls; the rest flows up C-Flow with the payment.
    let txid = w.pay(
        5 * PRICE + 77,
        Some(q["payment"]["memo_script"].as_str().unwrap()),
    );
    let pay = json!({"txid": txid.to_string(), "token": tok});
    // One refused input gives its call back.
    let bad = json!({"inputs": [{"shape": [1, 63], "data": vec![0.0; 63]}], "payment": pay});
    let (st, v) = post(&state, &uri, &bad).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["calls_left"], 5);
    let (st, v) = infer(&state, &id, Some(pay.clone())).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["payment"]["calls_bought"], 5);
    assert_eq!(v["payment"]["calls_left"], 4);
    // Eight concurrent calls for the four left: exactly four run.
    let gw = state.gateway.clone().unwrap();
    let before = gw.runs_started.load(std::sync::atomic::Ordering::SeqCst);
    let mut ok = 0;
    let mut busy = 0;
    for (st, v) in concurrently(&state, id, &pay, 8).await {
        match st {
            StatusCode::OK => ok += 1,
            StatusCode::TOO_MANY_REQUESTS => busy += 1,
            StatusCode::PAYMENT_REQUIRED => {}
            other => panic!("{other}: {v}"),
        }
    }
    let ran = gw.runs_started.load(std::sync::atomic::Ordering::SeqCst) - before;
    assert_eq!(ran, ok, "every run answered");
    assert!(ok <= 4, "never more runs than were bought: {ok}");
    // Whatever the busy server turned away is still there; use it up.
    let mut left = 4 - ok;
    assert!(busy >= left as i32 || left == 0, "{busy} busy, {left} left");
    while left > 0 {
        let (st, v) = infer(&state, &id, Some(pay.clone())).await;
        if st == StatusCode::TOO_MANY_REQUESTS {
            continue;
        }
        assert_eq!(st, StatusCode::OK, "{v}");
        left -= 1;
        assert_eq!(v["payment"]["calls_left"], left);
    }
    let (st, v) = infer(&state, &id, Some(pay.clone())).await;
    assert_eq!(st, StatusCode::PAYMENT_REQUIRED);
    says(&v, "bought 5 call(s)");
    // After a restart too.
    drop((state, gw));
    let state = w.state(0, "prepaid.redb");
    let (st, v) = infer(&state, &id, Some(pay)).await;
    assert_eq!(st, StatusCode::PAYMENT_REQUIRED);
    says(&v, "and all were used");
}

/// Only blocks on the node's active chain count: a payment looked up in a block that a
/// reorganisation left behind is not confirmed there (a stale block reports 0 confirmations,
/// and the caller chooses `payment.block`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_in_a_stale_block_does_not_count() {
    let mut w = world();
    let state = w.state(0, "stale.redb");
    let id = w.model;
    let (_, q) = infer(&state, &id, None).await;
    let tok = q["payment"]["token"].as_str().unwrap().to_owned();
    let txid = w.pay(PRICE, Some(q["payment"]["memo_script"].as_str().unwrap()));
    let block = w.dn.mine(1).unwrap()[0];
    w.client
        .call_value("invalidateblock", json!([block.to_string()]))
        .unwrap();
    let pay = json!({"txid": txid.to_string(), "token": tok, "block": block.to_string()});
    let (st, v) = infer(&state, &id, Some(pay)).await;
    assert_eq!(st, StatusCode::PAYMENT_REQUIRED, "{v}");
    says(&v, "on its active chain");
}
