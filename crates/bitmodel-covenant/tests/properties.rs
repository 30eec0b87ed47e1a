//! Property tests: random vaults spend honestly to exactly the split; random byte mutations
//! of honest spends are never accepted with different outputs; leaves never contain an
//! OP_SUCCESSx other than OP_CAT.

mod common;

use bitcoin::consensus::{deserialize, serialize};
use bitcoin::{Transaction, Witness};
use bitmodel_covenant::asm::is_op_success;
use bitmodel_covenant::spend::{distribute_outputs, Built};
use bitmodel_covenant::{build_distribute, build_merge, distribution_threshold};
use bitmodel_protocol::split;
use bitmodel_protocol::MAX_SCRIPT_AMOUNT;
use common::*;
use proptest::prelude::*;

fn weights() -> impl Strategy<Value = Vec<u16>> {
    prop::collection::vec(1u16..=10_000, 0..=11).prop_map(|mut w| {
        // Scale down to a valid sum, keeping each weight at least 1.
        let sum: u32 = w.iter().map(|x| u32::from(*x)).sum();
        if sum > 10_000 {
            for x in w.iter_mut() {
                *x = ((u32::from(*x) * 10_000 / sum).max(1)) as u16;
            }
            while w.iter().map(|x| u32::from(*x)).sum::<u32>() > 10_000 {
                let i = (0..w.len()).max_by_key(|i| w[*i]).unwrap();
                w[i] -= 1;
            }
        }
        w
    })
}

/// The first distributable amount at or above threshold + `extra`.
fn distributable_from(w: &[u16], fee: u64, extra: u64) -> u64 {
    let t = terms(w, 3_000);
    let mut a = distribution_threshold(&t, fee).unwrap() + extra;
    while distribute_outputs(&t, a, fee).is_none() {
        a += 1;
    }
    a
}

/// `b`'s transaction with the bytes at `flips` xored, if that still decodes to a transaction
/// with as many inputs as `b` spends and the interpreter accepts it.
fn accepted_mutation(b: &Built, flips: &[(prop::sample::Index, u8)]) -> Option<Transaction> {
    let mut bytes = serialize(&b.tx);
    for (i, x) in flips {
        let at = i.index(bytes.len());
        bytes[at] ^= x;
    }
    let tx = deserialize::<Transaction>(&bytes).ok()?;
    (tx.input.len() == b.spent.len() && verify(&tx, &b.spent).is_ok()).then_some(tx)
}

/// Every opcode position in a script (pushed data is skipped, as the interpreter does).
fn opcodes(script: &bitcoin::Script) -> Vec<u8> {
    script
        .instructions()
        .map(|i| match i.expect("leaves parse") {
            bitcoin::script::Instruction::Op(op) => op.to_u8(),
            bitcoin::script::Instruction::PushBytes(_) => 0,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn leaves_have_no_op_success_but_cat(w in weights(), cap in 0u64..100_000) {
        let v = vault(&w, cap);
        for leaf in [&v.distribute, &v.merge, &v.follow] {
            for op in opcodes(leaf) {
                prop_assert!(op == 0x7e || !is_op_success(op), "OP_SUCCESS{op} in a leaf");
            }
        }
    }

    #[test]
    fn random_honest_distributions_pay_the_split(w in weights(), extra in 0u64..50_000_000, fee in 0u64..=3_000) {
        let t = terms(&w, 3_000);
        let threshold = distribution_threshold(&t, fee).unwrap();
        let amount = (threshold + extra).min(MAX_SCRIPT_AMOUNT);
        // Above the threshold the owner's rounding remainder can still dip below dust when
        // the parents take nearly everything; that is a refusal, not a failure.
        if distribute_outputs(&t, amount, fee).is_none() {
            let refused = matches!(build_distribute(&vault(&w, 3_000), utxo(3, amount), fee), Err(bitmodel_covenant::CovenantError::BelowThreshold { .. }));
            prop_assert!(refused);
            return Ok(());
        }
        let v = vault(&w, 3_000);
        let b = build_distribute(&v, utxo(3, amount), fee).unwrap();
        prop_assert!(verify(&b.tx, &b.spent).is_ok());
        let s = split(amount, fee, &w).unwrap();
        for (o, share) in b.tx.output.iter().zip(&s.parents) {
            prop_assert_eq!(o.value.to_sat(), *share);
        }
        let total_out: u64 = b.tx.output.iter().map(|o| o.value.to_sat()).sum();
        let owner_out = if w.iter().map(|x| u32::from(*x)).sum::<u32>() < 10_000 { s.owner } else { 0 };
        prop_assert_eq!(total_out, s.parents.iter().sum::<u64>() + owner_out);
    }

    #[test]
    fn mutated_distributions_never_pay_differently(w in weights(), flips in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4)) {
        let v = vault(&w, 3_000);
        let amount = distributable_from(&w, 1_000, 12_345);
        let b = build_distribute(&v, utxo(4, amount), 1_000).unwrap();
        if let Some(tx) = accepted_mutation(&b, &flips) {
            prop_assert_eq!(&tx.output, &b.tx.output, "an accepted mutation changed the outputs");
        }
    }

    #[test]
    fn mutated_witness_items_never_pay_differently(w in weights(), item in any::<prop::sample::Index>(), byte in any::<prop::sample::Index>(), x in 1u8..=255, out in any::<prop::sample::Index>(), delta in -1000i64..1000) {
        let v = vault(&w, 3_000);
        let amount = distributable_from(&w, 500, 777);
        let b = build_distribute(&v, utxo(5, amount), 500).unwrap();
        let mut items: Vec<Vec<u8>> = b.tx.input[0].witness.iter().map(|i| i.to_vec()).collect();
        let n = items.len() - 2; // leave the leaf and control block alone
        let it = &mut items[item.index(n)];
        if it.is_empty() { it.push(x) } else { let at = byte.index(it.len()); it[at] ^= x; }
        let mut tx = b.tx.clone();
        tx.input[0].witness = Witness::from_slice(&items);
        // The attacker may also re-price an output to match whatever the mutation computes.
        let o = out.index(tx.output.len());
        let value = tx.output[o].value.to_sat() as i64 + delta;
        if value >= 0 {
            tx.output[o].value = bitcoin::Amount::from_sat(value as u64);
        }
        if verify(&tx, &b.spent).is_ok() {
            prop_assert_eq!(&tx.output, &b.tx.output);
        }
    }

    #[test]
    fn mutated_merges_never_pay_differently(k in 2usize..=8, flips in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..3)) {
        let v = vault(&[2500, 2500], 3_000);
        let utxos: Vec<_> = (0..k).map(|j| utxo(60 + j as u8, 10_000 + j as u64)).collect();
        let b = build_merge(&v, &utxos, 700).unwrap();
        if let Some(tx) = accepted_mutation(&b, &flips) {
            prop_assert_eq!(&tx.output, &b.tx.output);
        }
    }
}
