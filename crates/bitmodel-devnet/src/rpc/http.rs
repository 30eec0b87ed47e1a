//! Just enough HTTP/1.1 for JSON-RPC: one `POST` with a `Content-Length` body per request,
//! keep-alive by default, hard limits on header and body sizes so a hostile or broken client
//! gets an error response instead of exhausting memory.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;

/// Largest request body accepted (a maximal block is 8 MB as hex, plus JSON framing).
pub const MAX_BODY: usize = 32 * 1024 * 1024;
/// Largest request head (request line plus headers).
const MAX_HEAD: usize = 16 * 1024;

pub struct Request {
    pub method: String,
    pub authorization: Option<String>,
    pub keep_alive: bool,
    pub body: Vec<u8>,
}

/// Why a request could not be read.
pub enum ReadError {
    /// The connection closed (or timed out) between requests.
    Closed,
    /// The request is malformed; answer with this status and message, then close.
    Bad(u16, &'static str),
    /// The credentials are wrong or missing (the body was not read).
    Unauthorized,
}

impl From<io::Error> for ReadError {
    fn from(_: io::Error) -> Self {
        ReadError::Closed
    }
}

fn read_line(r: &mut BufReader<TcpStream>, budget: &mut usize) -> Result<String, ReadError> {
    let mut line = Vec::new();
    let n = r
        .by_ref()
        .take(*budget as u64 + 1)
        .read_until(b'\n', &mut line)?;
    if n == 0 {
        return Err(ReadError::Closed);
    }
    if n > *budget {
        return Err(ReadError::Bad(431, "request header too large"));
    }
    *budget -= n;
    while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        line.pop();
    }
    String::from_utf8(line).map_err(|_| ReadError::Bad(400, "request header is not utf-8"))
}

/// Time a request may take from its first line to its last body byte: a client trickling
/// bytes under the per-read timeout cannot hold a connection slot longer.
pub const REQUEST_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);

/// Sets the socket's read timeout to what is left until `deadline`.
fn until(r: &BufReader<TcpStream>, deadline: std::time::Instant) -> Result<(), ReadError> {
    let left = deadline.saturating_duration_since(std::time::Instant::now());
    if left.is_zero() {
        return Err(ReadError::Bad(408, "request took too long"));
    }
    r.get_ref().set_read_timeout(Some(left))?;
    Ok(())
}

/// Reads one request from a keep-alive connection. `authorized` sees the `Authorization`
/// header before any body byte is read: an unauthenticated client cannot make the server
/// read (or allocate) a body.
pub fn read_request(
    r: &mut BufReader<TcpStream>,
    idle: std::time::Duration,
    authorized: impl Fn(Option<&str>) -> bool,
) -> Result<Request, ReadError> {
    let mut budget = MAX_HEAD;
    r.get_ref().set_read_timeout(Some(idle))?;
    let mut start = read_line(r, &mut budget)?;
    let deadline = std::time::Instant::now() + REQUEST_DEADLINE;
    while start.is_empty() {
        until(r, deadline)?;
        start = read_line(r, &mut budget)?; // tolerate stray CRLF between requests
    }
    let mut parts = start.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let version = parts.nth(1).unwrap_or_default().to_owned();
    if !version.starts_with("HTTP/1.") {
        return Err(ReadError::Bad(400, "expected an HTTP/1.x request line"));
    }
    let mut keep_alive = version == "HTTP/1.1";
    let mut length: Option<usize> = None;
    let mut authorization = None;
    let mut expect_continue = false;
    loop {
        until(r, deadline)?;
        let line = read_line(r, &mut budget)?;
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(ReadError::Bad(400, "malformed header line"));
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => {
                length = Some(
                    value
                        .parse()
                        .map_err(|_| ReadError::Bad(400, "content-length is not a number"))?,
                )
            }
            "authorization" => authorization = Some(value.to_owned()),
            "expect" => expect_continue = value.eq_ignore_ascii_case("100-continue"),
            "connection" => {
                let v = value.to_ascii_lowercase();
                if v.contains("close") {
                    keep_alive = false;
                } else if v.contains("keep-alive") {
                    keep_alive = true;
                }
            }
            "transfer-encoding" => {
                return Err(ReadError::Bad(
                    411,
                    "chunked bodies are not supported; send content-length",
                ))
            }
            _ => {}
        }
    }
    if !authorized(authorization.as_deref()) {
        return Err(ReadError::Unauthorized);
    }
    let length = length.unwrap_or(0);
    if length > MAX_BODY {
        return Err(ReadError::Bad(413, "request body too large"));
    }
    if expect_continue && length > 0 {
        // curl sends large bodies only after this (or after a one-second wait).
        r.get_mut().write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    // The body in pieces, each read within what is left of the deadline.
    let mut body = Vec::with_capacity(length.min(1 << 20));
    while body.len() < length {
        until(r, deadline)?;
        let want = (length - body.len()).min(64 * 1024);
        let got = r.by_ref().take(want as u64).read_to_end(&mut body)?;
        if got == 0 {
            return Err(ReadError::Closed);
        }
    }
    Ok(Request {
        method,
        authorization,
        keep_alive,
        body,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// Writes a response; `body` is JSON unless empty.
pub fn write_response(
    w: &mut TcpStream,
    status: u16,
    body: &[u8],
    keep_alive: bool,
    extra_header: Option<&str>,
) -> io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: {}\r\n",
        reason(status),
        body.len(),
        if keep_alive { "keep-alive" } else { "close" }
    );
    if let Some(h) = extra_header {
        head.push_str(h);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    w.write_all(&out)?;
    w.flush()
}
