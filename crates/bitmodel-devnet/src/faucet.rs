//! The devnet's faucet: a fixed, publicly known taproot key that mining pays by default, so
//! tests can fund any address without a wallet. Also the key-path signing helper tests and
//! benchmarks use to build real, fully signed transactions.

use bitcoin::hashes::{sha256, Hash};
use bitcoin::key::{Keypair, Secp256k1, TapTweak};
use bitcoin::secp256k1::{All, Message, SecretKey};
use bitcoin::sighash::{Prevouts, SighashCache};
use bitcoin::{Address, ScriptBuf, TapSighashType, Transaction, TxOut, Witness, XOnlyPublicKey};

use crate::params::NETWORK;

/// A taproot key-path signer.
pub struct Signer {
    secp: Secp256k1<All>,
    keypair: Keypair,
}

impl Signer {
    /// A signer whose secret is sha256(`seed`).
    pub fn from_seed(seed: &[u8]) -> Signer {
        let secp = Secp256k1::new();
        let sk = SecretKey::from_slice(sha256::Hash::hash(seed).as_byte_array())
            .expect("a sha256 digest is a valid secret key with overwhelming probability");
        let keypair = Keypair::from_secret_key(&secp, &sk);
        Signer { secp, keypair }
    }

    /// The devnet faucet's signer.
    pub fn faucet() -> Signer {
        Signer::from_seed(b"bitmodel devnet faucet")
    }

    pub fn internal_key(&self) -> XOnlyPublicKey {
        self.keypair.x_only_public_key().0
    }

    /// The P2TR output script (key path only, no script tree).
    pub fn script_pubkey(&self) -> ScriptBuf {
        ScriptBuf::new_p2tr(&self.secp, self.internal_key(), None)
    }

    pub fn address(&self) -> Address {
        Address::p2tr(&self.secp, self.internal_key(), None, NETWORK)
    }

    /// Signs input `index` of `tx` (a key-path spend of [`Self::script_pubkey`]) with
    /// `SIGHASH_DEFAULT`; `prevouts` are all spent outputs in input order.
    pub fn sign_input(&self, tx: &mut Transaction, index: usize, prevouts: &[TxOut]) {
        let sighash = SighashCache::new(&*tx)
            .taproot_key_spend_signature_hash(
                index,
                &Prevouts::All(prevouts),
                TapSighashType::Default,
            )
            .expect("prevouts match the inputs");
        let tweaked = self.keypair.tap_tweak(&self.secp, None);
        let msg = Message::from_digest(sighash.to_byte_array());
        let sig = self
            .secp
            .sign_schnorr_no_aux_rand(&msg, &tweaked.to_keypair());
        tx.input[index].witness = Witness::from_slice(&[sig.as_ref()]);
    }
}
