//! The values stored in the index, encoded as CBOR.

use bitcoin::{ScriptBuf, Txid};
use bitmodel_protocol::validate::ChainPosition;
use bitmodel_protocol::{AssetId, Record};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::IndexError;

pub fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(v, &mut out).expect("index rows serialise to CBOR");
    out
}

pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, IndexError> {
    ciborium::from_reader(bytes).map_err(|e| IndexError::corrupt(std::any::type_name::<T>(), e))
}

/// A registered, valid asset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetRow {
    pub id: AssetId,
    pub record: Record,
    pub position: ChainPosition,
    pub content_type: Option<String>,
    /// The vault on chains with OP_CAT; `None` in direct mode.
    pub vault: Option<ScriptBuf>,
}

/// A record that did not pass validation, kept with its reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvalidRow {
    pub id: AssetId,
    pub position: ChainPosition,
    pub reason: String,
}

/// Whose money a covenant output holds: an asset's vault (`splitter: None`) or its splitter
/// `n` (records with more than 11 members).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Holder {
    pub asset: AssetId,
    pub splitter: Option<u16>,
}

impl VaultUtxo {
    pub fn holder(&self) -> Holder {
        Holder {
            asset: self.asset,
            splitter: self.splitter,
        }
    }
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.splitter {
            None => write!(f, "{}", self.asset),
            Some(n) => write!(f, "{} splitter {n}", self.asset),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultUtxo {
    pub asset: AssetId,
    pub amount: u64,
    pub height: u32,
    /// `Some(n)`: the UTXO is at the asset's splitter `n` (records with more than 11
    /// members), not at its vault; still the asset's money, waiting on its way up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub splitter: Option<u16>,
}

/// Where an asset's money came from and went, in sats.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetStats {
    /// Paid into its vault from outside C-Flow (users, agents, the inference gateway).
    pub payments_in: u64,
    pub payments: u64,
    /// Shares its children's distributions passed to it.
    pub from_children: u64,
    /// Shares it passed to its parents' vaults.
    pub to_parents: u64,
    /// Paid out of C-Flow by its distributions: to its owner's payout script and to its
    /// payees' (record format v3; their part is also in `to_payees`).
    pub paid_out: u64,
    /// The part of `paid_out` paid to its payees.
    #[serde(default)]
    pub to_payees: u64,
    /// Fees its distributions and merges paid (including, when the parents take all 10000
    /// basis points, the owner's rounding remainder).
    pub fees: u64,
    /// In its vault now (and, past 11 members, in its splitters).
    pub waiting: u64,
    /// The part of `waiting` in its splitters.
    #[serde(default)]
    pub in_splitters: u64,
    pub distributions: u64,
    pub merges: u64,
    /// Vault UTXOs of 2^31 sats or more, which the covenant can never spend.
    pub unspendable_utxos: u64,
    /// Direct-mode payments naming this asset that did not pay the split they owed.
    #[serde(default)]
    pub nonconforming_payments: u64,
}

/// Where an asset's on-chain file stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContentStatus {
    /// Parts are still missing.
    Partial,
    /// All parts are here and their concatenation has the record's size and sha256.
    Verified,
    /// All bytes are here but they do not hash to the record's sha256.
    HashMismatch,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentRow {
    pub size: u64,
    pub sha256: [u8; 32],
    pub content_type: Option<String>,
    /// Bytes received so far, over `parts` parts.
    pub received: u64,
    pub parts: u32,
    pub status: ContentStatus,
    /// The record's commitment to each part (record version 2): only matching parts count.
    #[serde(default)]
    pub commit: Option<bitmodel_protocol::record::Parts>,
}

/// What a payout script has earned from distributions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Earnings {
    pub total: u64,
    pub distributions: u64,
}

/// One thing a transaction did, as the index understood it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    Registered {
        asset: AssetId,
    },
    Invalid {
        asset: AssetId,
        reason: String,
    },
    Payment {
        asset: AssetId,
        vout: u32,
        amount: u64,
    },
    Distribution {
        asset: AssetId,
        amount: u64,
        fee: u64,
        to_parents: Vec<(AssetId, u64)>,
        to_owner: u64,
        /// Shares paid straight to the record's payees (payout scripts, record format v3), as
        /// (script hex, sats): the event is internally tagged, and a tagged enum's buffered
        /// content would not read a script's bytes back.
        #[serde(default)]
        to_payees: Vec<(String, u64)>,
        /// The asset's splitter that was spent (`None`: its vault).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        splitter: Option<u16>,
        /// The output index of each of `to_parents` (a wide record's vault pays splitters
        /// between them; empty in events written before splitters: parent i at vout i).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        parent_vouts: Vec<u32>,
        /// Passed to the asset's own splitters, as (splitter number, vout, sats): still the
        /// asset's money, waiting there.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        to_splitters: Vec<(u16, u32, u64)>,
    },
    Merge {
        asset: AssetId,
        inputs: u32,
        amount: u64,
        fee: u64,
    },
    /// A direct-mode payment (chains without OP_CAT): the split paid straight to owners.
    Direct {
        asset: AssetId,
        amount: u64,
        conforming: bool,
        /// `(asset, owed, paid)` for every contributor in the split.
        payouts: Vec<(AssetId, u64, u64)>,
        /// Sub-dust shares that stayed with a descendant: `(from, to, sats)` (a payee's is
        /// named by the asset whose record names it).
        redirected: Vec<(AssetId, AssetId, u64)>,
        /// `(payee script hex, owed, paid)` for every payee in the split (record format v3).
        #[serde(default)]
        payee_payouts: Vec<(String, u64, u64)>,
    },
}

impl Event {
    /// Every asset the event involves: payee, distributor, merger, parents paid, contributors
    /// of a direct payment.
    pub fn assets(&self) -> Vec<AssetId> {
        match self {
            Event::Registered { asset }
            | Event::Invalid { asset, .. }
            | Event::Payment { asset, .. }
            | Event::Merge { asset, .. } => vec![*asset],
            Event::Distribution {
                asset, to_parents, ..
            } => std::iter::once(*asset)
                .chain(to_parents.iter().map(|(p, _)| *p))
                .collect(),
            Event::Direct { asset, payouts, .. } => std::iter::once(*asset)
                .chain(payouts.iter().map(|(p, _, _)| *p))
                .collect(),
        }
    }
}

/// A fixed-width key for an asset (txid ‖ index u32 BE), so that one asset's rows form a
/// contiguous range (the record encoding's variable width would make one id a prefix of
/// another's).
pub fn asset_key(id: &AssetId) -> [u8; 36] {
    use bitcoin::hashes::Hash;
    let mut k = [0u8; 36];
    k[..32].copy_from_slice(&id.txid.to_byte_array());
    k[32..].copy_from_slice(&id.index.to_be_bytes());
    k
}

pub fn asset_from_key(k: &[u8]) -> Option<AssetId> {
    use bitcoin::hashes::Hash;
    let txid = Txid::from_slice(k.get(..32)?).ok()?;
    let index = u32::from_be_bytes(k.get(32..36)?.try_into().ok()?);
    Some(AssetId::new(txid, index))
}

/// The outpoint an [`outpoint_key`] names.
pub fn outpoint_from_key(k: &[u8]) -> Result<bitcoin::OutPoint, IndexError> {
    use bitcoin::hashes::Hash;
    let bad = || IndexError::Corrupt("vault outpoint key".into());
    let txid = Txid::from_slice(k.get(..32).ok_or_else(bad)?).map_err(|_| bad())?;
    let vout = u32::from_le_bytes(
        k.get(32..36)
            .ok_or_else(bad)?
            .try_into()
            .map_err(|_| bad())?,
    );
    Ok(bitcoin::OutPoint { txid, vout })
}

pub fn outpoint_key(txid: &Txid, vout: u32) -> Vec<u8> {
    use bitcoin::hashes::Hash;
    let mut k = txid.to_byte_array().to_vec();
    k.extend_from_slice(&vout.to_le_bytes());
    k
}

/// The asset and every ancestor, the asset first, each once, breadth-first, with `lookup`
/// reading one row: the one walk both the indexer (inside a write) and readers use. An
/// unknown asset has no ancestry (empty); a missing ancestor of a known one is corruption
/// (records are valid only when their parents exist).
pub fn ancestry(
    id: &AssetId,
    mut lookup: impl FnMut(&AssetId) -> Result<Option<AssetRow>, IndexError>,
) -> Result<Vec<AssetRow>, IndexError> {
    let mut seen = std::collections::HashSet::from([*id]);
    let mut queue = std::collections::VecDeque::from([*id]);
    let mut rows = Vec::new();
    while let Some(next) = queue.pop_front() {
        let row = match lookup(&next)? {
            Some(row) => row,
            None if next == *id => return Ok(Vec::new()),
            None => {
                return Err(IndexError::Corrupt(format!(
                    "ancestor {next} of {id} missing"
                )))
            }
        };
        for p in &row.record.parents {
            if seen.insert(p.asset) {
                queue.push_back(p.asset);
            }
        }
        rows.push(row);
    }
    Ok(rows)
}
