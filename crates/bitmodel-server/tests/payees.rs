//! Payees (record format v3) in the API and the explorer: a fine-tune that pays its base
//! model's vault and two people directly. The lineage API lists the payees as leaves with
//! their effective shares; the asset page names them and draws them in the lineage; a
//! payment's trace and page show what each payee got, and paid = owners + payees + fees +
//! waiting, to the sat.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use bitcoin::hashes::Hash;
use bitcoin::{Amount, Network, ScriptBuf, WPubkeyHash};
use bitmodel_covenant::spend::{build_distribute_at_rate, recommended_fee_cap};
use bitmodel_devnet::Devnet;
use bitmodel_index::sync::sync;
use bitmodel_protocol::{AssetId, Kind, Parent, Payee, Record, Relation};
use bitmodel_server::router;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

fn record(name: &str, n: u8, parents: Vec<Parent>, payees: Vec<Payee>) -> Record {
    Record {
        kind: Kind::Model,
        name: name.into(),
        version: "1".into(),
        license: "MIT".into(),
        content: None,
        owner: ScriptBuf::new_p2wpkh(&WPubkeyHash::from_byte_array([n; 20])),
        fee_cap: recommended_fee_cap(parents.len() + payees.len()),
        price: None,
        parents,
        payees,
    }
}

async fn get(state: &bitmodel_server::AppState, uri: &str) -> (StatusCode, String) {
    let resp = router(state.clone())
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payees_are_leaves_in_the_api_and_the_explorer() {
    let dn = Devnet::spawn().unwrap();
    let base = bitmodel_testkit::inscribe::register(
        &dn,
        &record("base", 1, vec![], vec![]),
        "text/plain",
        b"base".to_vec(),
    );
    let author = ScriptBuf::new_p2wpkh(&WPubkeyHash::from_byte_array([0xa1; 20]));
    let contributor = ScriptBuf::new_p2wpkh(&WPubkeyHash::from_byte_array([0xc1; 20]));
    let addr = |s: &ScriptBuf| {
        bitcoin::Address::from_script(s, Network::Regtest)
            .unwrap()
            .to_string()
    };
    let tune = bitmodel_testkit::inscribe::register(
        &dn,
        &record(
            "tune",
            2,
            vec![Parent {
                asset: base,
                weight: 2000,
                relation: Relation::Finetune,
            }],
            vec![
                Payee {
                    script: author.clone(),
                    weight: 300,
                    relation: Relation::Author,
                },
                Payee {
                    script: contributor.clone(),
                    weight: 45,
                    relation: Relation::Contributor,
                },
            ],
        ),
        "text/plain",
        b"tune".to_vec(),
    );
    let (state, _dir) = common::indexed_state(&dn);
    let vault = state.index.vault(&tune).unwrap().unwrap();
    let paid = 1_000_000u64;
    let pay = dn
        .fund(vault.script_pubkey(), Amount::from_sat(paid))
        .unwrap();
    dn.mine(1).unwrap();
    let client = common::client(&dn);
    sync(&state.index, &client, 0, |_, _| {}).unwrap();
    let u = state
        .index
        .vault_status(&tune)
        .unwrap()
        .unwrap()
        .covenant_utxos()[0];
    let d = build_distribute_at_rate(&vault, u, 2).unwrap();
    client.send_raw_transaction(&d.tx).unwrap();
    dn.mine(1).unwrap();
    sync(&state.index, &client, 0, |_, _| {}).unwrap();

    // Lineage API: the payees as leaves, with their exact effective shares (ppm).
    let (st, body) = get(&state, &format!("/api/v1/assets/{tune}/lineage")).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let payees = v["payees"].as_array().unwrap();
    assert_eq!(payees.len(), 2, "{v}");
    assert_eq!(payees[0]["address"], addr(&author));
    assert_eq!(payees[0]["effective_share_ppm"], 30_000);
    assert_eq!(payees[1]["effective_share_ppm"], 4_500);
    assert_eq!(payees[1]["of"], tune.to_string());
    assert_eq!(
        v["ancestors"][0]["effective_share_ppm"], 765_500,
        "the owner keeps the rest"
    );

    // The payment's trace: what each payee got, and the books of the payment.
    let (st, body) = get(&state, &format!("/api/v1/tx/{}", pay.txid)).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let p = &v["payments"][0];
    let fee = paid - d.tx.output.iter().map(|o| o.value.to_sat()).sum::<u64>();
    let s = bitmodel_protocol::split(paid, fee, &[2000, 300, 45]).unwrap();
    assert_eq!(p["to_payees"][author.to_hex_string()], s.parents[1]);
    assert_eq!(p["to_payees"][contributor.to_hex_string()], s.parents[2]);
    assert_eq!(p["to_payees_total"], s.parents[1] + s.parents[2]);
    let sum = |k: &str| p[k].as_u64().unwrap();
    assert_eq!(
        paid,
        sum("to_owners_total") + sum("to_payees_total") + sum("fees") + sum("waiting_total")
    );

    // Pages: the asset names its payees and draws them; the payment page lists them.
    let (st, page) = get(&state, &format!("/asset/{tune}")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        page.contains("<h2>Payees</h2>") && page.contains(&addr(&author)),
        "{page}"
    );
    assert!(page.contains("paid to payees"));
    let (st, page) = get(&state, &format!("/tx/{}", pay.txid)).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("reached payees"), "{page}");
    assert!(
        page.contains(&format!("data-sats=\"{}\"", s.parents[1])),
        "{page}"
    );
    let (st, page) = get(&state, &format!("/tx/{}", d.tx.compute_txid())).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains(&addr(&contributor)), "{page}");
    // The payee's own page: its earnings.
    let (st, page) = get(&state, &format!("/earnings/{}", addr(&author))).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains(&common::thousands(s.parents[1])), "{page}");
    let _: AssetId = tune;
}
