//! `bitmodel distribute ASSET`: push the money in an asset's vault (and, past 11 members, in
//! its splitters) one hop up C-Flow. Anyone may run it: the covenant fixes every output, the
//! caller only pays nothing and chooses the fee within the record's cap (the fee comes out of
//! the vault).

use anyhow::bail;
use bitmodel_covenant::spend::{build_distribute, build_distribute_at_rate};
use bitmodel_covenant::{distribution_threshold, CovenantError};
use serde::Serialize;

use crate::context::{asset_id, Context};
use crate::output::{sats, Output};
use crate::settings::Settings;
use crate::subcommand::vault::vaults_and_utxos;

#[derive(Debug, clap::Args)]
pub struct Distribute {
    asset: String,
    #[arg(long)]
    fee_rate: Option<u64>,
}

#[derive(Serialize)]
struct Spent {
    /// Set when the spend was of one of the asset's splitters.
    #[serde(skip_serializing_if = "Option::is_none")]
    splitter: Option<u16>,
    txid: String,
    amount: u64,
    fee: u64,
    outputs: Vec<u64>,
}

#[derive(Serialize)]
struct Out {
    asset: String,
    distributions: Vec<Spent>,
    waiting: Vec<u64>,
}

impl Distribute {
    pub fn run(self, s: &Settings) -> anyhow::Result<Output> {
        let id = asset_id(&self.asset)?;
        let ctx = Context::connect(s.resolve()?)?;
        let index = ctx.index()?;
        if ctx.chain().family() == bitmodel_protocol::Family::Mvc {
            ctx.require_vaults("distribute")?;
            let row = crate::context::known_asset(&index, &id)?;
            return crate::mvc::distribute(&ctx, &index, &row, self.fee_rate);
        }
        let held = vaults_and_utxos(&ctx, &index, &id, "distribute")?;
        let rate = ctx.fee_rate(self.fee_rate)?.to_sat_per_vb_ceil();
        let mut done = Vec::new();
        let mut waiting = Vec::new();
        for (splitter, vault, u) in held
            .iter()
            .flat_map(|h| h.utxos.iter().map(move |u| (h.splitter, &h.vault, u)))
        {
            let built = match build_distribute_at_rate(vault, *u, rate) {
                // The fee rate asks for more than the cap allows: pay the cap if it still
                // clears the relay floor.
                Err(CovenantError::FeeAboveCap { .. }) => {
                    build_distribute(vault, *u, vault.terms.fee_cap)
                }
                other => other,
            };
            match built {
                Ok(b) => {
                    let txid = ctx.broadcast(&b.tx)?;
                    let outputs: Vec<u64> = b.tx.output.iter().map(|o| o.value.to_sat()).collect();
                    done.push(Spent {
                        splitter,
                        txid: txid.to_string(),
                        amount: u.amount,
                        fee: u.amount - outputs.iter().sum::<u64>(),
                        outputs,
                    });
                }
                Err(CovenantError::BelowThreshold { .. }) => waiting.push(u.amount),
                Err(e) => return Err(e.into()),
            }
        }
        if done.is_empty() {
            let vault = &held[0].vault;
            let utxos = &held[0].utxos;
            let balance: u64 = utxos.iter().map(|u| u.amount).sum();
            let in_splitters: u64 = held[1..]
                .iter()
                .flat_map(|h| &h.utxos)
                .map(|u| u.amount)
                .sum();
            let splitters = if in_splitters > 0 {
                format!(
                    "; its splitters hold {} sats, each below what pays all its children above dust",
                    sats(in_splitters)
                )
            } else {
                String::new()
            };
            let needed = distribution_threshold(&vault.terms, vault.terms.fee_cap.min(rate * 600))?;
            let hint = if balance >= needed && utxos.len() > 1 {
                format!("; merge its UTXOs first with `bitmodel merge {id}`")
            } else {
                String::new()
            };
            bail!(
                "vault of {id} holds {} sats in {} UTXO(s), below its distribution threshold: one UTXO needs about {} sats so every share clears the dust limit{hint}{splitters}",
                sats(balance),
                utxos.len(),
                sats(needed)
            );
        }
        let mut human = String::new();
        for d in &done {
            let from = d
                .splitter
                .map_or(String::new(), |n| format!(" from splitter {n}"));
            human.push_str(&format!(
                "distributed {} sats{from} (fee {}) in {}\n",
                sats(d.amount),
                sats(d.fee),
                d.txid
            ));
        }
        if !waiting.is_empty() {
            human.push_str(&format!(
                "{} UTXO(s) below the threshold keep waiting\n",
                waiting.len()
            ));
        }
        Ok(Output::new(
            &Out {
                asset: id.to_string(),
                distributions: done,
                waiting,
            },
            human,
        ))
    }
}
