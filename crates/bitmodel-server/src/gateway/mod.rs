//! Paid inference: a model asset's price, paid into its vault, buys one run of the model; a
//! payment of n × the price buys n runs (prepaid: one vault UTXO instead of n to merge).
//!
//! The gateway keeps no accounts. A call without payment gets 402 with a quote (vault address,
//! price, a fresh token and the memo derived from it, see [`memo`]). The caller pays the vault
//! with the memo in an OP_RETURN output and calls again with the txid and the token. The
//! gateway asks the node for the transaction (mempool or chain, confirmations configurable),
//! checks it ([`payment`]; at 0 confirmations a BIP125-signalling payment is refused, as it
//! could be replaced after the answer), reserves it atomically ([`ledger`]), and runs the
//! model loaded from the chain (the indexer already checked its sha256; see [`models`]):
//! as many runs as the payment bought, ever. Inputs refused before the model runs cost nothing (the
//! reservation is released); a run that fails or times out by the model's own doing uses the
//! payment. At most [`Gateway::max_runs`] run at once (429 beyond), each within
//! [`Gateway::run_timeout`].
//!
//! The money needs no gateway: the payment sits in the vault and flows up the lineage by the
//! covenant like any other.

pub mod ledger;
pub mod memo;
pub mod models;
pub mod payment;

use std::path::Path;

use bitcoin::{BlockHash, Transaction, Txid};

pub use ledger::{Calls, Ledger, LedgerError, Ticket};
pub use models::Models;

/// Where the gateway looks up payments (the node; tests may stand in).
pub trait PaymentSource: Send + Sync {
    /// The transaction and its confirmations (0 in the mempool); `Ok(None)` when the node
    /// knows no such transaction; `Err` when the node cannot be asked.
    fn transaction(
        &self,
        txid: &Txid,
        block: Option<&BlockHash>,
    ) -> Result<Option<(Transaction, u32)>, bitmodel_rpc::source::SourceError>;
}

/// bitcoind's "No such mempool or blockchain transaction".
const RPC_INVALID_ADDRESS_OR_KEY: i64 = -5;

impl PaymentSource for bitmodel_rpc::Client {
    fn transaction(
        &self,
        txid: &Txid,
        block: Option<&BlockHash>,
    ) -> Result<Option<(Transaction, u32)>, bitmodel_rpc::source::SourceError> {
        match self.get_raw_transaction_verbose(txid, block) {
            Ok(found) => Ok(Some(found)),
            Err(e) if e.rpc_code() == Some(RPC_INVALID_ADDRESS_OR_KEY) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

pub struct Gateway {
    pub ledger: Ledger,
    pub models: Models,
    pub node: Box<dyn PaymentSource>,
    /// Confirmations a payment needs (0: the mempool is enough).
    pub min_confirmations: u32,
    /// Runs in flight at most; a call beyond gets 429 and keeps its payment.
    pub max_runs: usize,
    /// The run slots (an operator or a test may hold one).
    pub permits: std::sync::Arc<tokio::sync::Semaphore>,
    /// Wall-clock limit of one run; a run past it uses its payment (the model's fault).
    pub run_timeout: std::time::Duration,
    /// Model runs started since the gateway opened.
    pub runs_started: std::sync::atomic::AtomicU64,
}

impl Gateway {
    pub fn open(
        ledger: &Path,
        node: Box<dyn PaymentSource>,
        min_confirmations: u32,
    ) -> Result<Gateway, LedgerError> {
        Ok(Gateway {
            ledger: Ledger::open(ledger)?,
            models: Models::default(),
            node,
            min_confirmations,
            max_runs: DEFAULT_MAX_RUNS,
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(DEFAULT_MAX_RUNS)),
            run_timeout: DEFAULT_RUN_TIMEOUT,
            runs_started: Default::default(),
        })
    }

    /// At most `max_runs` model runs at once, each within `timeout`.
    pub fn with_limits(mut self, max_runs: usize, timeout: std::time::Duration) -> Gateway {
        self.max_runs = max_runs.max(1);
        self.permits = std::sync::Arc::new(tokio::sync::Semaphore::new(self.max_runs));
        self.run_timeout = timeout;
        self
    }
}

/// Runs in flight by default: one per core of a small server.
pub const DEFAULT_MAX_RUNS: usize = 2;
/// A run's wall-clock limit by default.
pub const DEFAULT_RUN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
