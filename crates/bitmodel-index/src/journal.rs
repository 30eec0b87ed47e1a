//! Journaled writes: every key a block changes has its previous value saved in the block's
//! undo record, so a reorg can put the index back exactly as it was before the block, in the
//! same write transaction that removes it. A key's previous value is saved the first time the
//! block touches it; later writes in the same block need no entry.

use std::collections::HashSet;

use redb::{ReadableTable, Table, WriteTransaction};
use serde::{Deserialize, Serialize};

use crate::schema::JOURNALED;
use crate::IndexError;

/// The previous values of everything one block changed.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Undo {
    pub entries: Vec<(u8, Vec<u8>, Option<Vec<u8>>)>,
}

/// The journaled tables of one write transaction.
pub struct Journal<'t> {
    tables: Vec<Table<'t, &'static [u8], &'static [u8]>>,
    touched: HashSet<(u8, Vec<u8>)>,
    pub undo: Undo,
}

impl<'t> Journal<'t> {
    pub fn open(txn: &'t WriteTransaction) -> Result<Self, IndexError> {
        let tables = JOURNALED
            .iter()
            .map(|d| txn.open_table(*d))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Journal {
            tables,
            touched: HashSet::new(),
            undo: Undo::default(),
        })
    }

    pub fn get(&self, table: u8, key: &[u8]) -> Result<Option<Vec<u8>>, IndexError> {
        Ok(self.tables[table as usize]
            .get(key)?
            .map(|v| v.value().to_vec()))
    }

    fn remember(&mut self, table: u8, key: &[u8]) -> Result<(), IndexError> {
        if self.touched.insert((table, key.to_vec())) {
            let previous = self.get(table, key)?;
            self.undo.entries.push((table, key.to_vec(), previous));
        }
        Ok(())
    }

    pub fn put(&mut self, table: u8, key: &[u8], value: &[u8]) -> Result<(), IndexError> {
        self.remember(table, key)?;
        self.tables[table as usize].insert(key, value)?;
        Ok(())
    }

    pub fn delete(&mut self, table: u8, key: &[u8]) -> Result<(), IndexError> {
        self.remember(table, key)?;
        self.tables[table as usize].remove(key)?;
        Ok(())
    }

    /// Puts every key in `undo` back to its saved value.
    pub fn revert(&mut self, undo: &Undo) -> Result<(), IndexError> {
        for (table, key, previous) in undo.entries.iter().rev() {
            let t = self
                .tables
                .get_mut(*table as usize)
                .ok_or_else(|| IndexError::Corrupt(format!("undo names table {table}")))?;
            match previous {
                Some(v) => {
                    t.insert(key.as_slice(), v.as_slice())?;
                }
                None => {
                    t.remove(key.as_slice())?;
                }
            }
        }
        Ok(())
    }
}
