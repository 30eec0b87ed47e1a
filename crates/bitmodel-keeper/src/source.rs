//! Where the keeper finds vaults: the index itself, or a running node's index. A vault here
//! is an asset's vault or one of its splitters (records with more than 11 members): both are
//! covenants the keeper pushes the same way.

use bitmodel_covenant::{Utxo, Vault};
use bitmodel_index::remote::Reader;
use bitmodel_index::rows::Holder;
use bitmodel_index::{Index, IndexError};

/// Vaults with money and how to build their spends.
pub trait VaultSource {
    /// Every vault and splitter holding confirmed UTXOs, in asset order (an asset's vault
    /// before its splitters).
    fn vaults_with_money(&self) -> Result<Vec<(Holder, Vec<Utxo>)>, IndexError>;
    fn vault(&self, holder: &Holder) -> Result<Option<Vault>, IndexError>;
}

fn utxos(
    by_asset: Vec<(
        bitmodel_protocol::AssetId,
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

impl VaultSource for Index {
    fn vaults_with_money(&self) -> Result<Vec<(Holder, Vec<Utxo>)>, IndexError> {
        Ok(utxos(self.vault_utxos_by_asset()?))
    }

    fn vault(&self, h: &Holder) -> Result<Option<Vault>, IndexError> {
        match h.splitter {
            None => Index::vault(self, &h.asset),
            Some(n) => Index::splitter(self, &h.asset, n),
        }
    }
}

impl VaultSource for Reader {
    fn vaults_with_money(&self) -> Result<Vec<(Holder, Vec<Utxo>)>, IndexError> {
        Ok(utxos(self.vault_utxos_by_asset()?))
    }

    fn vault(&self, h: &Holder) -> Result<Option<Vault>, IndexError> {
        match h.splitter {
            None => Reader::vault(self, &h.asset),
            Some(n) => Reader::splitter(self, &h.asset, n),
        }
    }
}
