//! The bitcoind-compatible JSON-RPC server: HTTP/1.1 keep-alive, Basic authentication
//! (cookie or user/password), and the method table in [`methods`]. Bound to 127.0.0.1 by
//! default; it stops when `stop` is called or the [`Server`] is dropped.
//!
//! HTTP is hyper's, not ours: the server used to parse HTTP/1.1 itself, which meant owning
//! every corner of the protocol (it refused chunked bodies, for one), while hyper — already
//! built for `bitmodel-server` — handles framing, chunked bodies, `Expect: 100-continue`,
//! keep-alive and malformed requests. What stays here is policy: credentials are checked
//! before any body byte is read, bodies are capped at [`MAX_BODY`] (`413`), heads at 16 KiB
//! (`431`), a request's body must arrive within [`REQUEST_DEADLINE`] (`408`), an idle
//! keep-alive connection is closed after a minute, and at most 256 connections are served at
//! once (more are answered `503` and closed).
//!
//! The public API stays blocking: [`Server::start`] spawns one thread that owns a
//! single-threaded tokio runtime for the sockets; the handlers, which are synchronous and
//! take the node's mutex, run on that runtime's blocking pool so a slow block submission
//! never stalls the other connections.

pub mod auth;
pub mod descriptor;
pub mod dispatch;
pub mod json;
pub mod methods;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Poll;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bitcoin::ScriptBuf;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Body, Bytes, Incoming};
use hyper::header::{HeaderValue, AUTHORIZATION, CONNECTION, CONTENT_TYPE, WWW_AUTHENTICATE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio::sync::{Notify, Semaphore};

use crate::error::DevnetError;
use crate::node::Node;
use auth::Credentials;

/// Largest request body accepted (a maximal block is 8 MB as hex, plus JSON framing).
pub const MAX_BODY: usize = 32 * 1024 * 1024;
/// Largest request head (request line plus headers).
pub const MAX_HEAD: usize = 16 * 1024;
/// hyper's read buffer, which also bounds a head that never ends.
const MAX_READ_BUF: usize = 4 * MAX_HEAD;
/// Time a request's body may take to arrive: a client trickling bytes cannot hold a
/// connection slot longer.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(30);
/// Connections served at once; more are answered `503` and closed.
pub const MAX_CONNECTIONS: usize = 256;
/// An idle keep-alive connection (or one sending its head this slowly) is closed after this.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// After a stop, how long requests already being handled get to finish.
const GRACE: Duration = Duration::from_secs(10);
/// bitcoind slows down password guessing the same way.
const UNAUTHORIZED_DELAY: Duration = Duration::from_millis(250);

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
    /// Wakes the server thread to look at `state.stop`.
    wake: Arc<Notify>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start(
        state: Arc<State>,
        bind: SocketAddr,
        creds: Credentials,
    ) -> Result<Server, DevnetError> {
        let bind_err = move |source| DevnetError::Bind {
            addr: bind.to_string(),
            source,
        };
        let thread_err = |source| DevnetError::Io {
            path: "rpc server thread".into(),
            source,
        };
        let std_listener = std::net::TcpListener::bind(bind).map_err(bind_err)?;
        let addr = std_listener.local_addr().map_err(bind_err)?;
        std_listener.set_nonblocking(true).map_err(bind_err)?;
        let wake = Arc::new(Notify::new());
        let shared = Arc::new(Shared {
            state: state.clone(),
            creds,
            wake: wake.clone(),
        });
        // The runtime is built, and dropped, on the server's own thread only: the caller may
        // be inside another runtime (async tests), where dropping one panics. The thread
        // reports whether it is serving before `start` returns.
        let (ready, started) = std::sync::mpsc::sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("devnet-rpc".into())
            .spawn(move || {
                let set_up = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .max_blocking_threads(MAX_CONNECTIONS)
                    .thread_name("devnet-rpc-handler")
                    .build()
                    .map_err(thread_err)
                    .and_then(|runtime| {
                        let listener = {
                            let _entered = runtime.enter();
                            TcpListener::from_std(std_listener).map_err(bind_err)?
                        };
                        Ok((runtime, listener))
                    });
                match set_up {
                    Ok((runtime, listener)) => {
                        let _ = ready.send(Ok(()));
                        run(runtime, listener, shared);
                    }
                    Err(e) => {
                        let _ = ready.send(Err(e));
                    }
                }
            })
            .map_err(thread_err)?;
        match started.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                let _ = thread.join();
                return Err(e);
            }
            Err(_) => {
                let _ = thread.join();
                return Err(thread_err(std::io::Error::other(
                    "the rpc server thread ended before serving",
                )));
            }
        }
        Ok(Server {
            addr,
            state,
            wake,
            thread: Some(thread),
        })
    }

    /// Blocks until the server stops (after an RPC `stop` or [`Server::shutdown`]).
    pub fn wait(mut self) {
        if let Some(h) = self.thread.take() {
            let _ = h.join();
        }
    }

    pub fn shutdown(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        self.wake.notify_one();
        if let Some(h) = self.thread.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// What every connection's handler sees.
struct Shared {
    state: Arc<State>,
    creds: Credentials,
    wake: Arc<Notify>,
}

/// The server thread: serves until `state.stop` is seen, lets requests in flight finish
/// (for [`GRACE`] at most), then drops the runtime.
fn run(runtime: Runtime, listener: TcpListener, shared: Arc<Shared>) {
    runtime.block_on(async move {
        let graceful = serve(listener, &shared).await;
        let _ = tokio::time::timeout(GRACE, graceful.shutdown()).await;
    });
    // A handler still running after the grace period finishes on its own thread (it owns
    // what it needs); the server does not wait for it.
    runtime.shutdown_background();
}

/// Accepts connections until a stop; returns the connections still open.
async fn serve(listener: TcpListener, shared: &Arc<Shared>) -> GracefulShutdown {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut http = hyper::server::conn::http1::Builder::new();
    // half_close: a client that shuts its write side after sending a request still gets
    // its answer, as from bitcoind.
    http.timer(TokioTimer::new())
        .half_close(true)
        .header_read_timeout(IDLE_TIMEOUT)
        .max_header_size(MAX_HEAD)
        .max_buf_size(MAX_READ_BUF);
    let mut woken = pin!(shared.wake.notified());
    loop {
        if shared.state.stopping() {
            return graceful;
        }
        // The next connection, or a wake-up to look at `state.stop` again.
        let next = std::future::poll_fn(|cx| {
            if woken.as_mut().poll(cx).is_ready() {
                return Poll::Ready(None);
            }
            listener.poll_accept(cx).map(Some)
        })
        .await;
        let stream = match next {
            None => {
                woken.set(shared.wake.notified());
                continue;
            }
            Some(Ok((stream, _))) => stream,
            Some(Err(_)) => {
                // Out of file descriptors, say: back off instead of spinning.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tokio::spawn(refuse(stream));
            continue;
        };
        let _ = stream.set_nodelay(true);
        let sh = shared.clone();
        let service = hyper::service::service_fn(move |req| handle(sh.clone(), req));
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            let _ = conn.await;
            drop(slot);
        });
    }
}

/// Answers a connection over [`MAX_CONNECTIONS`] without reading from it. hyper only speaks
/// after a request, so this one fixed response is written directly.
async fn refuse(stream: TcpStream) {
    const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    let write = async {
        stream.writable().await?;
        stream.try_write(BUSY)
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), write).await;
}

type Reply = Response<Full<Bytes>>;

/// A response with a JSON (or empty) body; `close` ends the connection after it.
fn reply(status: u16, body: Vec<u8>, close: bool) -> Reply {
    let mut res = Response::new(Full::new(Bytes::from(body)));
    *res.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = res.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if close {
        headers.insert(CONNECTION, HeaderValue::from_static("close"));
    }
    res
}

/// A refused request: the status and a JSON-RPC error saying why; the connection closes.
fn refused(status: u16, message: &str) -> Reply {
    let body = serde_json::json!({
        "result": null,
        "error": {"code": dispatch::RPC_INVALID_REQUEST, "message": message},
        "id": null
    });
    reply(status, body.to_string().into_bytes(), true)
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Reply, Infallible> {
    // Credentials first: an unauthenticated client cannot make the server read (or
    // allocate) a body.
    let authorization = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if !shared.creds.check(authorization) {
        tokio::time::sleep(UNAUTHORIZED_DELAY).await;
        let mut res = reply(401, Vec::new(), true);
        res.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"jsonrpc\""),
        );
        return Ok(res);
    }
    if req.method() != Method::POST {
        return Ok(reply(405, Vec::new(), true));
    }
    let body = req.into_body();
    // A `Content-Length` over the limit is refused before any of the body is read.
    if body.size_hint().lower() > MAX_BODY as u64 {
        return Ok(refused(413, "request body too large"));
    }
    let body = match tokio::time::timeout(REQUEST_DEADLINE, Limited::new(body, MAX_BODY).collect())
        .await
    {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.is::<LengthLimitError>() => {
            return Ok(refused(413, "request body too large"))
        }
        Ok(Err(_)) => return Ok(refused(400, "malformed request body")),
        Err(_) => return Ok(refused(408, "request took too long")),
    };
    let state = shared.state.clone();
    let (status, out) =
        match tokio::task::spawn_blocking(move || dispatch::handle_body(&state, &body)).await {
            Ok(answer) => answer,
            Err(_) => {
                // The handler panicked; the node behind the mutex is still served.
                let body = serde_json::json!({
                    "result": null,
                    "error": {"code": dispatch::RPC_MISC_ERROR, "message": "internal error"},
                    "id": null
                });
                (500, body.to_string().into_bytes())
            }
        };
    let stopping = shared.state.stopping();
    if stopping {
        // After `stop`: this answer is the connection's last, and the server winds down.
        shared.wake.notify_one();
    }
    Ok(reply(status, out, stopping))
}
