//! [`Devnet`]: a running node (storage, RPC server, optional interval miner) with a small
//! API for tests: mine, fund an address, submit a transaction.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bitcoin::{Amount, BlockHash, OutPoint, ScriptBuf, Transaction, Txid};

use crate::chain::ChainState;
use crate::error::{DevnetError, Reject};
use crate::faucet::Signer;
use crate::node::{submit_tx_shared, Node};
use crate::rpc::auth::Credentials;
use crate::rpc::{Server, State};

/// How to start a devnet.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the chain and the `.cookie` live; `None` uses a temporary directory that is
    /// deleted when the devnet is dropped.
    pub datadir: Option<PathBuf>,
    /// RPC listen address; port 0 picks a free port.
    pub rpc_bind: SocketAddr,
    /// `Some((user, password))` instead of cookie authentication.
    pub rpc_auth: Option<(String, String)>,
    /// Mine a block this often (Fractal averages 30 s); `None` mines only on demand.
    pub block_interval: Option<Duration>,
    /// Threads verifying a block's scripts.
    pub script_threads: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            datadir: None,
            rpc_bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            rpc_auth: None,
            block_interval: None,
            script_threads: 2,
        }
    }
}

/// A running devnet. Dropping it stops the server and the miner.
pub struct Devnet {
    state: Arc<State>,
    server: Option<Server>,
    miner: Option<JoinHandle<()>>,
    creds: Credentials,
    cookie: Option<PathBuf>,
    datadir: PathBuf,
    mempool_saved: bool,
    _tmp: Option<tempfile::TempDir>,
}

/// The file holding the chain inside a datadir.
pub const DB_FILE: &str = "devnet.redb";

impl Devnet {
    /// A fresh devnet in a temporary directory, RPC on 127.0.0.1 with a free port.
    pub fn spawn() -> Result<Devnet, DevnetError> {
        Devnet::spawn_with(Config::default())
    }

    pub fn spawn_with(config: Config) -> Result<Devnet, DevnetError> {
        let (datadir, tmp) = match &config.datadir {
            Some(d) => (d.clone(), None),
            None => {
                let t = tempfile::Builder::new()
                    .prefix("bitmodel-devnet-")
                    .tempdir()
                    .map_err(|source| DevnetError::Io {
                        path: std::env::temp_dir().display().to_string(),
                        source,
                    })?;
                (t.path().to_path_buf(), Some(t))
            }
        };
        std::fs::create_dir_all(&datadir).map_err(|source| DevnetError::Io {
            path: datadir.display().to_string(),
            source,
        })?;
        let db_path = datadir.join(DB_FILE);
        let mut chain = ChainState::open(&db_path)?;
        chain.script_threads = config.script_threads.max(1);
        let mut node = Node::new(chain);
        crate::mempool::persist::load(&mut node, &datadir)?;
        let state = Arc::new(State {
            node: Mutex::new(node),
            started: Instant::now(),
            stop: AtomicBool::new(false),
            datadir: datadir.clone(),
            db_path,
            mine_to: Signer::faucet().script_pubkey(),
        });
        let (creds, cookie) = match &config.rpc_auth {
            Some((user, password)) => (
                Credentials {
                    user: user.clone(),
                    password: password.clone(),
                },
                None,
            ),
            None => {
                let c = Credentials::new_cookie()?;
                let path = c.write_cookie(&datadir)?;
                (c, Some(path))
            }
        };
        let server = Server::start(state.clone(), config.rpc_bind, creds.clone())?;
        let miner = config.block_interval.map(|every| {
            let st = state.clone();
            std::thread::spawn(move || interval_miner(&st, every))
        });
        Ok(Devnet {
            state,
            server: Some(server),
            miner,
            creds,
            cookie,
            datadir,
            mempool_saved: false,
            _tmp: tmp,
        })
    }

    pub fn rpc_addr(&self) -> SocketAddr {
        self.server
            .as_ref()
            .expect("server runs until shutdown")
            .addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn rpc_url(&self) -> String {
        format!("http://{}", self.rpc_addr())
    }

    /// The RPC user and password (the cookie's, unless configured).
    pub fn rpc_credentials(&self) -> (&str, &str) {
        (&self.creds.user, &self.creds.password)
    }

    pub fn cookie_path(&self) -> Option<&Path> {
        self.cookie.as_deref()
    }

    pub fn datadir(&self) -> &Path {
        &self.datadir
    }

    /// Direct access to the node (hold the guard briefly: RPC waits for it).
    pub fn node(&self) -> MutexGuard<'_, Node> {
        self.state.lock()
    }

    /// A JSON-RPC client for this devnet's server, authenticated as its RPC user.
    pub fn client(&self) -> Result<bitmodel_rpc::Client, bitmodel_rpc::Error> {
        let (user, password) = self.rpc_credentials();
        bitmodel_rpc::Client::new(
            &self.rpc_url(),
            bitmodel_rpc::Auth::UserPass(user.into(), password.into()),
        )
    }

    /// The chain's blocks read in this process, for the index and wallets of a `bitmodel up`
    /// that runs this devnet: no JSON-RPC, no hex, no loopback.
    pub fn blocks(&self) -> crate::Blocks {
        crate::Blocks::new(self.state.clone())
    }

    /// Mines `n` blocks paying the faucet.
    pub fn mine(&self, n: usize) -> Result<Vec<BlockHash>, DevnetError> {
        self.mine_to(n, &self.state.mine_to)
    }

    /// Mines `n` blocks paying `script`.
    pub fn mine_to(&self, n: usize, script: &ScriptBuf) -> Result<Vec<BlockHash>, DevnetError> {
        let mut node = self.node();
        (0..n).map(|_| node.mine(script)).collect()
    }

    /// Pays `amount` to `script` from the faucet and confirms it in a block.
    pub fn fund(&self, script: &ScriptBuf, amount: Amount) -> Result<OutPoint, DevnetError> {
        let mut node = self.node();
        let op = node.fund(script, amount)?;
        let faucet = self.state.mine_to.clone();
        node.mine(&faucet)?;
        Ok(op)
    }

    /// Submits a transaction to the mempool with every check Core would apply.
    pub fn submit(&self, tx: Transaction) -> Result<Txid, Reject> {
        submit_tx_shared(&self.state.node, tx, None)
    }

    /// Has an RPC `stop` been received?
    pub fn stopping(&self) -> bool {
        self.state.stopping()
    }

    /// Blocks until the devnet is stopped over RPC.
    pub fn wait(mut self) {
        if let Some(server) = self.server.take() {
            server.wait();
        }
        self.shutdown();
    }

    /// Stops the server and miner, saves the mempool and removes the cookie.
    pub fn shutdown(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        if let Some(mut s) = self.server.take() {
            s.shutdown();
        }
        if let Some(m) = self.miner.take() {
            let _ = m.join();
        }
        if !self.mempool_saved {
            self.mempool_saved = true;
            // Best effort, as Core's mempool dump: a failure only loses unconfirmed state.
            let _ = crate::mempool::persist::save(&self.state.lock(), &self.datadir);
        }
        if let Some(c) = self.cookie.take() {
            let _ = std::fs::remove_file(c);
        }
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn interval_miner(state: &State, every: Duration) {
    let mut last = Instant::now();
    while !state.stopping() {
        std::thread::sleep(Duration::from_millis(50).min(every));
        if last.elapsed() >= every {
            last = Instant::now();
            let script = state.mine_to.clone();
            let _ = state.lock().mine(&script);
        }
    }
}
