//! A blocking HTTP/1.1 client for plain web APIs (Bitmodel's own REST API, WebDriver): the
//! CLI's `bitmodel infer`, the browser test and the server benchmark use it, so none of
//! them needs a second HTTP stack. One kept-alive connection per client; a request that
//! finds the connection closed by the server is sent once more on a fresh one.

use std::sync::Mutex;
use std::time::Duration;

use crate::http::Conn;
use crate::Error;

/// A reply: status, content type and body.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl Response {
    /// The body as JSON (problem details included).
    pub fn json(&self) -> Result<serde_json::Value, Error> {
        serde_json::from_slice(&self.body).map_err(|e| {
            Error::Decode(format!(
                "http {} reply is not json ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body[..self.body.len().min(200)])
            ))
        })
    }
}

pub struct Web {
    host: String,
    base: String,
    timeout: Duration,
    conn: Mutex<Option<Conn>>,
}

impl Web {
    /// `url` is `http://host:port[/base]`; request paths are appended to the base.
    pub fn new(url: &str) -> Result<Web, Error> {
        let (host, base) = crate::split_url(url)?;
        let base = base.trim_end_matches('/');
        Ok(Web {
            host: host.to_owned(),
            base: base.to_owned(),
            timeout: Duration::from_secs(60),
            conn: Mutex::new(None),
        })
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn get(&self, path: &str) -> Result<Response, Error> {
        self.request("GET", path, &[], &[])
    }

    pub fn post_json(&self, path: &str, body: &serde_json::Value) -> Result<Response, Error> {
        let body = serde_json::to_vec(body).expect("json values serialise");
        self.request("POST", path, &[("Content-Type", "application/json")], &body)
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Response, Error> {
        let full = format!("{}{path}", self.base);
        let mut guard = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let mut attempt = 0;
        loop {
            let reused = guard.is_some();
            let result = (|| {
                if guard.is_none() {
                    *guard = Some(Conn::connect(&self.host, self.timeout)?);
                }
                let conn = guard.as_mut().expect("connected above");
                conn.request(method, &self.host, &full, headers, body)
            })();
            match result {
                Ok(reply) => {
                    if !reply.keep_alive {
                        *guard = None;
                    }
                    return Ok(Response {
                        status: reply.status,
                        content_type: reply.content_type,
                        body: reply.body,
                    });
                }
                Err(e) => {
                    *guard = None;
                    // A kept-alive connection the server closed: try once more afresh.
                    if reused && attempt == 0 {
                        attempt += 1;
                        continue;
                    }
                    return Err(Error::Unreachable {
                        addr: self.host.clone(),
                        attempts: attempt + 1,
                        source: e,
                    });
                }
            }
        }
    }
}
