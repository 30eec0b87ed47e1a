//! Wide records on the devnet (every push validated by its script interpreter and mempool
//! policy, `docs/splitters.md`): an asset with 1,000 payees of random weights is paid, and
//! the keeper alone pushes the money down its tree of splitters to every payee — each paid
//! exactly what the rule says with the fees each splitter really paid, the books balanced
//! — and, at widths 12, 121 and 1,000, the devnet's mempool refuses the attacks on a
//! splitter's spend (redirect, skim, wrong level, reorder, fee over the cap) and on its
//! merges (into another vault, skimming).

use std::collections::HashMap;

use bitcoin::hashes::Hash;
use bitcoin::{Amount, ScriptBuf, Transaction, WPubkeyHash};
use bitmodel_covenant::spend::{build_distribute_at_rate, recommended_fee_cap};
use bitmodel_covenant::{build_merge, Utxo};
use bitmodel_devnet::{Devnet, RejectClass};
use bitmodel_index::rows::Event;
use bitmodel_keeper::{Keeper, Policy, PushKind};
use bitmodel_protocol::split::share;
use bitmodel_protocol::wide::{pay_with, tree};
use bitmodel_protocol::{AssetId, Chain, Kind, Payee, Record, Relation};
use bitmodel_testkit::fixture;
use bitmodel_testkit::rng::Rng;

mod common;
use common::World;

fn script(tag: u8, i: usize) -> ScriptBuf {
    let mut h = [tag; 20];
    h[..8].copy_from_slice(&(i as u64).to_le_bytes());
    ScriptBuf::new_p2wpkh(&WPubkeyHash::from_byte_array(h))
}

/// A record with `parents` (weight 100 each) and `payees` payees of random weights 1..=10.
fn wide(name: &str, parents: &[AssetId], payees: usize, seed: u64) -> Record {
    let mut rng = Rng::new(seed);
    let members = parents.len() + payees;
    let weighted: Vec<(AssetId, u16)> = parents.iter().map(|a| (*a, 100)).collect();
    let fee_cap = recommended_fee_cap(tree(&vec![1; members]).len());
    Record {
        kind: Kind::Dataset,
        license: "CC-BY-4.0".into(),
        parents: fixture::parents(&weighted, Relation::Dataset),
        payees: (0..payees)
            .map(|i| Payee {
                script: script(seed as u8, i),
                weight: 1 + rng.below(10) as u16,
                relation: Relation::Contributor,
            })
            .collect(),
        ..fixture::record(name, script(0xee, seed as usize), fee_cap)
    }
}

#[test]
fn a_thousand_payees_are_paid_by_the_keeper_down_the_splitters() {
    let w = World::new();
    let record = wide("contributors", &[], 1_000, 7);
    let weights: Vec<u16> = record.payees.iter().map(|p| p.weight).collect();
    let id = w.register(&record);
    let amount = 500_000_000;
    w.pay(&id, amount);
    w.dn.mine(1).unwrap();
    let mut keeper = Keeper::new(Policy::default());
    let rounds = w.keep(&mut keeper, 8);
    // The vault, then its 9 top splitters, then the 91 splitters of 11 members: one level a
    // block, nobody pushing by hand.
    let sizes: Vec<usize> = rounds.iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![1, 9, 91], "{rounds:?}");
    assert_eq!(rounds[0], vec![(None, PushKind::Distribute)]);
    assert!(rounds[1..]
        .iter()
        .flatten()
        .all(|(s, k)| s.is_some() && *k == PushKind::Distribute));

    let mut fees = HashMap::new();
    for (_, e) in w.index.events_for(&id).unwrap() {
        if let Event::Distribution { splitter, fee, .. } = e {
            assert!(
                fees.insert(splitter, fee).is_none(),
                "each vault spent once"
            );
        }
    }
    assert_eq!(fees.len(), 101, "the vault and its 100 splitters");
    // The rule, level by level, with the fee each spend really paid (`splitter n` in
    // pre-order, as `record_vaults` numbers them).
    let (want, owner) = pay_with(&weights, amount - fees[&None], |n| fees[&Some(n)]);
    for (i, p) in record.payees.iter().enumerate() {
        let got = w.index.earnings(&p.script).unwrap().total;
        assert_eq!(got, want[i], "payee {i} (weight {})", p.weight);
    }
    assert_eq!(w.index.earnings(&record.owner).unwrap().total, owner);
    let st = w.index.stats(&id).unwrap().unwrap();
    assert_eq!(st.waiting, 0, "everything pushed: {st:?}");
    assert_eq!(st.in_splitters, 0);
    assert_eq!(st.to_payees, want.iter().sum::<u64>());
    assert_eq!(st.fees, fees.values().sum::<u64>());
    assert_eq!(
        st.payments_in, amount,
        "what the vault passed its splitters is not a payment"
    );
    assert_eq!(st.payments_in, st.paid_out + st.fees + st.waiting, "{st:?}");
    let totals = w.index.totals().unwrap();
    assert_eq!(
        totals.payments_in,
        totals.paid_out + totals.fees + totals.waiting
    );
    // Each payee got at least the flat rule's share of what the vault distributed, less the
    // depth and its part of the splitter fees on its path.
    let t = amount - fees[&None];
    for (i, p) in record.payees.iter().enumerate() {
        assert!(want[i] + 3 + 3 * 2_000 >= share(t, p.weight), "payee {i}");
    }
}

/// A record of parents and payees, wider than one distribute: shares reach the parents'
/// vaults through the splitters (booked as passed to parents), and what a splitter cannot
/// pay yet (a child below dust) waits in it, shown as the asset's, not lost.
#[test]
fn parents_behind_splitters_are_booked_and_dust_waits_in_its_splitter() {
    let w = World::new();
    let bases: Vec<AssetId> = (0..3)
        .map(|i| w.register(&wide(&format!("base-{i}"), &[], 0, 100 + i)))
        .collect();
    // 23 members: splitter 0 (the 3 parents and 8 payees), splitter 1 (11 payees) and the
    // last payee, paid by the vault itself (weight 2000, so the vault moves small payments).
    let mut record = wide("mixed", &bases, 20, 3);
    record.payees[19].weight = 2_000;
    record.payees[0].weight = 1;
    let id = w.register(&record);
    w.pay(&id, 20_000_000);
    w.dn.mine(1).unwrap();
    let mut keeper = Keeper::new(Policy {
        max_fee_ppm: 1_000_000,
        ..Policy::default()
    });
    let rounds = w.keep(&mut keeper, 6);
    assert!(!rounds.is_empty());
    let st = w.index.stats(&id).unwrap().unwrap();
    let to_bases: u64 = bases
        .iter()
        .map(|b| w.index.stats(b).unwrap().unwrap().from_children)
        .sum();
    assert!(to_bases > 0, "the parents were paid through the splitters");
    assert_eq!(st.to_parents, to_bases);
    assert_eq!(
        st.payments_in,
        st.paid_out + st.fees + st.waiting + st.to_parents,
        "{st:?}"
    );
    // Now a payment too small for the splitters' members (a weight-1 payee would get 10
    // sats): the vault passes it on, and the splitters hold it (counted as the asset's, in
    // splitters) until more arrives.
    w.pay(&id, 100_000);
    w.dn.mine(1).unwrap();
    w.keep(&mut keeper, 6);
    let st = w.index.stats(&id).unwrap().unwrap();
    let status = w.index.vault_status(&id).unwrap().unwrap();
    let in_splitters = status.in_splitters();
    assert!(in_splitters > 0, "dust waits in a splitter: {status:?}");
    assert_eq!(st.in_splitters, in_splitters);
    assert_eq!(
        st.payments_in,
        st.paid_out + st.fees + st.waiting + st.to_parents,
        "{st:?}"
    );
    // More such payments: the splitters' small UTXOs add up, the keeper merges them with the
    // splitters' own merge leaves and distributes the result; nothing is lost on the way.
    let mut merged = false;
    for _ in 0..4 {
        w.pay(&id, 1_000_000);
        w.dn.mine(1).unwrap();
        merged |= w
            .keep(&mut keeper, 6)
            .iter()
            .flatten()
            .any(|(s, k)| s.is_some() && *k == PushKind::Merge);
    }
    assert!(merged, "splitter UTXOs were merged");
    let st = w.index.stats(&id).unwrap().unwrap();
    assert!(st.merges > 0);
    assert_eq!(
        st.payments_in,
        st.paid_out + st.fees + st.waiting + st.to_parents,
        "{st:?}"
    );
    let status = w.index.vault_status(&id).unwrap().unwrap();
    assert!(
        status.splitters.len() <= 2,
        "what still waits is merged, not scattered: {status:?}"
    );
}

fn refused(dn: &Devnet, tx: &Transaction, what: &str) {
    match dn.submit(tx.clone()) {
        Ok(txid) => panic!("the devnet accepted an attack ({what}): {txid}"),
        Err(r) => assert_eq!(r.class, RejectClass::Consensus, "{what}: {r:?}"),
    }
}

#[test]
fn the_devnet_refuses_attacks_on_splitters_at_widths_12_121_and_1000() {
    let w = World::new();
    for (n, seed) in [(12usize, 21u64), (121, 22), (1_000, 23)] {
        let record = wide(&format!("width-{n}"), &[], n, seed);
        let id = w.register(&record);
        w.pay(&id, 400_000_000);
        w.dn.mine(1).unwrap();
        // The vault is pushed (as anyone may), then the attacks target splitter 0.
        let status = w.index.vault_status(&id).unwrap().unwrap();
        let (op, u) = status.utxos[0];
        let vault = w.index.vault(&id).unwrap().unwrap();
        let b = build_distribute_at_rate(
            &vault,
            Utxo {
                outpoint: op,
                amount: u.amount,
            },
            2,
        )
        .unwrap();
        w.dn.submit(b.tx).unwrap();
        w.dn.mine(1).unwrap();
        w.sync();
        let status = w.index.vault_status(&id).unwrap().unwrap();
        let (op, u) = status
            .splitters
            .iter()
            .find(|(_, u)| u.splitter == Some(0))
            .expect("splitter 0 holds its share");
        let utxo = Utxo {
            outpoint: *op,
            amount: u.amount,
        };
        let v = w.index.splitters(&id).unwrap().unwrap()[0].clone();
        // A payment straight into a splitter is the asset's payment, and can be merged with
        // what the vault passed down — but only into the same splitter, whole.
        let extra = 50_000u64;
        w.dn.fund(v.script_pubkey(), Amount::from_sat(extra))
            .unwrap();
        w.dn.mine(1).unwrap();
        w.sync();
        assert_eq!(
            w.index.stats(&id).unwrap().unwrap().payments_in,
            400_000_000 + extra
        );
        let (xop, _) = *w
            .index
            .vault_status(&id)
            .unwrap()
            .unwrap()
            .splitters
            .iter()
            .find(|(_, u)| u.amount == extra)
            .unwrap();
        let m = build_merge(
            &v,
            &[
                utxo,
                Utxo {
                    outpoint: xop,
                    amount: extra,
                },
            ],
            1_000,
        )
        .unwrap();
        let mut t = m.tx.clone();
        t.output[0].script_pubkey = vault.script_pubkey().clone();
        refused(
            &w.dn,
            &t,
            &format!("width {n}: a splitter merge into the vault"),
        );
        let mut t = m.tx.clone();
        t.output[0].value -= Amount::from_sat(1);
        refused(
            &w.dn,
            &t,
            &format!("width {n}: a splitter merge skimming one sat"),
        );
        let honest = build_distribute_at_rate(&v, utxo, 2).unwrap();
        let k = honest.tx.output.len();
        let mut attacks: Vec<(String, Transaction)> = Vec::new();
        let mut t = honest.tx.clone();
        t.output[1].script_pubkey = script(0xaa, 1);
        attacks.push(("redirect a child".into(), t));
        let mut t = honest.tx.clone();
        t.output[0].value -= Amount::from_sat(1);
        t.output[k - 1].value += Amount::from_sat(1);
        attacks.push(("skim one sat to child 1".into(), t));
        let mut t = honest.tx.clone();
        t.output[0].value -= Amount::from_sat(1);
        attacks.push(("skim one sat to the fee".into(), t));
        let mut t = honest.tx.clone();
        t.output.swap(0, 1);
        attacks.push(("reorder two children".into(), t));
        let mut t = honest.tx.clone();
        let cap = v.terms.fee_cap;
        let over = cap + 1
            - (honest.spent[0].value.to_sat()
                - t.output.iter().map(|o| o.value.to_sat()).sum::<u64>());
        t.output[k - 1].value -= Amount::from_sat(over);
        attacks.push((format!("a fee of {} over the cap of {cap}", cap + 1), t));
        // Wrong level: the spend another splitter (or the vault) would make, on this UTXO.
        let vaults = w.index.record_vaults(&id).unwrap().unwrap();
        // (Width 12 has one splitter; the vault's leaf below is its wrong level.)
        if let Some(other) = vaults.splitters.get(1..).and_then(|s| s.last()) {
            let b = build_distribute_at_rate(other, utxo, 2).unwrap();
            attacks.push(("another splitter's leaf on this UTXO".into(), b.tx));
        }
        let top = bitmodel_covenant::Vault::new(vaults.top.clone(), Chain::Devnet).unwrap();
        let b = build_distribute_at_rate(&top, utxo, 2).unwrap();
        attacks.push(("the vault's leaf on a splitter UTXO".into(), b.tx));
        assert!(attacks.len() >= 6, "width {n}: {} attacks", attacks.len());
        for (what, tx) in &attacks {
            refused(&w.dn, tx, &format!("width {n}: {what}"));
        }
        w.dn.submit(honest.tx.clone())
            .expect("the honest spend is accepted");
        w.dn.mine(1).unwrap();
        eprintln!(
            "width {n}: {} attacks refused by the devnet, the honest spend accepted",
            attacks.len()
        );
    }
}
