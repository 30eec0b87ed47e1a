//! `bitmodel flows ASSET`: every payment, distribution and merge that touched an asset.

use bitmodel_index::rows::Event;
use serde::Serialize;

use crate::context::{asset_id, known_asset, Context};
use crate::output::{sats, Output};
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub struct Flows {
    asset: String,
}

#[derive(Serialize)]
struct Out {
    asset: String,
    flows: Vec<Flow>,
}

#[derive(Serialize)]
struct Flow {
    txid: String,
    event: Event,
}

impl Flows {
    pub fn run(self, s: &Settings) -> anyhow::Result<Output> {
        let id = asset_id(&self.asset)?;
        let ctx = Context::connect(s.resolve()?)?;
        let index = ctx.index()?;
        known_asset(&index, &id)?;
        let flows: Vec<Flow> = index
            .events_for(&id)?
            .into_iter()
            .map(|(txid, event)| Flow {
                txid: txid.to_string(),
                event,
            })
            .collect();
        let mut h = String::new();
        for f in &flows {
            let line = match &f.event {
                Event::Registered { .. } => "registered".to_string(),
                Event::Invalid { reason, .. } => format!("invalid: {reason}"),
                Event::Payment { asset, amount, .. } if *asset == id => {
                    format!("payment in: {} sats", sats(*amount))
                }
                Event::Payment { amount, .. } => format!("payment: {} sats", sats(*amount)),
                Event::Distribution {
                    asset,
                    amount,
                    to_owner,
                    fee,
                    ..
                } if *asset == id => {
                    format!(
                        "distributed {} sats: {} to the owner, fee {}",
                        sats(*amount),
                        sats(*to_owner),
                        sats(*fee)
                    )
                }
                Event::Distribution { to_parents, .. } => {
                    let got: u64 = to_parents
                        .iter()
                        .filter(|(a, _)| *a == id)
                        .map(|(_, v)| v)
                        .sum();
                    format!("share from a child: {} sats", sats(got))
                }
                Event::Merge {
                    inputs,
                    amount,
                    fee,
                    ..
                } => format!(
                    "merged {inputs} UTXOs, {} sats, fee {}",
                    sats(*amount),
                    sats(*fee)
                ),
                Event::Direct {
                    asset,
                    amount,
                    conforming,
                    payouts,
                    ..
                } => {
                    let mine: u64 = payouts
                        .iter()
                        .filter(|(a, _, _)| *a == id)
                        .map(|(_, owed, _)| owed)
                        .sum();
                    let verdict = if *conforming {
                        "conforming"
                    } else {
                        "NOT conforming"
                    };
                    if *asset == id {
                        format!(
                            "direct payment of {} sats ({verdict}); owner's share {}",
                            sats(*amount),
                            sats(mine)
                        )
                    } else {
                        format!("share of a direct payment: {} sats ({verdict})", sats(mine))
                    }
                }
            };
            h.push_str(&format!("{}  {line}\n", f.txid));
        }
        if flows.is_empty() {
            h.push_str("no flows yet\n");
        }
        Ok(Output::new(
            &Out {
                asset: id.to_string(),
                flows,
            },
            h,
        ))
    }
}
