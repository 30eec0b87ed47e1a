//! The devnet as a [`BlockSource`] in its own process. `bitmodel up` runs the devnet, the
//! indexer and the wallet of the demo seed in one process; reading blocks through the
//! JSON-RPC server would serialize each one to hex JSON and parse it back over loopback.
//! [`Blocks`] hands them over directly, under the same lock the RPC handlers take (held only
//! for one lookup at a time), so the chain it shows is the one RPC clients see.

use std::sync::Arc;

use bitcoin::{Block, BlockHash};
use bitmodel_rpc::source::{BlockSource, SourceError};

use crate::rpc::State;

/// A cheap, cloneable handle on a running devnet's chain (see [`crate::Devnet::blocks`]).
#[derive(Clone)]
pub struct Blocks {
    state: Arc<State>,
}

impl Blocks {
    pub(crate) fn new(state: Arc<State>) -> Blocks {
        Blocks { state }
    }
}

impl BlockSource for Blocks {
    fn tip_height(&self) -> Result<u32, SourceError> {
        Ok(self.state.lock().chain.height())
    }

    fn block_hash(&self, height: u32) -> Result<BlockHash, SourceError> {
        let node = self.state.lock();
        node.chain.hash_at(height).ok_or_else(|| {
            format!(
                "the devnet has no block at height {height} (its tip is {})",
                node.chain.height()
            )
            .into()
        })
    }

    fn block(&self, hash: &BlockHash) -> Result<Block, SourceError> {
        match self.state.lock().chain.block(hash)? {
            Some(block) => Ok(block),
            None => Err(format!("the devnet has no block {hash}").into()),
        }
    }
}
