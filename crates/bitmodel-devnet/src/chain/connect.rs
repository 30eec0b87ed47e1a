//! Connecting a block to the active tip (Core's `ConnectBlock`: spends, amounts, BIP68,
//! sigops, subsidy, scripts) and disconnecting the tip, each as one redb write transaction.

use std::collections::{HashMap, HashSet};

use bitcoin::hashes::Hash;
use bitcoin::{Block, BlockHash, OutPoint, TxOut, Wtxid};

use super::ChainState;
use crate::consensus::scripts::check_block_scripts;
use crate::consensus::tx::{check_tx_inputs, sequence_locks_ok, sigop_cost, Coin};
use crate::error::{DevnetError, Reject};
use crate::params::{block_subsidy, MAX_BLOCK_SIGOPS_COST};
use crate::store::{self, Status, BLOCKS, HEIGHTS, INDEX, META, TXINDEX, UNDO, UTXOS};

/// Outputs that can never be spent stay out of the UTXO set (Core's `IsUnspendable`).
pub(crate) fn is_unspendable(out: &TxOut) -> bool {
    out.script_pubkey.is_op_return() || out.script_pubkey.len() > 10_000
}

impl ChainState {
    /// Connects `block` (whose parent is the tip). Transactions whose wtxid `verified`
    /// reports have had their scripts checked already (mempool acceptance uses stricter
    /// flags), so their scripts are not verified again.
    pub(super) fn connect_block(
        &mut self,
        block: &Block,
        verified: &dyn Fn(&Wtxid) -> bool,
    ) -> Result<(), DevnetError> {
        let hash = block.block_hash();
        let prev = self.tip();
        debug_assert_eq!(block.header.prev_blockhash, prev);
        let height = self.height() + 1;
        let prev_mtp = self.mtp_of(&prev);

        let mut created: HashMap<OutPoint, Coin> = HashMap::new();
        let mut undo: Vec<(OutPoint, Coin)> = Vec::new();
        let mut spent_from_set: HashSet<OutPoint> = HashSet::new();
        let mut fees: u64 = 0;
        let mut sigops: usize = 0;
        let mut jobs = Vec::new();
        for tx in &block.txdata {
            let coinbase = tx.is_coinbase();
            let mut coins = Vec::with_capacity(tx.input.len());
            if !coinbase {
                for input in &tx.input {
                    let op = input.previous_output;
                    let coin = if let Some(c) = created.remove(&op) {
                        c
                    } else if let Some(c) = self
                        .utxos
                        .get(&op)
                        .filter(|_| !spent_from_set.contains(&op))
                    {
                        spent_from_set.insert(op);
                        undo.push((op, c.clone()));
                        c.clone()
                    } else {
                        return Err(Reject::consensus("bad-txns-inputs-missingorspent")
                            .with_debug(format!("input {op} of {} missing", tx.compute_txid()))
                            .into());
                    };
                    coins.push(coin);
                }
                fees += check_tx_inputs(tx, &coins, height)?;
                if !sequence_locks_ok(tx, &coins, height, prev_mtp, |h| self.mtp(h)) {
                    return Err(Reject::consensus("bad-txns-nonfinal")
                        .with_debug("contains a non-BIP68-final transaction")
                        .into());
                }
            }
            sigops += sigop_cost(tx, &coins);
            if sigops > MAX_BLOCK_SIGOPS_COST {
                return Err(Reject::consensus("bad-blk-sigops")
                    .with_debug("too many sigops")
                    .into());
            }
            if !coinbase && !verified(&tx.compute_wtxid()) {
                jobs.push((tx, coins.into_iter().map(|c| c.output).collect::<Vec<_>>()));
            }
            let txid = tx.compute_txid();
            for (vout, out) in tx.output.iter().enumerate() {
                if !is_unspendable(out) {
                    created.insert(
                        OutPoint::new(txid, vout as u32),
                        Coin {
                            output: out.clone(),
                            height,
                            coinbase,
                        },
                    );
                }
            }
        }
        let reward: u64 = block.txdata[0]
            .output
            .iter()
            .map(|o| o.value.to_sat())
            .sum();
        let limit = fees + block_subsidy(height);
        if reward > limit {
            return Err(Reject::consensus("bad-cb-amount")
                .with_debug(format!(
                    "coinbase pays too much (actual={reward} vs limit={limit})"
                ))
                .into());
        }
        check_block_scripts(&jobs, self.script_threads)?;

        let mut entry = self.index[&hash].clone();
        entry.status = Status::ValidScripts;
        let w = self.db.begin_write()?;
        {
            let key = hash.as_byte_array().as_slice();
            w.open_table(INDEX)?
                .insert(key, entry.encode().as_slice())?;
            w.open_table(HEIGHTS)?.insert(height, key)?;
            let mut utxos = w.open_table(UTXOS)?;
            for op in &spent_from_set {
                utxos.remove(store::outpoint_key(op).as_slice())?;
            }
            let mut buf = Vec::with_capacity(64);
            for (op, coin) in &created {
                buf.clear();
                store::encode_coin(coin, &mut buf);
                utxos.insert(store::outpoint_key(op).as_slice(), buf.as_slice())?;
            }
            w.open_table(UNDO)?
                .insert(key, store::encode_undo(&undo).as_slice())?;
            let mut txindex = w.open_table(TXINDEX)?;
            for (pos, tx) in block.txdata.iter().enumerate() {
                txindex.insert(
                    tx.compute_txid().as_byte_array().as_slice(),
                    store::encode_tx_location(&hash, pos as u32).as_slice(),
                )?;
            }
            w.open_table(META)?.insert("tip", key)?;
        }
        w.commit()?;

        for op in &spent_from_set {
            self.utxos.remove(op);
        }
        self.utxos.extend(created);
        self.index.insert(hash, entry);
        self.active.push(hash);
        Ok(())
    }

    /// Disconnects the tip block and returns it.
    pub(super) fn disconnect_tip(&mut self) -> Result<Block, DevnetError> {
        let hash = self.tip();
        let height = self.height();
        assert!(height > 0, "the genesis block is never disconnected");
        let block = self
            .block(&hash)?
            .ok_or_else(|| DevnetError::Corrupt(format!("active block {hash} is not stored")))?;
        let undo = {
            let r = redb::ReadableDatabase::begin_read(&self.db)?;
            let t = r.open_table(UNDO)?;
            let raw = redb::ReadableTable::get(&t, hash.as_byte_array().as_slice())?
                .ok_or_else(|| DevnetError::Corrupt(format!("no undo data for {hash}")))?;
            store::decode_undo(raw.value())?
        };
        let mut removed = Vec::new();
        for tx in &block.txdata {
            let txid = tx.compute_txid();
            for (vout, out) in tx.output.iter().enumerate() {
                if !is_unspendable(out) {
                    removed.push(OutPoint::new(txid, vout as u32));
                }
            }
        }
        let prev = block.header.prev_blockhash;
        let w = self.db.begin_write()?;
        {
            w.open_table(HEIGHTS)?.remove(height)?;
            let mut utxos = w.open_table(UTXOS)?;
            for op in &removed {
                utxos.remove(store::outpoint_key(op).as_slice())?;
            }
            let mut buf = Vec::with_capacity(64);
            for (op, coin) in &undo {
                buf.clear();
                store::encode_coin(coin, &mut buf);
                utxos.insert(store::outpoint_key(op).as_slice(), buf.as_slice())?;
            }
            w.open_table(UNDO)?
                .remove(hash.as_byte_array().as_slice())?;
            let mut txindex = w.open_table(TXINDEX)?;
            for tx in &block.txdata {
                txindex.remove(tx.compute_txid().as_byte_array().as_slice())?;
            }
            w.open_table(META)?
                .insert("tip", prev.as_byte_array().as_slice())?;
        }
        w.commit()?;
        for op in &removed {
            self.utxos.remove(op);
        }
        self.utxos.extend(undo);
        self.active.pop();
        Ok(block)
    }

    /// Stores a checked block and its index entry (status `ValidHeaders`).
    pub(super) fn store_block(
        &mut self,
        block: &Block,
        height: u32,
        chain_work: u128,
    ) -> Result<BlockHash, DevnetError> {
        let hash = block.block_hash();
        let entry = store::IndexEntry {
            header: block.header,
            height,
            chain_work,
            status: Status::ValidHeaders,
            failure: store::Failure::None,
            n_tx: block.txdata.len() as u32,
            size: block.total_size() as u32,
            weight: block.weight().to_wu() as u32,
        };
        let w = self.db.begin_write()?;
        {
            let key = hash.as_byte_array().as_slice();
            w.open_table(BLOCKS)?
                .insert(key, bitcoin::consensus::serialize(block).as_slice())?;
            w.open_table(INDEX)?
                .insert(key, entry.encode().as_slice())?;
        }
        w.commit()?;
        self.index.insert(hash, entry);
        Ok(hash)
    }

    /// Persists new failure marks for index entries.
    pub(super) fn write_failures(
        &mut self,
        changes: &[(BlockHash, store::Failure)],
    ) -> Result<(), DevnetError> {
        if changes.is_empty() {
            return Ok(());
        }
        let w = self.db.begin_write()?;
        {
            let mut t = w.open_table(INDEX)?;
            for (hash, failure) in changes {
                let e = self
                    .index
                    .get_mut(hash)
                    .expect("changes name stored blocks");
                e.failure = *failure;
                t.insert(hash.as_byte_array().as_slice(), e.encode().as_slice())?;
            }
        }
        w.commit()?;
        Ok(())
    }
}
