//! What most node-facing subcommands need: a connected RPC client, the synced index and the
//! synced wallet of the chosen network.

use anyhow::{bail, Context as _};
use bitmodel_index::sync::sync;
use bitmodel_index::Index;
use bitmodel_protocol::{AssetId, Verified};
use bitmodel_rpc::Client;
use bitmodel_wallet::Wallet;

use crate::settings::Resolved;

pub struct Context {
    pub settings: Resolved,
    pub client: Client,
    /// What the node was shown to be: the only source of "vaults are safe here".
    pub verified: Verified,
}

impl Context {
    /// Connects to the node and checks it is the claimed network, failing with a clear
    /// message if it cannot be reached or is another chain — before anything is built.
    pub fn connect(settings: Resolved) -> anyhow::Result<Context> {
        let client = settings.client()?;
        if let Err(e) = client.get_block_count() {
            bail!(
                "node unreachable at {} ({e}); start one with `bitmodel devnet` (or `bitmodel up`), or pass --rpc-url and credentials for your node",
                settings.rpc_url
            );
        }
        let verified = client.verify(settings.chain)?;
        Ok(Context {
            settings,
            client,
            verified,
        })
    }

    pub fn chain(&self) -> bitmodel_protocol::Chain {
        self.settings.chain
    }

    /// Refuses `action` unless vaults hold on the node's verified chain.
    pub fn require_vaults(&self, action: &str) -> anyhow::Result<()> {
        match self.verified.why_no_vaults() {
            None => Ok(()),
            Some(why) => bail!("refusing {action}: {why}"),
        }
    }

    /// `--fee-rate` if given (sat/vB), else the node's estimate, else 2 sat/vB.
    pub fn fee_rate(&self, given: Option<u64>) -> anyhow::Result<bitcoin::FeeRate> {
        match given {
            Some(0) => bail!("--fee-rate 0 is below the 1 sat/vB relay floor"),
            Some(r) => bitcoin::FeeRate::from_sat_per_vb(r)
                .ok_or_else(|| anyhow::anyhow!("--fee-rate {r} is too large")),
            None => Ok(bitmodel_wallet::fee_rate(&self.client, 2)),
        }
    }

    /// Broadcasts, turning a node rejection into an error that quotes the node.
    pub fn broadcast(&self, tx: &bitcoin::Transaction) -> anyhow::Result<bitcoin::Txid> {
        self.client
            .send_raw_transaction(tx)
            .map_err(|e| anyhow::anyhow!("the node refused transaction {}: {e}", tx.compute_txid()))
    }

    /// The index of this network, bound to the node's chain and brought up to its tip.
    pub fn index(&self) -> anyhow::Result<Index> {
        std::fs::create_dir_all(&self.settings.dir)
            .with_context(|| format!("cannot create {}", self.settings.dir.display()))?;
        let index = open_index(&self.settings.dir.join("index.redb"), self.chain())?;
        index.bind_identity(self.verified.identity())?;
        let start =
            index.start_height(self.settings.index_from, self.chain().activation_height())?;
        let progress = crate::progress::Progress::new("indexing");
        sync(&index, &self.client, start, |height, tip| {
            progress.block(height, tip)
        })
        .context("indexing the chain")?;
        progress.finish();
        Ok(index)
    }

    /// The wallet of this network, bound to the node's chain and synced.
    pub fn wallet(&self) -> anyhow::Result<Wallet> {
        let mut w = Wallet::open(
            &self.settings.dir.join("wallet.redb"),
            self.chain().network(),
        )?;
        w.bind_identity(self.verified.identity())?;
        w.sync(&self.client)?;
        Ok(w)
    }
}

/// Opens the index at `path`; one written by another schema version is rebuilt from the
/// chain, saying so.
pub fn open_index(
    path: &std::path::Path,
    chain: bitmodel_protocol::Chain,
) -> anyhow::Result<Index> {
    let (index, rebuilt) = Index::open_or_rebuild(path, chain)?;
    if let Some(found) = rebuilt {
        eprintln!(
            "the index at {} had schema {found}; this version uses {}: rebuilding it from the chain",
            path.display(),
            bitmodel_index::schema::SCHEMA_VERSION
        );
    }
    Ok(index)
}

/// Parses an asset id, with the format in the error.
pub fn asset_id(s: &str) -> anyhow::Result<AssetId> {
    s.parse().map_err(|e| anyhow::anyhow!("{e}"))
}

/// The asset, or an error saying it is unknown (or invalid, and why).
pub fn known_asset(index: &Index, id: &AssetId) -> anyhow::Result<bitmodel_index::rows::AssetRow> {
    if let Some(row) = index.asset(id)? {
        return Ok(row);
    }
    if let Some(bad) = index.invalid(id)? {
        bail!("asset {id} was registered but is invalid: {}", bad.reason);
    }
    bail!(
        "unknown asset {id}: no valid Bitmodel record with this inscription id is confirmed on {}",
        index.chain()
    )
}
