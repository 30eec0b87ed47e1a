//! `bitmodel wallet broadcast PSBT`: finalise a PSBT signed by an external wallet (signing
//! any inputs still missing with this wallet's keys) and broadcast it.

use bitcoin::psbt::Psbt;
use serde::Serialize;

use crate::context::Context;
use crate::output::Output;
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub struct Broadcast {
    /// The PSBT, base64 (or a path to a file holding it).
    psbt: String,
}

#[derive(Serialize)]
struct Out {
    txid: String,
}

impl Broadcast {
    pub fn run(self, s: &Settings) -> anyhow::Result<Output> {
        let text = match std::fs::read_to_string(&self.psbt) {
            Ok(t) => t,
            Err(_) => self.psbt.clone(),
        };
        let mut psbt: Psbt = text
            .trim()
            .parse()
            .map_err(|e| anyhow::anyhow!("not a base64 PSBT: {e}"))?;
        let ctx = Context::connect(s.resolve()?)?;
        let mut w = ctx.wallet()?;
        let tx = w.sign(&mut psbt)?;
        let txid = ctx.broadcast(&tx)?;
        w.note_broadcast(tx)?;
        Ok(Output::new(
            &Out {
                txid: txid.to_string(),
            },
            format!("broadcast {txid}\n"),
        ))
    }
}
