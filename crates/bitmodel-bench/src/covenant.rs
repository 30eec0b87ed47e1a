//! `covenant`: the cost of a vault spend on chain — leaf size, witness size and vsize of
//! `distribute` for 1..=11 parents and of `merge_k` for k = 2..=8 — plus the mean number of
//! nLockTime grinding tries and the time to verify one 3-parent distribute with our
//! interpreter (Fractal flags).

use std::time::Instant;

use bitcoin::hashes::Hash;
use bitcoin::key::{Secp256k1, TweakedPublicKey};
use bitcoin::{OutPoint, ScriptBuf, Txid, WPubkeyHash};
use bitmodel_covenant::vault::ParentShare;
use bitmodel_covenant::{build_distribute, build_merge, Utxo, Vault, VaultTerms};
use bitmodel_protocol::Chain;
use bitmodel_script::{verify_tx, Flags};

use crate::report::{line, median_time, us};

fn parent(i: u8) -> ScriptBuf {
    let secp = Secp256k1::new();
    let sk = bitcoin::secp256k1::SecretKey::from_slice(&[i + 1; 32]).expect("valid key");
    ScriptBuf::new_p2tr_tweaked(TweakedPublicKey::dangerous_assume_tweaked(
        sk.x_only_public_key(&secp).0,
    ))
}

fn vault(n: usize) -> Vault {
    // Realistic weights: a few percent each, all different, 13 or 14 bits.
    let parents = (0..n)
        .map(|i| ParentShare {
            script_pubkey: parent(i as u8),
            weight: 500 + (137 * i as u16) % 400,
        })
        .collect();
    let terms = VaultTerms {
        parents,
        owner: ScriptBuf::new_p2tr_tweaked(TweakedPublicKey::dangerous_assume_tweaked(
            bitmodel_protocol_owner(),
        )),
        fee_cap: 20_000,
    };
    Vault::new(terms, Chain::Devnet).expect("valid terms")
}

fn bitmodel_protocol_owner() -> bitcoin::XOnlyPublicKey {
    let _ = WPubkeyHash::all_zeros();
    bitcoin::XOnlyPublicKey::from_slice(&bitmodel_covenant::leaves::G_X).expect("G is a point")
}

fn utxo(n: u32, amount: u64) -> Utxo {
    let mut t = [0u8; 32];
    t[..4].copy_from_slice(&n.to_le_bytes());
    Utxo {
        outpoint: OutPoint {
            txid: Txid::from_byte_array(t),
            vout: n % 7,
        },
        amount,
    }
}

pub fn run() {
    for n in 1..=11usize {
        let v = vault(n);
        let b = build_distribute(&v, utxo(n as u32, 50_000_000), 2_000).expect("distribute builds");
        let w = &b.tx.input[0].witness;
        line(
            &format!("covenant.distribute_leaf_bytes.{n}"),
            v.distribute.len() as f64,
            "bytes",
        );
        line(
            &format!("covenant.distribute_witness_bytes.{n}"),
            w.size() as f64,
            "bytes",
        );
        line(
            &format!("covenant.distribute_vsize.{n}"),
            b.tx.vsize() as f64,
            "vB",
        );
    }
    let v = vault(3);
    for k in 2..=8usize {
        let utxos: Vec<Utxo> = (0..k as u32)
            .map(|j| utxo(100 + j, 40_000 + 1_000 * u64::from(j)))
            .collect();
        let b = build_merge(&v, &utxos, 2_000).expect("merge builds");
        line(
            &format!("covenant.merge_leaf_bytes.{k}"),
            v.merge_leaf(k).len() as f64,
            "bytes",
        );
        line(
            &format!("covenant.merge_vsize.{k}"),
            b.tx.vsize() as f64,
            "vB",
        );
        line(
            &format!("covenant.merge_grind_tries.{k}"),
            f64::from(b.tries),
            "tries",
        );
    }
    let runs = 2_000u32;
    let t = Instant::now();
    let tries: u64 = (0..runs)
        .map(|i| {
            u64::from(
                build_distribute(&v, utxo(1_000 + i, 10_000_000 + u64::from(i)), 1_500)
                    .expect("builds")
                    .tries,
            )
        })
        .sum();
    line(
        "covenant.grind_tries_mean",
        tries as f64 / f64::from(runs),
        "tries",
    );
    line(
        "covenant.build_distribute_us.3",
        us(t.elapsed()) / f64::from(runs),
        "us",
    );
    let b = build_distribute(&v, utxo(7, 10_000_000), 1_500).expect("builds");
    verify_tx(&b.tx, &b.spent, Flags::FRACTAL, 1).expect("honest spend verifies");
    let per = median_time(15, || {
        for _ in 0..100 {
            verify_tx(&b.tx, &b.spent, Flags::FRACTAL, 1).expect("honest spend verifies");
        }
    });
    line("covenant.verify_us.3", us(per) / 100.0, "us");
}
