//! The keeper against the devnet (every push validated by its script interpreter and
//! mempool policy): what it distributes, merges and leaves waiting, that it never pushes an
//! outpoint twice, and that a payment to the top of a five-level lineage reaches every root
//! owner within a bounded number of blocks with nobody pushing by hand.

use bitcoin::hashes::Hash;
use bitcoin::{ScriptBuf, WPubkeyHash};
use bitmodel_covenant::spend::recommended_fee_cap;
use bitmodel_keeper::{plan, Keeper, Policy, PushKind};
use bitmodel_protocol::{AssetId, Record, Relation};

mod common;
use bitmodel_testkit::fixture;
use common::World;

fn owner(n: u8) -> ScriptBuf {
    ScriptBuf::new_p2wpkh(&WPubkeyHash::from_byte_array([n; 20]))
}

fn record(n: u8, parents: &[(AssetId, u16)]) -> Record {
    Record {
        parents: fixture::parents(parents, Relation::Finetune),
        ..fixture::record(
            &format!("level-{n}"),
            owner(n),
            recommended_fee_cap(parents.len()),
        )
    }
}

#[test]
fn plans_distribute_merge_and_wait() {
    let w = World::new();
    let root = w.register(&record(1, &[]));
    let child = w.register(&record(2, &[(root, 3000)]));
    // Any fee share: this test is about thresholds and merges (the fee share has its own).
    let policy = Policy {
        max_fee_ppm: 1_000_000,
        ..Policy::default()
    };
    w.pay(&child, 200_000);
    w.dn.mine(1).unwrap();
    w.sync();
    let vault = w.index.vault(&child).unwrap().unwrap();

    // One big UTXO: distributed, outputs by the split rule, fee within the cap.
    let p = plan(&vault, &w.utxos(&child), &policy).unwrap();
    assert!(p.wait.is_none());
    assert_eq!(p.pushes.len(), 1);
    let d = &p.pushes[0];
    assert_eq!(d.kind, PushKind::Distribute);
    assert!(d.fee <= vault.terms.fee_cap && d.fee > 0);
    let s = bitmodel_protocol::split(200_000, d.fee, &[3000]).unwrap();
    assert_eq!(d.tx.output[0].value.to_sat(), s.parents[0]);
    assert_eq!(d.tx.output[1].value.to_sat(), s.owner);
    assert_eq!(
        d.tx.output.iter().map(|o| o.value.to_sat()).sum::<u64>() + d.fee,
        200_000
    );

    // A small one waits, saying how much is missing.
    let lone = w.register(&record(3, &[(root, 3000)]));
    w.pay(&lone, 600);
    w.dn.mine(1).unwrap();
    w.sync();
    let lone_vault = w.index.vault(&lone).unwrap().unwrap();
    let p = plan(&lone_vault, &w.utxos(&lone), &policy).unwrap();
    assert!(p.pushes.is_empty());
    let wait = p.wait.unwrap();
    assert!(wait.reason.contains("below what a push needs"), "{wait:?}");
    assert_eq!(wait.missing, wait.threshold - 600);

    // Several small ones that together clear it: merged; too few: they wait.
    for _ in 0..4 {
        w.pay(&lone, 500);
    }
    w.dn.mine(1).unwrap();
    w.sync();
    let p = plan(&lone_vault, &w.utxos(&lone), &policy).unwrap();
    assert!(
        p.pushes.is_empty(),
        "2,600 sats cannot clear the threshold after a merge fee: {p:?}"
    );
    assert!(p.wait.unwrap().reason.contains("merged"));
    for _ in 0..6 {
        w.pay(&lone, 1_500);
    }
    w.dn.mine(1).unwrap();
    w.sync();
    let utxos = w.utxos(&lone);
    let p = plan(&lone_vault, &utxos, &policy).unwrap();
    // Eleven UTXOs none of which moves alone: the eight smallest merged, then the other three.
    assert_eq!(p.pushes.len(), 2, "{p:?}");
    let mut smallest: Vec<_> = utxos.iter().map(|u| u.amount).collect();
    smallest.sort();
    for (m, amounts) in p.pushes.iter().zip([&smallest[..8], &smallest[8..]]) {
        assert_eq!(m.kind, PushKind::Merge);
        assert_eq!(m.amount, amounts.iter().sum::<u64>());
        assert_eq!(m.inputs.len(), amounts.len());
        assert_eq!(m.tx.output.len(), 1);
        assert_eq!(m.tx.output[0].value.to_sat() + m.fee, m.amount);
    }
    assert!(p.wait.is_none());
    // The devnet accepts every push.
    w.dn.submit(d.tx.clone()).unwrap();
    for m in &p.pushes {
        w.dn.submit(m.tx.clone()).unwrap();
    }
}

#[test]
fn rounds_push_once_and_respect_the_budget() {
    let w = World::new();
    let root = w.register(&record(1, &[]));
    // Three vaults with two payments each: two distributes beat a merge and a distribute.
    let kids: Vec<_> = (2..5)
        .map(|n| w.register(&record(n, &[(root, 2000)])))
        .collect();
    for id in &kids {
        for _ in 0..2 {
            w.pay(id, 500_000);
        }
    }
    w.dn.mine(1).unwrap();
    let mut keeper = Keeper::new(Policy {
        fee_rate: 2,
        max_pushes: 4,
        ..Policy::default()
    });
    let r = w.round(&mut keeper);
    assert_eq!(r.pushed.len(), 4, "the budget: {r:?}");
    assert!(r
        .pushed
        .iter()
        .all(|(_, p, _)| p.kind == PushKind::Distribute));
    assert!(r.deferred > 0);
    assert!(r.refused.is_empty(), "{:?}", r.refused);
    // Before a block: the pushed outpoints are not pushed again, the other two are.
    let r = w.round(&mut keeper);
    assert_eq!(r.pushed.len(), 2, "{r:?}");
    let r = w.round(&mut keeper);
    assert!(r.pushed.is_empty(), "nothing pushed twice: {r:?}");
    w.dn.mine(1).unwrap();
    // The root's vault now holds six distributions' shares: merging them and distributing
    // once costs less than six distributes, so it merges (one push), then distributes.
    for kind in [PushKind::Merge, PushKind::Distribute] {
        let r = w.round(&mut keeper);
        assert_eq!(r.pushed.len(), 1, "{r:?}");
        assert_eq!((r.pushed[0].0.asset, r.pushed[0].1.kind), (root, kind));
        if kind == PushKind::Merge {
            assert_eq!(r.pushed[0].1.inputs.len(), 6);
        }
        w.dn.mine(1).unwrap();
    }
    w.dn.mine(1).unwrap();
    w.sync();
    let t = w.index.totals().unwrap();
    assert_eq!(t.payments_in, 3_000_000);
    assert_eq!(t.payments_in, t.paid_out + t.fees + t.waiting);
    assert_eq!(t.waiting, 0, "everything reached the owners: {t:?}");
}

#[test]
fn a_payment_reaches_every_root_owner_with_nobody_pushing() {
    let w = World::new();
    // Five levels: two roots (paper, dataset) → base → fine-tune → quantized → agent.
    let paper = w.register(&record(1, &[]));
    let data = w.register(&record(2, &[]));
    let base = w.register(&record(3, &[(paper, 500), (data, 500)]));
    let tune = w.register(&record(4, &[(base, 2000)]));
    let quant = w.register(&record(5, &[(tune, 5000)]));
    let agent = w.register(&record(6, &[(quant, 2000)]));
    w.pay(&agent, 50_000_000);
    w.dn.mine(1).unwrap();
    let mut keeper = Keeper::new(Policy::default());
    let mut blocks = 0;
    loop {
        let r = w.round(&mut keeper);
        w.dn.mine(1).unwrap();
        blocks += 1;
        w.sync();
        let paid = |id: &AssetId| w.index.stats(id).unwrap().unwrap_or_default().paid_out;
        if paid(&paper) > 0 && paid(&data) > 0 {
            assert!(r.refused.is_empty());
            break;
        }
        assert!(blocks <= 6, "the roots were not paid within 6 blocks");
    }
    assert_eq!(
        blocks, 5,
        "one hop per block: agent, quantized, fine-tune, base, roots"
    );
    let t = w.index.totals().unwrap();
    assert_eq!(t.payments_in, 50_000_000);
    assert_eq!(t.payments_in, t.paid_out + t.fees + t.waiting);
    assert_eq!(t.waiting, 0, "{t:?}");
    assert_eq!(t.to_parents, t.from_children);
}

#[test]
fn a_push_that_costs_more_than_its_share_waits_for_more_money() {
    let w = World::new();
    let root = w.register(&record(1, &[]));
    let child = w.register(&record(2, &[(root, 3000)]));
    // 20,000 sats clear the dust limits, but a distribute at 2 sat/vB costs about 3% of it.
    w.pay(&child, 20_000);
    w.dn.mine(1).unwrap();
    w.sync();
    let vault = w.index.vault(&child).unwrap().unwrap();
    let strict = Policy::default();
    let p = plan(&vault, &w.utxos(&child), &strict).unwrap();
    assert!(p.pushes.is_empty(), "{p:?}");
    let wait = p.wait.unwrap();
    assert!(wait.reason.contains("the fee at most 1%"), "{wait:?}");
    assert!(
        wait.threshold > 20_000 && wait.missing == wait.threshold - 20_000,
        "{wait:?}"
    );
    // A lenient policy pushes it; and once more money arrives the strict one does too.
    let lenient = Policy {
        max_fee_ppm: 50_000,
        ..Policy::default()
    };
    assert_eq!(
        plan(&vault, &w.utxos(&child), &lenient)
            .unwrap()
            .pushes
            .len(),
        1
    );
    w.pay(&child, wait.threshold);
    w.dn.mine(1).unwrap();
    w.sync();
    let p = plan(&vault, &w.utxos(&child), &strict).unwrap();
    assert_eq!(p.pushes.len(), 1, "{p:?}");
    let push = &p.pushes[0];
    assert!(
        push.fee * 100 <= push.amount,
        "fee {} of {}",
        push.fee,
        push.amount
    );

    // Ten single 5,000-sat calls: each input costs ~6% to merge at 2 sat/vB, so no number
    // of them fits a 1% share. The wait says so rather than naming a shortfall.
    let small = w.register(&record(3, &[(root, 3000)]));
    for _ in 0..10 {
        w.pay(&small, 5_000);
    }
    w.dn.mine(1).unwrap();
    w.sync();
    let vault = w.index.vault(&small).unwrap().unwrap();
    let p = plan(&vault, &w.utxos(&small), &strict).unwrap();
    assert!(p.pushes.is_empty(), "{p:?}");
    let wait = p.wait.unwrap();
    assert!(
        wait.reason.contains("cannot add up to a push") && wait.reason.contains("prepaid"),
        "{wait:?}"
    );
    assert_eq!(wait.missing, wait.threshold - 5_000);
}
