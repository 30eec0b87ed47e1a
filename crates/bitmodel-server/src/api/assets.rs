//! `GET /api/v1/assets` (list, `?q=` search, pagination) and `GET /api/v1/assets/{id}`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bitcoin::hashes::Hash;
use bitmodel_index::rows::AssetRow;
use serde_json::{json, Value};

use super::{asset_id, Page};
use crate::{AppState, Problem};

pub fn summary(s: &AppState, row: &AssetRow) -> Value {
    json!({
        "id": row.id.to_string(),
        "name": row.record.name,
        "kind": row.record.kind,
        "license": row.record.license,
        "height": row.position.height,
        "parents": row.record.parents.len(),
        "vault": row.vault.as_ref().map(|v| s.chain.script_label(v)),
    })
}

pub async fn list(
    State(s): State<AppState>,
    q: Result<Query<Page>, QueryRejection>,
) -> Result<Json<Value>, Problem> {
    let page = Page::from_query(q)?;
    // A read of every asset: on the blocking pool, not the async workers.
    crate::blocking(move || list_page(&s, &page)).await?
}

fn list_page(s: &AppState, page: &Page) -> Result<Json<Value>, Problem> {
    let mut rows = s.index.assets()?;
    if let Some(needle) = page.q.as_deref().map(str::to_lowercase) {
        rows.retain(|r| r.record.name.to_lowercase().contains(&needle));
    }
    rows.sort_by_key(|r| r.position);
    let total = rows.len();
    let items: Vec<Value> = rows
        .iter()
        .skip(page.offset())
        .take(page.limit())
        .map(|r| summary(s, r))
        .collect();
    Ok(Json(
        json!({ "total": total, "offset": page.offset(), "limit": page.limit(), "items": items }),
    ))
}

pub async fn one(
    State(s): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let id = asset_id(&id)?;
    let Some(row) = s.index.asset(&id)? else {
        if let Some(bad) = s.index.invalid(&id)? {
            return Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("{id} is an invalid Bitmodel record: {}", bad.reason),
            ));
        }
        return Err(Problem::not_found(format!("unknown asset {id}")));
    };
    let stats = s.index.stats(&id)?.unwrap_or_default();
    let mut body = summary(&s, &row);
    body["record"] = serde_json::to_value(&row.record).expect("records serialise");
    body["content_type"] = json!(row.content_type);
    body["stats"] = serde_json::to_value(stats).expect("stats serialise");
    // The record never changes, but the money figures do with every payment and
    // distribution: the tag is the body's own hash, so a client's copy is current exactly
    // when the tag matches.
    let bytes = serde_json::to_vec(&body).expect("JSON serialises");
    let digest = bitcoin::hashes::sha256::Hash::hash(&bytes).to_string();
    let etag = format!("\"{}\"", &digest[..32]);
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    Ok((
        [
            (header::ETAG, etag),
            (header::CONTENT_TYPE, "application/json".to_owned()),
        ],
        bytes,
    )
        .into_response())
}
