//! `index`: the indexer over a 2,000-block chain with 10,000 registrations and 100,000
//! payments and distributions — blocks/s, transactions/s, database size — then the asset,
//! lineage, earnings, flows (an asset's events) and descendants queries on the result
//! (p50/p99).
//!
//! The chain is built in-process from real transactions (commit/reveal envelopes, vault
//! payments, covenant distributions built by `bitmodel-covenant`) chained by block hashes; it
//! is not mined by the devnet, whose script validation would dominate the figure and is
//! measured by the `devnet` group. The indexer does the same work either way.

use std::time::{Duration, Instant};

use bitcoin::block::{Header, Version as BlockVersion};
use bitcoin::hashes::{sha256, Hash};
use bitcoin::key::{Keypair, Secp256k1};
use bitcoin::transaction::Version;
use bitcoin::{
    absolute::LockTime, Amount, Block, BlockHash, CompactTarget, OutPoint, ScriptBuf, Sequence,
    Transaction, TxIn, TxMerkleNode, TxOut, Txid,
};
use bitmodel_covenant::{build_distribute, Utxo, Vault, VaultTerms};
use bitmodel_index::Index;
use bitmodel_protocol::envelope::Inscription;
use bitmodel_protocol::{AssetId, Chain, Parent, Record, Relation};
use bitmodel_testkit::fixture::{self, numbered_owner as owner};
use bitmodel_wallet::reveal::Reveal;

use crate::report::{line, quantile, us, Rng};

const BLOCKS: u32 = 2_000;
const ASSETS: usize = 10_000;
const PER_REVEAL: usize = 50;
const FLOWS: usize = 100_000;

fn pay(to: &ScriptBuf, amount: u64, n: u64) -> Transaction {
    let mut t = [0u8; 32];
    t[..8].copy_from_slice(&n.to_le_bytes());
    Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint {
                txid: Txid::from_byte_array(t),
                vout: 0,
            },
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness: Default::default(),
        }],
        output: vec![TxOut {
            value: Amount::from_sat(amount),
            script_pubkey: to.clone(),
        }],
    }
}

pub fn run() {
    let secp = Secp256k1::new();
    let mut rng = Rng::new(0x1de);
    // Registrations: 200 reveals of 50 records, lineage from earlier reveals.
    let mut reveals: Vec<Transaction> = Vec::new();
    let mut ids: Vec<AssetId> = Vec::new();
    let mut records: Vec<Record> = Vec::new();
    for r in 0..ASSETS / PER_REVEAL {
        let batch: Vec<Record> = (0..PER_REVEAL)
            .map(|k| {
                let n = r * PER_REVEAL + k;
                let mut parents: Vec<Parent> = Vec::new();
                for _ in 0..if ids.is_empty() { 0 } else { rng.below(4) } {
                    let asset = ids[rng.below(ids.len() as u64) as usize];
                    if parents.iter().all(|p| p.asset != asset) {
                        parents.push(Parent {
                            asset,
                            weight: 300 + rng.below(1_500) as u16,
                            relation: Relation::Finetune,
                        });
                    }
                }
                Record {
                    version: String::new(),
                    parents,
                    ..fixture::record(&format!("m{n}"), owner(n), 20_000)
                }
            })
            .collect();
        let kp = Keypair::from_seckey_slice(
            &secp,
            sha256::Hash::hash(&(r as u64).to_le_bytes()).as_byte_array(),
        )
        .expect("valid key");
        let insc: Vec<Inscription> = batch
            .iter()
            .map(|rec| Inscription::bitmodel(rec, "text/plain", vec![]))
            .collect();
        let reveal = Reveal::new(&secp, kp.x_only_public_key().0, &insc).expect("a reveal fits");
        let out = vec![TxOut {
            value: Amount::from_sat(10_000),
            script_pubkey: owner(0),
        }];
        let tx = reveal
            .reveal(
                &secp,
                &kp,
                OutPoint {
                    txid: Txid::from_byte_array([r as u8; 32]),
                    vout: r as u32,
                },
                20_000,
                out,
                10_000,
            )
            .expect("signs");
        let txid = tx.compute_txid();
        ids.extend((0..PER_REVEAL as u32).map(|i| AssetId::new(txid, i)));
        records.extend(batch);
        reveals.push(tx);
    }
    // Vaults, in registration order (parents first).
    let mut vaults: Vec<Vault> = Vec::with_capacity(ASSETS);
    for rec in &records {
        let parents: Vec<ScriptBuf> = rec
            .parents
            .iter()
            .map(|p| {
                vaults[ids
                    .iter()
                    .position(|i| *i == p.asset)
                    .expect("parent exists")]
                .script_pubkey()
                .clone()
            })
            .collect();
        vaults.push(
            Vault::new(VaultTerms::from_record(rec, &parents), Chain::Devnet).expect("valid terms"),
        );
    }
    // Blocks: reveals in the first 200 blocks, then payments, each tenth flow a distribution
    // of an earlier payment.
    let mut blocks: Vec<Vec<Transaction>> = vec![Vec::new(); BLOCKS as usize];
    for (i, tx) in reveals.into_iter().enumerate() {
        blocks[i].push(tx);
    }
    let mut pending: Vec<(usize, Utxo)> = Vec::new();
    for f in 0..FLOWS {
        let b = 200 + f * (BLOCKS as usize - 200) / FLOWS;
        if f % 10 == 9 && !pending.is_empty() {
            let (v, u) = pending.swap_remove(rng.below(pending.len() as u64) as usize);
            if let Ok(d) = build_distribute(&vaults[v], u, 1_000) {
                blocks[b].push(d.tx);
                continue;
            }
        }
        let v = rng.below(ASSETS as u64) as usize;
        let amount = 50_000 + rng.below(5_000_000);
        let tx = pay(vaults[v].script_pubkey(), amount, f as u64);
        pending.push((
            v,
            Utxo {
                outpoint: OutPoint {
                    txid: tx.compute_txid(),
                    vout: 0,
                },
                amount,
            },
        ));
        blocks[b].push(tx);
    }
    let mut chain = Vec::with_capacity(BLOCKS as usize);
    let mut prev = BlockHash::all_zeros();
    for (h, txdata) in blocks.into_iter().enumerate() {
        let header = Header {
            version: BlockVersion::from_consensus(4),
            prev_blockhash: prev,
            merkle_root: TxMerkleNode::all_zeros(),
            time: 1_700_000_000 + h as u32,
            bits: CompactTarget::from_consensus(0x207f_ffff),
            nonce: h as u32,
        };
        let block = Block { header, txdata };
        prev = block.block_hash();
        chain.push(block);
    }
    let txs: usize = chain.iter().map(|b| b.txdata.len()).sum();

    let dir = std::env::temp_dir().join(format!("bitmodel-bench-index-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("index.redb");
    let index = Index::open(&path, Chain::Devnet).expect("index opens");
    let t = Instant::now();
    for (h, b) in chain.iter().enumerate() {
        index.apply_block(h as u32 + 1, b).expect("block applies");
    }
    let took = t.elapsed().as_secs_f64();
    line("index.blocks", f64::from(BLOCKS), "blocks");
    line("index.transactions", txs as f64, "tx");
    line("index.blocks_per_s", f64::from(BLOCKS) / took, "blocks/s");
    line("index.tx_per_s", txs as f64 / took, "tx/s");
    line(
        "index.db_bytes",
        std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) as f64,
        "bytes",
    );
    let totals = index.totals().expect("totals");
    assert_eq!(
        totals.payments_in,
        totals.paid_out + totals.fees + totals.waiting,
        "books balance"
    );

    let mut sample = |f: &mut dyn FnMut(usize)| {
        let mut times: Vec<Duration> = (0..2_000)
            .map(|_| {
                let i = rng.below(ASSETS as u64) as usize;
                let t = Instant::now();
                f(i);
                t.elapsed()
            })
            .collect();
        (quantile(&mut times, 0.5), quantile(&mut times, 0.99))
    };
    let (p50, p99) = sample(&mut |i| {
        index.asset(&ids[i]).expect("query").expect("asset exists");
    });
    line("index.query_asset_p50_us", us(p50), "us");
    line("index.query_asset_p99_us", us(p99), "us");
    let (p50, p99) = sample(&mut |i| {
        assert!(!index.ancestry(&ids[i]).expect("query").is_empty());
    });
    line("index.query_lineage_p50_us", us(p50), "us");
    line("index.query_lineage_p99_us", us(p99), "us");
    let (p50, p99) = sample(&mut |i| {
        index.earnings(&owner(i)).expect("query");
    });
    line("index.query_earnings_p50_us", us(p50), "us");
    line("index.query_earnings_p99_us", us(p99), "us");
    let (p50, p99) = sample(&mut |i| {
        assert!(!index.events_for(&ids[i]).expect("query").is_empty());
    });
    line("index.query_flows_p50_us", us(p50), "us");
    line("index.query_flows_p99_us", us(p99), "us");
    let (p50, p99) = sample(&mut |i| {
        index.descendants(&ids[i]).expect("query");
    });
    line("index.query_descendants_p50_us", us(p50), "us");
    line("index.query_descendants_p99_us", us(p99), "us");
    let _ = std::fs::remove_dir_all(&dir);
    part_flood(&secp);
}

/// A reveal carrying `insc` (in-process: the indexer reads envelopes, it does not validate).
fn reveal_of(
    secp: &Secp256k1<bitcoin::secp256k1::All>,
    n: u64,
    insc: &[Inscription],
) -> Transaction {
    let kp = Keypair::from_seckey_slice(secp, sha256::Hash::hash(&n.to_le_bytes()).as_byte_array())
        .expect("valid key");
    let reveal = Reveal::new(secp, kp.x_only_public_key().0, insc).expect("a reveal");
    let mut t = [0u8; 32];
    t[..8].copy_from_slice(&n.to_le_bytes());
    reveal
        .reveal(
            secp,
            &kp,
            OutPoint {
                txid: Txid::from_byte_array(t),
                vout: 0,
            },
            20_000,
            vec![TxOut {
                value: Amount::from_sat(10_000),
                script_pubkey: owner(0),
            }],
            10_000,
        )
        .expect("signs")
}

/// 10,000 empty content parts for a version-2 record in one block (100 reveals of 100), the
/// spoiling flood the record's part commitments defuse: each part costs one lookup and one
/// recorded reason, no re-hashing of the file. Reference in the same run: the same flood at
/// an asset that does not exist (parts refused at the first lookup).
fn part_flood(secp: &Secp256k1<bitcoin::secp256k1::All>) {
    use bitmodel_protocol::chunk::ChunkRef;
    let file: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let record = Record {
        version: String::new(),
        content: Some(fixture::content(&file, Some(1_000))),
        ..fixture::record("flooded", owner(1), 20_000)
    };
    let reg = reveal_of(
        secp,
        1 << 40,
        &[Inscription::bitmodel(
            &record,
            "application/octet-stream",
            file[..1_000].to_vec(),
        )],
    );
    let asset = AssetId::new(reg.compute_txid(), 0);
    let nowhere = AssetId::new(Txid::from_byte_array([0xee; 32]), 0);
    let flood = |target: AssetId, seed: u64| -> Vec<Transaction> {
        (0..100u64)
            .map(|r| {
                let insc: Vec<Inscription> = (0..100u32)
                    .map(|k| {
                        let index = 1 + (r as u32) * 100 + k;
                        Inscription::bitmodel_chunk(
                            &ChunkRef {
                                asset: target,
                                index,
                            },
                            Vec::new(),
                        )
                    })
                    .collect();
                reveal_of(secp, seed + r, &insc)
            })
            .collect()
    };
    let block = |prev: BlockHash, n: u32, txdata: Vec<Transaction>| Block {
        header: Header {
            version: BlockVersion::from_consensus(4),
            prev_blockhash: prev,
            merkle_root: TxMerkleNode::all_zeros(),
            time: 1_800_000_000 + n,
            bits: CompactTarget::from_consensus(0x207f_ffff),
            nonce: n,
        },
        txdata,
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let index = Index::open(&dir.path().join("flood.redb"), Chain::Devnet).expect("index");
    let b1 = block(BlockHash::all_zeros(), 1, vec![reg]);
    index.apply_block(1, &b1).expect("applies");
    let b2 = block(b1.block_hash(), 2, flood(asset, 1 << 41));
    let t = Instant::now();
    index.apply_block(2, &b2).expect("applies");
    let took = t.elapsed();
    let (row, _) = index.content(&asset).expect("read").expect("content");
    assert_eq!(row.parts, 1, "no empty part counted");
    let b3 = block(b2.block_hash(), 3, flood(nowhere, 1 << 42));
    let t = Instant::now();
    index.apply_block(3, &b3).expect("applies");
    let reference = t.elapsed();
    line("index.part_flood_ms", took.as_secs_f64() * 1e3, "ms");
    line(
        "index.part_flood_unknown_asset_ms",
        reference.as_secs_f64() * 1e3,
        "ms",
    );
    line(
        "index.part_flood_vs_unknown_asset",
        took.as_secs_f64() / reference.as_secs_f64().max(1e-9),
        "x",
    );
}
