//! `bitmodel keeper`: pushes money up C-Flow against any node — merges and distributes every
//! vault whose balance clears its threshold, once per new block, with bounded work per
//! block, logging each push. It needs no wallet: covenant spends are keyless. `bitmodel up`
//! runs the same keeper in-process.

use std::time::Duration;

use bitmodel_keeper::{Keeper, Policy, PushKind, VaultSource};
use bitmodel_rpc::Client;
use serde::Serialize;

use crate::context::Context;
use crate::output::{sats, Output};
use crate::settings::Settings;

/// The keeper's policy, shared by `bitmodel keeper` and `bitmodel up`.
#[derive(Debug, Clone, clap::Args)]
pub struct KeeperArgs {
    /// Fee rate of the keeper's pushes, sat/vB (each vault's fee cap still applies).
    #[arg(long, default_value_t = 2, env = "BITMODEL_KEEPER_FEE_RATE")]
    keeper_fee_rate: u64,
    /// At most this many pushes per block.
    #[arg(long, default_value_t = 100, env = "BITMODEL_KEEPER_MAX_PUSHES")]
    keeper_max_pushes: usize,
    /// The most a push's fee may be of what it moves, in percent; a vault whose push would
    /// cost more waits for more money.
    #[arg(long, default_value_t = 1.0, env = "BITMODEL_KEEPER_MAX_FEE_SHARE", value_parser = fee_share)]
    keeper_max_fee_share: f64,
    /// On MVC-family chains: the fee rate of the keeper's pushes in sat per 1,000 bytes
    /// [default: the node's relay and mining floor].
    #[arg(long, env = "BITMODEL_KEEPER_FEE_PER_KB")]
    keeper_fee_per_kb: Option<u64>,
}

fn fee_share(s: &str) -> Result<f64, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0 && *v <= 100.0)
        .ok_or_else(|| format!("'{s}' is not a share: expected a percentage above 0 and at most 100, e.g. 1 or 0.5"))
}

impl KeeperArgs {
    /// The policy for the node behind `client` (on MVC, its fee rate unless given).
    pub fn policy(&self, chain: bitmodel_protocol::Chain, client: &Client) -> Policy {
        let fee_per_kb = match self.keeper_fee_per_kb {
            Some(r) => r.max(1),
            None if chain.family() == bitmodel_protocol::Family::Mvc => {
                bitmodel_wallet::mvc::fee_rate_per_kb(client)
            }
            None => bitmodel_mvc::DEFAULT_SAT_PER_KB,
        };
        Policy {
            fee_rate: self.keeper_fee_rate.max(1),
            max_pushes: self.keeper_max_pushes,
            max_fee_ppm: (self.keeper_max_fee_share * 10_000.0).round() as u32,
            fee_per_kb,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct KeeperCmd {
    #[command(flatten)]
    args: KeeperArgs,
    /// Run one round and exit (for cron, scripts and tests).
    #[arg(long)]
    once: bool,
    /// Seconds between looks at the node for a new block.
    #[arg(long, default_value_t = 5)]
    interval: u64,
}

#[derive(Serialize, Default)]
struct Out {
    rounds: u32,
    pushed: Vec<Pushed>,
    waiting: usize,
}

#[derive(Serialize)]
struct Pushed {
    asset: String,
    /// Set when the push spent one of the asset's splitters (more than 11 members).
    #[serde(skip_serializing_if = "Option::is_none")]
    splitter: Option<u16>,
    kind: PushKind,
    amount: u64,
    fee: u64,
    txid: String,
}

/// One round: pushes, logged line by line; the refusals too (another pusher may be first).
pub fn round(
    keeper: &mut Keeper,
    source: &impl VaultSource,
    client: &Client,
    log: &dyn Fn(&str),
) -> bitmodel_keeper::Round {
    let r = match keeper.round(source, |tx| client.send_raw_transaction(tx)) {
        Ok(r) => r,
        Err(e) => {
            log(&format!("keeper: {e}"));
            return bitmodel_keeper::Round::default();
        }
    };
    for (asset, p, txid) in &r.pushed {
        let verb = match p.kind {
            PushKind::Distribute => "distributed",
            PushKind::Merge => "merged",
        };
        log(&format!(
            "keeper: {verb} {} sats of {asset} (fee {}) in {txid}",
            sats(p.amount),
            sats(p.fee)
        ));
    }
    for (asset, _, why) in &r.refused {
        log(&format!(
            "keeper: the node refused a push of {asset}: {why}"
        ));
    }
    if r.deferred > 0 {
        log(&format!(
            "keeper: {} more push(es) wait for the next block (at most {} a block)",
            r.deferred, keeper.policy.max_pushes
        ));
    }
    r
}

impl KeeperCmd {
    pub fn run(self, s: &Settings) -> anyhow::Result<Output> {
        let ctx = Context::connect(s.resolve()?)?;
        ctx.require_vaults("to run the keeper")?;
        let mut keeper = Keeper::new(self.args.policy(ctx.chain(), &ctx.client));
        let mut out = Out::default();
        let mut last = None;
        let log = |l: &str| eprintln!("{l}");
        loop {
            let tip = ctx.client.get_best_block_hash()?;
            if last != Some(tip) {
                let index = ctx.index()?;
                let r = round(&mut keeper, &index, &ctx.client, &log);
                out.rounds += 1;
                out.waiting = r.waiting.len();
                out.pushed
                    .extend(r.pushed.into_iter().map(|(holder, p, txid)| Pushed {
                        asset: holder.asset.to_string(),
                        splitter: holder.splitter,
                        kind: p.kind,
                        amount: p.amount,
                        fee: p.fee,
                        txid: txid.to_string(),
                    }));
                last = Some(tip);
            }
            if self.once {
                break;
            }
            std::thread::sleep(Duration::from_secs(self.interval.max(1)));
        }
        let human = format!(
            "{} round(s): {} push(es); {} vault(s) wait\n",
            out.rounds,
            out.pushed.len(),
            out.waiting
        );
        Ok(Output::new(&out, human))
    }
}
