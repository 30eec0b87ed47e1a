//! Cross-check with Bitcoin Core's own code (libbitcoinconsensus): the signature half of the
//! covenant — key `G`, nonce `G`, `s = 1 + e` — is a valid BIP340 signature over the real
//! BIP341 script-path message as Core computes it. libbitcoinconsensus treats OP_CAT as
//! OP_SUCCESS, so the check uses a leaf without OP_CAT: `<G.x> OP_CHECKSIG`, spent in a
//! transaction shaped exactly like an honest distribute (same input, outputs and fields).
//!
//! Together with the honest-spend tests (our interpreter accepts only if the leaf's rebuilt
//! message hashes to the same challenge), this shows the leaf's reconstruction is Core's.

mod common;

use bitcoin::consensus::serialize;
use bitcoin::key::Secp256k1;
use bitcoin::opcodes::all::OP_CHECKSIG;
use bitcoin::script::Builder;
use bitcoin::taproot::{LeafVersion, TapLeafHash, TaprootBuilder};
use bitcoin::{Amount, ScriptBuf, TapSighashType, TxOut, Witness, XOnlyPublicKey};
use bitmodel_covenant::build_distribute;
use bitmodel_covenant::leaves::G_X;
use bitmodel_covenant::sigmsg::{challenge, usable};
use bitmodel_covenant::vault::NUMS;
use common::*;
use proptest::prelude::*;

fn core_verify(spk: &ScriptBuf, tx: &bitcoin::Transaction, spent: &[TxOut]) -> Result<(), String> {
    let utxos: Vec<bitcoinconsensus::Utxo> = spent
        .iter()
        .map(|o| bitcoinconsensus::Utxo {
            script_pubkey: o.script_pubkey.as_bytes().as_ptr(),
            script_pubkey_len: o.script_pubkey.len() as u32,
            value: o.value.to_sat() as i64,
        })
        .collect();
    let flags = bitcoinconsensus::VERIFY_ALL_PRE_TAPROOT | bitcoinconsensus::VERIFY_TAPROOT;
    bitcoinconsensus::verify_with_flags(
        spk.as_bytes(),
        spent[0].value.to_sat(),
        &serialize(tx),
        Some(&utxos),
        0,
        flags,
    )
    .map_err(|e| format!("{e:?}"))
}

/// The honest distribute for these terms, re-pointed at a `<G> OP_CHECKSIG` output and
/// signed with the covenant's trick. Returns (spk, tx, spent, e) or None if the ground lock
/// time happens not to suit this leaf.
fn g_leaf_spend(
    weights: &[u16],
    amount: u64,
    fee: u64,
) -> (ScriptBuf, bitcoin::Transaction, Vec<TxOut>, [u8; 32]) {
    g_leaf_spend_typed(weights, amount, fee, TapSighashType::Default)
}

/// As [`g_leaf_spend`], signing with hash type `ty` (the follower leaf uses SIGHASH_NONE,
/// whose signature carries the type byte).
fn g_leaf_spend_typed(
    weights: &[u16],
    amount: u64,
    fee: u64,
    ty: TapSighashType,
) -> (ScriptBuf, bitcoin::Transaction, Vec<TxOut>, [u8; 32]) {
    let v = vault(weights, 10_000);
    let honest = build_distribute(&v, utxo(1, amount), fee).unwrap();
    let leaf = Builder::new()
        .push_slice(G_X)
        .push_opcode(OP_CHECKSIG)
        .into_script();
    let secp = Secp256k1::verification_only();
    let info = TaprootBuilder::new()
        .add_leaf(0, leaf.clone())
        .unwrap()
        .finalize(&secp, XOnlyPublicKey::from_slice(&NUMS).unwrap())
        .unwrap();
    let spk = ScriptBuf::new_p2tr_tweaked(info.output_key());
    let spent = vec![TxOut {
        value: Amount::from_sat(amount),
        script_pubkey: spk.clone(),
    }];
    let mut tx = honest.tx.clone();
    let leaf_hash = TapLeafHash::from_script(&leaf, LeafVersion::TapScript);
    let control = info
        .control_block(&(leaf.clone(), LeafVersion::TapScript))
        .unwrap();
    let mut n = 0;
    let e = loop {
        tx.lock_time = bitcoin::absolute::LockTime::from_consensus(n);
        let e = challenge(&tx, &spent, 0, leaf_hash, ty);
        if usable(&e) {
            break e;
        }
        n += 1;
    };
    let mut s = e;
    s[31] += 1;
    let mut sig = [G_X, s].concat();
    if ty != TapSighashType::Default {
        sig.push(ty as u8);
    }
    tx.input[0].witness = Witness::from_slice(&[sig, leaf.to_bytes(), control.serialize()]);
    (spk, tx, spent, e)
}

#[test]
fn core_accepts_the_g_signature_of_honest_spends() {
    for (weights, amount, fee) in [
        (&[3000u16, 2000, 1000][..], 1_000_000u64, 1_000u64),
        (&[10_000], 5_000, 0),
        (&[1; 11], 90_000_000, 7),
    ] {
        let (spk, tx, spent, _) = g_leaf_spend(weights, amount, fee);
        core_verify(&spk, &tx, &spent)
            .unwrap_or_else(|e| panic!("libbitcoinconsensus rejected: {e}"));
        verify(&tx, &spent).expect("and so does ours");
    }
}

#[test]
fn core_accepts_the_g_signature_with_sighash_none() {
    let (spk, tx, spent, _) =
        g_leaf_spend_typed(&[3000, 2000], 1_000_000, 1_000, TapSighashType::None);
    core_verify(&spk, &tx, &spent).unwrap_or_else(|e| panic!("libbitcoinconsensus rejected: {e}"));
    verify(&tx, &spent).expect("and so does ours");
}

#[test]
fn core_rejects_a_wrong_s() {
    let (spk, mut tx, spent, _) = g_leaf_spend(&[5000], 100_000, 10);
    let mut items: Vec<Vec<u8>> = tx.input[0].witness.iter().map(|i| i.to_vec()).collect();
    items[0][63] += 1;
    tx.input[0].witness = Witness::from_slice(&items);
    assert!(core_verify(&spk, &tx, &spent).is_err());
    assert!(verify(&tx, &spent).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]
    #[test]
    fn core_agrees_on_random_spends(k in 0usize..=11, amount in 10_000_000u64..2_000_000_000, fee in 0u64..10_000) {
        let weights: Vec<u16> = (0..k).map(|i| 100 + 37 * i as u16).collect();
        let (spk, tx, spent, _) = g_leaf_spend(&weights, amount, fee);
        prop_assert!(core_verify(&spk, &tx, &spent).is_ok());
    }
}
