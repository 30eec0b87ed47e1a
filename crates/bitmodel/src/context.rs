//! What most node-facing subcommands need: a connected RPC client, the synced index and the
//! synced wallet of the chosen network. The index and the wallet read blocks through one
//! [`Recent`] in front of the node, so a command that brings both to the tip downloads each
//! new block once.

use std::time::Duration;

use anyhow::{bail, Context as _};
use bitmodel_index::remote::{Reader, Remote};
use bitmodel_index::sync::sync;
use bitmodel_index::{Index, IndexError};
use bitmodel_protocol::{AssetId, Verified};
use bitmodel_rpc::source::Recent;
use bitmodel_rpc::Client;
use bitmodel_wallet::Wallet;

use crate::settings::Resolved;

pub struct Context {
    pub settings: Resolved,
    pub client: Client,
    /// The node's blocks, each downloaded once per command whoever reads it first (the
    /// index, then the wallet).
    pub blocks: Recent<Client>,
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
            blocks: Recent::new(settings.client()?),
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
        let txid = bitmodel_mvc::txid::TxidRule::of(self.chain()).txid(tx);
        self.client
            .send_raw_transaction(tx)
            .map_err(|e| anyhow::anyhow!("the node refused transaction {txid}: {e}"))
    }

    /// The index of this network, bound to the node's chain and brought up to its tip:
    /// the datadir's own, or — while `bitmodel up` holds it — the running node's, read
    /// through its server (docs/adr/0002-cli-beside-a-running-node.md).
    pub fn index(&self) -> anyhow::Result<Reader> {
        crate::settings::private_dir(&self.settings.dir)?;
        let path = self.settings.dir.join("index.redb");
        let index = match open_index(&path, self.chain()) {
            Ok(index) => index,
            Err(e) if matches!(e.downcast_ref(), Some(IndexError::InUse { .. })) => {
                return self.running_node_index(e)
            }
            Err(e) => return Err(e),
        };
        index.bind_identity(self.verified.identity())?;
        let start =
            index.start_height(self.settings.index_from, self.chain().activation_height())?;
        let progress = crate::progress::Progress::new("indexing");
        sync(&index, &self.blocks, start, |height, tip| {
            progress.block(height, tip)
        })
        .context("indexing the chain")?;
        progress.finish();
        Ok(Reader::Local(index))
    }

    /// The index of the `bitmodel up` that holds this datadir's, through its server, once it
    /// has indexed the node's tip (so a command sees what the last one did).
    fn running_node_index(&self, in_use: anyhow::Error) -> anyhow::Result<Reader> {
        let Some(node) = RunningNode::read(&self.settings.dir) else {
            return Err(in_use);
        };
        let remote = Remote::connect(&node.api, self.chain()).with_context(|| {
            format!(
                "the index is held by `bitmodel up` (pid {}), whose server at {} does not answer",
                node.pid, node.api
            )
        })?;
        let head = remote.head()?;
        if let Some(theirs) = &head.identity {
            if !theirs.same_chain(self.verified.identity()) {
                bail!(
                    "the running node at {} indexes {theirs}, but the node at {} is {}",
                    node.api,
                    self.settings.rpc_url,
                    self.verified.identity()
                );
            }
        }
        let tip = self.client.get_best_block_hash()?;
        remote.catch_up(&tip, Duration::from_secs(60))?;
        Ok(Reader::Remote(remote))
    }

    /// The wallet of this network, bound to the node's chain and synced (on MVC-family
    /// chains, [`crate::mvc::wallet`]).
    pub fn wallet(&self) -> anyhow::Result<Wallet> {
        if self.chain().family() == bitmodel_protocol::Family::Mvc {
            bail!("{} uses the MVC wallet (P2PKH, FORKID signatures); this command does not support it yet", self.chain());
        }
        let mut w = Wallet::open_with(
            &self.settings.dir.join("wallet.redb"),
            self.chain().network(),
            self.settings.wallet_passphrase.as_deref(),
        )?;
        w.bind_identity(self.verified.identity())?;
        w.sync(&self.blocks, &self.client)?;
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

/// What `bitmodel up` records in its datadir while it runs (`node.json`), so commands beside
/// it find the server that holds the index.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct RunningNode {
    pub pid: u32,
    /// The API's base URL, `http://host:port/`.
    pub api: String,
}

impl RunningNode {
    pub const FILE: &'static str = "node.json";

    pub fn read(dir: &std::path::Path) -> Option<RunningNode> {
        let text = std::fs::read_to_string(dir.join(Self::FILE)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Writes the record (atomically: a reader never sees half of it).
    pub fn write(&self, dir: &std::path::Path) -> std::io::Result<()> {
        let tmp = dir.join(format!("{}.tmp", Self::FILE));
        std::fs::write(&tmp, serde_json::to_vec_pretty(self).expect("serialises"))?;
        std::fs::rename(tmp, dir.join(Self::FILE))
    }

    pub fn remove(dir: &std::path::Path) {
        let _ = std::fs::remove_file(dir.join(Self::FILE));
    }
}

/// Parses an asset id, with the format in the error.
pub fn asset_id(s: &str) -> anyhow::Result<AssetId> {
    s.parse().map_err(|e| anyhow::anyhow!("{e}"))
}

/// The asset, or an error saying it is unknown (or invalid, and why).
pub fn known_asset(index: &Reader, id: &AssetId) -> anyhow::Result<bitmodel_index::rows::AssetRow> {
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
