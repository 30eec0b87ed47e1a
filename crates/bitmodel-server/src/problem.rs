//! Errors as RFC 9457 problem details: `application/problem+json` with a status, a title
//! and a detail that names what was wrong and what would be right.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'static str,
    status: u16,
    detail: String,
    /// Extension members (RFC 9457 §3.2), e.g. the payment quote of a 402.
    #[serde(flatten)]
    extra: serde_json::Map<String, serde_json::Value>,
    /// Response headers beside the body (`Retry-After` of a 429).
    #[serde(skip)]
    headers: Vec<(&'static str, String)>,
}

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Problem {
        Problem {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: detail.into(),
            extra: serde_json::Map::new(),
            headers: Vec::new(),
        }
    }

    /// Adds a response header.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Problem {
        self.headers.push((name, value.into()));
        self
    }

    /// Adds an extension member.
    pub fn with(mut self, key: &str, value: serde_json::Value) -> Problem {
        self.extra.insert(key.to_owned(), value);
        self
    }

    pub fn detail(&self) -> &str {
        &self.detail
    }

    pub fn status(&self) -> u16 {
        self.status
    }

    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, detail)
    }

    pub fn internal(detail: impl std::fmt::Display) -> Problem {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the index could not answer: {detail}"),
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).expect("a problem serialises");
        let mut r = (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response();
        for (k, v) in self.headers {
            if let Ok(v) = header::HeaderValue::from_str(&v) {
                r.headers_mut().insert(k, v);
            }
        }
        r
    }
}

impl From<bitmodel_index::IndexError> for Problem {
    fn from(e: bitmodel_index::IndexError) -> Problem {
        Problem::internal(e)
    }
}
