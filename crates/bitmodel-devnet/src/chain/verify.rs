//! A full consistency check of stored state: replay the active chain from the genesis and
//! compare the UTXO set and transaction index it implies with what is stored. Crash tests use
//! it after killing the node; a mismatch means a block's changes were not persisted atomically.

use std::collections::HashMap;

use bitcoin::hashes::Hash;
use bitcoin::OutPoint;
use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata};

use super::connect::is_unspendable;
use super::ChainState;
use crate::consensus::tx::Coin;
use crate::error::DevnetError;
use crate::store::{self, TXINDEX, UTXOS};

/// What a consistency check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consistency {
    pub height: u32,
    pub utxos: usize,
    pub transactions: usize,
}

impl ChainState {
    /// Replays the active chain and checks the stored UTXO set and transaction index.
    pub fn check_consistency(&self) -> Result<Consistency, DevnetError> {
        let bad = |m: String| Err(DevnetError::Corrupt(m));
        let mut utxos: HashMap<OutPoint, Coin> = HashMap::new();
        let mut transactions = 0;
        let r = self.db.begin_read()?;
        let txindex = r.open_table(TXINDEX)?;
        for (height, hash) in self.active.iter().enumerate().skip(1) {
            let block = self
                .block(hash)?
                .ok_or_else(|| DevnetError::Corrupt(format!("active block {hash} missing")))?;
            for (pos, tx) in block.txdata.iter().enumerate() {
                if !tx.is_coinbase() {
                    for i in &tx.input {
                        if utxos.remove(&i.previous_output).is_none() {
                            return bad(format!(
                                "block {hash} spends missing {}",
                                i.previous_output
                            ));
                        }
                    }
                }
                let txid = tx.compute_txid();
                for (vout, out) in tx.output.iter().enumerate() {
                    if !is_unspendable(out) {
                        utxos.insert(
                            OutPoint::new(txid, vout as u32),
                            Coin {
                                output: out.clone(),
                                height: height as u32,
                                coinbase: tx.is_coinbase(),
                            },
                        );
                    }
                }
                let loc = txindex
                    .get(txid.as_byte_array().as_slice())?
                    .map(|v| store::decode_tx_location(v.value()))
                    .transpose()?;
                if loc != Some((*hash, pos as u32)) {
                    return bad(format!("transaction {txid} is not indexed at {hash}:{pos}"));
                }
                transactions += 1;
            }
        }
        if utxos != self.utxos {
            return bad(format!(
                "utxo set in memory ({} coins) differs from the replayed chain ({} coins)",
                self.utxos.len(),
                utxos.len()
            ));
        }
        let stored = r.open_table(UTXOS)?;
        if stored.len()? != utxos.len() as u64 {
            return bad(format!(
                "stored utxo table has {} coins, the replayed chain {}",
                stored.len()?,
                utxos.len()
            ));
        }
        for item in stored.iter()? {
            let (k, v) = item?;
            let op = store::outpoint_from_key(k.value())?;
            if utxos.get(&op) != Some(&store::decode_coin(v.value())?) {
                return bad(format!("stored coin {op} differs from the replayed chain"));
            }
        }
        if txindex.len()? != transactions as u64 {
            return bad(format!(
                "transaction index has {} entries, the active chain {transactions} transactions",
                txindex.len()?
            ));
        }
        Ok(Consistency {
            height: self.height(),
            utxos: utxos.len(),
            transactions,
        })
    }
}
