//! The keeper's decision work: 1,000 vaults with random balances on the devnet (one UTXO or
//! several, above and below their thresholds), every vault planned and every push built
//! (grinding included). Reference in the same run: building the same number of distributes
//! directly, without deciding — the ratio is the cost of deciding.

use std::time::Instant;

use bitcoin::Amount;
use bitmodel_covenant::spend::{build_distribute_at_rate, recommended_fee_cap};
use bitmodel_covenant::Utxo;
use bitmodel_devnet::Devnet;
use bitmodel_index::sync::sync;
use bitmodel_index::Index;
use bitmodel_keeper::{Keeper, Policy, VaultSource};
use bitmodel_protocol::envelope::Inscription;
use bitmodel_protocol::{Chain, Parent, Record, Relation};
use bitmodel_testkit::fixture::{self, numbered_owner as owner};
use bitmodel_testkit::rng::Rng;

use crate::report::{line, ms};

const VAULTS: usize = 1_000;

fn record(n: usize, parents: Vec<Parent>) -> Record {
    let fee_cap = recommended_fee_cap(parents.len());
    Record {
        parents,
        ..fixture::record(&format!("vault-{n}"), owner(n), fee_cap)
    }
}

pub fn run() {
    let dn = Devnet::spawn().expect("a devnet");
    let client = dn.client().expect("a client");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let index = Index::open(&dir.path().join("index.redb"), Chain::Devnet).expect("an index");
    let roots = bitmodel_testkit::assets::inscribe(
        &dn,
        &[
            Inscription::bitmodel(&record(0, vec![]), "text/plain", b"root".to_vec()),
            Inscription::bitmodel(&record(1, vec![]), "text/plain", b"root".to_vec()),
        ],
        &owner(0),
    );
    let mut rng = Rng::new(11);
    let mut ids = Vec::new();
    for batch in (2..VAULTS + 2).collect::<Vec<_>>().chunks(100) {
        let inscriptions: Vec<Inscription> = batch
            .iter()
            .map(|n| {
                let parents = roots
                    .iter()
                    .map(|r| Parent {
                        asset: *r,
                        weight: 200 + rng.below(3000) as u16,
                        relation: Relation::Finetune,
                    })
                    .collect();
                Inscription::bitmodel(&record(*n, parents), "text/plain", b"card".to_vec())
            })
            .collect();
        ids.extend(bitmodel_testkit::assets::inscribe(
            &dn,
            &inscriptions,
            &owner(1),
        ));
    }
    sync(&index, &client, 0, |_, _| {}).expect("indexed");
    // Random balances: a third one big UTXO, a third several small ones, a third dust-ish.
    for (k, id) in ids.iter().enumerate() {
        let vault = index
            .asset(id)
            .expect("read")
            .expect("indexed")
            .vault
            .expect("a vault");
        let amounts: Vec<u64> = match k % 3 {
            0 => vec![20_000 + rng.below(2_000_000)],
            1 => (0..2 + rng.below(6))
                .map(|_| 1_000 + rng.below(6_000))
                .collect(),
            _ => vec![400 + rng.below(3_000)],
        };
        for a in amounts {
            dn.fund(&vault, Amount::from_sat(a)).expect("funded");
        }
        if k % 200 == 199 {
            dn.mine(1).expect("mined");
        }
    }
    dn.mine(1).expect("mined");
    sync(&index, &client, 0, |_, _| {}).expect("indexed");

    let keeper = Keeper::new(Policy {
        fee_rate: 1,
        max_pushes: usize::MAX,
        max_fee_ppm: 1_000_000,
        ..Policy::default()
    });
    let t = Instant::now();
    let plans = keeper.plan_all(&index).expect("planned");
    let decide = t.elapsed();
    let pushes: usize = plans.iter().map(|(_, p)| p.pushes.len()).sum();
    let waiting = plans.iter().filter(|(_, p)| p.wait.is_some()).count();
    // Reference: the distributes alone, built without deciding anything.
    let vaults = index.vaults_with_money().expect("vaults");
    let t = Instant::now();
    let mut built = 0usize;
    for (asset, utxos) in &vaults {
        let vault = index.vault(&asset.asset).expect("read").expect("a vault");
        for u in utxos {
            let u = Utxo {
                outpoint: u.outpoint,
                amount: u.amount,
            };
            if build_distribute_at_rate(&vault, u, 1).is_ok() {
                built += 1;
            }
        }
    }
    let reference = t.elapsed();
    line("keeper.vaults", vaults.len() as f64, "vaults");
    line("keeper.pushes", pushes as f64, "pushes");
    line("keeper.waiting_vaults", waiting as f64, "vaults");
    line("keeper.decide_ms", ms(decide), "ms");
    line(
        "keeper.pushes_per_s",
        pushes as f64 / decide.as_secs_f64().max(1e-9),
        "pushes/s",
    );
    line("keeper.reference_distributes_ms", ms(reference), "ms");
    line("keeper.reference_distributes_built", built as f64, "spends");
    line(
        "keeper.decide_vs_reference",
        decide.as_secs_f64() / reference.as_secs_f64().max(1e-9),
        "x",
    );
}
