//! The mempool across restarts, as Core's `mempool.dat`: written when the devnet shuts down
//! cleanly, re-validated transaction by transaction when it starts. A killed devnet loses
//! its mempool (like Core), never its chain.

use std::path::Path;
use std::sync::Arc;

use bitcoin::consensus::{deserialize, serialize};
use bitcoin::Transaction;

use crate::error::DevnetError;
use crate::node::Node;

/// The file inside the datadir.
pub const MEMPOOL_FILE: &str = "mempool.dat";

/// Writes every mempool transaction, parents first.
pub fn save(node: &Node, datadir: &Path) -> Result<usize, DevnetError> {
    let mut entries: Vec<_> = node.mempool.entries().collect();
    entries.sort_by_key(|e| e.sequence);
    let txs: Vec<Transaction> = entries.iter().map(|e| (*e.tx).clone()).collect();
    let path = datadir.join(MEMPOOL_FILE);
    let tmp = datadir.join("mempool.dat.new");
    let io = |source| DevnetError::Io {
        path: path.display().to_string(),
        source,
    };
    std::fs::write(&tmp, serialize(&txs)).map_err(io)?;
    std::fs::rename(&tmp, &path).map_err(io)?;
    Ok(txs.len())
}

/// Re-submits a saved mempool; transactions that are no longer valid are dropped. Returns
/// how many were accepted.
pub fn load(node: &mut Node, datadir: &Path) -> Result<usize, DevnetError> {
    let path = datadir.join(MEMPOOL_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(source) => {
            return Err(DevnetError::Io {
                path: path.display().to_string(),
                source,
            })
        }
    };
    let txs: Vec<Transaction> = deserialize(&bytes).map_err(|e| {
        DevnetError::Corrupt(format!(
            "{}: {e}; delete it to start with an empty mempool",
            path.display()
        ))
    })?;
    Ok(txs
        .into_iter()
        .filter(|tx| node.accept_tx(Arc::new(tx.clone())).is_ok())
        .count())
}
