//! The BIP341 pieces a leaf's witness supplies, and the challenge `e` the spender grinds.
//! The real signature hash comes from rust-bitcoin's `SighashCache`, so the script's
//! reconstruction is checked against an independent implementation in every spend.

use bitcoin::consensus::Encodable;
use bitcoin::hashes::{sha256, Hash};
use bitcoin::sighash::{Prevouts, SighashCache, TapSighashType};
use bitcoin::taproot::TapLeafHash;
use bitcoin::{Transaction, TxOut};

use crate::leaves::{G_X, TAG_CHALLENGE};

/// secp256k1's group order, big-endian.
const ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
];

/// The transaction-wide SigMsg fields (BIP341's single-SHA256 commitments).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pieces {
    pub version: [u8; 4],
    pub lock_time: [u8; 4],
    pub sha_prevouts: [u8; 32],
    pub sha_amounts: [u8; 32],
    pub sha_scriptpubkeys: [u8; 32],
    pub sha_sequences: [u8; 32],
}

pub fn pieces(tx: &Transaction, spent: &[TxOut]) -> Pieces {
    let mut prevouts = Vec::new();
    let mut sequences = Vec::new();
    for i in &tx.input {
        i.previous_output
            .consensus_encode(&mut prevouts)
            .expect("writing to a Vec cannot fail");
        sequences.extend_from_slice(&i.sequence.0.to_le_bytes());
    }
    let mut spks = Vec::new();
    let mut amounts = Vec::new();
    for o in spent {
        amounts.extend_from_slice(&o.value.to_sat().to_le_bytes());
        o.script_pubkey
            .consensus_encode(&mut spks)
            .expect("writing to a Vec cannot fail");
    }
    Pieces {
        version: tx.version.0.to_le_bytes(),
        lock_time: tx.lock_time.to_consensus_u32().to_le_bytes(),
        sha_prevouts: sha256::Hash::hash(&prevouts).to_byte_array(),
        sha_amounts: sha256::Hash::hash(&amounts).to_byte_array(),
        sha_scriptpubkeys: sha256::Hash::hash(&spks).to_byte_array(),
        sha_sequences: sha256::Hash::hash(&sequences).to_byte_array(),
    }
}

impl Pieces {
    /// `nVersion ‖ nLockTime ‖ sha_prevouts` (distribute's and merge's `p1`).
    pub fn p1(&self) -> Vec<u8> {
        [&self.version[..], &self.lock_time, &self.sha_prevouts].concat()
    }

    /// `sha_scriptpubkeys ‖ sha_sequences` (distribute's `p2`).
    pub fn p2(&self) -> Vec<u8> {
        [self.sha_scriptpubkeys, self.sha_sequences].concat()
    }

    /// `epoch ‖ hash_type ‖ nVersion ‖ nLockTime ‖ sha_prevouts ‖ sha_amounts` (follow's `pre`).
    pub fn pre(&self, hash_type: u8) -> Vec<u8> {
        [&[0u8, hash_type][..], &self.p1(), &self.sha_amounts].concat()
    }

    /// `sha_sequences ‖ spend_type` (follow's `mid`; spend type 0: script path, no annex).
    pub fn mid(&self) -> Vec<u8> {
        [&self.sha_sequences[..], &[2u8]].concat()
    }
}

/// The message's tail after the input index: `tapleaf_hash ‖ key_version ‖ codesep_pos`.
pub fn suffix(leaf: TapLeafHash) -> Vec<u8> {
    [&leaf.as_byte_array()[..], &[0u8, 0xff, 0xff, 0xff, 0xff]].concat()
}

/// BIP340's challenge for key `G`, nonce `G` and this input's real script-path sighash of
/// type `ty`, as the 32-byte hash before reduction.
pub fn challenge(
    tx: &Transaction,
    spent: &[TxOut],
    input: usize,
    leaf: TapLeafHash,
    ty: TapSighashType,
) -> [u8; 32] {
    let sighash = SighashCache::new(tx)
        .taproot_script_spend_signature_hash(input, &Prevouts::All(spent), leaf, ty)
        .expect("input index and spent outputs match the transaction");
    let mut pre = Vec::with_capacity(160);
    pre.extend_from_slice(&TAG_CHALLENGE);
    pre.extend_from_slice(&TAG_CHALLENGE);
    pre.extend_from_slice(&G_X);
    pre.extend_from_slice(&G_X);
    pre.extend_from_slice(sighash.as_byte_array());
    sha256::Hash::hash(&pre).to_byte_array()
}

/// Whether the leaf can use this challenge: its last byte `b` must satisfy `1 <= b <= 0x7e`
/// (so `b + 1` is one positive script-number byte), and `e + 1` must stay below the group
/// order (always true in practice; checked anyway).
pub fn usable(e: &[u8; 32]) -> bool {
    (1..=0x7e).contains(&e[31]) && e[..] < ORDER[..]
}
