//! A small blocking JSON-RPC client for bitcoind and anything that speaks its dialect (the
//! Bitmodel devnet, fractald, litecoind): cookie or user/password authentication, a kept-alive
//! HTTP/1.1 connection, timeouts, and retries with exponential backoff when the node cannot be
//! reached (a node that is restarting rewrites its cookie, so the cookie is re-read on every
//! new connection).
//!
//! One client, one code path: the indexer and wallet never know which node answers.

mod http;
pub mod web;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use bitcoin::consensus::encode::{deserialize_hex, serialize_hex};
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
    #[error("rpc url {0:?} is not of the form http://host:port[/path]")]
    Url(String),
    #[error("cannot read rpc cookie {path}: {source}; is the node running with this datadir?")]
    Cookie {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot reach the node at {addr} after {attempts} attempts: {source}")]
    Unreachable {
        addr: String,
        attempts: u32,
        #[source]
        source: std::io::Error,
    },
    #[error("the node refused the rpc credentials (http 401); check the cookie or user/password")]
    Unauthorized,
    #[error("the node answered http {status} without a json-rpc reply: {body}")]
    Http { status: u16, body: String },
    #[error("rpc error {code}: {message}")]
    Rpc { code: i64, message: String },
    #[error("the node's reply could not be decoded: {0}")]
    Decode(String),
}

impl Error {
    /// The JSON-RPC error code, if the node answered with one.
    pub fn rpc_code(&self) -> Option<i64> {
        match self {
            Error::Rpc { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// `http://host:port[/path]` → (`host:port`, `/path` or empty).
pub(crate) fn split_url(url: &str) -> Result<(&str, &str), Error> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| Error::Url(url.to_owned()))?;
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if host.is_empty() || !host.contains(':') {
        return Err(Error::Url(url.to_owned()));
    }
    Ok((host, path))
}

/// A bitcoind JSON-RPC client.
pub struct Client {
    host: String,
    path: String,
    auth: Auth,
    timeout: Duration,
    retries: u32,
    backoff: Duration,
    conn: Mutex<Option<http::Conn>>,
    next_id: AtomicU64,
}

impl Client {
    /// `url` is `http://host:port` (optionally with a path such as `/wallet/w`).
    pub fn new(url: &str, auth: Auth) -> Result<Client, Error> {
        let (host, path) = split_url(url)?;
        let path = if path.is_empty() { "/" } else { path };
        Ok(Client {
            host: host.to_owned(),
            path: path.to_owned(),
            auth,
            timeout: Duration::from_secs(30),
            retries: 3,
            backoff: Duration::from_millis(100),
            conn: Mutex::new(None),
            next_id: AtomicU64::new(1),
        })
    }

    /// Time allowed for connecting and for each read or write.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
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
        Ok(Some(format!("Basic {}", http::base64(pair.as_bytes()))))
    }

    /// Sends a raw body and returns the HTTP status and reply body (for tests of odd input).
    pub fn post_raw(&self, body: &[u8]) -> Result<(u16, Vec<u8>), Error> {
        let mut attempt = 0;
        loop {
            let auth = self.authorization()?;
            let mut guard = self.conn.lock().unwrap_or_else(|p| p.into_inner());
            let result = (|| {
                if guard.is_none() {
                    *guard = Some(http::Conn::connect(&self.host, self.timeout)?);
                }
                let conn = guard.as_mut().expect("connected above");
                conn.post(&self.host, &self.path, auth.as_deref(), body)
            })();
            match result {
                Ok(reply) => {
                    if !reply.keep_alive {
                        *guard = None;
                    }
                    return Ok((reply.status, reply.body));
                }
                Err(e) => {
                    *guard = None;
                    drop(guard);
                    if attempt >= self.retries {
                        return Err(Error::Unreachable {
                            addr: self.host.clone(),
                            attempts: attempt + 1,
                            source: e,
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
        serde_json::from_value(v).map_err(|e| Error::Decode(format!("{method}: {e}")))
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
        deserialize_hex(&hex).map_err(|e| Error::Decode(format!("block {hash}: {e}")))
    }

    pub fn get_raw_transaction(&self, txid: &Txid) -> Result<Transaction, Error> {
        let hex: String = self.call("getrawtransaction", &[json!(txid.to_string())])?;
        deserialize_hex(&hex).map_err(|e| Error::Decode(format!("transaction {txid}: {e}")))
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
        let hex = v["hex"]
            .as_str()
            .ok_or_else(|| Error::Decode(format!("transaction {txid}: no hex in the reply")))?;
        let tx =
            deserialize_hex(hex).map_err(|e| Error::Decode(format!("transaction {txid}: {e}")))?;
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
