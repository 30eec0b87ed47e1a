//! The calls each payment bought and used, in redb (`gateway.redb` beside the index), so a
//! payment buys exactly what it paid for even across restarts. A payment of `n × price`
//! into an asset's vault buys `n` calls of that asset (prepaid inference: one vault UTXO for
//! n calls instead of n UTXOs to merge). Every call *reserves* one of the calls left in one
//! write transaction — so concurrent calls with one payment never run more often than it
//! bought — and then either uses it (the model ran, or failed on its own) or releases it (the
//! inputs were refused before running). A reservation left by a crash mid-run expires after
//! [`STALE_RESERVATION`].
//!
//! Rows are keyed by txid and asset: one transaction paying two assets' vaults buys calls of
//! each. Payments recorded by an older gateway (one call per payment, keyed by txid alone, in
//! the `used_payments` table) count as fully used.

use std::path::Path;

use bitcoin::hashes::Hash;
use bitcoin::Txid;
use bitmodel_protocol::AssetId;
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};

/// txid ‖ asset id → [`Calls`] as JSON.
const CALLS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("payment_calls");
/// The one-call-per-payment ledger of earlier versions: txid → JSON; read only.
const LEGACY: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("used_payments");

/// What one payment bought and what is left of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calls {
    pub asset: String,
    /// Sats the payment put into the asset's vault.
    pub paid: u64,
    /// Calls it bought: `paid / price` when first presented.
    pub bought: u64,
    /// Calls used for good.
    pub used: u64,
    /// Runs in flight: (ticket, unix seconds reserved).
    #[serde(default)]
    pub in_flight: Vec<(u64, u64)>,
    /// Unix seconds of the last call.
    pub at: u64,
}

impl Calls {
    /// Calls that can still be reserved.
    pub fn left(&self) -> u64 {
        self.bought
            .saturating_sub(self.used)
            .saturating_sub(self.in_flight.len() as u64)
    }
}

/// A reserved call: present it to [`Ledger::finish`] or [`Ledger::release`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    pub txid: Txid,
    pub asset: AssetId,
    pub id: u64,
}

/// Seconds after which a reservation whose run never finished (a crash) may be taken again.
pub const STALE_RESERVATION: u64 = 600;

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("gateway ledger {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: redb::DatabaseError,
    },
    /// redb failed; every redb error type converts into this (see the `From` impl below).
    #[error("gateway ledger: {0}")]
    Storage(#[source] redb::Error),
    #[error("gateway ledger row is not readable: {0}")]
    Row(#[source] serde_json::Error),
}

/// Any of redb's error types (`DatabaseError`, `TransactionError`, `TableError`,
/// `StorageError`, `CommitError`, ...) becomes [`LedgerError::Storage`], keeping it as the
/// source, so `?` works on every redb call. (Coherent only while `LedgerError` has no other
/// `From` impl from a foreign type: hence `Row` is built with `map_err`, not `#[from]`.)
impl<E: Into<redb::Error>> From<E> for LedgerError {
    fn from(e: E) -> Self {
        LedgerError::Storage(e.into())
    }
}

/// Writes one payment's row.
fn put(
    t: &mut redb::Table<'_, &'static [u8], &'static [u8]>,
    k: &[u8],
    calls: &Calls,
) -> Result<(), LedgerError> {
    let row = serde_json::to_vec(calls).map_err(LedgerError::Row)?;
    t.insert(k, row.as_slice())?;
    Ok(())
}

fn key(txid: &Txid, asset: &AssetId) -> Vec<u8> {
    let mut k = txid.as_byte_array().to_vec();
    k.extend_from_slice(&asset.to_bytes());
    k
}

pub struct Ledger {
    db: Database,
}

impl Ledger {
    pub fn open(path: &Path) -> Result<Ledger, LedgerError> {
        let db = Database::create(path).map_err(|source| LedgerError::Open {
            path: path.display().to_string(),
            source,
        })?;
        let w = db.begin_write()?;
        w.open_table(CALLS)?;
        w.open_table(LEGACY)?;
        w.commit()?;
        Ok(Ledger { db })
    }

    /// What `txid` bought of `asset`, if it was ever presented.
    pub fn calls(&self, txid: &Txid, asset: &AssetId) -> Result<Option<Calls>, LedgerError> {
        let r = self.db.begin_read()?;
        if let Some(legacy) = legacy_row(&r.open_table(LEGACY)?, txid, asset)? {
            return Ok(Some(legacy));
        }
        let t = r.open_table(CALLS)?;
        let v = t.get(key(txid, asset).as_slice())?;
        v.map(|v| serde_json::from_slice(v.value()))
            .transpose()
            .map_err(LedgerError::Row)
    }

    /// Reserves one call of `txid` for `asset` (`bought` calls if this is the payment's first
    /// use): the ticket and the calls as they now stand, or `Err(calls)` when none is left.
    pub fn reserve(
        &self,
        txid: &Txid,
        asset: &AssetId,
        paid: u64,
        bought: u64,
    ) -> Result<Result<(Ticket, Calls), Calls>, LedgerError> {
        let w = self.db.begin_write()?;
        let out = {
            if let Some(legacy) = legacy_row(&w.open_table(LEGACY)?, txid, asset)? {
                return Ok(Err(legacy));
            }
            let mut t = w.open_table(CALLS)?;
            let k = key(txid, asset);
            let found = t.get(k.as_slice())?.map(|v| v.value().to_vec());
            let mut calls = match found {
                Some(v) => serde_json::from_slice::<Calls>(&v).map_err(LedgerError::Row)?,
                None => Calls {
                    asset: asset.to_string(),
                    paid,
                    bought,
                    used: 0,
                    in_flight: Vec::new(),
                    at: now(),
                },
            };
            let at = now();
            calls
                .in_flight
                .retain(|(_, t)| at.saturating_sub(*t) <= STALE_RESERVATION);
            if calls.left() == 0 {
                return Ok(Err(calls));
            }
            let mut id = [0u8; 8];
            getrandom::getrandom(&mut id).expect("the operating system provides randomness");
            let id = u64::from_le_bytes(id);
            calls.in_flight.push((id, at));
            calls.at = at;
            put(&mut t, &k, &calls)?;
            (
                Ticket {
                    txid: *txid,
                    asset: *asset,
                    id,
                },
                calls,
            )
        };
        w.commit()?;
        Ok(Ok(out))
    }

    /// The reserved run happened (or failed by the model's fault): the call is used. Returns
    /// the calls as they now stand.
    pub fn finish(&self, ticket: &Ticket) -> Result<Calls, LedgerError> {
        self.settle(ticket, true)
    }

    /// The inputs were refused before the model ran: the call is free again.
    pub fn release(&self, ticket: &Ticket) -> Result<Calls, LedgerError> {
        self.settle(ticket, false)
    }

    fn settle(&self, ticket: &Ticket, used: bool) -> Result<Calls, LedgerError> {
        let w = self.db.begin_write()?;
        let calls = {
            let mut t = w.open_table(CALLS)?;
            let k = key(&ticket.txid, &ticket.asset);
            let found = t.get(k.as_slice())?.map(|v| v.value().to_vec());
            let Some(v) = found else {
                return Err(LedgerError::Storage(redb::Error::Corrupted(format!(
                    "no ledger row for reserved call {} of {}",
                    ticket.txid, ticket.asset
                ))));
            };
            let mut calls: Calls = serde_json::from_slice(&v).map_err(LedgerError::Row)?;
            let before = calls.in_flight.len();
            calls.in_flight.retain(|(id, _)| *id != ticket.id);
            // A reservation that went stale and was taken over still counts once if used.
            if used && (calls.in_flight.len() < before || calls.used < calls.bought) {
                calls.used = (calls.used + 1).min(calls.bought);
            }
            put(&mut t, &k, &calls)?;
            calls
        };
        w.commit()?;
        Ok(calls)
    }

    /// Payments ever presented.
    pub fn count(&self) -> Result<u64, LedgerError> {
        let r = self.db.begin_read()?;
        let n = r.open_table(CALLS)?.len()?;
        Ok(n + r.open_table(LEGACY)?.len()?)
    }
}

/// A payment of the one-call ledger: used up (its one call is gone).
fn legacy_row(
    t: &impl ReadableTable<&'static [u8; 32], &'static [u8]>,
    txid: &Txid,
    asset: &AssetId,
) -> Result<Option<Calls>, LedgerError> {
    #[derive(Deserialize)]
    struct Old {
        asset: String,
        paid: u64,
        at: u64,
    }
    let Some(v) = t.get(txid.as_byte_array())? else {
        return Ok(None);
    };
    let old: Old = serde_json::from_slice(v.value()).map_err(LedgerError::Row)?;
    let _ = asset;
    Ok(Some(Calls {
        asset: old.asset,
        paid: old.paid,
        bought: 1,
        used: 1,
        in_flight: Vec::new(),
        at: old.at,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asset(n: u32) -> AssetId {
        AssetId::new(Txid::from_byte_array([9; 32]), n)
    }

    #[test]
    fn a_payment_buys_its_calls_once_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("gateway.redb");
        let txid = Txid::from_byte_array([3; 32]);
        let a = asset(0);
        {
            let l = Ledger::open(&p).unwrap();
            assert_eq!(l.calls(&txid, &a).unwrap(), None);
            // Three calls bought; three reservations in flight take them all.
            let (t1, c) = l.reserve(&txid, &a, 15_000, 3).unwrap().unwrap();
            assert_eq!((c.bought, c.left()), (3, 2));
            let (t2, _) = l.reserve(&txid, &a, 15_000, 3).unwrap().unwrap();
            let (t3, c) = l.reserve(&txid, &a, 15_000, 3).unwrap().unwrap();
            assert_eq!(c.left(), 0);
            assert!(
                l.reserve(&txid, &a, 15_000, 3).unwrap().is_err(),
                "none left"
            );
            // Refused inputs give one back; it is reserved again and everything is used.
            assert_eq!(l.release(&t2).unwrap().left(), 1);
            let (t4, _) = l.reserve(&txid, &a, 15_000, 3).unwrap().unwrap();
            for t in [t1, t3, t4] {
                l.finish(&t).unwrap();
            }
            let c = l.calls(&txid, &a).unwrap().unwrap();
            assert_eq!((c.used, c.left(), c.in_flight.len()), (3, 0, 0));
            // Releasing a used call changes nothing; a later `bought` does not top it up.
            assert_eq!(l.release(&t1).unwrap().used, 3);
            assert!(l.reserve(&txid, &a, 99_999, 20).unwrap().is_err());
            // The same transaction's payment to another asset is counted on its own.
            assert!(l.reserve(&txid, &asset(1), 5_000, 1).unwrap().is_ok());
        }
        let l = Ledger::open(&p).unwrap();
        assert_eq!(l.calls(&txid, &a).unwrap().unwrap().used, 3);
        assert_eq!(l.count().unwrap(), 2);
    }

    #[test]
    fn a_reservation_a_crash_left_behind_expires() {
        let dir = tempfile::tempdir().unwrap();
        let l = Ledger::open(&dir.path().join("g.redb")).unwrap();
        let txid = Txid::from_byte_array([4; 32]);
        let a = asset(0);
        let (_, _) = l.reserve(&txid, &a, 5_000, 1).unwrap().unwrap();
        assert!(
            l.reserve(&txid, &a, 5_000, 1).unwrap().is_err(),
            "fresh: held"
        );
        // Age the reservation past the limit by hand.
        {
            let w = l.db.begin_write().unwrap();
            {
                let mut t = w.open_table(CALLS).unwrap();
                let k = key(&txid, &a);
                let mut c: Calls =
                    serde_json::from_slice(t.get(k.as_slice()).unwrap().unwrap().value()).unwrap();
                c.in_flight[0].1 -= STALE_RESERVATION + 1;
                t.insert(k.as_slice(), serde_json::to_vec(&c).unwrap().as_slice())
                    .unwrap();
            }
            w.commit().unwrap();
        }
        assert!(
            l.reserve(&txid, &a, 5_000, 1).unwrap().is_ok(),
            "stale: taken over"
        );
    }

    #[test]
    fn payments_of_the_one_call_ledger_count_as_used() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("g.redb");
        let txid = Txid::from_byte_array([5; 32]);
        {
            let db = Database::create(&p).unwrap();
            let w = db.begin_write().unwrap();
            w.open_table(LEGACY)
                .unwrap()
                .insert(
                    txid.as_byte_array(),
                    br#"{"asset":"x","paid":5000,"at":1,"reserved":false}"#.as_slice(),
                )
                .unwrap();
            w.commit().unwrap();
        }
        let l = Ledger::open(&p).unwrap();
        assert_eq!(l.calls(&txid, &asset(0)).unwrap().unwrap().left(), 0);
        assert!(l.reserve(&txid, &asset(0), 5_000, 1).unwrap().is_err());
    }
}
