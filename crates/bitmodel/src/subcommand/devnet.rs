//! `bitmodel devnet`: runs the embedded Fractal-regtest chain with its bitcoind-compatible
//! JSON-RPC server in the foreground until it is stopped (RPC `stop`, or a signal: the
//! chain is crash-safe, so being killed loses nothing that was confirmed). Its files live in
//! `<datadir>/devnet`, the directory every other command (`up` included) uses for the devnet.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use bitmodel_devnet::{Config, Devnet};
use bitmodel_protocol::Chain;
use serde::Serialize;

use crate::output::Output;
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub struct DevnetArgs {
    /// RPC listen address (port 0 picks a free port).
    #[arg(
        long,
        default_value = "127.0.0.1:18443",
        env = "BITMODEL_DEVNET_RPC_BIND"
    )]
    rpc_bind: SocketAddr,
    /// Mine a block every SECS seconds (Fractal averages 30); blocks are always minable on
    /// demand with `generatetoaddress`.
    #[arg(long, value_name = "SECS", allow_hyphen_values = true)]
    block_interval: Option<f64>,
    /// RPC user name instead of cookie authentication (needs --rpc-password).
    #[arg(long, requires = "rpc_password")]
    rpc_user: Option<String>,
    /// RPC password for --rpc-user.
    #[arg(long, requires = "rpc_user", env = "BITMODEL_DEVNET_RPC_PASSWORD")]
    rpc_password: Option<String>,
}

#[derive(Serialize)]
struct Out {
    datadir: String,
    height: u32,
    best_block_hash: String,
}

impl DevnetArgs {
    /// Runs in `<datadir>/devnet` (the global `--datadir`, default `~/.bitmodel`), where the
    /// chain and the RPC `.cookie` live.
    pub fn run(self, settings: &Settings) -> anyhow::Result<Output> {
        let block_interval = match self.block_interval {
            Some(s) if !(s.is_finite() && s > 0.0) => anyhow::bail!(
                "--block-interval {s} is not a positive number of seconds (Fractal's is 30)"
            ),
            Some(s) => Some(Duration::from_secs_f64(s)),
            None => None,
        };
        let datadir = settings.network_dir(Chain::Devnet);
        crate::settings::private_dir(&datadir)?;
        let devnet = Devnet::spawn_with(Config {
            datadir: Some(datadir.clone()),
            rpc_bind: self.rpc_bind,
            rpc_auth: self.rpc_user.zip(self.rpc_password),
            block_interval,
            ..Config::default()
        })
        .with_context(|| format!("cannot start the devnet in {}", datadir.display()))?;
        let auth = match devnet.cookie_path() {
            Some(c) => format!("cookie {}", c.display()),
            None => "user/password".to_owned(),
        };
        println!(
            "devnet rpc on {} ({auth}), datadir {}, height {}",
            devnet.rpc_url(),
            datadir.display(),
            devnet.node().chain.height()
        );
        let _ = std::io::stdout().flush();
        let out_state = run_until_stopped(devnet);
        Ok(Output::new(
            &out_state,
            format!(
                "devnet stopped at height {} ({})\n",
                out_state.height, out_state.best_block_hash
            ),
        ))
    }
}

/// Serves until an RPC `stop`, then reports the final tip.
fn run_until_stopped(devnet: Devnet) -> Out {
    let datadir = devnet.datadir().display().to_string();
    while !devnet.stopping() {
        std::thread::sleep(Duration::from_millis(100));
    }
    let (height, best) = {
        let node = devnet.node();
        (node.chain.height(), node.chain.tip())
    };
    devnet.wait();
    Out {
        datadir,
        height,
        best_block_hash: best.to_string(),
    }
}
