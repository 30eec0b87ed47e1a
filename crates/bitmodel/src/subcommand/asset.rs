//! `bitmodel asset ASSET`: an asset's record, vault and where its money went.

use bitmodel_index::rows::AssetStats;
use bitmodel_protocol::Record;
use serde::Serialize;

use crate::context::{asset_id, known_asset, Context};
use crate::output::{sats, Output};
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub struct Asset {
    asset: String,
}

#[derive(Serialize)]
struct Out {
    asset: String,
    record: Record,
    height: u32,
    vault: Option<String>,
    stats: AssetStats,
    vault_balance: u64,
    vault_utxos: usize,
    distribution_threshold: Option<u64>,
    /// Sats waiting in the asset's splitters (records with more than 11 members), by
    /// splitter number.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    splitters_waiting: Vec<(u16, u64)>,
}

impl Asset {
    pub fn run(self, s: &Settings) -> anyhow::Result<Output> {
        let id = asset_id(&self.asset)?;
        let ctx = Context::connect(s.resolve()?)?;
        let index = ctx.index()?;
        let row = known_asset(&index, &id)?;
        let stats = index.stats(&id)?.unwrap_or_default();
        let vs = index.vault_status(&id)?.expect("the asset exists");
        let vault = row.vault.as_ref().map(|v| ctx.chain().script_label(v));
        let out = Out {
            asset: id.to_string(),
            record: row.record.clone(),
            height: row.position.height,
            vault,
            stats,
            vault_balance: vs.balance,
            vault_utxos: vs.utxos.len(),
            distribution_threshold: vs.threshold_at_cap,
            splitters_waiting: vs
                .splitters
                .iter()
                .map(|(_, u)| (u.splitter.unwrap_or_default(), u.amount))
                .collect(),
        };
        let mut h = format!(
            "{} ({}, {}) — asset {}\n",
            row.record.name, row.record.kind, row.record.license, id
        );
        for p in &row.record.parents {
            let name = index
                .asset(&p.asset)?
                .map(|r| r.record.name)
                .unwrap_or_default();
            h.push_str(&format!(
                "  parent {name} ({}) {} bps, {}\n",
                p.asset, p.weight, p.relation
            ));
        }
        if let Some(v) = &out.vault {
            h.push_str(&format!(
                "  vault {v}: {} sats in {} UTXO(s)\n",
                sats(vs.balance),
                vs.utxos.len()
            ));
        }
        if !vs.splitters.is_empty() {
            h.push_str(&format!(
                "  splitters: {} sats wait in {} UTXO(s) (`bitmodel distribute {id}` pushes them once they clear dust)\n",
                sats(vs.in_splitters()),
                vs.splitters.len()
            ));
        }
        h.push_str(&format!(
            "  paid in {} sats; from children {}; to parents {}; to owner {}; fees {}\n",
            sats(stats.payments_in),
            sats(stats.from_children),
            sats(stats.to_parents),
            sats(stats.paid_out),
            sats(stats.fees)
        ));
        Ok(Output::new(&out, h))
    }
}
