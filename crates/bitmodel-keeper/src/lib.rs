//! The keeper: covenant spends are keyless, so nobody has to be trusted to push money up
//! C-Flow — but somebody has to push. The keeper merges and distributes every vault whose
//! balance clears its threshold, at a configured fee rate within each vault's fee cap, with
//! bounded work per round (one round per new block), and says for every other vault why it
//! waits. Splitters (records with more than 11 members) are vaults too: what a vault pays a
//! splitter, the keeper pushes on to the splitter's children in a later round. It needs no wallet. `bitmodel up` runs it; `bitmodel keeper` runs it against any
//! node; anyone else may push the same spends.
//!
//! [`plan`] decides for one vault and builds the transactions (no I/O); [`Keeper`] runs
//! rounds over every vault with money, remembering what it has broadcast until the index
//! sees it spent.

pub mod mvc;
mod plan;
mod source;

use std::collections::HashSet;

use bitcoin::{OutPoint, Transaction, Txid};
use bitmodel_index::rows::Holder;
use bitmodel_protocol::AssetId;

pub use bitmodel_covenant::Utxo;
pub use plan::{plan, Plan, Policy, Push, PushKind, Wait};
pub use source::{Covenants, VaultSource};

#[derive(Debug, thiserror::Error)]
pub enum KeeperError {
    #[error(transparent)]
    Index(#[from] bitmodel_index::IndexError),
    #[error("vault of {asset}: {source}")]
    Covenant {
        asset: Holder,
        #[source]
        source: bitmodel_covenant::CovenantError,
    },
    #[error("splitter of {asset}: {source}")]
    Splitter {
        asset: Holder,
        #[source]
        source: bitmodel_mvc::splitter::SplitterError,
    },
}

/// What one round did.
#[derive(Clone, Debug, Default)]
pub struct Round {
    /// Broadcast pushes: (vault or splitter, push, txid).
    pub pushed: Vec<(Holder, Push, Txid)>,
    /// Pushes the node refused (another pusher was first, say): (vault, push, reason).
    pub refused: Vec<(Holder, Push, String)>,
    /// Vaults and splitters with money that wait, and why.
    pub waiting: Vec<(Holder, Wait)>,
    /// Vaults not looked at because the round's push budget was spent.
    pub deferred: usize,
}

/// Runs rounds; keeps the outpoints it has spent until the index no longer lists them.
#[derive(Debug)]
pub struct Keeper {
    pub policy: Policy,
    pending: HashSet<OutPoint>,
}

impl Keeper {
    pub fn new(policy: Policy) -> Keeper {
        Keeper {
            policy,
            pending: HashSet::new(),
        }
    }

    /// Every vault's plan for this round, without broadcasting (for tests and benchmarks).
    pub fn plan_all(&self, source: &impl VaultSource) -> Result<Vec<(Holder, Plan)>, KeeperError> {
        let mut out = Vec::new();
        let mut built = None;
        for (asset, utxos) in source.vaults_with_money()? {
            if let Some(p) = self.plan_one(source, &mut built, asset, utxos)? {
                out.push((asset, p));
            }
        }
        Ok(out)
    }

    /// The plan for one vault's UTXOs that this keeper has not already spent. `built` keeps
    /// the last asset's covenants: holders come in asset order, so a wide asset's vault and
    /// splitters are built once a round, not once per splitter.
    fn plan_one(
        &self,
        source: &impl VaultSource,
        built: &mut Option<(AssetId, Option<Covenants>)>,
        asset: Holder,
        utxos: Vec<bitmodel_covenant::Utxo>,
    ) -> Result<Option<Plan>, KeeperError> {
        let utxos: Vec<_> = utxos
            .into_iter()
            .filter(|u| !self.pending.contains(&u.outpoint))
            .collect();
        if utxos.is_empty() {
            return Ok(None);
        }
        let chain = source.chain();
        if chain.family() == bitmodel_protocol::Family::Mvc {
            let Some(sp) = source.mvc_splitter(&asset.asset)? else {
                return Ok(None);
            };
            return mvc::plan(&sp, &utxos, &self.policy, bitmodel_mvc::tx_version(chain))
                .map(Some)
                .map_err(|source| KeeperError::Splitter { asset, source });
        }
        if built.as_ref().is_none_or(|(a, _)| *a != asset.asset) {
            *built = Some((asset.asset, source.covenants(&asset.asset)?));
        }
        let Some(vault) = built
            .as_ref()
            .and_then(|(_, c)| c.as_ref())
            .and_then(|c| c.of(&asset))
        else {
            return Ok(None);
        };
        plan(vault, &utxos, &self.policy)
            .map(Some)
            .map_err(|source| KeeperError::Covenant { asset, source })
    }

    /// One round: plans every vault with money and broadcasts up to the policy's number of
    /// pushes. A push `broadcast` refuses is reported in [`Round::refused`] in the node's
    /// words (a refusal is an outcome of the round, not its failure).
    pub fn round<E: std::fmt::Display>(
        &mut self,
        source: &impl VaultSource,
        mut broadcast: impl FnMut(&Transaction) -> Result<Txid, E>,
    ) -> Result<Round, KeeperError> {
        let vaults = source.vaults_with_money()?;
        let live: HashSet<OutPoint> = vaults
            .iter()
            .flat_map(|(_, us)| us.iter().map(|u| u.outpoint))
            .collect();
        // What the index no longer lists was spent on chain: forget it.
        self.pending.retain(|o| live.contains(o));
        let mut round = Round::default();
        let mut budget = self.policy.max_pushes;
        let mut built = None;
        let total = vaults.len();
        for (i, (asset, utxos)) in vaults.into_iter().enumerate() {
            if budget == 0 {
                round.deferred += total - i;
                break;
            }
            let Some(p) = self.plan_one(source, &mut built, asset, utxos)? else {
                continue;
            };
            if let Some(w) = p.wait {
                round.waiting.push((asset, w));
            }
            for push in p.pushes {
                if budget == 0 {
                    round.deferred += 1;
                    break;
                }
                budget -= 1;
                match broadcast(&push.tx) {
                    Ok(txid) => {
                        self.pending.extend(push.inputs.iter().copied());
                        round.pushed.push((asset, push, txid));
                    }
                    Err(reason) => round.refused.push((asset, push, reason.to_string())),
                }
            }
        }
        Ok(round)
    }
}
