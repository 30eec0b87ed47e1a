mod balance;
mod broadcast;
mod create;
mod receive;
mod send;

pub use send::parse_address;

use crate::output::Output;
use crate::settings::Settings;

#[derive(Debug, clap::Subcommand)]
pub enum WalletCmd {
    /// Create a wallet (or restore one with --mnemonic).
    Create(create::Create),
    /// A new receive address.
    Receive(receive::Receive),
    /// Confirmed and pending balance.
    Balance(balance::Balance),
    /// Send sats to an address (or export an unsigned PSBT with --psbt).
    Send(send::Send),
    /// Finalise and broadcast a PSBT signed elsewhere.
    Broadcast(broadcast::Broadcast),
}

impl WalletCmd {
    pub fn run(self, s: &Settings) -> anyhow::Result<Output> {
        match self {
            WalletCmd::Create(c) => c.run(s),
            WalletCmd::Receive(c) => c.run(s),
            WalletCmd::Balance(c) => c.run(s),
            WalletCmd::Send(c) => c.run(s),
            WalletCmd::Broadcast(c) => c.run(s),
        }
    }
}
