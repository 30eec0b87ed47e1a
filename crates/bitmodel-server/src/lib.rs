//! Bitmodel's HTTP server: a read-only, versioned JSON API over the index (`/api/v1/…`,
//! described by `/api/v1/openapi.json`). Errors are RFC 9457 problem details. Handlers only
//! read the index (redb serves readers concurrently with the one writer that follows the
//! chain), so any number of server replicas can run against their own index.

pub(crate) mod api;
mod explorer;
mod flow;
mod problem;

use std::sync::Arc;

use axum::Router;
use bitmodel_index::Index;
use bitmodel_protocol::Chain;

pub use problem::Problem;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub index: Arc<Index>,
    pub chain: Chain,
    /// Set by whoever follows the node: `Some(reason)` while the node cannot be reached.
    pub node_down: Arc<std::sync::RwLock<Option<String>>>,
}

impl AppState {
    pub fn new(index: Arc<Index>, chain: Chain) -> AppState {
        AppState {
            index,
            chain,
            node_down: Arc::default(),
        }
    }

    /// Records whether the node answered the follower's last attempt.
    pub fn set_node_down(&self, reason: Option<String>) {
        *self.node_down.write().unwrap_or_else(|e| e.into_inner()) = reason;
    }
}

/// The whole API as a router (mount it, or serve it with [`serve`]).
pub fn router(state: AppState) -> Router {
    api::routes().merge(explorer::routes()).with_state(state)
}

/// Serves the router on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
