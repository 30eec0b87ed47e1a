//! `GET /api/v1/assets/{id}/content`: the asset's on-chain file, only once every part is
//! here and it matched the record's sha256. The sha256 is the ETag.
//!
//! Anyone can inscribe anything, and this response comes from the explorer's origin, so it
//! is served as hostile (learned from ord's `/content`): a CSP `sandbox` without
//! `allow-scripts` (no script runs, and the document gets an opaque origin: no cookies, no
//! reach into the explorer), `default-src 'none'` with only inline styles and data: media,
//! `X-Content-Type-Options: nosniff` (the declared type is taken as is), and framing only by
//! the explorer itself (the content viewer shows HTML and SVG in a sandboxed iframe).

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
    Ok((
        [
            (header::CONTENT_TYPE, ct),
            (header::ETAG, etag),
            (header::CONTENT_SECURITY_POLICY, CONTENT_CSP.to_owned()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (
                header::HeaderName::from_static("cross-origin-resource-policy"),
                "same-origin".to_owned(),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// What inscribed content may do in a browser: show itself, nothing else.
pub const CONTENT_CSP: &str = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; media-src data:; font-src data:; frame-ancestors 'self'";

#[cfg(test)]
mod tests {
    #[test]
    fn the_sandbox_allows_no_scripts_and_no_same_origin() {
        let csp = super::CONTENT_CSP;
        assert!(csp.starts_with("sandbox;"));
        assert!(!csp.contains("allow-scripts") && !csp.contains("allow-same-origin"));
        assert!(csp.contains("default-src 'none'"));
    }
}
