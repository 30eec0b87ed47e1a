//! Shared by `distribute` and `merge`: the vault of an asset, rebuilt from the index.

use anyhow::bail;
use bitmodel_covenant::{Utxo, Vault};
use bitmodel_index::remote::Reader;
use bitmodel_protocol::AssetId;

use crate::context::{known_asset, Context};

/// The asset's vault and its confirmed UTXOs.
pub fn vault_and_utxos(
    ctx: &Context,
    index: &Reader,
    id: &AssetId,
    action: &str,
) -> anyhow::Result<(Vault, Vec<Utxo>)> {
    if !ctx.chain().rules_have_op_cat() {
        bail!("{action} is a covenant spend and {} has no OP_CAT; there, payments are split directly when they are made", ctx.chain());
    }
    ctx.require_vaults(action)?;
    known_asset(index, id)?;
    let Some(vault) = index.vault(id)? else {
        bail!("a parent of {id} has no vault");
    };
    let status = index.vault_status(id)?.expect("the asset exists");
    Ok((vault, status.covenant_utxos()))
}
