//! Splitters (`docs/splitters.md`): a vault whose weights are
//! parts of a subtree weight instead of 10000 and whose "owner" is its first child. Honest
//! splits verify and pay `floor((a − f)·W_c/W_g)` to every child but the first, which takes
//! the rest; a spend computed for another level's denominator cannot spend it.

mod common;

use bitcoin::hashes::Hash;
use bitcoin::ScriptBuf;
use bitmodel_covenant::vault::ParentShare;
use bitmodel_covenant::{build_distribute, Vault, VaultTerms};
use bitmodel_protocol::split::split_over;
use bitmodel_protocol::Chain;
use bitmodel_script::ScriptError;
use common::*;

fn payee(b: u8) -> ScriptBuf {
    ScriptBuf::new_p2wpkh(&bitcoin::WPubkeyHash::from_byte_array([b; 20]))
}

fn splitter(children: &[(u8, u16)], denominator: u16) -> Vault {
    let (first, rest) = children.split_first().unwrap();
    Vault::new(
        VaultTerms {
            parents: rest
                .iter()
                .map(|(b, w)| ParentShare {
                    script_pubkey: payee(*b),
                    weight: *w,
                })
                .collect(),
            owner: payee(first.0),
            fee_cap: 5_000,
            denominator,
        },
        Chain::Devnet,
    )
    .unwrap()
}

#[test]
fn honest_splits_over_subtree_weights() {
    for (children, den) in [
        (vec![(1u8, 250u16), (2, 300), (3, 150)], 700u16),
        (vec![(1, 1), (2, 1), (3, 1), (4, 1)], 4),
        (
            (1..=11).map(|b| (b, 37 * u16::from(b))).collect::<Vec<_>>(),
            2_442,
        ),
        (vec![(1, 9_000), (2, 1_000)], 10_000),
    ] {
        let v = splitter(&children, den);
        for amount in [1_000_000u64, 7_654_321, 2_147_000_000] {
            let b = build_distribute(&v, utxo(5, amount), 1_234).unwrap();
            verify(&b.tx, &b.spent).unwrap_or_else(|e| panic!("{den} {amount}: {e}"));
            let weights: Vec<u16> = children[1..].iter().map(|c| c.1).collect();
            let s = split_over(amount, 1_234, &weights, den).unwrap();
            let outs: Vec<u64> = b.tx.output.iter().map(|o| o.value.to_sat()).collect();
            let mut expected = s.parents.clone();
            expected.push(s.owner);
            assert_eq!(outs, expected, "children 2.. by the rule, child 1 the rest");
            assert!(s.owner < amount, "child 1's remainder");
        }
    }
}

#[test]
fn a_spend_for_another_level_cannot_spend_a_splitter() {
    // The same children over 10000 (the vault's level) instead of their subtree weight 700:
    // another leaf, so another output key; and its numbers do not satisfy this leaf either.
    let children = [(1u8, 250u16), (2, 300), (3, 150)];
    let real = splitter(&children, 700);
    let other = splitter(&children, 10_000);
    assert_ne!(real.script_pubkey(), other.script_pubkey());
    let mut b = build_distribute(&other, utxo(6, 1_000_000), 1_000).unwrap();
    b.spent[0].script_pubkey = real.script_pubkey().clone();
    assert!(matches!(
        rejected(&b.tx, &b.spent),
        ScriptError::WitnessProgramMismatch | ScriptError::SchnorrSig
    ));
    // The real leaf with the other level's quotients (q, t over 10000): refused in script.
    let honest = build_distribute(&real, utxo(7, 1_000_000), 1_000).unwrap();
    let mut items: Vec<Vec<u8>> = honest.tx.input[0]
        .witness
        .iter()
        .map(|i| i.to_vec())
        .collect();
    let t = 1_000_000u64 - 1_000;
    items[5] = bitmodel_covenant::asm::scriptnum((t / 10_000) as i64); // q over 10000
    let mut tx = honest.tx.clone();
    tx.input[0].witness = bitcoin::Witness::from_slice(&items);
    assert_eq!(rejected(&tx, &honest.spent), ScriptError::Verify);
}

#[test]
fn a_denominator_outside_1_to_10000_is_refused() {
    let mut t = VaultTerms {
        parents: vec![ParentShare {
            script_pubkey: payee(2),
            weight: 5,
        }],
        owner: payee(1),
        fee_cap: 1_000,
        denominator: 0,
    };
    assert!(Vault::new(t.clone(), Chain::Devnet).is_err());
    t.denominator = 4;
    assert!(
        Vault::new(t, Chain::Devnet).is_err(),
        "a weight above the denominator"
    );
}

/// Vault leaves (denominator 10000) are what they were before splitters existed: the sizes
/// `bitmodel-bench covenant` printed for covenant version 2 (weights 500 + 137·i mod 400,
/// P2TR parents and owner), so no vault address moved.
#[test]
fn vault_leaves_are_unchanged_by_the_denominator() {
    let sizes = [
        419usize, 559, 680, 832, 947, 1069, 1184, 1312, 1439, 1561, 1694,
    ];
    for (n, size) in (1..=11usize).zip(sizes) {
        let terms = VaultTerms {
            parents: (0..n)
                .map(|i| ParentShare {
                    script_pubkey: parent_spk(i as u8),
                    weight: 500 + (137 * i as u16) % 400,
                })
                .collect(),
            owner: parent_spk(200),
            fee_cap: 20_000,
            denominator: 10_000,
        };
        let v = Vault::new(terms, Chain::Devnet).unwrap();
        assert_eq!(v.distribute.len(), size, "{n} parents");
    }
}

/// Spends a tree down from its vault (every spend verified in our interpreter at fee 0) and
/// tallies what reached each member script and the owner: (per member, owner, spends, vB).
fn paid_by_tree(
    vaults: &bitmodel_covenant::wide::RecordVaults,
    amount: u64,
    members: &[ScriptBuf],
    owner: &ScriptBuf,
) -> (Vec<u64>, u64, usize, usize) {
    use bitmodel_covenant::wide::spend_tree;
    let spends = spend_tree(vaults, Chain::Devnet, utxo(9, amount), |_| 0).unwrap();
    let splitters: std::collections::HashSet<&ScriptBuf> =
        vaults.splitters.iter().map(|v| v.script_pubkey()).collect();
    let at: std::collections::HashMap<&ScriptBuf, usize> =
        members.iter().enumerate().map(|(i, s)| (s, i)).collect();
    let (mut paid, mut to_owner, mut vsize) = (vec![0u64; members.len()], 0, 0);
    for b in &spends {
        verify(&b.tx, &b.spent).expect("every spend of the tree verifies");
        vsize += b.tx.vsize();
        for o in &b.tx.output {
            if let Some(i) = at.get(&o.script_pubkey) {
                paid[*i] += o.value.to_sat();
            } else if o.script_pubkey == *owner {
                to_owner += o.value.to_sat();
            } else {
                assert!(
                    splitters.contains(&o.script_pubkey),
                    "an output to nobody: {o:?}"
                );
            }
        }
    }
    (paid, to_owner, spends.len(), vsize)
}

fn member(i: usize) -> ScriptBuf {
    let mut h = [0u8; 20];
    h[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
    ScriptBuf::new_p2wpkh(&bitcoin::WPubkeyHash::from_byte_array(h))
}

/// The whole tree in script: a vault over a `wide::tree` of splitters, every spend built and
/// verified, level by level, until each member's output exists; each member's sats equal
/// `wide::pay` exactly, for widths 12, 121 and 1,000.
#[test]
fn a_wide_tree_pays_in_script_what_the_rule_says() {
    use bitmodel_covenant::spend::recommended_fee_cap;
    use bitmodel_covenant::wide::tree_vaults;
    use bitmodel_protocol::wide::pay;

    let mut rng = 0x5eed_u64;
    for n in [12usize, 121, 1_000] {
        let w: Vec<u16> = (0..n)
            .map(|_| {
                rng = rng
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                1 + (rng >> 33) as u16 % 9
            })
            .collect();
        let scripts: Vec<ScriptBuf> = (0..n).map(member).collect();
        let vaults = tree_vaults(
            &w,
            &scripts,
            payee(250),
            recommended_fee_cap(11),
            Chain::Devnet,
        )
        .unwrap();
        let amount = 2_000_000_000u64;
        let (paid, owner, spends, vbytes) = paid_by_tree(&vaults, amount, &scripts, &payee(250));
        let (expected, expected_owner) = pay(&w, amount, 0);
        assert_eq!(paid, expected, "width {n}: every member as the rule says");
        assert_eq!(owner, expected_owner);
        assert_eq!(
            spends,
            1 + vaults.splitters.len(),
            "every splitter spent once"
        );
        assert_eq!(paid.iter().sum::<u64>() + owner, amount);
        eprintln!(
            "width {n}: {spends} spends, {vbytes} vB, {:.1} vB per member",
            vbytes as f64 / n as f64
        );
    }
}

/// The output attacks on a splitter's spend (redirect a child, skim one sat to child 1 or to
/// the fee, reorder children), on a tree's splitter of width 121: the honest witness carries
/// the challenge of the honest outputs, so only OP_CHECKSIG against the real transaction
/// stands in the way, and it refuses each.
#[test]
fn splitter_spends_cannot_be_redirected_skimmed_or_reordered() {
    let w: Vec<u16> = (0..121).map(|i| 1 + (i % 9) as u16).collect();
    let scripts: Vec<ScriptBuf> = (0..121).map(|i| payee(i as u8)).collect();
    let vaults =
        bitmodel_covenant::wide::tree_vaults(&w, &scripts, payee(250), 20_000, Chain::Devnet)
            .unwrap();
    // Splitter 0 (pre-order): the first of the 11 splitters of 11 members each.
    let v = vaults.splitters[0].clone();
    assert_eq!(v.terms.parents.len(), 10);
    let honest = build_distribute(&v, utxo(9, 50_000_000), 500).unwrap();
    verify(&honest.tx, &honest.spent).unwrap();
    let n = honest.tx.output.len();
    type Attack = Box<dyn Fn(&mut bitcoin::Transaction)>;
    let attacks: Vec<(&str, Attack)> = vec![
        (
            "redirect a child",
            Box::new(|tx| tx.output[1].script_pubkey = payee(0xee)),
        ),
        (
            "skim one sat to child 1",
            Box::new(move |tx| {
                tx.output[0].value -= bitcoin::Amount::from_sat(1);
                tx.output[n - 1].value += bitcoin::Amount::from_sat(1);
            }),
        ),
        (
            "skim one sat to the fee",
            Box::new(|tx| tx.output[2].value -= bitcoin::Amount::from_sat(1)),
        ),
        ("reorder two children", Box::new(|tx| tx.output.swap(0, 1))),
        (
            "drop child 1",
            Box::new(|tx| {
                tx.output.pop();
            }),
        ),
    ];
    for (what, attack) in attacks {
        let mut tx = honest.tx.clone();
        attack(&mut tx);
        assert_eq!(
            rejected(&tx, &honest.spent),
            ScriptError::SchnorrSig,
            "{what}"
        );
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(6))]
    /// A random wide record (12..=300 payees of random weights): its vault and every splitter
    /// `record_vaults` derives are spent in script (each verified) down to the payees, and
    /// what reaches each payee and the owner is exactly what the flattened C-Flow (the
    /// lineage API's, the explorer's and `cflow explain`'s `Graph::flatten`) says.
    #[test]
    fn a_wide_records_splitters_pay_what_the_flattened_cflow_says(
        weights in proptest::collection::vec(1u16..=9, 12..=300),
        amount in 10_000_000u64..(1 << 31),
    ) {
        use bitmodel_covenant::wide::record_vaults;
        use bitmodel_protocol::graph::Graph;
        use bitmodel_protocol::{Kind, Payee, Record, Relation};

        let record = Record {
            kind: Kind::Dataset,
            name: "wide".into(),
            version: "1".into(),
            license: "MIT".into(),
            content: None,
            owner: payee(250),
            fee_cap: 20_000,
            price: None,
            parents: Vec::new(),
            payees: weights
                .iter()
                .enumerate()
                .map(|(i, w)| Payee { script: member(i), weight: *w, relation: Relation::Contributor })
                .collect(),
        };
        let vaults = record_vaults(&record, &[], Chain::Devnet).unwrap();
        let scripts: Vec<ScriptBuf> = (0..weights.len()).map(member).collect();
        let (paid, owner, spent, _) = paid_by_tree(&vaults, amount, &scripts, &record.owner);
        proptest::prop_assert_eq!(spent, 1 + vaults.splitters.len(), "every splitter spent once");
        let edges: Vec<(u32, u32, u16)> =
            weights.iter().enumerate().map(|(i, w)| (0, i as u32 + 1, *w)).collect();
        let flat = Graph::from_edges(weights.len() + 1, &edges).unwrap().flatten(0, amount);
        let mut want = vec![0u64; weights.len() + 1];
        for r in &flat {
            want[r.node as usize] = if r.node == 0 { r.keeps } else { r.received };
        }
        proptest::prop_assert_eq!(owner, want[0]);
        proptest::prop_assert_eq!(&paid[..], &want[1..]);
        proptest::prop_assert_eq!(owner + paid.iter().sum::<u64>(), amount);
    }
}
