//! A randomised economy on the devnet: 200 assets in four layers of lineage, 2,000 payments
//! in blocks of ten, distributions and merges in random order, and reorgs. After every block
//! the index's books balance exactly, and at the end the index equals a fresh index of the
//! chain.

use bitcoin::Amount;
use bitmodel_covenant::spend::{build_distribute_at_rate, recommended_fee_cap};
use bitmodel_covenant::{build_merge, Utxo, Vault};
use bitmodel_devnet::Devnet;
use bitmodel_index::sync::sync;
use bitmodel_index::Index;
use bitmodel_protocol::envelope::Inscription;
use bitmodel_protocol::{AssetId, Chain, Parent, Record, Relation};
use bitmodel_testkit::fixture::{self, numbered_owner as owner};
use bitmodel_testkit::rng::Rng;

const LAYERS: usize = 4;
const PER_LAYER: usize = 50;
const PAYMENTS: usize = 2_000;
const PER_BLOCK: usize = 10;

#[test]
fn random_economy_balances_after_every_block() {
    let dn = Devnet::spawn().unwrap();
    let client = dn.client().unwrap();
    let dir = std::env::temp_dir().join(format!("bitmodel-economy-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let index = Index::open(&dir.join("a.redb"), Chain::Devnet).unwrap();
    let mut rng = Rng::new(7);
    let check = |index: &Index| {
        sync(index, &client, 0, |_, _| {}).unwrap();
        let t = index.totals().unwrap();
        assert_eq!(
            t.payments_in,
            t.paid_out + t.fees + t.waiting,
            "books balance: {t:?}"
        );
        assert_eq!(t.to_parents, t.from_children);
    };

    // Layers of lineage: each asset names 0..=3 parents from earlier layers.
    let mut ids: Vec<AssetId> = Vec::new();
    for layer in 0..LAYERS {
        let mut records = Vec::new();
        for k in 0..PER_LAYER {
            let n = layer * PER_LAYER + k;
            let mut parents: Vec<Parent> = Vec::new();
            if layer > 0 {
                for _ in 0..rng.below(4) {
                    let asset = ids[rng.below(ids.len() as u64) as usize];
                    if parents.iter().all(|p| p.asset != asset) {
                        parents.push(Parent {
                            asset,
                            weight: 200 + rng.below(2_000) as u16,
                            relation: Relation::Finetune,
                        });
                    }
                }
            }
            let fee_cap = recommended_fee_cap(parents.len());
            records.push(Record {
                parents,
                ..fixture::record(&format!("model-{n}"), owner(n), fee_cap)
            });
        }
        let insc: Vec<Inscription> = records
            .iter()
            .map(|r| Inscription::bitmodel(r, "text/plain", vec![]))
            .collect();
        ids.extend(bitmodel_testkit::assets::inscribe(
            &dn,
            &insc,
            &owner(9_999),
        ));
        check(&index);
    }
    assert_eq!(index.assets().unwrap().len(), LAYERS * PER_LAYER);
    let vaults: Vec<Vault> = ids
        .iter()
        .map(|id| index.vault(id).unwrap().expect("a vault"))
        .collect();
    dn.mine(20).unwrap(); // more mature faucet coins

    let mut paid = 0u64;
    let mut reorgs = 0;
    for round in 0..PAYMENTS / PER_BLOCK {
        for _ in 0..PER_BLOCK {
            let v = &vaults[rng.below(vaults.len() as u64) as usize];
            let amount = 5_000 + rng.below(3_000_000);
            dn.node()
                .fund(v.script_pubkey(), Amount::from_sat(amount))
                .unwrap();
            paid += amount;
        }
        // Push money up: distribute or merge a few random vaults, in random order (each
        // vault UTXO at most once per block: the index only knows confirmed state).
        let mut used = std::collections::HashSet::new();
        for _ in 0..rng.below(6) {
            let i = rng.below(vaults.len() as u64) as usize;
            let Some(status) = index.vault_status(&ids[i]).unwrap() else {
                continue;
            };
            let utxos: Vec<Utxo> = status
                .utxos
                .iter()
                .map(|(outpoint, u)| Utxo {
                    outpoint: *outpoint,
                    amount: u.amount,
                })
                .filter(|u: &Utxo| !used.contains(&u.outpoint))
                .collect();
            let tx = if utxos.len() >= 2 && rng.below(3) == 0 {
                build_merge(&vaults[i], &utxos[..utxos.len().min(4)], 1_500)
                    .map(|b| b.tx)
                    .ok()
            } else {
                utxos
                    .first()
                    .and_then(|u| build_distribute_at_rate(&vaults[i], *u, 1).ok())
                    .map(|b| b.tx)
            };
            if let Some(tx) = tx {
                used.extend(tx.input.iter().map(|i| i.previous_output));
                dn.submit(tx).expect("honest covenant spends are accepted");
            }
        }
        let mined = dn.mine(1).unwrap()[0];
        check(&index);
        if round % 30 == 29 {
            // Reorg: replace the last block; its transactions return to the mempool.
            client
                .call_value("invalidateblock", serde_json::json!([mined.to_string()]))
                .unwrap();
            dn.mine(1).unwrap();
            check(&index);
            reorgs += 1;
        }
    }
    let t = index.totals().unwrap();
    assert_eq!(
        t.payments_in, paid,
        "every payment seen once, across {reorgs} reorgs"
    );
    assert!(t.paid_out > 0 && t.to_parents > 0);

    let fresh = Index::open(&dir.join("b.redb"), Chain::Devnet).unwrap();
    sync(&fresh, &client, 0, |_, _| {}).unwrap();
    assert_eq!(
        index.dump().unwrap(),
        fresh.dump().unwrap(),
        "the followed index equals a fresh one"
    );
    eprintln!("economy: {} assets, {} payments ({paid} sats), {} distributions' worth passed up, {reorgs} reorgs", ids.len(), PAYMENTS, t.to_parents);
}
