//! Records for tests and benchmarks: one base record and the pieces tests vary, so each
//! test says only what it tests (with struct update syntax) instead of spelling out every
//! field of its own copy. Also the signed spend devnet tests and benchmarks load the node
//! with.

use bitcoin::absolute::LockTime;
use bitcoin::hashes::{sha256, Hash};
use bitcoin::transaction::Version;
use bitcoin::{
    Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, WPubkeyHash, Witness,
};
use bitmodel_devnet::faucet::Signer;
use bitmodel_protocol::record::{Content, Parts};
use bitmodel_protocol::{AssetId, Kind, Parent, Record, Relation};

/// A model record named `name` paying `owner`, with fee cap `fee_cap`: version "1", MIT, no
/// content, no price, no parents, no payees.
pub fn record(name: &str, owner: ScriptBuf, fee_cap: u64) -> Record {
    Record {
        kind: Kind::Model,
        name: name.into(),
        version: "1".into(),
        license: "MIT".into(),
        content: None,
        owner,
        fee_cap,
        price: None,
        parents: Vec::new(),
        payees: Vec::new(),
    }
}

/// A P2WPKH payout script made of one byte (distinct bytes, distinct owners: assets with
/// equal terms share one vault).
pub fn owner(n: u8) -> ScriptBuf {
    ScriptBuf::new_p2wpkh(&WPubkeyHash::from_byte_array([n; 20]))
}

/// The `n`th of many P2WPKH payout scripts: `n`'s eight little-endian bytes, then zeros
/// (for more distinct owners than [`owner`]'s 256).
pub fn numbered_owner(n: usize) -> ScriptBuf {
    let mut h = [0u8; 20];
    h[..8].copy_from_slice(&(n as u64).to_le_bytes());
    ScriptBuf::new_p2wpkh(&WPubkeyHash::from_byte_array(h))
}

/// Parents at the given weights, each with `relation`.
pub fn parents(list: &[(AssetId, u16)], relation: Relation) -> Vec<Parent> {
    list.iter()
        .map(|(asset, weight)| Parent {
            asset: *asset,
            weight: *weight,
            relation,
        })
        .collect()
}

/// The record's content for `file`: its SHA-256 and size, no URIs, and with `part_size` a
/// commitment to every part (record format version 2).
pub fn content(file: &[u8], part_size: Option<usize>) -> Content {
    Content {
        sha256: sha256::Hash::hash(file).to_byte_array(),
        size: file.len() as u64,
        uris: vec![],
        parts: part_size.map(|n| Parts::of(file, n)),
    }
}

/// A signed spend of `signer`'s coin `coin` (worth `value` sats) paying each of `amounts`
/// back to `signer`, the rest left as fee: one input, version 2, RBF-signalling, signed on
/// the key path.
pub fn self_spend(signer: &Signer, coin: OutPoint, value: u64, amounts: &[u64]) -> Transaction {
    let out = |sats| TxOut {
        value: Amount::from_sat(sats),
        script_pubkey: signer.script_pubkey(),
    };
    let mut tx = Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: coin,
            script_sig: ScriptBuf::new(),
            sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
            witness: Witness::new(),
        }],
        output: amounts.iter().map(|&sats| out(sats)).collect(),
    };
    signer.sign_input(&mut tx, 0, &[out(value)]);
    tx
}
