//! The payments already spent on calls, in redb (`gateway.redb` beside the index), so a
//! payment buys exactly one call even across restarts. A payment is written only after its
//! call succeeded, in one write transaction that refuses a txid already there: two
//! concurrent calls with one payment get one answer and one 402.

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

    /// Records `txid` as spent; `Err(Some(previous))` if it already was.
    pub fn consume(&self, txid: &Txid, used: &Used) -> Result<Result<(), Used>, LedgerError> {
        let w = self.db.begin_write().map_err(err)?;
        {
            let mut t = w.open_table(USED).map_err(err)?;
            if let Some(prev) = t.get(txid.as_byte_array()).map_err(err)? {
                return Ok(Err(serde_json::from_slice(prev.value()).map_err(err)?));
            }
            let v = serde_json::to_vec(used).expect("serialises");
            t.insert(txid.as_byte_array(), v.as_slice()).map_err(err)?;
        }
        w.commit().map_err(err)?;
        Ok(Ok(()))
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
            at: 1,
        };
        {
            let l = Ledger::open(&p).unwrap();
            assert_eq!(l.used(&txid).unwrap(), None);
            assert_eq!(l.consume(&txid, &u).unwrap(), Ok(()));
            let again = Used {
                paid: 99,
                ..u.clone()
            };
            assert_eq!(l.consume(&txid, &again).unwrap(), Err(u.clone()));
        }
        let l = Ledger::open(&p).unwrap();
        assert_eq!(l.used(&txid).unwrap(), Some(u));
        assert_eq!(l.count().unwrap(), 1);
    }
}
