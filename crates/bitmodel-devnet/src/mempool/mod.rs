//! The mempool: unconfirmed transactions that passed consensus and Core 24's policy, linked
//! to their in-mempool parents and children so that chains (ancestor and descendant limits),
//! BIP125 replacements and block assembly by ancestor fee rate can be computed.
//!
//! Invariants: `spenders` maps every outpoint spent by an entry to that entry; `parents` and
//! `children` are symmetric; no two entries spend the same outpoint.

pub mod accept;
pub mod assemble;
pub mod limit;
pub mod persist;
pub mod policy;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use bitcoin::{OutPoint, Transaction, Txid, Wtxid};

/// One mempool transaction.
#[derive(Debug, Clone)]
pub struct Entry {
    pub tx: Arc<Transaction>,
    pub txid: Txid,
    pub wtxid: Wtxid,
    pub fee: u64,
    /// Virtual size with Core's sigop adjustment.
    pub vsize: u64,
    pub weight: u64,
    pub sigop_cost: usize,
    /// Unix time it entered the mempool.
    pub time: u64,
    /// Chain height when it entered.
    pub height: u32,
    /// Insertion order, so re-adding after a reorg keeps parents before children.
    pub sequence: u64,
    pub parents: HashSet<Txid>,
    pub children: HashSet<Txid>,
}

/// A package's totals (the entry plus its in-mempool ancestors or descendants).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub count: usize,
    pub vsize: u64,
    pub fee: u64,
}

#[derive(Debug, Clone)]
pub struct Mempool {
    entries: HashMap<Txid, Entry>,
    by_wtxid: HashMap<Wtxid, Txid>,
    spenders: HashMap<OutPoint, Txid>,
    next_sequence: u64,
    /// Bumped on every change, so callers can tell whether a check made earlier still holds.
    pub generation: u64,
    /// `-maxmempool` in bytes (see [`limit`]).
    pub max_usage: u64,
    /// The rolling minimum fee rate set by the last eviction, and when it was set.
    rolling_min_fee: Option<(u64, u64)>,
    /// Sum of [`limit::entry_usage`] over entries, kept as entries come and go.
    usage: u64,
    /// When entries were last checked for expiry.
    last_expiry: u64,
}

impl Default for Mempool {
    fn default() -> Self {
        Mempool {
            entries: HashMap::new(),
            by_wtxid: HashMap::new(),
            spenders: HashMap::new(),
            next_sequence: 0,
            generation: 0,
            max_usage: limit::DEFAULT_MAX_USAGE,
            rolling_min_fee: None,
            usage: 0,
            last_expiry: 0,
        }
    }
}

impl Mempool {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, txid: &Txid) -> Option<&Entry> {
        self.entries.get(txid)
    }

    pub fn contains_wtxid(&self, wtxid: &Wtxid) -> bool {
        self.by_wtxid.contains_key(wtxid)
    }

    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.values()
    }

    /// The entry spending `op`, if any.
    pub fn spender(&self, op: &OutPoint) -> Option<&Txid> {
        self.spenders.get(op)
    }

    /// Total virtual size of all entries.
    pub fn total_vsize(&self) -> u64 {
        self.entries.values().map(|e| e.vsize).sum()
    }

    fn walk(&self, txid: &Txid, up: bool) -> HashSet<Txid> {
        let mut seen = HashSet::new();
        let mut stack: Vec<Txid> = Vec::new();
        let next = |e: &Entry| {
            if up {
                e.parents.clone()
            } else {
                e.children.clone()
            }
        };
        if let Some(e) = self.entries.get(txid) {
            stack.extend(next(e));
        }
        while let Some(t) = stack.pop() {
            if seen.insert(t) {
                if let Some(e) = self.entries.get(&t) {
                    stack.extend(next(e).into_iter().filter(|p| !seen.contains(p)));
                }
            }
        }
        seen
    }

    /// In-mempool ancestors of an entry (not including it).
    pub fn ancestors(&self, txid: &Txid) -> HashSet<Txid> {
        self.walk(txid, true)
    }

    /// In-mempool descendants of an entry (not including it).
    pub fn descendants(&self, txid: &Txid) -> HashSet<Txid> {
        self.walk(txid, false)
    }

    /// Totals over an entry and the given related set.
    pub fn totals(&self, txid: &Txid, related: &HashSet<Txid>) -> Totals {
        let mut t = Totals::default();
        for id in related.iter().chain(std::iter::once(txid)) {
            if let Some(e) = self.entries.get(id) {
                t.count += 1;
                t.vsize += e.vsize;
                t.fee += e.fee;
            }
        }
        t
    }

    /// Adds an entry whose checks passed; `parents` are its in-mempool parents.
    pub(crate) fn insert(&mut self, mut entry: Entry) {
        entry.sequence = self.next_sequence;
        self.next_sequence += 1;
        self.generation += 1;
        for p in &entry.parents {
            if let Some(pe) = self.entries.get_mut(p) {
                pe.children.insert(entry.txid);
            }
        }
        for input in &entry.tx.input {
            self.spenders.insert(input.previous_output, entry.txid);
        }
        self.by_wtxid.insert(entry.wtxid, entry.txid);
        self.usage += limit::entry_usage(&entry);
        self.entries.insert(entry.txid, entry);
    }

    /// Removes one entry (its children keep a dangling parent link only if the caller
    /// removes them too or they were confirmed with it).
    fn remove_one(&mut self, txid: &Txid) -> Option<Entry> {
        let e = self.entries.remove(txid)?;
        self.generation += 1;
        self.usage -= limit::entry_usage(&e);
        self.by_wtxid.remove(&e.wtxid);
        for input in &e.tx.input {
            if self.spenders.get(&input.previous_output) == Some(txid) {
                self.spenders.remove(&input.previous_output);
            }
        }
        for p in &e.parents {
            if let Some(pe) = self.entries.get_mut(p) {
                pe.children.remove(txid);
            }
        }
        for c in &e.children {
            if let Some(ce) = self.entries.get_mut(c) {
                ce.parents.remove(txid);
            }
        }
        Some(e)
    }

    /// Removes an entry and all its descendants; returns what was removed.
    pub fn remove_recursive(&mut self, txid: &Txid) -> Vec<Entry> {
        let mut ids: Vec<Txid> = self.descendants(txid).into_iter().collect();
        ids.push(*txid);
        ids.into_iter()
            .filter_map(|t| self.remove_one(&t))
            .collect()
    }

    /// A block confirmed `tx`: drop it (its children now spend a confirmed output) and
    /// everything that conflicts with it.
    pub fn remove_for_block(&mut self, tx: &Transaction) {
        let txid = tx.compute_txid();
        self.remove_one(&txid);
        for input in &tx.input {
            if let Some(conflict) = self.spenders.get(&input.previous_output).copied() {
                self.remove_recursive(&conflict);
            }
        }
    }

    /// Takes every entry out, parents before children.
    pub fn drain_ordered(&mut self) -> Vec<Arc<Transaction>> {
        let mut all: Vec<Entry> = self.entries.drain().map(|(_, e)| e).collect();
        self.by_wtxid.clear();
        self.spenders.clear();
        self.usage = 0;
        self.generation += 1;
        all.sort_by_key(|e| e.sequence);
        all.into_iter().map(|e| e.tx).collect()
    }
}
