//! `bitmodel cflow split`: the split rule on the command line.

use std::fmt::Write;

use serde::Serialize;

use crate::args;
use crate::output::{sats, Output};

#[derive(Debug, clap::Args)]
pub struct Split {
    /// Sats being distributed (A).
    #[arg(long, value_parser = args::sats, allow_hyphen_values = true)]
    amount: u64,
    /// Sats spent on the distribution's fee (F), taken before the split.
    #[arg(long, default_value_t = 0, value_parser = args::sats, allow_hyphen_values = true)]
    fee: u64,
    /// Parents' weights in basis points, comma-separated (e.g. 3000,2000).
    #[arg(long, value_parser = args::weights, allow_hyphen_values = true, default_value = "")]
    weights: args::Weights,
}

#[derive(Serialize)]
struct Out {
    amount: u64,
    fee: u64,
    parents: Vec<ParentShare>,
    owner: u64,
}

#[derive(Serialize)]
struct ParentShare {
    weight: u16,
    amount: u64,
}

impl Split {
    pub fn run(self) -> anyhow::Result<Output> {
        let s = bitmodel_protocol::split(self.amount, self.fee, &self.weights.0)?;
        let out = Out {
            amount: s.amount,
            fee: s.fee,
            parents: self
                .weights
                .0
                .iter()
                .zip(&s.parents)
                .map(|(w, a)| ParentShare {
                    weight: *w,
                    amount: *a,
                })
                .collect(),
            owner: s.owner,
        };
        let mut h = format!(
            "distributing {} sats, fee {} sats\n",
            sats(out.amount),
            sats(out.fee)
        );
        for (i, p) in out.parents.iter().enumerate() {
            let _ = writeln!(
                h,
                "  parent {:<3} {:>5} bps  {:>20} sats",
                i + 1,
                p.weight,
                sats(p.amount)
            );
        }
        let _ = writeln!(h, "  owner                {:>20} sats", sats(out.owner));
        Ok(Output::new(&out, h))
    }
}
