//! MicrovisionChain (MVC), the seed's second chain, and the Bitcoin SV 1.0.13 regtest node
//! that stands in for it in tests (same interpreter, sighash and limits; MVC has no regtest).
//! Both keep Bitcoin's legacy transaction format (no segwit), sign with BIP143-style
//! digests under `SIGHASH_FORKID`, and allow OP_CAT, OP_SPLIT, OP_MUL and big numbers. MVC
//! alone computes the txid of version-10 transactions from hashes of their parts
//! ([`txid`]), so a transaction's inputs can be checked without carrying whole parents.
//!
//! Pure: no I/O. The node talks through `bitmodel-rpc`; the indexer and the CLI pick these
//! rules by network.
//!
//! - [`txid`]: the ordinary and the version-10 txid.
//! - [`sighash`]: the FORKID signature digest and P2PKH signing.
//! - [`pin`]: records and files as MetaID PINs in `OP_FALSE OP_RETURN` outputs.
//! - [`keys`]: P2PKH keys from the wallet's BIP39 seed.
//! - [`splitter`]: the C-Flow splitter covenant (OP_PUSH_TX), any number of parents.

pub mod keys;
pub mod pin;
pub mod sighash;
pub mod splitter;
pub mod txid;

pub use sighash::{sign_p2pkh, SighashType};

/// MVC's default relay fee, sat per 1,000 bytes (its node's `DEFAULT_MIN_RELAY_TX_FEE`),
/// for when a node does not say its own.
pub const DEFAULT_SAT_PER_KB: u64 = 250;

/// The fee of `bytes` at `sat_per_kb` (MVC and BSV price by the byte), rounded up.
pub fn fee_for(bytes: u64, sat_per_kb: u64) -> u64 {
    (bytes * sat_per_kb).div_ceil(1000)
}

/// The transaction version Bitmodel writes on `chain`: MVC's current 10 (its txid rule);
/// 1 on BSV, whose policy takes versions 1 and 2 only.
pub fn tx_version(chain: bitmodel_protocol::Chain) -> i32 {
    if chain.has_mvc_txids() {
        10
    } else {
        1
    }
}
pub use txid::{mvc_txid, TxidRule};
