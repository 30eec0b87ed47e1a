//! The vocabulary the leaves are written in: constant multiplication, 8-byte amounts,
//! length pins and range checks, each a short, fixed opcode sequence.
//!
//! Invariants the leaves rely on:
//! - [`mul_const`] uses binary double-and-add from the most significant bit, so every
//!   intermediate is at most the final product: a product below 2^31 never overflows a
//!   4-byte script number on the way (signed-digit tricks would).
//! - [`le8`] accepts only numbers of 2, 3 or 4 bytes (128 ..= 2^31 − 1 for non-negative
//!   values) and fails the script otherwise; every amount it is used on is at least a dust
//!   limit, so that is no restriction, and a negative number gives a sign bit that can never
//!   match a real amount.
//! - [`check_no_op_success`] is the builder's guard: no `OP_SUCCESSx` other than `OP_CAT`.

use bitcoin::opcodes::all::*;
use bitcoin::script::{Builder, Instruction, PushBytesBuf};
use bitcoin::Script;

/// Multiplies the top stack number by a constant: `[x] → [x·w]`.
pub fn mul_const(mut b: Builder, w: u32) -> Builder {
    assert!(w > 0, "multiplying by zero is never needed by the leaves");
    if w == 1 {
        return b;
    }
    let bits = 32 - w.leading_zeros();
    if w.is_power_of_two() {
        for _ in 1..bits {
            b = b.push_opcode(OP_DUP).push_opcode(OP_ADD);
        }
        return b;
    }
    // [x] → [x, acc=x]; acc = 2·acc (+ x) per remaining bit; drop x.
    b = b.push_opcode(OP_DUP);
    for bit in (0..bits - 1).rev() {
        b = b.push_opcode(OP_DUP).push_opcode(OP_ADD);
        if (w >> bit) & 1 == 1 {
            b = b.push_opcode(OP_OVER).push_opcode(OP_ADD);
        }
    }
    b.push_opcode(OP_NIP)
}

/// `[n] → [le8(n)]` for a minimally encoded number of 2..=4 bytes.
pub fn le8(b: Builder) -> Builder {
    b.push_opcode(OP_SIZE)
        .push_int(2)
        .push_opcode(OP_EQUAL)
        .push_opcode(OP_IF)
        .push_slice([0u8; 6])
        .push_opcode(OP_ELSE)
        .push_opcode(OP_SIZE)
        .push_int(3)
        .push_opcode(OP_EQUAL)
        .push_opcode(OP_IF)
        .push_slice([0u8; 5])
        .push_opcode(OP_ELSE)
        .push_opcode(OP_SIZE)
        .push_int(4)
        .push_opcode(OP_EQUALVERIFY)
        .push_slice([0u8; 4])
        .push_opcode(OP_ENDIF)
        .push_opcode(OP_ENDIF)
        .push_opcode(OP_CAT)
}

/// Fails unless the top element is exactly `n` bytes long (the element stays).
pub fn pin(b: Builder, n: i64) -> Builder {
    b.push_opcode(OP_SIZE)
        .push_int(n)
        .push_opcode(OP_EQUALVERIFY)
}

/// Consumes the top number and fails unless `lo <= x < hi`.
pub fn within(b: Builder, lo: i64, hi: i64) -> Builder {
    b.push_int(lo)
        .push_int(hi)
        .push_opcode(OP_WITHIN)
        .push_opcode(OP_VERIFY)
}

/// Fails unless the top number is at least `min` (the number stays).
pub fn at_least(b: Builder, min: i64) -> Builder {
    b.push_opcode(OP_DUP)
        .push_int(min)
        .push_opcode(OP_GREATERTHANOREQUAL)
        .push_opcode(OP_VERIFY)
}

/// Pushes arbitrary constant bytes (at most 520).
pub fn push_bytes(b: Builder, bytes: &[u8]) -> Builder {
    b.push_slice(
        PushBytesBuf::try_from(bytes.to_vec()).expect("leaf constants are at most 520 bytes"),
    )
}

/// Whether `op` is an `OP_SUCCESSx` in tapscript (BIP342).
pub fn is_op_success(op: u8) -> bool {
    matches!(op, 80 | 98 | 126..=129 | 131..=134 | 137..=138 | 141..=142 | 149..=153 | 187..=254)
}

/// The first `OP_SUCCESSx` opcode other than `OP_CAT` (0x7e) in a script, if any; a script
/// that does not parse is reported as its first byte.
pub fn find_op_success(script: &Script) -> Option<u8> {
    for ins in script.instructions() {
        match ins {
            Ok(Instruction::Op(op)) if op.to_u8() != 0x7e && is_op_success(op.to_u8()) => {
                return Some(op.to_u8())
            }
            Ok(_) => {}
            Err(_) => return Some(script.as_bytes().first().copied().unwrap_or(0)),
        }
    }
    None
}

/// Script number encoding (minimal, little-endian, sign bit), for witness items.
pub fn scriptnum(n: i64) -> Vec<u8> {
    if n == 0 {
        return Vec::new();
    }
    let mut abs = n.unsigned_abs();
    let mut out = Vec::new();
    while abs > 0 {
        out.push((abs & 0xff) as u8);
        abs >>= 8;
    }
    if out.last().expect("non-zero has a byte") & 0x80 != 0 {
        out.push(if n < 0 { 0x80 } else { 0 });
    } else if n < 0 {
        *out.last_mut().expect("non-zero has a byte") |= 0x80;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scriptnums() {
        assert_eq!(scriptnum(0), Vec::<u8>::new());
        assert_eq!(scriptnum(1), vec![1]);
        assert_eq!(scriptnum(-1), vec![0x81]);
        assert_eq!(scriptnum(127), vec![0x7f]);
        assert_eq!(scriptnum(128), vec![0x80, 0]);
        assert_eq!(scriptnum(-128), vec![0x80, 0x80]);
        assert_eq!(scriptnum(330), vec![0x4a, 0x01]);
        assert_eq!(scriptnum((1 << 31) - 1), vec![0xff, 0xff, 0xff, 0x7f]);
    }

    #[test]
    fn op_success_table() {
        assert!(
            is_op_success(0x7e)
                && is_op_success(0x50)
                && is_op_success(0xbb)
                && is_op_success(0xfe)
        );
        assert!(
            !is_op_success(0xac)
                && !is_op_success(0xba)
                && !is_op_success(0x93)
                && !is_op_success(0xff)
        );
        let bad = Builder::new()
            .push_opcode(OP_ADD)
            .push_opcode(OP_CAT)
            .push_opcode(OP_MUL)
            .into_script();
        assert_eq!(find_op_success(&bad), Some(0x95));
        let ok = Builder::new()
            .push_opcode(OP_CAT)
            .push_slice([0x95u8; 3])
            .into_script();
        assert_eq!(find_op_success(&ok), None);
    }
}
