//! Content larger than one transaction. A record's body carries the first part of the
//! asset's file; each further part is its own Bitmodel inscription whose metadata is a
//! [`ChunkRef`] — `{"v": 1, "chunk_of": <asset id>, "index": n}` — and whose body is the part.
//! Indexers put parts 0 (the record's body), 1, 2, … together in order and check the result
//! against the record's `content.sha256` and `content.size`. A part for an unknown asset, a
//! repeated index, or a part past the declared size is kept as invalid, never used. A
//! version-2 record also commits to every part's SHA-256 and length ([`crate::record::Parts`]):
//! then only a part that matches its commitment is used — by whoever inscribed it — and any
//! other is ignored, so nobody can spoil another's file.

use ciborium::Value;

use crate::asset_id::AssetId;
use crate::record::{RecordError, RECORD_VERSION_1};

/// Body bytes per reveal transaction that keep it comfortably under the 400,000 WU standard
/// limit (witness bytes weigh 1, plus push overhead and the rest of the transaction).
pub const MAX_PART_BYTES: usize = 380_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkRef {
    pub asset: AssetId,
    /// 1, 2, …: part 0 is the record's own body.
    pub index: u32,
}

impl ChunkRef {
    pub fn to_cbor(&self) -> Vec<u8> {
        let map = Value::Map(vec![
            (
                Value::Text("v".into()),
                Value::Integer(RECORD_VERSION_1.into()),
            ),
            (
                Value::Text("chunk_of".into()),
                Value::Bytes(self.asset.to_bytes()),
            ),
            (
                Value::Text("index".into()),
                Value::Integer(self.index.into()),
            ),
        ]);
        let mut out = Vec::new();
        ciborium::into_writer(&map, &mut out).expect("writing CBOR into a Vec cannot fail");
        out
    }

    /// `None` if the metadata is not a chunk reference at all (no `chunk_of` key), so
    /// records and chunks never get confused; `Some(Err)` if it is one but malformed.
    pub fn from_cbor(bytes: &[u8]) -> Option<Result<ChunkRef, RecordError>> {
        let Ok(Value::Map(entries)) = ciborium::from_reader::<Value, _>(bytes) else {
            return None;
        };
        let get = |k: &str| {
            entries
                .iter()
                .find(|(key, _)| key.as_text() == Some(k))
                .map(|(_, v)| v.clone())
        };
        let of = get("chunk_of")?;
        Some((|| {
            let asset = match of {
                Value::Bytes(b) => AssetId::from_bytes(&b).map_err(|e| RecordError::BadValue {
                    field: "chunk_of",
                    message: e.to_string(),
                })?,
                _ => {
                    return Err(RecordError::WrongType {
                        field: "chunk_of",
                        expected: "a byte string",
                    })
                }
            };
            let index = match get("index") {
                Some(Value::Integer(i)) => u32::try_from(i).ok().filter(|i| *i >= 1),
                _ => None,
            }
            .ok_or(RecordError::WrongType {
                field: "index",
                expected: "a whole number from 1",
            })?;
            Ok(ChunkRef { asset, index })
        })())
    }
}

/// What one reveal carries besides its transaction: a part and the record's metadata (16 KiB
/// at most before wide records), each pushed in 520-byte pieces.
const REVEAL_PAYLOAD: usize = MAX_PART_BYTES + 16 * 1024;

/// The part size for a file inscribed with a record of `meta` bytes of metadata. Part 0 is
/// the record's own body and shares its reveal with the metadata, and the record commits to
/// one size for every part, so a wide record (up to 128 KiB of metadata) makes every part
/// shorter by what its metadata takes; records of up to 16 KiB keep `MAX_PART_BYTES`.
pub fn part_size(meta: usize) -> usize {
    // 520-byte pushes cost 3 bytes each, and the field's tag 2 more.
    let pushed = meta + meta.div_ceil(520) * 5;
    MAX_PART_BYTES.min(REVEAL_PAYLOAD.saturating_sub(pushed))
}

/// Splits a file into the record's body (part 0) and the further parts, of `size` bytes each
/// (the last holds the rest; [`part_size`] says which size fits beside the record).
pub fn parts_of(file: &[u8], size: usize) -> Vec<&[u8]> {
    if file.is_empty() {
        return vec![file];
    }
    file.chunks(size.max(1)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Record;
    use bitcoin::hashes::Hash;

    #[test]
    fn chunk_refs_round_trip_and_are_not_records() {
        let c = ChunkRef {
            asset: AssetId::new(bitcoin::Txid::from_byte_array([5; 32]), 1),
            index: 3,
        };
        let bytes = c.to_cbor();
        assert_eq!(ChunkRef::from_cbor(&bytes), Some(Ok(c)));
        assert!(Record::from_cbor(&bytes).is_err());
        let record_like =
            ciborium::Value::Map(vec![(Value::Text("v".into()), Value::Integer(1.into()))]);
        let mut out = Vec::new();
        ciborium::into_writer(&record_like, &mut out).unwrap();
        assert_eq!(ChunkRef::from_cbor(&out), None);
        let bad = ciborium::Value::Map(vec![(
            Value::Text("chunk_of".into()),
            Value::Integer(1.into()),
        )]);
        let mut out = Vec::new();
        ciborium::into_writer(&bad, &mut out).unwrap();
        assert!(matches!(ChunkRef::from_cbor(&out), Some(Err(_))));
    }

    #[test]
    fn a_wide_records_parts_leave_room_for_its_metadata() {
        assert_eq!(part_size(0), MAX_PART_BYTES);
        assert_eq!(part_size(16 * 1024 - 200), MAX_PART_BYTES);
        let meta = crate::record::MAX_RECORD_BYTES;
        let size = part_size(meta);
        assert!(size + meta + meta.div_ceil(520) * 5 <= REVEAL_PAYLOAD);
        assert!(size > 240_000, "{size}");
        let f = vec![2u8; size * 2 + 1];
        assert_eq!(parts_of(&f, size).len(), 3);
    }

    #[test]
    fn parts_cover_the_file() {
        let f = vec![1u8; MAX_PART_BYTES * 2 + 5];
        let p = parts_of(&f, MAX_PART_BYTES);
        assert_eq!(p.len(), 3);
        assert_eq!(p.concat(), f);
        assert_eq!(parts_of(&[], MAX_PART_BYTES).len(), 1);
    }
}
