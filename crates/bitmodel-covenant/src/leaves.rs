//! The three leaf scripts. Each ends in the same check: rebuild the BIP341 SigMsg, hash it,
//! derive the BIP340 challenge `e` for key `G` and nonce `G`, and `OP_CHECKSIG` the signature
//! `G.x ‖ (e + 1)`. The witness supplies `e` split as 31 bytes and a last byte `b`; the script
//! checks they are `e` and builds `s` with `b + 1`, which is why spenders grind nLockTime
//! until `b` is in `1..=0x7e` (so `b + 1` is one positive script-number byte).
//!
//! Witness layouts (bottom → top, before the leaf and control block):
//! - distribute: `e31 b suf p2 p1 q F A t_1 … t_n`
//! - merge (the leader, input 0): `e31 b suf seq p1 V b2 b1 b0 F s_8 … s_1`
//! - follow (inputs 1..k−1 of a merge): `e31 b suf mid j pre V b2 b1 b0`
//!
//! where `p1 = nVersion ‖ nLockTime ‖ sha_prevouts` (40 bytes), `p2 = sha_scriptpubkeys ‖
//! sha_sequences` (64), `seq = sha_sequences` (32), `suf = tapleaf_hash ‖ key_version ‖
//! codesep_pos` (the message's tail, 37 bytes), `pre = epoch ‖ hash_type ‖ nVersion ‖
//! nLockTime ‖ sha_prevouts ‖ sha_amounts` (74), `mid = sha_sequences ‖ spend_type` (33),
//! `j` the follower's input index, `V` the vault's own scriptPubKey, `b0 b1 b2` the bits of
//! `k − 1` (so a merge spends `1 + b0 + 2·b1 + 4·b2` inputs) and `s_i` amount slots (a slot the
//! bits leave out is ignored; honest spends leave it empty).
//!
//! Why this is safe is argued in `docs/covenant.md` ("Followers"); the short form:
//! - Every piece of the message the script does not compute comes from the witness with a
//!   pinned length, so no field can move (COVENANT checklist 1); only the tail after the last
//!   field the script cares about is left unpinned, because nothing after it can move a field.
//!   Equal hashes mean equal messages, so witness pieces can only be the real ones.
//! - distribute and merge fix input index 0 and SIGHASH_DEFAULT: they see every input amount
//!   (they build `sha_amounts`) and every output (they build `sha_outputs`).
//! - follow uses SIGHASH_NONE (it needs no outputs: the leader fixes them) and proves two
//!   things only: its own index is not 0, and every input of the transaction spends the same
//!   34-byte script `V` (it builds `sha_scriptpubkeys` as `SHA256((0x22 ‖ V)^k)`), so input 0
//!   spends this vault too and must pass distribute or merge there. A transaction of
//!   followers alone has a follower at index 0, which fails.
//! - Amounts become 8-byte values by appending a zero pad picked by the number's size from a
//!   table on the stack (`le8`); every amount is first checked to be at least 128 (distribute:
//!   it is at least a share ≥ dust), so its size is 2..=4 bytes and the pad is exact.

use bitcoin::opcodes::all::*;
use bitcoin::ScriptBuf;

use crate::stack::Stack;
use crate::vault::VaultTerms;

/// `SHA256("TapSighash")`.
pub const TAG_TAPSIGHASH: [u8; 32] =
    hex32("f40a48df4b2a70c8b4924bf2654661ed3d95fd66a313eb87237597c628e4a031");
/// `SHA256("BIP0340/challenge")`.
pub const TAG_CHALLENGE: [u8; 32] =
    hex32("7bb52d7a9fef58323eb1bf7a407db382d2f3f2d81bb1224f49fe518f6d48d37c");
/// x coordinate of the secp256k1 generator `G` (its y is even, as BIP340 needs for `R`).
pub const G_X: [u8; 32] = hex32("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");

/// Length of the witness pieces (see the module doc).
pub const P1_LEN: usize = 40;
pub const P2_LEN: usize = 64;
pub const PRE_LEN: usize = 74;
pub const MID_LEN: usize = 33;

/// Amount slots of the merge leader: the most inputs one merge spends.
pub const SLOTS: usize = 8;

/// BIP341 hash type of the follower's signature.
pub const SIGHASH_NONE: u8 = 2;
/// The most bits of the `q` table: 10000 and every weight are below 2^14.
const Q_BITS: u32 = 14;

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

/// Pushes the zero pads `z4 z3 z2` (4, 5 and 6 zero bytes): `n ‖ z_size(n)` is `le8(n)`.
fn zero_pads(s: &mut Stack) {
    s.bytes(&[0; 4], "z4");
    s.dup("z3").bytes(&[0], "zero").cat("z3");
    s.dup("z2").bytes(&[0], "zero").cat("z2");
}

/// `[.. n] → [.. le8(n)]` (named `name`) for `128 <= n < 2^31`, which the caller has checked.
fn le8(s: &mut Stack, name: &str) {
    s.op(OP_SIZE, 0, &["size"]);
    // After PICK pops its index the number is on top again; z2 is one less deep than now.
    let offset = s.depth_of("z2") as i64 - 1 - 2;
    if offset != 0 {
        s.int(offset, "offset").bin(OP_ADD, "size");
    }
    s.op(OP_PICK, 1, &["pad"]).cat(name);
}

/// `[.. tag] → [.. SHA256(tag) ‖ SHA256(tag)]`: BIP340's tagged-hash prefix, from the tag's
/// name rather than its 32-byte hash (12–19 script bytes instead of 33).
fn tag_prefix(s: &mut Stack, tag: &[u8], name: &str) {
    s.bytes(tag, "tag")
        .un(OP_SHA256, name)
        .dup("copy")
        .cat(name);
}

/// `[e31 b .. msg] → [.. OP_CHECKSIG result]`, where `msg` is `tag‖tag‖epoch‖SigMsg`.
/// `hash_type` is appended to the signature unless it is SIGHASH_DEFAULT.
fn schnorr_trick(s: &mut Stack, hash_type: Option<u8>) {
    s.un(OP_SHA256, "sighash");
    tag_prefix(s, b"BIP0340/challenge", "pre");
    s.bytes(&G_X, "gx").dup("gx_key").push_alt();
    s.dup("gx2").cat("gg").cat("pre");
    s.roll("sighash").cat("pre").un(OP_SHA256, "e");
    s.pick("e31", "e31c").pick("b", "bc").cat("e_claimed");
    s.op(OP_EQUALVERIFY, 2, &[]);
    s.roll("b").un(OP_1ADD, "b1").cat("s");
    s.pop_alt("gx_key").dup("gx_r").roll("s").cat("sig");
    if let Some(t) = hash_type {
        s.int(i64::from(t), "hash_type").cat("sig");
    }
    s.roll("gx_key").op(OP_CHECKSIG, 2, &["ok"]);
}

/// `[.. b2 b1 b0 .. u] → [.. SHA256(u^(1 + b0 + 2·b1 + 4·b2))]`: every input's scriptPubKey
/// entry is `u` (the bits stay).
fn sha_same_spks(s: &mut Stack) {
    s.dup("x");
    for (bit, unit) in [("b0", "u"), ("b1", "u2"), ("b2", "u4")] {
        s.pick(bit, "gate").when(|s| {
            s.pick(unit, "unit").cat("x");
        });
        if unit != "u4" {
            let next = if unit == "u" { "u2" } else { "u4" };
            s.roll(unit).dup("unit").cat(next).roll("x");
        }
    }
    s.op(OP_NIP, 2, &["x"]).un(OP_SHA256, "h_spks");
}

/// `[.. V]` → `[.. 0x22 ‖ V]` (named `u`): V's entry in `sha_scriptpubkeys` (V is pinned to
/// 34 bytes by the caller, so the entry's length byte is true).
fn entry_of(s: &mut Stack) {
    s.roll("v").bytes(&[0x22], "len").roll("v").cat("u");
}

/// The `distribute` leaf for a vault's terms.
pub fn distribute(terms: &VaultTerms) -> ScriptBuf {
    distribute_stack(terms).into_script()
}

/// Script bytes of the `distribute` leaf by purpose (reported by `bitmodel-bench covenant`).
pub fn distribute_sections(terms: &VaultTerms) -> Vec<(&'static str, usize)> {
    distribute_stack(terms).section_bytes()
}

fn distribute_stack(terms: &VaultTerms) -> Stack {
    let n = terms.parents.len();
    // 10000 for a vault; a splitter's subtree weight (docs/splitters.md).
    let den = u32::from(terms.denominator);
    let t_names: Vec<String> = (0..n).map(|i| format!("t{i}")).collect();
    let mut witness = vec!["e31", "b", "suf", "p2", "p1", "q", "f", "a"];
    witness.extend(t_names.iter().map(String::as_str));
    let mut s = Stack::new(&witness);
    s.section("fee check, T and q table");
    // The quotients go to the alt stack, t_1 on top, so each parent takes its own in turn.
    for _ in 0..n {
        s.push_alt();
    }
    // [.. q F A]: 0 <= F <= cap, T = A − F; T is also the running remainder (on the alt stack).
    s.roll("f").dup("fc").within(0, terms.fee_cap as i64 + 1);
    s.pick("a", "ac")
        .roll("f")
        .bin(OP_SUB, "t")
        .dup("rem")
        .push_alt();
    s.section("zero pads");
    zero_pads(&mut s);
    s.section("fee check, T and q table");
    // The q table: Q_b = q·2^b. Every product with q below is a sum of its entries, and each
    // entry is at most the product it serves, so nothing overflows 4 bytes on the way.
    s.roll("q").rename("q", "Q0");
    // Entries up to the denominator's top bit (every weight is at most the denominator), so
    // Q_b ≤ q·den ≤ T: for a vault 14 entries, for a small splitter fewer.
    let bits = 32 - den.leading_zeros();
    for b in 1..bits {
        s.dup("x").dup("y").bin(OP_ADD, &format!("Q{b}"));
    }
    s.section("q and r check");
    add_table(&mut s, "Q", den, "x"); // den·q
    s.pick("t", "tc").roll("x").bin(OP_SUB, "r");
    s.dup("rc").within(0, i64::from(den)); // 0 <= r = T − den·q < den
    s.int(0, "o");
    for (i, p) in terms.parents.iter().enumerate() {
        let w = u32::from(p.weight);
        s.section("per parent: t check (r·w − 10000·t)");
        s.pop_alt("rem")
            .pop_alt(&t_names[i])
            .rename(&t_names[i], "ti");
        // d = r·w − den·t by one double-and-add over both constants: |d| stays below 10^8.
        let mut started = false;
        for bit in (0..bits).rev() {
            if started {
                s.dup("dd").bin(OP_ADD, "d");
            }
            if (w >> bit) & 1 == 1 {
                if started {
                    s.pick("r", "rr").bin(OP_ADD, "d");
                } else {
                    s.pick("r", "d");
                }
                started = true;
            }
            if (den >> bit) & 1 == 1 {
                if started {
                    s.pick("ti", "tt").bin(OP_SUB, "d");
                } else {
                    s.pick("ti", "d").un(OP_NEGATE, "d");
                }
                started = true;
            }
        }
        s.within(0, i64::from(den)); // t = floor(r·w / den)
                                     // share = q·w + t
        s.section("per parent: share = q·w + t");
        s.rename("ti", "share");
        add_bits(&mut s, "Q", w, "share");
        s.section("per parent: dust check and remainder");
        s.at_least(p.dust() as i64);
        s.op(OP_TUCK, 2, &["share", "rem", "share"])
            .bin(OP_SUB, "rem")
            .push_alt();
        s.section("per parent: le8 amount");
        le8(&mut s, "amount");
        s.section("per parent: output script");
        s.bytes(&spk_with_len(&p.script_pubkey), "spk")
            .cat("output")
            .cat("o");
    }
    s.section("owner output");
    s.pop_alt("rem"); // owner = T − Σ shares
    if terms.has_owner_output() {
        s.at_least(terms.owner_dust() as i64);
        le8(&mut s, "amount");
        s.bytes(&spk_with_len(&terms.owner), "spk")
            .cat("output")
            .cat("o");
    } else {
        // Weights sum to 10000: the owner's rounding remainder (< number of parents) is fee.
        s.drop_top();
    }
    s.section("sha_outputs and sha_amounts");
    s.un(OP_SHA256, "h_out");
    // A >= T >= a share >= dust: A is a 2..=4-byte number and its pad is exact.
    s.pick("a", "ac");
    le8(&mut s, "le8a");
    s.un(OP_SHA256, "h_amt").roll("h_out").push_alt().push_alt();
    s.section("clean stack");
    s.drop_above("p1");
    s.section("SigMsg assembly");
    tag_prefix(&mut s, b"TapSighash", "m");
    s.bytes(&[0, 0], "epoch_type").cat("m");
    s.roll("p1").pin(P1_LEN as i64).cat("m");
    s.pop_alt("h_amt").cat("m");
    s.roll("p2").pin(P2_LEN as i64).cat("m");
    s.pop_alt("h_out").cat("m");
    s.bytes(&[2, 0, 0, 0, 0], "type_index").cat("m"); // spend_type, input index 0
    s.roll("suf").cat("m");
    s.section("challenge and signature check");
    schnorr_trick(&mut s, None);
    s
}

/// `[.. acc]` → `[.. acc + Σ table_b]` over the set bits `b` of `w` (table entries `{prefix}b`).
fn add_bits(s: &mut Stack, prefix: &str, w: u32, acc: &str) {
    for bit in 0..Q_BITS {
        if (w >> bit) & 1 == 1 {
            s.pick(&format!("{prefix}{bit}"), "y").bin(OP_ADD, acc);
        }
    }
}

/// Pushes `w · table_0` as `name`, summing table entries.
fn add_table(s: &mut Stack, prefix: &str, w: u32, name: &str) {
    let top = 31 - w.leading_zeros();
    s.pick(&format!("{prefix}{top}"), name);
    add_bits(s, prefix, w & !(1 << top), name);
}

/// The merge leader: spends input 0 of a merge of `k = 1 + b0 + 2·b1 + 4·b2` (2..=8) inputs
/// of this vault into one output to the vault with `Σ A − F`.
pub fn merge(fee_cap: u64) -> ScriptBuf {
    let slots: Vec<String> = (1..=SLOTS).rev().map(|i| format!("s{i}")).collect();
    let mut witness = vec!["e31", "b", "suf", "seq", "p1", "v", "b2", "b1", "b0", "f"];
    witness.extend(slots.iter().map(String::as_str));
    let mut s = Stack::new(&witness);
    zero_pads(&mut s);
    s.roll("s1").at_least(128).rename("s1", "sum").dup("x");
    le8(&mut s, "blob");
    // Slot groups: s2 with b0, s3..s4 with b1, s5..s8 with b2.
    for (bit, group) in [("b0", 2..=2), ("b1", 3..=4), ("b2", 5..=8)] {
        s.pick(bit, "gate").if_else(
            |s| {
                for i in group.clone() {
                    let slot = format!("s{i}");
                    s.roll(&slot).at_least(128).dup("x");
                    le8(s, "le8");
                    s.roll("blob").roll("le8").cat("blob");
                    s.roll("sum").roll(&slot).bin(OP_ADD, "sum").roll("blob");
                }
            },
            |s| {
                for i in group.clone() {
                    s.roll(&format!("s{i}")).drop_top();
                }
            },
        );
    }
    // At least two inputs: a "merge" of one UTXO would only pay fees, again and again.
    s.pick("b0", "g0").pick("b1", "g1").bin(OP_BOOLOR, "g");
    s.pick("b2", "g2").bin(OP_BOOLOR, "g").verify();
    s.un(OP_SHA256, "h_amt").roll("sum");
    s.roll("f").dup("fc").within(0, fee_cap as i64 + 1);
    s.bin(OP_SUB, "out").at_least(crate::P2TR_DUST as i64);
    le8(&mut s, "out8");
    s.bytes(&[0x22], "len")
        .pick("v", "vc")
        .pin(34)
        .cat("spk")
        .cat("output");
    s.un(OP_SHA256, "h_out").push_alt();
    entry_of(&mut s);
    sha_same_spks(&mut s);
    s.push_alt().push_alt(); // alt: h_out h_spks h_amt
    s.drop_above("p1");
    tag_prefix(&mut s, b"TapSighash", "m");
    s.bytes(&[0, 0], "epoch_type").cat("m");
    s.roll("p1").pin(P1_LEN as i64).cat("m");
    s.pop_alt("h_amt").cat("m");
    s.pop_alt("h_spks").cat("m");
    s.roll("seq").pin(32).cat("m");
    s.pop_alt("h_out").cat("m");
    s.bytes(&[2, 0, 0, 0, 0], "type_index").cat("m");
    s.roll("suf").cat("m");
    schnorr_trick(&mut s, None);
    s.into_script()
}

/// The follower: inputs 1..k−1 of a merge. SIGHASH_NONE; proves its index is not 0 and that
/// every input spends the same script, so the merge leader at index 0 is this vault's.
pub fn follow() -> ScriptBuf {
    let mut s = Stack::new(&["e31", "b", "suf", "mid", "j", "pre", "v", "b2", "b1", "b0"]);
    s.roll("v").pin(34);
    entry_of(&mut s);
    sha_same_spks(&mut s);
    s.push_alt().drop_above("pre");
    tag_prefix(&mut s, b"TapSighash", "m");
    s.roll("pre").pin(PRE_LEN as i64).cat("m");
    s.pop_alt("h_spks").cat("m");
    s.roll("mid").pin(MID_LEN as i64).cat("m");
    // The index as a 1-byte number 1..=7 followed by three zero bytes: its real le4 value.
    s.roll("j").dup("jc").within(1, SLOTS as i64);
    s.bytes(&[0, 0, 0], "zeros").cat("index").cat("m");
    s.roll("suf").cat("m");
    schnorr_trick(&mut s, Some(SIGHASH_NONE));
    s.into_script()
}
