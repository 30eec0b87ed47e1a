//! `covenant`: the cost of a vault spend on chain — leaf size, witness size and vsize of
//! `distribute` for 1..=11 parents and of a merge of k = 2..=8 inputs (leader + followers),
//! the slopes the cheap-C-Flow issue targets (`covenant.distribute_vsize_per_parent`,
//! `covenant.merge_vsize_per_extra_input`), where the bytes of a 3-parent distribute go
//! (`covenant.distribute_bytes.3.*`), plus the mean number of nLockTime grinding tries and the
//! time to verify one 3-parent distribute with our interpreter (Fractal flags).

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
        denominator: 10_000,
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
    let mut vsizes = Vec::new();
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
        vsizes.push(b.tx.vsize() as f64);
    }
    line(
        "covenant.distribute_vsize_per_parent",
        (vsizes[10] - vsizes[0]) / 10.0,
        "vB",
    );
    byte_table(&vault(3));
    let v = vault(3);
    line("covenant.merge_leaf_bytes", v.merge.len() as f64, "bytes");
    line("covenant.follow_leaf_bytes", v.follow.len() as f64, "bytes");
    let mut merges = Vec::new();
    for k in 2..=8usize {
        let utxos: Vec<Utxo> = (0..k as u32)
            .map(|j| utxo(100 + j, 40_000 + 1_000 * u64::from(j)))
            .collect();
        let b = build_merge(&v, &utxos, 2_000).expect("merge builds");
        verify_tx(&b.tx, &b.spent, Flags::FRACTAL, 1).expect("honest merge verifies");
        merges.push(b.tx.vsize() as f64);
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
    line(
        "covenant.merge_vsize_per_extra_input",
        (merges[6] - merges[0]) / 6.0,
        "vB",
    );
    wide(1_000);
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

/// Where the weight of a 3-parent distribute goes: script bytes by purpose, witness items,
/// control block and the non-witness transaction (weight units are bytes × 1 for witness
/// data and × 4 for the rest; lines in bytes).
fn byte_table(v: &Vault) {
    let b = build_distribute(v, utxo(3, 50_000_000), 2_000).expect("distribute builds");
    for (purpose, bytes) in bitmodel_covenant::leaves::distribute_sections(&v.terms) {
        line(
            &format!("covenant.distribute_bytes.3.script.{}", slug(purpose)),
            bytes as f64,
            "bytes",
        );
    }
    let items: Vec<&[u8]> = b.tx.input[0].witness.iter().collect();
    let with_len = |i: &[u8]| (i.len() + bitcoin::VarInt(i.len() as u64).size()) as f64;
    let n = items.len();
    let named = [
        ("challenge_e31_b", &items[0..2]),
        ("sigmsg_pieces", &items[2..5]),
        ("numbers_q_f_a_t", &items[5..n - 2]),
    ];
    for (name, group) in named {
        line(
            &format!("covenant.distribute_bytes.3.witness.{name}"),
            group.iter().map(|i| with_len(i)).sum(),
            "bytes",
        );
    }
    line(
        "covenant.distribute_bytes.3.witness.leaf_length_prefix",
        with_len(items[n - 2]) - items[n - 2].len() as f64,
        "bytes",
    );
    line(
        "covenant.distribute_bytes.3.witness.control_block",
        with_len(items[n - 1]),
        "bytes",
    );
    let base = bitcoin::consensus::serialize(&{
        let mut t = b.tx.clone();
        t.input[0].witness = bitcoin::Witness::new();
        t
    })
    .len();
    line(
        "covenant.distribute_bytes.3.non_witness_tx",
        base as f64,
        "bytes",
    );
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect::<String>()
        .split('_')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

/// The split of splits for `n` P2WPKH payees of weights 1..=9 (`docs/splitters.md`): every
/// transaction from the asset's vault down to the payees, built and verified, their vsize per
/// payee, and the tree's depth (levels of spends).
fn wide(n: usize) {
    use bitmodel_covenant::wide::{spend_tree, tree_vaults};
    use bitmodel_protocol::wide::{tree, Node};
    let member = |i: usize| {
        let mut h = [0u8; 20];
        h[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
        ScriptBuf::new_p2wpkh(&WPubkeyHash::from_byte_array(h))
    };
    let w: Vec<u16> = (0..n).map(|i| 1 + (i * 7 % 9) as u16).collect();
    let scripts: Vec<ScriptBuf> = (0..n).map(member).collect();
    let vaults =
        tree_vaults(&w, &scripts, member(n + 1), 20_000, Chain::Devnet).expect("the vaults");
    // The vault pays 2,000 sats of fee, each splitter none (fees do not change sizes here).
    let top_spk = Vault::new(vaults.top.clone(), Chain::Devnet)
        .expect("a vault")
        .script_pubkey()
        .clone();
    let spends = spend_tree(&vaults, Chain::Devnet, utxo(9, 2_000_000_000), |v| {
        if *v.script_pubkey() == top_spk {
            2_000
        } else {
            0
        }
    })
    .expect("every spend builds");
    let vsize: usize = spends.iter().map(|b| b.tx.vsize()).sum();
    let top = tree(&w);
    let depth = 1 + top.iter().map(Node::depth).max().unwrap_or(0);
    line(
        &format!("covenant.wide_vsize_per_parent.{n}"),
        vsize as f64 / n as f64,
        "vB",
    );
    line(&format!("covenant.wide_depth.{n}"), depth as f64, "levels");
}
