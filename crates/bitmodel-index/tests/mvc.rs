//! The indexer on constructed MVC blocks (`Chain::Mvc`): registrations as MetaID PINs with
//! the file in the same transaction, payments into OP_PUSH_TX splitters and their
//! distributions — all in version-10 transactions, whose txids are MVC's, not
//! `compute_txid`'s. An index that used the ordinary txid would not find the asset a
//! payment's spend names, nor the splitter UTXO a distribution spends. Scripts are not run
//! here (the BSV node tests do that); this is the bookkeeping.

mod common;

use bitcoin::hashes::{sha256, Hash};
use bitcoin::transaction::Version;
use bitcoin::{
    absolute::LockTime, Amount, Block, BlockHash, OutPoint, PubkeyHash, ScriptBuf, Sequence,
    Transaction, TxIn, TxOut,
};
use bitmodel_index::rows::{ContentStatus, Event};
use bitmodel_index::Index;
use bitmodel_mvc::pin::{marker, registration_outputs, Pin, CONTENT_PIN_BYTES};
use bitmodel_mvc::splitter::Splitter;
use bitmodel_mvc::txid::mvc_txid;
use bitmodel_protocol::record::{Content, Parts};
use bitmodel_protocol::{AssetId, Chain, Record, Relation};
use bitmodel_testkit::fixture;

const CHAIN: Chain = Chain::Mvc;

fn p2pkh(n: u8) -> ScriptBuf {
    ScriptBuf::new_p2pkh(&PubkeyHash::from_byte_array([n; 20]))
}

fn record(name: &str, n: u8, parents: Vec<(AssetId, u16)>) -> Record {
    Record {
        parents: fixture::parents(&parents, Relation::Finetune),
        ..fixture::record(name, p2pkh(n), 50_000)
    }
}

/// A version-10 transaction spending `inputs` (any outpoints: scripts are not run here).
fn tx(inputs: &[OutPoint], outputs: Vec<TxOut>) -> Transaction {
    Transaction {
        version: Version(10),
        lock_time: LockTime::ZERO,
        input: inputs
            .iter()
            .map(|o| TxIn {
                previous_output: *o,
                script_sig: ScriptBuf::from_bytes(vec![0x51]),
                sequence: Sequence::MAX,
                witness: bitcoin::Witness::new(),
            })
            .collect(),
        output: outputs,
    }
}

fn coinbase(h: u32) -> Transaction {
    tx(
        &[OutPoint::null()],
        vec![TxOut {
            value: Amount::from_sat(50),
            script_pubkey: ScriptBuf::from_bytes(h.to_le_bytes().to_vec()),
        }],
    )
}

fn block(prev: BlockHash, h: u32, txs: Vec<Transaction>) -> Block {
    common::block(prev, h, coinbase(h), txs)
}

struct Chainer {
    index: Index,
    prev: BlockHash,
    height: u32,
    _dir: tempfile::TempDir,
}

impl Chainer {
    fn new() -> Chainer {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::open(&dir.path().join("index.redb"), CHAIN).unwrap();
        Chainer {
            index,
            prev: BlockHash::all_zeros(),
            height: 0,
            _dir: dir,
        }
    }

    fn mine(&mut self, txs: Vec<Transaction>) {
        let b = block(self.prev, self.height, txs);
        self.index.apply_block(self.height, &b).unwrap();
        self.prev = b.block_hash();
        self.height += 1;
    }
}

fn splitter_of(index: &Index, id: &AssetId) -> Splitter {
    let row = index.asset(id).unwrap().unwrap();
    let parents: Vec<ScriptBuf> = row
        .record
        .parents
        .iter()
        .map(|p| index.asset(&p.asset).unwrap().unwrap().vault.unwrap())
        .collect();
    Splitter::of_record(&row.record, &parents).unwrap()
}

#[test]
fn registrations_payments_and_distributions_in_version_10_transactions() {
    let mut c = Chainer::new();
    let funding = OutPoint::new(bitcoin::Txid::from_byte_array([9; 32]), 0);

    // A root with a 900 kB file in its registration (three content PINs).
    let file: Vec<u8> = (0..900_000u32).map(|i| (i % 251) as u8).collect();
    let mut root = record("dataset", 1, vec![]);
    root.content = Some(Content {
        sha256: sha256::Hash::hash(&file).to_byte_array(),
        size: file.len() as u64,
        uris: vec![],
        parts: Some(Parts::of(&file, CONTENT_PIN_BYTES)),
    });
    let reg = tx(
        &[funding],
        registration_outputs(
            &root,
            Some(("application/octet-stream", &file)),
            marker(CHAIN),
        ),
    );
    assert_eq!(reg.output.len(), 4);
    let root_id = AssetId::new(mvc_txid(&reg), 0);
    assert_ne!(
        mvc_txid(&reg),
        reg.compute_txid(),
        "version 10: MVC's own txid"
    );
    c.mine(vec![reg]);
    let row = c
        .index
        .asset(&root_id)
        .unwrap()
        .expect("registered under MVC's txid");
    assert_eq!(
        row.content_type.as_deref(),
        Some("application/octet-stream")
    );
    let (content, bytes) = c.index.content(&root_id).unwrap().unwrap();
    assert_eq!(content.status, ContentStatus::Verified);
    assert_eq!(bytes.unwrap(), file);
    let root_splitter = splitter_of(&c.index, &root_id);
    assert_eq!(row.vault.as_ref(), Some(&root_splitter.script()));

    // A child with a spoiled file PIN: registered, its file refused with the reason.
    let small = b"weights".to_vec();
    let mut child = record("model", 2, vec![(root_id, 2_500)]);
    child.content = Some(Content {
        sha256: sha256::Hash::hash(&small).to_byte_array(),
        size: small.len() as u64,
        uris: vec![],
        parts: Some(Parts::of(&small, CONTENT_PIN_BYTES)),
    });
    let mut outs = registration_outputs(&child, Some(("application/onnx", &small)), marker(CHAIN));
    let mut pin = Pin::parse(&outs[1].script_pubkey, marker(CHAIN)).unwrap();
    pin.body[0] ^= 1;
    outs[1] = pin.to_output(marker(CHAIN));
    let reg2 = tx(&[OutPoint::new(funding.txid, 1)], outs);
    let child_id = AssetId::new(mvc_txid(&reg2), 0);
    // A PIN under another marker (Bitcoin SV's test networks' `testid`) is not MVC's.
    let stray = tx(
        &[OutPoint::new(funding.txid, 2)],
        registration_outputs(&record("stray", 3, vec![]), None, b"testid"),
    );
    let stray_id = AssetId::new(mvc_txid(&stray), 0);
    c.mine(vec![reg2.clone(), stray]);
    assert!(c.index.asset(&stray_id).unwrap().is_none());
    assert!(c.index.asset(&child_id).unwrap().is_some());
    let (content, _) = c.index.content(&child_id).unwrap().unwrap();
    assert_eq!(content.status, ContentStatus::HashMismatch);
    let events = c.index.events(&mvc_txid(&reg2)).unwrap();
    assert!(
        events.iter().any(
            |e| matches!(e, Event::Invalid { reason, .. } if reason.contains("does not match"))
        ),
        "{events:?}"
    );

    // Pay the child's splitter; distribute it (spending the payment by MVC's txid); then
    // the root's share is distributed to its owner.
    let sp = splitter_of(&c.index, &child_id);
    let pay = tx(
        &[OutPoint::new(funding.txid, 3)],
        vec![TxOut {
            value: Amount::from_sat(1_000_000),
            script_pubkey: sp.script(),
        }],
    );
    c.mine(vec![pay.clone()]);
    let d = sp
        .spend(OutPoint::new(mvc_txid(&pay), 0), 1_000_000, 3_000, 10)
        .unwrap();
    assert_eq!(d.version, Version(10));
    c.mine(vec![d.clone()]);
    let to_root = 997_000 * 2_500 / 10_000;
    assert_eq!(d.output[0].value.to_sat(), to_root);
    let rd = root_splitter
        .spend(OutPoint::new(mvc_txid(&d), 0), to_root, 400, 10)
        .unwrap();
    c.mine(vec![rd]);

    let t = c.index.totals().unwrap();
    assert_eq!(t.payments_in, 1_000_000);
    assert_eq!(t.fees, 3_400);
    assert_eq!(t.waiting, 0);
    assert_eq!(t.paid_out, 1_000_000 - 3_400);
    assert_eq!(t.to_parents, to_root);
    assert_eq!(
        c.index.earnings(&p2pkh(1)).unwrap().total,
        to_root - 400,
        "the root's owner"
    );
    assert_eq!(
        c.index.earnings(&p2pkh(2)).unwrap().total,
        997_000 - to_root,
        "the child's owner keeps the rest"
    );
}
