//! Shared by `distribute` and `merge`: the vault of an asset, rebuilt from the index.

use anyhow::bail;
use bitmodel_covenant::{Utxo, Vault, VaultTerms};
use bitmodel_index::Index;
use bitmodel_protocol::AssetId;

use crate::context::{known_asset, Context};

/// The asset's vault and its confirmed UTXOs.
pub fn vault_and_utxos(
    ctx: &Context,
    index: &Index,
    id: &AssetId,
    action: &str,
) -> anyhow::Result<(Vault, Vec<Utxo>)> {
    if !ctx.chain().has_op_cat() {
        bail!("{action} is a covenant spend and {} has no OP_CAT; there, payments are split directly when they are made", ctx.chain());
    }
    let row = known_asset(index, id)?;
    let mut parent_vaults = Vec::new();
    for p in &row.record.parents {
        match index.asset(&p.asset)?.and_then(|r| r.vault) {
            Some(v) => parent_vaults.push(v),
            None => bail!("parent {} of {id} has no vault", p.asset),
        }
    }
    let vault = Vault::new(
        VaultTerms::from_record(&row.record, &parent_vaults),
        ctx.chain(),
    )?;
    let status = index.vault_status(id)?.expect("the asset exists");
    let utxos = status
        .utxos
        .iter()
        .map(|(outpoint, u)| Utxo {
            outpoint: *outpoint,
            amount: u.amount,
        })
        .collect();
    Ok((vault, utxos))
}
