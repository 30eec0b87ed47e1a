//! Bitmodel's HTTP server: a read-only, versioned JSON API over the index (`/api/v1/…`,
//! described by `/api/v1/openapi.json`). Errors are RFC 9457 problem details. Handlers only
//! read the index (redb serves readers concurrently with the one writer that follows the
//! chain), so any number of server replicas can run against their own index. The one write
//! is paid inference's ledger of spent payments (`gateway`), kept in its own database.

pub(crate) mod api;
pub(crate) mod explorer;
mod flow;
pub mod gateway;
mod keeper;
mod problem;
mod serve;
mod trace;

use std::sync::Arc;

use axum::Router;
use bitmodel_index::Index;
use bitmodel_protocol::{Chain, Verified};

pub use explorer::sats;
pub use gateway::Gateway;
pub use problem::Problem;
pub use serve::{serve_with, Limits};

/// Which browser origins may call the API from their pages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Cors {
    /// No CORS headers: same-origin pages only.
    #[default]
    Off,
    /// Any origin (`*`): fine for a public read-only API.
    Any,
    /// Exactly these origins, e.g. `https://example.org`.
    Origins(Vec<String>),
}

impl std::str::FromStr for Cors {
    type Err = String;

    /// `off`, `*`, or a comma-separated list of origins (`scheme://host[:port]`).
    fn from_str(s: &str) -> Result<Cors, String> {
        match s.trim() {
            "" | "off" | "none" => Ok(Cors::Off),
            "*" => Ok(Cors::Any),
            list => {
                let origins: Vec<String> = list.split(',').map(|o| o.trim().to_owned()).collect();
                for o in &origins {
                    let rest = o
                        .strip_prefix("https://")
                        .or_else(|| o.strip_prefix("http://"));
                    if rest.is_none_or(|r| r.is_empty() || r.contains('/')) {
                        return Err(format!(
                            "CORS origin '{o}' is not of the form http(s)://host[:port]; use '*', 'off' or a comma-separated list of origins"
                        ));
                    }
                }
                Ok(Cors::Origins(origins))
            }
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub index: Arc<Index>,
    /// The network, for address formats.
    pub chain: Chain,
    /// What the node was last shown to be (whoever follows it re-checks): the only source
    /// of "vaults are safe here" for quotes.
    pub verified: Arc<std::sync::RwLock<Verified>>,
    /// Set by whoever follows the node: `Some(reason)` while the node cannot be reached.
    pub node_down: Arc<std::sync::RwLock<Option<String>>>,
    /// Paid inference; `None` answers 503 on the infer route.
    pub gateway: Option<Arc<Gateway>>,
    pub cors: Cors,
    /// The keeper's policy when this process runs one (pages say what it will do next).
    pub keeper: Option<bitmodel_keeper::Policy>,
}

impl AppState {
    pub fn new(index: Arc<Index>, verified: Verified) -> AppState {
        AppState {
            index,
            chain: verified.chain(),
            verified: Arc::new(std::sync::RwLock::new(verified)),
            node_down: Arc::default(),
            gateway: None,
            cors: Cors::Off,
            keeper: None,
        }
    }

    pub fn with_keeper(mut self, policy: bitmodel_keeper::Policy) -> AppState {
        self.keeper = Some(policy);
        self
    }

    pub fn with_gateway(mut self, gateway: Gateway) -> AppState {
        self.gateway = Some(Arc::new(gateway));
        self
    }

    pub fn with_cors(mut self, cors: Cors) -> AppState {
        self.cors = cors;
        self
    }

    /// The node's identity as last verified.
    pub fn verified(&self) -> Verified {
        self.verified
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Records a fresh verification of the node (its chain may have become identifiable).
    pub fn set_verified(&self, v: Verified) {
        *self.verified.write().unwrap_or_else(|e| e.into_inner()) = v;
    }

    /// Records whether the node answered the follower's last attempt.
    pub fn set_node_down(&self, reason: Option<String>) {
        *self.node_down.write().unwrap_or_else(|e| e.into_inner()) = reason;
    }
}

/// Runs blocking work (node calls, model loading and runs) off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Problem> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Problem::internal(format!("the worker stopped: {e}")))
}

/// The whole API as a router (mount it, or serve it with [`serve`]).
pub fn router(state: AppState) -> Router {
    let cors = cors_layer(&state.cors);
    let app = api::routes().merge(explorer::routes()).with_state(state);
    match cors {
        Some(layer) => app.layer(layer),
        None => app,
    }
}

fn cors_layer(cors: &Cors) -> Option<tower_http::cors::CorsLayer> {
    use axum::http::{header, HeaderValue, Method};
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let origin = match cors {
        Cors::Off => return None,
        Cors::Any => AllowOrigin::any(),
        Cors::Origins(list) => AllowOrigin::list(
            list.iter()
                .filter_map(|o| HeaderValue::from_str(o).ok())
                .collect::<Vec<_>>(),
        ),
    };
    Some(
        CorsLayer::new()
            .allow_origin(origin)
            .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
            .allow_headers([header::CONTENT_TYPE, header::IF_NONE_MATCH])
            .expose_headers([header::ETAG]),
    )
}

/// Serves the router on `listener` within the default [`Limits`] until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, router(state), Limits::default(), shutdown).await
}
