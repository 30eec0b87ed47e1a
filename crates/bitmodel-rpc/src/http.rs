//! A kept-alive HTTP/1.1 connection that posts JSON and reads `Content-Length` replies.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Largest reply accepted (a 4 MWU block at verbosity 2 is well below this).
const MAX_REPLY: usize = 256 * 1024 * 1024;

pub struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

pub struct Reply {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    pub keep_alive: bool,
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_owned())
}

impl Conn {
    pub fn connect(host: &str, timeout: Duration) -> io::Result<Conn> {
        let mut last = invalid("host resolved to no address");
        for addr in host.to_socket_addrs()? {
            match TcpStream::connect_timeout(&addr, timeout) {
                Ok(s) => {
                    s.set_read_timeout(Some(timeout))?;
                    s.set_write_timeout(Some(timeout))?;
                    s.set_nodelay(true)?;
                    return Ok(Conn {
                        writer: s.try_clone()?,
                        reader: BufReader::new(s),
                    });
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    pub fn post(
        &mut self,
        host: &str,
        path: &str,
        auth: Option<&str>,
        body: &[u8],
    ) -> io::Result<Reply> {
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(a) = auth {
            headers.push(("Authorization", a));
        }
        self.request("POST", host, path, &headers, body)
    }

    /// Sends one request (a body only when `body` is not empty or the method is POST) and
    /// reads the reply.
    pub fn request(
        &mut self,
        method: &str,
        host: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> io::Result<Reply> {
        let mut req =
            format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: keep-alive\r\n");
        if !body.is_empty() || method == "POST" || method == "PUT" {
            req.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        for (k, v) in headers {
            req.push_str(k);
            req.push_str(": ");
            req.push_str(v);
            req.push_str("\r\n");
        }
        req.push_str("\r\n");
        let mut out = req.into_bytes();
        out.extend_from_slice(body);
        self.writer.write_all(&out)?;
        self.writer.flush()?;

        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| invalid("malformed http status line"))?;
        let mut length: Option<usize> = None;
        let mut content_type = None;
        let mut keep_alive = line.starts_with("HTTP/1.1");
        loop {
            line.clear();
            if self.reader.read_line(&mut line)? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "connection closed",
                ));
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                let v = v.trim();
                match k.trim().to_ascii_lowercase().as_str() {
                    "content-length" => {
                        length = Some(v.parse().map_err(|_| invalid("bad content-length"))?)
                    }
                    "connection" => keep_alive = !v.eq_ignore_ascii_case("close"),
                    "content-type" => content_type = Some(v.to_owned()),
                    _ => {}
                }
            }
        }
        let no_body = status == 204 || status == 304 || (100..200).contains(&status);
        let body = match length {
            _ if no_body || method == "HEAD" => Vec::new(),
            Some(n) if n > MAX_REPLY => return Err(invalid("reply too large")),
            Some(n) => {
                let mut b = vec![0u8; n];
                self.reader.read_exact(&mut b)?;
                b
            }
            None => {
                keep_alive = false;
                let mut b = Vec::new();
                self.reader
                    .by_ref()
                    .take(MAX_REPLY as u64)
                    .read_to_end(&mut b)?;
                b
            }
        };
        Ok(Reply {
            status,
            content_type,
            body,
            keep_alive,
        })
    }
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
