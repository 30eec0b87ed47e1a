//! `bitmodel pay ASSET SATS`: pay an asset. On chains with OP_CAT the payment goes to the
//! asset's vault, whose covenant then splits it; a payment of 2^31 sats or more is split
//! over several vault outputs, because the covenant cannot spend a larger one.

use anyhow::bail;
use bitcoin::Amount;
use bitmodel_protocol::MAX_SCRIPT_AMOUNT;
use serde::Serialize;

use crate::args;
use crate::context::{asset_id, known_asset, Context};
use crate::output::{sats, Output};
use crate::settings::Settings;

use bitmodel_covenant::P2TR_DUST;

#[derive(Debug, clap::Args)]
pub struct Pay {
    asset: String,
    #[arg(value_parser = args::sats)]
    amount: u64,
    #[arg(long)]
    fee_rate: Option<u64>,
}

#[derive(Serialize)]
struct Out {
    txid: String,
    asset: String,
    vault: String,
    outputs: Vec<u64>,
}

/// `amount` in as few parts as possible, each at most 2^31 − 1, as equal as possible.
pub fn vault_parts(amount: u64) -> Vec<u64> {
    let n = amount.div_ceil(MAX_SCRIPT_AMOUNT).max(1);
    (0..n)
        .map(|i| amount / n + u64::from(i < amount % n))
        .collect()
}

impl Pay {
    pub fn run(self, s: &Settings) -> anyhow::Result<Output> {
        let id = asset_id(&self.asset)?;
        let r = s.resolve()?;
        if r.chain.family() == bitmodel_protocol::Family::Mvc {
            let ctx = Context::connect(r)?;
            ctx.require_vaults("to pay into a splitter")?;
            let index = ctx.index()?;
            let row = known_asset(&index, &id)?;
            let Some(vault) = row.vault.clone() else {
                bail!("asset {id} has no splitter on {} (its owner or a payee is not P2PKH, or a parent has none); it cannot be paid by script", ctx.chain());
            };
            return crate::mvc::pay(&ctx, &row, vault, self.amount, self.fee_rate);
        }
        if self.amount < P2TR_DUST {
            bail!("{} sats is below the dust limit of {P2TR_DUST} sats for a vault output; pay at least {P2TR_DUST}", self.amount);
        }
        let ctx = Context::connect(r)?;
        let index = ctx.index()?;
        let row = known_asset(&index, &id)?;
        let Some(vault) = row.vault.clone() else {
            return direct(&ctx, &index, &id, self.amount, self.fee_rate);
        };
        ctx.require_vaults("to pay into a vault")?;
        let parts = vault_parts(self.amount);
        let outputs: Vec<_> = parts
            .iter()
            .map(|p| (vault.clone(), Amount::from_sat(*p)))
            .collect();
        let rate = ctx.fee_rate(self.fee_rate)?;
        let mut w = ctx.wallet()?;
        let tx = w.pay(&outputs, rate)?;
        let txid = ctx.broadcast(&tx)?;
        w.note_broadcast(tx)?;
        let address = bitcoin::Address::from_script(&vault, ctx.chain().network())
            .map(|a| a.to_string())
            .unwrap_or_default();
        let human = format!(
            "paid {} sats to {} ({}) in {txid}\n",
            sats(self.amount),
            row.record.name,
            address
        );
        Ok(Output::new(
            &Out {
                txid: txid.to_string(),
                asset: id.to_string(),
                vault: address,
                outputs: parts,
            },
            human,
        ))
    }
}

/// Direct mode (no OP_CAT): one transaction pays every contributor its flattened share, with
/// a marker naming the asset and the amount so indexers can check it.
fn direct(
    ctx: &Context,
    index: &bitmodel_index::remote::Reader,
    id: &bitmodel_protocol::AssetId,
    amount: u64,
    fee_rate: Option<u64>,
) -> anyhow::Result<Output> {
    use bitmodel_protocol::direct::{direct_split, lineage_nodes, marker};
    let rows = index.ancestry(id)?;
    let pairs: Vec<_> = rows.iter().map(|r| (r.id, &r.record)).collect();
    let nodes = lineage_nodes(&pairs);
    let split = direct_split(&nodes, amount)?;
    if split.payouts[0] > 0 && split.payouts[0] < rows[0].record.owner.minimal_non_dust().to_sat() {
        bail!("{amount} sats leaves the owner of {id} a share below the dust limit; pay more");
    }
    // Every node: each asset's owner, then each payee (record format v3) — all paid here.
    let mut outputs: Vec<(bitcoin::ScriptBuf, Amount)> = nodes
        .iter()
        .zip(&split.payouts)
        .filter(|(_, p)| **p > 0)
        .map(|(n, p)| (n.owner.clone(), Amount::from_sat(*p)))
        .collect();
    outputs.push((marker(id, amount), Amount::ZERO));
    let rate = ctx.fee_rate(fee_rate)?;
    let mut w = ctx.wallet()?;
    let tx = w.pay(&outputs, rate)?;
    let txid = ctx.broadcast(&tx)?;
    w.note_broadcast(tx)?;
    let parts: Vec<u64> = split.payouts.iter().copied().filter(|p| *p > 0).collect();
    let human = format!(
        "paid {} sats to {} and {} contributors directly in {txid}\n",
        sats(amount),
        rows[0].record.name,
        parts.len() - 1
    );
    Ok(Output::new(
        &Out {
            txid: txid.to_string(),
            asset: id.to_string(),
            vault: String::new(),
            outputs: parts,
        },
        human,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_stay_below_2_pow_31_and_sum_exactly() {
        for amount in [
            330,
            MAX_SCRIPT_AMOUNT,
            MAX_SCRIPT_AMOUNT + 1,
            5 * MAX_SCRIPT_AMOUNT + 7,
            21_000_000 * 100_000_000,
        ] {
            let p = vault_parts(amount);
            assert_eq!(p.iter().sum::<u64>(), amount);
            assert!(p.iter().all(|x| *x <= MAX_SCRIPT_AMOUNT), "{amount}: {p:?}");
            assert_eq!(p.len() as u64, amount.div_ceil(MAX_SCRIPT_AMOUNT));
        }
    }
}
