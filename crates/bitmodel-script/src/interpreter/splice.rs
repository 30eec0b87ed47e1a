//! The opcodes that treat items as byte strings: `OP_CAT` (BIP347), `OP_SIZE`, `OP_EQUAL`
//! and `OP_EQUALVERIFY`.
//!
//! Core files them under "splice" and "bitwise logic", whose other members are disabled
//! (pre-tapscript) or `OP_SUCCESS` (tapscript) and never reach execution; together they are
//! the whole surface a covenant uses to build and compare transaction data, so `OP_CAT`'s
//! 520-byte rule is kept beside the comparison it feeds.

use super::MAX_ELEMENT_SIZE;
use crate::error::ScriptError;
use crate::opcodes::num;
use crate::opcodes::*;
use crate::stack::Stack;

pub(super) fn execute(opcode: u8, stack: &mut Stack) -> Result<(), ScriptError> {
    match opcode {
        OP_CAT => {
            stack.need(2)?;
            if stack.top(2)?.len() + stack.top(1)?.len() > MAX_ELEMENT_SIZE {
                return Err(ScriptError::PushSize);
            }
            let tail = stack.pop()?;
            stack.top_mut(1)?.extend_from_slice(&tail);
        }
        OP_SIZE => {
            let len = stack.top(1)?.len();
            stack.push(num::encode(len as i64));
        }
        OP_EQUAL | OP_EQUALVERIFY => {
            stack.need(2)?;
            let equal = stack.top(2)? == stack.top(1)?;
            stack.pop()?;
            stack.pop()?;
            stack.push_bool(equal);
            if opcode == OP_EQUALVERIFY {
                if !equal {
                    return Err(ScriptError::EqualVerify);
                }
                stack.pop()?;
            }
        }
        _ => return Err(ScriptError::BadOpcode),
    }
    Ok(())
}
