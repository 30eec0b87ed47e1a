//! Every route against an index of a real devnet chain: a lineage with an on-chain file, a
//! payment and a distribution; bad ids, bad pagination, unknown routes, ETags; and the
//! server bound on 127.0.0.1:0, answering a real HTTP request and shutting down cleanly.

mod common;

use std::io::{Read, Write};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use bitcoin::hashes::Hash;
use bitcoin::{Amount, OutPoint, ScriptBuf, WPubkeyHash};
use bitmodel_covenant::spend::build_distribute_at_rate;
use bitmodel_covenant::Utxo;
use bitmodel_devnet::Devnet;
use bitmodel_index::sync::sync;
use bitmodel_index::Index;
use bitmodel_protocol::{AssetId, Chain, Record, Relation};
use bitmodel_server::{router, AppState};
use bitmodel_testkit::fixture;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

fn record(name: &str, n: u8, parents: &[(AssetId, u16)], content: Option<&[u8]>) -> Record {
    Record {
        content: content.map(|c| fixture::content(c, None)),
        parents: fixture::parents(parents, Relation::Finetune),
        ..fixture::record(name, fixture::owner(n), 20_000)
    }
}

fn register(dn: &Devnet, r: &Record, body: Vec<u8>) -> AssetId {
    bitmodel_testkit::assets::register(dn, r, "application/octet-stream", body)
}

struct World {
    _dn: Devnet,
    state: AppState,
    base: AssetId,
    ft: AssetId,
    file: Vec<u8>,
    dist: bitcoin::Txid,
}

fn world() -> World {
    let dn = Devnet::spawn().unwrap();
    let file: Vec<u8> = (0..5_000u32).map(|i| (i % 251) as u8).collect();
    let base = register(
        &dn,
        &record("base-model", 1, &[], Some(&file)),
        file.clone(),
    );
    let ft = register(
        &dn,
        &record("fine-tune", 2, &[(base, 2500)], None),
        b"card".to_vec(),
    );
    let client = dn.client().unwrap();
    let dir = std::env::temp_dir().join(format!(
        "bitmodel-server-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let index = Index::open(&dir.join("i.redb"), Chain::Devnet).unwrap();
    sync(&index, &client, 0, |_, _| {}).unwrap();
    let vault = index.vault(&ft).unwrap().expect("a vault");
    let op: OutPoint = dn
        .fund(vault.script_pubkey(), Amount::from_sat(1_000_000))
        .unwrap();
    let d = build_distribute_at_rate(
        &vault,
        Utxo {
            outpoint: op,
            amount: 1_000_000,
        },
        1,
    )
    .unwrap()
    .tx;
    let dist = dn.submit(d).unwrap();
    dn.mine(1).unwrap();
    sync(&index, &client, 0, |_, _| {}).unwrap();
    World {
        _dn: dn,
        state: AppState::new(Arc::new(index), client.verify(Chain::Devnet).unwrap()),
        base,
        ft,
        file,
        dist,
    }
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

async fn get(
    w: &World,
    uri: &str,
    etag: Option<&str>,
) -> (StatusCode, Vec<u8>, axum::http::HeaderMap) {
    let mut req = Request::get(uri);
    if let Some(e) = etag {
        req = req.header("if-none-match", e);
    }
    let resp = router(w.state.clone())
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    (
        status,
        resp.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
        headers,
    )
}

async fn json(w: &World, uri: &str) -> Value {
    let (status, body, _) = get(w, uri, None).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{uri}: {}",
        String::from_utf8_lossy(&body)
    );
    serde_json::from_slice(&body).unwrap()
}

async fn problem(w: &World, uri: &str, status: StatusCode, says: &str) {
    let (got, body, headers) = get(w, uri, None).await;
    assert_eq!(got, status, "{uri}");
    assert_eq!(headers["content-type"], "application/problem+json", "{uri}");
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["status"], status.as_u16());
    assert!(v["detail"].as_str().unwrap().contains(says), "{uri}: {v}");
}

#[tokio::test]
async fn every_route() {
    let w = tokio::task::spawn_blocking(world).await.unwrap();
    let status = json(&w, "/api/v1/status").await;
    assert_eq!(status["books"]["balanced"], true);
    assert_eq!(status["assets"], 2);

    let list = json(&w, "/api/v1/assets?limit=1").await;
    assert_eq!(
        (
            list["total"].as_u64(),
            list["items"].as_array().unwrap().len()
        ),
        (Some(2), 1)
    );
    assert_eq!(
        json(&w, "/api/v1/assets?q=FINE").await["items"][0]["id"],
        w.ft.to_string()
    );
    problem(
        &w,
        "/api/v1/assets?limit=0",
        StatusCode::BAD_REQUEST,
        "limit must be 1..=200",
    )
    .await;
    problem(
        &w,
        "/api/v1/assets?limit=5000",
        StatusCode::BAD_REQUEST,
        "limit must be",
    )
    .await;
    problem(
        &w,
        "/api/v1/assets?offset=-1",
        StatusCode::BAD_REQUEST,
        "bad query",
    )
    .await;

    let uri = format!("/api/v1/assets/{}", w.ft);
    let (st, _, headers) = get(&w, &uri, None).await;
    assert_eq!(st, StatusCode::OK);
    let etag = headers["etag"].to_str().unwrap().to_string();
    assert_eq!(get(&w, &uri, Some(&etag)).await.0, StatusCode::NOT_MODIFIED);
    let one = json(&w, &uri).await;
    assert_eq!(one["stats"]["distributions"], 1);
    // A payment changes the asset's money figures: the tag a client holds no longer
    // matches, and the fresh body says so.
    let client = w._dn.client().unwrap();
    let vault = w
        .state
        .index
        .vault(&w.ft)
        .unwrap()
        .unwrap()
        .script_pubkey()
        .clone();
    w._dn.fund(&vault, Amount::from_sat(7_000)).unwrap();
    let index = w.state.index.clone();
    tokio::task::spawn_blocking(move || {
        sync(&index, &client, 0, |_, _| {}).unwrap();
    })
    .await
    .unwrap();
    let (st, _, fresh) = get(&w, &uri, Some(&etag)).await;
    assert_eq!(st, StatusCode::OK, "a stale tag gets the new figures");
    assert_ne!(fresh["etag"], headers["etag"]);
    assert_eq!(json(&w, &uri).await["stats"]["payments_in"], 1_007_000);
    problem(
        &w,
        "/api/v1/assets/nonsense",
        StatusCode::BAD_REQUEST,
        "no 'i' separator",
    )
    .await;
    problem(
        &w,
        &format!("/api/v1/assets/{}i0", "ab".repeat(32)),
        StatusCode::NOT_FOUND,
        "unknown asset",
    )
    .await;

    let lineage = json(&w, &format!("/api/v1/assets/{}/lineage", w.ft)).await;
    let shares: Vec<u64> = lineage["ancestors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["effective_share_ppm"].as_u64().unwrap())
        .collect();
    assert_eq!(shares, vec![750_000, 250_000]);
    assert_eq!(
        json(&w, &format!("/api/v1/assets/{}/lineage", w.base)).await["descendants"][0]["id"],
        w.ft.to_string()
    );

    let vault = json(&w, &format!("/api/v1/assets/{}/vault", w.base)).await;
    assert_eq!(
        vault["balance"].as_u64().unwrap(),
        vault["utxos"][0]["amount"].as_u64().unwrap()
    );
    assert!(vault["vault"].as_str().unwrap().starts_with("bcrt1p"));

    let flows = json(&w, &format!("/api/v1/assets/{}/flows", w.ft)).await;
    assert!(
        flows["flows"].as_array().unwrap().len() >= 3,
        "registered, paid, distributed: {flows}"
    );
    let tx = json(&w, &format!("/api/v1/tx/{}", w.dist)).await;
    assert_eq!(tx["events"][0]["kind"], "distribution");
    problem(&w, "/api/v1/tx/zz", StatusCode::BAD_REQUEST, "not a txid").await;

    let owner = ScriptBuf::new_p2wpkh(&WPubkeyHash::from_byte_array([2; 20]));
    let addr = bitcoin::Address::from_script(&owner, bitcoin::Network::Regtest).unwrap();
    assert!(
        json(&w, &format!("/api/v1/earnings/{addr}")).await["total"]
            .as_u64()
            .unwrap()
            > 0
    );
    problem(
        &w,
        "/api/v1/earnings/bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
        StatusCode::BAD_REQUEST,
        "another network",
    )
    .await;

    let (st, body, headers) = get(&w, &format!("/api/v1/assets/{}/content", w.base), None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(body, w.file);
    // Inscribed content is served as hostile: sandboxed, never sniffed.
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.starts_with("sandbox;") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    assert!(!csp.contains("allow-scripts"), "{csp}");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let (_, _, page) = get(&w, &format!("/asset/{}", w.base), None).await;
    let csp = page["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(page["x-content-type-options"], "nosniff");
    assert_eq!(
        get(
            &w,
            &format!("/api/v1/assets/{}/content", w.base),
            Some(headers["etag"].to_str().unwrap())
        )
        .await
        .0,
        StatusCode::NOT_MODIFIED
    );
    problem(
        &w,
        &format!("/api/v1/assets/{}/content", w.ft),
        StatusCode::NOT_FOUND,
        "no on-chain content",
    )
    .await;

    let doc = json(&w, "/api/v1/openapi.json").await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"].as_object().unwrap().len() >= 9);
    problem(&w, "/api/v2/nothing", StatusCode::NOT_FOUND, "openapi.json").await;
}

#[tokio::test]
async fn serves_on_loopback_and_stops() {
    let w = tokio::task::spawn_blocking(world).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(bitmodel_server::serve(listener, w.state.clone(), async {
        let _ = stopped.await;
    }));
    let reply = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.write_all(b"GET /api/v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    })
    .await
    .unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.contains("\"balanced\":true"));
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn explorer_pages() {
    let w = tokio::task::spawn_blocking(world).await.unwrap();
    let (st, body, headers) = get(&w, "/", None).await;
    assert_eq!(st, StatusCode::OK);
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = String::from_utf8(body).unwrap();
    assert!(
        html.contains("base-model") && html.contains("fine-tune"),
        "{html}"
    );
    assert!(html.contains("name=viewport"), "phone-width ready");
    let (_, body, _) = get(&w, "/?q=fine", None).await;
    let html = String::from_utf8(body).unwrap();
    assert!(
        html.contains("fine-tune") && !html.contains(">base-model<"),
        "{html}"
    );

    let (st, body, _) = get(&w, &format!("/asset/{}", w.ft), None).await;
    assert_eq!(st, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("<svg"), "{html}");
    assert_eq!(
        html.matches("<g class=node>").count(),
        2,
        "two nodes: the fine-tune and its base"
    );
    assert_eq!(html.matches("<g class=edge>").count(), 1, "one edge");
    assert!(html.contains("25.00%"), "edge labelled with its weight");
    assert!(
        html.contains("75.0000% of each payment") && html.contains("25.0000% of each payment"),
        "effective shares"
    );
    assert!(
        html.contains(&format!("href=\"/asset/{}\"", w.base)),
        "nodes link to their pages"
    );
    problem(
        &w,
        "/asset/nonsense",
        StatusCode::BAD_REQUEST,
        "no 'i' separator",
    )
    .await;
}

#[tokio::test]
async fn payment_page_draws_the_flow() {
    let w = tokio::task::spawn_blocking(world).await.unwrap();
    let flows = json(&w, &format!("/api/v1/assets/{}/flows", w.ft)).await;
    let payment = flows["flows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["event"]["kind"] == "payment")
        .unwrap()["txid"]
        .as_str()
        .unwrap()
        .to_string();
    let (st, body, _) = get(&w, &format!("/tx/{payment}"), None).await;
    assert_eq!(st, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("class=sankey"), "{html}");
    assert_eq!(
        html.matches("<g class=flow>").count(),
        1,
        "one band: fine-tune → base"
    );
    // The page shows what the chain recorded: the distribution that carried the payment,
    // with its fee, not a hypothetical split.
    let dist = json(&w, &format!("/api/v1/tx/{}", w.dist)).await;
    let d = dist["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "distribution")
        .unwrap();
    let (to_base, to_owner, fee) = (
        d["to_parents"][0][1].as_u64().unwrap(),
        d["to_owner"].as_u64().unwrap(),
        d["fee"].as_u64().unwrap(),
    );
    assert_eq!(to_base + to_owner + fee, 1_000_000);
    let sep = common::thousands;
    assert!(
        html.contains(&format!("<title>{} sats</title>", sep(to_base))),
        "the band carries what the distribution paid the base: {html}"
    );
    assert!(html.contains(&format!("keeps {} of 1,000,000 sats", sep(to_owner))));
    assert!(
        html.contains(&format!("/tx/{}", w.dist)),
        "the distribution is linked"
    );
    let tx = json(&w, &format!("/api/v1/tx/{payment}")).await;
    let p = &tx["payments"][0];
    assert_eq!(p["to_owners_total"].as_u64().unwrap(), to_owner);
    assert_eq!(p["fees"].as_u64().unwrap(), fee);
    assert_eq!(p["waiting_total"].as_u64().unwrap(), to_base);
    // The distribution's own page lists what it did.
    let (st, body, _) = get(&w, &format!("/tx/{}", w.dist), None).await;
    assert_eq!(st, StatusCode::OK);
    assert!(String::from_utf8(body)
        .unwrap()
        .contains("distribution of 1,000,000 sats"));
    problem(
        &w,
        &format!("/tx/{}", "ab".repeat(32)),
        StatusCode::NOT_FOUND,
        "did nothing Bitmodel indexes",
    )
    .await;
}

#[tokio::test]
async fn dead_node_is_a_503_with_the_reason_and_recovers() {
    let w = tokio::task::spawn_blocking(world).await.unwrap();
    w.state.set_node_down(Some("connection refused".into()));
    problem(
        &w,
        "/api/v1/status",
        StatusCode::SERVICE_UNAVAILABLE,
        "connection refused",
    )
    .await;
    // Indexed data is still served meanwhile.
    json(&w, &format!("/api/v1/assets/{}", w.ft)).await;
    w.state.set_node_down(None);
    json(&w, "/api/v1/status").await;
}

#[tokio::test]
async fn contributor_page_and_earnings_history() {
    let w = tokio::task::spawn_blocking(world).await.unwrap();
    let owner = ScriptBuf::new_p2wpkh(&WPubkeyHash::from_byte_array([2; 20]));
    let addr = bitcoin::Address::from_script(&owner, bitcoin::Network::Regtest).unwrap();
    let e = json(&w, &format!("/api/v1/earnings/{addr}")).await;
    let history = e["history"].as_array().unwrap();
    assert_eq!(history.len(), 1, "one distribution, one block: {e}");
    assert_eq!(history[0]["sats"], e["total"]);
    let (st, body, _) = get(&w, &format!("/earnings/{addr}"), None).await;
    assert_eq!(st, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    assert!(
        html.contains("class=earnings") && html.contains("<polyline"),
        "{html}"
    );
    let total = e["total"].as_u64().unwrap();
    assert!(
        total > 740_000 && total < 750_000,
        "the fine-tune's owner kept 75% less the fee: {total}"
    );
    let shown = format!("{},{:03}", total / 1000, total % 1000);
    assert!(html.contains(&shown), "{html}");
}
