//! Dispatch: one enum variant per subcommand group, one file per subcommand.

mod cflow;
mod devnet;
mod lineage;

use crate::output::Output;

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
}

impl Subcommand {
    pub fn run(self) -> anyhow::Result<Output> {
        match self {
            Subcommand::Cflow(c) => c.run(),
            Subcommand::Lineage(l) => l.run(),
            Subcommand::Devnet(d) => d.run(),
        }
    }
}
