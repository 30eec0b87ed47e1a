//! Choosing the active chain: accepting new blocks (Core's `AcceptBlock` +
//! `ActivateBestChain`), reorganizing to the branch with the most work, `invalidateblock`,
//! `reconsiderblock` and the chain tips report.
//!
//! A block that fails while being connected is marked invalid (its descendants
//! invalid-parent) and the best remaining branch is activated instead, so the active chain is
//! always fully valid.

use std::collections::HashSet;

use bitcoin::{Block, BlockHash, Wtxid};

use super::{ChainState, BLOCK_WORK};
use crate::consensus::block::{check_block, contextual_check_block, contextual_check_header};
use crate::error::{DevnetError, Reject, RejectClass};
use crate::store::{Failure, Status};

/// What changed on the active chain: blocks taken off (tip first) and put on (lowest first).
#[derive(Debug, Default)]
pub struct Reorg {
    pub disconnected: Vec<Block>,
    pub connected: Vec<Block>,
}

impl Reorg {
    fn extend(&mut self, other: Reorg) {
        self.disconnected.extend(other.disconnected);
        self.connected.extend(other.connected);
    }
}

/// `getchaintips` status names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TipStatus {
    Active,
    ValidFork,
    ValidHeaders,
    Invalid,
}

impl TipStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TipStatus::Active => "active",
            TipStatus::ValidFork => "valid-fork",
            TipStatus::ValidHeaders => "valid-headers",
            TipStatus::Invalid => "invalid",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ChainTip {
    pub height: u32,
    pub hash: BlockHash,
    pub branch_len: u32,
    pub status: TipStatus,
}

impl ChainState {
    /// Validates and stores `block`, then activates the chain with the most work. Returns
    /// `Ok(None)` if the block was already known and valid.
    pub fn accept_block(
        &mut self,
        block: &Block,
        now: u32,
        verified: &dyn Fn(&Wtxid) -> bool,
    ) -> Result<Option<Reorg>, DevnetError> {
        let hash = block.block_hash();
        if let Some(e) = self.index.get(&hash) {
            if e.failure.is_failed() {
                return Err(Reject::new(RejectClass::AlreadyKnown, "duplicate-invalid").into());
            }
            return Ok(None);
        }
        check_block(block)?;
        let prev_hash = block.header.prev_blockhash;
        let Some(prev) = self.index.get(&prev_hash) else {
            return Err(
                Reject::new(RejectClass::MissingInputs, "prev-blk-not-found")
                    .with_debug(format!("previous block {prev_hash} is unknown"))
                    .into(),
            );
        };
        if prev.failure.is_failed() {
            return Err(Reject::consensus("bad-prevblk")
                .with_debug("previous block invalid")
                .into());
        }
        let (height, work) = (prev.height + 1, prev.chain_work + BLOCK_WORK);
        let prev_mtp = self.mtp_of(&prev_hash);
        contextual_check_header(&block.header, prev_mtp, now)?;
        contextual_check_block(block, height, prev_mtp)?;
        self.store_block(block, height, work)?;
        let reorg = self.activate_best_chain(verified, Some((hash, block)))?;
        // A block that failed while being connected reports its own failure.
        if self.index[&hash].failure == Failure::Invalid {
            return Err(self
                .last_failure
                .take()
                .unwrap_or_else(|| {
                    Reject::consensus("invalid").with_debug("block failed to connect")
                })
                .into());
        }
        Ok(Some(reorg))
    }

    /// The valid stored block with the most work: the tip on ties with it, otherwise the
    /// lowest hash, so the choice never depends on map order.
    fn best_candidate(&self) -> BlockHash {
        let tip = self.tip();
        let tip_work = self.index[&tip].chain_work;
        let mut best: Option<(u128, BlockHash)> = None;
        for (hash, e) in &self.index {
            if e.failure.is_failed() || e.chain_work <= tip_work {
                continue;
            }
            let better = match best {
                None => true,
                Some((w, h)) => e.chain_work > w || (e.chain_work == w && *hash < h),
            };
            if better {
                best = Some((e.chain_work, *hash));
            }
        }
        best.map_or(tip, |(_, h)| h)
    }

    /// Reorganizes to the best valid chain, marking blocks that fail to connect invalid.
    pub(super) fn activate_best_chain(
        &mut self,
        verified: &dyn Fn(&Wtxid) -> bool,
        fresh: Option<(BlockHash, &Block)>,
    ) -> Result<Reorg, DevnetError> {
        let mut total = Reorg::default();
        loop {
            let target = self.best_candidate();
            if target == self.tip() {
                return Ok(total);
            }
            // Path from the fork point to the target, lowest first.
            let mut path = Vec::new();
            let mut cur = target;
            while !self.is_active(&cur) {
                path.push(cur);
                cur = self.index[&cur].header.prev_blockhash;
            }
            path.reverse();
            let fork_height = self.index[&cur].height;
            let mut step = Reorg::default();
            while self.height() > fork_height {
                step.disconnected.push(self.disconnect_tip()?);
            }
            for hash in path {
                let block = match fresh {
                    Some((h, b)) if h == hash => b.clone(),
                    _ => self.block(&hash)?.ok_or_else(|| {
                        DevnetError::Corrupt(format!("indexed block {hash} is not stored"))
                    })?,
                };
                match self.connect_block(&block, verified) {
                    Ok(()) => step.connected.push(block),
                    Err(DevnetError::Rejected(r)) => {
                        self.last_failure = Some(r);
                        self.mark_invalid(hash)?;
                        break;
                    }
                    Err(e) => return Err(e),
                }
            }
            total.extend(step);
        }
    }

    /// Marks `hash` invalid and every stored descendant invalid-parent.
    fn mark_invalid(&mut self, hash: BlockHash) -> Result<(), DevnetError> {
        let mut changes = vec![(hash, Failure::Invalid)];
        let mut bad: HashSet<BlockHash> = HashSet::from([hash]);
        let mut by_height: Vec<(u32, BlockHash)> = self
            .index
            .iter()
            .filter(|(_, e)| e.height > self.index[&hash].height)
            .map(|(h, e)| (e.height, *h))
            .collect();
        by_height.sort_unstable();
        for (_, h) in by_height {
            if bad.contains(&self.index[&h].header.prev_blockhash) {
                bad.insert(h);
                changes.push((h, Failure::InvalidParent));
            }
        }
        self.write_failures(&changes)
    }

    /// `invalidateblock`: marks `hash` invalid, disconnects it if active, and activates the
    /// best remaining chain.
    pub fn invalidate(
        &mut self,
        hash: BlockHash,
        verified: &dyn Fn(&Wtxid) -> bool,
    ) -> Result<Reorg, DevnetError> {
        let Some(e) = self.index.get(&hash) else {
            return Err(DevnetError::UnknownBlock(hash));
        };
        if e.height == 0 {
            return Err(DevnetError::GenesisInvalidation);
        }
        let mut reorg = Reorg::default();
        if self.is_active(&hash) {
            let h = e.height;
            while self.height() >= h {
                reorg.disconnected.push(self.disconnect_tip()?);
            }
        }
        self.mark_invalid(hash)?;
        reorg.extend(self.activate_best_chain(verified, None)?);
        Ok(reorg)
    }

    /// `reconsiderblock`: clears invalidity from `hash`, its ancestors and its descendants,
    /// then activates the best chain.
    pub fn reconsider(
        &mut self,
        hash: BlockHash,
        verified: &dyn Fn(&Wtxid) -> bool,
    ) -> Result<Reorg, DevnetError> {
        if !self.index.contains_key(&hash) {
            return Err(DevnetError::UnknownBlock(hash));
        }
        let mut related: HashSet<BlockHash> = HashSet::new();
        let mut cur = Some(hash);
        while let Some(h) = cur {
            related.insert(h);
            cur = self
                .index
                .get(&h)
                .filter(|e| e.height > 0)
                .map(|e| e.header.prev_blockhash);
        }
        let mut by_height: Vec<(u32, BlockHash)> =
            self.index.iter().map(|(h, e)| (e.height, *h)).collect();
        by_height.sort_unstable();
        let mut desc: HashSet<BlockHash> = HashSet::from([hash]);
        for (_, h) in &by_height {
            if desc.contains(&self.index[h].header.prev_blockhash) {
                desc.insert(*h);
            }
        }
        let changes: Vec<(BlockHash, Failure)> = related
            .union(&desc)
            .filter(|h| self.index[*h].failure.is_failed())
            .map(|h| (*h, Failure::None))
            .collect();
        self.write_failures(&changes)?;
        self.activate_best_chain(verified, None)
    }

    /// `getchaintips`: every stored block without stored children.
    pub fn tips(&self) -> Vec<ChainTip> {
        let parents: HashSet<BlockHash> = self
            .index
            .values()
            .map(|e| e.header.prev_blockhash)
            .collect();
        let mut tips: Vec<ChainTip> = self
            .index
            .iter()
            .filter(|(h, _)| !parents.contains(*h))
            .map(|(hash, e)| {
                // Walk down to the active chain to find the branch length.
                let mut cur = *hash;
                let mut invalid = false;
                while !self.is_active(&cur) {
                    invalid |= self.index[&cur].failure.is_failed();
                    cur = self.index[&cur].header.prev_blockhash;
                }
                let fork = self.index[&cur].height;
                let status = if self.is_active(hash) {
                    TipStatus::Active
                } else if invalid {
                    TipStatus::Invalid
                } else if e.status == Status::ValidScripts {
                    TipStatus::ValidFork
                } else {
                    TipStatus::ValidHeaders
                };
                ChainTip {
                    height: e.height,
                    hash: *hash,
                    branch_len: e.height - fork,
                    status,
                }
            })
            .collect();
        tips.sort_by(|a, b| b.height.cmp(&a.height).then(a.hash.cmp(&b.hash)));
        tips
    }
}
