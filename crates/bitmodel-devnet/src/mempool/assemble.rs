//! Block assembly by ancestor fee rate (Core's `BlockAssembler::addPackageTxs`): repeatedly
//! take the entry whose not-yet-included ancestor package pays the most per vbyte, and add
//! the whole package, parents first, while it fits the block's weight and sigop budgets.
//!
//! Scores change as packages are included, so the heap is lazy: a popped entry whose score
//! is stale is pushed back with its current score instead of being included.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashSet};
use std::sync::Arc;

use bitcoin::{Transaction, Txid};

use super::Mempool;
use crate::params::{MAX_BLOCK_SIGOPS_COST, MAX_BLOCK_WEIGHT};

/// Weight kept free for the header and coinbase (Core reserves 4000).
const COINBASE_RESERVED_WEIGHT: u64 = 4000;
/// Sigops kept free for the coinbase (Core reserves 400).
const COINBASE_RESERVED_SIGOPS: usize = 400;

#[derive(PartialEq, Eq)]
struct Scored {
    fee: u64,
    vsize: u64,
    txid: Txid,
}

impl Ord for Scored {
    fn cmp(&self, other: &Self) -> Ordering {
        // fee/vsize compared by cross-multiplication; ties broken by txid for determinism.
        (u128::from(self.fee) * u128::from(other.vsize))
            .cmp(&(u128::from(other.fee) * u128::from(self.vsize)))
            .then_with(|| other.txid.cmp(&self.txid))
    }
}

impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Transactions chosen for a block, in a valid order, and their total fee.
pub struct Selection {
    pub txs: Vec<Arc<Transaction>>,
    pub fees: u64,
}

/// The not-yet-included ancestor package of `txid` (including it).
fn package(pool: &Mempool, txid: &Txid, included: &HashSet<Txid>) -> Vec<Txid> {
    let mut pkg: Vec<Txid> = pool
        .ancestors(txid)
        .into_iter()
        .filter(|a| !included.contains(a))
        .collect();
    pkg.push(*txid);
    pkg
}

fn score(pool: &Mempool, pkg: &[Txid], txid: Txid) -> Scored {
    let (mut fee, mut vsize) = (0, 0);
    for t in pkg {
        let e = pool.get(t).expect("package members are entries");
        fee += e.fee;
        vsize += e.vsize;
    }
    Scored { fee, vsize, txid }
}

/// Chooses transactions for the next block.
pub fn select(pool: &Mempool) -> Selection {
    let mut heap: BinaryHeap<Scored> = pool
        .entries()
        .map(|e| {
            let pkg = package(pool, &e.txid, &HashSet::new());
            score(pool, &pkg, e.txid)
        })
        .collect();
    let mut included: HashSet<Txid> = HashSet::new();
    let mut failed: HashSet<Txid> = HashSet::new();
    let mut weight = COINBASE_RESERVED_WEIGHT;
    let mut sigops = COINBASE_RESERVED_SIGOPS;
    let mut out = Selection {
        txs: Vec::new(),
        fees: 0,
    };
    while let Some(top) = heap.pop() {
        if included.contains(&top.txid) || failed.contains(&top.txid) {
            continue;
        }
        let pkg = package(pool, &top.txid, &included);
        let current = score(pool, &pkg, top.txid);
        if current != top {
            heap.push(current);
            continue;
        }
        let (w, s): (u64, usize) = pkg.iter().fold((0, 0), |(w, s), t| {
            let e = pool.get(t).expect("package members are entries");
            (w + e.weight, s + e.sigop_cost)
        });
        if weight + w > MAX_BLOCK_WEIGHT || sigops + s > MAX_BLOCK_SIGOPS_COST {
            failed.insert(top.txid);
            continue;
        }
        weight += w;
        sigops += s;
        // Parents first: ancestors have fewer ancestors than their descendants.
        let mut ordered: Vec<(usize, Txid)> =
            pkg.iter().map(|t| (pool.ancestors(t).len(), *t)).collect();
        ordered.sort();
        for (_, t) in ordered {
            let e = pool.get(&t).expect("package members are entries");
            included.insert(t);
            out.fees += e.fee;
            out.txs.push(e.tx.clone());
        }
    }
    out
}
