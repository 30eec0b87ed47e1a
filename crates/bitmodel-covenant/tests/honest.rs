//! Honest spends verify under Fractal's flags, and pay exactly what the split rule says.

mod common;

use bitmodel_covenant::spend::distribute_outputs;
use bitmodel_covenant::{build_distribute, build_merge, distribution_threshold};
use bitmodel_protocol::split;
use bitmodel_protocol::MAX_SCRIPT_AMOUNT;
use common::*;

fn check_distribute(weights: &[u16], amount: u64, fee: u64) {
    let v = vault(weights, 5_000);
    let built = build_distribute(&v, utxo(1, amount), fee)
        .unwrap_or_else(|e| panic!("{weights:?} {amount} {fee}: {e}"));
    verify(&built.tx, &built.spent)
        .unwrap_or_else(|e| panic!("{weights:?} A={amount} F={fee}: {e}"));
    let s = split(amount, fee, weights).unwrap();
    let outs: Vec<u64> = built.tx.output.iter().map(|o| o.value.to_sat()).collect();
    let mut expected = s.parents.clone();
    if weights.iter().map(|w| u32::from(*w)).sum::<u32>() < 10_000 {
        expected.push(s.owner);
    }
    assert_eq!(outs, expected, "outputs equal split() sat for sat");
    for (i, o) in built.tx.output.iter().enumerate().take(weights.len()) {
        assert_eq!(o.script_pubkey, parent_spk(i as u8));
    }
    let paid: u64 = outs.iter().sum();
    assert_eq!(
        amount - paid,
        fee + if expected.len() > weights.len() {
            0
        } else {
            s.owner
        }
    );
}

#[test]
fn distribute_three_parents() {
    check_distribute(&[3000, 2000, 1000], 1_000_000, 1_000);
}

#[test]
fn distribute_every_fan_out() {
    for k in 0..=11usize {
        let weights: Vec<u16> = (0..k).map(|i| 300 + 40 * i as u16).collect();
        check_distribute(&weights, 7_654_321, 777);
    }
}

#[test]
fn distribute_weight_edges() {
    check_distribute(&[1], 50_000_000, 0);
    check_distribute(&[9999], 5_000_000, 100);
    check_distribute(&[10_000], 5_000_000, 100);
    check_distribute(&[5000, 5000], 1_000_001, 3);
    check_distribute(&[3333, 3333, 3334], 999_999, 0);
    check_distribute(&[1, 9999], 50_000_000, 5_000);
}

#[test]
fn distribute_amount_edges() {
    check_distribute(&[2500, 2500], MAX_SCRIPT_AMOUNT, 5_000);
    for weights in [&[3000u16, 2000, 1000][..], &[1], &[10_000], &[]] {
        for fee in [0, 1, 4_999, 5_000] {
            let t = distribution_threshold(&terms(weights, 5_000), fee).unwrap();
            check_distribute(weights, t, fee);
            assert!(
                distribute_outputs(&terms(weights, 5_000), t - 1, fee).is_none(),
                "{weights:?} threshold {t} is the smallest"
            );
        }
    }
}

#[test]
fn merge_every_k() {
    let v = vault(&[3000, 2000], 5_000);
    for k in 2..=8usize {
        let utxos: Vec<_> = (0..k)
            .map(|j| utxo(10 + j as u8, 1_000 + 333 * j as u64))
            .collect();
        let fee = 100 * k as u64;
        let built = build_merge(&v, &utxos, fee).unwrap();
        verify(&built.tx, &built.spent).unwrap_or_else(|e| panic!("merge_{k}: {e}"));
        assert_eq!(built.tx.output.len(), 1);
        assert_eq!(built.tx.output[0].script_pubkey, *v.script_pubkey());
        assert_eq!(
            built.tx.output[0].value.to_sat(),
            utxos.iter().map(|u| u.amount).sum::<u64>() - fee
        );
    }
}

/// Payees (parents that are payout scripts) of every standard type beside a vault parent:
/// the distribute verifies and pays each its exact share at its own dust limit.
#[test]
fn distribute_pays_payees_of_every_standard_type() {
    use bitcoin::hashes::Hash;
    use bitcoin::ScriptBuf;
    let scripts = [
        parent_spk(0),
        ScriptBuf::new_p2wpkh(&bitcoin::WPubkeyHash::from_byte_array([1; 20])),
        ScriptBuf::new_p2pkh(&bitcoin::PubkeyHash::from_byte_array([2; 20])),
        ScriptBuf::new_p2sh(&bitcoin::ScriptHash::from_byte_array([3; 20])),
        ScriptBuf::new_p2wsh(&bitcoin::WScriptHash::from_byte_array([4; 32])),
    ];
    let weights = [2000u16, 150, 75, 300, 25];
    let mut t = terms(&weights, 5_000);
    for (p, s) in t.parents.iter_mut().zip(&scripts) {
        p.script_pubkey = s.clone();
    }
    let v = bitmodel_covenant::Vault::new(t, bitmodel_protocol::Chain::Devnet).unwrap();
    let amount = 3_000_000;
    let built = build_distribute(&v, utxo(9, amount), 900).unwrap();
    verify(&built.tx, &built.spent).expect("the payee distribute verifies");
    let s = split(amount, 900, &weights).unwrap();
    for (i, o) in built.tx.output.iter().enumerate().take(scripts.len()) {
        assert_eq!(o.script_pubkey, scripts[i]);
        assert_eq!(o.value.to_sat(), s.parents[i]);
    }
    assert_eq!(built.tx.output.last().unwrap().value.to_sat(), s.owner);
}
