//! Dispatch: one enum variant per subcommand group, one file per subcommand.

mod asset;
mod cflow;
mod devnet;
mod distribute;
mod earnings;
mod flows;
mod infer;
pub mod keeper;
mod lineage;
mod merge;
mod pay;
mod register;
mod sync;
mod up;
mod vault;
pub mod wallet;

use crate::output::Output;
use crate::settings::Settings;

#[derive(Debug, clap::Subcommand)]
pub enum Subcommand {
    /// C-Flow math: split a distribution, explain where a payment goes.
    #[command(subcommand)]
    Cflow(cflow::Cflow),
    /// Import AI lineage (Hugging Face cards, Epoch AI, edge lists) into a graph file.
    #[command(subcommand)]
    Lineage(lineage::Lineage),
    /// Run the embedded Fractal-regtest devnet (OP_CAT) with a bitcoind-compatible JSON-RPC.
    Devnet(devnet::DevnetArgs),
    /// The wallet: create or restore, receive, balance, send, PSBTs.
    #[command(subcommand)]
    Wallet(wallet::WalletCmd),
    /// Register an AI asset: its record, lineage and optionally its file, by commit/reveal.
    Register(register::Register),
    /// Pay an asset (into its vault, from where C-Flow carries the money upstream).
    Pay(pay::Pay),
    /// Run a model asset through a Bitmodel server, paying its price into the vault.
    Infer(infer::Infer),
    /// Distribute an asset's vault one hop up its C-Flow edges (anyone may).
    Distribute(distribute::Distribute),
    /// Merge small UTXOs of an asset's vault (anyone may).
    Merge(merge::Merge),
    /// Push every vault that clears its threshold up C-Flow, once per block (no wallet needed).
    Keeper(keeper::KeeperCmd),
    /// Show an asset: record, lineage, vault, money in and out.
    Asset(asset::Asset),
    /// List the payments, distributions and merges that touched an asset.
    Flows(flows::Flows),
    /// What a payout address has earned from distributions.
    Earnings(earnings::Earnings),
    /// Bring the index up to the node's tip and show the books.
    Sync(sync::Sync),
    /// Run it all: the devnet (seeded with a demo on first start), the indexer and the API.
    Up(up::Up),
}

impl Subcommand {
    pub fn run(self, settings: &Settings) -> anyhow::Result<Output> {
        match self {
            Subcommand::Cflow(c) => c.run(),
            Subcommand::Lineage(l) => l.run(),
            Subcommand::Devnet(d) => d.run(settings),
            Subcommand::Wallet(w) => w.run(settings),
            Subcommand::Register(r) => r.run(settings),
            Subcommand::Pay(p) => p.run(settings),
            Subcommand::Infer(i) => i.run(settings),
            Subcommand::Distribute(d) => d.run(settings),
            Subcommand::Merge(m) => m.run(settings),
            Subcommand::Keeper(k) => k.run(settings),
            Subcommand::Asset(a) => a.run(settings),
            Subcommand::Flows(f) => f.run(settings),
            Subcommand::Earnings(e) => e.run(settings),
            Subcommand::Sync(c) => c.run(settings),
            Subcommand::Up(u) => u.run(settings),
        }
    }
}
