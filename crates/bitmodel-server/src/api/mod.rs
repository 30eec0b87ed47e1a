//! The `/api/v1` routes, one file per resource.

mod assets;
mod content;
pub mod earnings;
mod flows;
mod index;
pub mod infer;
mod lineage;
mod openapi;
mod status;
mod vault;

use axum::extract::rejection::QueryRejection;
use axum::extract::DefaultBodyLimit;
use axum::extract::Query;
use axum::routing::{get, post};
use axum::Router;
use bitmodel_protocol::AssetId;
use serde::Deserialize;

use crate::{AppState, Problem};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/status", get(status::get))
        .route("/api/v1/openapi.json", get(openapi::get))
        .route("/api/v1/assets", get(assets::list))
        .route("/api/v1/assets/{id}", get(assets::one))
        .route("/api/v1/assets/{id}/lineage", get(lineage::get))
        .route("/api/v1/assets/{id}/vault", get(vault::get))
        .route("/api/v1/assets/{id}/flows", get(flows::by_asset))
        .route("/api/v1/assets/{id}/content", get(content::get))
        .route(
            "/api/v1/assets/{id}/infer",
            post(infer::post).layer(DefaultBodyLimit::max(infer::MAX_BODY)),
        )
        .route("/api/v1/tx/{txid}", get(flows::by_txid))
        .route("/api/v1/index", post(index::post))
        .route("/api/v1/earnings/{payee}", get(earnings::get))
        .method_not_allowed_fallback(|| async {
            Problem::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "this route does not take that method: the API is read-only but for POST …/infer and POST /api/v1/index (queries); see /api/v1/openapi.json",
            )
        })
        .fallback(|| async {
            Problem::not_found("no such route; the API is described at /api/v1/openapi.json")
        })
}

/// Parses an asset id from the path, with the expected format in the error.
pub fn asset_id(s: &str) -> Result<AssetId, Problem> {
    s.parse().map_err(|e| Problem::bad_request(format!("{e}")))
}

/// `?limit=&offset=`: 1..=200 items per page, 50 by default.
#[derive(Debug, Deserialize)]
pub struct Page {
    pub limit: Option<usize>,
    pub offset: Option<usize>,
    pub q: Option<String>,
}

pub const MAX_LIMIT: usize = 200;

impl Page {
    pub fn from_query(q: Result<Query<Page>, QueryRejection>) -> Result<Page, Problem> {
        let Query(p) = q.map_err(|e| {
            Problem::bad_request(format!("bad query: {e}; use limit=1..200 and offset=0.."))
        })?;
        if p.limit.is_some_and(|l| l == 0 || l > MAX_LIMIT) {
            return Err(Problem::bad_request(format!(
                "limit must be 1..={MAX_LIMIT}"
            )));
        }
        Ok(p)
    }

    pub fn limit(&self) -> usize {
        self.limit.unwrap_or(50)
    }

    pub fn offset(&self) -> usize {
        self.offset.unwrap_or(0)
    }
}
