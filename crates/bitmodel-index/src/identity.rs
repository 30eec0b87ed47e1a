//! What chain the index was built from, and the height it starts at, kept in `meta` so an
//! index made against one node refuses another (a fresh regtest node behind the same URL,
//! Bitcoin where Fractal was indexed) instead of mixing two chains' records and money.

use bitmodel_protocol::Identity;
use redb::ReadableDatabase;

use crate::rows::{decode, encode};
use crate::schema::META;
use crate::{Index, IndexError};

impl Index {
    /// The chain this index was built from, if it has been bound to one.
    pub fn identity(&self) -> Result<Option<Identity>, IndexError> {
        let txn = self.db.begin_read()?;
        let meta = txn.open_table(META)?;
        let v = meta.get("identity")?;
        v.map(|v| decode(v.value())).transpose()
    }

    /// Binds the index to the node's chain on first use, and refuses a node of another
    /// chain afterwards. What the node has learnt since (a block 1 on a regtest chain that
    /// had none) is stored.
    pub fn bind_identity(&self, found: &Identity) -> Result<(), IndexError> {
        let stored = self.identity()?;
        let Some(new) =
            Identity::rebind(stored.as_ref(), found).map_err(|()| IndexError::OtherChain {
                path: self.path.display().to_string(),
                stored: Box::new(stored.clone().expect("a mismatch needs a stored identity")),
                found: Box::new(found.clone()),
            })?
        else {
            return Ok(());
        };
        let txn = self.db.begin_write()?;
        txn.open_table(META)?
            .insert("identity", encode(&new).as_slice())?;
        txn.commit()?;
        Ok(())
    }

    /// The height the index was started at, if it has been.
    pub fn stored_start(&self) -> Result<Option<u32>, IndexError> {
        let txn = self.db.begin_read()?;
        let meta = txn.open_table(META)?;
        let v = meta.get("start")?;
        v.map(|v| {
            <[u8; 4]>::try_from(v.value())
                .map(u32::from_le_bytes)
                .map_err(|_| IndexError::Corrupt("start height".into()))
        })
        .transpose()
    }

    /// The height the index starts at: the one it was started at, or `requested` (else
    /// `default`) for an empty one. An index that holds blocks refuses another start.
    pub fn start_height(&self, requested: Option<u32>, default: u32) -> Result<u32, IndexError> {
        let stored = self.stored_start()?;
        let empty = self.tip()?.is_none();
        match (stored, requested) {
            (Some(s), Some(r)) if s != r && !empty => Err(IndexError::OtherStart {
                path: self.path.display().to_string(),
                stored: s,
                requested: r,
            }),
            (Some(s), None) => Ok(s),
            (Some(s), Some(r)) if s == r => Ok(s),
            (_, r) => {
                let start = r.unwrap_or(default);
                let txn = self.db.begin_write()?;
                txn.open_table(META)?
                    .insert("start", start.to_le_bytes().as_slice())?;
                txn.commit()?;
                Ok(start)
            }
        }
    }
}
