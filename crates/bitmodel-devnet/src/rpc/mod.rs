//! The bitcoind-compatible JSON-RPC server: a thread per connection over plain HTTP/1.1
//! keep-alive, Basic authentication (cookie or user/password), and the method table in
//! [`methods`]. Bound to 127.0.0.1 by default; it stops when `stop` is called or the
//! [`Server`] is dropped.

pub mod auth;
pub mod descriptor;
pub mod dispatch;
pub mod http;
pub mod json;
pub mod methods;

use std::io::BufReader;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bitcoin::ScriptBuf;

use crate::error::DevnetError;
use crate::node::Node;
use auth::Credentials;

/// Connections served at once; more are answered `503` and closed.
const MAX_CONNECTIONS: usize = 256;
/// An idle keep-alive connection is closed after this long.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// What RPC handlers share.
pub struct State {
    pub node: Mutex<Node>,
    pub started: Instant,
    /// Set by `stop`; the server and the interval miner end when they see it.
    pub stop: AtomicBool,
    pub datadir: PathBuf,
    pub db_path: PathBuf,
    /// Where interval mining pays.
    pub mine_to: ScriptBuf,
}

impl State {
    pub fn lock(&self) -> MutexGuard<'_, Node> {
        // A panic while holding the lock leaves the last committed state on disk; the
        // in-memory state is still the one that panicked, which RPC can keep serving.
        self.node.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

/// A running RPC server.
pub struct Server {
    pub addr: SocketAddr,
    state: Arc<State>,
    accept: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start(
        state: Arc<State>,
        bind: SocketAddr,
        creds: Credentials,
    ) -> Result<Server, DevnetError> {
        let listener = TcpListener::bind(bind).map_err(|source| DevnetError::Bind {
            addr: bind.to_string(),
            source,
        })?;
        let addr = listener.local_addr().map_err(|source| DevnetError::Bind {
            addr: bind.to_string(),
            source,
        })?;
        let st = state.clone();
        let accept = std::thread::Builder::new()
            .name("devnet-rpc-accept".into())
            .spawn(move || accept_loop(listener, st, creds))
            .map_err(|source| DevnetError::Io {
                path: "rpc accept thread".into(),
                source,
            })?;
        Ok(Server {
            addr,
            state,
            accept: Some(accept),
        })
    }

    /// Blocks until the server stops (after an RPC `stop` or [`Server::shutdown`]).
    pub fn wait(mut self) {
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }

    pub fn shutdown(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn accept_loop(listener: TcpListener, state: Arc<State>, creds: Credentials) {
    let active = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        if state.stopping() {
            break;
        }
        let Ok(stream) = stream else { continue };
        if active.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
            let mut s = stream;
            let _ = http::write_response(&mut s, 503, b"", false, None);
            continue;
        }
        active.fetch_add(1, Ordering::SeqCst);
        let (st, cr, act) = (state.clone(), creds.clone(), active.clone());
        let spawned = std::thread::Builder::new()
            .name("devnet-rpc-conn".into())
            .spawn(move || {
                serve(stream, &st, &cr);
                act.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            active.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

fn serve(stream: TcpStream, state: &State, creds: &Credentials) {
    let _ = stream.set_nodelay(true);
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        let req = match http::read_request(&mut reader, IDLE_TIMEOUT, |a| creds.check(a)) {
            Ok(r) => r,
            Err(http::ReadError::Closed) => return,
            Err(http::ReadError::Unauthorized) => {
                // bitcoind slows down password guessing the same way.
                std::thread::sleep(Duration::from_millis(250));
                let _ = http::write_response(
                    &mut writer,
                    401,
                    b"",
                    false,
                    Some("WWW-Authenticate: Basic realm=\"jsonrpc\""),
                );
                return;
            }
            Err(http::ReadError::Bad(status, msg)) => {
                let body = serde_json::json!({
                    "result": null,
                    "error": {"code": dispatch::RPC_INVALID_REQUEST, "message": msg},
                    "id": null
                });
                let _ = http::write_response(
                    &mut writer,
                    status,
                    body.to_string().as_bytes(),
                    false,
                    None,
                );
                return;
            }
        };
        if req.method != "POST" {
            let _ = http::write_response(&mut writer, 405, b"", false, None);
            return;
        }
        let (status, body) = dispatch::handle_body(state, &req.body);
        let keep = req.keep_alive && !state.stopping();
        let written = http::write_response(&mut writer, status, &body, keep, None);
        if state.stopping() {
            // After `stop`, wake the accept loop so the server ends.
            if let Ok(addr) = writer.local_addr() {
                let _ = TcpStream::connect_timeout(&addr, Duration::from_millis(200));
            }
        }
        if written.is_err() || !keep {
            return;
        }
    }
}
