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
pub use txid::{mvc_txid, TxidRule};
