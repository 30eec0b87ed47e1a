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

/// A P2WPKH key: the output type every Bitcoin-family regtest node understands (used to
/// drive the devnet and a real litecoind with the same transactions).
pub struct WpkhKey {
    secp: bitcoin::key::Secp256k1<bitcoin::secp256k1::All>,
    sk: bitcoin::secp256k1::SecretKey,
    pk: bitcoin::CompressedPublicKey,
}

impl WpkhKey {
    pub fn from_seed(seed: &[u8]) -> WpkhKey {
        use bitcoin::hashes::{sha256, Hash};
        let secp = bitcoin::key::Secp256k1::new();
        let sk =
            bitcoin::secp256k1::SecretKey::from_slice(sha256::Hash::hash(seed).as_byte_array())
                .expect("valid secret key");
        let pk = bitcoin::CompressedPublicKey(sk.public_key(&secp));
        WpkhKey { secp, sk, pk }
    }

    pub fn script_pubkey(&self) -> ScriptBuf {
        ScriptBuf::new_p2wpkh(&self.pk.wpubkey_hash())
    }

    /// The address with a chain's bech32 prefix (`bcrt` for the devnet, `rltc` for Litecoin
    /// regtest).
    pub fn address(&self, hrp: &str) -> String {
        use bitcoin::hashes::Hash;
        let hrp = bitcoin::bech32::Hrp::parse(hrp).expect("valid hrp");
        bitcoin::bech32::segwit::encode_v0(hrp, self.pk.wpubkey_hash().as_byte_array())
            .expect("encodes")
    }

    /// Signs input `index` spending `value` from this key.
    pub fn sign(&self, tx: &mut Transaction, index: usize, value: Amount) {
        let sighash = bitcoin::sighash::SighashCache::new(&*tx)
            .p2wpkh_signature_hash(
                index,
                &self.script_pubkey(),
                value,
                bitcoin::EcdsaSighashType::All,
            )
            .expect("p2wpkh script");
        let msg = bitcoin::secp256k1::Message::from(sighash);
        let sig = bitcoin::ecdsa::Signature::sighash_all(self.secp.sign_ecdsa(&msg, &self.sk));
        tx.input[index].witness = Witness::p2wpkh(&sig, &self.pk.0);
    }
}
