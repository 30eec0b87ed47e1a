//! Every way we know to bend a vault spend, each a named test that must be rejected by the
//! interpreter with Fractal's flags, with the reason checked.
//!
//! Output attacks reuse the honest witness: it already carries the challenge the script will
//! compute, so the only thing standing between the attacker and the money is `OP_CHECKSIG`
//! against the real transaction (`SchnorrSig`). Witness attacks use [`forge`], which plays the
//! strongest attacker: it computes exactly the signature message the script will build from
//! the attacker's numbers and grinds nLockTime until that challenge is usable, so a rejection
//! is never an artefact of a sloppy forgery.

mod common;

use bitcoin::hashes::{sha256, Hash};
use bitcoin::taproot::TapLeafHash;
use bitcoin::{Amount, ScriptBuf, Transaction, TxOut, Witness};
use bitmodel_covenant::asm::scriptnum;
use bitmodel_covenant::leaves::{G_X, TAG_CHALLENGE, TAG_TAPSIGHASH};
use bitmodel_covenant::sigmsg::{pieces, usable};
use bitmodel_covenant::spend::Built;
use bitmodel_covenant::{build_distribute, build_merge, Vault};
use bitmodel_script::ScriptError;
use common::*;

const WEIGHTS: [u16; 3] = [3000, 2000, 1000];
const A: u64 = 1_000_000;
const F: u64 = 1_000;
const CAP: u64 = 5_000;

fn honest() -> (Vault, Built) {
    let v = vault(&WEIGHTS, CAP);
    let b = build_distribute(&v, utxo(1, A), F).unwrap();
    verify(&b.tx, &b.spent).expect("the honest spend verifies");
    (v, b)
}

fn le8(n: i64) -> [u8; 8] {
    (n as u64).to_le_bytes()
}

fn ser_out(value: i64, spk: &ScriptBuf) -> Vec<u8> {
    let mut v = le8(value).to_vec();
    v.push(spk.len() as u8);
    v.extend_from_slice(spk.as_bytes());
    v
}

fn hash(b: &[u8]) -> [u8; 32] {
    sha256::Hash::hash(b).to_byte_array()
}

/// The challenge for a signature message given as its parts (as the leaf assembles it).
fn challenge_of(msg: &[u8]) -> [u8; 32] {
    let mut pre = [TAG_TAPSIGHASH, TAG_TAPSIGHASH].concat();
    pre.push(0);
    pre.extend_from_slice(msg);
    let sighash = hash(&pre);
    let mut c = [TAG_CHALLENGE, TAG_CHALLENGE, G_X, G_X].concat();
    c.extend_from_slice(&sighash);
    hash(&c)
}

/// An attacker's distribute witness: numbers as raw bytes plus the values they mean.
struct Forge {
    a: (i64, Vec<u8>),
    fee: (i64, Vec<u8>),
    q: (i64, Vec<u8>),
    ts: Vec<(i64, Vec<u8>)>,
    leaf_hash: Option<[u8; 32]>,
    /// Replaces the real witness pieces (`p1`, `p2`, `suf`): the forged challenge is then
    /// computed over the message the script builds from these, so only the leaf's own
    /// checks (the length pins) stand in the way.
    pieces: Option<Bend>,
}

/// A change to the real pieces `[p1, p2, suf]`, applied at every ground lock time.
type Bend = Box<dyn Fn(&mut [Vec<u8>; 3])>;

impl Forge {
    /// Consistent numbers for a claimed amount and fee.
    fn consistent(a: i64, fee: i64) -> Forge {
        let t = a - fee;
        let (q, r) = (t.div_euclid(10_000), t.rem_euclid(10_000));
        let n = |x: i64| (x, scriptnum(x));
        Forge {
            a: n(a),
            fee: n(fee),
            q: n(q),
            ts: WEIGHTS
                .iter()
                .map(|w| n(r * i64::from(*w) / 10_000))
                .collect(),
            leaf_hash: None,
            pieces: None,
        }
    }

    /// The outputs blob the script will serialise from these numbers.
    fn script_outputs(&self) -> Vec<u8> {
        let mut rem = self.a.0 - self.fee.0;
        let mut blob = Vec::new();
        for (i, (w, t)) in WEIGHTS.iter().zip(&self.ts).enumerate() {
            let s = self.q.0 * i64::from(*w) + t.0;
            rem -= s;
            blob.extend(ser_out(s, &parent_spk(i as u8)));
        }
        blob.extend(ser_out(rem, &owner_spk()));
        blob
    }
}

/// Fills input `input`'s witness with the forged numbers and the challenge the script will
/// compute, grinding nLockTime until it is usable.
fn forge(v: &Vault, tx: &mut Transaction, spent: &[TxOut], input: usize, f: &Forge) {
    let leaf = &v.distribute;
    let leaf_hash = f.leaf_hash.unwrap_or_else(|| {
        TapLeafHash::from_script(leaf, bitcoin::taproot::LeafVersion::TapScript).to_byte_array()
    });
    for n in 0..10_000u32 {
        tx.lock_time = bitcoin::absolute::LockTime::from_consensus(n);
        let p = pieces(tx, spent);
        let mut suf = leaf_hash.to_vec();
        suf.extend_from_slice(&[0, 0xff, 0xff, 0xff, 0xff]);
        let mut ps = [p.p1(), p.p2(), suf];
        if let Some(bend) = &f.pieces {
            bend(&mut ps);
        }
        let [p1, p2, suf] = ps;
        // The message exactly as the leaf assembles it from the witness.
        let msg = [
            &[0u8][..],
            &p1,
            &hash(&le8(f.a.0)),
            &p2,
            &hash(&f.script_outputs()),
            &[2, 0, 0, 0, 0],
            &suf,
        ]
        .concat();
        let e = challenge_of(&msg);
        if !usable(&e) {
            continue;
        }
        let mut w = Witness::new();
        w.push(&e[..31]);
        w.push(&e[31..]);
        w.push(&suf);
        w.push(&p2);
        w.push(&p1);
        w.push(&f.q.1);
        w.push(&f.fee.1);
        w.push(&f.a.1);
        for t in &f.ts {
            w.push(&t.1);
        }
        w.push(leaf.as_bytes());
        w.push(v.control_block(leaf).serialize());
        tx.input[input].witness = w;
        return;
    }
    panic!("no usable lock time");
}

/// Sanity: the forger reproduces the honest spend's challenge, so it is a faithful attacker.
#[test]
fn forger_builds_accepted_honest_spends() {
    let (v, mut b) = honest();
    forge(
        &v,
        &mut b.tx,
        &b.spent,
        0,
        &Forge::consistent(A as i64, F as i64),
    );
    verify(&b.tx, &b.spent).expect("a forged honest spend is an honest spend");
}

fn set_item(tx: &mut Transaction, input: usize, index: usize, bytes: &[u8]) {
    let mut items: Vec<Vec<u8>> = tx.input[input].witness.iter().map(|i| i.to_vec()).collect();
    items[index] = bytes.to_vec();
    tx.input[input].witness = Witness::from_slice(&items);
}

fn item(tx: &Transaction, index: usize) -> Vec<u8> {
    tx.input[0]
        .witness
        .nth(index)
        .expect("item exists")
        .to_vec()
}

// Distribute witness indices.
const E31: usize = 0;
const SUF: usize = 2;
const P2: usize = 3;
const P1: usize = 4;

fn attacker_spk() -> ScriptBuf {
    ScriptBuf::new_p2wpkh(&bitcoin::WPubkeyHash::from_byte_array([0xee; 20]))
}

// ---- outputs ----

#[test]
fn redirect_one_share() {
    let (_, mut b) = honest();
    b.tx.output[1].script_pubkey = attacker_spk();
    assert_eq!(rejected(&b.tx, &b.spent), ScriptError::SchnorrSig);
}

#[test]
fn redirect_every_share_to_a_copy_of_the_owner() {
    let (_, mut b) = honest();
    for o in b.tx.output.iter_mut().take(3) {
        o.script_pubkey = owner_spk();
    }
    assert_eq!(rejected(&b.tx, &b.spent), ScriptError::SchnorrSig);
}

#[test]
fn skim_one_sat_from_a_parent_to_the_owner() {
    let (_, mut b) = honest();
    b.tx.output[0].value -= Amount::from_sat(1);
    b.tx.output[3].value += Amount::from_sat(1);
    assert_eq!(rejected(&b.tx, &b.spent), ScriptError::SchnorrSig);
}

#[test]
fn skim_one_sat_to_the_miner() {
    let (_, mut b) = honest();
    b.tx.output[2].value -= Amount::from_sat(1);
    assert_eq!(rejected(&b.tx, &b.spent), ScriptError::SchnorrSig);
}

#[test]
fn swap_two_outputs() {
    let (_, mut b) = honest();
    b.tx.output.swap(0, 1);
    assert_eq!(rejected(&b.tx, &b.spent), ScriptError::SchnorrSig);
}

#[test]
fn drop_an_output() {
    let (_, mut b) = honest();
    b.tx.output.remove(2);
    assert_eq!(rejected(&b.tx, &b.spent), ScriptError::SchnorrSig);
}

#[test]
fn drop_the_owner_output() {
    let (_, mut b) = honest();
    b.tx.output.pop();
    assert_eq!(rejected(&b.tx, &b.spent), ScriptError::SchnorrSig);
}

#[test]
fn add_an_output() {
    let (_, mut b) = honest();
    b.tx.output[3].value -= Amount::from_sat(1_000);
    b.tx.output.push(TxOut {
        value: Amount::from_sat(1_000),
        script_pubkey: attacker_spk(),
    });
    assert_eq!(rejected(&b.tx, &b.spent), ScriptError::SchnorrSig);
}

#[test]
fn change_the_owner_script() {
    let (_, mut b) = honest();
    b.tx.output[3].script_pubkey = attacker_spk();
    assert_eq!(rejected(&b.tx, &b.spent), ScriptError::SchnorrSig);
}

// ---- amounts and quotients ----

#[test]
fn understate_the_amount() {
    let (v, mut b) = honest();
    let f = Forge::consistent(A as i64 - 10_000, F as i64);
    forge(&v, &mut b.tx, &b.spent, 0, &f);
    assert_eq!(rejected(&b.tx, &b.spent), ScriptError::SchnorrSig);
}

#[test]
fn overstate_the_amount() {
    let (v, mut b) = honest();
    forge(
        &v,
        &mut b.tx,
        &b.spent,
        0,
        &Forge::consistent(A as i64 + 10_000, F as i64),
    );
    assert_eq!(rejected(&b.tx, &b.spent), ScriptError::SchnorrSig);
}

fn bend(change: impl FnOnce(&mut Forge)) -> ScriptError {
    let (v, mut b) = honest();
    let mut f = Forge::consistent(A as i64, F as i64);
    change(&mut f);
    forge(&v, &mut b.tx, &b.spent, 0, &f);
    rejected(&b.tx, &b.spent)
}

fn num(x: i64) -> (i64, Vec<u8>) {
    (x, scriptnum(x))
}

#[test]
fn wrong_q_plus_one() {
    assert_eq!(bend(|f| f.q = num(f.q.0 + 1)), ScriptError::Verify);
}

#[test]
fn wrong_q_minus_one() {
    assert_eq!(bend(|f| f.q = num(f.q.0 - 1)), ScriptError::Verify);
}

#[test]
fn wrong_t_plus_one() {
    assert_eq!(bend(|f| f.ts[1] = num(f.ts[1].0 + 1)), ScriptError::Verify);
}

#[test]
fn wrong_t_minus_one() {
    assert_eq!(bend(|f| f.ts[0] = num(f.ts[0].0 - 1)), ScriptError::Verify);
}

#[test]
fn fee_above_the_cap() {
    let (v, mut b) = honest();
    forge(
        &v,
        &mut b.tx,
        &b.spent,
        0,
        &Forge::consistent(A as i64, CAP as i64 + 1),
    );
    assert_eq!(rejected(&b.tx, &b.spent), ScriptError::Verify);
}

#[test]
fn negative_fee() {
    let (v, mut b) = honest();
    forge(&v, &mut b.tx, &b.spent, 0, &Forge::consistent(A as i64, -1));
    assert_eq!(rejected(&b.tx, &b.spent), ScriptError::Verify);
}

#[test]
fn negative_amount() {
    assert_eq!(bend(|f| f.a = num(-f.a.0)), ScriptError::Verify);
}

/// Core reports a non-minimal script number as `UNKNOWN_ERROR` (its scriptnum exception).
/// Padding is a policy rule (MINIMALDATA): consensus alone would accept the same value, which
/// is why the covenant's security never rests on it.
#[test]
fn non_minimal_amount_encoding() {
    let (v, mut b) = honest();
    let mut f = Forge::consistent(A as i64, F as i64);
    f.a.1.push(0);
    forge(&v, &mut b.tx, &b.spent, 0, &f);
    assert_eq!(
        rejected(&b.tx, &b.spent),
        ScriptError::UnknownError,
        "padded numbers are not relayed by Fractal"
    );
    let consensus = bitmodel_script::Flags::CORE24_CONSENSUS.union(bitmodel_script::Flags::OP_CAT);
    bitmodel_script::verify_tx(&b.tx, &b.spent, consensus, 1)
        .expect("same value, so consensus accepts it: a policy rule");
}

#[test]
fn non_minimal_fee_encoding() {
    assert_eq!(bend(|f| f.fee.1.push(0)), ScriptError::UnknownError);
}

#[test]
fn non_minimal_quotient_encoding() {
    assert_eq!(bend(|f| f.q.1.push(0)), ScriptError::UnknownError);
}

#[test]
fn negative_zero_remainder_quotient() {
    // t = "-0" (0x80) is a non-minimal encoding of zero.
    let (v, mut b) = {
        let v = vault(&[3000, 2000, 1000], CAP);
        let b = build_distribute(&v, utxo(1, 1_000_000), 0).unwrap();
        (v, b)
    };
    let mut f = Forge::consistent(1_000_000, 0);
    assert_eq!(f.ts[2].0, 0, "r = 0 here, so every t is 0");
    f.ts[2].1 = vec![0x80];
    forge(&v, &mut b.tx, &b.spent, 0, &f);
    assert_eq!(rejected(&b.tx, &b.spent), ScriptError::UnknownError);
}

#[test]
fn share_below_dust() {
    // 200 sats to a 1-bps parent cannot pay it 330: the leaf refuses even a consistent witness.
    let v = vault(&[1], CAP);
    let honest_for = build_distribute(&v, utxo(1, 100_000_000), 0).unwrap();
    let mut tx = honest_for.tx.clone();
    let spent = vec![TxOut {
        value: Amount::from_sat(2_000_000),
        script_pubkey: v.script_pubkey().clone(),
    }];
    let (q, r) = (2_000_000i64 / 10_000, 2_000_000i64 % 10_000);
    let f = Forge {
        a: num(2_000_000),
        fee: num(0),
        q: num(q),
        ts: vec![num(r / 10_000)],
        leaf_hash: None,
        pieces: None,
    };
    tx.output[0].value = Amount::from_sat(200);
    tx.output[1].value = Amount::from_sat(2_000_000 - 200);
    forge_one_parent(&v, &mut tx, &spent, &f);
    assert_eq!(rejected(&tx, &spent), ScriptError::Verify);
}

/// A one-parent distribute witness with a dummy challenge: the leaf must refuse it before
/// the signature check (the helper above is fixed to three parents).
fn forge_one_parent(v: &Vault, tx: &mut Transaction, spent: &[TxOut], f: &Forge) {
    let leaf = &v.distribute;
    let mut w = Witness::new();
    let p = pieces(tx, spent);
    w.push([1u8; 31]);
    w.push([1u8]);
    let mut suf = TapLeafHash::from_script(leaf, bitcoin::taproot::LeafVersion::TapScript)
        .to_byte_array()
        .to_vec();
    suf.extend_from_slice(&[0, 0xff, 0xff, 0xff, 0xff]);
    w.push(suf);
    w.push(p.p2());
    w.push(p.p1());
    w.push(&f.q.1);
    w.push(&f.fee.1);
    w.push(&f.a.1);
    w.push(&f.ts[0].1);
    w.push(leaf.as_bytes());
    w.push(v.control_block(leaf).serialize());
    tx.input[0].witness = w;
}

// ---- inputs ----

#[test]
fn two_vault_inputs_in_one_distribute() {
    let (v, mut b) = honest();
    let second = utxo(2, A);
    b.tx.input.push(bitcoin::TxIn {
        previous_output: second.outpoint,
        sequence: bitcoin::Sequence::MAX,
        ..Default::default()
    });
    b.spent.push(b.spent[0].clone());
    let f = Forge::consistent(A as i64, F as i64);
    forge(&v, &mut b.tx, &b.spent, 0, &f);
    let w = b.tx.input[0].witness.clone();
    b.tx.input[1].witness = w;
    assert_eq!(rejected(&b.tx, &b.spent), ScriptError::SchnorrSig);
}

#[test]
fn vault_at_input_index_one() {
    let (v, mut b) = honest();
    // Input 0 spends an anyone-can-spend output the attacker owns; the vault moves to input 1.
    let op_true = ScriptBuf::from_bytes(vec![0x51]);
    let vault_in = b.tx.input[0].clone();
    b.tx.input.insert(
        0,
        bitcoin::TxIn {
            previous_output: utxo(9, 0).outpoint,
            sequence: bitcoin::Sequence::MAX,
            ..Default::default()
        },
    );
    b.tx.input[1] = vault_in;
    b.spent.insert(
        0,
        TxOut {
            value: Amount::from_sat(10_000),
            script_pubkey: op_true,
        },
    );
    forge(
        &v,
        &mut b.tx,
        &b.spent,
        1,
        &Forge::consistent(A as i64, F as i64),
    );
    match verify(&b.tx, &b.spent) {
        Err(bitmodel_script::TxScriptError::Input { input: 1, error }) => {
            assert_eq!(error, ScriptError::SchnorrSig)
        }
        other => panic!("expected input 1 to fail, got {other:?}"),
    }
}

#[test]
fn anyonecanpay_challenge_is_refused() {
    // An attacker who signs the ANYONECANPAY message (hash type 0x81) cannot use it: the leaf
    // rebuilds the DEFAULT message itself and the supplied challenge does not match it.
    let (_, mut b) = honest();
    let sighash = bitcoin::sighash::SighashCache::new(&b.tx)
        .taproot_script_spend_signature_hash(
            0,
            &bitcoin::sighash::Prevouts::One(0, &b.spent[0]),
            TapLeafHash::from_slice(&item(&b.tx, SUF)[..32]).unwrap(),
            bitcoin::TapSighashType::AllPlusAnyoneCanPay,
        )
        .unwrap();
    let mut c = [TAG_CHALLENGE, TAG_CHALLENGE, G_X, G_X].concat();
    c.extend_from_slice(sighash.as_byte_array());
    let e = hash(&c);
    set_item(&mut b.tx, 0, E31, &e[..31]);
    set_item(&mut b.tx, 0, 1, &e[31..]);
    assert_eq!(rejected(&b.tx, &b.spent), ScriptError::EqualVerify);
}

#[test]
fn annex_is_refused() {
    let (_, mut b) = honest();
    let mut items: Vec<Vec<u8>> = b.tx.input[0].witness.iter().map(|i| i.to_vec()).collect();
    items.push(vec![0x50, 1, 2, 3]);
    b.tx.input[0].witness = Witness::from_slice(&items);
    assert_eq!(rejected(&b.tx, &b.spent), ScriptError::SchnorrSig);
}

#[test]
fn key_path_spend_attempt() {
    let (_, mut b) = honest();
    b.tx.input[0].witness = Witness::from_slice(&[vec![0x42u8; 64]]);
    assert_eq!(rejected(&b.tx, &b.spent), ScriptError::SchnorrSig);
}

#[test]
fn a_different_tapleaf_hash() {
    let (v, mut b) = honest();
    let mut f = Forge::consistent(A as i64, F as i64);
    f.leaf_hash = Some(
        TapLeafHash::from_script(&v.merge, bitcoin::taproot::LeafVersion::TapScript)
            .to_byte_array(),
    );
    forge(&v, &mut b.tx, &b.spent, 0, &f);
    assert_eq!(rejected(&b.tx, &b.spent), ScriptError::SchnorrSig);
}

#[test]
fn unground_lock_time() {
    let (_, mut b) = honest();
    b.tx.lock_time =
        bitcoin::absolute::LockTime::from_consensus(b.tx.lock_time.to_consensus_u32() + 1);
    assert!(matches!(
        rejected(&b.tx, &b.spent),
        ScriptError::SchnorrSig | ScriptError::EqualVerify
    ));
}

// ---- shifted SigMsg boundaries: every witness piece, one byte too long and one too short ----
//
// Each is forged (the challenge matches the message the leaf would build from the bent
// pieces), so what rejects it is the leaf's length pin, not a stale challenge. The tail
// (`suf`, the message after the input index) has no pin: nothing after it can move a field
// the leaf checks, and the real message must still match, which is what rejects it.

fn slot(index: usize) -> usize {
    match index {
        P1 => 0,
        P2 => 1,
        _ => 2,
    }
}

fn forged_with(bend: Bend) -> ScriptError {
    let (v, mut b) = honest();
    let mut f = Forge::consistent(A as i64, F as i64);
    f.pieces = Some(bend);
    forge(&v, &mut b.tx, &b.spent, 0, &f);
    rejected(&b.tx, &b.spent)
}

fn shifted(index: usize, grow: bool) -> ScriptError {
    forged_with(Box::new(move |ps| {
        if grow {
            ps[slot(index)].push(0);
        } else {
            ps[slot(index)].pop();
        }
    }))
}

/// Moves the last byte of one piece onto the front of another (forged): lengths change
/// while the bytes stay, so only the pins catch it.
fn moved(from: usize, to: usize) -> ScriptError {
    forged_with(Box::new(move |ps| {
        let byte = ps[slot(from)].pop().unwrap();
        ps[slot(to)].insert(0, byte);
    }))
}

#[test]
fn version_locktime_prevouts_oversized() {
    assert_eq!(shifted(P1, true), ScriptError::EqualVerify);
}
#[test]
fn version_locktime_prevouts_undersized() {
    assert_eq!(shifted(P1, false), ScriptError::EqualVerify);
}
#[test]
fn scriptpubkeys_sequences_oversized() {
    assert_eq!(shifted(P2, true), ScriptError::EqualVerify);
}
#[test]
fn scriptpubkeys_sequences_undersized() {
    assert_eq!(shifted(P2, false), ScriptError::EqualVerify);
}
#[test]
fn tail_oversized() {
    assert_eq!(shifted(SUF, true), ScriptError::SchnorrSig);
}
#[test]
fn tail_undersized() {
    assert_eq!(shifted(SUF, false), ScriptError::SchnorrSig);
}
#[test]
fn boundary_moved_prevouts_into_scriptpubkeys() {
    assert_eq!(moved(P1, P2), ScriptError::EqualVerify);
}
#[test]
fn boundary_moved_sequences_into_the_tail() {
    assert_eq!(moved(P2, SUF), ScriptError::EqualVerify);
}
#[test]
fn boundary_moved_tail_into_prevouts() {
    assert_eq!(moved(SUF, P1), ScriptError::EqualVerify);
}
#[test]
fn unpinned_tail_cannot_hide_an_annex_spend_type() {
    // A tail that claims more message (an annex hash) behind the constant spend type 0x02:
    // the real message of an annex-free spend is shorter, so the hashes differ.
    assert_eq!(
        forged_with(Box::new(|ps| {
            let mut suf = vec![0xaa; 32];
            suf.extend_from_slice(&ps[2]);
            ps[2] = suf;
        })),
        ScriptError::SchnorrSig
    );
}

// ---- merge ----

fn honest_merge(k: usize) -> (Vault, Built) {
    let v = vault(&WEIGHTS, CAP);
    let utxos: Vec<_> = (0..k).map(|j| utxo(20 + j as u8, 50_000)).collect();
    let b = build_merge(&v, &utxos, 500).unwrap();
    verify(&b.tx, &b.spent).expect("honest merge verifies");
    (v, b)
}

#[test]
fn merge_into_a_different_script() {
    let (_, mut b) = honest_merge(3);
    b.tx.output[0].script_pubkey = attacker_spk();
    assert_eq!(rejected(&b.tx, &b.spent), ScriptError::SchnorrSig);
}

#[test]
fn merge_skims_one_sat() {
    let (_, mut b) = honest_merge(2);
    b.tx.output[0].value -= Amount::from_sat(1);
    assert_eq!(rejected(&b.tx, &b.spent), ScriptError::SchnorrSig);
}

#[test]
fn merge_of_two_different_vaults() {
    let (v, _) = honest_merge(2);
    let other = vault(&[5000], CAP);
    // Build an honest merge for `v` with the real inputs, then swap input 1 for a UTXO of
    // another vault: the leader and the follower rebuild sha_scriptpubkeys from one script.
    let mut b = build_merge(&v, &[utxo(30, 50_000), utxo(31, 50_000)], 500).unwrap();
    b.spent[1].script_pubkey = other.script_pubkey().clone();
    assert_eq!(rejected(&b.tx, &b.spent), ScriptError::SchnorrSig);
}

#[test]
fn merge_with_a_sum_at_or_above_2_pow_31() {
    let (v, _) = honest_merge(2);
    let big = (1u64 << 31) - 1;
    // The builder refuses; an attacker writing the witness by hand hits the number limit.
    assert!(build_merge(&v, &[utxo(40, big), utxo(41, 1_000)], 0).is_err());
    let mut b = build_merge(&v, &[utxo(40, big - 1_000), utxo(41, 1_000)], 0).unwrap();
    let mut items: Vec<Vec<u8>> = b.tx.input[0].witness.iter().map(|i| i.to_vec()).collect();
    let n = items.len();
    items[n - 3] = scriptnum(1_001); // A_2 + 1 pushes the sum to 2^31
    items[n - 4] = scriptnum(big as i64);
    b.tx.input[0].witness = Witness::from_slice(&items);
    b.spent[0].value = Amount::from_sat(big);
    b.spent[1].value = Amount::from_sat(1_001);
    assert_eq!(
        rejected(&b.tx, &b.spent),
        ScriptError::UnknownError,
        "script number overflow"
    );
}

#[test]
fn merge_fee_above_cap() {
    let (_, mut b) = honest_merge(2);
    let mut items: Vec<Vec<u8>> = b.tx.input[0].witness.iter().map(|i| i.to_vec()).collect();
    let n = items.len();
    items[n - 11] = scriptnum(CAP as i64 + 1); // F sits under the eight amount slots
    b.tx.input[0].witness = Witness::from_slice(&items);
    assert_eq!(rejected(&b.tx, &b.spent), ScriptError::Verify);
}

#[test]
fn merge_leaf_for_the_wrong_count() {
    // Three UTXOs claimed by a 3-merge's leader witness, but the transaction has two.
    let (_, three) = honest_merge(3);
    let (_, mut two) = honest_merge(2);
    two.tx.input[0].witness = three.tx.input[0].witness.clone();
    assert!(matches!(
        rejected(&two.tx, &two.spent),
        ScriptError::SchnorrSig | ScriptError::EqualVerify
    ));
}

#[test]
fn merge_own_script_of_wrong_length() {
    let (_, mut b) = honest_merge(2);
    let mut items: Vec<Vec<u8>> = b.tx.input[0].witness.iter().map(|i| i.to_vec()).collect();
    let n = items.len();
    items[n - 15].push(0); // V
    b.tx.input[0].witness = Witness::from_slice(&items);
    assert!(matches!(
        rejected(&b.tx, &b.spent),
        ScriptError::EqualVerify | ScriptError::SchnorrSig
    ));
}
