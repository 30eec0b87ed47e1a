//! Where the keeper finds vaults: the index itself, or a running node's index. A vault here
//! is an asset's vault or one of its splitters (records with more than 11 members): both are
//! covenants the keeper pushes the same way.

use bitmodel_covenant::{Utxo, Vault};
use bitmodel_index::remote::Reader;
use bitmodel_index::rows::AssetRow;
use bitmodel_index::rows::Holder;
use bitmodel_index::{Index, IndexError};
use bitmodel_mvc::splitter::Splitter;
use bitmodel_protocol::{AssetId, Chain};

/// An asset's covenants: its vault and its splitters in pre-order (splitter `n` is
/// `splitters[n]`).
pub struct Covenants {
    pub vault: Vault,
    pub splitters: Vec<Vault>,
}

impl Covenants {
    /// The covenant holding `h`'s money.
    pub fn of(&self, h: &Holder) -> Option<&Vault> {
        match h.splitter {
            None => Some(&self.vault),
            Some(n) => self.splitters.get(usize::from(n)),
        }
    }
}

/// Vaults with money and how to build their spends.
pub trait VaultSource {
    /// Every vault and splitter holding confirmed UTXOs, in asset order (an asset's vault
    /// before its splitters).
    fn vaults_with_money(&self) -> Result<Vec<(Holder, Vec<Utxo>)>, IndexError>;
    /// The asset's vault and splitters, built once (a splitter is derived from the ones
    /// below it, so one is not cheaper than all).
    fn covenants(&self, asset: &AssetId) -> Result<Option<Covenants>, IndexError>;
    /// The chain the vaults are on (its family says which kind of covenant they are).
    fn chain(&self) -> Chain;
    /// The asset's row, for building an MVC splitter from its record and its parents'.
    fn asset_row(&self, asset: &AssetId) -> Result<Option<AssetRow>, IndexError>;
    /// On MVC-family chains, the asset's OP_PUSH_TX splitter: its record with each parent's
    /// splitter script. `None` when it has none.
    fn mvc_splitter(&self, asset: &AssetId) -> Result<Option<Splitter>, IndexError> {
        let Some(row) = self.asset_row(asset)? else {
            return Ok(None);
        };
        if row.vault.is_none() {
            return Ok(None);
        }
        let mut parents = Vec::with_capacity(row.record.parents.len());
        for p in &row.record.parents {
            match self.asset_row(&p.asset)?.and_then(|r| r.vault) {
                Some(v) => parents.push(v),
                None => return Ok(None),
            }
        }
        Splitter::of_record(&row.record, &parents)
            .map(Some)
            .map_err(|e| IndexError::CorruptValue {
                what: format!("splitter of {asset}"),
                source: Box::new(e),
            })
    }
}

fn utxos(
    by_asset: Vec<(
        AssetId,
        Vec<(bitcoin::OutPoint, bitmodel_index::rows::VaultUtxo)>,
    )>,
) -> Vec<(Holder, Vec<Utxo>)> {
    let mut by: std::collections::BTreeMap<Holder, Vec<Utxo>> = Default::default();
    for (_, us) in by_asset {
        for (outpoint, u) in us {
            by.entry(u.holder()).or_default().push(Utxo {
                outpoint,
                amount: u.amount,
            });
        }
    }
    by.into_iter().collect()
}

fn both(
    vault: Option<Vault>,
    splitters: impl FnOnce() -> Result<Option<Vec<Vault>>, IndexError>,
) -> Result<Option<Covenants>, IndexError> {
    let Some(vault) = vault else {
        return Ok(None);
    };
    Ok(Some(Covenants {
        vault,
        splitters: splitters()?.unwrap_or_default(),
    }))
}

impl VaultSource for Index {
    fn vaults_with_money(&self) -> Result<Vec<(Holder, Vec<Utxo>)>, IndexError> {
        Ok(utxos(self.vault_utxos_by_asset()?))
    }

    fn covenants(&self, asset: &AssetId) -> Result<Option<Covenants>, IndexError> {
        both(Index::vault(self, asset)?, || Index::splitters(self, asset))
    }

    fn chain(&self) -> Chain {
        Index::chain(self)
    }

    fn asset_row(&self, asset: &AssetId) -> Result<Option<AssetRow>, IndexError> {
        Index::asset(self, asset)
    }
}

impl VaultSource for Reader {
    fn vaults_with_money(&self) -> Result<Vec<(Holder, Vec<Utxo>)>, IndexError> {
        Ok(utxos(self.vault_utxos_by_asset()?))
    }

    fn covenants(&self, asset: &AssetId) -> Result<Option<Covenants>, IndexError> {
        both(Reader::vault(self, asset)?, || {
            Reader::splitters(self, asset)
        })
    }

    fn chain(&self) -> Chain {
        Reader::chain(self)
    }

    fn asset_row(&self, asset: &AssetId) -> Result<Option<AssetRow>, IndexError> {
        Reader::asset(self, asset)
    }
}
