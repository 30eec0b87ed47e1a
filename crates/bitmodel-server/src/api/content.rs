//! `GET /api/v1/assets/{id}/content`: the asset's on-chain file, only once every part is
//! here and it matched the record's sha256. The sha256 is the ETag.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::asset_id;
use crate::{AppState, Problem};

pub async fn get(
    State(s): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let id = asset_id(&id)?;
    let Some((row, bytes)) = s.index.content(&id)? else {
        return Err(Problem::not_found(format!(
            "asset {id} has no on-chain content"
        )));
    };
    let Some(bytes) = bytes else {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            format!(
                "content of {id} is {:?}: {} of {} bytes in {} part(s)",
                row.status, row.received, row.size, row.parts
            ),
        ));
    };
    let etag = format!("\"{}\"", hex::encode(row.sha256));
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    let ct = row
        .content_type
        .unwrap_or_else(|| "application/octet-stream".into());
    Ok(([(header::CONTENT_TYPE, ct), (header::ETAG, etag)], bytes).into_response())
}
