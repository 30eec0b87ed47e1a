//! `POST /api/v1/index`: the index read by a client that cannot open it (a CLI command beside
//! `bitmodel up`, which holds the file): one query in the index's own terms, its answer out
//! (`bitmodel_index::remote`). Read-only, like every other route but paid inference.

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::Json;
use bitmodel_index::remote::Query;
use serde_json::Value;

use crate::{blocking, AppState, Problem};

pub async fn post(
    State(s): State<AppState>,
    q: Result<Json<Query>, JsonRejection>,
) -> Result<Json<Value>, Problem> {
    let Json(q) = q.map_err(|e| {
        Problem::bad_request(format!(
            "not an index query ({e}); expected {{\"query\": \"asset\", \"arg\": \"<txid>i<n>\"}} or {{\"query\": \"head\"}}"
        ))
    })?;
    let index = s.index.clone();
    Ok(Json(blocking(move || index.answer(&q)).await??))
}
