//! The Bitmodel record: what an asset is, who owns it and which upstream assets it owes.
//!
//! It travels as CBOR in the metadata field (tag 5) of an ord envelope. The map has short
//! text keys so that any CBOR viewer (ord shows metadata) can read it, and a version `v` so
//! that the format can grow. Decoding is lenient in ord's way: unknown keys are reported as
//! flaws and ignored (newer writers may add fields), while anything that would change what
//! the record means — a wrong type, an unknown kind or relation, a duplicate top-level key, a
//! newer major version — makes it undecodable with a reason the indexer keeps. Inside the
//! `content` map a repeated key is not refused: its last value wins, as every version of
//! this decoder has read it (refusing it now would change the validity of records already
//! on chain).

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use bitcoin::ScriptBuf;
use ciborium::Value;
use serde::{Deserialize, Serialize};

use crate::asset_id::{AssetId, AssetIdError};

/// The newest record format version this code writes and reads. Version 3 adds payees
/// (parents that are payout scripts, [`Payee`]); version 2 the commitments to a file's parts
/// ([`Parts`]). A record is written with the lowest version that can say it — without payees
/// or parts as version 1, byte for byte as before — and every older version still decodes.
pub const RECORD_VERSION: u64 = 3;
/// The version that added part commitments.
pub const RECORD_VERSION_2: u64 = 2;
/// The first record format version (still read, and written for records without parts).
pub const RECORD_VERSION_1: u64 = 1;

/// Metadata larger than this is refused before decoding: it bounds memory per envelope
/// (the asset's file goes in the body, not here). A record of [`crate::MAX_MEMBERS`]
/// members with the longest relations and scripts is about 58 KB, so every valid record
/// fits one reveal: 128 KiB of witness is about 33,000 vB, a third of a standard
/// transaction (`docs/adr/0006-wide-records-in-one-reveal.md`).
pub const MAX_RECORD_BYTES: usize = 128 * 1024;
/// The content type Bitmodel writes for ONNX models (IANA has none registered; this is the
/// spelling ONNX's own tools and the demo use).
pub const ONNX_CONTENT_TYPE: &str = "application/onnx";
/// Whether `ct` names an ONNX model: [`ONNX_CONTENT_TYPE`], or `application/x-onnx`, which
/// earlier `register`s wrote for `.onnx` files.
pub fn is_onnx_content_type(ct: &str) -> bool {
    let base = ct.split(';').next().unwrap_or("").trim();
    base.eq_ignore_ascii_case(ONNX_CONTENT_TYPE) || base.eq_ignore_ascii_case("application/x-onnx")
}

macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident, $err:literal { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let lower = s.trim().to_ascii_lowercase();
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == lower)
                    .ok_or_else(|| {
                        let names: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                        format!(concat!("unknown ", $err, " '{}'; expected one of: {}"), s, names.join(", "))
                    })
            }
        }
    };
}

named_enum!(
    /// What kind of AI asset a record registers.
    Kind, "kind" {
        Model = "model",
        Dataset = "dataset",
        Algorithm = "algorithm",
        Paper = "paper",
        Code = "code",
        Agent = "agent",
    }
);

named_enum!(
    /// How a child asset builds on a parent.
    Relation, "relation" {
        Finetune = "finetune",
        Adapter = "adapter",
        Merge = "merge",
        Quantized = "quantized",
        Distill = "distill",
        Dataset = "dataset",
        Architecture = "architecture",
        Algorithm = "algorithm",
        Cites = "cites",
        Author = "author",
        Contributor = "contributor",
    }
);

impl Relation {
    /// Relations record format version 3 added (for payees: people, not assets). A record
    /// using one is written as version 3; in an older record one is refused, as an older
    /// reader refuses it.
    pub fn since_v3(self) -> bool {
        matches!(self, Relation::Author | Relation::Contributor)
    }
}

/// One C-Flow edge as the child's record states it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parent {
    pub asset: AssetId,
    /// Basis points of every distribution that this parent receives (1..=10000).
    pub weight: u16,
    pub relation: Relation,
}

/// A contributor paid directly: a payout script (an address) with a weight, not an asset. Its
/// share goes to the script; there is no vault and nothing further upstream. Record format
/// version 3: an older reader refuses the record (a newer version) rather than ignore payees
/// and compute another vault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payee {
    pub script: ScriptBuf,
    /// Basis points of every distribution that this payee receives (1..=10000).
    pub weight: u16,
    pub relation: Relation,
}

/// Where the asset's content is and how to check it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Content {
    /// SHA-256 of the complete file, whether on chain (body, maybe chunked) or off chain.
    #[serde(with = "hex32")]
    pub sha256: [u8; 32],
    /// Size in bytes of the complete file.
    pub size: u64,
    /// Where else the file can be fetched (https, ipfs, hf:// …); may be empty.
    pub uris: Vec<String>,
    /// Version 2: what each on-chain part must be, so a part inscribed by anyone else that
    /// does not match is ignored instead of spoiling the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parts: Option<Parts>,
}

/// The commitment of a record (version 2) to the parts its file is inscribed in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parts {
    /// Bytes in every part but the last (which holds the rest).
    pub size: u32,
    /// SHA-256 of each part, part 0 (the record's body) first.
    #[serde(with = "hex32_list")]
    pub sha256: Vec<[u8; 32]>,
}

impl Parts {
    /// The commitments for `file` cut into parts of `size` bytes.
    pub fn of(file: &[u8], size: usize) -> Parts {
        use bitcoin::hashes::{sha256, Hash};
        let chunks: Vec<&[u8]> = if file.is_empty() {
            vec![file]
        } else {
            file.chunks(size).collect()
        };
        Parts {
            size: size as u32,
            sha256: chunks
                .iter()
                .map(|c| sha256::Hash::hash(c).to_byte_array())
                .collect(),
        }
    }

    /// How many parts a file of `total` bytes has at this part size.
    pub fn count_for(&self, total: u64) -> u64 {
        if total == 0 {
            1
        } else {
            total.div_ceil(u64::from(self.size.max(1)))
        }
    }

    /// The length part `i` must have in a file of `total` bytes; `None` past the last.
    pub fn expected_len(&self, total: u64, i: u32) -> Option<u64> {
        let size = u64::from(self.size.max(1));
        let start = u64::from(i) * size;
        (u64::from(i) < self.count_for(total)).then(|| (total - start.min(total)).min(size))
    }
}

/// A decoded Bitmodel record (any format version).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub kind: Kind,
    pub name: String,
    pub version: String,
    /// An SPDX license expression, e.g. `Apache-2.0` or `MIT OR Apache-2.0`.
    pub license: String,
    pub content: Option<Content>,
    /// The owner's payout scriptPubKey: the remainder of every distribution goes here.
    pub owner: ScriptBuf,
    /// The most a distribution may spend on its fee, in sats.
    pub fee_cap: u64,
    /// Sats per paid inference call, for models served by the gateway.
    pub price: Option<u64>,
    pub parents: Vec<Parent>,
    /// Payees, paid after the parents (their weights count in the same 10000).
    #[serde(default)]
    pub payees: Vec<Payee>,
}

/// A non-fatal oddity met while decoding; the record is still usable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Flaw {
    /// A key this version does not know; ignored.
    UnknownField(String),
}

/// Why metadata is not a Bitmodel record.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("record metadata is {0} bytes; at most {MAX_RECORD_BYTES} are allowed")]
    TooLarge(usize),
    #[error("record metadata is not valid CBOR: {0}")]
    NotCbor(String),
    #[error("record metadata must be a CBOR map with text keys, found {0}")]
    NotAMap(&'static str),
    #[error("record field '{0}' appears twice; each field may appear once")]
    DuplicateField(String),
    #[error("record field '{0}' is missing")]
    MissingField(&'static str),
    #[error("record field '{field}' must be {expected}")]
    WrongType {
        field: &'static str,
        expected: &'static str,
    },
    #[error("record version {0} is not supported; this software reads versions {RECORD_VERSION_1} to {RECORD_VERSION}")]
    UnsupportedVersion(u64),
    #[error("record field '{field}': {message}")]
    BadValue {
        field: &'static str,
        message: String,
    },
    #[error("parent {index}: {source}")]
    BadParentId { index: usize, source: AssetIdError },
}

impl Record {
    /// The CBOR bytes for an envelope's metadata field. Keys come in a fixed order so that
    /// the same record always has the same bytes (golden vectors pin them).
    pub fn to_cbor(&self) -> Vec<u8> {
        let text = |s: &str| Value::Text(s.to_string());
        let v2 = self.content.as_ref().is_some_and(|c| c.parts.is_some());
        let v3 = !self.payees.is_empty() || self.parents.iter().any(|p| p.relation.since_v3());
        let v = if v3 {
            RECORD_VERSION
        } else if v2 {
            RECORD_VERSION_2
        } else {
            RECORD_VERSION_1
        };
        let mut map = vec![
            (text("v"), Value::Integer(v.into())),
            (text("kind"), text(self.kind.as_str())),
            (text("name"), text(&self.name)),
            (text("version"), text(&self.version)),
            (text("license"), text(&self.license)),
        ];
        if let Some(content) = &self.content {
            let mut c = vec![
                (text("sha256"), Value::Bytes(content.sha256.to_vec())),
                (text("size"), Value::Integer(content.size.into())),
                (
                    text("uris"),
                    Value::Array(content.uris.iter().map(|u| text(u)).collect()),
                ),
            ];
            if let Some(parts) = &content.parts {
                c.push((text("part_size"), Value::Integer(parts.size.into())));
                c.push((
                    text("parts"),
                    Value::Array(
                        parts
                            .sha256
                            .iter()
                            .map(|h| Value::Bytes(h.to_vec()))
                            .collect(),
                    ),
                ));
            }
            map.push((text("content"), Value::Map(c)));
        }
        map.push((text("owner"), Value::Bytes(self.owner.to_bytes())));
        map.push((text("fee_cap"), Value::Integer(self.fee_cap.into())));
        if let Some(price) = self.price {
            map.push((text("price"), Value::Integer(price.into())));
        }
        let parents = self
            .parents
            .iter()
            .map(|p| {
                Value::Array(vec![
                    Value::Bytes(p.asset.to_bytes()),
                    Value::Integer(p.weight.into()),
                    text(p.relation.as_str()),
                ])
            })
            .collect();
        map.push((text("parents"), Value::Array(parents)));
        if !self.payees.is_empty() {
            let payees = self
                .payees
                .iter()
                .map(|p| {
                    Value::Array(vec![
                        Value::Bytes(p.script.to_bytes()),
                        Value::Integer(p.weight.into()),
                        text(p.relation.as_str()),
                    ])
                })
                .collect();
            map.push((text("payees"), Value::Array(payees)));
        }
        let mut out = Vec::new();
        ciborium::into_writer(&Value::Map(map), &mut out)
            .expect("writing CBOR into a Vec cannot fail");
        out
    }

    /// Decodes metadata bytes. Never panics; see the module doc for what is lenient.
    pub fn from_cbor(bytes: &[u8]) -> Result<(Record, Vec<Flaw>), RecordError> {
        if bytes.len() > MAX_RECORD_BYTES {
            return Err(RecordError::TooLarge(bytes.len()));
        }
        // Text, not a source: RecordError is Clone + Eq (compared whole, and its message is
        // what the index stores as `Invalid::Undecodable`); ciborium's error is neither.
        let value: Value =
            ciborium::from_reader(bytes).map_err(|e| RecordError::NotCbor(e.to_string()))?;
        let entries = match value {
            Value::Map(entries) => entries,
            other => return Err(RecordError::NotAMap(type_name(&other))),
        };
        let mut fields = Fields::default();
        let mut flaws = Vec::new();
        let mut seen = BTreeSet::new();
        for (key, value) in entries {
            let Value::Text(key) = key else {
                return Err(RecordError::NotAMap("a map with a non-text key"));
            };
            if !seen.insert(key.clone()) {
                return Err(RecordError::DuplicateField(key));
            }
            match key.as_str() {
                "v" => fields.v = Some(value),
                "kind" => fields.kind = Some(value),
                "name" => fields.name = Some(value),
                "version" => fields.version = Some(value),
                "license" => fields.license = Some(value),
                "content" => fields.content = Some(value),
                "owner" => fields.owner = Some(value),
                "fee_cap" => fields.fee_cap = Some(value),
                "price" => fields.price = Some(value),
                "parents" => fields.parents = Some(value),
                "payees" => fields.payees = Some(value),
                _ => flaws.push(Flaw::UnknownField(key)),
            }
        }
        // Before version 3 a "payees" key means nothing: report it as a reader of that
        // version would.
        let older = matches!(&fields.v, Some(Value::Integer(v)) if u64::try_from(*v).is_ok_and(|v| v < RECORD_VERSION));
        if older && fields.payees.is_some() {
            flaws.push(Flaw::UnknownField("payees".into()));
        }
        Ok((fields.into_record()?, flaws))
    }
}

#[derive(Default)]
struct Fields {
    v: Option<Value>,
    kind: Option<Value>,
    name: Option<Value>,
    version: Option<Value>,
    license: Option<Value>,
    content: Option<Value>,
    owner: Option<Value>,
    fee_cap: Option<Value>,
    price: Option<Value>,
    parents: Option<Value>,
    payees: Option<Value>,
}

impl Fields {
    fn into_record(self) -> Result<Record, RecordError> {
        let v = uint("v", required("v", self.v)?)?;
        if !(RECORD_VERSION_1..=RECORD_VERSION).contains(&v) {
            return Err(RecordError::UnsupportedVersion(v));
        }
        let kind = parse_named("kind", required("kind", self.kind)?)?;
        let name = text("name", required("name", self.name)?)?;
        let version = self
            .version
            .map(|v| text("version", v))
            .transpose()?
            .unwrap_or_default();
        let license = self
            .license
            .map(|v| text("license", v))
            .transpose()?
            .unwrap_or_default();
        let content = self.content.map(|c| content(c, v)).transpose()?;
        let owner = ScriptBuf::from_bytes(bytes("owner", required("owner", self.owner)?)?);
        let fee_cap = uint("fee_cap", required("fee_cap", self.fee_cap)?)?;
        let price = self.price.map(|v| uint("price", v)).transpose()?;
        let parents = match self.parents {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| parent(i, v))
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(wrong(
                    "parents",
                    "an array of [asset id bytes, weight, relation]",
                ))
            }
        };
        if v < RECORD_VERSION {
            if let Some(p) = parents.iter().find(|p: &&Parent| p.relation.since_v3()) {
                return Err(RecordError::BadValue {
                    field: "parents.relation",
                    message: format!(
                        "'{}' exists from record version {RECORD_VERSION}; this record is version {v}",
                        p.relation
                    ),
                });
            }
        }
        // Payees exist from version 3; in an older record the key is unknown (and ignored, as
        // an older reader ignored it).
        let payees = match self.payees {
            Some(Value::Array(items)) if v >= RECORD_VERSION => {
                items.into_iter().map(payee).collect::<Result<_, _>>()?
            }
            Some(_) if v >= RECORD_VERSION => {
                return Err(wrong(
                    "payees",
                    "an array of [payout script bytes, weight, relation]",
                ))
            }
            _ => Vec::new(),
        };
        Ok(Record {
            kind,
            name,
            version,
            license,
            content,
            owner,
            fee_cap,
            price,
            parents,
            payees,
        })
    }
}

fn required(field: &'static str, v: Option<Value>) -> Result<Value, RecordError> {
    v.ok_or(RecordError::MissingField(field))
}

fn wrong(field: &'static str, expected: &'static str) -> RecordError {
    RecordError::WrongType { field, expected }
}

fn uint(field: &'static str, v: Value) -> Result<u64, RecordError> {
    match v {
        Value::Integer(i) => {
            u64::try_from(i).map_err(|_| wrong(field, "an unsigned integer below 2^64"))
        }
        _ => Err(wrong(field, "an unsigned integer")),
    }
}

fn text(field: &'static str, v: Value) -> Result<String, RecordError> {
    match v {
        Value::Text(s) => Ok(s),
        _ => Err(wrong(field, "a text string")),
    }
}

fn bytes(field: &'static str, v: Value) -> Result<Vec<u8>, RecordError> {
    match v {
        Value::Bytes(b) => Ok(b),
        _ => Err(wrong(field, "a byte string")),
    }
}

fn parse_named<T: FromStr<Err = String>>(field: &'static str, v: Value) -> Result<T, RecordError> {
    text(field, v)?
        .parse()
        .map_err(|message| RecordError::BadValue { field, message })
}

/// The content map; part commitments only count in version 2 (a version-1 reader ignored
/// them, so honouring them there would split indexers). A repeated key's last value wins
/// (see the module docs).
fn content(v: Value, version: u64) -> Result<Content, RecordError> {
    let Value::Map(entries) = v else {
        return Err(wrong("content", "a map with sha256, size and uris"));
    };
    let (mut sha256, mut size, mut uris) = (None, None, Vec::new());
    let (mut part_size, mut part_hashes) = (None, None);
    for (key, value) in entries {
        match key.as_text() {
            Some("sha256") => {
                let b = bytes("content.sha256", value)?;
                let arr: [u8; 32] = b.as_slice().try_into().map_err(|_| RecordError::BadValue {
                    field: "content.sha256",
                    message: format!("is {} bytes; a SHA-256 digest is 32 bytes", b.len()),
                })?;
                sha256 = Some(arr);
            }
            Some("size") => size = Some(uint("content.size", value)?),
            Some("uris") => {
                let Value::Array(items) = value else {
                    return Err(wrong("content.uris", "an array of text strings"));
                };
                uris = items
                    .into_iter()
                    .map(|u| text("content.uris", u))
                    .collect::<Result<_, _>>()?;
            }
            Some("part_size") if version >= RECORD_VERSION_2 => {
                let n = uint("content.part_size", value)?;
                part_size = Some(u32::try_from(n).map_err(|_| RecordError::BadValue {
                    field: "content.part_size",
                    message: format!("{n} does not fit 32 bits"),
                })?);
            }
            Some("parts") if version >= RECORD_VERSION_2 => {
                let Value::Array(items) = value else {
                    return Err(wrong(
                        "content.parts",
                        "an array of 32-byte SHA-256 digests",
                    ));
                };
                let mut hashes = Vec::with_capacity(items.len());
                for item in items {
                    let b = bytes("content.parts", item)?;
                    hashes.push(<[u8; 32]>::try_from(b.as_slice()).map_err(|_| {
                        RecordError::BadValue {
                            field: "content.parts",
                            message: format!("a digest of {} bytes; each is 32", b.len()),
                        }
                    })?);
                }
                part_hashes = Some(hashes);
            }
            // Unknown content keys are ignored like unknown record keys.
            _ => {}
        }
    }
    let parts = match (part_size, part_hashes) {
        (Some(size), Some(sha256)) => Some(Parts { size, sha256 }),
        (None, None) => None,
        (None, Some(_)) => return Err(RecordError::MissingField("content.part_size")),
        (Some(_), None) => return Err(RecordError::MissingField("content.parts")),
    };
    Ok(Content {
        sha256: sha256.ok_or(RecordError::MissingField("content.sha256"))?,
        size: size.ok_or(RecordError::MissingField("content.size"))?,
        uris,
        parts,
    })
}

fn parent(index: usize, v: Value) -> Result<Parent, RecordError> {
    let Value::Array(items) = v else {
        return Err(wrong(
            "parents",
            "an array of [asset id bytes, weight, relation]",
        ));
    };
    let [id, weight, relation]: [Value; 3] = items.try_into().map_err(|_| {
        wrong(
            "parents",
            "an array of [asset id bytes, weight, relation] triples",
        )
    })?;
    let asset = AssetId::from_bytes(&bytes("parents.asset", id)?)
        .map_err(|source| RecordError::BadParentId { index, source })?;
    let (weight, relation) =
        weight_and_relation(("parents.weight", "parents.relation"), weight, relation)?;
    Ok(Parent {
        asset,
        weight,
        relation,
    })
}

/// The weight (1..=10000 fits 16 bits; the range itself is a validation rule) and the
/// relation of a parent or payee triple.
fn weight_and_relation(
    (weight_field, relation_field): (&'static str, &'static str),
    weight: Value,
    relation: Value,
) -> Result<(u16, Relation), RecordError> {
    let w = uint(weight_field, weight)?;
    let w = u16::try_from(w).map_err(|_| RecordError::BadValue {
        field: weight_field,
        message: format!("{w} is out of range; a weight is 1..=10000 basis points"),
    })?;
    Ok((w, parse_named(relation_field, relation)?))
}

fn payee(v: Value) -> Result<Payee, RecordError> {
    let expected = "an array of [payout script bytes, weight, relation] triples";
    let Value::Array(items) = v else {
        return Err(wrong("payees", expected));
    };
    let [script, weight, relation]: [Value; 3] =
        items.try_into().map_err(|_| wrong("payees", expected))?;
    let script = ScriptBuf::from_bytes(bytes("payees.script", script)?);
    let (weight, relation) =
        weight_and_relation(("payees.weight", "payees.relation"), weight, relation)?;
    Ok(Payee {
        script,
        weight,
        relation,
    })
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Integer(_) => "an integer",
        Value::Bytes(_) => "a byte string",
        Value::Float(_) => "a float",
        Value::Text(_) => "a text string",
        Value::Bool(_) => "a boolean",
        Value::Null => "null",
        Value::Tag(..) => "a tagged value",
        Value::Array(_) => "an array",
        Value::Map(_) => "a map",
        _ => "an unknown CBOR value",
    }
}

mod hex32_list {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &[[u8; 32]], s: S) -> Result<S::Ok, S::Error> {
        let hex: Vec<String> = v
            .iter()
            .map(|h| h.iter().map(|b| format!("{b:02x}")).collect())
            .collect();
        hex.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<[u8; 32]>, D::Error> {
        let list = Vec::<String>::deserialize(d)?;
        list.iter()
            .map(|s| {
                if s.len() != 64 || !s.is_ascii() {
                    return Err(serde::de::Error::custom("expected 64 hex characters"));
                }
                let mut out = [0u8; 32];
                for (i, byte) in out.iter_mut().enumerate() {
                    *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16)
                        .map_err(serde::de::Error::custom)?;
                }
                Ok(out)
            })
            .collect()
    }
}

mod hex32 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        let hex: String = v.iter().map(|b| format!("{b:02x}")).collect();
        s.serialize_str(&hex)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let s = String::deserialize(d)?;
        if s.len() != 64 || !s.is_ascii() {
            return Err(serde::de::Error::custom("expected 64 hex characters"));
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte =
                u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(serde::de::Error::custom)?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod content_type_tests {
    use super::*;

    #[test]
    fn onnx_is_one_content_type_with_its_legacy_spelling() {
        assert!(is_onnx_content_type(ONNX_CONTENT_TYPE));
        assert!(is_onnx_content_type("application/x-onnx"));
        assert!(is_onnx_content_type("Application/ONNX; charset=binary"));
        assert!(!is_onnx_content_type("application/onnxfoo"));
        assert!(!is_onnx_content_type("text/plain; note=onnx"));
    }
}
