//! What the RPC client's integration tests share: the scripted servers' side of HTTP.

use std::io::BufRead;

/// Reads one HTTP request (headers and a `Content-Length` body); its Authorization header
/// and its body. None at the end of the connection or on a request it cannot read.
pub fn read_request(r: &mut impl BufRead) -> Option<(Option<String>, Vec<u8>)> {
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let (mut len, mut auth) = (0usize, None);
    loop {
        line.clear();
        r.read_line(&mut line).ok()?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (k, v) = l.split_once(':')?;
        match k.to_ascii_lowercase().as_str() {
            "content-length" => len = v.trim().parse().ok()?,
            "authorization" => auth = Some(v.trim().to_owned()),
            _ => {}
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some((auth, body))
}
