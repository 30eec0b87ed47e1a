//! `bitmodel merge ASSET`: join up to 8 small UTXOs of an asset's vault (or, with
//! `--splitter N`, of one of its splitters) into one, so that together they clear the
//! distribution threshold. Keyless, like `distribute`.

use anyhow::bail;
use bitmodel_covenant::{build_merge, MAX_MERGE};
use bitmodel_protocol::MAX_SCRIPT_AMOUNT;
use serde::Serialize;

use crate::context::{asset_id, Context};
use crate::output::{sats, Output};
use crate::settings::Settings;
use crate::subcommand::vault::vaults_and_utxos;

#[derive(Debug, clap::Args)]
pub struct Merge {
    asset: String,
    #[arg(long)]
    fee_rate: Option<u64>,
    /// Merge the UTXOs of the asset's splitter N instead of its vault (records with more than
    /// 11 members; `bitmodel asset` lists the splitters that hold money).
    #[arg(long)]
    splitter: Option<u16>,
}

#[derive(Serialize)]
struct Out {
    txid: String,
    inputs: usize,
    amount: u64,
    fee: u64,
}

impl Merge {
    pub fn run(self, s: &Settings) -> anyhow::Result<Output> {
        let id = asset_id(&self.asset)?;
        let ctx = Context::connect(s.resolve()?)?;
        let index = ctx.index()?;
        let held = vaults_and_utxos(&ctx, &index, &id, "merge")?;
        let Some(h) = held.into_iter().find(|h| h.splitter == self.splitter) else {
            bail!(
                "splitter {} of {id} holds no UTXOs (or the record has no such splitter)",
                self.splitter.unwrap_or_default()
            );
        };
        let (vault, mut utxos) = (h.vault, h.utxos);
        // Smallest first: those are the ones that cannot be distributed on their own.
        utxos.sort_by_key(|u| u.amount);
        let mut pick = Vec::new();
        let mut sum = 0;
        for u in utxos {
            if pick.len() == MAX_MERGE || sum + u.amount > MAX_SCRIPT_AMOUNT {
                break;
            }
            sum += u.amount;
            pick.push(u);
        }
        if pick.len() < 2 {
            bail!(
                "vault of {id} has {} UTXO(s); a merge needs 2 to {MAX_MERGE}",
                pick.len()
            );
        }
        let rate = ctx.fee_rate(self.fee_rate)?.to_sat_per_vb_ceil();
        let probe = build_merge(&vault, &pick, 0)?;
        let fee = (rate * probe.tx.vsize() as u64 + 2 * rate).min(vault.terms.fee_cap);
        let built = build_merge(&vault, &pick, fee)?;
        let txid = ctx.broadcast(&built.tx)?;
        let human = format!(
            "merged {} UTXOs ({} sats, fee {}) in {txid}\n",
            pick.len(),
            sats(sum),
            sats(fee)
        );
        Ok(Output::new(
            &Out {
                txid: txid.to_string(),
                inputs: pick.len(),
                amount: sum,
                fee,
            },
            human,
        ))
    }
}
