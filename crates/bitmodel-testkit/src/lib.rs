//! Test support shared by the crates' integration tests and benchmarks: assets inscribed on
//! the in-process devnet ([`assets`]), headless Chromium over WebDriver ([`webdriver`]), and
//! here a real `litecoind -regtest` (a
//! Bitcoin Core 0.21-based node with taproot) on 127.0.0.1 with free ports and a temporary
//! datadir, killed when dropped. Tests that need it fail, saying how to install it, when the
//! binary is missing: CI installs Debian's `litecoind`.
//!
//! Keep Litecoin regtest chains below height 431: MWEB activates at 432 and changes the block
//! format.

pub mod bsv;
pub mod fixture;

/// The shared test data (`../shared` beside the checkout, or `$BITMODEL_SHARED`), for every
/// test and benchmark that reads it. Panics with instructions when it is missing: a test
/// must never pass by finding nothing to test. (`bitmodel-script`'s vector tests keep their
/// own copy: this crate depends on the devnet, which depends on the interpreter.)
pub fn shared_dir() -> PathBuf {
    let dir = match std::env::var_os("BITMODEL_SHARED") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    };
    assert!(
        dir.is_dir(),
        "shared test data not found at {}; put the shared/ directory beside the checkout or set BITMODEL_SHARED to it",
        dir.display()
    );
    dir
}
pub mod assets;
pub mod rng;
pub mod webdriver;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bitcoin::ScriptBuf;
use bitmodel_rpc::{Auth, Client};

/// The height below which Litecoin regtest blocks keep Bitcoin's format.
pub const LITECOIN_MWEB_HEIGHT: u64 = 432;

pub struct Litecoind {
    child: Child,
    pub rpc_port: u16,
    dir: tempfile::TempDir,
}

/// A client of a test node's RPC (user and password `bitmodel`), without retries.
pub(crate) fn node_client(url: &str) -> Client {
    Client::new(url, Auth::UserPass("bitmodel".into(), "bitmodel".into()))
        .expect("a valid url")
        .with_retries(0, Duration::from_millis(10))
}

/// Waits up to 60 s for a node just started to answer RPC.
pub(crate) fn wait_for_rpc(c: &Client, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while let Err(e) = c.get_block_count() {
        assert!(
            Instant::now() < deadline,
            "{what} did not answer within 60 s: {e}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

impl Litecoind {
    /// Starts the node and waits (up to 60 s) until it answers RPC.
    pub fn start() -> Litecoind {
        let installed = std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("litecoind").is_file()));
        assert!(installed, "litecoind is not installed: these tests need Debian's litecoind (apt-get install litecoind; .ci/run installs it)");
        let dir = tempfile::tempdir().expect("a temporary datadir");
        let rpc_port = free_port();
        let child = Command::new("litecoind")
            .args([
                "-regtest",
                "-server=1",
                "-listen=0",
                "-disablewallet=1",
                "-txindex=1",
                "-printtoconsole=0",
                "-fallbackfee=0.0001",
            ])
            .args([
                "-rpcbind=127.0.0.1",
                "-rpcallowip=127.0.0.1",
                "-rpcuser=bitmodel",
                "-rpcpassword=bitmodel",
            ])
            .arg(format!("-datadir={}", dir.path().display()))
            .arg(format!("-rpcport={rpc_port}"))
            .arg(format!("-port={}", free_port()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("litecoind starts");
        let node = Litecoind {
            child,
            rpc_port,
            dir,
        };
        wait_for_rpc(&node.client(), "litecoind");
        node
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.rpc_port)
    }

    pub fn client(&self) -> Client {
        node_client(&self.url())
    }

    pub fn datadir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// Mines `n` blocks paying `script` (its Litecoin regtest `rltc` address), refusing to
    /// go past the MWEB activation height.
    pub fn mine_to(&self, n: u64, script: &ScriptBuf) -> Vec<String> {
        let c = self.client();
        let height = c.get_block_count().expect("block count");
        assert!(
            height + n < LITECOIN_MWEB_HEIGHT - 1,
            "litecoind regtest must stay below height 431 (MWEB)"
        );
        let address = rltc_address(script);
        let v = c
            .call_value("generatetoaddress", serde_json::json!([n, address]))
            .expect("generatetoaddress");
        serde_json::from_value(v).expect("a list of block hashes")
    }
}

impl Drop for Litecoind {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Litecoin regtest (`rltc`) address of a witness scriptPubKey.
pub fn rltc_address(script: &ScriptBuf) -> String {
    use bitcoin::bech32::{segwit, Fe32, Hrp};
    let version = script.witness_version().expect("a witness program");
    let program = &script.as_bytes()[2..];
    let hrp = Hrp::parse("rltc").expect("a valid hrp");
    segwit::encode(
        hrp,
        Fe32::try_from(version.to_num()).expect("version 0..16"),
        program,
    )
    .expect("a valid witness program")
}
