//! A blocking JSON-RPC client for bitcoind and anything that speaks its dialect (the
//! Bitmodel devnet, fractald, litecoind, remote RPC providers): cookie or user/password
//! authentication, kept-alive connections, http and https, chunked or sized replies,
//! timeouts, and retries with exponential backoff when the node cannot be reached (a node
//! that is restarting rewrites its cookie, so the cookie is re-read for every request).
//! The HTTP itself is ureq's ([`transport`]).
//!
//! One client, one code path: the indexer and wallet never know which node answers. What
//! the node *is* they learn from [`identity`], never from a flag.

pub mod identity;
pub mod source;
mod transport;
pub mod web;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bitcoin::consensus::encode::serialize_hex;
use bitcoin::{Block, BlockHash, Transaction, Txid};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

/// How to authenticate.
#[derive(Debug, Clone)]
pub enum Auth {
    /// Read `user:password` from a cookie file (bitcoind's `<datadir>/.cookie`).
    Cookie(PathBuf),
    UserPass(String, String),
    None,
}

/// What went wrong talking to the node.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "rpc url {0:?} is not of the form http://host:port[/path] or https://host[:port][/path]"
    )]
    Url(String),
    #[error("cannot read rpc cookie {path}: {source}; is the node running with this datadir?")]
    Cookie {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot use {path} as the node's certificate authority: {source}; give a PEM file of the CA certificate")]
    Ca {
        path: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("cannot reach the node at {addr} after {attempts} attempts: {source}")]
    Unreachable {
        addr: String,
        attempts: u32,
        #[source]
        source: ureq::Error,
    },
    #[error("talking to the node at {addr} failed: {source}")]
    Transport {
        addr: String,
        #[source]
        source: ureq::Error,
    },
    #[error("the node refused the rpc credentials (http 401); check the cookie or user/password")]
    Unauthorized,
    #[error("the node answered http {status} without a json-rpc reply: {body}")]
    Http { status: u16, body: String },
    #[error("rpc error {code}: {message}")]
    Rpc { code: i64, message: String },
    #[error(transparent)]
    Decode(Undecodable),
}

/// What of the node's reply could not be decoded, and why when a decoder said (its error,
/// kept whole as the source, and repeated in the message as the other variants do).
#[derive(Debug)]
pub struct Undecodable {
    pub what: String,
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl std::fmt::Display for Undecodable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the node's reply could not be decoded: {}", self.what)?;
        match &self.source {
            Some(source) => write!(f, ": {source}"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for Undecodable {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

/// Why hex from the node is not the block or transaction it should be.
#[derive(Debug, thiserror::Error)]
pub enum HexError {
    #[error(transparent)]
    Hex(#[from] bitcoin::hex::HexToBytesError),
    #[error(transparent)]
    Consensus(#[from] bitcoin::consensus::encode::Error),
    #[error("{0} bytes left over after decoding")]
    LeftOver(usize),
}

impl Error {
    /// The reply's `what` is missing or malformed.
    pub(crate) fn decode(what: impl Into<String>) -> Error {
        Error::Decode(Undecodable {
            what: what.into(),
            source: None,
        })
    }

    /// The reply's `what` did not decode, for `source`.
    pub(crate) fn undecodable(
        what: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Error {
        Error::Decode(Undecodable {
            what: what.into(),
            source: Some(source.into()),
        })
    }

    /// The JSON-RPC error code, if the node answered with one.
    pub fn rpc_code(&self) -> Option<i64> {
        match self {
            Error::Rpc { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// Checks `url` is `http://host:port[/path]` or `https://host[:port][/path]` and returns
/// it without a trailing slash, and the `host[:port]` part for messages.
pub(crate) fn check_url(url: &str) -> Result<(String, String), Error> {
    let bad = || Error::Url(url.to_owned());
    let (https, rest) = if let Some(r) = url.strip_prefix("http://") {
        (false, r)
    } else if let Some(r) = url.strip_prefix("https://") {
        (true, r)
    } else {
        return Err(bad());
    };
    let host = rest.split('/').next().unwrap_or_default();
    let has_port = host
        .rsplit_once(':')
        .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok());
    if host.is_empty() || (!https && !has_port) || host.contains(['@', '?', '#']) {
        return Err(bad());
    }
    ureq::http::Uri::try_from(url).map_err(|_| bad())?;
    Ok((url.trim_end_matches('/').to_owned(), host.to_owned()))
}

/// A bitcoind JSON-RPC client.
pub struct Client {
    url: String,
    host: String,
    auth: Auth,
    timeout: Duration,
    roots: Option<Vec<ureq::tls::Certificate<'static>>>,
    agent: ureq::Agent,
    retries: u32,
    backoff: Duration,
    next_id: AtomicU64,
}

impl Client {
    /// `url` is `http://host:port` or `https://host[:port]`, optionally with a path such as
    /// `/wallet/w`.
    pub fn new(url: &str, auth: Auth) -> Result<Client, Error> {
        let (url, host) = check_url(url)?;
        let url = if url.matches('/').count() == 2 {
            format!("{url}/")
        } else {
            url
        };
        let timeout = Duration::from_secs(30);
        Ok(Client {
            url,
            host,
            auth,
            timeout,
            roots: None,
            agent: transport::agent(timeout, None),
            retries: 3,
            backoff: Duration::from_millis(100),
            next_id: AtomicU64::new(1),
        })
    }

    /// The URL this client posts to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Time allowed for connecting and for each read or write.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self.agent = transport::agent(timeout, self.roots.as_deref());
        self
    }

    /// Trusts the certificate authorities in the PEM file `path` (instead of Mozilla's
    /// roots) for an https node, e.g. one behind a reverse proxy with a private CA.
    pub fn with_ca_file(mut self, path: &Path) -> Result<Self, Error> {
        self.roots = Some(transport::roots_from_pem(path)?);
        self.agent = transport::agent(self.timeout, self.roots.as_deref());
        Ok(self)
    }

    /// Connection attempts after the first one fails, waiting `backoff`, then twice that, …
    pub fn with_retries(mut self, retries: u32, backoff: Duration) -> Self {
        self.retries = retries;
        self.backoff = backoff;
        self
    }

    fn authorization(&self) -> Result<Option<String>, Error> {
        let pair = match &self.auth {
            Auth::None => return Ok(None),
            Auth::UserPass(u, p) => format!("{u}:{p}"),
            Auth::Cookie(path) => std::fs::read_to_string(path)
                .map_err(|source| Error::Cookie {
                    path: path.display().to_string(),
                    source,
                })?
                .trim()
                .to_owned(),
        };
        Ok(Some(format!(
            "Basic {}",
            transport::base64(pair.as_bytes())
        )))
    }

    /// Sends a raw body and returns the HTTP status and reply body (for tests of odd input).
    pub fn post_raw(&self, body: &[u8]) -> Result<(u16, Vec<u8>), Error> {
        let mut attempt = 0;
        loop {
            let auth = self.authorization()?;
            let mut headers = vec![("Content-Type", "application/json")];
            if let Some(a) = auth.as_deref() {
                headers.push(("Authorization", a));
            }
            match transport::exchange(&self.agent, "POST", &self.url, &headers, body) {
                Ok(reply) => return Ok((reply.status, reply.body)),
                Err(source) if !transport::retryable(&source) => {
                    return Err(Error::Transport {
                        addr: self.host.clone(),
                        source,
                    })
                }
                Err(source) => {
                    if attempt >= self.retries {
                        return Err(Error::Unreachable {
                            addr: self.host.clone(),
                            attempts: attempt + 1,
                            source,
                        });
                    }
                    std::thread::sleep(self.backoff * 2u32.saturating_pow(attempt));
                    attempt += 1;
                }
            }
        }
    }

    /// Calls `method` with positional or named (`Value::Object`) parameters.
    pub fn call_value(&self, method: &str, params: Value) -> Result<Value, Error> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({"jsonrpc": "1.0", "id": id, "method": method, "params": params});
        let (status, reply) = self.post_raw(body.to_string().as_bytes())?;
        if status == 401 {
            return Err(Error::Unauthorized);
        }
        let parsed: Value = serde_json::from_slice(&reply).map_err(|_| Error::Http {
            status,
            body: String::from_utf8_lossy(&reply).chars().take(200).collect(),
        })?;
        if let Some(err) = parsed.get("error").filter(|e| !e.is_null()) {
            return Err(Error::Rpc {
                code: err.get("code").and_then(Value::as_i64).unwrap_or(0),
                message: err
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            });
        }
        if status != 200 {
            return Err(Error::Http {
                status,
                body: String::from_utf8_lossy(&reply).chars().take(200).collect(),
            });
        }
        Ok(parsed.get("result").cloned().unwrap_or(Value::Null))
    }

    /// Calls `method` with positional parameters and decodes the result.
    pub fn call<T: DeserializeOwned>(&self, method: &str, params: &[Value]) -> Result<T, Error> {
        let v = self.call_value(method, Value::Array(params.to_vec()))?;
        serde_json::from_value(v).map_err(|e| Error::undecodable(method, e))
    }

    pub fn get_block_count(&self) -> Result<u64, Error> {
        self.call("getblockcount", &[])
    }

    pub fn get_best_block_hash(&self) -> Result<BlockHash, Error> {
        self.call("getbestblockhash", &[])
    }

    pub fn get_block_hash(&self, height: u64) -> Result<BlockHash, Error> {
        self.call("getblockhash", &[json!(height)])
    }

    pub fn get_block(&self, hash: &BlockHash) -> Result<Block, Error> {
        let hex: String = self.call("getblock", &[json!(hash.to_string()), json!(0)])?;
        deserialize_hex(&hex).map_err(|e| Error::undecodable(format!("block {hash}"), e))
    }

    pub fn get_raw_transaction(&self, txid: &Txid) -> Result<Transaction, Error> {
        let hex: String = self.call("getrawtransaction", &[json!(txid.to_string())])?;
        deserialize_hex(&hex).map_err(|e| Error::undecodable(format!("transaction {txid}"), e))
    }

    /// A transaction and its confirmations (0 in the mempool). Without `-txindex` a node
    /// finds confirmed transactions only when told their block.
    pub fn get_raw_transaction_verbose(
        &self,
        txid: &Txid,
        block: Option<&BlockHash>,
    ) -> Result<(Transaction, u32), Error> {
        let mut params = vec![json!(txid.to_string()), json!(true)];
        if let Some(b) = block {
            params.push(json!(b.to_string()));
        }
        let v: Value = self.call("getrawtransaction", &params)?;
        // Asked in a block that is no longer on the node's best chain (a stale block): the
        // transaction is not confirmed there, whatever the block holds.
        if v["in_active_chain"] == Value::Bool(false) {
            return Err(Error::Rpc {
                code: -5,
                message: format!(
                    "transaction {txid} is in a block that is not on the active chain"
                ),
            });
        }
        let hex = v["hex"]
            .as_str()
            .ok_or_else(|| Error::decode(format!("transaction {txid}: no hex in the reply")))?;
        let tx = deserialize_hex(hex)
            .map_err(|e| Error::undecodable(format!("transaction {txid}"), e))?;
        let confirmations = v["confirmations"].as_u64().unwrap_or(0) as u32;
        Ok((tx, confirmations))
    }

    pub fn send_raw_transaction(&self, tx: &Transaction) -> Result<Txid, Error> {
        self.call("sendrawtransaction", &[json!(serialize_hex(tx))])
    }

    pub fn generate_to_address(&self, n: u64, address: &str) -> Result<Vec<BlockHash>, Error> {
        self.call("generatetoaddress", &[json!(n), json!(address)])
    }

    pub fn get_raw_mempool(&self) -> Result<Vec<Txid>, Error> {
        self.call("getrawmempool", &[])
    }
}

/// Decodes a block or transaction from hex, whole: rust-bitcoin's plain decoder stops
/// reading at 4,000,000 bytes, and Bitcoin SV and MVC blocks (and transactions) are larger.
fn deserialize_hex<T: bitcoin::consensus::Decodable>(hex: &str) -> Result<T, HexError> {
    let bytes: Vec<u8> = bitcoin::hex::FromHex::from_hex(hex)?;
    let mut slice: &[u8] = &bytes;
    let v = T::consensus_decode_from_finite_reader(&mut slice)?;
    if !slice.is_empty() {
        return Err(HexError::LeftOver(slice.len()));
    }
    Ok(v)
}
