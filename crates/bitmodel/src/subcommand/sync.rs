//! `bitmodel sync`: bring the index up to the node's tip (every other command does this
//! first; this one does only that, and reports the books).

use serde::Serialize;

use crate::context::Context;
use crate::output::{sats, Output};
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub struct Sync {}

#[derive(Serialize)]
struct Out {
    height: Option<u32>,
    assets: usize,
    payments_in: u64,
    paid_out: u64,
    fees: u64,
    waiting: u64,
}

impl Sync {
    pub fn run(self, s: &Settings) -> anyhow::Result<Output> {
        let ctx = Context::connect(s.resolve()?)?;
        let index = ctx.index()?;
        let t = index.totals()?;
        let out = Out {
            height: index.tip()?.map(|(h, _)| h),
            assets: index.asset_count()? as usize,
            payments_in: t.payments_in,
            paid_out: t.paid_out,
            fees: t.fees,
            waiting: t.waiting,
        };
        let human = format!(
            "indexed to height {}: {} assets; paid in {} sats = to owners {} + fees {} + waiting {}\n",
            out.height.map_or("-".to_string(), |h| h.to_string()),
            out.assets,
            sats(t.payments_in),
            sats(t.paid_out),
            sats(t.fees),
            sats(t.waiting)
        );
        Ok(Output::new(&out, human))
    }
}
