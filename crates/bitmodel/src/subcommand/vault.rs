//! Shared by `distribute` and `merge`: the vault of an asset and, past 11 members, its
//! splitters, rebuilt from the index with their confirmed UTXOs.

use anyhow::bail;
use bitmodel_covenant::{Utxo, Vault};
use bitmodel_index::remote::Reader;
use bitmodel_protocol::AssetId;

use crate::context::{known_asset, Context};

/// A covenant holding the asset's money: its vault (`splitter: None`) or splitter `n`.
pub struct Held {
    pub splitter: Option<u16>,
    pub vault: Vault,
    pub utxos: Vec<Utxo>,
}

/// The asset's vault (always first, maybe without UTXOs), then each splitter holding UTXOs.
pub fn vaults_and_utxos(
    ctx: &Context,
    index: &Reader,
    id: &AssetId,
    action: &str,
) -> anyhow::Result<Vec<Held>> {
    if ctx.chain().rules_have_push_tx() {
        bail!("{action}: on {} an asset's splitter spends one UTXO at a time and has no merge; `bitmodel distribute` pushes each", ctx.chain());
    }
    if !ctx.chain().rules_have_op_cat() {
        bail!("{action} is a covenant spend and {} has no OP_CAT; there, payments are split directly when they are made", ctx.chain());
    }
    ctx.require_vaults(action)?;
    known_asset(index, id)?;
    let Some(vault) = index.vault(id)? else {
        bail!("a parent of {id} has no vault");
    };
    let status = index.vault_status(id)?.expect("the asset exists");
    let mut out = vec![Held {
        splitter: None,
        vault,
        utxos: status.covenant_utxos(),
    }];
    let mut by: std::collections::BTreeMap<u16, Vec<Utxo>> = Default::default();
    for (outpoint, u) in &status.splitters {
        if let Some(n) = u.splitter {
            by.entry(n).or_default().push(Utxo {
                outpoint: *outpoint,
                amount: u.amount,
            });
        }
    }
    if by.is_empty() {
        return Ok(out);
    }
    // All splitters at once: each is derived from the ones below it.
    let splitters = index.splitters(id)?.unwrap_or_default();
    for (n, utxos) in by {
        let Some(vault) = splitters.get(usize::from(n)).cloned() else {
            bail!("the index books UTXOs to splitter {n} of {id}, which its record does not have");
        };
        out.push(Held {
            splitter: Some(n),
            vault,
            utxos,
        });
    }
    Ok(out)
}
