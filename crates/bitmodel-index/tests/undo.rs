//! Undo records are kept for the supported reorg depth only: older ones are pruned as blocks
//! arrive, a reorg within the depth still rolls back exactly, and a deeper one is a typed
//! error that names what to do — never a partial rollback.

mod common;

use bitcoin::hashes::Hash;
use bitcoin::transaction::Version;
use bitcoin::{
    absolute::LockTime, Amount, Block, BlockHash, OutPoint, ScriptBuf, Sequence, Transaction, TxIn,
    TxOut,
};
use bitmodel_index::{Index, IndexError};
use bitmodel_protocol::Chain;

fn block(prev: BlockHash, h: u32) -> Block {
    let coinbase = Transaction {
        version: Version(2),
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig: ScriptBuf::from_bytes(h.to_le_bytes().to_vec()),
            sequence: Sequence::MAX,
            witness: bitcoin::Witness::new(),
        }],
        output: vec![TxOut {
            value: Amount::from_sat(50),
            script_pubkey: ScriptBuf::new(),
        }],
    };
    common::block(prev, h, coinbase, vec![])
}

#[test]
fn undo_records_are_pruned_past_the_reorg_depth() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.redb");
    let index = Index::open(&path, Chain::Devnet)
        .unwrap()
        .with_undo_depth(3);
    let mut prev = BlockHash::all_zeros();
    let mut hashes = Vec::new();
    for h in 0..10 {
        let b = block(prev, h);
        index.apply_block(h, &b).unwrap();
        prev = b.block_hash();
        hashes.push(prev);
    }
    // Within the depth: back to 7, exactly.
    index.rollback_to(Some(7)).unwrap();
    assert_eq!(index.tip().unwrap(), Some((7, hashes[7])));
    // Beyond it (blocks 0..=6 have no undo records left): refused, and nothing changed.
    let err = index.rollback_to(Some(4)).unwrap_err();
    assert!(
        matches!(err, IndexError::RollbackTooDeep { target: 4, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("delete it and re-index"), "{err}");
    assert_eq!(
        index.tip().unwrap(),
        Some((7, hashes[7])),
        "no partial rollback"
    );
    let err = index.rollback_to(None).unwrap_err();
    assert!(matches!(err, IndexError::RollbackTooDeep { .. }), "{err}");
    assert_eq!(index.tip().unwrap(), Some((7, hashes[7])));

    // The default depth keeps every block of a short chain: back to empty works.
    let other = dir.path().join("full.redb");
    let full = Index::open(&other, Chain::Devnet).unwrap();
    let mut prev = BlockHash::all_zeros();
    for h in 0..10 {
        let b = block(prev, h);
        full.apply_block(h, &b).unwrap();
        prev = b.block_hash();
    }
    full.rollback_to(None).unwrap();
    assert_eq!(full.tip().unwrap(), None);
}
