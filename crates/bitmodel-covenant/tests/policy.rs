//! Policy as a real Fractal node applies it, on every honest spend we build: witness items
//! ≤ 80 bytes (leaf and control block excepted), minimal numbers, no annex, version ≤ 2,
//! weight ≤ 400,000, fee ≥ 1 sat/vB possible within the recommended cap; and the limits
//! nobody can get around: no vaults without OP_CAT, no spending of a UTXO ≥ 2^31 sats.

mod common;

use bitcoin::{Amount, TxOut, Witness};
use bitmodel_covenant::asm::scriptnum;
use bitmodel_covenant::spend::{build_distribute_at_rate, recommended_fee_cap, Built};
use bitmodel_covenant::{build_distribute, build_merge, CovenantError, Vault};
use bitmodel_protocol::Chain;
use bitmodel_script::ScriptError;
use common::*;

/// `numbers(input)`: which witness items of that input, counted from the last one before the
/// leaf, are script numbers.
fn check_policy(b: &Built, numbers: impl Fn(usize) -> Vec<usize>) {
    for (n, input) in b.tx.input.iter().enumerate() {
        let items: Vec<&[u8]> = input.witness.iter().collect();
        assert!(input.witness.taproot_annex().is_none(), "no annex");
        for (i, it) in items[..items.len() - 2].iter().enumerate() {
            assert!(it.len() <= 80, "witness item {i} is {} bytes", it.len());
        }
        for i in numbers(n) {
            let it = items[items.len() - 3 - i];
            let value = it.iter().rev().fold(0i64, |acc, b| {
                (acc << 8)
                    | i64::from(
                        *b & if std::ptr::eq(b, it.last().unwrap()) {
                            0x7f
                        } else {
                            0xff
                        },
                    )
            });
            assert_eq!(
                scriptnum(value),
                it.to_vec(),
                "witness number {i} is minimally encoded"
            );
        }
    }
    assert!(b.tx.version.0 <= 2);
    assert!(b.tx.weight().to_wu() <= 400_000);
}

#[test]
fn every_distribute_and_merge_is_standard() {
    for k in 0..=11usize {
        let weights: Vec<u16> = (0..k).map(|i| 400 + 50 * i as u16).collect();
        let cap = recommended_fee_cap(k);
        let v = vault(&weights, cap);
        // The recommended cap pays at least 1 sat/vB (Core's and Fractal's relay floor) and
        // leaves room for 10 sat/vB.
        let probe = build_distribute(&v, utxo(1, 100_000_000), 0).unwrap();
        let vsize = probe.tx.vsize() as u64;
        assert!(
            cap >= 10 * vsize,
            "{k} parents: cap {cap} < 10 sat/vB × {vsize} vB"
        );
        let b = build_distribute_at_rate(&v, utxo(1, 100_000_000), 1).unwrap();
        verify(&b.tx, &b.spent).unwrap();
        let fee = 100_000_000 - b.tx.output.iter().map(|o| o.value.to_sat()).sum::<u64>();
        assert!(
            fee >= b.tx.vsize() as u64,
            "{k} parents: fee {fee} below 1 sat/vB"
        );
        // A, F, q and every t are numbers.
        check_policy(&b, |_| (0..3 + k).collect());
    }
    let v = vault(&[1000], recommended_fee_cap(1));
    for k in 2..=8usize {
        let utxos: Vec<_> = (0..k).map(|j| utxo(70 + j as u8, 30_000)).collect();
        let b = build_merge(&v, &utxos, 2_000).unwrap();
        verify(&b.tx, &b.spent).unwrap();
        // The leader: eight amount slots, F and the three count bits; a follower: the bits
        // and its input index.
        check_policy(&b, |input| {
            if input == 0 {
                (0..12).collect()
            } else {
                vec![0, 1, 2, 5]
            }
        });
    }
}

#[test]
fn no_vaults_without_op_cat() {
    for chain in [
        Chain::Bitcoin,
        Chain::Testnet,
        Chain::Signet,
        Chain::Regtest,
    ] {
        let err = Vault::new(terms(&[1000], 1000), chain).unwrap_err();
        assert_eq!(err, CovenantError::NoOpCat(chain));
        assert!(err.to_string().contains("anyone-can-spend"), "{err}");
    }
    for chain in [
        Chain::Devnet,
        Chain::Fractal,
        Chain::FractalTestnet,
        Chain::InquisitionSignet,
    ] {
        Vault::new(terms(&[1000], 1000), chain).unwrap();
    }
}

#[test]
fn bad_terms_are_refused() {
    let mut t = terms(&[6000, 5000], 1000);
    assert_eq!(
        Vault::new(t.clone(), Chain::Devnet).unwrap_err(),
        CovenantError::WeightSum(11_000)
    );
    t = terms(&[0], 1000);
    assert!(matches!(
        Vault::new(t, Chain::Devnet).unwrap_err(),
        CovenantError::BadWeight { .. }
    ));
    t = terms(&[1; 12], 1000);
    assert_eq!(
        Vault::new(t, Chain::Devnet).unwrap_err(),
        CovenantError::TooManyParents(12)
    );
    t = terms(&[100], 1000);
    t.parents[0].script_pubkey = bitcoin::ScriptBuf::new_op_return([7u8; 4]);
    assert_eq!(
        Vault::new(t, Chain::Devnet).unwrap_err(),
        CovenantError::ParentNotVault(0)
    );
    t = terms(&[100], 1000);
    t.owner = bitcoin::ScriptBuf::from_bytes(vec![0x51]);
    assert_eq!(
        Vault::new(t, Chain::Devnet).unwrap_err(),
        CovenantError::NonStandardOwner
    );
}

#[test]
fn builder_errors_name_the_problem() {
    let v = vault(&[3000], 1000);
    assert_eq!(
        build_distribute(&v, utxo(1, 100_000), 1001).unwrap_err(),
        CovenantError::FeeAboveCap {
            fee: 1001,
            cap: 1000
        }
    );
    assert_eq!(
        build_distribute(&v, utxo(1, 1 << 31), 0).unwrap_err(),
        CovenantError::AmountTooLarge(1 << 31)
    );
    let e = build_distribute(&v, utxo(1, 1000), 0).unwrap_err();
    assert!(
        matches!(
            e,
            CovenantError::BelowThreshold {
                amount: 1000,
                needed: 1100,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(
        build_merge(&v, &[utxo(1, 1000)], 0).unwrap_err(),
        CovenantError::MergeCount(1)
    );
    assert!(matches!(
        build_merge(&v, &[utxo(1, 200), utxo(2, 200)], 100).unwrap_err(),
        CovenantError::MergeBelowDust { .. }
    ));
}

/// A vault UTXO of 2^31 sats or more can never be spent by these leaves: even a hand-made
/// witness fails, because `A` no longer fits a 4-byte script number.
#[test]
fn a_utxo_of_2_pow_31_is_unspendable() {
    let v = vault(&[3000], 5000);
    let mut b = build_distribute(&v, utxo(1, (1 << 31) - 1), 0).unwrap();
    b.spent = vec![TxOut {
        value: Amount::from_sat(1 << 31),
        script_pubkey: v.script_pubkey().clone(),
    }];
    let mut items: Vec<Vec<u8>> = b.tx.input[0].witness.iter().map(|i| i.to_vec()).collect();
    let n = items.len();
    items[n - 3] = scriptnum(1 << 31);
    b.tx.input[0].witness = Witness::from_slice(&items);
    let err = rejected(&b.tx, &b.spent);
    assert!(
        matches!(err, ScriptError::EqualVerify | ScriptError::UnknownError),
        "{err:?}"
    );
}
