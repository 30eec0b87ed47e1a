//! Core 24's mempool bounds: entries expire after two weeks, and when the mempool's memory
//! exceeds `-maxmempool` (300 MB) the package with the lowest descendant fee rate is evicted
//! until it fits, raising a rolling minimum fee that decays with a 12-hour half-life. A
//! transaction evicted by its own acceptance is refused with `mempool full`.

use std::collections::HashSet;

use bitcoin::Txid;

use super::policy::MIN_RELAY_FEE;
use super::{Entry, Mempool};

/// `DEFAULT_MAX_MEMPOOL_SIZE`, in bytes.
pub const DEFAULT_MAX_USAGE: u64 = 300_000_000;
/// `DEFAULT_MEMPOOL_EXPIRY`: 336 hours.
pub const EXPIRY_SECS: u64 = 336 * 3600;
/// `ROLLING_FEE_HALFLIFE`.
const HALF_LIFE_SECS: u64 = 12 * 3600;

/// Approximate memory an entry takes (Core's `DynamicMemoryUsage` of the transaction and
/// its index entry, within a small factor).
pub fn entry_usage(e: &Entry) -> u64 {
    3 * e.tx.total_size() as u64 + 400
}

impl Mempool {
    /// Memory the mempool takes, as the limit counts it.
    pub fn usage(&self) -> u64 {
        self.usage
    }

    /// The rolling minimum fee rate (sat per 1000 vbytes) at `now`, 0 if none applies.
    pub fn min_fee_rate(&self, now: u64) -> u64 {
        let Some((rate, since)) = self.rolling_min_fee else {
            return 0;
        };
        // Decay faster when the mempool is small, as Core does.
        let usage = self.usage();
        let half_life = if usage < self.max_usage / 4 {
            HALF_LIFE_SECS / 4
        } else if usage < self.max_usage / 2 {
            HALF_LIFE_SECS / 2
        } else {
            HALF_LIFE_SECS
        };
        let halvings = now.saturating_sub(since) / half_life;
        let decayed = if halvings >= 64 { 0 } else { rate >> halvings };
        if decayed < MIN_RELAY_FEE / 2 {
            0
        } else {
            decayed
        }
    }

    /// Expires old entries and trims to the size limit; returns the evicted txids.
    pub fn limit(&mut self, now: u64) -> HashSet<Txid> {
        let mut evicted = HashSet::new();
        // Expiry needs a scan of every entry, so it runs at most once a minute.
        if now >= self.last_expiry + 60 {
            self.last_expiry = now;
            let old: Vec<Txid> = self
                .entries()
                .filter(|e| e.time + EXPIRY_SECS < now)
                .map(|e| e.txid)
                .collect();
            for t in old {
                evicted.extend(self.remove_recursive(&t).into_iter().map(|e| e.txid));
            }
        }
        while self.usage() > self.max_usage {
            // The package with the lowest descendant score goes first.
            let Some((worst, fee, vsize)) = self
                .entries()
                .map(|e| {
                    let t = self.totals(&e.txid, &self.descendants(&e.txid));
                    (e.txid, t.fee, t.vsize)
                })
                .min_by(|a, b| {
                    (u128::from(a.1) * u128::from(b.2))
                        .cmp(&(u128::from(b.1) * u128::from(a.2)))
                        .then(a.0.cmp(&b.0))
                })
            else {
                break;
            };
            let rate = fee * 1000 / vsize.max(1) + MIN_RELAY_FEE;
            let current = self.min_fee_rate(now);
            self.rolling_min_fee = Some((rate.max(current), now));
            evicted.extend(self.remove_recursive(&worst).into_iter().map(|e| e.txid));
        }
        evicted
    }
}
