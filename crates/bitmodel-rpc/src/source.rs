//! Where blocks come from. The index and both wallets follow a chain through
//! [`BlockSource`] (three methods; the JSON-RPC [`Client`] implements it, and so does the
//! embedded devnet in its own process), so the same code follows the devnet, fractald,
//! litecoind or a Bitcoin SV node.
//!
//! A command that brings the index and then the wallet up to the tip reads the same new
//! blocks twice. [`Recent`] sits in front of a source and keeps the blocks it handed out
//! (within a byte budget), so the second reader gets them from memory: one download of each
//! block per command, whoever reads it first.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use bitcoin::{Block, BlockHash};

use crate::Client;

/// Why a source could not give a block: its own error, kept whole (with its sources).
pub type SourceError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A chain to follow: its tip, the block hash at a height of its best chain, and a block.
pub trait BlockSource {
    fn tip_height(&self) -> Result<u32, SourceError>;
    fn block_hash(&self, height: u32) -> Result<BlockHash, SourceError>;
    fn block(&self, hash: &BlockHash) -> Result<Block, SourceError>;
}

impl BlockSource for Client {
    fn tip_height(&self) -> Result<u32, SourceError> {
        let count = self.get_block_count()?;
        Ok(u32::try_from(count)?)
    }

    fn block_hash(&self, height: u32) -> Result<BlockHash, SourceError> {
        Ok(self.get_block_hash(u64::from(height))?)
    }

    fn block(&self, hash: &BlockHash) -> Result<Block, SourceError> {
        Ok(self.get_block(hash)?)
    }
}

impl<S: BlockSource + ?Sized> BlockSource for &S {
    fn tip_height(&self) -> Result<u32, SourceError> {
        (**self).tip_height()
    }

    fn block_hash(&self, height: u32) -> Result<BlockHash, SourceError> {
        (**self).block_hash(height)
    }

    fn block(&self, hash: &BlockHash) -> Result<Block, SourceError> {
        (**self).block(hash)
    }
}

/// How many bytes of blocks [`Recent`] keeps by default: a backlog of a few full blocks, and
/// a whole command's worth on a quiet chain.
pub const RECENT_BYTES: usize = 64 * 1024 * 1024;

/// A source that remembers the blocks it handed out, newest kept, until they add up to its
/// byte budget. Tips and heights always come from the source itself (they change); a block
/// is immutable under its hash, so a remembered one is exactly what the source would say.
pub struct Recent<S> {
    source: S,
    budget: usize,
    kept: Mutex<Kept>,
}

/// The remembered blocks by hash, and their hashes oldest first (what goes when over budget).
#[derive(Default)]
struct Kept {
    blocks: HashMap<BlockHash, (Block, usize)>,
    order: VecDeque<BlockHash>,
    bytes: usize,
    hits: u64,
}

impl<S: BlockSource> Recent<S> {
    pub fn new(source: S) -> Recent<S> {
        Recent::with_budget(source, RECENT_BYTES)
    }

    /// Keeps at most `budget` bytes of blocks, counted by their serialized size (decoded, a
    /// block takes a small multiple of that in memory).
    pub fn with_budget(source: S, budget: usize) -> Recent<S> {
        Recent {
            source,
            budget,
            kept: Mutex::new(Kept::default()),
        }
    }

    /// The source behind the memory.
    pub fn source(&self) -> &S {
        &self.source
    }

    /// How many blocks were answered from memory instead of the source.
    pub fn hits(&self) -> u64 {
        self.kept().hits
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, Kept> {
        // Nothing panics while the lock is held; a poisoned lock still holds whole blocks.
        self.kept.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl<S: BlockSource> BlockSource for Recent<S> {
    fn tip_height(&self) -> Result<u32, SourceError> {
        self.source.tip_height()
    }

    fn block_hash(&self, height: u32) -> Result<BlockHash, SourceError> {
        self.source.block_hash(height)
    }

    fn block(&self, hash: &BlockHash) -> Result<Block, SourceError> {
        {
            let mut kept = self.kept();
            if let Some((block, _)) = kept.blocks.get(hash) {
                let block = block.clone();
                kept.hits += 1;
                return Ok(block);
            }
        }
        let block = self.source.block(hash)?;
        let size = block.total_size();
        if size <= self.budget {
            let mut kept = self.kept();
            while kept.bytes + size > self.budget {
                let Some(old) = kept.order.pop_front() else {
                    break;
                };
                if let Some((_, old_size)) = kept.blocks.remove(&old) {
                    kept.bytes -= old_size;
                }
            }
            if kept.blocks.insert(*hash, (block.clone(), size)).is_none() {
                kept.order.push_back(*hash);
                kept.bytes += size;
            }
        }
        Ok(block)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// A chain of empty blocks that counts how often a block is read.
    struct Counting {
        blocks: Vec<Block>,
        reads: AtomicU32,
    }

    impl Counting {
        fn new(n: u32) -> Counting {
            let mut blocks = Vec::new();
            let mut prev = BlockHash::all_zeros();
            for i in 0..n {
                let mut b = bitcoin::constants::genesis_block(bitcoin::Network::Regtest);
                b.header.prev_blockhash = prev;
                b.header.nonce = i;
                prev = b.block_hash();
                blocks.push(b);
            }
            Counting {
                blocks,
                reads: AtomicU32::new(0),
            }
        }

        fn reads(&self) -> u32 {
            self.reads.load(Ordering::SeqCst)
        }
    }

    impl BlockSource for Counting {
        fn tip_height(&self) -> Result<u32, SourceError> {
            Ok(self.blocks.len() as u32 - 1)
        }
        fn block_hash(&self, height: u32) -> Result<BlockHash, SourceError> {
            Ok(self.blocks[height as usize].block_hash())
        }
        fn block(&self, hash: &BlockHash) -> Result<Block, SourceError> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            let b = self.blocks.iter().find(|b| b.block_hash() == *hash);
            b.cloned().ok_or_else(|| format!("no block {hash}").into())
        }
    }

    fn read_all(s: &impl BlockSource) -> Vec<Block> {
        let tip = s.tip_height().unwrap();
        (0..=tip)
            .map(|h| s.block(&s.block_hash(h).unwrap()).unwrap())
            .collect()
    }

    #[test]
    fn a_second_reader_gets_the_same_blocks_from_memory() {
        let recent = Recent::new(Counting::new(10));
        let first = read_all(&recent);
        let second = read_all(&recent);
        assert_eq!(first, second);
        assert_eq!(first, recent.source().blocks);
        assert_eq!(
            recent.source().reads(),
            10,
            "each block read from the source once"
        );
        assert_eq!(recent.hits(), 10);
    }

    #[test]
    fn the_budget_bounds_what_is_kept_newest_first() {
        let one = Counting::new(1).blocks[0].total_size();
        let recent = Recent::with_budget(Counting::new(10), 3 * one);
        read_all(&recent);
        assert_eq!(recent.kept().blocks.len(), 3);
        assert!(recent.kept().bytes <= 3 * one);
        read_all(&recent);
        // Reading oldest first evicts what the next read needs: only the source answers
        // beyond the budget, and the answers are still right.
        assert_eq!(recent.source().reads(), 20);
        let tiny = Recent::with_budget(Counting::new(2), one - 1);
        assert_eq!(read_all(&tiny), tiny.source().blocks);
        assert!(
            tiny.kept().blocks.is_empty(),
            "a block over the budget is not kept"
        );
    }

    #[test]
    fn errors_pass_through_and_are_not_remembered() {
        let recent = Recent::new(Counting::new(2));
        let missing = BlockHash::all_zeros();
        assert!(recent.block(&missing).is_err());
        assert!(recent.block(&missing).is_err());
        assert_eq!(recent.source().reads(), 2);
    }
}
