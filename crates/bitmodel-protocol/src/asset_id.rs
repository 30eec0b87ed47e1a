//! Asset ids are ord inscription ids, so an asset's id and its inscription's id are the same
//! string in Bitmodel and in any ord explorer.

use std::fmt;
use std::str::FromStr;

use bitcoin::hashes::Hash;
use bitcoin::Txid;

/// `<txid>i<index>`: the reveal transaction and the envelope's index within it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AssetId {
    pub txid: Txid,
    pub index: u32,
}

/// Why a string or byte string is not an asset id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssetIdError {
    #[error("asset id '{0}' has no 'i' separator; expected <64 hex txid>i<index>, e.g. {ex}i0", ex = "0".repeat(64))]
    MissingSeparator(String),
    #[error("asset id '{0}' has a bad txid; expected 64 hex characters before the 'i'")]
    BadTxid(String),
    #[error("asset id '{0}' has a bad index; expected a whole number after the 'i'")]
    BadIndex(String),
    #[error("binary asset id is {0} bytes; expected 32 bytes of txid and 0 to 4 bytes of index")]
    BadLength(usize),
    #[error("binary asset id has a trailing zero byte in its index; the encoding is minimal")]
    NonMinimalIndex,
}

impl AssetId {
    pub fn new(txid: Txid, index: u32) -> Self {
        Self { txid, index }
    }

    /// The compact binary form used inside records: the txid in consensus byte order, then
    /// the index little-endian with trailing zero bytes dropped (ord's parent-tag encoding).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.txid.to_byte_array().to_vec();
        let le = self.index.to_le_bytes();
        let used = 4 - le.iter().rev().take_while(|b| **b == 0).count();
        out.extend_from_slice(&le[..used]);
        out
    }

    /// Inverse of [`AssetId::to_bytes`]; only the minimal encoding is accepted so that one
    /// id has one byte string (records compare parents by bytes).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AssetIdError> {
        if bytes.len() < 32 || bytes.len() > 36 {
            return Err(AssetIdError::BadLength(bytes.len()));
        }
        let txid =
            Txid::from_slice(&bytes[..32]).map_err(|_| AssetIdError::BadLength(bytes.len()))?;
        let tail = &bytes[32..];
        if tail.last() == Some(&0) {
            return Err(AssetIdError::NonMinimalIndex);
        }
        let mut le = [0u8; 4];
        le[..tail.len()].copy_from_slice(tail);
        Ok(Self {
            txid,
            index: u32::from_le_bytes(le),
        })
    }
}

impl fmt::Display for AssetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}i{}", self.txid, self.index)
    }
}

impl FromStr for AssetId {
    type Err = AssetIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (txid, index) = s
            .split_once('i')
            .ok_or_else(|| AssetIdError::MissingSeparator(s.to_string()))?;
        if txid.len() != 64 {
            return Err(AssetIdError::BadTxid(s.to_string()));
        }
        // These keep the input, not the parse error: the message already says what is wrong.
        let txid = Txid::from_str(txid).map_err(|_| AssetIdError::BadTxid(s.to_string()))?;
        if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AssetIdError::BadIndex(s.to_string()));
        }
        let index = index
            .parse()
            .map_err(|_| AssetIdError::BadIndex(s.to_string()))?;
        Ok(Self { txid, index })
    }
}

impl serde::Serialize for AssetId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for AssetId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(index: u32) -> AssetId {
        let txid =
            Txid::from_str("1111111111111111111111111111111111111111111111111111111111111111")
                .unwrap();
        AssetId::new(txid, index)
    }

    #[test]
    fn display_round_trips() {
        let a = id(7);
        assert_eq!(a.to_string(), format!("{}i7", "1".repeat(64)));
        assert_eq!(a.to_string().parse::<AssetId>().unwrap(), a);
    }

    #[test]
    fn bytes_are_minimal_and_round_trip() {
        for (index, len) in [
            (0, 32),
            (1, 33),
            (255, 33),
            (256, 34),
            (0x0100_0000, 36),
            (u32::MAX, 36),
        ] {
            let bytes = id(index).to_bytes();
            assert_eq!(bytes.len(), len, "index {index}");
            assert_eq!(AssetId::from_bytes(&bytes).unwrap(), id(index));
        }
        let mut padded = id(1).to_bytes();
        padded.push(0);
        assert_eq!(
            AssetId::from_bytes(&padded),
            Err(AssetIdError::NonMinimalIndex)
        );
        assert_eq!(
            AssetId::from_bytes(&[0; 31]),
            Err(AssetIdError::BadLength(31))
        );
    }

    #[test]
    fn bad_strings_name_the_problem() {
        assert!(matches!(
            "abc".parse::<AssetId>(),
            Err(AssetIdError::MissingSeparator(_))
        ));
        assert!(matches!(
            "abci0".parse::<AssetId>(),
            Err(AssetIdError::BadTxid(_))
        ));
        let s = format!("{}i-1", "1".repeat(64));
        assert!(matches!(
            s.parse::<AssetId>(),
            Err(AssetIdError::BadIndex(_))
        ));
        let s = format!("{}i", "1".repeat(64));
        assert!(matches!(
            s.parse::<AssetId>(),
            Err(AssetIdError::BadIndex(_))
        ));
    }
}
