//! What the server's integration tests share: a devnet's chain indexed and served.
#![allow(dead_code)]

use std::sync::Arc;

use bitmodel_devnet::Devnet;
use bitmodel_index::sync::sync;
use bitmodel_index::Index;
use bitmodel_protocol::Chain;
use bitmodel_server::AppState;

/// The devnet's chain indexed in a temporary directory (kept alive by the caller) and the
/// server state over it, the node verified as Fractal regtest.
pub fn indexed_state(dn: &Devnet) -> (AppState, tempfile::TempDir) {
    let client = dn.client().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let index = Index::open(&dir.path().join("i.redb"), Chain::Devnet).unwrap();
    sync(&index, &client, 0, |_, _| {}).unwrap();
    let state = AppState::new(Arc::new(index), client.verify(Chain::Devnet).unwrap());
    (state, dir)
}

/// Sats with thousands separators, as the explorer should print them — computed by
/// arithmetic (groups of 1000), not by the explorer's string walk, so it checks that code.
pub fn thousands(v: u64) -> String {
    if v < 1000 {
        v.to_string()
    } else {
        format!("{},{:03}", thousands(v / 1000), v % 1000)
    }
}

#[test]
fn thousands_groups() {
    assert_eq!(thousands(0), "0");
    assert_eq!(thousands(999), "999");
    assert_eq!(thousands(1_000), "1,000");
    assert_eq!(thousands(1_234_567), "1,234,567");
    assert_eq!(thousands(10_005), "10,005");
}
