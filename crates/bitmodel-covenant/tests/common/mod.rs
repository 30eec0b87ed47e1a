//! Shared fixtures: vaults with synthetic parents and a verifier with Fractal's flags.
#![allow(dead_code)]

use bitcoin::hashes::Hash;
use bitcoin::key::{Secp256k1, TweakedPublicKey};
use bitcoin::{OutPoint, ScriptBuf, Transaction, TxOut, Txid, WPubkeyHash, XOnlyPublicKey};
use bitmodel_covenant::vault::ParentShare;
use bitmodel_covenant::{Utxo, Vault, VaultTerms};
use bitmodel_protocol::Chain;
use bitmodel_script::{verify_tx, Flags, ScriptError, TxScriptError};

/// A P2TR scriptPubKey standing in for parent `i`'s vault.
pub fn parent_spk(i: u8) -> ScriptBuf {
    let secp = Secp256k1::new();
    let sk =
        bitcoin::secp256k1::SecretKey::from_slice(&[i.wrapping_add(1); 32]).expect("valid key");
    let (x, _) = sk.x_only_public_key(&secp);
    ScriptBuf::new_p2tr_tweaked(TweakedPublicKey::dangerous_assume_tweaked(x))
}

pub fn owner_spk() -> ScriptBuf {
    ScriptBuf::new_p2wpkh(&WPubkeyHash::from_byte_array([0x0b; 20]))
}

pub fn terms(weights: &[u16], fee_cap: u64) -> VaultTerms {
    VaultTerms {
        parents: weights
            .iter()
            .enumerate()
            .map(|(i, w)| ParentShare {
                script_pubkey: parent_spk(i as u8),
                weight: *w,
            })
            .collect(),
        owner: owner_spk(),
        fee_cap,
        denominator: 10_000,
    }
}

pub fn vault(weights: &[u16], fee_cap: u64) -> Vault {
    Vault::new(terms(weights, fee_cap), Chain::Devnet).expect("valid terms")
}

pub fn utxo(n: u8, amount: u64) -> Utxo {
    Utxo {
        outpoint: OutPoint {
            txid: Txid::from_byte_array([n; 32]),
            vout: u32::from(n),
        },
        amount,
    }
}

pub fn verify(tx: &Transaction, spent: &[TxOut]) -> Result<(), TxScriptError> {
    verify_tx(tx, spent, Flags::FRACTAL, 1)
}

/// The script error of input 0 (or the given input), panicking if the spend verified.
pub fn rejected(tx: &Transaction, spent: &[TxOut]) -> ScriptError {
    match verify(tx, spent) {
        Ok(()) => panic!("an attack verified: {tx:#?}"),
        Err(TxScriptError::Input { error, .. }) => error,
        Err(e) => panic!("unexpected error {e}"),
    }
}

pub fn xonly_g() -> XOnlyPublicKey {
    XOnlyPublicKey::from_slice(&bitmodel_covenant::leaves::G_X).expect("G is a point")
}
