//! The payments already spent on calls, in redb (`gateway.redb` beside the index), so a
//! payment buys exactly one run even across restarts. A payment is *reserved* in one write
//! transaction that refuses a txid already there, before the model runs — so concurrent
//! calls with one payment run the model once, the others get 402 — and then either marked
//! used (the model ran, or failed on its own) or released (the inputs were refused before
//! running). A reservation left by a crash mid-run expires after [`STALE_RESERVATION`].

use std::path::Path;

use bitcoin::hashes::Hash;
use bitcoin::Txid;
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};

/// Txid → [`Used`] as JSON.
const USED: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("used_payments");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Used {
    pub asset: String,
    pub paid: u64,
    /// Unix seconds.
    pub at: u64,
    /// Reserved by a run still in flight (not yet used for good).
    #[serde(default)]
    pub reserved: bool,
}

/// Seconds after which a reservation whose run never finished (a crash) may be taken again.
pub const STALE_RESERVATION: u64 = 600;

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[derive(Debug, thiserror::Error)]
#[error("gateway ledger: {0}")]
pub struct LedgerError(String);

fn err(e: impl std::fmt::Display) -> LedgerError {
    LedgerError(e.to_string())
}

pub struct Ledger {
    db: Database,
}

impl Ledger {
    pub fn open(path: &Path) -> Result<Ledger, LedgerError> {
        let db =
            Database::create(path).map_err(|e| LedgerError(format!("{}: {e}", path.display())))?;
        let w = db.begin_write().map_err(err)?;
        w.open_table(USED).map_err(err)?;
        w.commit().map_err(err)?;
        Ok(Ledger { db })
    }

    pub fn used(&self, txid: &Txid) -> Result<Option<Used>, LedgerError> {
        let r = self.db.begin_read().map_err(err)?;
        let t = r.open_table(USED).map_err(err)?;
        let v = t.get(txid.as_byte_array()).map_err(err)?;
        v.map(|v| serde_json::from_slice(v.value()).map_err(err))
            .transpose()
    }

    /// Reserves `txid` for one run; `Err(previous)` if it is used or reserved (a stale
    /// reservation is taken over).
    pub fn reserve(&self, txid: &Txid, used: &Used) -> Result<Result<(), Used>, LedgerError> {
        let w = self.db.begin_write().map_err(err)?;
        {
            let mut t = w.open_table(USED).map_err(err)?;
            if let Some(prev) = t.get(txid.as_byte_array()).map_err(err)? {
                let prev: Used = serde_json::from_slice(prev.value()).map_err(err)?;
                if !(prev.reserved && now().saturating_sub(prev.at) > STALE_RESERVATION) {
                    return Ok(Err(prev));
                }
            }
            let v = serde_json::to_vec(&Used {
                reserved: true,
                ..used.clone()
            })
            .expect("serialises");
            t.insert(txid.as_byte_array(), v.as_slice()).map_err(err)?;
        }
        w.commit().map_err(err)?;
        Ok(Ok(()))
    }

    /// The reserved run happened (or failed by the model's fault): the payment is used.
    pub fn finish(&self, txid: &Txid, used: &Used) -> Result<(), LedgerError> {
        let w = self.db.begin_write().map_err(err)?;
        {
            let mut t = w.open_table(USED).map_err(err)?;
            let v = serde_json::to_vec(&Used {
                reserved: false,
                ..used.clone()
            })
            .expect("serialises");
            t.insert(txid.as_byte_array(), v.as_slice()).map_err(err)?;
        }
        w.commit().map_err(err)
    }

    /// The inputs were refused before the model ran: the payment is free again.
    pub fn release(&self, txid: &Txid) -> Result<(), LedgerError> {
        let w = self.db.begin_write().map_err(err)?;
        {
            let mut t = w.open_table(USED).map_err(err)?;
            let reserved = match t.get(txid.as_byte_array()).map_err(err)? {
                Some(v) => {
                    serde_json::from_slice::<Used>(v.value())
                        .map_err(err)?
                        .reserved
                }
                None => false,
            };
            if reserved {
                t.remove(txid.as_byte_array()).map_err(err)?;
            }
        }
        w.commit().map_err(err)
    }

    pub fn count(&self) -> Result<u64, LedgerError> {
        let r = self.db.begin_read().map_err(err)?;
        r.open_table(USED).map_err(err)?.len().map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payment_is_consumed_once_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("gateway.redb");
        let txid = Txid::from_byte_array([3; 32]);
        let u = Used {
            asset: "a".into(),
            paid: 10,
            at: now(),
            reserved: false,
        };
        {
            let l = Ledger::open(&p).unwrap();
            assert_eq!(l.used(&txid).unwrap(), None);
            assert_eq!(l.reserve(&txid, &u).unwrap(), Ok(()));
            // A second reservation while the first runs is refused.
            let again = Used {
                paid: 99,
                ..u.clone()
            };
            let held = l.reserve(&txid, &again).unwrap().unwrap_err();
            assert!(held.reserved);
            // Refused inputs release it; it can be reserved again and then used.
            l.release(&txid).unwrap();
            assert_eq!(l.used(&txid).unwrap(), None);
            assert_eq!(l.reserve(&txid, &u).unwrap(), Ok(()));
            l.finish(&txid, &u).unwrap();
            assert_eq!(l.reserve(&txid, &again).unwrap(), Err(u.clone()));
            // Releasing a used payment does nothing.
            l.release(&txid).unwrap();
        }
        let l = Ledger::open(&p).unwrap();
        assert_eq!(l.used(&txid).unwrap(), Some(u.clone()));
        assert_eq!(l.count().unwrap(), 1);
        // A reservation a crash left behind expires.
        let other = Txid::from_byte_array([4; 32]);
        let old = Used {
            at: now() - STALE_RESERVATION - 1,
            ..u.clone()
        };
        assert_eq!(l.reserve(&other, &old).unwrap(), Ok(()));
        assert_eq!(l.reserve(&other, &u).unwrap(), Ok(()), "stale: taken over");
        assert!(l.reserve(&other, &u).unwrap().is_err(), "fresh: held");
    }
}
