//! Following a node. The index reads blocks through [`BlockSource`] (the wallets' too: the
//! JSON-RPC client and the in-process devnet implement it), so the same code follows the
//! devnet, fractald or litecoind. Each step compares the indexed tip with the node's chain,
//! rolls back to the fork point when they differ (a reorg), then applies new blocks one
//! write transaction at a time — interrupting it at any moment loses nothing.

use bitmodel_rpc::source::{BlockSource, SourceError};

use crate::{Index, IndexError};

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("node error: {0}")]
    Node(#[source] SourceError),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("the node's chain forks below the lowest block the index can undo (height {0}); delete the index and re-index")]
    ForkTooDeep(u32),
}

/// What one sync step did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub rolled_back: u32,
    pub applied: u32,
    pub tip: Option<u32>,
}

/// Brings the index up to the node's tip, starting at `start` on an empty index. `progress`
/// is called after every block with (height, node tip).
pub fn sync(
    index: &Index,
    source: &impl BlockSource,
    start: u32,
    mut progress: impl FnMut(u32, u32),
) -> Result<SyncReport, SyncError> {
    let node_tip = source.tip_height().map_err(SyncError::Node)?;
    let mut report = SyncReport::default();
    // Walk back while our block at the tip height is not the node's.
    while let Some((height, hash)) = index.tip()? {
        let theirs = if height <= node_tip {
            Some(source.block_hash(height).map_err(SyncError::Node)?)
        } else {
            None
        };
        if theirs == Some(hash) {
            break;
        }
        let target = height.checked_sub(1);
        match target {
            Some(t) if index.block_hash(t)?.is_some() => index.rollback_to(Some(t))?,
            Some(t) if t + 1 == start => index.rollback_to(None)?,
            None => index.rollback_to(None)?,
            Some(t) => return Err(SyncError::ForkTooDeep(t)),
        }
        report.rolled_back += 1;
    }
    let mut next = index.tip()?.map_or(start, |(h, _)| h + 1);
    while next <= node_tip {
        let hash = source.block_hash(next).map_err(SyncError::Node)?;
        let block = source.block(&hash).map_err(SyncError::Node)?;
        match index.apply_block(next, &block) {
            Ok(()) => {}
            // The node reorganised while we were reading: the next step will roll back.
            Err(IndexError::Reorg { .. }) => break,
            Err(e) => return Err(e.into()),
        }
        report.applied += 1;
        progress(next, node_tip);
        next += 1;
    }
    report.tip = index.tip()?.map(|(h, _)| h);
    Ok(report)
}
