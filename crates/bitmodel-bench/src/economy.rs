//! `economy`: how much of a small payment C-Flow loses to fees on its way to the roots. A
//! four-level lineage like `demo/lineage.csv` (a paper and a dataset → a base model → a
//! fine-tune → an agent, with the import policy's weights: architecture 500, dataset 500,
//! finetune 2000, adapter 2000) on the devnet; 200 paid inference calls of 5,000 sats to the
//! agent; the keeper pushing at 1 sat/vB, rounds and blocks until a round has nothing left to
//! push (every share paid out or below what its vault can move). Run twice in one process:
//! every call paid on its own, and the same 200 calls bought as prepaid payments of 20 calls.
//!
//! Figures: fees / paid in over all hops (`economy.fee_share.*`), per hop (hop 1 is the
//! agent's vault, hop 4 the roots'), what still waits in vaults, pushes and blocks. The books
//! are checked: paid in = owners + fees + waiting, to the sat.

use std::collections::HashMap;

use bitcoin::{Amount, ScriptBuf};
use bitmodel_covenant::spend::recommended_fee_cap;
use bitmodel_devnet::Devnet;
use bitmodel_index::sync::sync;
use bitmodel_index::Index;
use bitmodel_keeper::{Keeper, Policy, VaultSource};
use bitmodel_protocol::envelope::Inscription;
use bitmodel_protocol::{AssetId, Chain, Kind, Parent, Record, Relation};
use bitmodel_testkit::fixture;

use crate::report::line;

const CALLS: u64 = 200;
const PRICE: u64 = 5_000;
const PREPAID: u64 = 20;

fn owner(n: u8) -> ScriptBuf {
    fixture::owner(n + 1)
}

fn record(n: u8, kind: Kind, name: &str, parents: Vec<Parent>) -> Record {
    let fee_cap = recommended_fee_cap(parents.len());
    Record {
        kind,
        parents,
        ..fixture::record(name, owner(n), fee_cap)
    }
}

fn parent(asset: AssetId, weight: u16, relation: Relation) -> Parent {
    Parent {
        asset,
        weight,
        relation,
    }
}

/// What one scenario cost.
struct Books {
    paid_in: u64,
    fees_by_hop: [u64; 5],
    to_owners: u64,
    waiting: u64,
    pushes: usize,
    blocks: usize,
}

fn scenario(payment: u64, payments: u64) -> Books {
    let dn = Devnet::spawn().expect("a devnet");
    let client = dn.client().expect("a client");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let index = Index::open(&dir.path().join("index.redb"), Chain::Devnet).expect("an index");
    let inscribe = |r: &Record| -> AssetId {
        bitmodel_testkit::assets::inscribe(
            &dn,
            &[Inscription::bitmodel(r, "text/plain", b"card".to_vec())],
            &owner(9),
        )[0]
    };
    let paper = inscribe(&record(0, Kind::Paper, "paper", vec![]));
    let data = inscribe(&record(1, Kind::Dataset, "dataset", vec![]));
    let base = inscribe(&record(
        2,
        Kind::Model,
        "base",
        vec![
            parent(paper, 500, Relation::Architecture),
            parent(data, 500, Relation::Dataset),
        ],
    ));
    let tune = inscribe(&record(
        3,
        Kind::Model,
        "fine-tune",
        vec![parent(base, 2000, Relation::Finetune)],
    ));
    let agent = inscribe(&record(
        4,
        Kind::Agent,
        "agent",
        vec![parent(tune, 2000, Relation::Adapter)],
    ));
    let hop: HashMap<AssetId, usize> = [(agent, 1), (tune, 2), (base, 3), (paper, 4), (data, 4)]
        .into_iter()
        .collect();
    let owners: Vec<ScriptBuf> = (0..5).map(owner).collect();
    sync(&index, &client, 0, |_, _| {}).expect("indexed");
    let vault = index
        .asset(&agent)
        .expect("read")
        .expect("indexed")
        .vault
        .expect("a vault");
    for k in 0..payments {
        dn.fund(&vault, Amount::from_sat(payment)).expect("paid");
        if k % 20 == 19 {
            dn.mine(1).expect("mined");
        }
    }
    dn.mine(1).expect("mined");
    sync(&index, &client, 0, |_, _| {}).expect("indexed");

    // The keeper at 1 sat/vB, pushing whatever the covenant lets through (no fee-share
    // bound: the figure is what the covenant's spends cost).
    let mut keeper = Keeper::new(Policy {
        fee_rate: 1,
        max_pushes: usize::MAX,
        max_fee_ppm: 1_000_000,
        ..Policy::default()
    });
    let mut books = Books {
        paid_in: payment * payments,
        fees_by_hop: [0; 5],
        to_owners: 0,
        waiting: 0,
        pushes: 0,
        blocks: 0,
    };
    for _ in 0..200 {
        let round = keeper
            .round(&index, |tx| client.send_raw_transaction(tx))
            .expect("a round");
        assert!(
            round.refused.is_empty(),
            "the devnet refused a push: {:?}",
            round.refused
        );
        if round.pushed.is_empty() {
            break;
        }
        for (asset, push, _) in &round.pushed {
            books.fees_by_hop[hop[&asset.asset]] += push.fee;
            books.to_owners += push
                .tx
                .output
                .iter()
                .filter(|o| owners.contains(&o.script_pubkey))
                .map(|o| o.value.to_sat())
                .sum::<u64>();
            books.pushes += 1;
        }
        dn.mine(1).expect("mined");
        books.blocks += 1;
        sync(&index, &client, 0, |_, _| {}).expect("indexed");
    }
    books.waiting = index
        .vaults_with_money()
        .expect("vaults")
        .iter()
        .flat_map(|(_, us)| us.iter().map(|u| u.amount))
        .sum();
    let fees: u64 = books.fees_by_hop.iter().sum();
    assert_eq!(
        books.paid_in,
        books.to_owners + fees + books.waiting,
        "paid in = owners + fees + waiting"
    );
    books
}

fn report(name: &str, b: &Books) {
    let paid = b.paid_in as f64;
    let fees: u64 = b.fees_by_hop.iter().sum();
    line(&format!("economy.paid_in.{name}"), paid, "sats");
    line(
        &format!("economy.fee_share.{name}"),
        fees as f64 / paid,
        "ratio",
    );
    line(
        &format!("economy.fee_share_first_hop.{name}"),
        b.fees_by_hop[1] as f64 / paid,
        "ratio",
    );
    for hop in 1..=4 {
        line(
            &format!("economy.fee_share_hop.{hop}.{name}"),
            b.fees_by_hop[hop] as f64 / paid,
            "ratio",
        );
    }
    line(
        &format!("economy.to_owners.{name}"),
        b.to_owners as f64,
        "sats",
    );
    line(&format!("economy.waiting.{name}"), b.waiting as f64, "sats");
    line(&format!("economy.pushes.{name}"), b.pushes as f64, "pushes");
    line(&format!("economy.blocks.{name}"), b.blocks as f64, "blocks");
}

pub fn run() {
    let single = scenario(PRICE, CALLS);
    report("single", &single);
    let prepaid = scenario(PRICE * PREPAID, CALLS / PREPAID);
    report("prepaid", &prepaid);
    line(
        "economy.fee_share.prepaid_vs_single",
        prepaid.fees_by_hop.iter().sum::<u64>() as f64
            / single.fees_by_hop.iter().sum::<u64>().max(1) as f64,
        "x",
    );
}
