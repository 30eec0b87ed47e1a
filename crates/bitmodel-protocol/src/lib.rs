//! Bitmodel's protocol core, free of I/O so that every indexer, wallet and test computes
//! exactly the same thing from the same bytes.
//!
//! - [`asset_id`]: an asset is named by the inscription that registered it (`<txid>i<n>`).
//! - [`record`]: the versioned CBOR record carried in an ord envelope's metadata.
//! - [`envelope`]: ord's `OP_FALSE OP_IF "ord" … OP_ENDIF` envelope, both directions.
//! - [`validate`]: the rules every indexer must agree on before a record becomes an asset.
//! - [`split`]: the one split rule: parents get `floor((A − F)·w/10000)`, the owner the rest.
//! - [`graph`]: C-Flow over a whole DAG: flattening one payment, or all assets at once.
//!
//! (Importing real AI lineage from CSV and YAML is the `bitmodel-lineage` crate: parsers have
//! no place in consensus code.)

pub mod asset_id;
pub mod chain;
pub mod chunk;
pub mod direct;
pub mod envelope;
pub mod graph;
pub mod identity;
pub mod record;
pub mod split;
pub mod validate;
pub mod wide;

/// The most sats a CAT covenant handles in one number: script numbers are 4 bytes, so a vault
/// UTXO it can spend, a fee cap and a price all stay at or below 2^31 − 1. (A vault UTXO
/// above it can never be spent by the covenant: the index counts those as unspendable.)
pub const MAX_SCRIPT_AMOUNT: u64 = (1 << 31) - 1;

pub use asset_id::AssetId;
pub use chain::{Chain, Family};
pub use identity::{Identity, Verified};
pub use record::{Kind, Parent, Payee, Record, Relation};
pub use split::{split, Split, SplitError};

/// The weight of a whole payment, in basis points: parents' weights sum to at most this.
pub const BPS: u16 = 10_000;

/// A distribution leaf has room for at most this many parents (12 P2TR outputs fit one
/// 520-byte `OP_SHA256` operand, one of which is the owner's).
pub const MAX_PARENTS: usize = 11;

/// A record may name at most this many members (parents and payees together). Past
/// [`MAX_PARENTS`] its vault pays a tree of splitters ([`wide`], `docs/splitters.md`); 1,000
/// members are three levels deep, and the record stays well inside one reveal
/// ([`record::MAX_RECORD_BYTES`]).
pub const MAX_MEMBERS: usize = 1_000;
