//! `bitmodel up`: the devnet, the indexer and the server in one process. On a fresh devnet
//! it first seeds the demo (real AI lineage, payments, distributions); it starts again from
//! its datadir without re-seeding. Against a real node (`--network fractal --rpc-url …`, or
//! `fractal-regtest` for an external `fractald -regtest`) it runs the indexer, the server
//! and the gateway only. The node is verified to be the claimed chain before anything
//! starts and again on every follower step. On the embedded devnet the indexer reads blocks
//! in process ([`bitmodel_devnet::Blocks`]), not as hex JSON over loopback. Ctrl-C stops
//! everything cleanly.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use bitmodel_devnet::{Config, Devnet};
use bitmodel_index::sync::sync;
use bitmodel_protocol::Chain;
use bitmodel_rpc::source::BlockSource;
use bitmodel_rpc::Client;
use bitmodel_server::AppState;
use serde::Serialize;

use crate::output::Output;
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub struct Up {
    /// Where the explorer and API listen (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080", env = "BITMODEL_HTTP")]
    http: SocketAddr,
    /// Where the devnet's JSON-RPC listens (devnet only; other commands look for 18443).
    #[arg(long, default_value = "127.0.0.1:18443")]
    rpc_bind: SocketAddr,
    /// Seconds between devnet blocks (Fractal averages 30).
    #[arg(long, default_value_t = 30.0)]
    block_interval: f64,
    /// Do not seed the demo on a fresh devnet.
    #[arg(long)]
    no_seed: bool,
    /// Confirmations a paid-inference payment needs [default: 0 on the devnet, 1 elsewhere].
    #[arg(long)]
    infer_confirmations: Option<u32>,
    /// Browser origins allowed to call the API: `off`, `*`, or a comma-separated list.
    #[arg(long, default_value = "off", env = "BITMODEL_CORS")]
    cors: bitmodel_server::Cors,
    #[command(flatten)]
    keeper: crate::subcommand::keeper::KeeperArgs,
    /// Do not run the keeper (vaults then wait for someone to push).
    #[arg(long)]
    no_keeper: bool,
}

#[derive(Serialize)]
struct Out {
    url: String,
    height: Option<u32>,
    assets: usize,
}

impl Up {
    pub fn run(self, s: &Settings) -> anyhow::Result<Output> {
        let r = s.resolve()?;
        crate::settings::private_dir(&r.dir)?;
        if !(self.block_interval.is_finite() && self.block_interval > 0.0) {
            anyhow::bail!(
                "--block-interval {} is not a positive number of seconds",
                self.block_interval
            );
        }
        let mut devnet = None;
        // `--network devnet` runs the embedded devnet, unless an RPC URL names an external
        // node: that node is then checked to be a Fractal regtest chain like any other.
        let embedded = r.chain == Chain::Devnet && !r.rpc_url_given;
        // Where the indexer reads blocks: the devnet this process runs, directly, or the node.
        let blocks: Box<dyn BlockSource + Send>;
        let (client, payments) = if embedded {
            let dn = Devnet::spawn_with(Config {
                datadir: Some(r.dir.clone()),
                rpc_bind: self.rpc_bind,
                block_interval: Some(Duration::from_secs_f64(self.block_interval)),
                ..Config::default()
            })
            .with_context(|| format!("cannot start the devnet in {} (is another `bitmodel up` or `bitmodel devnet` running?)", r.dir.display()))?;
            // A fresh chain cannot be told from a Bitcoin-rules regtest until block 1
            // exists (its coinbase is Fractal's tell), so mine it now rather than wait.
            if dn.node().chain.height() == 0 {
                dn.mine(1).context("mining the devnet's block 1")?;
            }
            let c = dn.client()?;
            let payments = dn.client()?;
            log(&format!(
                "devnet rpc on {} (cookie in {})",
                dn.rpc_url(),
                r.dir.display()
            ));
            blocks = Box::new(dn.blocks());
            devnet = Some(dn);
            (c, payments)
        } else {
            blocks = Box::new(r.client()?);
            (r.client()?, r.client()?)
        };
        // The node is checked before anything is indexed, quoted or built.
        let verified = client.verify(r.chain)?;
        log(&format!(
            "the node at {} is {} ({})",
            client.url().trim_end_matches('/'),
            verified.identity(),
            verified
                .why_no_vaults()
                .unwrap_or_else(|| if r.chain.rules_have_push_tx() {
                    "OP_PUSH_TX splitters: vaults on".into()
                } else {
                    "OP_CAT: vaults on".into()
                })
        ));
        let index = Arc::new(crate::context::open_index(
            &r.dir.join("index.redb"),
            r.chain,
        )?);
        index.bind_identity(verified.identity())?;
        let start = index.start_height(r.index_from, r.chain.activation_height())?;
        if start > 0 {
            log(&format!("indexing from height {start}"));
        }
        let progress = crate::progress::Progress::new("indexing");
        sync(&index, &blocks.as_ref(), start, |h, tip| {
            progress.block(h, tip)
        })?;
        progress.finish();
        if let Some(dn) = &devnet {
            let marker = r.dir.join("seeded.json");
            if marker.exists() {
                log("demo already seeded; starting from the datadir");
            } else if !self.no_seed {
                log("seeding the demo: real AI lineage, payments and distributions…");
                let seeded = crate::seed::seed(dn, &client, &index, &r.dir)?;
                std::fs::write(&marker, serde_json::to_vec_pretty(&seeded)?)?;
                log(&format!(
                    "seeded {} assets, {} payments, {} distributions",
                    seeded.assets, seeded.payments, seeded.distributions
                ));
            }
        }
        let confirmations = self
            .infer_confirmations
            .unwrap_or(if embedded { 0 } else { 1 });
        let gateway = bitmodel_server::Gateway::open(
            &r.dir.join("gateway.redb"),
            Box::new(payments.with_retries(1, Duration::from_millis(100))),
            confirmations,
        )?;
        log(&format!(
            "paid inference on: payments need {confirmations} confirmation(s)"
        ));
        let mut state = AppState::new(index.clone(), verified)
            .with_gateway(gateway)
            .with_cors(self.cors.clone());
        let mut keeper = (!self.no_keeper)
            .then(|| bitmodel_keeper::Keeper::new(self.keeper.policy(r.chain, &client)));
        if let Some(k) = &keeper {
            state = state.with_keeper(k.policy);
            let rate = if r.chain.family() == bitmodel_protocol::Family::Mvc {
                format!("{} sat/kB", k.policy.fee_per_kb)
            } else {
                format!("{} sat/vB", k.policy.fee_rate)
            };
            log(&format!(
                "keeper on: pushes vaults at {rate}, at most {} pushes a block",
                k.policy.max_pushes
            ));
        }
        // The follower: re-checks what the node is, keeps the index at its tip until
        // shutdown, and tells the server when the node cannot be reached. A node that turns
        // out to be another chain stops everything: nothing may be quoted for it.
        let stop = crate::shutdown::Shutdown::default();
        let fatal = Arc::new(std::sync::Mutex::new(None::<String>));
        let fatal_signal = Arc::new(tokio::sync::Notify::new());
        let follower = {
            let (index, stop, state) = (index.clone(), stop.clone(), state.clone());
            let (fatal, fatal_signal) = (fatal.clone(), fatal_signal.clone());
            std::thread::spawn(move || {
                let mut pushed_at = None;
                while !stop.is_triggered() {
                    match follow_once(&index, &client, &blocks.as_ref(), start, &state) {
                        Ok(()) => {
                            state.set_node_down(None);
                            // One keeper round per new block, only where vaults hold.
                            let tip = index.tip().ok().flatten();
                            if let Some(k) = keeper.as_mut() {
                                if tip != pushed_at && state.verified().has_vaults() {
                                    crate::subcommand::keeper::round(k, &*index, &client, &log);
                                    pushed_at = tip;
                                }
                            }
                        }
                        Err(Follow::NodeDown(e)) => {
                            log(&format!("indexer: {e}; retrying"));
                            state.set_node_down(Some(e));
                        }
                        Err(Follow::Fatal(e)) => {
                            log(&format!("stopping: {e}"));
                            *fatal.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                            fatal_signal.notify_one();
                            return;
                        }
                    }
                    if stop.wait(Duration::from_secs(1)) {
                        break;
                    }
                }
            })
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        let url = runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind(self.http)
                .await
                .with_context(|| format!("cannot listen on {}", self.http))?;
            let mut addr = listener.local_addr()?;
            if addr.ip().is_unspecified() {
                addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
            }
            let url = format!("http://{addr}/");
            // Commands run beside this process find its index through this record.
            crate::context::RunningNode {
                pid: std::process::id(),
                api: url.clone(),
            }
            .write(&r.dir)
            .with_context(|| format!("cannot write {}", r.dir.join("node.json").display()))?;
            log(&format!(
                "bitmodel up: API at {url}api/v1/status — Ctrl-C to stop"
            ));
            bitmodel_server::serve(listener, state, async move {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = fatal_signal.notified() => {}
                }
            })
            .await?;
            anyhow::Ok(url)
        });
        crate::context::RunningNode::remove(&r.dir);
        let url = url?;
        log("stopping…");
        stop.trigger();
        let _ = follower.join();
        if let Some(mut dn) = devnet {
            dn.shutdown();
        }
        if let Some(e) = fatal.lock().unwrap_or_else(|p| p.into_inner()).take() {
            anyhow::bail!(e);
        }
        let out = Out {
            url,
            height: index.tip()?.map(|(h, _)| h),
            assets: index.asset_count()? as usize,
        };
        let human = format!(
            "stopped cleanly at height {}\n",
            out.height.map_or("-".into(), |h| h.to_string())
        );
        Ok(Output::new(&out, human))
    }
}

/// Why one follower step failed.
enum Follow {
    /// The node did not answer: retry, meanwhile the server says so.
    NodeDown(String),
    /// The node is not (or no longer) the chain this datadir and the server are for.
    Fatal(String),
}

/// One follower step: verify the node is still the chain, then index to its tip.
fn follow_once(
    index: &bitmodel_index::Index,
    client: &Client,
    blocks: &impl BlockSource,
    start: u32,
    state: &AppState,
) -> Result<(), Follow> {
    use bitmodel_rpc::identity::IdentityError;
    let verified = client
        .verify_again(&state.verified())
        .map_err(|e| match e {
            IdentityError::Node { .. } => Follow::NodeDown(e.to_string()),
            IdentityError::Mismatch { .. } => Follow::Fatal(e.to_string()),
        })?;
    index
        .bind_identity(verified.identity())
        .map_err(|e| Follow::Fatal(e.to_string()))?;
    state.set_verified(verified);
    sync(index, blocks, start, |_, _| {}).map_err(|e| Follow::NodeDown(e.to_string()))?;
    Ok(())
}

/// Progress goes to stdout as plain lines (people and tests read the URL there).
fn log(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}
