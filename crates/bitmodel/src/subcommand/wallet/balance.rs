//! `bitmodel wallet balance`: what the wallet holds after syncing with the node.

use serde::Serialize;

use crate::context::Context;
use crate::output::{sats, Output};
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub struct Balance {}

#[derive(Serialize)]
struct Out {
    confirmed: u64,
    pending: u64,
    immature: u64,
    height: u32,
}

impl Balance {
    pub fn run(self, s: &Settings) -> anyhow::Result<Output> {
        let ctx = Context::connect(s.resolve()?)?;
        let out = if ctx.chain().family() == bitmodel_protocol::Family::Mvc {
            let w = crate::mvc::wallet(&ctx)?;
            let b = w.balance();
            Out {
                confirmed: b.confirmed,
                pending: b.pending,
                immature: b.immature,
                height: w.tip().map_or(0, |t| t.0),
            }
        } else {
            let w = ctx.wallet()?;
            let b = w.balance();
            Out {
                confirmed: b.confirmed.to_sat(),
                pending: (b.trusted_pending + b.untrusted_pending).to_sat(),
                immature: b.immature.to_sat(),
                height: w.tip().0,
            }
        };
        let human = format!(
            "confirmed {} sats, pending {} sats (height {})\n",
            sats(out.confirmed),
            sats(out.pending),
            out.height
        );
        Ok(Output::new(&out, human))
    }
}
