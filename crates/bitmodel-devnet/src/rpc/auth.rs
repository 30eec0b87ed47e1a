//! bitcoind's RPC authentication: HTTP Basic with either a `--rpc-user`/`--rpc-password`
//! pair or the `__cookie__` user and a random password written to `<datadir>/.cookie`
//! (readable only by the owner), which is deleted again when the server stops.

use std::io::Read;
use std::path::{Path, PathBuf};

use base64::Engine as _;

use crate::error::DevnetError;

/// The user name of cookie authentication.
pub const COOKIE_USER: &str = "__cookie__";

/// Accepted credentials.
#[derive(Clone)]
pub struct Credentials {
    pub user: String,
    pub password: String,
}

impl Credentials {
    /// A fresh cookie: 32 random bytes from the OS as hex.
    pub fn new_cookie() -> Result<Credentials, DevnetError> {
        let mut bytes = [0u8; 32];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut bytes))
            .map_err(|source| DevnetError::Io {
                path: "/dev/urandom".into(),
                source,
            })?;
        Ok(Credentials {
            user: COOKIE_USER.into(),
            password: bytes.iter().map(|b| format!("{b:02x}")).collect(),
        })
    }

    /// Writes `user:password` to `<datadir>/.cookie`: created 0600 from the start (never
    /// readable by others, not even for a moment), as a new file (a symlink or file planted
    /// at the temporary name is refused, not followed), then renamed into place.
    pub fn write_cookie(&self, datadir: &Path) -> Result<PathBuf, DevnetError> {
        use std::io::Write;
        let path = datadir.join(".cookie");
        let io = |source| DevnetError::Io {
            path: path.display().to_string(),
            source,
        };
        let tmp = datadir.join(".cookie.tmp");
        // A temporary left by a crash is ours to remove (removing a symlink does not follow it).
        match std::fs::remove_file(&tmp) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
            _ => {}
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options.open(&tmp).map_err(io)?;
        f.write_all(format!("{}:{}", self.user, self.password).as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)?;
        Ok(path)
    }

    /// Does an `Authorization` header carry these credentials?
    pub fn check(&self, header: Option<&str>) -> bool {
        let Some(encoded) = header.and_then(|h| h.strip_prefix("Basic ")) else {
            return false;
        };
        let Some(decoded) = base64_decode(encoded.trim()) else {
            return false;
        };
        let expected = format!("{}:{}", self.user, self.password);
        // Compare in constant time over the expected length.
        decoded.len() == expected.len()
            && decoded
                .iter()
                .zip(expected.as_bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }

    /// The `Authorization` header value for these credentials.
    pub fn header(&self) -> String {
        format!(
            "Basic {}",
            base64_encode(format!("{}:{}", self.user, self.password).as_bytes())
        )
    }
}

/// Standard base64 with padding (RFC 4648), as HTTP Basic authentication uses it.
pub fn base64_encode(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        for s in ["", "a", "ab", "abc", "__cookie__:00ff", "user:pass"] {
            assert_eq!(
                base64_decode(&base64_encode(s.as_bytes())).as_deref(),
                Some(s.as_bytes())
            );
        }
        assert_eq!(base64_encode(b"user:pass"), "dXNlcjpwYXNz");
        let c = Credentials {
            user: "u".into(),
            password: "p".into(),
        };
        assert!(c.check(Some(&c.header())));
        assert!(!c.check(Some("Basic dTpx")));
        assert!(!c.check(None));
    }
}
