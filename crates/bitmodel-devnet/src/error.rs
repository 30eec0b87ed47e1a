//! Why a transaction or block was refused, in Bitcoin Core's words.
//!
//! Clients (and people reading logs) match on Core's reject reasons — `dust`,
//! `bad-txns-inputs-missingorspent`, `high-hash` — so a rejection carries Core's reason
//! string verbatim, Core's classification (which decides the JSON-RPC error code), and an
//! optional debug message with the numbers that failed.

use std::fmt;

/// Core's `TxValidationResult` / `BlockValidationResult`, reduced to what decides behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectClass {
    /// Breaks a consensus rule: no block may contain it.
    Consensus,
    /// Valid by consensus but refused by the mempool's standardness policy.
    Policy,
    /// Spends outputs that do not exist (or were spent); maybe later.
    MissingInputs,
    /// Conflicts with the mempool and may not replace it.
    Conflict,
    /// Already known (in the mempool or the chain).
    AlreadyKnown,
    /// Locktime or sequence locks not yet satisfied.
    Premature,
}

/// A refused transaction or block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Reject {
    pub class: RejectClass,
    /// Core's reject reason, e.g. `bad-txns-in-belowout`.
    pub reason: String,
    /// Details, e.g. `value in (1000) < value out (2000)`.
    pub debug: Option<String>,
}

impl Reject {
    pub fn new(class: RejectClass, reason: impl Into<String>) -> Self {
        Reject {
            class,
            reason: reason.into(),
            debug: None,
        }
    }

    pub fn consensus(reason: impl Into<String>) -> Self {
        Reject::new(RejectClass::Consensus, reason)
    }

    pub fn policy(reason: impl Into<String>) -> Self {
        Reject::new(RejectClass::Policy, reason)
    }

    pub fn with_debug(mut self, debug: impl Into<String>) -> Self {
        self.debug = Some(debug.into());
        self
    }

    /// Core's `ValidationState::ToString`: `reason` or `reason, debug`.
    pub fn core_message(&self) -> String {
        match &self.debug {
            Some(d) => format!("{}, {}", self.reason, d),
            None => self.reason.clone(),
        }
    }
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.core_message())
    }
}

/// Failures of the node itself (storage, configuration), as opposed to refused data.
#[derive(Debug, thiserror::Error)]
pub enum DevnetError {
    /// redb failed; every redb error type converts into this (see the `From` impl below).
    #[error("devnet storage failed: {0}")]
    Storage(#[source] redb::Error),
    #[error("devnet storage holds corrupt data: {0}; delete the datadir to start a fresh chain")]
    Corrupt(String),
    /// A stored value (`what`) that does not decode, with the decoder's error (also in the
    /// message: RPC clients see only the top level).
    #[error("devnet storage holds corrupt data: {what} does not decode ({source}); delete the datadir to start a fresh chain")]
    CorruptValue {
        what: String,
        #[source]
        source: bitcoin::consensus::encode::Error,
    },
    #[error(
        "devnet datadir was written by schema version {found}, this build reads version {expected}; \
         delete the datadir or use a matching build"
    )]
    SchemaMismatch { found: u32, expected: u32 },
    #[error("devnet i/o failed on {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot bind the rpc server to {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Rejected(#[from] Reject),
    #[error("the devnet faucet has no mature coins; mine at least 101 blocks first")]
    FaucetEmpty,
    #[error(
        "block {0} is not known to this devnet; check the hash (getblockhash gives active ones)"
    )]
    UnknownBlock(bitcoin::BlockHash),
    #[error("the genesis block cannot be invalidated; invalidate block 1 to empty the chain")]
    GenesisInvalidation,
}

/// Any of redb's error types (`DatabaseError`, `TransactionError`, `TableError`,
/// `StorageError`, `CommitError`, ...) becomes [`DevnetError::Storage`], keeping it as the
/// source, so `?` works on every redb call. (Coherent because `DevnetError`'s only other
/// `From` impl is from a local type, [`Reject`]; one from a foreign type would conflict.)
impl<E: Into<redb::Error>> From<E> for DevnetError {
    fn from(e: E) -> Self {
        DevnetError::Storage(e.into())
    }
}
