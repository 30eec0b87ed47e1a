//! A blocking client for plain web APIs (Bitmodel's own REST API, WebDriver): the CLI's
//! `bitmodel infer`, the browser test and the server benchmark use it, so none of them needs
//! a second HTTP stack. It is the same ureq transport as the RPC client, with its kept-alive
//! connection pool; a request that finds a pooled connection closed by the server is sent
//! once more on a fresh one.

use std::time::Duration;

use crate::{transport, Error};

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
            Error::decode(format!(
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
    agent: ureq::Agent,
}

impl Web {
    /// `url` is `http(s)://host[:port][/base]`; request paths are appended to the base.
    pub fn new(url: &str) -> Result<Web, Error> {
        let (base, host) = crate::check_url(url)?;
        Ok(Web {
            host,
            base,
            agent: transport::agent(Duration::from_secs(60), None),
        })
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.agent = transport::agent(timeout, None);
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
        let mut attempt = 0;
        loop {
            match transport::exchange(&self.agent, method, &full, headers, body) {
                Ok(reply) => {
                    return Ok(Response {
                        status: reply.status,
                        content_type: reply.content_type,
                        body: reply.body,
                    })
                }
                // A pooled connection the server closed: try once more afresh.
                Err(ureq::Error::Io(_)) if attempt == 0 => attempt += 1,
                Err(source) if transport::retryable(&source) => {
                    return Err(Error::Unreachable {
                        addr: self.host.clone(),
                        attempts: attempt + 1,
                        source,
                    })
                }
                Err(source) => {
                    return Err(Error::Transport {
                        addr: self.host.clone(),
                        source,
                    })
                }
            }
        }
    }
}
