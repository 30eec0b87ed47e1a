//! The rules every indexer applies before a record becomes an asset. They are consensus for
//! Bitmodel: two indexers that disagree here disagree about who is owed money, so each rule
//! is simple, local and deterministic. An invalid record is kept by the indexer with the
//! [`Invalid`] reason; it is never silently dropped.
//!
//! Parents must be registered strictly earlier in chain order. Because edges are fixed at
//! registration, this alone makes the C-Flow graph a DAG: no record can name itself or a
//! later record, so no cycle can ever be closed.

use std::collections::BTreeSet;

use bitcoin::Script;
use serde::Serialize;

use crate::asset_id::AssetId;
use crate::envelope::{Envelope, EnvelopeFlaw};
use crate::record::{Record, RecordError};
use crate::{BPS, MAX_MEMBERS};

pub const MAX_NAME_BYTES: usize = 128;
pub const MAX_VERSION_BYTES: usize = 64;
pub const MAX_LICENSE_BYTES: usize = 128;
pub const MAX_URIS: usize = 8;
pub const MAX_URI_BYTES: usize = 512;
pub use crate::MAX_SCRIPT_AMOUNT;

/// Where an envelope sits in the chain; assets are ordered by it.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
pub struct ChainPosition {
    pub height: u32,
    pub tx_index: u32,
    pub envelope_index: u32,
}

/// What the validator needs to know about assets registered so far.
pub trait Registry {
    /// The position of a *valid* registered asset, or `None` if there is none.
    fn position(&self, asset: &AssetId) -> Option<ChainPosition>;
}

impl<F: Fn(&AssetId) -> Option<ChainPosition>> Registry for F {
    fn position(&self, asset: &AssetId) -> Option<ChainPosition> {
        self(asset)
    }
}

/// Why a record is not a valid asset. Messages say what was wrong and what is allowed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "reason", content = "detail", rename_all = "snake_case")]
pub enum Invalid {
    #[error("envelope flaw {0:?}: a record's envelope must have no duplicate, incomplete or unknown even fields")]
    EnvelopeFlaw(EnvelopeFlaw),
    #[error("{0}")]
    Undecodable(String),
    #[error("name must be 1..={MAX_NAME_BYTES} bytes without control characters, got {0} bytes")]
    BadName(usize),
    #[error("version must be at most {MAX_VERSION_BYTES} bytes without control characters")]
    BadVersion,
    #[error("license '{0}' is not an SPDX expression (e.g. 'Apache-2.0', 'MIT OR Apache-2.0', 'NOASSERTION')")]
    BadLicense(String),
    #[error("content lists {0} URIs; at most {MAX_URIS} are allowed")]
    TooManyUris(usize),
    #[error("content URI '{0}' is not a URI of at most {MAX_URI_BYTES} bytes with a scheme (https:, ipfs:, …)")]
    BadUri(String),
    #[error("content parts: {0}")]
    BadParts(String),
    #[error("owner script is not a standard payout script (P2PKH, P2SH, P2WPKH, P2WSH or P2TR)")]
    NonStandardOwner,
    #[error("fee cap {0} sats is too large; it must be at most {MAX_SCRIPT_AMOUNT}")]
    FeeCapTooLarge(u64),
    #[error(
        "price {0} sats is too large; it must be at most {MAX_SCRIPT_AMOUNT} (one vault payment)"
    )]
    PriceTooLarge(u64),
    #[error("{0} parents and payees; a record may name at most {MAX_MEMBERS} (past 11 they are paid through splitters)")]
    TooManyParents(usize),
    #[error("payee {index} has weight {weight}; each weight must be 1..=10000 basis points")]
    BadPayeeWeight { index: usize, weight: u16 },
    #[error(
        "payee {0}'s script is not a standard payout script (P2PKH, P2SH, P2WPKH, P2WSH or P2TR)"
    )]
    NonStandardPayee(usize),
    #[error("payee {0} names the same script as an earlier payee; each payee may appear once")]
    DuplicatePayee(usize),
    #[error("payee {0} is the owner's own script; the owner already receives the remainder")]
    PayeeIsOwner(usize),
    #[error("parent {index} has weight {weight}; each weight must be 1..=10000 basis points")]
    BadWeight { index: usize, weight: u16 },
    #[error(
        "parents' and payees' weights sum to {0} basis points; they must sum to at most 10000"
    )]
    WeightSum(u32),
    #[error("parent {0} is named twice; each parent may appear once")]
    DuplicateParent(AssetId),
    #[error("the record names itself ({0}) as a parent")]
    SelfReference(AssetId),
    #[error("parent {0} is not a registered asset")]
    UnknownParent(AssetId),
    #[error("parent {0} is registered at or after this record; parents must be registered strictly earlier")]
    ParentNotEarlier(AssetId),
}

impl From<RecordError> for Invalid {
    fn from(e: RecordError) -> Self {
        Invalid::Undecodable(e.to_string())
    }
}

/// Every rule that needs no chain context, in a fixed order; empty means valid.
pub fn static_violations(record: &Record) -> Vec<Invalid> {
    let mut out = Vec::new();
    if record.name.is_empty() || record.name.len() > MAX_NAME_BYTES || has_control(&record.name) {
        out.push(Invalid::BadName(record.name.len()));
    }
    if record.version.len() > MAX_VERSION_BYTES || has_control(&record.version) {
        out.push(Invalid::BadVersion);
    }
    if !is_spdx_expression(&record.license) {
        out.push(Invalid::BadLicense(record.license.clone()));
    }
    if let Some(content) = &record.content {
        if content.uris.len() > MAX_URIS {
            out.push(Invalid::TooManyUris(content.uris.len()));
        }
        if let Some(bad) = content.uris.iter().find(|u| !is_uri(u)) {
            out.push(Invalid::BadUri(bad.clone()));
        }
        if let Some(p) = &content.parts {
            let max = crate::chunk::MAX_PART_BYTES as u32;
            if p.size == 0 || p.size > max {
                out.push(Invalid::BadParts(format!(
                    "part size {} must be 1..={max} bytes",
                    p.size
                )));
            } else if p.sha256.len() as u64 != p.count_for(content.size) {
                out.push(Invalid::BadParts(format!(
                    "{} digests for {} bytes in parts of {}; {} are needed",
                    p.sha256.len(),
                    content.size,
                    p.size,
                    p.count_for(content.size)
                )));
            }
        }
    }
    if !is_standard_payout(&record.owner) {
        out.push(Invalid::NonStandardOwner);
    }
    if record.fee_cap > MAX_SCRIPT_AMOUNT {
        out.push(Invalid::FeeCapTooLarge(record.fee_cap));
    }
    if let Some(price) = record.price.filter(|p| *p > MAX_SCRIPT_AMOUNT) {
        out.push(Invalid::PriceTooLarge(price));
    }
    let edges = record.parents.len() + record.payees.len();
    if edges > MAX_MEMBERS {
        out.push(Invalid::TooManyParents(edges));
    }
    for (index, p) in record.parents.iter().enumerate() {
        if p.weight == 0 || p.weight > BPS {
            out.push(Invalid::BadWeight {
                index,
                weight: p.weight,
            });
        }
    }
    let mut scripts = BTreeSet::new();
    for (index, p) in record.payees.iter().enumerate() {
        if p.weight == 0 || p.weight > BPS {
            out.push(Invalid::BadPayeeWeight {
                index,
                weight: p.weight,
            });
        }
        if !is_standard_payout(&p.script) {
            out.push(Invalid::NonStandardPayee(index));
        }
        if !scripts.insert(p.script.as_bytes()) {
            out.push(Invalid::DuplicatePayee(index));
        }
        if p.script == record.owner {
            out.push(Invalid::PayeeIsOwner(index));
        }
    }
    let sum: u32 = record
        .parents
        .iter()
        .map(|p| u32::from(p.weight))
        .chain(record.payees.iter().map(|p| u32::from(p.weight)))
        .sum();
    if sum > u32::from(BPS) {
        out.push(Invalid::WeightSum(sum));
    }
    let mut seen = BTreeSet::new();
    for p in &record.parents {
        if !seen.insert(p.asset) {
            out.push(Invalid::DuplicateParent(p.asset));
        }
    }
    out
}

/// All rules, for a record registered as `id` at `pos`. Returns the first violation.
pub fn validate_record(
    record: &Record,
    id: &AssetId,
    pos: ChainPosition,
    registry: &impl Registry,
) -> Result<(), Invalid> {
    if let Some(first) = static_violations(record).into_iter().next() {
        return Err(first);
    }
    for p in &record.parents {
        if p.asset == *id {
            return Err(Invalid::SelfReference(p.asset));
        }
        match registry.position(&p.asset) {
            None => return Err(Invalid::UnknownParent(p.asset)),
            Some(parent_pos) if parent_pos >= pos => {
                return Err(Invalid::ParentNotEarlier(p.asset))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Validates a Bitmodel envelope end to end: envelope flaws, decoding, then the rules.
/// Returns `None` for inscriptions of other metaprotocols (not Bitmodel's business).
pub fn validate_envelope(
    env: &Envelope,
    id: &AssetId,
    pos: ChainPosition,
    registry: &impl Registry,
) -> Option<Result<Record, Invalid>> {
    let decoded = env.inscription.bitmodel_record()?;
    Some((|| {
        if let Some(flaw) = env.flaws.iter().find(|f| **f != EnvelopeFlaw::Pushnum) {
            return Err(Invalid::EnvelopeFlaw(*flaw));
        }
        let (record, _unknown_fields) = decoded?;
        validate_record(&record, id, pos, registry)?;
        Ok(record)
    })())
}

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

fn is_standard_payout(spk: &Script) -> bool {
    spk.is_p2pkh() || spk.is_p2sh() || spk.is_p2wpkh() || spk.is_p2wsh() || spk.is_p2tr()
}

fn is_uri(u: &str) -> bool {
    let Some((scheme, rest)) = u.split_once(':') else {
        return false;
    };
    u.len() <= MAX_URI_BYTES
        && !rest.is_empty()
        && scheme
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && !u.chars().any(|c| c.is_control() || c == ' ')
}

/// SPDX license expression grammar, shallowly: ids (`[A-Za-z0-9.+-]`, `LicenseRef-…`)
/// joined by AND/OR/WITH with balanced parentheses. The license list itself changes over
/// time, so ids are not checked against it.
pub fn is_spdx_expression(s: &str) -> bool {
    if s.is_empty() || s.len() > MAX_LICENSE_BYTES {
        return false;
    }
    let spaced = s.replace('(', " ( ").replace(')', " ) ");
    let mut depth = 0i32;
    let mut expect_id = true;
    for tok in spaced.split_whitespace() {
        match tok {
            "(" if expect_id => depth += 1,
            ")" if !expect_id => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            "AND" | "OR" | "WITH" if !expect_id => expect_id = true,
            id if expect_id
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".+-:".contains(c)) =>
            {
                expect_id = false
            }
            _ => return false,
        }
    }
    depth == 0 && !expect_id
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Kind, Parent, Relation};
    use bitcoin::hashes::Hash;
    use bitcoin::{ScriptBuf, Txid, WPubkeyHash};

    fn id(n: u8) -> AssetId {
        AssetId::new(Txid::from_byte_array([n; 32]), 0)
    }

    fn pos(height: u32) -> ChainPosition {
        ChainPosition {
            height,
            tx_index: 1,
            envelope_index: 0,
        }
    }

    fn record(parents: Vec<(u8, u16)>) -> Record {
        Record {
            kind: Kind::Model,
            name: "demo".into(),
            version: "1".into(),
            license: "Apache-2.0".into(),
            content: None,
            owner: ScriptBuf::new_p2wpkh(&WPubkeyHash::from_byte_array([7; 20])),
            fee_cap: 2_000,
            price: None,
            parents: parents
                .into_iter()
                .map(|(n, weight)| Parent {
                    asset: id(n),
                    weight,
                    relation: Relation::Finetune,
                })
                .collect(),
            payees: Vec::new(),
        }
    }

    /// Assets 1..=20 exist at heights 1..=20.
    fn registry(a: &AssetId) -> Option<ChainPosition> {
        let n = a.txid.to_byte_array()[0];
        (1..=20).contains(&n).then(|| pos(u32::from(n)))
    }

    #[test]
    fn valid_record_passes() {
        assert_eq!(
            validate_record(
                &record(vec![(1, 3000), (2, 7000)]),
                &id(50),
                pos(100),
                &registry
            ),
            Ok(())
        );
        assert_eq!(
            validate_record(&record(vec![]), &id(50), pos(100), &registry),
            Ok(())
        );
    }

    #[test]
    fn weight_rules() {
        let r = record(vec![(1, 0)]);
        assert_eq!(
            validate_record(&r, &id(50), pos(100), &registry),
            Err(Invalid::BadWeight {
                index: 0,
                weight: 0
            })
        );
        let r = record(vec![(1, 10_001)]);
        assert!(matches!(
            validate_record(&r, &id(50), pos(100), &registry),
            Err(Invalid::BadWeight { .. })
        ));
        let r = record(vec![(1, 5000), (2, 5001)]);
        assert_eq!(
            validate_record(&r, &id(50), pos(100), &registry),
            Err(Invalid::WeightSum(10_001))
        );
        // Past 11 members a record is paid through splitters; it is still valid.
        let r = record((1..=12).map(|n| (n, 1)).collect());
        assert_eq!(validate_record(&r, &id(50), pos(100), &registry), Ok(()));
        let r = record((1..=11).map(|n| (n, 909)).collect());
        assert_eq!(validate_record(&r, &id(50), pos(100), &registry), Ok(()));
    }

    #[test]
    fn payee_rules() {
        use crate::record::Payee;
        let payee = |b: u8, weight: u16| Payee {
            script: ScriptBuf::new_p2wpkh(&WPubkeyHash::from_byte_array([b; 20])),
            weight,
            relation: Relation::Author,
        };
        let mut r = record(vec![(1, 6000)]);
        r.payees = vec![payee(1, 3000), payee(2, 1000)];
        assert!(
            static_violations(&r).is_empty(),
            "payees count in the 10000"
        );
        r.payees[1].weight = 1001;
        assert_eq!(static_violations(&r), vec![Invalid::WeightSum(10_001)]);
        r.payees[1] = payee(1, 0);
        assert_eq!(
            static_violations(&r),
            vec![
                Invalid::BadPayeeWeight {
                    index: 1,
                    weight: 0
                },
                Invalid::DuplicatePayee(1)
            ]
        );
        r.payees = vec![Payee {
            script: ScriptBuf::new_op_return([1u8; 4]),
            weight: 10,
            relation: Relation::Contributor,
        }];
        assert_eq!(static_violations(&r), vec![Invalid::NonStandardPayee(0)]);
        // Up to MAX_MEMBERS members, parents and payees together; one more is refused.
        let wide_payee = |i: u16| Payee {
            script: ScriptBuf::new_p2wpkh(&WPubkeyHash::from_byte_array({
                let mut h = [7u8; 20];
                h[..2].copy_from_slice(&i.to_be_bytes());
                h
            })),
            weight: 1,
            relation: Relation::Contributor,
        };
        let mut wide = record((1..=6).map(|n| (n, 100)).collect());
        wide.payees = (0..(crate::MAX_MEMBERS - 6) as u16)
            .map(wide_payee)
            .collect();
        assert!(static_violations(&wide).is_empty());
        assert!(
            wide.to_cbor().len() <= crate::record::MAX_RECORD_BYTES,
            "a record of {} members fits one reveal",
            crate::MAX_MEMBERS
        );
        wide.payees.push(wide_payee(9_999));
        assert_eq!(
            static_violations(&wide),
            vec![Invalid::TooManyParents(crate::MAX_MEMBERS + 1)]
        );
    }

    #[test]
    fn graph_rules() {
        let r = record(vec![(1, 10), (1, 10)]);
        assert_eq!(
            validate_record(&r, &id(50), pos(100), &registry),
            Err(Invalid::DuplicateParent(id(1)))
        );
        let r = record(vec![(5, 10)]);
        assert_eq!(
            validate_record(&r, &id(5), pos(5), &registry),
            Err(Invalid::SelfReference(id(5)))
        );
        let r = record(vec![(30, 10)]);
        assert_eq!(
            validate_record(&r, &id(50), pos(100), &registry),
            Err(Invalid::UnknownParent(id(30)))
        );
        // parent at height 9 vs record at height 9, same tx position: not strictly earlier
        let r = record(vec![(9, 10)]);
        assert_eq!(
            validate_record(&r, &id(50), pos(9), &registry),
            Err(Invalid::ParentNotEarlier(id(9)))
        );
        assert_eq!(validate_record(&r, &id(50), pos(10), &registry), Ok(()));
    }

    #[test]
    fn field_rules() {
        let mut r = record(vec![]);
        r.name = String::new();
        assert_eq!(static_violations(&r), vec![Invalid::BadName(0)]);
        r.name = "x".repeat(129);
        assert_eq!(static_violations(&r), vec![Invalid::BadName(129)]);
        r.name = "ok".into();
        r.owner = ScriptBuf::from_bytes(vec![0x51]);
        assert_eq!(static_violations(&r), vec![Invalid::NonStandardOwner]);
        r = record(vec![]);
        r.fee_cap = 1 << 31;
        r.price = Some(1 << 40);
        assert_eq!(
            static_violations(&r),
            vec![
                Invalid::FeeCapTooLarge(1 << 31),
                Invalid::PriceTooLarge(1 << 40)
            ]
        );
    }

    #[test]
    fn spdx_expressions() {
        for ok in [
            "MIT",
            "Apache-2.0",
            "MIT OR Apache-2.0",
            "(MIT OR Apache-2.0) AND BSD-3-Clause",
            "GPL-2.0-or-later WITH Classpath-exception-2.0",
            "LicenseRef-llama2",
            "NOASSERTION",
        ] {
            assert!(is_spdx_expression(ok), "{ok}");
        }
        for bad in [
            "",
            "MIT OR",
            "(MIT",
            "MIT)",
            "AND MIT",
            "MIT Apache",
            "MIT/Apache",
            "llama 2 community",
        ] {
            assert!(!is_spdx_expression(bad), "{bad}");
        }
    }

    #[test]
    fn uris() {
        assert!(is_uri("https://huggingface.co/gpt2"));
        assert!(is_uri("ipfs://bafy"));
        assert!(is_uri("hf:openai-community/gpt2"));
        assert!(!is_uri("no-scheme"));
        assert!(!is_uri("1http://x"));
        assert!(!is_uri("https://a b"));
    }
}
