//! The chain state: every stored block's index entry, the active chain, and the UTXO set,
//! kept in memory and persisted in redb (see [`crate::store`]).
//!
//! Invariants, true after every public method returns (and on disk after every commit):
//! - `active[h]` is the hash of the active block at height `h`, `active[0]` the genesis;
//! - `utxos` is exactly the set of spendable outputs created and not spent by `active`;
//! - every active block has status `ValidScripts`, and no block on the active chain is invalid.

mod connect;
mod reorg;
mod verify;

use std::collections::HashMap;
use std::path::Path;

use bitcoin::consensus::{deserialize, serialize};
use bitcoin::hashes::Hash;
use bitcoin::{Block, BlockHash, OutPoint, Txid};
use redb::{Database, ReadableDatabase, ReadableTable};

use crate::consensus::tx::Coin;
use crate::error::DevnetError;
use crate::params::{genesis, MEDIAN_TIME_SPAN};
use crate::store::{
    self, IndexEntry, Status, BLOCKS, HEIGHTS, INDEX, META, SCHEMA_VERSION, TXINDEX, UNDO, UTXOS,
};

pub use reorg::{ChainTip, Reorg, TipStatus};
pub use verify::Consistency;

/// Work of one block at the fixed regtest target (2^256 / (target + 1)).
pub const BLOCK_WORK: u128 = 2;

/// The devnet's block tree and UTXO set on disk (named apart from `bitmodel_protocol::Chain`,
/// which is a network a user claims).
pub struct ChainState {
    db: Database,
    index: HashMap<BlockHash, IndexEntry>,
    active: Vec<BlockHash>,
    utxos: HashMap<OutPoint, Coin>,
    /// Threads used to verify a block's scripts.
    pub script_threads: usize,
    /// Why the last block that failed to connect was invalid.
    last_failure: Option<crate::error::Reject>,
}

fn corrupt(what: &str) -> DevnetError {
    DevnetError::Corrupt(what.to_owned())
}

impl ChainState {
    /// Opens (or creates, starting from the genesis block) the chain stored at `path`.
    pub fn open(path: &Path) -> Result<ChainState, DevnetError> {
        let db = Database::create(path)?;
        let mut chain = ChainState {
            db,
            index: HashMap::new(),
            active: Vec::new(),
            utxos: HashMap::new(),
            script_threads: 1,
            last_failure: None,
        };
        if !chain.load()? {
            chain.init_genesis()?;
        }
        // A block stored just before a crash may not have been connected yet; like Core's
        // startup `ActivateBestChain`, connect the best stored chain before serving.
        chain.activate_best_chain(&|_| false, None)?;
        Ok(chain)
    }

    fn init_genesis(&mut self) -> Result<(), DevnetError> {
        let g = genesis();
        let hash = g.block_hash();
        let entry = IndexEntry {
            header: g.header,
            height: 0,
            chain_work: BLOCK_WORK,
            status: Status::ValidScripts,
            failure: store::Failure::None,
            n_tx: g.txdata.len() as u32,
            size: g.total_size() as u32,
            weight: g.weight().to_wu() as u32,
        };
        let w = self.db.begin_write()?;
        {
            let mut meta = w.open_table(META)?;
            meta.insert("schema", SCHEMA_VERSION.to_le_bytes().as_slice())?;
            meta.insert("tip", hash.as_byte_array().as_slice())?;
            w.open_table(BLOCKS)?
                .insert(hash.as_byte_array().as_slice(), serialize(&g).as_slice())?;
            w.open_table(INDEX)?
                .insert(hash.as_byte_array().as_slice(), entry.encode().as_slice())?;
            w.open_table(HEIGHTS)?
                .insert(0, hash.as_byte_array().as_slice())?;
            // The genesis coinbase is not spendable, so it enters neither the UTXO set nor
            // the transaction index (as in Core).
            w.open_table(UTXOS)?;
            w.open_table(UNDO)?;
            w.open_table(TXINDEX)?;
        }
        w.commit()?;
        self.index.insert(hash, entry);
        self.active = vec![hash];
        Ok(())
    }

    /// Loads a stored chain; `false` if the database is new.
    fn load(&mut self) -> Result<bool, DevnetError> {
        let r = self.db.begin_read()?;
        let meta = match r.open_table(META) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(false),
            Err(e) => return Err(e.into()),
        };
        let schema = meta
            .get("schema")?
            .ok_or_else(|| corrupt("meta table has no schema version"))?;
        let found = u32::from_le_bytes(
            schema
                .value()
                .try_into()
                .map_err(|_| corrupt("schema version is not 4 bytes"))?,
        );
        if found != SCHEMA_VERSION {
            return Err(DevnetError::SchemaMismatch {
                found,
                expected: SCHEMA_VERSION,
            });
        }
        for item in r.open_table(INDEX)?.iter()? {
            let (k, v) = item?;
            let hash = BlockHash::from_slice(k.value()).map_err(|_| corrupt("index key"))?;
            self.index.insert(hash, IndexEntry::decode(v.value())?);
        }
        for item in r.open_table(HEIGHTS)?.iter()? {
            let (k, v) = item?;
            if k.value() as usize != self.active.len() {
                return Err(corrupt("active chain heights are not contiguous"));
            }
            self.active
                .push(BlockHash::from_slice(v.value()).map_err(|_| corrupt("height entry"))?);
        }
        for item in r.open_table(UTXOS)?.iter()? {
            let (k, v) = item?;
            self.utxos.insert(
                store::outpoint_from_key(k.value())?,
                store::decode_coin(v.value())?,
            );
        }
        let tip = meta
            .get("tip")?
            .ok_or_else(|| corrupt("meta table has no tip"))?;
        if self.active.last().map(|h| h.as_byte_array().as_slice()) != Some(tip.value()) {
            return Err(corrupt("stored tip is not the last active block"));
        }
        Ok(true)
    }

    pub fn tip(&self) -> BlockHash {
        *self
            .active
            .last()
            .expect("the active chain holds at least the genesis")
    }

    pub fn height(&self) -> u32 {
        (self.active.len() - 1) as u32
    }

    pub fn tip_entry(&self) -> &IndexEntry {
        &self.index[&self.tip()]
    }

    pub fn entry(&self, hash: &BlockHash) -> Option<&IndexEntry> {
        self.index.get(hash)
    }

    pub fn hash_at(&self, height: u32) -> Option<BlockHash> {
        self.active.get(height as usize).copied()
    }

    /// Is `hash` on the active chain?
    pub fn is_active(&self, hash: &BlockHash) -> bool {
        self.index
            .get(hash)
            .is_some_and(|e| self.hash_at(e.height) == Some(*hash))
    }

    /// The active block after `hash`, if any.
    pub fn next_active(&self, hash: &BlockHash) -> Option<BlockHash> {
        let e = self.index.get(hash)?;
        if !self.is_active(hash) {
            return None;
        }
        self.hash_at(e.height + 1)
    }

    /// Median time past of the block `hash` (median of its and its ten ancestors' times).
    pub fn mtp_of(&self, hash: &BlockHash) -> u32 {
        let mut times = Vec::with_capacity(MEDIAN_TIME_SPAN);
        let mut cur = self.index.get(hash);
        while let Some(e) = cur {
            times.push(e.header.time);
            if times.len() == MEDIAN_TIME_SPAN || e.height == 0 {
                break;
            }
            cur = self.index.get(&e.header.prev_blockhash);
        }
        times.sort_unstable();
        times.get(times.len() / 2).copied().unwrap_or(0)
    }

    /// Median time past of the active block at `height`.
    pub fn mtp(&self, height: u32) -> u32 {
        self.hash_at(height.min(self.height()))
            .map(|h| self.mtp_of(&h))
            .unwrap_or(0)
    }

    pub fn coin(&self, op: &OutPoint) -> Option<&Coin> {
        self.utxos.get(op)
    }

    pub fn utxos(&self) -> &HashMap<OutPoint, Coin> {
        &self.utxos
    }

    pub fn index(&self) -> &HashMap<BlockHash, IndexEntry> {
        &self.index
    }

    /// A stored block (active or not).
    pub fn block(&self, hash: &BlockHash) -> Result<Option<Block>, DevnetError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(BLOCKS)?;
        let Some(raw) = t.get(hash.as_byte_array().as_slice())? else {
            return Ok(None);
        };
        deserialize(raw.value())
            .map(Some)
            .map_err(|source| DevnetError::CorruptValue {
                what: format!("block {hash}"),
                source,
            })
    }

    /// The coins an active block took from the UTXO set (its undo data), keyed by outpoint;
    /// `None` for blocks not on the active chain.
    pub fn spent_coins(
        &self,
        hash: &BlockHash,
    ) -> Result<Option<HashMap<OutPoint, Coin>>, DevnetError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(UNDO)?;
        let Some(raw) = t.get(hash.as_byte_array().as_slice())? else {
            return Ok(None);
        };
        Ok(Some(store::decode_undo(raw.value())?.into_iter().collect()))
    }

    /// Where an active-chain transaction was confirmed: block hash and position.
    pub fn tx_location(&self, txid: &Txid) -> Result<Option<(BlockHash, u32)>, DevnetError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(TXINDEX)?;
        match t.get(txid.as_byte_array().as_slice())? {
            Some(v) => store::decode_tx_location(v.value()).map(Some),
            None => Ok(None),
        }
    }

    /// Bytes the database occupies on disk (for `size_on_disk`).
    pub fn size_on_disk(path: &Path) -> u64 {
        std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
    }
}
