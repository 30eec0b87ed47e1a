//! What most node-facing subcommands need: a connected RPC client, the synced index and the
//! synced wallet of the chosen network.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use bitmodel_index::sync::sync;
use bitmodel_index::Index;
use bitmodel_protocol::AssetId;
use bitmodel_rpc::Client;
use bitmodel_wallet::Wallet;

use crate::settings::Resolved;

pub struct Context {
    pub settings: Resolved,
    pub client: Client,
}

impl Context {
    /// Connects to the node, failing with a clear message if it cannot be reached.
    pub fn connect(settings: Resolved) -> anyhow::Result<Context> {
        let client = Client::new(&settings.rpc_url, settings.auth.clone())
            .with_context(|| format!("cannot use the node at {}", settings.rpc_url))?
            .with_timeout(Duration::from_secs(30))
            .with_retries(3, Duration::from_millis(200));
        if let Err(e) = client.get_block_count() {
            bail!(
                "node unreachable at {} ({e}); start one with `bitmodel devnet` (or `bitmodel up`), or pass --rpc-url and credentials for your node",
                settings.rpc_url
            );
        }
        Ok(Context { settings, client })
    }

    pub fn chain(&self) -> bitmodel_protocol::Chain {
        self.settings.chain
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

    /// The index of this network, brought up to the node's tip.
    pub fn index(&self) -> anyhow::Result<Index> {
        std::fs::create_dir_all(&self.settings.dir)
            .with_context(|| format!("cannot create {}", self.settings.dir.display()))?;
        let index = open_index(&self.settings.dir.join("index.redb"), self.chain())?;
        let started = Instant::now();
        let mut last_print = Instant::now();
        let terminal = std::io::stderr().is_terminal();
        let mut first = None;
        sync(&index, &self.client, 0, |height, tip| {
            let from = *first.get_or_insert(height);
            let done = height - from + 1;
            if last_print.elapsed() < Duration::from_millis(250) && height != tip {
                return;
            }
            last_print = Instant::now();
            let rate = f64::from(done) / started.elapsed().as_secs_f64().max(1e-3);
            let eta = f64::from(tip - height) / rate.max(1e-3);
            let line = format!("indexing block {height}/{tip}  {rate:.0} blocks/s  ETA {eta:.0}s");
            if terminal {
                eprint!("\r{line}   ");
                if height == tip {
                    eprintln!();
                }
            } else if done % 1000 == 0 || height == tip {
                eprintln!("{line}");
            }
            let _ = std::io::stderr().flush();
        })
        .context("indexing the chain")?;
        Ok(index)
    }

    /// The wallet of this network, synced.
    pub fn wallet(&self) -> anyhow::Result<Wallet> {
        let mut w = Wallet::open(
            &self.settings.dir.join("wallet.redb"),
            self.chain().network(),
        )?;
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
