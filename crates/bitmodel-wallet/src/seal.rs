//! The mnemonic at rest, optionally under a passphrase: Argon2id (the crate's default
//! parameters) derives a 256-bit key from the passphrase and a random 16-byte salt, and
//! ChaCha20-Poly1305 seals the words with a random 12-byte nonce. Stored as
//! `salt ‖ nonce ‖ ciphertext+tag`; a wrong passphrase fails the tag and is reported as such.

use argon2::Argon2;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::ChaCha20Poly1305;

const SALT: usize = 16;
const NONCE: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("the wallet passphrase is wrong (or the sealed mnemonic is damaged)")]
    WrongPassphrase,
    #[error("deriving the sealing key from the passphrase failed")]
    Kdf(#[source] argon2::Error),
    /// ChaCha20-Poly1305 refused to encrypt (its error carries nothing more).
    #[error("sealing the mnemonic failed: the cipher refused it")]
    Cipher,
    #[error("no system randomness for the salt and nonce")]
    Random(#[source] std::io::Error),
}

fn key(passphrase: &str, salt: &[u8]) -> Result<[u8; 32], SealError> {
    let mut key = [0u8; 32];
    Argon2::default()
        .hash_password_into(passphrase.as_bytes(), salt, &mut key)
        .map_err(SealError::Kdf)?;
    Ok(key)
}

/// Seals `secret` under `passphrase`; `random` fills the salt and nonce.
pub fn seal(
    secret: &[u8],
    passphrase: &str,
    random: impl FnOnce(&mut [u8]) -> std::io::Result<()>,
) -> Result<Vec<u8>, SealError> {
    let mut head = [0u8; SALT + NONCE];
    random(&mut head).map_err(SealError::Random)?;
    let k = key(passphrase, &head[..SALT])?;
    let cipher = ChaCha20Poly1305::new(&k.into());
    let nonce: [u8; NONCE] = head[SALT..].try_into().expect("12 bytes");
    let sealed = cipher
        .encrypt(&nonce.into(), secret)
        .map_err(|_| SealError::Cipher)?;
    Ok([head.as_slice(), &sealed].concat())
}

/// Opens what [`seal`] made.
pub fn open(sealed: &[u8], passphrase: &str) -> Result<Vec<u8>, SealError> {
    if sealed.len() < SALT + NONCE + 16 {
        return Err(SealError::WrongPassphrase);
    }
    let k = key(passphrase, &sealed[..SALT])?;
    let cipher = ChaCha20Poly1305::new(&k.into());
    let nonce: [u8; NONCE] = sealed[SALT..SALT + NONCE].try_into().expect("12 bytes");
    cipher
        .decrypt(&nonce.into(), &sealed[SALT + NONCE..])
        .map_err(|_| SealError::WrongPassphrase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_words_open_with_the_passphrase_only() {
        let fill = |b: &mut [u8]| {
            b.iter_mut().enumerate().for_each(|(i, x)| *x = i as u8 * 7);
            Ok(())
        };
        let words = b"abandon abandon about";
        let s = seal(words, "correct horse", fill).unwrap();
        assert!(!s.windows(7).any(|w| w == b"abandon"), "not in the clear");
        assert_eq!(open(&s, "correct horse").unwrap(), words);
        assert!(matches!(open(&s, "wrong"), Err(SealError::WrongPassphrase)));
        let mut bad = s.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(matches!(
            open(&bad, "correct horse"),
            Err(SealError::WrongPassphrase)
        ));
    }
}
