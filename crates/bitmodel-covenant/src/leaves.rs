//! The two leaf scripts. Both end in the same check: rebuild the BIP341 SigMsg, hash it,
//! derive the BIP340 challenge `e` for key `G` and nonce `G`, and `OP_CHECKSIG` the signature
//! `G.x ‖ (e + 1)`. The witness supplies `e` split as 31 bytes and a last byte `b`; the script
//! checks they are `e` and builds `s` with `b + 1`, which is why spenders grind nLockTime
//! until `b` is in `1..=0x7e` (so `b + 1` is one positive script-number byte).
//!
//! Witness layouts (bottom → top, before the leaf and control block):
//! - distribute: `e31 b tapleaf_hash sha_sequences sha_scriptpubkeys sha_prevouts nLockTime
//!   nVersion t_k … t_1 q F A`
//! - merge_k: `e31 b tapleaf_hash input_index sha_sequences sha_prevouts nLockTime nVersion
//!   V F A_k … A_1`, where V is the vault's own scriptPubKey
//!
//! Everything the script does not compute comes from the witness with a pinned length (COVENANT
//! checklist 1); hash type is DEFAULT and never ANYONECANPAY (2); distribute pins input index
//! 0 while merge takes it from the witness, which is safe because with SIGHASH_DEFAULT every
//! input's check covers every input and output.

use bitcoin::opcodes::all::*;
use bitcoin::script::Builder;
use bitcoin::ScriptBuf;

use crate::asm::{at_least, le8, mul_const, pin, push_bytes, within};
use crate::vault::VaultTerms;

/// `SHA256("TapSighash")`.
pub const TAG_TAPSIGHASH: [u8; 32] =
    hex32("f40a48df4b2a70c8b4924bf2654661ed3d95fd66a313eb87237597c628e4a031");
/// `SHA256("BIP0340/challenge")`.
pub const TAG_CHALLENGE: [u8; 32] =
    hex32("7bb52d7a9fef58323eb1bf7a407db382d2f3f2d81bb1224f49fe518f6d48d37c");
/// x coordinate of the secp256k1 generator `G` (its y is even, as BIP340 needs for `R`).
pub const G_X: [u8; 32] = hex32("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");

const BPS: i64 = 10_000;

const fn hex32(s: &str) -> [u8; 32] {
    let b = s.as_bytes();
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = (nibble(b[2 * i]) << 4) | nibble(b[2 * i + 1]);
        i += 1;
    }
    out
}

const fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => panic!("hex constant"),
    }
}

/// `compactsize(len) ‖ spk` for one output, as it appears in `sha_outputs`.
fn spk_with_len(spk: &ScriptBuf) -> Vec<u8> {
    let mut v = Vec::with_capacity(spk.len() + 1);
    assert!(spk.len() < 0xfd, "payout scripts are short");
    v.push(spk.len() as u8);
    v.extend_from_slice(spk.as_bytes());
    v
}

/// The `distribute` leaf for a vault's terms.
pub fn distribute(terms: &VaultTerms) -> ScriptBuf {
    let mut b = Builder::new();
    // [.. ver t_k..t_1 q F A]  alt: []
    b = le8(b.push_opcode(OP_DUP)).push_opcode(OP_TOALTSTACK); // alt: le8(A)
    b = b.push_opcode(OP_SWAP); // [.. q A F]
    b = within(b.push_opcode(OP_DUP), 0, terms.fee_cap as i64 + 1); // 0 <= F <= cap
    b = b.push_opcode(OP_SUB); // [.. q T]
    b = b.push_opcode(OP_DUP).push_opcode(OP_TOALTSTACK); // alt: le8(A) rem=T
    b = b.push_opcode(OP_OVER); // [.. q T q]
    b = mul_const(b, BPS as u32); // [.. q T 10000q]
    b = b.push_opcode(OP_SUB); // [.. q r]
    b = within(b.push_opcode(OP_DUP), 0, BPS); // 0 <= r < 10000
    b = b.push_int(0); // outputs blob O = "" : [.. t_i q r O]
    for p in &terms.parents {
        let w = u32::from(p.weight);
        b = b.push_int(3).push_opcode(OP_ROLL); // [.. q r O t]
        b = mul_const(b.push_opcode(OP_DUP), BPS as u32); // [.. q r O t 10000t]
        b = mul_const(b.push_int(3).push_opcode(OP_PICK), w); // [.. q r O t 10000t rw]
        b = b.push_opcode(OP_SWAP).push_opcode(OP_SUB); // [.. q r O t d]
        b = within(b, 0, BPS); // 0 <= rw - 10000t < 10000
        b = mul_const(b.push_int(3).push_opcode(OP_PICK), w); // [.. q r O t qw]
        b = b.push_opcode(OP_ADD); // [.. q r O s]
        b = at_least(b, p.dust() as i64);
        b = b
            .push_opcode(OP_FROMALTSTACK)
            .push_opcode(OP_OVER)
            .push_opcode(OP_SUB)
            .push_opcode(OP_TOALTSTACK); // rem -= s
        b = le8(b);
        b = push_bytes(b, &spk_with_len(&p.script_pubkey))
            .push_opcode(OP_CAT)
            .push_opcode(OP_CAT); // O ‖ output
    }
    b = b.push_opcode(OP_NIP).push_opcode(OP_NIP); // [.. ver O]
    b = b.push_opcode(OP_FROMALTSTACK); // owner = T − Σ shares
    if terms.has_owner_output() {
        b = at_least(b, terms.owner_dust() as i64);
        b = le8(b);
        b = push_bytes(b, &spk_with_len(&terms.owner))
            .push_opcode(OP_CAT)
            .push_opcode(OP_CAT);
    } else {
        // Weights sum to 10000: the owner's rounding remainder (< number of parents) is fee.
        b = b.push_opcode(OP_DROP);
    }
    // [.. ver O] alt: le8(A)
    b = b
        .push_opcode(OP_SHA256)
        .push_opcode(OP_FROMALTSTACK)
        .push_opcode(OP_SHA256);
    b = b
        .push_opcode(OP_SWAP)
        .push_opcode(OP_TOALTSTACK)
        .push_opcode(OP_TOALTSTACK); // alt: sha_out sha_amounts
                                     // [e31 b leaf seq spk prev lt ver]
    b = pin(b, 4);
    b = b
        .push_slice([0u8, 0u8])
        .push_opcode(OP_SWAP)
        .push_opcode(OP_CAT); // epoch ‖ hash_type ‖ ver
    b = pin(b.push_opcode(OP_SWAP), 4).push_opcode(OP_CAT); // ‖ nLockTime
    b = pin(b.push_opcode(OP_SWAP), 32).push_opcode(OP_CAT); // ‖ sha_prevouts
    b = b.push_opcode(OP_FROMALTSTACK).push_opcode(OP_CAT); // ‖ sha_amounts
    b = pin(b.push_opcode(OP_SWAP), 32).push_opcode(OP_CAT); // ‖ sha_scriptpubkeys
    b = pin(b.push_opcode(OP_SWAP), 32).push_opcode(OP_CAT); // ‖ sha_sequences
    b = b.push_opcode(OP_FROMALTSTACK).push_opcode(OP_CAT); // ‖ sha_outputs
    b = b.push_slice([2u8, 0, 0, 0, 0]).push_opcode(OP_CAT); // ‖ spend_type ‖ input_index 0
    b = pin(b.push_opcode(OP_SWAP), 32).push_opcode(OP_CAT); // ‖ tapleaf_hash
    b = b
        .push_slice([0u8, 0xff, 0xff, 0xff, 0xff])
        .push_opcode(OP_CAT); // ‖ key_version ‖ codesep
    schnorr_trick(b).into_script()
}

/// The `merge_k` leaf: k UTXOs of the vault into one output to the vault.
pub fn merge(k: usize, fee_cap: u64) -> ScriptBuf {
    assert!(
        (2..=crate::MAX_MERGE).contains(&k),
        "merge leaves exist for 2..=8 inputs"
    );
    let mut b = Builder::new();
    // [.. V F A_k..A_1]
    b = le8(b.push_opcode(OP_DUP)).push_opcode(OP_SWAP); // [.. A_2 blob sum]
    for _ in 1..k {
        b = b.push_opcode(OP_ROT); // [.. blob sum A]
        b = b.push_opcode(OP_TUCK).push_opcode(OP_ADD); // [.. blob A sum']
        b = b.push_opcode(OP_ROT).push_opcode(OP_ROT); // [.. sum' blob A]
        b = le8(b).push_opcode(OP_CAT).push_opcode(OP_SWAP); // [.. blob' sum']
    }
    b = b.push_opcode(OP_ROT); // [.. V blob sum F]
    b = within(b.push_opcode(OP_DUP), 0, fee_cap as i64 + 1);
    b = b.push_opcode(OP_SUB); // [.. V blob out]
    b = at_least(b, 330);
    b = le8(b); // [.. V blob le8(out)]
    b = b.push_int(2).push_opcode(OP_PICK); // V
    b = b
        .push_slice([0x22u8])
        .push_opcode(OP_SWAP)
        .push_opcode(OP_CAT)
        .push_opcode(OP_CAT); // le8(out) ‖ 22 ‖ V
    b = b.push_opcode(OP_SHA256).push_opcode(OP_TOALTSTACK); // alt: sha_out
    b = pin(b.push_opcode(OP_SWAP), 34); // [.. blob V]
    b = b
        .push_slice([0x22u8])
        .push_opcode(OP_SWAP)
        .push_opcode(OP_CAT); // 22 ‖ V
    for _ in 1..k {
        b = b.push_opcode(OP_DUP);
    }
    for _ in 1..k {
        b = b.push_opcode(OP_CAT);
    }
    b = b.push_opcode(OP_SHA256).push_opcode(OP_TOALTSTACK); // alt: sha_out sha_spks
    b = b.push_opcode(OP_SHA256).push_opcode(OP_TOALTSTACK); // alt: sha_out sha_spks sha_amounts
                                                             // [e31 b leaf idx seq prev lt ver]
    b = pin(b, 4);
    b = b
        .push_slice([0u8, 0u8])
        .push_opcode(OP_SWAP)
        .push_opcode(OP_CAT);
    b = pin(b.push_opcode(OP_SWAP), 4).push_opcode(OP_CAT); // nLockTime
    b = pin(b.push_opcode(OP_SWAP), 32).push_opcode(OP_CAT); // sha_prevouts
    b = b.push_opcode(OP_FROMALTSTACK).push_opcode(OP_CAT); // sha_amounts
    b = b.push_opcode(OP_FROMALTSTACK).push_opcode(OP_CAT); // sha_scriptpubkeys
    b = pin(b.push_opcode(OP_SWAP), 32).push_opcode(OP_CAT); // sha_sequences
    b = b.push_opcode(OP_FROMALTSTACK).push_opcode(OP_CAT); // sha_outputs
    b = b.push_int(2).push_opcode(OP_CAT); // spend_type 0x02 (OP_2: the minimal push of that byte)
    b = pin(b.push_opcode(OP_SWAP), 4).push_opcode(OP_CAT); // input_index
    b = pin(b.push_opcode(OP_SWAP), 32).push_opcode(OP_CAT); // tapleaf_hash
    b = b
        .push_slice([0u8, 0xff, 0xff, 0xff, 0xff])
        .push_opcode(OP_CAT);
    schnorr_trick(b).into_script()
}

/// `[e31 b SigMsg] → [result of OP_CHECKSIG]`.
fn schnorr_trick(mut b: Builder) -> Builder {
    b = push_bytes(b, &TAG_TAPSIGHASH)
        .push_opcode(OP_DUP)
        .push_opcode(OP_CAT);
    b = b
        .push_opcode(OP_SWAP)
        .push_opcode(OP_CAT)
        .push_opcode(OP_SHA256); // TapSighash
    b = b
        .push_slice(G_X)
        .push_opcode(OP_DUP)
        .push_opcode(OP_TOALTSTACK); // alt: G.x
    b = b
        .push_opcode(OP_DUP)
        .push_opcode(OP_CAT)
        .push_opcode(OP_SWAP)
        .push_opcode(OP_CAT); // G.x ‖ G.x ‖ sighash
    b = push_bytes(b, &TAG_CHALLENGE)
        .push_opcode(OP_DUP)
        .push_opcode(OP_CAT);
    b = b
        .push_opcode(OP_SWAP)
        .push_opcode(OP_CAT)
        .push_opcode(OP_SHA256); // e
                                 // [e31 b e]
    b = b
        .push_int(2)
        .push_opcode(OP_PICK)
        .push_int(2)
        .push_opcode(OP_PICK)
        .push_opcode(OP_CAT);
    b = b.push_opcode(OP_EQUALVERIFY); // e31 ‖ b == e
    b = b.push_opcode(OP_1ADD).push_opcode(OP_CAT); // s = e31 ‖ (b + 1)
    b = b
        .push_opcode(OP_FROMALTSTACK)
        .push_opcode(OP_DUP)
        .push_opcode(OP_ROT)
        .push_opcode(OP_CAT); // [G.x, G.x ‖ s]
    b.push_opcode(OP_SWAP).push_opcode(OP_CHECKSIG)
}
