//! The wallet's file: one redb database holding the BIP39 mnemonic and BDK's aggregated
//! `ChangeSet` (BDK's state is a mergeable change set, persisted explicitly). The file is
//! created readable by its owner only (0600). The mnemonic is stored in the clear, like an
//! unencrypted bitcoind wallet, unless it was sealed under a passphrase (`seal`).

use std::path::Path;

use bdk_wallet::chain::Merge;
use bdk_wallet::{ChangeSet, WalletPersister};
use redb::{Database, ReadableDatabase, TableDefinition};

const KV: TableDefinition<&str, &[u8]> = TableDefinition::new("wallet");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// redb failed; every redb error type converts into this (see the `From` impl below).
    #[error("wallet file error: {0}")]
    Storage(#[source] redb::Error),
    #[error("cannot create the wallet file {path}")]
    Create {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the wallet file is damaged: its {what} does not decode")]
    Corrupt {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
}

/// Any of redb's error types becomes [`StoreError::Storage`], kept as the source, so `?` works
/// on every redb call — the index's pattern (`bitmodel_index::IndexError`). Coherent while
/// `StoreError` has no other `From` impl from a foreign type.
impl<E: Into<redb::Error>> From<E> for StoreError {
    fn from(e: E) -> Self {
        StoreError::Storage(e.into())
    }
}

pub struct Store {
    db: Database,
}

impl Store {
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        // Created by us, private from the first byte: redb then initialises the empty file.
        if !path.exists() {
            let mut o = std::fs::OpenOptions::new();
            o.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                o.mode(0o600);
            }
            o.open(path).map_err(|source| StoreError::Create {
                path: path.display().to_string(),
                source,
            })?;
        }
        Ok(Store {
            db: Database::create(path)?,
        })
    }

    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read()?;
        let t = match txn.open_table(KV) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        Ok(t.get(key)?.map(|v| v.value().to_vec()))
    }

    pub fn put(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        txn.open_table(KV)?.insert(key, value)?;
        txn.commit()?;
        Ok(())
    }
}

impl WalletPersister for Store {
    type Error = StoreError;

    fn initialize(store: &mut Self) -> Result<ChangeSet, StoreError> {
        match store.get("changeset")? {
            Some(bytes) => serde_json::from_slice(&bytes).map_err(|source| StoreError::Corrupt {
                what: "change set",
                source,
            }),
            None => Ok(ChangeSet::default()),
        }
    }

    fn persist(store: &mut Self, changeset: &ChangeSet) -> Result<(), StoreError> {
        let mut all = Self::initialize(store)?;
        all.merge(changeset.clone());
        // A change set of plain data always serializes; a failure here is a bug, not damage.
        let bytes = serde_json::to_vec(&all).expect("a BDK change set serializes to JSON");
        store.put("changeset", &bytes)
    }
}
