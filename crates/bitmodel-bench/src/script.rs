//! `script`: our interpreter against Bitcoin Core's (libbitcoinconsensus) on the same inputs —
//! P2WPKH, P2TR key path, P2TR script path with a 3-of-3 `CHECKSIGADD` — and a 200-opcode
//! tapscript of hashing and `OP_CAT` (ours only; Core treats `OP_CAT` as `OP_SUCCESS`).
//! Prints per-input times, the ratio ours/Core (target ≤ 1.0), the libsecp256k1 floor (the
//! bare signature checks) and whole-block throughput with 1 and 2 threads.

use std::time::{Duration, Instant};

use bitcoin::absolute::LockTime;
use bitcoin::hashes::{hash160, Hash};
use bitcoin::key::TapTweak;
use bitcoin::secp256k1::{
    ecdsa, schnorr, All, Keypair, Message, PublicKey, Secp256k1, SecretKey, XOnlyPublicKey,
};
use bitcoin::taproot::{LeafVersion, TaprootBuilder};
use bitcoin::transaction::Version;
use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness};
use bitmodel_script::opcodes::{self, push_data};
use bitmodel_script::{tapscript, verify_input, verify_txs, Flags, TxData};

use crate::report::{line, us};

/// Consensus flags both implementations understand.
const CORE_FLAGS: Flags = Flags::CORE24_CONSENSUS;

struct Input {
    tx: Transaction,
    spent: Vec<TxOut>,
    /// The bare libsecp256k1 work this input needs, for the floor figure.
    floor: Box<dyn Fn()>,
}

fn unsigned_tx(seed: u8) -> Transaction {
    Transaction {
        version: Version(2),
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint {
                txid: Txid::from_byte_array([seed; 32]),
                vout: 0,
            },
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value: Amount::from_sat(90_000),
            script_pubkey: ScriptBuf::from_bytes(
                vec![0x51, 0x20].into_iter().chain([seed; 32]).collect(),
            ),
        }],
    }
}

fn key(secp: &Secp256k1<All>, i: u8) -> (SecretKey, Keypair) {
    let sk = SecretKey::from_slice(&[i.max(1); 32]).expect("valid key");
    (sk, Keypair::from_secret_key(secp, &sk))
}

fn p2wpkh(secp: &'static Secp256k1<All>, seed: u8) -> Input {
    let (sk, _) = key(secp, seed);
    let pk = PublicKey::from_secret_key(secp, &sk);
    let mut spk = vec![0x00, 0x14];
    spk.extend_from_slice(&hash160::Hash::hash(&pk.serialize()).to_byte_array());
    let spent = vec![TxOut {
        value: Amount::from_sat(100_000),
        script_pubkey: ScriptBuf::from_bytes(spk),
    }];
    let mut tx = unsigned_tx(seed);
    let mut code = vec![0x76, 0xa9, 0x14];
    code.extend_from_slice(&hash160::Hash::hash(&pk.serialize()).to_byte_array());
    code.extend_from_slice(&[0x88, 0xac]);
    let digest = TxData::new(&tx, &spent).segwit_v0(0, &code, spent[0].value, 1);
    let sig = secp.sign_ecdsa(&Message::from_digest(digest), &sk);
    let mut der = sig.serialize_der().to_vec();
    der.push(1);
    tx.input[0].witness = Witness::from_slice(&[der.clone(), pk.serialize().to_vec()]);
    let floor = Box::new(move || {
        let s = ecdsa::Signature::from_der_lax(&der[..der.len() - 1]).expect("valid");
        let p = PublicKey::from_slice(&pk.serialize()).expect("valid");
        assert!(secp
            .verify_ecdsa(&Message::from_digest(digest), &s, &p)
            .is_ok());
    });
    Input { tx, spent, floor }
}

fn p2tr_key(secp: &'static Secp256k1<All>, seed: u8) -> Input {
    let (_, kp) = key(secp, seed);
    let tweaked = kp.tap_tweak(secp, None).to_keypair();
    let out = tweaked.x_only_public_key().0;
    let mut spk = vec![0x51, 0x20];
    spk.extend_from_slice(&out.serialize());
    let spent = vec![TxOut {
        value: Amount::from_sat(100_000),
        script_pubkey: ScriptBuf::from_bytes(spk),
    }];
    let mut tx = unsigned_tx(seed);
    let digest = TxData::new(&tx, &spent)
        .taproot(0, 0, None, None)
        .expect("valid sighash");
    let sig = secp.sign_schnorr_no_aux_rand(&Message::from_digest(digest), &tweaked);
    tx.input[0].witness = Witness::from_slice(&[sig.as_ref().to_vec()]);
    let floor = Box::new(move || {
        let s = schnorr::Signature::from_slice(sig.as_ref()).expect("valid");
        let p = XOnlyPublicKey::from_slice(&out.serialize()).expect("valid");
        assert!(secp
            .verify_schnorr(&s, &Message::from_digest(digest), &p)
            .is_ok());
    });
    Input { tx, spent, floor }
}

/// A script-path spend of `leaf` with `args` (signatures are filled in for 32-byte key slots).
fn p2tr_script(
    secp: &'static Secp256k1<All>,
    seed: u8,
    leaf: Vec<u8>,
    signers: &[u8],
    extra: Vec<Vec<u8>>,
) -> Input {
    let (_, internal_kp) = key(secp, seed.wrapping_add(100));
    let internal = internal_kp.x_only_public_key().0;
    let script = ScriptBuf::from_bytes(leaf.clone());
    let info = TaprootBuilder::new()
        .add_leaf(0, script.clone())
        .expect("one leaf")
        .finalize(secp, internal)
        .expect("complete tree");
    let control = info
        .control_block(&(script, LeafVersion::TapScript))
        .expect("leaf present")
        .serialize();
    let mut spk = vec![0x51, 0x20];
    spk.extend_from_slice(&info.output_key().serialize());
    let spent = vec![TxOut {
        value: Amount::from_sat(100_000),
        script_pubkey: ScriptBuf::from_bytes(spk),
    }];
    let mut tx = unsigned_tx(seed);
    let leaf_hash = tapscript::leaf_hash(0xc0, &leaf);
    let digest = TxData::new(&tx, &spent)
        .taproot(0, 0, None, Some((leaf_hash, u32::MAX)))
        .expect("valid sighash");
    let mut stack = extra;
    let mut checks = Vec::new();
    // CHECKSIGADD consumes the last key's signature first: push signatures in reverse.
    for &i in signers.iter().rev() {
        let (_, kp) = key(secp, i);
        let sig = secp.sign_schnorr_no_aux_rand(&Message::from_digest(digest), &kp);
        checks.push((sig, kp.x_only_public_key().0));
        stack.push(sig.as_ref().to_vec());
    }
    stack.push(leaf);
    stack.push(control);
    tx.input[0].witness = Witness::from_slice(&stack);
    // Core's libsecp work for a script path: the commitment's tweak (an EC multiplication)
    // and one Schnorr verification per signature.
    let tweak = bitcoin::secp256k1::Scalar::from_be_bytes(info.tap_tweak().to_byte_array())
        .expect("valid tweak");
    let internal_bytes = internal.serialize();
    let floor = Box::new(move || {
        let internal = XOnlyPublicKey::from_slice(&internal_bytes).expect("valid");
        assert!(internal.add_tweak(secp, &tweak).is_ok());
        for (sig, pk) in &checks {
            let pk = XOnlyPublicKey::from_slice(&pk.serialize()).expect("valid");
            assert!(secp
                .verify_schnorr(sig, &Message::from_digest(digest), &pk)
                .is_ok());
        }
    });
    Input { tx, spent, floor }
}

fn checksigadd_leaf(secp: &Secp256k1<All>, signers: &[u8]) -> Vec<u8> {
    let mut s = Vec::new();
    for (n, &i) in signers.iter().enumerate() {
        let (_, kp) = key(secp, i);
        push_data(&mut s, &kp.x_only_public_key().0.serialize());
        s.push(if n == 0 {
            opcodes::OP_CHECKSIG
        } else {
            opcodes::OP_CHECKSIGADD
        });
    }
    s.push(opcodes::OP_1 + signers.len() as u8 - 1);
    s.push(opcodes::OP_NUMEQUAL);
    s
}

/// 66 × (DUP CAT SHA256) + SIZE NIP: exactly 200 opcodes of hashing and concatenation.
fn cat_leaf() -> Vec<u8> {
    let mut s = Vec::new();
    for _ in 0..66 {
        s.extend_from_slice(&[opcodes::OP_DUP, opcodes::OP_CAT, opcodes::OP_SHA256]);
    }
    s.extend_from_slice(&[opcodes::OP_SIZE, opcodes::OP_NIP]);
    s
}

fn core_verify(tx_bytes: &[u8], spent: &[TxOut]) -> bool {
    let scripts: Vec<Vec<u8>> = spent.iter().map(|o| o.script_pubkey.to_bytes()).collect();
    let utxos: Vec<bitcoinconsensus::Utxo> = spent
        .iter()
        .zip(&scripts)
        .map(|(o, s)| bitcoinconsensus::Utxo {
            script_pubkey: s.as_ptr(),
            script_pubkey_len: s.len() as u32,
            value: o.value.to_sat() as i64,
        })
        .collect();
    bitcoinconsensus::verify_with_flags(
        spent[0].script_pubkey.as_bytes(),
        spent[0].value.to_sat(),
        tx_bytes,
        Some(&utxos),
        0,
        CORE_FLAGS.bits(),
    )
    .is_ok()
}

/// Median over `rounds` of the mean time of `iters` calls.
fn per_call(rounds: usize, iters: usize, mut f: impl FnMut()) -> Duration {
    let mut samples: Vec<Duration> = (0..rounds)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                f();
            }
            t.elapsed() / iters as u32
        })
        .collect();
    samples.sort();
    samples[rounds / 2]
}

fn compare(name: &str, input: &Input, flags: Flags) {
    let tx_bytes = bitcoin::consensus::serialize(&input.tx);
    assert!(
        verify_input(&input.tx, 0, &input.spent, flags).is_ok(),
        "{name}: ours rejects the benchmark input"
    );
    assert!(
        core_verify(&tx_bytes, &input.spent),
        "{name}: Core rejects the benchmark input"
    );
    // Interleave ours and Core's rounds so drift on this shared machine hits both alike.
    let (mut ours, mut core, mut floor) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..9 {
        ours.push(per_call(1, 300, || {
            assert!(verify_input(&input.tx, 0, &input.spent, flags).is_ok());
        }));
        core.push(per_call(1, 300, || {
            assert!(core_verify(&tx_bytes, &input.spent))
        }));
        floor.push(per_call(1, 300, || (input.floor)()));
    }
    ours.sort();
    core.sort();
    floor.sort();
    let (ours, core, floor) = (ours[4], core[4], floor[4]);
    line(&format!("script.ours_us.{name}"), us(ours), "us");
    line(&format!("script.core_us.{name}"), us(core), "us");
    line(
        &format!("script.ratio_vs_core.{name}"),
        ours.as_secs_f64() / core.as_secs_f64(),
        "ratio",
    );
    line(&format!("script.secp_floor_us.{name}"), us(floor), "us");
    line(
        &format!("script.secp_share.{name}"),
        floor.as_secs_f64() / ours.as_secs_f64(),
        "fraction",
    );
}

pub fn run() {
    let secp: &'static Secp256k1<All> = Box::leak(Box::new(Secp256k1::new()));
    compare("p2wpkh", &p2wpkh(secp, 1), CORE_FLAGS);
    compare("p2tr_keypath", &p2tr_key(secp, 2), CORE_FLAGS);
    let signers = [3u8, 4, 5];
    let leaf = checksigadd_leaf(secp, &signers);
    compare(
        "p2tr_checksigadd",
        &p2tr_script(secp, 3, leaf, &signers, Vec::new()),
        CORE_FLAGS,
    );

    let cat = p2tr_script(secp, 4, cat_leaf(), &[], vec![vec![0xab; 32]]);
    assert!(
        verify_input(&cat.tx, 0, &cat.spent, Flags::FRACTAL).is_ok(),
        "cat tapscript must verify"
    );
    let t = per_call(7, 300, || {
        assert!(verify_input(&cat.tx, 0, &cat.spent, Flags::FRACTAL).is_ok());
    });
    line("script.cat_tapscript_us", us(t), "us");

    // A block's worth: 3,000 single-input transactions, a mix of the three kinds.
    let block: Vec<Input> = (0..3000u32)
        .map(|i| {
            let seed = (i % 250) as u8 + 1;
            match i % 4 {
                0 | 1 => p2wpkh(secp, seed),
                2 => p2tr_key(secp, seed),
                _ => {
                    let leaf = checksigadd_leaf(secp, &signers);
                    p2tr_script(secp, seed, leaf, &signers, Vec::new())
                }
            }
        })
        .collect();
    let inputs = block.iter().map(|b| b.tx.input.len()).sum::<usize>() as f64;
    let refs: Vec<(&Transaction, &[TxOut])> =
        block.iter().map(|b| (&b.tx, b.spent.as_slice())).collect();
    for threads in [1usize, 2] {
        let t = per_call(3, 1, || {
            assert!(verify_txs(&refs, Flags::FRACTAL, threads).is_ok())
        });
        line(
            &format!("script.block_inputs_per_s.threads{threads}"),
            (inputs / t.as_secs_f64()).round(),
            "inputs/s",
        );
    }
}
