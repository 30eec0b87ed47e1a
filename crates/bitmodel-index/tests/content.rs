//! On-chain files nobody can spoil: a version-2 record commits to every part's length and
//! SHA-256, so parts inscribed by anyone that do not match are ignored with a recorded
//! reason, correct parts count whoever inscribes them, in any order; duplicates, gaps,
//! oversize parts and floods of empty parts change nothing. Version-1 records still decode
//! and assemble as before, and a finished file ignores any later part.

use bitmodel_devnet::Devnet;
use bitmodel_index::rows::ContentStatus;
use bitmodel_index::sync::sync;
use bitmodel_index::Index;
use bitmodel_protocol::chunk::ChunkRef;
use bitmodel_protocol::envelope::Inscription;
use bitmodel_protocol::{AssetId, Chain, Record};
use bitmodel_rpc::Client;
use bitmodel_testkit::assets::inscribe;
use bitmodel_testkit::fixture::{self, owner};

const PART: usize = 1_000;

fn file(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| (i as u8).wrapping_mul(31) ^ seed).collect()
}

fn record(name: &str, f: &[u8], committed: bool) -> Record {
    Record {
        content: Some(fixture::content(f, committed.then_some(PART))),
        ..fixture::record(name, owner(1), 20_000)
    }
}

struct World {
    dn: Devnet,
    client: Client,
    index: Index,
    _dir: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let dn = Devnet::spawn().unwrap();
        let client = dn.client().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let index = Index::open(&dir.path().join("i.redb"), Chain::Devnet).unwrap();
        World {
            dn,
            client,
            index,
            _dir: dir,
        }
    }

    /// The record with part 0 as its body.
    fn register(&self, r: &Record, f: &[u8]) -> AssetId {
        let body = f[..f.len().min(PART)].to_vec();
        inscribe(
            &self.dn,
            &[Inscription::bitmodel(r, "application/octet-stream", body)],
            &owner(1),
        )[0]
    }

    /// Parts `(index, bytes)` inscribed by someone, all in one reveal (one block).
    fn parts(&self, asset: AssetId, parts: &[(u32, Vec<u8>)], by: u8) -> Vec<AssetId> {
        let ins: Vec<Inscription> = parts
            .iter()
            .map(|(index, b)| {
                Inscription::bitmodel_chunk(
                    &ChunkRef {
                        asset,
                        index: *index,
                    },
                    b.clone(),
                )
            })
            .collect();
        inscribe(&self.dn, &ins, &owner(by))
    }

    fn status(&self, id: &AssetId) -> (ContentStatus, Option<Vec<u8>>) {
        sync(&self.index, &self.client, 0, |_, _| {}).unwrap();
        let (row, bytes) = self.index.content(id).unwrap().unwrap();
        (row.status, bytes)
    }

    fn reason(&self, part: &AssetId) -> String {
        sync(&self.index, &self.client, 0, |_, _| {}).unwrap();
        self.index.invalid(part).unwrap().unwrap().reason
    }
}

fn part(f: &[u8], i: usize) -> Vec<u8> {
    f[i * PART..((i + 1) * PART).min(f.len())].to_vec()
}

#[test]
fn a_spoiling_part_is_ignored_and_the_owners_part_still_counts() {
    let w = World::new();
    let f = file(2_500, 7);
    let id = w.register(&record("model", &f, true), &f);
    // An attacker front-runs part 1 with the right length and wrong bytes, and inscribes
    // an empty part at an unused index.
    let mut wrong = part(&f, 1);
    wrong[10] ^= 1;
    let bad = w.parts(id, &[(1, wrong), (3, Vec::new())], 9);
    assert_eq!(w.status(&id).0, ContentStatus::Partial);
    assert!(
        w.reason(&bad[0])
            .contains("does not match its record's commitment"),
        "{}",
        w.reason(&bad[0])
    );
    assert!(
        w.reason(&bad[1]).contains("past the 3 part(s)"),
        "{}",
        w.reason(&bad[1])
    );
    // The right parts, in reverse order, one of them by a third party: the file is whole.
    w.parts(id, &[(2, part(&f, 2))], 5);
    w.parts(id, &[(1, part(&f, 1))], 1);
    let (status, bytes) = w.status(&id);
    assert_eq!(status, ContentStatus::Verified);
    assert_eq!(bytes.unwrap(), f);
    // Anything after completion is ignored.
    let late = w.parts(id, &[(1, part(&f, 1))], 9);
    assert!(w.reason(&late[0]).contains("already Verified"));
    assert_eq!(w.status(&id).0, ContentStatus::Verified);
}

#[test]
fn duplicates_gaps_oversize_and_a_flood_of_empty_parts_change_nothing() {
    let w = World::new();
    let f = file(3_200, 3);
    let id = w.register(&record("data", &f, true), &f);
    // A flood of empty parts in one block, an oversize part, a duplicate of part 0.
    let mut flood: Vec<(u32, Vec<u8>)> = (1..=300).map(|i| (i, Vec::new())).collect();
    flood.push((2, vec![0u8; PART + 1]));
    let refused = w.parts(id, &flood, 9);
    assert_eq!(w.status(&id).0, ContentStatus::Partial);
    assert!(refused
        .iter()
        .all(|p| w.index.invalid(p).unwrap().is_some()));
    // Part 0 is the record's own body; a chunk cannot claim it.
    let zero = w.parts(id, &[(0, part(&f, 0))], 9);
    assert!(
        w.reason(&zero[0]).contains("from 1"),
        "{}",
        w.reason(&zero[0])
    );
    // A gap: parts 1 and 3 only — not complete, nothing spoiled; a repeat changes nothing.
    w.parts(id, &[(1, part(&f, 1)), (3, part(&f, 3))], 2);
    assert_eq!(w.status(&id).0, ContentStatus::Partial);
    let dup = w.parts(id, &[(1, part(&f, 1))], 9);
    assert!(w.reason(&dup[0]).contains("already here"));
    w.parts(id, &[(2, part(&f, 2))], 2);
    let (status, bytes) = w.status(&id);
    assert_eq!(status, ContentStatus::Verified);
    assert_eq!(bytes.unwrap(), f);
}

#[test]
fn version_1_records_still_decode_and_assemble() {
    let w = World::new();
    let f = file(1_800, 5);
    let r = record("legacy", &f, false);
    assert_eq!(
        r.to_cbor()[1..4],
        [0x61, 0x76, 0x01],
        "written as version 1"
    );
    let v2 = record("new", &f, true).to_cbor();
    assert_eq!(
        v2[1..4],
        [0x61, 0x76, 0x02],
        "with part commitments: version 2"
    );
    let id = w.register(&r, &f);
    // Empty parts are refused without a commitment too.
    let empty = w.parts(id, &[(1, Vec::new())], 9);
    assert!(w.reason(&empty[0]).contains("empty part"));
    w.parts(id, &[(1, part(&f, 1))], 1);
    let (status, bytes) = w.status(&id);
    assert_eq!(status, ContentStatus::Verified);
    assert_eq!(bytes.unwrap(), f);
    assert!(w
        .index
        .asset(&id)
        .unwrap()
        .unwrap()
        .record
        .content
        .unwrap()
        .parts
        .is_none());
}

#[test]
fn a_record_whose_own_body_breaks_its_commitment_is_never_whole() {
    let w = World::new();
    let f = file(2_000, 1);
    let other = file(2_000, 2);
    // Commits to `f` but carries `other`'s first part as its body.
    let id = w.register(&record("broken", &f, true), &other);
    assert_eq!(w.status(&id).0, ContentStatus::HashMismatch);
}
