//! The explorer: server-rendered HTML that works without JavaScript and on a phone-width
//! screen. Home (chain figures, search, assets) and the asset page (record, vault, money,
//! and the lineage drawn as a layered SVG DAG with weights and effective shares), payment
//! (a Sankey of one payment's flow), contributor (earnings over time) and content viewer.

mod content;
mod layout;
mod pages;
mod payment;
mod sankey;

use axum::routing::get;
use axum::Router;

use crate::AppState;

/// The explorer needs no script at all, so its pages forbid every script: were escaping of
/// chain data ever to fail, injected markup still could not run. Frames only from its own
/// origin (the sandboxed content viewer), and nobody may frame the explorer.
pub const PAGE_CSP: &str = "default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

pub fn routes() -> Router<AppState> {
    use axum::http::{header, HeaderValue};
    use tower_http::set_header::SetResponseHeaderLayer;
    Router::new()
        .route("/", get(pages::home))
        .route("/asset/{id}", get(pages::asset))
        .route("/tx/{txid}", get(payment::page))
        .route("/earnings/{payee}", get(pages::contributor))
        .route("/content/{id}", get(content::content))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
}

/// Sats with thousands separators: 1234567 → "1,234,567".
pub fn sats(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;color:#222}\
a{color:#0b5cad}table{border-collapse:collapse;width:100%}td,th{padding:.3rem;border-bottom:1px solid #ddd;text-align:left}\
.num{text-align:right;font-variant-numeric:tabular-nums}code,td{overflow-wrap:anywhere;word-break:break-word}code{word-break:break-all}svg{max-width:100%;height:auto}header a{font-weight:bold;text-decoration:none}\
@media(max-width:40rem){td,th{font-size:.85rem}}";

pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width,initial-scale=1\">\
<title>{} · Bitmodel</title><style>{STYLE}</style></head><body><header><a href=\"/\">Bitmodel</a> — contribution flows for AI</header>{body}</body></html>",
        esc(title)
    )
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn names_from_the_chain_cannot_inject_markup() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }
}
