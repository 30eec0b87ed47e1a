//! `bitmodel earnings SCRIPT_OR_ADDRESS`: what a payout script has been paid by distributions.

use bitcoin::ScriptBuf;
use serde::Serialize;

use crate::context::Context;
use crate::output::{sats, Output};
use crate::settings::Settings;
use crate::subcommand::wallet::parse_address;

#[derive(Debug, clap::Args)]
pub struct Earnings {
    /// An address of this network, or a scriptPubKey in hex.
    payee: String,
}

#[derive(Serialize)]
struct Out {
    script_pubkey: String,
    total: u64,
    distributions: u64,
}

impl Earnings {
    pub fn run(self, s: &Settings) -> anyhow::Result<Output> {
        let ctx = Context::connect(s.resolve()?)?;
        let spk = match ScriptBuf::from_hex(&self.payee) {
            Ok(spk)
                if !self.payee.is_empty()
                    && self.payee.len() % 2 == 0
                    && self.payee.bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                spk
            }
            _ => parse_address(&self.payee, ctx.chain().network())?.script_pubkey(),
        };
        let index = ctx.index()?;
        let e = index.earnings(&spk)?;
        let out = Out {
            script_pubkey: spk.to_hex_string(),
            total: e.total,
            distributions: e.distributions,
        };
        let human = format!(
            "{} earned {} sats from {} distribution(s)\n",
            self.payee,
            sats(e.total),
            e.distributions
        );
        Ok(Output::new(&out, human))
    }
}
