//! Transaction rules that do not depend on scripts: Core's `CheckTransaction` (context-free),
//! `Consensus::CheckTxInputs` (amounts, coinbase maturity), `IsFinalTx` (absolute locktime,
//! BIP113) and `SequenceLocks` (BIP68 relative locktime).
//!
//! Amounts are plain `u64` satoshis checked against Fractal's [`MAX_MONEY`]; a value read
//! from the wire above `i64::MAX` is what Core sees as negative.

use std::collections::HashSet;

use bitcoin::{Transaction, TxOut};

use crate::error::Reject;
use crate::params::{COINBASE_MATURITY, MAX_BLOCK_WEIGHT, MAX_MONEY, WITNESS_SCALE_FACTOR};

/// An unspent output and where it was created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coin {
    pub output: TxOut,
    /// Height of the block that created it (the next block's height for mempool outputs).
    pub height: u32,
    pub coinbase: bool,
}

/// Locktimes below this are heights, at or above it Unix times.
pub const LOCKTIME_THRESHOLD: u32 = 500_000_000;
const SEQUENCE_FINAL: u32 = 0xffff_ffff;
const SEQUENCE_DISABLE_FLAG: u32 = 1 << 31;
const SEQUENCE_TYPE_FLAG: u32 = 1 << 22;
const SEQUENCE_MASK: u32 = 0x0000_ffff;
const SEQUENCE_GRANULARITY: u32 = 9;

fn money_range(v: u64) -> bool {
    v <= MAX_MONEY
}

/// Core's `CheckTransaction`: rules that need nothing but the transaction.
pub fn check_transaction(tx: &Transaction) -> Result<(), Reject> {
    if tx.input.is_empty() {
        return Err(Reject::consensus("bad-txns-vin-empty"));
    }
    if tx.output.is_empty() {
        return Err(Reject::consensus("bad-txns-vout-empty"));
    }
    if (tx.base_size() * WITNESS_SCALE_FACTOR) as u64 > MAX_BLOCK_WEIGHT {
        return Err(Reject::consensus("bad-txns-oversize"));
    }
    let mut total: u64 = 0;
    for out in &tx.output {
        let v = out.value.to_sat();
        if v > i64::MAX as u64 {
            return Err(Reject::consensus("bad-txns-vout-negative"));
        }
        if !money_range(v) {
            return Err(Reject::consensus("bad-txns-vout-toolarge"));
        }
        total += v;
        if !money_range(total) {
            return Err(Reject::consensus("bad-txns-txouttotal-toolarge"));
        }
    }
    let mut seen = HashSet::with_capacity(tx.input.len());
    for input in &tx.input {
        if !seen.insert(input.previous_output) {
            return Err(Reject::consensus("bad-txns-inputs-duplicate"));
        }
    }
    if tx.is_coinbase() {
        let len = tx.input[0].script_sig.len();
        if !(2..=100).contains(&len) {
            return Err(Reject::consensus("bad-cb-length"));
        }
    } else if tx.input.iter().any(|i| i.previous_output.is_null()) {
        return Err(Reject::consensus("bad-txns-prevout-null"));
    }
    Ok(())
}

/// Core's `FormatMoney`: `1.00000000`-style, as Core's debug messages print amounts.
pub fn format_money(sats: u64) -> String {
    format!("{}.{:08}", sats / 100_000_000, sats % 100_000_000)
}

/// Core's `Consensus::CheckTxInputs` for a transaction spending `coins` (in input order) in a
/// block at `spend_height`; returns the fee.
pub fn check_tx_inputs(tx: &Transaction, coins: &[Coin], spend_height: u32) -> Result<u64, Reject> {
    let mut value_in: u64 = 0;
    for coin in coins {
        if coin.coinbase && spend_height.saturating_sub(coin.height) < COINBASE_MATURITY {
            return Err(
                Reject::consensus("bad-txns-premature-spend-of-coinbase").with_debug(format!(
                    "tried to spend coinbase at depth {}",
                    spend_height.saturating_sub(coin.height)
                )),
            );
        }
        value_in = value_in.saturating_add(coin.output.value.to_sat());
        if !money_range(coin.output.value.to_sat()) || !money_range(value_in) {
            return Err(Reject::consensus("bad-txns-inputvalues-outofrange"));
        }
    }
    let value_out: u64 = tx.output.iter().map(|o| o.value.to_sat()).sum();
    if value_in < value_out {
        return Err(
            Reject::consensus("bad-txns-in-belowout").with_debug(format!(
                "value in ({}) < value out ({})",
                format_money(value_in),
                format_money(value_out)
            )),
        );
    }
    let fee = value_in - value_out;
    if !money_range(fee) {
        return Err(Reject::consensus("bad-txns-fee-outofrange"));
    }
    Ok(fee)
}

/// Core's `IsFinalTx`: is `tx` final in a block at `height` whose locktime cutoff (the
/// previous block's median time past, BIP113) is `cutoff_time`?
pub fn is_final_tx(tx: &Transaction, height: u32, cutoff_time: u32) -> bool {
    let lock = tx.lock_time.to_consensus_u32();
    if lock == 0 {
        return true;
    }
    let limit = if lock < LOCKTIME_THRESHOLD {
        height
    } else {
        cutoff_time
    };
    if lock < limit {
        return true;
    }
    tx.input.iter().all(|i| i.sequence.0 == SEQUENCE_FINAL)
}

/// Core's `CalculateSequenceLocks` + `EvaluateSequenceLocks` (BIP68) for a block at `height`
/// whose parent has median time past `prev_mtp`. `mtp_at(h)` is the median time past of the
/// active-chain block at height `h`.
pub fn sequence_locks_ok(
    tx: &Transaction,
    coins: &[Coin],
    height: u32,
    prev_mtp: u32,
    mtp_at: impl Fn(u32) -> u32,
) -> bool {
    if tx.version.0 < 2 {
        return true;
    }
    let mut min_height: i64 = -1;
    let mut min_time: i64 = -1;
    for (input, coin) in tx.input.iter().zip(coins) {
        let seq = input.sequence.0;
        if seq & SEQUENCE_DISABLE_FLAG != 0 {
            continue;
        }
        if seq & SEQUENCE_TYPE_FLAG != 0 {
            // Time locks count from the median time past of the block before the coin's.
            let coin_time = i64::from(mtp_at(coin.height.saturating_sub(1)));
            let t = coin_time + (i64::from(seq & SEQUENCE_MASK) << SEQUENCE_GRANULARITY) - 1;
            min_time = min_time.max(t);
        } else {
            let h = i64::from(coin.height) + i64::from(seq & SEQUENCE_MASK) - 1;
            min_height = min_height.max(h);
        }
    }
    min_height < i64::from(height) && min_time < i64::from(prev_mtp)
}

/// Core's `GetTransactionSigOpCost`.
pub fn sigop_cost(tx: &Transaction, coins: &[Coin]) -> usize {
    if tx.is_coinbase() {
        return tx.total_sigop_cost(|_| None);
    }
    tx.total_sigop_cost(|op| {
        tx.input
            .iter()
            .position(|i| i.previous_output == *op)
            .map(|i| coins[i].output.clone())
    })
}

/// Legacy sigops (scriptSigs and scriptPubKeys, inaccurate multisig counting), as Core's
/// `CheckBlock` limits them before inputs are known.
pub fn legacy_sigops(tx: &Transaction) -> usize {
    tx.input
        .iter()
        .map(|i| i.script_sig.count_sigops_legacy())
        .chain(
            tx.output
                .iter()
                .map(|o| o.script_pubkey.count_sigops_legacy()),
        )
        .sum()
}
