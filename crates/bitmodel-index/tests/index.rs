//! The indexer on constructed chains: registrations (valid and invalid), payments, real
//! covenant distributions and merges, exact accounting, restarts and reorgs.

use std::path::PathBuf;

use bitcoin::block::{Header, Version as BlockVersion};
use bitcoin::hashes::Hash;
use bitcoin::key::{Keypair, Secp256k1};
use bitcoin::taproot::{LeafVersion, TaprootBuilder};
use bitcoin::transaction::Version;
use bitcoin::{
    absolute::LockTime, Amount, Block, BlockHash, CompactTarget, OutPoint, ScriptBuf, Sequence,
    Transaction, TxIn, TxMerkleNode, TxOut, Txid, Witness,
};
use bitmodel_covenant::{build_distribute, build_merge, Utxo, Vault};
use bitmodel_index::rows::Event;
use bitmodel_index::{Index, IndexError};
use bitmodel_protocol::envelope::Inscription;
use bitmodel_protocol::{split, AssetId, Chain, Parent, Record, Relation};
use bitmodel_testkit::fixture::{self, owner};

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("bitmodel-index-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d.join("index.redb")
}

fn record(name: &str, n: u8, parents: Vec<(AssetId, u16, Relation)>) -> Record {
    Record {
        parents: parents
            .into_iter()
            .map(|(asset, weight, relation)| Parent {
                asset,
                weight,
                relation,
            })
            .collect(),
        ..fixture::record(name, owner(n), 5_000)
    }
}

/// A reveal transaction carrying `records` in one tapscript, like ord's.
fn reveal(records: &[&Record], salt: u8) -> Transaction {
    let secp = Secp256k1::new();
    let kp = Keypair::from_seckey_slice(&secp, &[salt.max(1); 32]).unwrap();
    let (key, _) = kp.x_only_public_key();
    let mut b = bitcoin::script::Builder::new()
        .push_x_only_key(&key)
        .push_opcode(bitcoin::opcodes::all::OP_CHECKSIG);
    for r in records {
        b = Inscription::bitmodel(r, "text/plain", r.name.as_bytes().to_vec()).append_to(b);
    }
    let script = b.into_script();
    let info = TaprootBuilder::new()
        .add_leaf(0, script.clone())
        .unwrap()
        .finalize(&secp, key)
        .unwrap();
    let control = info
        .control_block(&(script.clone(), LeafVersion::TapScript))
        .unwrap();
    let witness = Witness::from_slice(&[vec![1u8; 64], script.to_bytes(), control.serialize()]);
    spend(salt, 0, witness, &owner(salt), 546)
}

fn pay(to: &ScriptBuf, amount: u64, salt: u8) -> Transaction {
    spend(salt, 9, Witness::new(), to, amount)
}

/// A version-2 transaction spending output `vout` of the made-up txid `[salt; 32]` with
/// `witness` (final sequence, no script_sig) and paying `amount` to `to`.
fn spend(salt: u8, vout: u32, witness: Witness, to: &ScriptBuf, amount: u64) -> Transaction {
    Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint {
                txid: Txid::from_byte_array([salt; 32]),
                vout,
            },
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness,
        }],
        output: vec![TxOut {
            value: Amount::from_sat(amount),
            script_pubkey: to.clone(),
        }],
    }
}

fn block(prev: BlockHash, n: u32, txdata: Vec<Transaction>) -> Block {
    Block {
        header: Header {
            version: BlockVersion::from_consensus(4),
            prev_blockhash: prev,
            merkle_root: TxMerkleNode::all_zeros(),
            time: 1_700_000_000 + n,
            bits: CompactTarget::from_consensus(0x207fffff),
            nonce: n,
        },
        txdata,
    }
}

fn vault_of(index: &Index, id: &AssetId) -> Vault {
    index.vault(id).unwrap().expect("the asset has a vault")
}

fn conserved(index: &Index) {
    let t = index.totals().unwrap();
    assert_eq!(t.payments_in, t.paid_out + t.fees + t.waiting, "{t:?}");
    assert_eq!(t.to_parents, t.from_children, "{t:?}");
}

/// A chain of 4 blocks: paper → base (+ dataset) → fine-tune; payments; distributions; a merge.
struct Scenario {
    blocks: Vec<Block>,
    paper: AssetId,
    base: AssetId,
    data: AssetId,
    ft: AssetId,
}

fn scenario(index: &Index) -> Scenario {
    let mut blocks = Vec::new();
    let paper_r = record("attention-paper", 1, vec![]);
    let data_r = record("wikipedia", 2, vec![]);
    let tx0 = reveal(&[&paper_r, &data_r], 1);
    let paper = AssetId::new(tx0.compute_txid(), 0);
    let data = AssetId::new(tx0.compute_txid(), 1);
    let base_r = record(
        "bert",
        3,
        vec![
            (paper, 500, Relation::Architecture),
            (data, 500, Relation::Dataset),
        ],
    );
    let tx1 = reveal(&[&base_r], 2);
    let base = AssetId::new(tx1.compute_txid(), 0);
    let b1 = block(BlockHash::all_zeros(), 1, vec![tx0, tx1]);
    index.apply_block(1, &b1).unwrap();
    blocks.push(b1);

    let ft_r = record(
        "bert-ft",
        4,
        vec![
            (base, 2000, Relation::Finetune),
            (data, 500, Relation::Dataset),
        ],
    );
    let bad_r = record(
        "greedy",
        5,
        vec![
            (base, 6000, Relation::Finetune),
            (data, 5000, Relation::Dataset),
        ],
    );
    let tx2 = reveal(&[&ft_r, &bad_r], 3);
    let ft = AssetId::new(tx2.compute_txid(), 0);
    let b2 = block(blocks[0].block_hash(), 2, vec![tx2]);
    index.apply_block(2, &b2).unwrap();
    blocks.push(b2);

    // Three payments to the fine-tune's vault.
    let ft_vault = vault_of(index, &ft);
    let pays: Vec<Transaction> = (0..3)
        .map(|i| pay(ft_vault.script_pubkey(), 400_000 + 1_000 * i, 10 + i as u8))
        .collect();
    let b3 = block(blocks[1].block_hash(), 3, pays.clone());
    index.apply_block(3, &b3).unwrap();
    blocks.push(b3);

    // Merge two of them, distribute the third, then distribute what reached the base.
    let u = |tx: &Transaction| Utxo {
        outpoint: OutPoint {
            txid: tx.compute_txid(),
            vout: 0,
        },
        amount: tx.output[0].value.to_sat(),
    };
    let merge = build_merge(&ft_vault, &[u(&pays[0]), u(&pays[1])], 700)
        .unwrap()
        .tx;
    let dist = build_distribute(&ft_vault, u(&pays[2]), 900).unwrap().tx;
    let base_vault = vault_of(index, &base);
    let base_out = dist
        .output
        .iter()
        .position(|o| o.script_pubkey == *base_vault.script_pubkey())
        .unwrap();
    let base_utxo = Utxo {
        outpoint: OutPoint {
            txid: dist.compute_txid(),
            vout: base_out as u32,
        },
        amount: dist.output[base_out].value.to_sat(),
    };
    let dist2 = build_distribute(&base_vault, base_utxo, 600).unwrap().tx;
    let b4 = block(blocks[2].block_hash(), 4, vec![merge, dist, dist2]);
    index.apply_block(4, &b4).unwrap();
    blocks.push(b4);
    Scenario {
        blocks,
        paper,
        base,
        data,
        ft,
    }
}

#[test]
fn registrations_payments_and_distributions_are_accounted_exactly() {
    let index = Index::open(&temp("flow"), Chain::Devnet).unwrap();
    let s = scenario(&index);
    assert_eq!(index.tip().unwrap().unwrap().0, 4);
    for id in [s.paper, s.base, s.data, s.ft] {
        assert!(index.asset(&id).unwrap().unwrap().vault.is_some());
    }
    let bad = AssetId::new(s.ft.txid, 1);
    assert!(index.asset(&bad).unwrap().is_none());
    assert!(index
        .invalid(&bad)
        .unwrap()
        .unwrap()
        .reason
        .contains("sum to 11000"));

    let ft = index.stats(&s.ft).unwrap().unwrap();
    assert_eq!((ft.payments, ft.payments_in), (3, 1_203_000));
    assert_eq!((ft.merges, ft.distributions), (1, 1));
    let sp = split(402_000, 900, &[2000, 500]).unwrap();
    assert_eq!(ft.to_parents, sp.parents.iter().sum::<u64>());
    assert_eq!(ft.paid_out, sp.owner);
    assert_eq!(ft.fees, 700 + 900);
    assert_eq!(ft.waiting, 400_000 + 401_000 - 700);
    let base = index.stats(&s.base).unwrap().unwrap();
    assert_eq!(base.from_children, sp.parents[0]);
    let sb = split(sp.parents[0], 600, &[500, 500]).unwrap();
    assert_eq!(base.paid_out, sb.owner);
    let data = index.stats(&s.data).unwrap().unwrap();
    assert_eq!(data.waiting, sp.parents[1] + sb.parents[1]);
    assert_eq!(
        index.stats(&s.paper).unwrap().unwrap().waiting,
        sb.parents[0]
    );
    assert_eq!(index.earnings(&owner(4)).unwrap().total, sp.owner);
    assert_eq!(index.earnings(&owner(3)).unwrap().total, sb.owner);
    conserved(&index);

    let events = index.events(&s.blocks[3].txdata[1].compute_txid()).unwrap();
    assert!(matches!(&events[0], Event::Distribution { asset, fee: 900, .. } if *asset == s.ft));
    let vs = index.vault_status(&s.ft).unwrap().unwrap();
    assert_eq!(vs.balance, ft.waiting);
    assert_eq!(vs.utxos.len(), 1);
    assert!(vs.threshold_at_cap.unwrap() > 330);

    // The fine-tune's flows in chain order: registration, three payments, merge, distribution.
    let kinds: Vec<&str> = index
        .events_for(&s.ft)
        .unwrap()
        .iter()
        .map(|(_, e)| match e {
            Event::Registered { .. } => "registered",
            Event::Payment { .. } => "payment",
            Event::Merge { .. } => "merge",
            Event::Distribution { .. } => "distribution",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "registered",
            "payment",
            "payment",
            "payment",
            "merge",
            "distribution"
        ]
    );
    // The base is involved as distributor and as a parent paid by the fine-tune.
    let base_events = index.events_for(&s.base).unwrap();
    assert_eq!(base_events.len(), 3, "{base_events:?}");
    assert!(base_events
        .iter()
        .all(|(_, e)| e.assets().contains(&s.base)));
    // Children and descendants come from their own table.
    let mut kids = index.children(&s.data).unwrap();
    kids.sort();
    let mut want = vec![s.base, s.ft];
    want.sort();
    assert_eq!(
        kids, want,
        "the invalid record names data too but is not an asset"
    );
    let desc: Vec<AssetId> = index
        .descendants(&s.paper)
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(desc, vec![s.base, s.ft], "nearest first");
    assert!(index.descendants(&s.ft).unwrap().is_empty());
}

#[test]
fn reorgs_roll_back_exactly_and_restarts_resume() {
    let path = temp("reorg");
    let full = {
        let index = Index::open(&path, Chain::Devnet).unwrap();
        let s = scenario(&index);
        let full = index.dump().unwrap();
        for keep in [3u32, 2, 1] {
            index.rollback_to(Some(keep)).unwrap();
            let fresh = Index::open(&temp(&format!("fresh{keep}")), Chain::Devnet).unwrap();
            for (h, b) in s.blocks.iter().enumerate().take(keep as usize) {
                fresh.apply_block(h as u32 + 1, b).unwrap();
            }
            assert_eq!(
                index.dump().unwrap(),
                fresh.dump().unwrap(),
                "rolled back to {keep}"
            );
            conserved(&index);
            // Re-apply what was removed: the same index as before.
            for h in keep..4 {
                index.apply_block(h + 1, &s.blocks[h as usize]).unwrap();
            }
            assert_eq!(index.dump().unwrap(), full);
        }
        // A block that does not build on the tip is refused with the fork named.
        let stray = block(BlockHash::all_zeros(), 99, vec![]);
        assert!(matches!(
            index.apply_block(5, &stray),
            Err(IndexError::Reorg { height: 5, .. })
        ));
        assert!(matches!(
            index.apply_block(7, &stray),
            Err(IndexError::NotNext { .. })
        ));
        full
    };
    // Reopen: everything is there.
    let index = Index::open(&path, Chain::Devnet).unwrap();
    assert_eq!(index.tip().unwrap().unwrap().0, 4);
    assert_eq!(index.dump().unwrap(), full);
    index.rollback_to(None).unwrap();
    assert!(index.tip().unwrap().is_none());
    assert!(index.assets().unwrap().is_empty());
}

#[test]
fn chains_without_op_cat_get_no_vaults() {
    let index = Index::open(&temp("nocat"), Chain::Regtest).unwrap();
    let r = record("m", 1, vec![]);
    let tx = reveal(&[&r], 1);
    let id = AssetId::new(tx.compute_txid(), 0);
    index
        .apply_block(1, &block(BlockHash::all_zeros(), 1, vec![tx]))
        .unwrap();
    assert!(index.asset(&id).unwrap().unwrap().vault.is_none());
}

mod reorg_property {
    use super::*;
    use proptest::prelude::*;

    /// A chain of `len` blocks on top of `scenario`'s registrations, each paying random vaults
    /// random amounts; `salt` makes forks differ.
    fn payments(vaults: &[ScriptBuf], plan: &[(usize, u64)], salt: u8) -> Vec<Transaction> {
        plan.iter()
            .enumerate()
            .map(|(i, (v, amount))| {
                pay(
                    &vaults[v % vaults.len()],
                    1_000 + amount,
                    salt.wrapping_add(i as u8),
                )
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Index chain A, reorganise to chain B at a random fork point: the index equals a
        /// fresh index of B, and the books balance.
        #[test]
        fn reorganised_index_equals_a_fresh_index_of_the_winning_chain(
            a in prop::collection::vec(prop::collection::vec((0usize..4, 0u64..1_000_000), 0..4), 1..6),
            b in prop::collection::vec(prop::collection::vec((0usize..4, 0u64..1_000_000), 0..4), 1..6),
            fork in any::<prop::sample::Index>(),
        ) {
            let n = FRESH.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let index = Index::open(&temp(&format!("prop-a-{n}")), Chain::Devnet).unwrap();
            let s = scenario(&index);
            let vaults: Vec<ScriptBuf> = [s.paper, s.base, s.data, s.ft].iter().map(|id| index.asset(id).unwrap().unwrap().vault.unwrap()).collect();
            let base_len = s.blocks.len() as u32;
            let mut chain_a = s.blocks.clone();
            for (i, plan) in a.iter().enumerate() {
                let blk = block(chain_a.last().unwrap().block_hash(), 100 + i as u32, payments(&vaults, plan, 1 + i as u8));
                index.apply_block(chain_a.len() as u32 + 1, &blk).unwrap();
                chain_a.push(blk);
            }
            // B forks somewhere at or above the registrations.
            let keep = base_len + fork.index(a.len() + 1) as u32;
            let mut chain_b: Vec<Block> = chain_a[..keep as usize].to_vec();
            for (i, plan) in b.iter().enumerate() {
                let blk = block(chain_b.last().unwrap().block_hash(), 200 + i as u32, payments(&vaults, plan, 101 + i as u8));
                chain_b.push(blk);
            }
            index.rollback_to(Some(keep)).unwrap();
            for (h, blk) in chain_b.iter().enumerate().skip(keep as usize) {
                index.apply_block(h as u32 + 1, blk).unwrap();
            }
            let fresh = Index::open(&temp(&format!("prop-b-{n}")), Chain::Devnet).unwrap();
            for (h, blk) in chain_b.iter().enumerate() {
                fresh.apply_block(h as u32 + 1, blk).unwrap();
            }
            prop_assert_eq!(index.dump().unwrap(), fresh.dump().unwrap());
            conserved(&index);
        }
    }

    static FRESH: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
}

/// An index written by another schema version is refused by `open` and rebuilt by
/// `open_or_rebuild`, which says which version it found.
#[test]
fn another_schema_version_is_refused_or_rebuilt() {
    let path = temp("schema");
    {
        let index = Index::open(&path, Chain::Devnet).unwrap();
        scenario(&index);
    }
    {
        let db = redb::Database::create(&path).unwrap();
        let w = db.begin_write().unwrap();
        {
            let mut meta = w
                .open_table(redb::TableDefinition::<&str, &[u8]>::new("meta"))
                .unwrap();
            meta.insert("schema_version", 1u32.to_le_bytes().as_slice())
                .unwrap();
        }
        w.commit().unwrap();
    }
    let err = Index::open(&path, Chain::Devnet).err().expect("refused");
    assert!(err.to_string().contains("schema version 1"), "{err}");
    let (index, found) = Index::open_or_rebuild(&path, Chain::Devnet).unwrap();
    assert_eq!(found, Some(1));
    assert_eq!(index.tip().unwrap(), None, "empty, to be synced again");
    drop(index);
    let (_, found) = Index::open_or_rebuild(&path, Chain::Devnet).unwrap();
    assert_eq!(found, None);

    // A newer schema is refused and left as it is: not deleted, not rewritten.
    let newer = bitmodel_index::schema::SCHEMA_VERSION + 1;
    {
        let db = redb::Database::create(&path).unwrap();
        let w = db.begin_write().unwrap();
        {
            let mut meta = w
                .open_table(redb::TableDefinition::<&str, &[u8]>::new("meta"))
                .unwrap();
            meta.insert("schema_version", newer.to_le_bytes().as_slice())
                .unwrap();
        }
        w.commit().unwrap();
    }
    let err = Index::open_or_rebuild(&path, Chain::Devnet)
        .err()
        .expect("refused");
    assert!(
        matches!(err, IndexError::SchemaNewer { found, .. } if found == newer),
        "{err}"
    );
    assert!(
        err.to_string().contains("newer bitmodel") && err.to_string().contains("untouched"),
        "{err}"
    );
    // Not deleted, not rebuilt: its version is still there.
    use redb::ReadableDatabase;
    let db = redb::Database::create(&path).unwrap();
    let r = db.begin_read().unwrap();
    let meta = r
        .open_table(redb::TableDefinition::<&str, &[u8]>::new("meta"))
        .unwrap();
    let v = meta
        .get("schema_version")
        .unwrap()
        .unwrap()
        .value()
        .to_vec();
    assert!(v == newer.to_le_bytes(), "the newer version is kept");
}
