//! Where the keeper finds vaults: the index itself, or a running node's index.

use bitmodel_covenant::{Utxo, Vault};
use bitmodel_index::remote::Reader;
use bitmodel_index::{Index, IndexError};
use bitmodel_protocol::AssetId;

/// Vaults with money and how to build their spends.
pub trait VaultSource {
    /// Every vault holding confirmed UTXOs, by the asset it is booked to.
    fn vaults_with_money(&self) -> Result<Vec<(AssetId, Vec<Utxo>)>, IndexError>;
    fn vault(&self, asset: &AssetId) -> Result<Option<Vault>, IndexError>;
}

fn utxos(
    by_asset: Vec<(
        AssetId,
        Vec<(bitcoin::OutPoint, bitmodel_index::rows::VaultUtxo)>,
    )>,
) -> Vec<(AssetId, Vec<Utxo>)> {
    by_asset
        .into_iter()
        .map(|(a, us)| {
            let us = us
                .into_iter()
                .map(|(outpoint, u)| Utxo {
                    outpoint,
                    amount: u.amount,
                })
                .collect();
            (a, us)
        })
        .collect()
}

impl VaultSource for Index {
    fn vaults_with_money(&self) -> Result<Vec<(AssetId, Vec<Utxo>)>, IndexError> {
        Ok(utxos(self.vault_utxos_by_asset()?))
    }

    fn vault(&self, asset: &AssetId) -> Result<Option<Vault>, IndexError> {
        Index::vault(self, asset)
    }
}

impl VaultSource for Reader {
    fn vaults_with_money(&self) -> Result<Vec<(AssetId, Vec<Utxo>)>, IndexError> {
        Ok(utxos(self.vault_utxos_by_asset()?))
    }

    fn vault(&self, asset: &AssetId) -> Result<Option<Vault>, IndexError> {
        Reader::vault(self, asset)
    }
}
