//! Where settings come from, in order: flags, then `BITMODEL_*` environment variables (clap
//! reads both), then the config file `<datadir>/bitmodel.json` (unknown fields are an error),
//! then defaults. Per-network constants live in `bitmodel_protocol::Chain`.

use std::path::PathBuf;

use anyhow::{bail, Context};
use bitmodel_protocol::Chain;
use bitmodel_rpc::Auth;
use serde::Deserialize;

#[derive(Debug, Clone, clap::Args)]
pub struct Settings {
    /// Network: devnet, fractal, fractal-testnet, fractal-regtest, inquisition-signet, regtest,
    /// bitcoin, testnet, signet. A claim: the node is checked to be this chain.
    #[arg(long, global = true, env = "BITMODEL_NETWORK", value_parser = parse_chain)]
    network: Option<Chain>,
    /// Where Bitmodel keeps its files [default: ~/.bitmodel].
    #[arg(long, global = true, env = "BITMODEL_DATADIR")]
    datadir: Option<PathBuf>,
    /// The node's JSON-RPC URL [default: http://127.0.0.1:18443 for devnet and regtest].
    #[arg(long, global = true, env = "BITMODEL_RPC_URL")]
    rpc_url: Option<String>,
    /// The node's `.cookie` file [default on devnet: <datadir>/devnet/.cookie].
    #[arg(long, global = true, env = "BITMODEL_RPC_COOKIE")]
    rpc_cookie: Option<PathBuf>,
    #[arg(long, global = true, env = "BITMODEL_RPC_USER")]
    rpc_user: Option<String>,
    #[arg(
        long,
        global = true,
        env = "BITMODEL_RPC_PASSWORD",
        hide_env_values = true
    )]
    rpc_password: Option<String>,
    /// PEM file of the certificate authority of an https node (default: Mozilla's roots).
    #[arg(long, global = true, env = "BITMODEL_RPC_CA")]
    rpc_ca: Option<PathBuf>,
    /// File holding the wallet's passphrase (or set BITMODEL_WALLET_PASSPHRASE): it seals the
    /// mnemonic of a wallet created with `--encrypt`, and opens it afterwards.
    #[arg(long, global = true, env = "BITMODEL_WALLET_PASSPHRASE_FILE")]
    wallet_passphrase_file: Option<PathBuf>,
    /// Start a new index at this height instead of the network's activation height
    /// (records below it are ignored: choose a height below every asset you care about).
    #[arg(long, global = true, env = "BITMODEL_INDEX_FROM")]
    index_from: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    network: Option<String>,
    rpc_url: Option<String>,
    rpc_cookie: Option<PathBuf>,
    rpc_user: Option<String>,
    rpc_password: Option<String>,
    rpc_ca: Option<PathBuf>,
    index_from: Option<u32>,
}

/// Settings with every layer applied.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub chain: Chain,
    /// `<datadir>/<network>`: the index and wallet of this network.
    pub dir: PathBuf,
    pub rpc_url: String,
    /// Whether the RPC URL was given (flag, environment or config) rather than defaulted.
    pub rpc_url_given: bool,
    pub auth: Auth,
    pub rpc_ca: Option<PathBuf>,
    /// `--index-from`, if given; else a new index starts at the activation height.
    pub index_from: Option<u32>,
    /// The wallet passphrase, from `--wallet-passphrase-file` or BITMODEL_WALLET_PASSPHRASE.
    pub wallet_passphrase: Option<String>,
}

/// Creates `dir` (and its parents) readable by its owner only (0700), and tightens it if it
/// exists: wallets, cookies and indexes live there.
pub fn private_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot make {} private", dir.display()))?;
    }
    Ok(())
}

impl Resolved {
    /// A client for the node, with the timeouts and retries the CLI uses.
    pub fn client(&self) -> anyhow::Result<bitmodel_rpc::Client> {
        let mut c = bitmodel_rpc::Client::new(&self.rpc_url, self.auth.clone())
            .with_context(|| format!("cannot use the node at {}", self.rpc_url))?
            .with_timeout(std::time::Duration::from_secs(30))
            .with_retries(3, std::time::Duration::from_millis(200));
        if let Some(ca) = &self.rpc_ca {
            c = c.with_ca_file(ca)?;
        }
        Ok(c)
    }
}

fn parse_chain(s: &str) -> Result<Chain, String> {
    s.parse()
}

impl Settings {
    /// `--datadir` (or BITMODEL_DATADIR), else `~/.bitmodel`: the root that holds the config
    /// file and one directory per network.
    pub fn root(&self) -> PathBuf {
        match &self.datadir {
            Some(d) => d.clone(),
            None => std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("."))
                .join(".bitmodel"),
        }
    }

    /// `<datadir>/<network>`: where every command keeps its files for `chain`.
    pub fn network_dir(&self, chain: Chain) -> PathBuf {
        self.root().join(chain.name())
    }

    pub fn resolve(&self) -> anyhow::Result<Resolved> {
        let root = self.root();
        let config_path = root.join("bitmodel.json");
        let file: ConfigFile = match std::fs::read_to_string(&config_path) {
            Ok(text) => serde_json::from_str(&text).with_context(|| {
                format!("{} is not a valid config file (fields: network, rpc_url, rpc_cookie, rpc_user, rpc_password, rpc_ca, index_from)", config_path.display())
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => ConfigFile::default(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", config_path.display())),
        };
        let chain = match (self.network, &file.network) {
            (Some(c), _) => c,
            (None, Some(s)) => s
                .parse()
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("in {}", config_path.display()))?,
            (None, None) => Chain::Devnet,
        };
        let dir = self.network_dir(chain);
        let given = self.rpc_url.clone().or(file.rpc_url);
        let rpc_url_given = given.is_some();
        let rpc_url =
            given.unwrap_or_else(|| format!("http://127.0.0.1:{}", chain.default_rpc_port()));
        let user = self.rpc_user.clone().or(file.rpc_user);
        let password = self.rpc_password.clone().or(file.rpc_password);
        let auth = match (user, password, self.rpc_cookie.clone().or(file.rpc_cookie)) {
            (Some(u), Some(p), _) => Auth::UserPass(u, p),
            (Some(_), None, _) | (None, Some(_), _) => {
                bail!("--rpc-user and --rpc-password go together; pass both, or a --rpc-cookie")
            }
            (None, None, Some(c)) => Auth::Cookie(c),
            (None, None, None) if chain == Chain::Devnet => Auth::Cookie(dir.join(".cookie")),
            (None, None, None) => Auth::None,
        };
        Ok(Resolved {
            chain,
            dir,
            rpc_url,
            rpc_url_given,
            auth,
            rpc_ca: self.rpc_ca.clone().or(file.rpc_ca),
            index_from: self.index_from.or(file.index_from),
            wallet_passphrase: match &self.wallet_passphrase_file {
                Some(f) => Some(
                    std::fs::read_to_string(f)
                        .with_context(|| {
                            format!("cannot read the wallet passphrase from {}", f.display())
                        })?
                        .trim_end_matches(['\n', '\r'])
                        .to_owned(),
                ),
                None => std::env::var("BITMODEL_WALLET_PASSPHRASE").ok(),
            },
        })
    }
}
