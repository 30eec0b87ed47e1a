//! Property tests that stand in for a fuzzer in CI: decoding arbitrary bytes never panics,
//! and encoding then decoding any valid record gives the record back.

use bitcoin::hashes::Hash;
use bitcoin::{ScriptBuf, Txid};
use bitmodel_protocol::envelope::{parse_script, Inscription};
use bitmodel_protocol::record::Content;
use bitmodel_protocol::{AssetId, Kind, Parent, Record, Relation};
use proptest::prelude::*;

fn record() -> impl Strategy<Value = Record> {
    let parent = (
        any::<[u8; 32]>(),
        any::<u32>(),
        1u16..=10_000,
        0usize..Relation::ALL.len(),
    )
        .prop_map(|(t, i, w, r)| Parent {
            asset: AssetId::new(Txid::from_byte_array(t), i),
            weight: w,
            relation: Relation::ALL[r],
        });
    let content = prop::option::of(
        (
            any::<[u8; 32]>(),
            any::<u64>(),
            prop::collection::vec(".{0,40}", 0..3),
        )
            .prop_map(|(sha256, size, uris)| Content {
                sha256,
                size,
                uris,
                parts: None,
            }),
    );
    (
        0usize..Kind::ALL.len(),
        ".{0,60}",
        ".{0,10}",
        ".{0,20}",
        content,
        prop::collection::vec(any::<u8>(), 0..40),
        any::<u64>(),
        prop::option::of(any::<u64>()),
        prop::collection::vec(parent, 0..12),
    )
        .prop_map(
            |(k, name, version, license, content, owner, fee_cap, price, parents)| Record {
                kind: Kind::ALL[k],
                name,
                version,
                license,
                content,
                owner: ScriptBuf::from_bytes(owner),
                fee_cap,
                price,
                parents,
                payees: Vec::new(),
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn record_round_trips(r in record()) {
        let (back, flaws) = Record::from_cbor(&r.to_cbor()).unwrap();
        prop_assert_eq!(back, r);
        prop_assert!(flaws.is_empty());
    }

    #[test]
    fn envelope_round_trips(r in record(), body in prop::collection::vec(any::<u8>(), 0..2000)) {
        let insc = Inscription::bitmodel(&r, "application/octet-stream", body);
        let script = insc.append_to(bitcoin::script::Builder::new()).into_script();
        let found = parse_script(&script);
        prop_assert_eq!(found.len(), 1);
        prop_assert_eq!(&found[0].0, &insc);
    }

    #[test]
    fn arbitrary_metadata_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = Record::from_cbor(&bytes);
    }

    #[test]
    fn arbitrary_scripts_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        for (insc, _) in parse_script(&ScriptBuf::from_bytes(bytes.clone())) {
            let _ = insc.bitmodel_record();
        }
        // Also behind a valid envelope header, so the field parser sees the bytes.
        let mut framed = vec![0x00, 0x63, 0x03, b'o', b'r', b'd'];
        framed.extend_from_slice(&bytes);
        framed.push(0x68);
        for (insc, _) in parse_script(&ScriptBuf::from_bytes(framed)) {
            let _ = insc.bitmodel_record();
        }
    }

    #[test]
    fn mutated_records_never_panic(r in record(), flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let mut bytes = r.to_cbor();
        for (i, b) in flips {
            let at = i.index(bytes.len());
            bytes[at] ^= b;
        }
        let _ = Record::from_cbor(&bytes);
    }
}
