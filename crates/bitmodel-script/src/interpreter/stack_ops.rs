//! Stack manipulation (`OP_TOALTSTACK` through `OP_TUCK`).
//!
//! Every access goes through `Stack`'s checked operations rather than indexing, so an
//! underflow is `INVALID_STACK_OPERATION` by construction; where Core checks the size up
//! front (`need`) the check is kept too, since it decides which error wins.

use super::num_arg;
use crate::error::ScriptError;
use crate::opcodes::num::{self, cast_to_bool};
use crate::opcodes::*;
use crate::stack::{Elem, Stack};

pub(super) fn execute(
    opcode: u8,
    stack: &mut Stack,
    altstack: &mut Vec<Elem>,
    minimal: bool,
) -> Result<(), ScriptError> {
    match opcode {
        OP_TOALTSTACK => altstack.push(stack.pop()?),
        OP_FROMALTSTACK => {
            let item = altstack
                .pop()
                .ok_or(ScriptError::InvalidAltstackOperation)?;
            stack.push(item);
        }
        OP_2DROP => {
            stack.need(2)?;
            stack.pop()?;
            stack.pop()?;
        }
        OP_2DUP => copy_to_top(stack, &[2, 1])?,
        OP_3DUP => copy_to_top(stack, &[3, 2, 1])?,
        OP_2OVER => copy_to_top(stack, &[4, 3])?,
        OP_2ROT => {
            stack.need(6)?;
            let a = stack.remove(6)?;
            let b = stack.remove(5)?;
            stack.push(a);
            stack.push(b);
        }
        OP_2SWAP => {
            stack.swap(4, 2)?;
            stack.swap(3, 1)?;
        }
        OP_IFDUP => {
            let top = stack.top(1)?;
            if cast_to_bool(top) {
                let copy = top.clone();
                stack.push(copy);
            }
        }
        OP_DEPTH => stack.push(num::encode(stack.len() as i64)),
        OP_DROP => {
            stack.pop()?;
        }
        OP_DUP => copy_to_top(stack, &[1])?,
        OP_NIP => {
            stack.remove(2)?;
        }
        OP_OVER => copy_to_top(stack, &[2])?,
        OP_PICK | OP_ROLL => pick_or_roll(opcode, stack, minimal)?,
        OP_ROT => {
            stack.swap(3, 2)?;
            stack.swap(2, 1)?;
        }
        OP_SWAP => stack.swap(2, 1)?,
        OP_TUCK => {
            let copy = stack.top(1)?.clone();
            stack.insert_at(3, copy)?;
        }
        _ => return Err(ScriptError::BadOpcode),
    }
    Ok(())
}

/// Pushes copies of the items at `depths` (taken before any is pushed), in that order.
fn copy_to_top(stack: &mut Stack, depths: &[usize]) -> Result<(), ScriptError> {
    let copies = depths
        .iter()
        .map(|&depth| stack.top(depth).cloned())
        .collect::<Result<Vec<_>, _>>()?;
    for copy in copies {
        stack.push(copy);
    }
    Ok(())
}

/// `OP_PICK` copies and `OP_ROLL` moves the item `n` below the top, `n` being popped first.
fn pick_or_roll(opcode: u8, stack: &mut Stack, minimal: bool) -> Result<(), ScriptError> {
    stack.need(2)?;
    let n = num::clamp_i32(num_arg(stack, 1, minimal)?);
    stack.pop()?;
    if n < 0 || n as usize >= stack.len() {
        return Err(ScriptError::InvalidStackOperation);
    }
    let depth = n as usize + 1;
    let item = if opcode == OP_ROLL {
        stack.remove(depth)?
    } else {
        stack.top(depth)?.clone()
    };
    stack.push(item);
    Ok(())
}
