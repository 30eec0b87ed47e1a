//! Commit/reveal, built by hand like ord's batch plan. The reveal leaf is
//! `<key> OP_CHECKSIG <envelope>…`: only the holder of `key` can reveal, and the envelopes
//! (never executed) sit in the witness where ord and Bitmodel indexers read them.
//!
//! Invariants: the commit output's internal key is the same key (so the key path also works,
//! as a way to recover funds if a reveal is never wanted); the reveal spends exactly one
//! commit output at input 0, signed with SIGHASH_DEFAULT; its weight stays within the
//! standard 400,000 WU.

use bitcoin::key::{Keypair, Secp256k1};
use bitcoin::secp256k1::{Message, Signing, Verification};
use bitcoin::sighash::{Prevouts, SighashCache};
use bitcoin::taproot::{LeafVersion, TapLeafHash, TaprootBuilder, TaprootSpendInfo};
use bitcoin::transaction::Version;
use bitcoin::{
    absolute::LockTime, OutPoint, ScriptBuf, Sequence, TapSighashType, Transaction, TxIn, TxOut,
    Witness, XOnlyPublicKey,
};
use bitmodel_protocol::envelope::Inscription;

/// Core's standard transaction weight limit.
pub const MAX_STANDARD_WEIGHT: u64 = 400_000;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InscribeError {
    #[error("nothing to inscribe: pass at least one record")]
    Empty,
    #[error("the reveal transaction would weigh {weight} WU, above the standard {MAX_STANDARD_WEIGHT}; split the content over several reveals (about {max_body} bytes each)")]
    TooLarge { weight: u64, max_body: usize },
    #[error("commit output of {value} sats cannot pay reveal outputs of {outputs} sats plus a fee of {fee} sats")]
    InsufficientCommit { value: u64, outputs: u64, fee: u64 },
}

/// One commit/reveal pair's plan.
#[derive(Clone, Debug)]
pub struct Reveal {
    pub script: ScriptBuf,
    spend_info: TaprootSpendInfo,
    key: XOnlyPublicKey,
}

impl Reveal {
    pub fn new<C: Verification>(
        secp: &Secp256k1<C>,
        key: XOnlyPublicKey,
        inscriptions: &[Inscription],
    ) -> Result<Reveal, InscribeError> {
        let first = inscriptions.first().ok_or(InscribeError::Empty)?;
        let mut b = bitcoin::script::Builder::new()
            .push_x_only_key(&key)
            .push_opcode(bitcoin::opcodes::all::OP_CHECKSIG);
        b = first.append_to(b);
        for i in &inscriptions[1..] {
            b = i.append_to(b);
        }
        let script = b.into_script();
        let spend_info = TaprootBuilder::new()
            .add_leaf(0, script.clone())
            .expect("a single leaf at depth 0 is a valid tree")
            .finalize(secp, key)
            .expect("a single-leaf tree is complete");
        let r = Reveal {
            script,
            spend_info,
            key,
        };
        let weight = r
            .unsigned(OutPoint::null(), vec![TxOut::NULL])
            .weight()
            .to_wu()
            + 66;
        if weight > MAX_STANDARD_WEIGHT {
            let max_body = (MAX_STANDARD_WEIGHT as usize - 2_000) * 520 / 522;
            return Err(InscribeError::TooLarge { weight, max_body });
        }
        Ok(r)
    }

    /// The commit output's scriptPubKey: pay at least the reveal's outputs and fee to it.
    pub fn commit_script_pubkey(&self) -> ScriptBuf {
        ScriptBuf::new_p2tr_tweaked(self.spend_info.output_key())
    }

    pub fn internal_key(&self) -> XOnlyPublicKey {
        self.key
    }

    fn unsigned(&self, commit: OutPoint, outputs: Vec<TxOut>) -> Transaction {
        let control = self
            .spend_info
            .control_block(&(self.script.clone(), LeafVersion::TapScript))
            .expect("the leaf is in the tree");
        Transaction {
            version: Version::TWO,
            lock_time: LockTime::ZERO,
            input: vec![TxIn {
                previous_output: commit,
                script_sig: ScriptBuf::new(),
                sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                // A 64-byte placeholder signature sizes the witness exactly.
                witness: Witness::from_slice(&[
                    vec![0u8; 64],
                    self.script.to_bytes(),
                    control.serialize(),
                ]),
            }],
            output: outputs,
        }
    }

    /// The reveal's virtual size with these outputs.
    pub fn vsize(&self, outputs: &[TxOut]) -> u64 {
        self.unsigned(OutPoint::null(), outputs.to_vec()).vsize() as u64
    }

    /// The signed reveal: spends `commit` (worth `commit_value`) into `outputs`, paying
    /// `fee_rate` sat/vB; whatever is left above the outputs and fee must be accounted for
    /// by the caller's outputs (nothing is silently given to miners beyond the fee).
    pub fn reveal<C: Signing + Verification>(
        &self,
        secp: &Secp256k1<C>,
        keypair: &Keypair,
        commit: OutPoint,
        commit_value: u64,
        outputs: Vec<TxOut>,
        fee: u64,
    ) -> Result<Transaction, InscribeError> {
        let out_total: u64 = outputs.iter().map(|o| o.value.to_sat()).sum();
        if commit_value != out_total + fee {
            return Err(InscribeError::InsufficientCommit {
                value: commit_value,
                outputs: out_total,
                fee,
            });
        }
        let mut tx = self.unsigned(commit, outputs);
        let prevout = TxOut {
            value: bitcoin::Amount::from_sat(commit_value),
            script_pubkey: self.commit_script_pubkey(),
        };
        let leaf = TapLeafHash::from_script(&self.script, LeafVersion::TapScript);
        let sighash = SighashCache::new(&tx)
            .taproot_script_spend_signature_hash(
                0,
                &Prevouts::All(&[prevout]),
                leaf,
                TapSighashType::Default,
            )
            .expect("one input, one prevout");
        // BIP340 with zero auxiliary randomness: deterministic, still a valid and safe signature.
        let sig =
            secp.sign_schnorr_no_aux_rand(&Message::from_digest(sighash.to_byte_array()), keypair);
        let mut items: Vec<Vec<u8>> = tx.input[0].witness.iter().map(|i| i.to_vec()).collect();
        items[0] = sig.as_ref().to_vec();
        tx.input[0].witness = Witness::from_slice(&items);
        Ok(tx)
    }
}

use bitcoin::hashes::Hash as _;
