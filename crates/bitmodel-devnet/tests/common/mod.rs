//! Helpers shared by the devnet's integration tests: signed taproot spends and funding.
#![allow(dead_code)]

use bitcoin::absolute::LockTime;
use bitcoin::transaction::Version;
use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Witness};
use bitmodel_devnet::faucet::Signer;
use bitmodel_devnet::Devnet;

/// A coin the test controls.
pub struct Owned {
    pub outpoint: OutPoint,
    pub output: TxOut,
}

/// Funds a fresh key with `sats` (confirmed) and returns its signer and coin.
pub fn funded(devnet: &Devnet, seed: &[u8], sats: u64) -> (Signer, Owned) {
    let signer = Signer::from_seed(seed);
    let script = signer.script_pubkey();
    let outpoint = devnet
        .fund(&script, Amount::from_sat(sats))
        .expect("the faucet funds a fresh key");
    let output = TxOut {
        value: Amount::from_sat(sats),
        script_pubkey: script,
    };
    (signer, Owned { outpoint, output })
}

/// An unsigned version-2 transaction spending `coins` (RBF-signalling) to `outputs`.
pub fn unsigned(coins: &[&Owned], outputs: Vec<TxOut>) -> Transaction {
    Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: coins
            .iter()
            .map(|c| TxIn {
                previous_output: c.outpoint,
                script_sig: ScriptBuf::new(),
                sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                witness: Witness::new(),
            })
            .collect(),
        output: outputs,
    }
}

/// Signs every input of `tx` (all spending `signer`'s key path).
pub fn sign_all(signer: &Signer, tx: &mut Transaction, coins: &[&Owned]) {
    let prevouts: Vec<TxOut> = coins.iter().map(|c| c.output.clone()).collect();
    for i in 0..tx.input.len() {
        signer.sign_input(tx, i, &prevouts);
    }
}

/// A signed spend of `coin` paying `to` `amount` and the rest minus `fee` back to the signer.
pub fn pay(signer: &Signer, coin: &Owned, to: &ScriptBuf, amount: u64, fee: u64) -> Transaction {
    let change = coin.output.value.to_sat() - amount - fee;
    let mut outputs = vec![TxOut {
        value: Amount::from_sat(amount),
        script_pubkey: to.clone(),
    }];
    if change > 0 {
        outputs.push(TxOut {
            value: Amount::from_sat(change),
            script_pubkey: signer.script_pubkey(),
        });
    }
    let mut tx = unsigned(&[coin], outputs);
    sign_all(signer, &mut tx, &[coin]);
    tx
}

/// Output `vout` of `tx` as an owned coin.
pub fn output_of(tx: &Transaction, vout: u32) -> Owned {
    Owned {
        outpoint: OutPoint::new(tx.compute_txid(), vout),
        output: tx.output[vout as usize].clone(),
    }
}
