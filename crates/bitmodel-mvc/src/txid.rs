//! Transaction ids. Bitcoin SV (and MVC below version 10) hash the whole serialised
//! transaction twice. MVC's version-10 transactions (`TxSerializeHash` in its `hash.h`)
//! instead hash, twice, a fixed-size summary: version, lock time, the input and output
//! counts (4 bytes each), then SHA-256 of every input's outpoint and sequence, SHA-256 of
//! the SHA-256 of every input's unlocking script, and SHA-256 of every output's value and the
//! SHA-256 of its locking script. A child can then prove what its parent's outputs are with
//! three hashes instead of the parent's bytes.

use bitcoin::hashes::{sha256, sha256d, Hash, HashEngine};
use bitcoin::{Transaction, Txid};

/// Which txid a network uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxidRule {
    /// Double SHA-256 of the serialised transaction (Bitcoin SV, Bitcoin).
    Legacy,
    /// MVC: the version-10 summary hash for versions 10 and up, legacy below.
    Mvc,
}

impl TxidRule {
    pub fn txid(self, tx: &Transaction) -> Txid {
        match self {
            TxidRule::Legacy => tx.compute_txid(),
            TxidRule::Mvc => mvc_txid(tx),
        }
    }
}

impl TxidRule {
    /// The rule `chain` uses: MVC's networks the version-10 one, every other the ordinary.
    pub fn of(chain: bitmodel_protocol::Chain) -> TxidRule {
        if chain.has_mvc_txids() {
            TxidRule::Mvc
        } else {
            TxidRule::Legacy
        }
    }
}

/// The transaction's id on MVC.
pub fn mvc_txid(tx: &Transaction) -> Txid {
    if tx.version.0 < 10 {
        return tx.compute_txid();
    }
    let mut e = sha256d::Hash::engine();
    e.input(&tx.version.0.to_le_bytes());
    e.input(&tx.lock_time.to_consensus_u32().to_le_bytes());
    e.input(&(tx.input.len() as u32).to_le_bytes());
    e.input(&(tx.output.len() as u32).to_le_bytes());
    let mut prevouts = sha256::Hash::engine();
    let mut scripts = sha256::Hash::engine();
    for i in &tx.input {
        prevouts.input(i.previous_output.txid.as_byte_array());
        prevouts.input(&i.previous_output.vout.to_le_bytes());
        prevouts.input(&i.sequence.0.to_le_bytes());
        scripts.input(sha256::Hash::hash(i.script_sig.as_bytes()).as_byte_array());
    }
    let mut outputs = sha256::Hash::engine();
    for o in &tx.output {
        outputs.input(&o.value.to_sat().to_le_bytes());
        outputs.input(sha256::Hash::hash(o.script_pubkey.as_bytes()).as_byte_array());
    }
    e.input(sha256::Hash::from_engine(prevouts).as_byte_array());
    e.input(sha256::Hash::from_engine(scripts).as_byte_array());
    e.input(sha256::Hash::from_engine(outputs).as_byte_array());
    Txid::from_raw_hash(sha256d::Hash::from_engine(e))
}
