//! Payees (record format v3) in the API and the explorer: a fine-tune that pays its base
//! model's vault and two people directly. The lineage API lists the payees as leaves with
//! their effective shares; the asset page names them and draws them in the lineage; a
//! payment's trace and page show what each payee got, and paid = owners + payees + fees +
//! waiting, to the sat.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use bitcoin::hashes::Hash;
use bitcoin::{Amount, Network, ScriptBuf, Txid, WPubkeyHash};
use bitmodel_covenant::spend::{build_distribute_at_rate, recommended_fee_cap};
use bitmodel_devnet::Devnet;
use bitmodel_index::sync::sync;
use bitmodel_protocol::{AssetId, Parent, Payee, Record, Relation};
use bitmodel_server::router;
use bitmodel_testkit::fixture;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

fn record(name: &str, n: u8, parents: Vec<Parent>, payees: Vec<Payee>) -> Record {
    let cap = recommended_fee_cap(parents.len() + payees.len());
    Record {
        parents,
        payees,
        ..fixture::record(name, fixture::owner(n), cap)
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

/// A devnet with a base model (no parents, no payees) registered on it.
fn devnet_with_base() -> (Devnet, AssetId) {
    let dn = Devnet::spawn().unwrap();
    let base = bitmodel_testkit::assets::register(
        &dn,
        &record("base", 1, vec![], vec![]),
        "text/plain",
        b"base".to_vec(),
    );
    (dn, base)
}

/// The trace of the payment `txid` from the API: the first of its `payments`.
async fn payment_trace(state: &bitmodel_server::AppState, txid: Txid) -> Value {
    let (st, body) = get(state, &format!("/api/v1/tx/{txid}")).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    v["payments"][0].clone()
}

/// The payment's books close: `paid` = owners + payees + fees + waiting.
fn assert_books_close(p: &Value, paid: u64) {
    let sum = |k: &str| p[k].as_u64().unwrap();
    assert_eq!(
        paid,
        sum("to_owners_total") + sum("to_payees_total") + sum("fees") + sum("waiting_total"),
        "{p}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payees_are_leaves_in_the_api_and_the_explorer() {
    let (dn, base) = devnet_with_base();
    let author = ScriptBuf::new_p2wpkh(&WPubkeyHash::from_byte_array([0xa1; 20]));
    let contributor = ScriptBuf::new_p2wpkh(&WPubkeyHash::from_byte_array([0xc1; 20]));
    let addr = |s: &ScriptBuf| {
        bitcoin::Address::from_script(s, Network::Regtest)
            .unwrap()
            .to_string()
    };
    let tune = bitmodel_testkit::assets::register(
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
    let client = dn.client().unwrap();
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
    let p = &payment_trace(&state, pay.txid).await;
    let fee = paid - d.tx.output.iter().map(|o| o.value.to_sat()).sum::<u64>();
    let s = bitmodel_protocol::split(paid, fee, &[2000, 300, 45]).unwrap();
    assert_eq!(p["to_payees"][author.to_hex_string()], s.parents[1]);
    assert_eq!(p["to_payees"][contributor.to_hex_string()], s.parents[2]);
    assert_eq!(p["to_payees_total"], s.parents[1] + s.parents[2]);
    assert_books_close(p, paid);

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

/// A wide record (a base model and 150 payees, so a vault over 11 splitters): while its money
/// waits in the splitters the vault API lists each splitter with its UTXOs and the asset page
/// shows them; once every splitter is pushed, the payment's trace follows the money through
/// them and gives each payee exactly what the chain paid it, and the payment's books close.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wide_records_splitters_are_shown_and_traced_to_the_sat() {
    let (dn, base) = devnet_with_base();
    let mut rng = bitmodel_testkit::rng::Rng::new(15);
    let payees: Vec<Payee> = (0..150u16)
        .map(|i| Payee {
            script: ScriptBuf::new_p2wpkh(&WPubkeyHash::from_byte_array({
                let mut h = [0x5a; 20];
                h[..2].copy_from_slice(&i.to_be_bytes());
                h
            })),
            weight: 1 + rng.below(9) as u16,
            relation: Relation::Contributor,
        })
        .collect();
    let mut r = record(
        "wide",
        3,
        vec![Parent {
            asset: base,
            weight: 1000,
            relation: Relation::Dataset,
        }],
        payees.clone(),
    );
    r.fee_cap = recommended_fee_cap(11);
    let wide = bitmodel_testkit::assets::register(&dn, &r, "text/plain", b"wide".to_vec());
    let (state, _dir) = common::indexed_state(&dn);
    let client = dn.client().unwrap();
    let vaults = state.index.record_vaults(&wide).unwrap().unwrap();
    assert_eq!(
        vaults.splitters.len(),
        16,
        "151 members: one over 121 (with 11 of 11) and one over 30 (with 3)"
    );
    let vault = state.index.vault(&wide).unwrap().unwrap();
    let paid = 300_000_000u64;
    let pay = dn
        .fund(vault.script_pubkey(), Amount::from_sat(paid))
        .unwrap();
    dn.mine(1).unwrap();
    sync(&state.index, &client, 0, |_, _| {}).unwrap();
    let push = |v: &bitmodel_covenant::Vault, u| {
        let d = build_distribute_at_rate(v, u, 2).unwrap();
        client.send_raw_transaction(&d.tx).unwrap();
    };
    push(
        &vault,
        state
            .index
            .vault_status(&wide)
            .unwrap()
            .unwrap()
            .covenant_utxos()[0],
    );
    dn.mine(1).unwrap();
    sync(&state.index, &client, 0, |_, _| {}).unwrap();

    // Waiting in the splitters: the vault API lists them, the asset page shows them.
    let (st, body) = get(&state, &format!("/api/v1/assets/{wide}/vault")).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["splitters"].as_array().unwrap().len(), 16, "{v}");
    let holding: Vec<&Value> = v["splitters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| !s["utxos"].as_array().unwrap().is_empty())
        .collect();
    assert!(!holding.is_empty());
    let in_splitters = v["in_splitters"].as_u64().unwrap();
    let listed: u64 = holding
        .iter()
        .flat_map(|s| s["utxos"].as_array().unwrap())
        .map(|u| u["amount"].as_u64().unwrap())
        .sum();
    assert_eq!(in_splitters, listed);
    assert_eq!(
        state.index.stats(&wide).unwrap().unwrap().in_splitters,
        in_splitters
    );
    let (st, page) = get(&state, &format!("/asset/{wide}")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        page.contains("<h2>Splitters</h2>") && page.contains("waiting in splitters"),
        "{page}"
    );
    assert!(page.contains(&common::thousands(in_splitters)), "{page}");

    // Push every splitter, level by level, as anyone may.
    for _ in 0..3 {
        let status = state.index.vault_status(&wide).unwrap().unwrap();
        if status.splitters.is_empty() {
            break;
        }
        for (op, u) in &status.splitters {
            let sv = &vaults.splitters[usize::from(u.splitter.unwrap())];
            push(
                sv,
                bitmodel_covenant::Utxo {
                    outpoint: *op,
                    amount: u.amount,
                },
            );
        }
        dn.mine(1).unwrap();
        sync(&state.index, &client, 0, |_, _| {}).unwrap();
    }
    assert_eq!(state.index.stats(&wide).unwrap().unwrap().waiting, 0);

    // The trace follows the payment through the splitters: each payee's figure is what the
    // chain paid it, and the books of the payment close.
    let p = &payment_trace(&state, pay.txid).await;
    let mut to_payees = 0;
    for payee in &payees {
        let earned = state.index.earnings(&payee.script).unwrap().total;
        assert!(earned > 0);
        assert_eq!(p["to_payees"][payee.script.to_hex_string()], earned);
        to_payees += earned;
    }
    assert_eq!(p["to_payees_total"], to_payees);
    assert_books_close(p, paid);
    let base_waiting = state.index.stats(&base).unwrap().unwrap().waiting;
    assert_eq!(
        p["waiting_total"].as_u64().unwrap(),
        base_waiting,
        "the base's share waits in its vault"
    );
}
