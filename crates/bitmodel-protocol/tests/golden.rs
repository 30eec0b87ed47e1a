//! Golden vectors pin the on-chain record format: if these bytes change, every deployed
//! indexer would disagree with new writers, so a change here must be deliberate (and gets a
//! new record version). Regenerate with `BITMODEL_BLESS=1 cargo test -p bitmodel-protocol --test golden`.

use std::path::PathBuf;
use std::str::FromStr;

use bitcoin::hashes::Hash;
use bitcoin::{ScriptBuf, Txid, WPubkeyHash, XOnlyPublicKey};
use bitmodel_protocol::envelope::{parse_script, Inscription};
use bitmodel_protocol::record::Content;
use bitmodel_protocol::{AssetId, Kind, Parent, Record, Relation};

fn sample() -> Record {
    let base = AssetId::new(
        Txid::from_str("4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b").unwrap(),
        0,
    );
    let data = AssetId::new(
        Txid::from_str("0e3e2357e806b6cdb1f70b54c3a3a17b6714ee1f0e68bebb44a74b1efd512098").unwrap(),
        2,
    );
    Record {
        kind: Kind::Model,
        name: "llama-2-7b-chat-q4".into(),
        version: "1.0".into(),
        license: "LicenseRef-llama2".into(),
        content: Some(Content {
            sha256: [0xab; 32],
            size: 3_825_065_984,
            uris: vec!["hf:TheBloke/Llama-2-7B-Chat-GGUF".into()],
            parts: None,
        }),
        owner: ScriptBuf::new_p2wpkh(&WPubkeyHash::from_byte_array([0x11; 20])),
        fee_cap: 5_000,
        price: Some(1_000),
        parents: vec![
            Parent {
                asset: base,
                weight: 5000,
                relation: Relation::Quantized,
            },
            Parent {
                asset: data,
                weight: 250,
                relation: Relation::Dataset,
            },
        ],
        payees: Vec::new(),
    }
}

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

fn check(name: &str, actual: &str) {
    let path = golden(name);
    if std::env::var_os("BITMODEL_BLESS").is_some() {
        std::fs::write(&path, format!("{actual}\n")).unwrap();
    }
    let expected =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(actual, expected.trim_end(), "{name} changed");
}

#[test]
fn record_cbor_is_pinned() {
    check("record.cbor.hex", &hex::encode(sample().to_cbor()));
}

/// Version 2: the same record with its file committed part by part (three parts of 1,000
/// bytes, the last one 500).
fn sample_v2() -> Record {
    let mut r = sample();
    let file: Vec<u8> = (0..2_500u32).map(|i| (i % 251) as u8).collect();
    let c = r.content.as_mut().unwrap();
    c.sha256 = bitcoin::hashes::sha256::Hash::hash(&file).to_byte_array();
    c.size = file.len() as u64;
    c.parts = Some(bitmodel_protocol::record::Parts::of(&file, 1_000));
    r
}

#[test]
fn record_v2_cbor_is_pinned_and_version_1_is_unchanged() {
    let v2 = sample_v2();
    let bytes = v2.to_cbor();
    check("record_v2.cbor.hex", &hex::encode(&bytes));
    let (back, flaws) = Record::from_cbor(&bytes).unwrap();
    assert_eq!(back, v2);
    assert!(flaws.is_empty());
    let parts = back.content.unwrap().parts.unwrap();
    assert_eq!(parts.sha256.len(), 3);
    assert_eq!(parts.expected_len(2_500, 2), Some(500));
    assert_eq!(parts.expected_len(2_500, 3), None);
    // A version-1 record carrying part keys keeps them ignored, as version-1 readers did.
    let mut v1_bytes = bytes.clone();
    assert_eq!(v1_bytes[1..4], [0x61, 0x76, 0x02]);
    v1_bytes[3] = 0x01;
    let (v1, _) = Record::from_cbor(&v1_bytes).unwrap();
    assert!(v1.content.unwrap().parts.is_none());
}

#[test]
fn reveal_script_is_pinned_and_parses_back() {
    // BIP340 test vector 1's public key.
    let key = XOnlyPublicKey::from_str(
        "dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659",
    )
    .unwrap();
    let card = br#"{"title":"Llama 2 7B Chat, 4-bit","card":"https://huggingface.co/TheBloke/Llama-2-7B-Chat-GGUF"}"#.to_vec();
    let insc = Inscription::bitmodel(&sample(), "application/json", card);
    let script = insc.reveal_script(&key);
    check("reveal_script.hex", &hex::encode(script.as_bytes()));

    let found = parse_script(&script);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, insc);
    assert!(found[0].1.is_empty());
    let (record, flaws) = found[0].0.bitmodel_record().unwrap().unwrap();
    assert_eq!(record, sample());
    assert!(flaws.is_empty());
}

/// Version 3: the version-1 sample with two payees (a paper's author paid to a P2WPKH, a data
/// contributor to a P2TR) beside its parents.
fn sample_v3() -> Record {
    let mut r = sample();
    r.payees = vec![
        bitmodel_protocol::Payee {
            script: bitcoin::ScriptBuf::new_p2wpkh(&bitcoin::WPubkeyHash::from_byte_array(
                [0x11; 20],
            )),
            weight: 150,
            relation: Relation::Author,
        },
        bitmodel_protocol::Payee {
            script: bitcoin::ScriptBuf::from_hex(
                "5120dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659",
            )
            .unwrap(),
            weight: 75,
            relation: Relation::Contributor,
        },
    ];
    r
}

#[test]
fn record_v3_with_payees_is_pinned_and_older_versions_are_unchanged() {
    let v3 = sample_v3();
    let bytes = v3.to_cbor();
    check("record_v3.cbor.hex", &hex::encode(&bytes));
    assert_eq!(bytes[1..4], [0x61, 0x76, 0x03], "payees make it version 3");
    let (back, flaws) = Record::from_cbor(&bytes).unwrap();
    assert_eq!(back, v3);
    assert!(flaws.is_empty());
    // The same bytes claiming version 2: the payees key is unknown there and ignored, as a
    // version-2 reader ignores it; the v3-only relations are then refused if a parent uses one.
    let mut v2_bytes = bytes.clone();
    v2_bytes[3] = 0x02;
    let (v2, flaws) = Record::from_cbor(&v2_bytes).unwrap();
    assert!(v2.payees.is_empty());
    assert_eq!(flaws.len(), 1, "{flaws:?}");
    let mut with_author = sample();
    with_author.parents[0].relation = Relation::Author;
    let author_bytes = with_author.to_cbor();
    assert_eq!(author_bytes[3], 0x03, "a v3 relation makes it version 3");
    let mut as_v1 = author_bytes.clone();
    as_v1[3] = 0x01;
    let err = Record::from_cbor(&as_v1).unwrap_err();
    assert!(
        err.to_string().contains("exists from record version 3"),
        "{err}"
    );
    // Without payees nothing changes: the version-1 vector above still pins the old bytes.
    assert_eq!(sample().to_cbor()[3], 0x01);
}

/// The widest record (`MAX_MEMBERS` members with the longest relations, P2TR payees, parent
/// ids with large output indexes, the longest name, version, license and every URI) decodes
/// back and fits the metadata limit, so a valid record never needs more than one reveal
/// (`docs/adr/0006-wide-records-in-one-reveal.md`); one byte more than the limit is refused
/// with the limit named.
#[test]
fn the_widest_record_fits_one_reveal() {
    use bitmodel_protocol::record::MAX_RECORD_BYTES;
    use bitmodel_protocol::validate::{
        MAX_LICENSE_BYTES, MAX_NAME_BYTES, MAX_URIS, MAX_URI_BYTES, MAX_VERSION_BYTES,
    };
    use bitmodel_protocol::{Payee, MAX_MEMBERS};
    let mut r = sample();
    r.name = "n".repeat(MAX_NAME_BYTES);
    r.version = "v".repeat(MAX_VERSION_BYTES);
    r.license = "L".repeat(MAX_LICENSE_BYTES);
    r.content.as_mut().unwrap().uris = (0..MAX_URIS)
        .map(|i| format!("https://{i}{}", "u".repeat(MAX_URI_BYTES - 10)))
        .collect();
    let half = MAX_MEMBERS / 2;
    r.parents = (0..half)
        .map(|i| Parent {
            asset: AssetId::new(Txid::from_byte_array([i as u8; 32]), u32::MAX - i as u32),
            weight: 10_000,
            relation: Relation::Architecture,
        })
        .collect();
    r.payees = (0..MAX_MEMBERS - half)
        .map(|i| Payee {
            script: ScriptBuf::from_hex(&format!("5120{:064x}", i + 1)).unwrap(),
            weight: 10_000,
            relation: Relation::Contributor,
        })
        .collect();
    let bytes = r.to_cbor();
    eprintln!("the widest record: {} bytes of CBOR", bytes.len());
    assert!(
        bytes.len() <= MAX_RECORD_BYTES / 2,
        "the widest record is {} bytes; the limit is {MAX_RECORD_BYTES}",
        bytes.len()
    );
    let (back, _) = Record::from_cbor(&bytes).unwrap();
    assert_eq!(back, r);
    // In one reveal script: the record and its envelope stay far below a standard
    // transaction's 400,000 weight units (witness bytes weigh 1 each).
    let key = XOnlyPublicKey::from_str(
        "dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659",
    )
    .unwrap();
    let script =
        Inscription::bitmodel(&r, "application/octet-stream", vec![0; 1]).reveal_script(&key);
    assert!(script.len() < 400_000 / 3, "{} bytes", script.len());
    let too_big = vec![0u8; MAX_RECORD_BYTES + 1];
    let err = Record::from_cbor(&too_big).unwrap_err();
    assert!(err.to_string().contains("at most 131072"), "{err}");
}
