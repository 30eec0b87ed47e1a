//! `bitmodel wallet send ADDRESS SATS`: pay an address, or export the unsigned PSBT.

use bitcoin::{Address, Amount};
use serde::Serialize;

use crate::args;
use crate::context::Context;
use crate::output::Output;
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub struct Send {
    address: String,
    #[arg(value_parser = args::sats)]
    amount: u64,
    /// Fee rate in sat/vB (on MVC, sat per 1,000 bytes) [default: the node's estimate, else 2;
    /// on MVC the node's relay fee].
    #[arg(long)]
    fee_rate: Option<u64>,
    /// Print the unsigned PSBT (base64) for an external signer instead of sending.
    #[arg(long)]
    psbt: bool,
}

#[derive(Serialize)]
struct Out {
    txid: Option<String>,
    psbt: Option<String>,
}

impl Send {
    pub fn run(self, s: &Settings) -> anyhow::Result<Output> {
        let ctx = Context::connect(s.resolve()?)?;
        let spk = parse_address(&self.address, ctx.chain().network())?.script_pubkey();
        if ctx.chain().family() == bitmodel_protocol::Family::Mvc {
            if self.psbt {
                anyhow::bail!(
                    "--psbt: PSBTs carry no FORKID signatures; on {} the wallet signs itself",
                    ctx.chain()
                );
            }
            let txid = crate::mvc::send(&ctx, spk, self.amount, self.fee_rate)?;
            return Ok(Output::new(
                &Out {
                    txid: Some(txid.to_string()),
                    psbt: None,
                },
                format!("sent {txid}\n"),
            ));
        }
        let rate = ctx.fee_rate(self.fee_rate)?;
        let mut w = ctx.wallet()?;
        let outputs = [(spk, Amount::from_sat(self.amount))];
        if self.psbt {
            let psbt = w.psbt(&outputs, rate)?.to_string();
            return Ok(Output::new(
                &Out {
                    txid: None,
                    psbt: Some(psbt.clone()),
                },
                format!("{psbt}\n"),
            ));
        }
        let tx = w.pay(&outputs, rate)?;
        let txid = ctx.broadcast(&tx)?;
        w.note_broadcast(tx)?;
        Ok(Output::new(
            &Out {
                txid: Some(txid.to_string()),
                psbt: None,
            },
            format!("sent {txid}\n"),
        ))
    }
}

/// An address for `network`, or an error naming the network it belongs to.
pub fn parse_address(s: &str, network: bitcoin::Network) -> anyhow::Result<Address> {
    let unchecked: Address<bitcoin::address::NetworkUnchecked> = s
        .parse()
        .map_err(|e| anyhow::anyhow!("'{s}' is not an address: {e}"))?;
    unchecked.require_network(network).map_err(|_| anyhow::anyhow!("address {s} is for another network; this is {network} (devnet and regtest addresses start with bcrt1)"))
}
