//! What the keeper will do next with an asset's vault, and why money waits: one computation
//! for the asset page and the vault API. Without a keeper in this process the same plan is
//! what anyone pushing at the default policy would do.

use bitmodel_keeper::{plan, PushKind, VaultSource, Wait};
use bitmodel_protocol::AssetId;
use serde::Serialize;

use crate::{AppState, Problem};

#[derive(Clone, Debug, Serialize)]
pub struct NextPush {
    pub kind: PushKind,
    pub amount: u64,
    pub fee: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Next {
    /// Whether this server runs the keeper.
    pub runs: bool,
    pub fee_rate: u64,
    /// The unit of `fee_rate`: sat/vB, or sat/kB on MVC-family chains.
    pub unit: &'static str,
    /// What it pushes in the next round (the next block).
    pub pushes: Vec<NextPush>,
    pub wait: Option<Wait>,
}

impl Next {
    /// One sentence for people.
    pub fn describe(&self) -> String {
        let who = if self.runs {
            "The keeper"
        } else {
            "No keeper runs on this server (`bitmodel keeper` or anyone may push); at the default policy a pusher"
        };
        let parts: Vec<String> = self
            .pushes
            .iter()
            .map(|p| {
                let verb = match p.kind {
                    PushKind::Distribute => "distributes",
                    PushKind::Merge => "merges",
                };
                format!(
                    "{verb} {} sats (fee {})",
                    crate::explorer::sats(p.amount),
                    crate::explorer::sats(p.fee)
                )
            })
            .collect();
        let pushes = if parts.is_empty() {
            String::new()
        } else {
            format!(
                "{who} {} in the next block at {} {}",
                parts.join(", "),
                self.fee_rate,
                self.unit
            )
        };
        match (&self.wait, pushes.is_empty()) {
            (Some(w), true) => format!("{who} waits: {}.", w.reason),
            (Some(w), false) => format!("{pushes}; then it waits: {}.", w.reason),
            (None, false) => format!("{pushes}."),
            (None, true) => format!("{who} has nothing to push: the vault is empty."),
        }
    }
}

/// The plan for `id`'s vault; `None` without a vault.
pub fn next(s: &AppState, id: &AssetId) -> Result<Option<Next>, Problem> {
    let policy = s.keeper.unwrap_or_default();
    let (p, fee_rate, unit) = if s.chain.family() == bitmodel_protocol::Family::Mvc {
        let (Some(sp), Some(status)) = (s.index.mvc_splitter(id)?, s.index.vault_status(id)?)
        else {
            return Ok(None);
        };
        let p = bitmodel_keeper::mvc::plan(
            &sp,
            &status.covenant_utxos(),
            &policy,
            bitmodel_mvc::tx_version(s.chain),
        )
        .map_err(|e| Problem::internal(format!("planning the splitter of {id}: {e}")))?;
        (p, policy.fee_per_kb, "sat/kB")
    } else {
        let (Some(vault), Some(status)) = (s.index.vault(id)?, s.index.vault_status(id)?) else {
            return Ok(None);
        };
        let p = plan(&vault, &status.covenant_utxos(), &policy)
            .map_err(|e| Problem::internal(format!("planning the vault of {id}: {e}")))?;
        (p, policy.fee_rate, "sat/vB")
    };
    Ok(Some(Next {
        runs: s.keeper.is_some(),
        fee_rate,
        unit,
        pushes: p
            .pushes
            .iter()
            .map(|p| NextPush {
                kind: p.kind,
                amount: p.amount,
                fee: p.fee,
            })
            .collect(),
        wait: p.wait,
    }))
}
