//! C-Flow vaults: P2TR outputs whose only spending paths move the coins along an asset's
//! C-Flow edges, in exactly the proportions its record fixed. No key can spend a vault (the
//! internal key is the BIP341 NUMS point); anyone can trigger a spend, and Bitcoin script —
//! with BIP347 `OP_CAT` — checks that the spend pays what the split rule says.
//!
//! How script sees the transaction: the leaf rebuilds the BIP341 signature message from
//! witness pieces (length-pinned) and its own constants and computations (the amounts and
//! every output), hashes it, and checks a BIP340 signature with public key `G` and nonce `G`
//! whose `s = 1 + e` it built itself. `OP_CHECKSIG` then succeeds only if the rebuilt message
//! is the real one. See `../shared/design/COVENANT.md` for the design and its checklist.
//!
//! - [`vault`]: the terms, leaves, tree and address of a vault (network-gated).
//! - [`leaves`]: the `distribute`, `merge` and `follow` tapscripts.
//! - [`spend`]: keyless spend builders with nLockTime grinding, and the distribution threshold.
//! - [`asm`]: script numbers and the OP_SUCCESS guard; `stack`: the named-stack builder the
//!   leaves are written with.

pub mod asm;
mod error;
pub mod leaves;
pub mod sigmsg;
pub mod spend;
mod stack;
pub mod vault;
pub mod wide;

pub use error::CovenantError;
pub use spend::{build_distribute, build_merge, distribution_threshold, Utxo};
pub use vault::{Vault, VaultTerms};

/// Bitcoin Core's dust limit for a P2TR output (a vault's): what a merge must leave in the
/// vault, and the least a payment into one may be.
pub const P2TR_DUST: u64 = 330;
/// The largest merge leaf: 8 inputs of one vault into one output.
pub const MAX_MERGE: usize = 8;
