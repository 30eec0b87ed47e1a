//! The one HTTP stack under the RPC and web clients: ureq (HTTP/1.1 with keep-alive pools,
//! chunked and `Content-Length` replies, HTTPS with rustls and Mozilla's roots, or roots from
//! a PEM file for a node behind a private CA). Status codes are returned, not raised, since
//! bitcoind answers JSON-RPC errors with 4xx/5xx bodies; redirects are not followed (a
//! credentialed POST must reach the node it was meant for); proxies from the environment are
//! ignored (the node is named explicitly).

use std::path::Path;
use std::time::Duration;

use ureq::http;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};
use ureq::Agent;

use crate::Error;

/// Largest reply accepted (a 4 MWU block as hex at verbosity 0 is about 8 MB).
pub const MAX_REPLY: u64 = 256 * 1024 * 1024;

/// A reply: status, content type and body.
pub struct Reply {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// Roots to trust for https, read from a PEM file.
pub fn roots_from_pem(path: &Path) -> Result<Vec<Certificate<'static>>, Error> {
    let bad = |source: Box<dyn std::error::Error + Send + Sync>| Error::Ca {
        path: path.display().to_string(),
        source,
    };
    let pem = std::fs::read(path).map_err(|e| bad(e.into()))?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        if let PemItem::Certificate(c) = item.map_err(|e| bad(e.into()))? {
            certs.push(c);
        }
    }
    if certs.is_empty() {
        return Err(bad("it holds no PEM certificate".into()));
    }
    Ok(certs)
}

/// An agent with `timeout` for connecting and for each read and write.
pub fn agent(timeout: Duration, roots: Option<&[Certificate<'static>]>) -> Agent {
    let roots = roots.map_or(RootCerts::WebPki, RootCerts::new_with_certs);
    Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None)
        .timeout_connect(Some(timeout))
        .timeout_per_read(Some(timeout))
        .timeout_per_write(Some(timeout))
        .tls_config(TlsConfig::builder().root_certs(roots).build())
        .user_agent(concat!("bitmodel/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// Whether a failed exchange is worth another attempt (the node may be restarting). A TLS
/// failure (an untrusted certificate, say) arrives as invalid data and is final.
pub fn retryable(e: &ureq::Error) -> bool {
    use std::io::ErrorKind as K;
    match e {
        ureq::Error::Io(io) => {
            !matches!(io.kind(), K::InvalidData | K::InvalidInput | K::Unsupported)
        }
        ureq::Error::ConnectionFailed | ureq::Error::Timeout(_) | ureq::Error::HostNotFound => true,
        _ => false,
    }
}

/// Sends one request and reads the whole reply.
pub fn exchange(
    agent: &Agent,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Reply, ureq::Error> {
    let mut req = http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut resp = if body.is_empty() && !matches!(method, "POST" | "PUT") {
        agent.run(req.body(())?)?
    } else {
        agent.run(req.body(body)?)?
    };
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = resp
        .body_mut()
        .with_config()
        .limit(MAX_REPLY)
        .read_to_vec()?;
    Ok(Reply {
        status,
        content_type,
        body,
    })
}

/// Standard base64 with padding (RFC 4648), for the Basic `Authorization` header.
pub fn base64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(super::base64(b""), "");
        assert_eq!(super::base64(b"f"), "Zg==");
        assert_eq!(super::base64(b"fo"), "Zm8=");
        assert_eq!(super::base64(b"foo"), "Zm9v");
        assert_eq!(super::base64(b"user:pass"), "dXNlcjpwYXNz");
    }
}
