//! Bitmodel's indexer: follows a chain block by block and keeps, in one redb file, every
//! Bitmodel record (valid or not, with the reason), every asset's vault and vault UTXOs, and
//! where every sat paid to an asset went — passed to parents, paid to the owner, spent on
//! fees, or still waiting. The rules are in [`apply`]; the on-disk layout in
//! `doc/schema.md`. A block is applied in one write transaction together with its undo
//! record, so a crash loses nothing and a reorg rolls back exactly.

mod apply;
mod identity;
pub mod journal;
pub mod mvc;
pub mod remote;
pub mod rows;
pub mod schema;
pub mod sync;

use std::path::Path;

use bitcoin::hashes::Hash;
use bitcoin::{Block, BlockHash, Script};
use bitmodel_covenant::wide::{record_vaults, RecordVaults};
use bitmodel_covenant::{distribution_threshold, Vault, VaultTerms};
use bitmodel_protocol::{AssetId, Chain};
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata};

use journal::{Journal, Undo};
use rows::{decode, encode, AssetRow, AssetStats, Earnings, Event, InvalidRow, VaultUtxo};
use schema::*;

/// Why the index could not answer. Variants with a source keep it (`#[source]`) and also
/// repeat its text in their message: the server's problem details print only this top-level
/// message.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// redb failed; every redb error type converts into this (see the `From` impl below).
    #[error("index database error: {0}")]
    Storage(#[source] redb::Error),
    #[error("index database error: cannot remove {path}: {source}")]
    Remove {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the index at {path} is held by another bitmodel process (a running `bitmodel up`?) and no running node is recorded beside it in node.json")]
    InUse { path: String },
    #[error("reading the running node's index: {0}")]
    Remote(String),
    /// Asking the running node's index failed (`what`: its url, and the question).
    #[error("reading the running node's index: {what}: {source}")]
    RemoteFailed {
        what: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("index database is corrupt: {0}; delete it and re-index")]
    Corrupt(String),
    /// A stored value that does not decode (or no longer makes what it was stored for).
    #[error("index database is corrupt: {what}: {source}; delete it and re-index")]
    CorruptValue {
        what: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("index schema version {found} is older than this software's {expected}; it is rebuilt from the chain (`open_or_rebuild`), or delete it and re-index")]
    SchemaMismatch { found: u32, expected: u32 },
    #[error("the index at {path} has schema version {found}, newer than this software's {expected}: it was written by a newer bitmodel and is left untouched; upgrade bitmodel, or use another --datadir")]
    SchemaNewer {
        path: String,
        found: u32,
        expected: u32,
    },
    #[error("block at height {got} is not the next block; the index tip is {tip:?}")]
    NotNext { tip: Option<u32>, got: u32 },
    #[error("block {height} does not build on the indexed block {expected}; roll back to the fork point first")]
    Reorg { height: u32, expected: BlockHash },
    #[error("cannot roll back to height {target}: the index can undo blocks down to height {lowest} only (it keeps undo records for the last blocks it indexed, {UNDO_DEPTH} by default, and none below where it started); a fork that deep needs a new index: delete it and re-index")]
    RollbackTooDeep { target: u32, lowest: u32 },
    #[error("the index at {path} was built from {stored}, but the node is {found}: use another --datadir for this node, or delete {path} to index it anew")]
    OtherChain {
        path: String,
        stored: Box<bitmodel_protocol::Identity>,
        found: Box<bitmodel_protocol::Identity>,
    },
    #[error("the index at {path} starts at height {stored}, not {requested}: drop --index-from {requested}, or delete {path} to index from {requested}")]
    OtherStart {
        path: String,
        stored: u32,
        requested: u32,
    },
}

/// Any of redb's error types (`DatabaseError`, `TransactionError`, `TableError`,
/// `StorageError`, `CommitError`, ...) becomes [`IndexError::Storage`], keeping it as the
/// source, so `?` works on every redb call. (Coherent because `IndexError` has no other
/// `From` impl from a foreign type; add one and this must become per-type impls.)
impl<E: Into<redb::Error>> From<E> for IndexError {
    fn from(e: E) -> Self {
        IndexError::Storage(e.into())
    }
}

impl IndexError {
    /// A stored value (`what`) that does not decode, with why.
    pub(crate) fn corrupt(
        what: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> IndexError {
        IndexError::CorruptValue {
            what: what.into(),
            source: source.into(),
        }
    }
}

/// Sums every asset's stats.
fn sum_stats(t: &impl ReadableTable<&'static [u8], &'static [u8]>) -> Result<Totals, IndexError> {
    let mut sum = Totals::default();
    for item in t.iter()? {
        let (_, v) = item?;
        let s: AssetStats = decode(v.value())?;
        sum.payments_in += s.payments_in;
        sum.paid_out += s.paid_out;
        sum.fees += s.fees;
        sum.waiting += s.waiting;
        sum.to_parents += s.to_parents;
        sum.from_children += s.from_children;
    }
    Ok(sum)
}

/// An asset's file: its assembly state, and its bytes once verified.
pub type Content = (rows::ContentRow, Option<Vec<u8>>);

/// (table, key, value) rows of every table, from [`Index::dump`].
pub type Dump = Vec<(String, Vec<u8>, Vec<u8>)>;

/// The index of one chain.
pub struct Index {
    db: Database,
    chain: Chain,
    path: std::path::PathBuf,
    /// Blocks whose undo records are kept: the deepest reorg the index can follow.
    undo_depth: u32,
}

/// The deepest reorg the index follows by default, in blocks: undo records older than this
/// are pruned as blocks arrive (so the index does not grow a record per block forever). A
/// deeper fork is [`IndexError::RollbackTooDeep`] — unrecoverable but typed: re-index. A
/// day of Bitcoin blocks and over 8 hours of Fractal's; no real chain has reorganised
/// anywhere near that since 2013.
pub const UNDO_DEPTH: u32 = 1_000;

/// Sums over every asset: `payments_in == paid_out + fees + waiting` must hold.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub payments_in: u64,
    pub paid_out: u64,
    pub fees: u64,
    pub waiting: u64,
    pub to_parents: u64,
    pub from_children: u64,
}

impl VaultStatus {
    /// The UTXOs as the covenant builders take them.
    pub fn covenant_utxos(&self) -> Vec<bitmodel_covenant::Utxo> {
        self.utxos
            .iter()
            .map(|(outpoint, u)| bitmodel_covenant::Utxo {
                outpoint: *outpoint,
                amount: u.amount,
            })
            .collect()
    }
}

/// An asset's vault as it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultStatus {
    pub balance: u64,
    pub utxos: Vec<(bitcoin::OutPoint, VaultUtxo)>,
    /// The smallest single UTXO `distribute` can spend with the fee at the record's cap.
    pub threshold_at_cap: Option<u64>,
    /// The earlier asset this vault is booked to, when both have equal terms (owner,
    /// parents, weights, fee cap) and therefore one vault.
    pub shared_with: Option<AssetId>,
    /// UTXOs at the asset's splitters (records with more than 11 members): its money on the
    /// way to its members, each waiting until its splitter can pay every child above dust.
    /// Not in `balance` or `utxos`, which are the vault's own.
    pub splitters: Vec<(bitcoin::OutPoint, VaultUtxo)>,
}

impl VaultStatus {
    /// Sats waiting in the asset's splitters.
    pub fn in_splitters(&self) -> u64 {
        self.splitters.iter().map(|(_, u)| u.amount).sum()
    }
}

impl Index {
    /// Opens or creates the index at `path`, checking the schema version.
    pub fn open(path: &Path, chain: Chain) -> Result<Index, IndexError> {
        let db = match Database::create(path) {
            Err(redb::DatabaseError::DatabaseAlreadyOpen) => {
                return Err(IndexError::InUse {
                    path: path.display().to_string(),
                })
            }
            other => other?,
        };
        let txn = db.begin_write()?;
        {
            let mut meta = txn.open_table(META)?;
            let found = meta.get("schema_version")?.map(|v| v.value().to_vec());
            match found {
                Some(v) => {
                    let found = u32::from_le_bytes(
                        v.as_slice()
                            .try_into()
                            .map_err(|_| IndexError::Corrupt("schema version".into()))?,
                    );
                    if found > SCHEMA_VERSION {
                        return Err(IndexError::SchemaNewer {
                            path: path.display().to_string(),
                            found,
                            expected: SCHEMA_VERSION,
                        });
                    }
                    if found != SCHEMA_VERSION {
                        return Err(IndexError::SchemaMismatch {
                            found,
                            expected: SCHEMA_VERSION,
                        });
                    }
                }
                None => {
                    meta.insert("schema_version", SCHEMA_VERSION.to_le_bytes().as_slice())?;
                }
            }
            // Create every table so readers never meet a missing one.
            for t in JOURNALED {
                txn.open_table(t)?;
            }
            txn.open_table(BLOCKS)?;
            txn.open_table(UNDO)?;
        }
        txn.commit()?;
        Ok(Index {
            db,
            chain,
            path: path.to_path_buf(),
            undo_depth: UNDO_DEPTH,
        })
    }

    /// Keeps undo records for the last `blocks` blocks instead of [`UNDO_DEPTH`] (at least 1).
    pub fn with_undo_depth(mut self, blocks: u32) -> Index {
        self.undo_depth = blocks.max(1);
        self
    }

    /// [`Index::open`], but an index of an older schema version is deleted and created anew
    /// (it holds nothing the chain does not); `Some(found)` tells the caller it was. A newer
    /// one is refused, untouched ([`IndexError::SchemaNewer`]): this software cannot know
    /// what it holds, and a newer bitmodel may still be using it.
    pub fn open_or_rebuild(path: &Path, chain: Chain) -> Result<(Index, Option<u32>), IndexError> {
        match Index::open(path, chain) {
            Err(IndexError::SchemaMismatch { found, .. }) => {
                std::fs::remove_file(path).map_err(|source| IndexError::Remove {
                    path: path.display().to_string(),
                    source,
                })?;
                Ok((Index::open(path, chain)?, Some(found)))
            }
            other => Ok((other?, None)),
        }
    }

    /// How many valid assets are registered (without reading them).
    pub fn asset_count(&self) -> Result<u64, IndexError> {
        let txn = self.db.begin_read()?;
        Ok(txn.open_table(ASSETS)?.len()?)
    }

    pub fn chain(&self) -> Chain {
        self.chain
    }

    /// The indexed tip: height and hash.
    pub fn tip(&self) -> Result<Option<(u32, BlockHash)>, IndexError> {
        let txn = self.db.begin_read()?;
        let meta = txn.open_table(META)?;
        let Some(v) = meta.get("tip")? else {
            return Ok(None);
        };
        let v = v.value();
        if v.len() != 36 {
            return Err(IndexError::Corrupt("tip".into()));
        }
        let height = u32::from_le_bytes(v[..4].try_into().expect("4 bytes"));
        let hash =
            BlockHash::from_slice(&v[4..]).map_err(|e| IndexError::corrupt("tip hash", e))?;
        Ok(Some((height, hash)))
    }

    /// The hash indexed at `height`, if any.
    pub fn block_hash(&self, height: u32) -> Result<Option<BlockHash>, IndexError> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(BLOCKS)?;
        let v = t.get(height)?;
        v.map(|v| {
            BlockHash::from_slice(v.value())
                .map_err(|e| IndexError::corrupt(format!("block hash at height {height}"), e))
        })
        .transpose()
    }

    /// The block holding `txid`, if one of its outputs is an unspent vault UTXO: how the
    /// inference gateway finds a confirmed payment on a node without `-txindex`.
    pub fn vault_payment_block(
        &self,
        txid: &bitcoin::Txid,
    ) -> Result<Option<BlockHash>, IndexError> {
        let height = {
            let txn = self.db.begin_read()?;
            let t = txn.open_table(VAULT_UTXOS)?;
            let lo = rows::outpoint_key(txid, 0);
            let hi = rows::outpoint_key(txid, u32::MAX);
            let mut range = t.range(lo.as_slice()..=hi.as_slice())?;
            match range.next() {
                Some(item) => decode::<VaultUtxo>(item?.1.value())?.height,
                None => return Ok(None),
            }
        };
        self.block_hash(height)
    }

    /// Applies the block at `height`, which must build on the tip (any height starts an
    /// empty index, so indexing can begin at a chosen height).
    pub fn apply_block(&self, height: u32, block: &Block) -> Result<(), IndexError> {
        let tip = self.tip()?;
        if let Some((h, hash)) = tip {
            if height != h + 1 {
                return Err(IndexError::NotNext {
                    tip: Some(h),
                    got: height,
                });
            }
            if block.header.prev_blockhash != hash {
                return Err(IndexError::Reorg {
                    height,
                    expected: hash,
                });
            }
        }
        let txn = self.db.begin_write()?;
        {
            let mut j = Journal::open(&txn)?;
            for (i, tx) in block.txdata.iter().enumerate() {
                apply::apply_tx(&mut j, self.chain, height, i as u32, tx)?;
            }
            let undo = encode(&j.undo);
            drop(j);
            {
                let mut u = txn.open_table(UNDO)?;
                u.insert(height, undo.as_slice())?;
                // Beyond the supported reorg depth an undo record can never be used.
                if let Some(old) = height.checked_sub(self.undo_depth) {
                    let stale: Vec<u32> = u
                        .range(..=old)?
                        .map(|item| item.map(|(h, _)| h.value()))
                        .collect::<Result<_, _>>()?;
                    for h in stale {
                        u.remove(h)?;
                    }
                }
            }
            // The documented invariant, checked after every block in debug builds: across all
            // assets, every sat paid in is paid out, a fee, or waiting.
            #[cfg(debug_assertions)]
            {
                let t = sum_stats(&txn.open_table(STATS)?)?;
                debug_assert_eq!(
                    t.payments_in,
                    t.paid_out + t.fees + t.waiting,
                    "the books must close after block {height}: {t:?}"
                );
            }
            let hash = block.block_hash();
            txn.open_table(BLOCKS)?
                .insert(height, hash.as_byte_array().as_slice())?;
            let mut tipv = height.to_le_bytes().to_vec();
            tipv.extend_from_slice(hash.as_byte_array());
            txn.open_table(META)?.insert("tip", tipv.as_slice())?;
        }
        txn.commit()?;
        Ok(())
    }

    /// Rolls the index back so that `height` is the tip again (`None`: back to empty).
    pub fn rollback_to(&self, height: Option<u32>) -> Result<(), IndexError> {
        let Some((tip, _)) = self.tip()? else {
            return Ok(());
        };
        let txn = self.db.begin_write()?;
        {
            let mut undos = Vec::new();
            {
                let t = txn.open_table(UNDO)?;
                let from = height.map_or(0, |h| h + 1);
                for item in t.range(from..=tip)? {
                    let (h, v) = item?;
                    undos.push((h.value(), decode::<Undo>(v.value())?));
                }
                undos.reverse();
                // Every block above the target must have its undo record (a gap means the
                // index started above the target height, or the undo records of blocks that
                // deep were pruned). Back to empty, that is every block the index has.
                let lowest = undos.last().map_or(tip + 1, |u| u.0);
                let first = match height {
                    Some(_) => from,
                    None => txn
                        .open_table(BLOCKS)?
                        .first()?
                        .map_or(tip + 1, |(h, _)| h.value()),
                };
                if lowest != first || undos.len() as u32 != tip + 1 - first {
                    return Err(IndexError::RollbackTooDeep {
                        target: from.saturating_sub(1),
                        lowest: lowest.saturating_sub(1),
                    });
                }
            }
            let mut j = Journal::open(&txn)?;
            for (_, undo) in &undos {
                j.revert(undo)?;
            }
            drop(j);
            let mut u = txn.open_table(UNDO)?;
            let mut b = txn.open_table(BLOCKS)?;
            for (h, _) in &undos {
                u.remove(*h)?;
                b.remove(*h)?;
            }
            let mut meta = txn.open_table(META)?;
            match height {
                Some(h) => {
                    let hash = b
                        .get(h)?
                        .map(|v| v.value().to_vec())
                        .ok_or_else(|| IndexError::Corrupt(format!("no block hash at {h}")))?;
                    let mut tipv = h.to_le_bytes().to_vec();
                    tipv.extend_from_slice(&hash);
                    meta.insert("tip", tipv.as_slice())?;
                }
                None => {
                    meta.remove("tip")?;
                }
            }
        }
        txn.commit()?;
        Ok(())
    }

    fn get<T: serde::de::DeserializeOwned>(
        &self,
        table: redb::TableDefinition<&[u8], &[u8]>,
        key: &[u8],
    ) -> Result<Option<T>, IndexError> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(table)?;
        let v = t.get(key)?;
        v.map(|v| decode(v.value())).transpose()
    }

    pub fn asset(&self, id: &AssetId) -> Result<Option<AssetRow>, IndexError> {
        self.get(ASSETS, &rows::asset_key(id))
    }

    pub fn invalid(&self, id: &AssetId) -> Result<Option<InvalidRow>, IndexError> {
        self.get(INVALID, &rows::asset_key(id))
    }

    pub fn stats(&self, id: &AssetId) -> Result<Option<AssetStats>, IndexError> {
        self.get(STATS, &rows::asset_key(id))
    }

    pub fn earnings(&self, spk: &Script) -> Result<Earnings, IndexError> {
        Ok(self.get(EARNINGS, spk.as_bytes())?.unwrap_or_default())
    }

    /// What `spk` was paid, block by block: `(height, sats)` in height order.
    pub fn earnings_history(&self, spk: &Script) -> Result<Vec<(u32, u64)>, IndexError> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(EARNINGS_LOG)?;
        let mut from = spk.as_bytes().to_vec();
        from.extend_from_slice(&0u32.to_be_bytes());
        let mut to = spk.as_bytes().to_vec();
        to.extend_from_slice(&u32::MAX.to_be_bytes());
        let mut out = Vec::new();
        for item in t.range(from.as_slice()..=to.as_slice())? {
            let (k, v) = item?;
            let k = k.value();
            if k.len() != spk.len() + 4 {
                continue;
            }
            let height = u32::from_be_bytes(k[spk.len()..].try_into().expect("4 bytes"));
            let sats = u64::from_le_bytes(
                v.value()
                    .try_into()
                    .map_err(|_| IndexError::Corrupt("earnings log value".into()))?,
            );
            out.push((height, sats));
        }
        Ok(out)
    }

    pub fn events(&self, txid: &bitcoin::Txid) -> Result<Vec<Event>, IndexError> {
        Ok(self.get(EVENTS, txid.as_ref())?.unwrap_or_default())
    }

    /// Every event that involves `id` (as payee, distributor, merger or parent), in chain
    /// order: a range of the asset-keyed table, then each transaction's events.
    pub fn events_for(&self, id: &AssetId) -> Result<Vec<(bitcoin::Txid, Event)>, IndexError> {
        let txn = self.db.begin_read()?;
        let by_asset = txn.open_table(ASSET_EVENTS)?;
        let events = txn.open_table(EVENTS)?;
        let key = rows::asset_key(id);
        let mut hi = key.to_vec();
        hi.extend_from_slice(&[0xff; 40]);
        let mut out = Vec::new();
        for item in by_asset.range(key.as_slice()..=hi.as_slice())? {
            let (k, _) = item?;
            let k = k.value();
            let txid = bitcoin::Txid::from_slice(k.get(44..76).unwrap_or_default())
                .map_err(|e| IndexError::corrupt("asset event key", e))?;
            let Some(v) = events.get(AsRef::<[u8]>::as_ref(&txid))? else {
                return Err(IndexError::Corrupt(format!("no events for {txid}")));
            };
            let list: Vec<Event> = decode(v.value())?;
            out.extend(
                list.into_iter()
                    .filter(|e| e.assets().contains(id))
                    .map(|e| (txid, e)),
            );
        }
        Ok(out)
    }

    /// The assets that name `id` as a parent.
    pub fn children(&self, id: &AssetId) -> Result<Vec<AssetId>, IndexError> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(CHILDREN)?;
        let key = rows::asset_key(id);
        let mut hi = key.to_vec();
        hi.extend_from_slice(&[0xff; 36]);
        let mut out = Vec::new();
        for item in t.range(key.as_slice()..=hi.as_slice())? {
            let (k, _) = item?;
            let child = rows::asset_from_key(&k.value()[36..])
                .ok_or_else(|| IndexError::Corrupt("children key".into()))?;
            out.push(child);
        }
        Ok(out)
    }

    /// Every asset that descends from `id`, each once, nearest first.
    pub fn descendants(&self, id: &AssetId) -> Result<Vec<AssetRow>, IndexError> {
        let mut seen = std::collections::HashSet::from([*id]);
        let mut queue = std::collections::VecDeque::from([*id]);
        let mut out = Vec::new();
        while let Some(next) = queue.pop_front() {
            for c in self.children(&next)? {
                if seen.insert(c) {
                    queue.push_back(c);
                    if let Some(row) = self.asset(&c)? {
                        out.push(row);
                    }
                }
            }
        }
        Ok(out)
    }

    /// The asset and every ancestor, the asset first, each once (breadth-first).
    pub fn ancestry(&self, id: &AssetId) -> Result<Vec<AssetRow>, IndexError> {
        rows::ancestry(id, |a| self.asset(a))
    }

    /// The asset's on-chain file: its assembly state, and the bytes once verified.
    pub fn content(&self, id: &AssetId) -> Result<Option<Content>, IndexError> {
        let Some(row) = self.get::<rows::ContentRow>(CONTENT, &rows::asset_key(id))? else {
            return Ok(None);
        };
        if row.status != rows::ContentStatus::Verified {
            return Ok(Some((row, None)));
        }
        let txn = self.db.begin_read()?;
        let t = txn.open_table(PARTS)?;
        let mut bytes = Vec::with_capacity(row.size as usize);
        for i in 0..row.parts {
            let mut k = rows::asset_key(id).to_vec();
            k.extend_from_slice(&i.to_be_bytes());
            let part = t
                .get(k.as_slice())?
                .ok_or_else(|| IndexError::Corrupt(format!("part {i} of {id} missing")))?;
            bytes.extend_from_slice(part.value());
        }
        Ok(Some((row, Some(bytes))))
    }

    /// Every valid asset, in id order.
    pub fn assets(&self) -> Result<Vec<AssetRow>, IndexError> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(ASSETS)?;
        let mut out = Vec::new();
        for item in t.iter()? {
            let (_, v) = item?;
            out.push(decode(v.value())?);
        }
        Ok(out)
    }

    /// Sums of every asset's figures.
    pub fn totals(&self) -> Result<Totals, IndexError> {
        let txn = self.db.begin_read()?;
        sum_stats(&txn.open_table(STATS)?)
    }

    /// The covenant terms of the asset's vault: its record with each parent's vault.
    /// `None` for an unknown asset, or on a chain without vaults.
    pub fn vault_terms(&self, id: &AssetId) -> Result<Option<VaultTerms>, IndexError> {
        Ok(self.record_vaults(id)?.map(|v| v.top))
    }

    /// The asset's vault terms and, past 11 members, its splitters (numbered as the index
    /// books their UTXOs). `None` for an unknown asset, or on a chain without vaults.
    pub fn record_vaults(&self, id: &AssetId) -> Result<Option<RecordVaults>, IndexError> {
        let Some(row) = self.asset(id)? else {
            return Ok(None);
        };
        // An MVC splitter is not a CAT covenant (see `bitmodel_mvc::splitter`).
        if row.vault.is_none() || self.chain.family() == bitmodel_protocol::Family::Mvc {
            return Ok(None);
        }
        let mut parent_vaults = Vec::new();
        for p in &row.record.parents {
            match self.asset(&p.asset)?.and_then(|r| r.vault) {
                Some(v) => parent_vaults.push(v),
                None => return Ok(None),
            }
        }
        record_vaults(&row.record, &parent_vaults, self.chain)
            .map(Some)
            .map_err(|e| IndexError::corrupt(format!("vaults of {id}"), e))
    }

    /// The asset's splitters in pre-order, ready to build covenant spends (all of them:
    /// each is derived from the ones below it, so build them once and pick).
    pub fn splitters(&self, id: &AssetId) -> Result<Option<Vec<Vault>>, IndexError> {
        Ok(self.record_vaults(id)?.map(|v| v.splitters))
    }

    /// The asset's vault, ready to build covenant spends.
    pub fn vault(&self, id: &AssetId) -> Result<Option<Vault>, IndexError> {
        self.vault_terms(id)?
            .map(|t| {
                Vault::new(t, self.chain)
                    .map_err(|e| IndexError::corrupt(format!("vault terms of {id}"), e))
            })
            .transpose()
    }

    /// The asset's vault UTXOs, balance and distribution threshold.
    pub fn vault_status(&self, id: &AssetId) -> Result<Option<VaultStatus>, IndexError> {
        let Some(row) = self.asset(id)? else {
            return Ok(None);
        };
        let txn = self.db.begin_read()?;
        let holder = match &row.vault {
            Some(spk) => match txn.open_table(VAULTS)?.get(spk.as_bytes())? {
                Some(v) => rows::asset_from_key(v.value())
                    .ok_or_else(|| IndexError::Corrupt("vault row".into()))?,
                None => *id,
            },
            None => *id,
        };
        // The holder's UTXOs are a range of `asset_utxos`, not a scan of every vault UTXO.
        let by_asset = txn.open_table(ASSET_UTXOS)?;
        let t = txn.open_table(VAULT_UTXOS)?;
        let lo = rows::asset_key(&holder).to_vec();
        let mut hi = lo.clone();
        hi.extend_from_slice(&[0xff; 36]);
        let mut utxos = Vec::new();
        let mut splitters = Vec::new();
        for item in by_asset.range(lo.as_slice()..=hi.as_slice())? {
            let (k, _) = item?;
            let op_key = &k.value()[36..];
            let Some(v) = t.get(op_key)? else {
                return Err(IndexError::Corrupt(
                    "asset_utxos names a spent outpoint".into(),
                ));
            };
            let u = decode::<VaultUtxo>(v.value())?;
            let at = rows::outpoint_from_key(op_key)?;
            if u.splitter.is_some() {
                splitters.push((at, u));
            } else {
                utxos.push((at, u));
            }
        }
        let balance = utxos.iter().map(|(_, u)| u.amount).sum();
        let threshold_at_cap = self
            .vault_terms(id)?
            .and_then(|t| distribution_threshold(&t, row.record.fee_cap).ok());
        Ok(Some(VaultStatus {
            balance,
            utxos,
            threshold_at_cap,
            shared_with: (holder != *id).then_some(holder),
            splitters,
        }))
    }

    /// The transaction that spent vault outpoint `o`, if one did.
    pub fn spent_by(&self, o: &bitcoin::OutPoint) -> Result<Option<bitcoin::Txid>, IndexError> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(SPENT_BY)?;
        let v = t.get(rows::outpoint_key(&o.txid, o.vout).as_slice())?;
        v.map(|v| {
            bitcoin::Txid::from_slice(v.value())
                .map_err(|e| IndexError::corrupt(format!("spender of {o}"), e))
        })
        .transpose()
    }

    /// The unspent vault UTXO at `o`, if it is one.
    pub fn vault_utxo(&self, o: &bitcoin::OutPoint) -> Result<Option<VaultUtxo>, IndexError> {
        self.get(VAULT_UTXOS, &rows::outpoint_key(&o.txid, o.vout))
    }

    /// The latest `n` transactions with events, newest first: (height, txid, events).
    pub fn recent(&self, n: usize) -> Result<Vec<(u32, bitcoin::Txid, Vec<Event>)>, IndexError> {
        let txn = self.db.begin_read()?;
        let log = txn.open_table(EVENT_LOG)?;
        let events = txn.open_table(EVENTS)?;
        let mut out = Vec::new();
        for item in log.iter()?.rev().take(n) {
            let (k, v) = item?;
            let height = u32::from_be_bytes(
                k.value()[..4]
                    .try_into()
                    .map_err(|_| IndexError::Corrupt("event log key".into()))?,
            );
            let txid = bitcoin::Txid::from_slice(v.value())
                .map_err(|e| IndexError::corrupt("event log txid", e))?;
            let list = match events.get(v.value())? {
                Some(e) => decode(e.value())?,
                None => return Err(IndexError::Corrupt(format!("no events for {txid}"))),
            };
            out.push((height, txid, list));
        }
        Ok(out)
    }

    /// Every vault UTXO, grouped by the asset its vault is booked to, in asset order.
    #[allow(clippy::type_complexity)]
    pub fn vault_utxos_by_asset(
        &self,
    ) -> Result<Vec<(AssetId, Vec<(bitcoin::OutPoint, VaultUtxo)>)>, IndexError> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(VAULT_UTXOS)?;
        let mut by: std::collections::BTreeMap<AssetId, Vec<_>> = Default::default();
        for item in t.iter()? {
            let (k, v) = item?;
            let u: VaultUtxo = decode(v.value())?;
            by.entry(u.asset)
                .or_default()
                .push((rows::outpoint_from_key(k.value())?, u));
        }
        Ok(by.into_iter().collect())
    }

    /// Every key and value of every table except `meta`, for comparing two indexes.
    pub fn dump(&self) -> Result<Dump, IndexError> {
        let txn = self.db.begin_read()?;
        let mut out = Vec::new();
        for (i, def) in JOURNALED.iter().enumerate() {
            let t = txn.open_table(*def)?;
            for item in t.iter()? {
                let (k, v) = item?;
                out.push((format!("t{i}"), k.value().to_vec(), v.value().to_vec()));
            }
        }
        let b = txn.open_table(BLOCKS)?;
        for item in b.iter()? {
            let (k, v) = item?;
            out.push((
                "blocks".into(),
                k.value().to_le_bytes().to_vec(),
                v.value().to_vec(),
            ));
        }
        Ok(out)
    }
}
