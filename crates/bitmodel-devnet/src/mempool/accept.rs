//! Mempool acceptance in Core 24's order (`MemPoolAccept::PreChecks`, `ReplacementChecks`,
//! `PolicyScriptChecks`): context-free rules, standardness, finality, conflicts, inputs,
//! BIP68, amounts, input and witness standardness, sigops, fees, chain limits, BIP125, and
//! finally scripts.
//!
//! Script verification is the expensive part and needs nothing that can change (an outpoint
//! names its output forever), so [`prepare`] runs every other check and returns what scripts
//! need; the caller may verify scripts without holding the node lock and then re-run
//! [`prepare`] before [`commit`] if anything changed meanwhile.

use std::collections::HashSet;
use std::sync::Arc;

use bitcoin::{OutPoint, Transaction, TxOut, Txid};

use super::policy::{
    check_standard_tx, fee_for, inputs_standard, virtual_size, witness_standard,
    MAX_STANDARD_TX_SIGOPS_COST, MIN_RELAY_FEE,
};
use super::{Entry, Mempool};

use crate::chain::ChainState;
use crate::consensus::tx::{
    check_transaction, check_tx_inputs, format_money, is_final_tx, sequence_locks_ok, sigop_cost,
    Coin,
};
use crate::error::{Reject, RejectClass};

/// Core 24's default package limits.
pub const MAX_ANCESTORS: usize = 25;
pub const MAX_ANCESTOR_VSIZE: u64 = 101_000;
pub const MAX_DESCENDANTS: usize = 25;
pub const MAX_DESCENDANT_VSIZE: u64 = 101_000;
/// BIP125 rule 5.
const MAX_REPLACEMENT_CANDIDATES: usize = 100;
const MAX_BIP125_RBF_SEQUENCE: u32 = 0xffff_fffd;

/// A transaction that passed every check but scripts: the pool entry it becomes (its
/// time, height and order are set by [`commit`]), and what accepting it takes.
#[derive(Debug)]
pub struct Prepared {
    pub entry: Entry,
    /// Entries (conflicts and their descendants) a successful acceptance evicts.
    pub replaced: HashSet<Txid>,
    /// The outputs spent, in input order (what scripts are checked against).
    pub spent: Vec<TxOut>,
}

fn signals_rbf(tx: &Transaction) -> bool {
    tx.input
        .iter()
        .any(|i| i.sequence.0 <= MAX_BIP125_RBF_SEQUENCE)
}

/// Every check of mempool acceptance except scripts.
pub fn prepare(
    chain: &ChainState,
    pool: &Mempool,
    tx: Arc<Transaction>,
) -> Result<Prepared, Reject> {
    check_transaction(&tx)?;
    if tx.is_coinbase() {
        return Err(Reject::consensus("coinbase"));
    }
    check_standard_tx(&tx)?;
    let height = chain.height() + 1;
    let tip_mtp = chain.mtp(chain.height());
    if !is_final_tx(&tx, height, tip_mtp) {
        return Err(Reject::new(RejectClass::Premature, "non-final"));
    }
    let txid = tx.compute_txid();
    let wtxid = tx.compute_wtxid();
    if pool.contains_wtxid(&wtxid) {
        return Err(Reject::new(
            RejectClass::AlreadyKnown,
            "txn-already-in-mempool",
        ));
    }
    if pool.get(&txid).is_some() {
        return Err(Reject::new(
            RejectClass::AlreadyKnown,
            "txn-same-nonwitness-data-in-mempool",
        ));
    }

    // Direct conflicts: mempool entries spending the same outputs.
    let mut conflicts: HashSet<Txid> = HashSet::new();
    for input in &tx.input {
        if let Some(c) = pool.spender(&input.previous_output) {
            conflicts.insert(*c);
        }
    }
    for c in &conflicts {
        let e = pool.get(c).expect("spender is an entry");
        let replaceable = signals_rbf(&e.tx)
            || pool
                .ancestors(c)
                .iter()
                .any(|a| pool.get(a).is_some_and(|ae| signals_rbf(&ae.tx)));
        if !replaceable {
            return Err(Reject::new(RejectClass::Conflict, "txn-mempool-conflict"));
        }
    }

    // Coins from the chain or from mempool parents.
    let mut coins = Vec::with_capacity(tx.input.len());
    let mut parents = HashSet::new();
    for input in &tx.input {
        let op = input.previous_output;
        if let Some(c) = chain.coin(&op) {
            coins.push(c.clone());
        } else if let Some(parent) = pool.get(&op.txid) {
            match parent.tx.output.get(op.vout as usize) {
                Some(out) => {
                    parents.insert(op.txid);
                    coins.push(Coin {
                        output: out.clone(),
                        height,
                        coinbase: false,
                    });
                }
                None => return Err(missing(&tx, chain)),
            }
        } else {
            return Err(missing(&tx, chain));
        }
    }

    if !sequence_locks_ok(&tx, &coins, height, tip_mtp, |h| chain.mtp(h)) {
        return Err(Reject::new(RejectClass::Premature, "non-BIP68-final"));
    }
    let fee = check_tx_inputs(&tx, &coins, height)?;
    if !inputs_standard(&tx, &coins) {
        return Err(Reject::policy("bad-txns-nonstandard-inputs"));
    }
    if !witness_standard(&tx, &coins) {
        return Err(Reject::policy("bad-witness-nonstandard"));
    }
    let sigops = sigop_cost(&tx, &coins);
    if sigops > MAX_STANDARD_TX_SIGOPS_COST {
        return Err(Reject::policy("bad-txns-too-many-sigops").with_debug(sigops.to_string()));
    }
    let weight = tx.weight().to_wu();
    let vsize = virtual_size(weight, sigops);
    let pool_min = fee_for(pool.min_fee_rate(crate::node::now()), vsize);
    if fee < pool_min {
        return Err(
            Reject::policy("mempool min fee not met").with_debug(format!("{fee} < {pool_min}"))
        );
    }
    let min_fee = fee_for(MIN_RELAY_FEE, vsize);
    if fee < min_fee {
        return Err(
            Reject::policy("min relay fee not met").with_debug(format!("{fee} < {min_fee}"))
        );
    }

    // Ancestor and descendant limits.
    let mut ancestors: HashSet<Txid> = parents.clone();
    for p in &parents {
        ancestors.extend(pool.ancestors(p));
    }
    if ancestors.len() + 1 > MAX_ANCESTORS {
        return Err(Reject::policy("too-long-mempool-chain").with_debug(format!(
            "too many unconfirmed ancestors [limit: {MAX_ANCESTORS}]"
        )));
    }
    let ancestor_vsize: u64 = vsize
        + ancestors
            .iter()
            .filter_map(|a| pool.get(a))
            .map(|e| e.vsize)
            .sum::<u64>();
    if ancestor_vsize > MAX_ANCESTOR_VSIZE {
        return Err(Reject::policy("too-long-mempool-chain").with_debug(format!(
            "exceeds ancestor size limit [limit: {MAX_ANCESTOR_VSIZE}]"
        )));
    }
    for a in &ancestors {
        let desc = pool.descendants(a);
        let t = pool.totals(a, &desc);
        if t.count + 1 > MAX_DESCENDANTS || t.vsize + vsize > MAX_DESCENDANT_VSIZE {
            return Err(Reject::policy("too-long-mempool-chain").with_debug(format!(
                "too many descendants for tx {a} [limit: {MAX_DESCENDANTS}]"
            )));
        }
    }
    if ancestors.iter().any(|a| conflicts.contains(a)) {
        return Err(Reject::consensus("bad-txns-spends-conflicting-tx")
            .with_debug(format!("{txid} spends conflicting transaction")));
    }

    let mut replaced = HashSet::new();
    if !conflicts.is_empty() {
        replaced = replacement_checks(pool, &tx, &conflicts, &parents, fee, vsize)?;
    }

    Ok(Prepared {
        entry: Entry {
            tx,
            txid,
            wtxid,
            fee,
            vsize,
            weight,
            sigop_cost: sigops,
            time: 0,
            height: 0,
            sequence: 0,
            parents,
            children: HashSet::new(),
        },
        replaced,
        spent: coins.into_iter().map(|c| c.output).collect(),
    })
}

/// Inputs are missing: either this transaction is already confirmed or they never existed.
fn missing(tx: &Transaction, chain: &ChainState) -> Reject {
    let txid = tx.compute_txid();
    let known = (0..tx.output.len() as u32).any(|v| chain.coin(&OutPoint::new(txid, v)).is_some());
    if known {
        Reject::new(RejectClass::AlreadyKnown, "txn-already-known")
    } else {
        Reject::new(RejectClass::MissingInputs, "bad-txns-inputs-missingorspent")
    }
}

/// BIP125 as Core 24 applies it; returns every entry the replacement evicts.
fn replacement_checks(
    pool: &Mempool,
    tx: &Transaction,
    conflicts: &HashSet<Txid>,
    parents: &HashSet<Txid>,
    fee: u64,
    vsize: u64,
) -> Result<HashSet<Txid>, Reject> {
    let txid = tx.compute_txid();
    let mut all = HashSet::new();
    for c in conflicts {
        all.insert(*c);
        all.extend(pool.descendants(c));
        if all.len() > MAX_REPLACEMENT_CANDIDATES {
            return Err(Reject::policy("too many potential replacements").with_debug(format!(
                "rejecting replacement {txid}; too many potential replacements ({} > {MAX_REPLACEMENT_CANDIDATES})",
                all.len()
            )));
        }
    }
    // Rule 2: no new unconfirmed inputs.
    let conflict_inputs: HashSet<OutPoint> = conflicts
        .iter()
        .filter_map(|c| pool.get(c))
        .flat_map(|e| e.tx.input.iter().map(|i| i.previous_output))
        .collect();
    for input in &tx.input {
        if parents.contains(&input.previous_output.txid)
            && !conflict_inputs.contains(&input.previous_output)
        {
            return Err(Reject::policy("replacement-adds-unconfirmed")
                .with_debug(format!("replacement {txid} adds unconfirmed input, idx 0")));
        }
    }
    // Rule 6 (Core 24): a higher fee rate than every direct conflict.
    for c in conflicts {
        let e = pool.get(c).expect("conflict is an entry");
        if u128::from(fee) * u128::from(e.vsize) <= u128::from(e.fee) * u128::from(vsize) {
            return Err(Reject::policy("insufficient fee").with_debug(format!(
                "rejecting replacement {txid}; new feerate {} BTC/kvB <= old feerate {} BTC/kvB",
                format_money(fee * 1000 / vsize.max(1)),
                format_money(e.fee * 1000 / e.vsize.max(1))
            )));
        }
    }
    // Rules 3 and 4: pay for everything replaced, plus relay of the new transaction.
    let replaced_fees: u64 = all.iter().filter_map(|t| pool.get(t)).map(|e| e.fee).sum();
    if fee < replaced_fees {
        return Err(Reject::policy("insufficient fee").with_debug(format!(
            "rejecting replacement {txid}, less fees than conflicting txs; {} < {}",
            format_money(fee),
            format_money(replaced_fees)
        )));
    }
    let needed = fee_for(MIN_RELAY_FEE, vsize);
    if fee - replaced_fees < needed {
        return Err(Reject::policy("insufficient fee").with_debug(format!(
            "rejecting replacement {txid}, not enough additional fees to relay; {} < {}",
            format_money(fee - replaced_fees),
            format_money(needed)
        )));
    }
    Ok(all)
}

/// Adds a prepared (and script-checked) transaction, evicting what it replaces, then
/// applies the mempool's size and age limits; refuses with `mempool full` if the limits
/// evicted the transaction itself.
pub fn commit(pool: &mut Mempool, p: Prepared, height: u32, now: u64) -> Result<(), Reject> {
    for r in &p.replaced {
        pool.remove_recursive(r);
    }
    let mut entry = p.entry;
    let txid = entry.txid;
    entry.time = now;
    entry.height = height;
    pool.insert(entry);
    if pool.limit(now).contains(&txid) {
        return Err(Reject::policy("mempool full"));
    }
    Ok(())
}
