//! Numeric opcodes (`OP_1ADD` through `OP_WITHIN`).
//!
//! Operands are 4-byte script numbers but results are not range-checked (Core computes in
//! 64 bits and only the next decode rejects an overlong result), so the arithmetic is done
//! in `i64`, where no sum or difference of two 4-byte numbers can overflow.

use super::num_arg;
use crate::error::ScriptError;
use crate::opcodes::num;
use crate::opcodes::*;
use crate::stack::Stack;

pub(super) fn execute(opcode: u8, stack: &mut Stack, minimal: bool) -> Result<(), ScriptError> {
    match opcode {
        OP_1ADD | OP_1SUB | OP_NEGATE | OP_ABS | OP_NOT | OP_0NOTEQUAL => {
            unary(opcode, stack, minimal)
        }
        OP_ADD
        | OP_SUB
        | OP_BOOLAND
        | OP_BOOLOR
        | OP_NUMEQUAL
        | OP_NUMEQUALVERIFY
        | OP_NUMNOTEQUAL
        | OP_LESSTHAN
        | OP_GREATERTHAN
        | OP_LESSTHANOREQUAL
        | OP_GREATERTHANOREQUAL
        | OP_MIN
        | OP_MAX => binary(opcode, stack, minimal),
        OP_WITHIN => within(stack, minimal),
        // The disabled OP_2MUL, OP_2DIV, OP_MUL, OP_DIV, OP_MOD, OP_LSHIFT, OP_RSHIFT.
        _ => Err(ScriptError::BadOpcode),
    }
}

fn unary(opcode: u8, stack: &mut Stack, minimal: bool) -> Result<(), ScriptError> {
    let n = num_arg(stack, 1, minimal)?;
    let result = match opcode {
        OP_1ADD => n + 1,
        OP_1SUB => n - 1,
        OP_NEGATE => -n,
        OP_ABS => n.abs(),
        OP_NOT => i64::from(n == 0),
        _ => i64::from(n != 0),
    };
    stack.pop()?;
    stack.push(num::encode(result));
    Ok(())
}

fn binary(opcode: u8, stack: &mut Stack, minimal: bool) -> Result<(), ScriptError> {
    stack.need(2)?;
    let a = num_arg(stack, 2, minimal)?;
    let b = num_arg(stack, 1, minimal)?;
    let result = match opcode {
        OP_ADD => a + b,
        OP_SUB => a - b,
        OP_BOOLAND => i64::from(a != 0 && b != 0),
        OP_BOOLOR => i64::from(a != 0 || b != 0),
        OP_NUMEQUAL | OP_NUMEQUALVERIFY => i64::from(a == b),
        OP_NUMNOTEQUAL => i64::from(a != b),
        OP_LESSTHAN => i64::from(a < b),
        OP_GREATERTHAN => i64::from(a > b),
        OP_LESSTHANOREQUAL => i64::from(a <= b),
        OP_GREATERTHANOREQUAL => i64::from(a >= b),
        OP_MIN => a.min(b),
        _ => a.max(b),
    };
    stack.pop()?;
    stack.pop()?;
    stack.push(num::encode(result));
    if opcode == OP_NUMEQUALVERIFY {
        if result == 0 {
            return Err(ScriptError::NumEqualVerify);
        }
        stack.pop()?;
    }
    Ok(())
}

fn within(stack: &mut Stack, minimal: bool) -> Result<(), ScriptError> {
    stack.need(3)?;
    let x = num_arg(stack, 3, minimal)?;
    let lo = num_arg(stack, 2, minimal)?;
    let hi = num_arg(stack, 1, minimal)?;
    stack.pop()?;
    stack.pop()?;
    stack.pop()?;
    stack.push_bool(lo <= x && x < hi);
    Ok(())
}
