//! Paid inference: a model asset's price, paid into its vault, buys one run of the model.
//!
//! The gateway keeps no accounts. A call without payment gets 402 with a quote (vault address,
//! price, a fresh token and the memo derived from it, see [`memo`]). The caller pays the vault
//! with the memo in an OP_RETURN output and calls again with the txid and the token. The
//! gateway asks the node for the transaction (mempool or chain, confirmations configurable),
//! checks it ([`payment`]), runs the model loaded from the chain (the indexer already checked
//! its sha256; see [`models`]) and only then marks the payment spent ([`ledger`]). A call
//! that fails on its inputs therefore costs nothing, and the payment can be used again.
//!
//! The money needs no gateway: the payment sits in the vault and flows up the lineage by the
//! covenant like any other.

pub mod ledger;
pub mod memo;
pub mod models;
pub mod payment;

use std::path::Path;

use bitcoin::{BlockHash, Transaction, Txid};

pub use ledger::{Ledger, LedgerError, Used};
pub use models::Models;

/// Where the gateway looks up payments (the node; tests may stand in).
pub trait PaymentSource: Send + Sync {
    /// The transaction and its confirmations (0 in the mempool); `Ok(None)` when the node
    /// knows no such transaction; `Err` when the node cannot be asked.
    fn transaction(
        &self,
        txid: &Txid,
        block: Option<&BlockHash>,
    ) -> Result<Option<(Transaction, u32)>, String>;
}

/// bitcoind's "No such mempool or blockchain transaction".
const RPC_INVALID_ADDRESS_OR_KEY: i64 = -5;

impl PaymentSource for bitmodel_rpc::Client {
    fn transaction(
        &self,
        txid: &Txid,
        block: Option<&BlockHash>,
    ) -> Result<Option<(Transaction, u32)>, String> {
        match self.get_raw_transaction_verbose(txid, block) {
            Ok(found) => Ok(Some(found)),
            Err(e) if e.rpc_code() == Some(RPC_INVALID_ADDRESS_OR_KEY) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }
}

pub struct Gateway {
    pub ledger: Ledger,
    pub models: Models,
    pub node: Box<dyn PaymentSource>,
    /// Confirmations a payment needs (0: the mempool is enough).
    pub min_confirmations: u32,
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
        })
    }
}
