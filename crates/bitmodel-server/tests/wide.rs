//! Attacker-shaped data: 3,000 records, each naming 11 earlier ones as parents, so the last
//! one has thousands of ancestors reached over tens of thousands of paths. Its asset page,
//! lineage and vault answers stay bounded: the walks are linear (a visited set, keyed
//! tables), and the page draws only the largest shares.

mod common;

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use bitmodel_devnet::Devnet;
use bitmodel_protocol::AssetId;
use bitmodel_server::{router, AppState};
use http_body_util::BodyExt;
use tower::ServiceExt;

const RECORDS: usize = 3_000;

/// The wide DAG on a devnet, indexed; the state and the last (widest) asset.
pub fn wide_dag() -> (AppState, AssetId, Devnet, tempfile::TempDir) {
    let dn = Devnet::spawn().unwrap();
    let ids = bitmodel_testkit::assets::wide_dag(&dn, RECORDS, 11);
    let (state, dir) = common::indexed_state(&dn);
    assert_eq!(
        state.index.asset_count().unwrap(),
        RECORDS as u64,
        "all valid"
    );
    (state, *ids.last().unwrap(), dn, dir)
}

async fn get(state: &AppState, uri: &str) -> (StatusCode, Vec<u8>, Duration) {
    let t = Instant::now();
    let resp = router(state.clone())
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, body, t.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_3000_record_wide_dag_is_served_in_bounded_time() {
    let (state, top, _dn, _dir) = tokio::task::spawn_blocking(wide_dag).await.unwrap();
    let ancestors = state.index.ancestry(&top).unwrap().len();
    assert!(ancestors > 1_000, "a deep, wide lineage: {ancestors}");
    for uri in [
        format!("/asset/{top}"),
        format!("/api/v1/assets/{top}/lineage"),
        format!("/api/v1/assets/{top}/vault"),
        format!("/api/v1/assets/{top}"),
    ] {
        let (st, body, took) = get(&state, &uri).await;
        assert_eq!(
            st,
            StatusCode::OK,
            "{uri}: {}",
            String::from_utf8_lossy(&body)
        );
        // Unoptimised test build on a shared 2-core machine: generous, but far below what
        // quadratic walks over 3,000 records and 33,000 edges take.
        eprintln!("{uri}: {took:?}");
        assert!(took < Duration::from_secs(5), "{uri} took {took:?}");
    }
    let (_, page, _) = get(&state, &format!("/asset/{top}")).await;
    let page = String::from_utf8(page).unwrap();
    assert_eq!(
        page.matches("<g class=node>").count(),
        60,
        "the largest shares are drawn"
    );
    assert!(page.contains(&format!(
        "of its {ancestors} ancestors",
        ancestors = ancestors - 1
    )));
}
