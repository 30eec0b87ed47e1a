//! Registering records on an in-process devnet the way a user's node would: a commit funded
//! by the faucet, then the reveal spending it by the tapscript path, mined. Tests and
//! benchmarks of the indexer, the server and the gateway all need assets on chain; this is
//! the one place that knows how.

use std::sync::atomic::{AtomicU64, Ordering};

use bitcoin::hashes::{sha256, Hash, HashEngine};
use bitcoin::key::{Keypair, Secp256k1};
use bitcoin::{Amount, Script, TxOut};
use bitmodel_devnet::Devnet;
use bitmodel_protocol::envelope::Inscription;
use bitmodel_protocol::{AssetId, Record};
use bitmodel_wallet::reveal::Reveal;

/// Sats the reveal leaves with `postage` (the inscriptions' first sat).
pub const POSTAGE: u64 = 10_000;

/// Inscribes `inscriptions` in one reveal (mined); their asset ids, in order.
pub fn inscribe(dn: &Devnet, inscriptions: &[Inscription], postage: &Script) -> Vec<AssetId> {
    static N: AtomicU64 = AtomicU64::new(0);
    let secp = Secp256k1::new();
    let mut e = sha256::Hash::engine();
    e.input(&N.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    e.input(&std::process::id().to_le_bytes());
    e.input(postage.as_bytes());
    let kp = Keypair::from_seckey_slice(&secp, sha256::Hash::from_engine(e).as_byte_array())
        .expect("a hash is a valid key with overwhelming probability");
    let reveal = Reveal::new(&secp, kp.x_only_public_key().0, inscriptions)
        .expect("the inscriptions fit one reveal");
    let out = vec![TxOut {
        value: Amount::from_sat(POSTAGE),
        script_pubkey: postage.to_owned(),
    }];
    let fee = 2 * reveal.vsize(&out);
    let commit = dn
        .fund(
            &reveal.commit_script_pubkey(),
            Amount::from_sat(POSTAGE + fee),
        )
        .expect("the faucet funds the commit");
    let tx = reveal
        .reveal(&secp, &kp, commit, POSTAGE + fee, out, fee)
        .expect("the reveal signs");
    let txid = dn
        .submit(tx)
        .unwrap_or_else(|r| panic!("reveal rejected: {r:?}"));
    dn.mine(1).expect("mined");
    (0..inscriptions.len() as u32)
        .map(|i| AssetId::new(txid, i))
        .collect()
}

/// One record with `body` as its file, postage to its owner; its asset id.
pub fn register(dn: &Devnet, record: &Record, content_type: &str, body: Vec<u8>) -> AssetId {
    inscribe(
        dn,
        &[Inscription::bitmodel(record, content_type, body)],
        &record.owner,
    )[0]
}

/// Attacker-shaped lineage: `records` records registered in reveals of 100, each naming
/// `parents` distinct assets among the last 400 registered (weights 300 bps, relation
/// merge): the last one has thousands of ancestors reached over tens of thousands of
/// paths. Their ids, in order.
pub fn wide_dag(dn: &Devnet, records: usize, parents: usize) -> Vec<AssetId> {
    use bitmodel_protocol::{Kind, Parent, Relation};
    let mut rng = crate::rng::Rng::new(3);
    let owner = |n: usize| {
        let mut h = [0u8; 20];
        h[..8].copy_from_slice(&(n as u64).to_le_bytes());
        bitcoin::ScriptBuf::new_p2wpkh(&bitcoin::WPubkeyHash::from_byte_array(h))
    };
    let mut ids: Vec<AssetId> = Vec::with_capacity(records);
    while ids.len() < records {
        let n = ids.len();
        let batch: Vec<Inscription> = (n..(n + 100).min(records))
            .map(|k| {
                let mut ps: Vec<Parent> = Vec::new();
                while ps.len() < parents.min(ids.len()) {
                    let pick = rng.below(ids.len().min(400) as u64) as usize;
                    let asset = ids[ids.len() - 1 - pick];
                    if ps.iter().all(|p| p.asset != asset) {
                        ps.push(Parent {
                            asset,
                            weight: 300,
                            relation: Relation::Merge,
                        });
                    }
                }
                let r = Record {
                    kind: Kind::Model,
                    name: format!("wide-{k}"),
                    version: "1".into(),
                    license: "MIT".into(),
                    content: None,
                    owner: owner(k),
                    fee_cap: 20_000,
                    price: None,
                    parents: ps,
                    payees: Vec::new(),
                };
                Inscription::bitmodel(&r, "text/plain", b"w".to_vec())
            })
            .collect();
        ids.extend(inscribe(dn, &batch, &owner(0)));
    }
    ids
}
