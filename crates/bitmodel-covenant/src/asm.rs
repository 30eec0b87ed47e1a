//! Script numbers for witness items, and the builder's guard [`find_op_success`]: no
//! `OP_SUCCESSx` other than `OP_CAT` may reach a leaf. (The leaves themselves are written
//! with the named-stack builder in `stack.rs`.)

use bitcoin::script::Instruction;
use bitcoin::Script;

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
    use bitcoin::opcodes::all::*;
    use bitcoin::script::Builder;

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
