//! The node: chain state and mempool behind one lock, and the operations that change them
//! together (accepting transactions, mining, submitting blocks, reorganizing).
//!
//! Transaction acceptance verifies scripts outside the lock (see [`crate::mempool::accept`]),
//! so RPC threads verify signatures in parallel while the state stays consistent.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use bitcoin::{
    Amount, Block, BlockHash, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid,
};

use crate::chain::{ChainState, Reorg};
use crate::consensus::scripts::check_standard;
use crate::error::{DevnetError, Reject};
use crate::faucet::Signer;
use crate::mempool::accept::{commit, prepare};
use crate::mempool::{assemble, Mempool};
use crate::miner::build_block;
use crate::params::COINBASE_MATURITY;

pub struct Node {
    pub chain: ChainState,
    pub mempool: Mempool,
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// How a new block changed the node.
#[derive(Debug)]
pub enum BlockOutcome {
    /// Already known and valid.
    Duplicate,
    /// Stored; the active chain changed as described (possibly not at all, for a fork).
    Accepted(Reorg),
}

impl Node {
    pub fn new(chain: ChainState) -> Node {
        Node {
            chain,
            mempool: Mempool::default(),
        }
    }

    /// Accepts a transaction with every check, scripts included, while holding `&mut self`.
    pub fn accept_tx(&mut self, tx: Arc<Transaction>) -> Result<Txid, Reject> {
        let p = prepare(&self.chain, &self.mempool, tx)?;
        check_standard(&p.entry.tx, &p.spent)?;
        let txid = p.entry.txid;
        commit(&mut self.mempool, p, self.chain.height(), now())?;
        Ok(txid)
    }

    /// Validates and connects a block, then brings the mempool up to date.
    pub fn submit_block(&mut self, block: &Block) -> Result<BlockOutcome, DevnetError> {
        let Node { chain, mempool } = self;
        let reorg = chain.accept_block(block, now() as u32, &|w| mempool.contains_wtxid(w))?;
        match reorg {
            None => Ok(BlockOutcome::Duplicate),
            Some(r) => {
                self.update_mempool(&r);
                Ok(BlockOutcome::Accepted(r))
            }
        }
    }

    fn update_mempool(&mut self, reorg: &Reorg) {
        if reorg.disconnected.is_empty() {
            for b in &reorg.connected {
                for tx in &b.txdata[1..] {
                    self.mempool.remove_for_block(tx);
                }
            }
            return;
        }
        // A real reorg: re-validate everything against the new chain, disconnected
        // blocks' transactions first (oldest block first), then the old mempool.
        let old = self.mempool.drain_ordered();
        let readd = reorg
            .disconnected
            .iter()
            .rev()
            .flat_map(|b| b.txdata[1..].iter().cloned().map(Arc::new))
            .chain(old);
        for tx in readd {
            let _ = self.accept_tx(tx);
        }
    }

    /// Mines one block on the tip paying `script`, filled from the mempool.
    pub fn mine(&mut self, script: &ScriptBuf) -> Result<BlockHash, DevnetError> {
        let sel = assemble::select(&self.mempool);
        let block = build_block(&self.chain, script, sel.txs, Some(sel.fees), now() as u32);
        let hash = block.block_hash();
        self.submit_block(&block)?;
        Ok(hash)
    }

    /// Mines one block with exactly `txs` (`generateblock`); they need not be in the mempool.
    pub fn mine_with(
        &mut self,
        script: &ScriptBuf,
        txs: Vec<Arc<Transaction>>,
    ) -> Result<BlockHash, DevnetError> {
        let block = build_block(&self.chain, script, txs, None, now() as u32);
        let hash = block.block_hash();
        self.submit_block(&block)?;
        Ok(hash)
    }

    pub fn invalidate(&mut self, hash: BlockHash) -> Result<(), DevnetError> {
        let Node { chain, mempool } = self;
        let r = chain.invalidate(hash, &|w| mempool.contains_wtxid(w))?;
        self.update_mempool(&r);
        Ok(())
    }

    pub fn reconsider(&mut self, hash: BlockHash) -> Result<(), DevnetError> {
        let Node { chain, mempool } = self;
        let r = chain.reconsider(hash, &|w| mempool.contains_wtxid(w))?;
        self.update_mempool(&r);
        Ok(())
    }

    /// Pays `amount` to `script` from the faucet (mining 101 blocks to it first if it has no
    /// mature coins), leaving the payment in the mempool. Returns the new outpoint.
    pub fn fund(&mut self, script: &ScriptBuf, amount: Amount) -> Result<OutPoint, DevnetError> {
        let signer = Signer::faucet();
        let faucet = signer.script_pubkey();
        let pick = |node: &Node| {
            let spend_height = node.chain.height() + 1;
            node.chain
                .utxos()
                .iter()
                .filter(|(op, c)| {
                    c.output.script_pubkey == faucet
                        && (!c.coinbase || spend_height - c.height >= COINBASE_MATURITY)
                        && node.mempool.spender(op).is_none()
                        && c.output.value.to_sat() >= amount.to_sat() + 100_000
                })
                .max_by_key(|(op, c)| (c.output.value, **op))
                .map(|(op, c)| (*op, c.output.clone()))
        };
        let (op, prev) = match pick(self) {
            Some(found) => found,
            None => {
                while self.chain.height() < COINBASE_MATURITY + 1 {
                    self.mine(&faucet)?;
                }
                pick(self).ok_or(DevnetError::FaucetEmpty)?
            }
        };
        // 1-in-2-out key path spend: 154 vbytes; pay 2 sat/vB.
        let fee = 308;
        let mut tx = Transaction {
            version: bitcoin::transaction::Version::TWO,
            lock_time: bitcoin::absolute::LockTime::ZERO,
            input: vec![TxIn {
                previous_output: op,
                script_sig: ScriptBuf::new(),
                sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                witness: bitcoin::Witness::new(),
            }],
            output: vec![
                TxOut {
                    value: amount,
                    script_pubkey: script.clone(),
                },
                TxOut {
                    value: prev.value - amount - Amount::from_sat(fee),
                    script_pubkey: faucet,
                },
            ],
        };
        signer.sign_input(&mut tx, 0, &[prev]);
        let txid = self.accept_tx(Arc::new(tx))?;
        Ok(OutPoint::new(txid, 0))
    }
}

/// The reject reason for a fee above the caller's `maxfeerate` (Core's `MAX_FEE_EXCEEDED`).
pub const MAX_FEE_EXCEEDED: &str = "max-fee-exceeded";

fn lock(m: &Mutex<Node>) -> MutexGuard<'_, Node> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn check_max_fee(
    p: &crate::mempool::accept::Prepared,
    max_fee_rate: Option<u64>,
) -> Result<(), Reject> {
    match max_fee_rate {
        Some(rate)
            if rate > 0
                && u128::from(p.entry.fee) * 1000
                    > u128::from(rate) * u128::from(p.entry.vsize) =>
        {
            Err(Reject::policy(MAX_FEE_EXCEEDED))
        }
        _ => Ok(()),
    }
}

/// Accepts a transaction verifying its scripts without holding the node lock; refuses fee
/// rates above `max_fee_rate` sat per 1000 vbytes (as `sendrawtransaction`'s `maxfeerate`).
pub fn submit_tx_shared(
    node: &Mutex<Node>,
    tx: Transaction,
    max_fee_rate: Option<u64>,
) -> Result<Txid, Reject> {
    let tx = Arc::new(tx);
    let (p, seen) = {
        let n = lock(node);
        let p = prepare(&n.chain, &n.mempool, tx.clone())?;
        (p, (n.mempool.generation, n.chain.tip()))
    };
    check_max_fee(&p, max_fee_rate)?;
    check_standard(&p.entry.tx, &p.spent)?;
    let mut n = lock(node);
    let p = if (n.mempool.generation, n.chain.tip()) == seen {
        p
    } else {
        // Something changed while scripts ran; the cheap checks are redone. The spent
        // outputs are the same (outpoints name outputs forever), so scripts still pass.
        prepare(&n.chain, &n.mempool, tx)?
    };
    let txid = p.entry.txid;
    let height = n.chain.height();
    commit(&mut n.mempool, p, height, now())?;
    Ok(txid)
}
