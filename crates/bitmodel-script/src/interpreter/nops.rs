//! The NOP slots, and the soft forks that gave some of them a meaning: `CHECKLOCKTIMEVERIFY`,
//! `CHECKSEQUENCEVERIFY` and `CHECKTEMPLATEVERIFY`.
//!
//! They share a file because they share a contract that keeps those soft forks soft: each
//! either fails or leaves the stack exactly as it was, so a node without the rule sees a
//! NOP. Whether a slot is enforced, a plain NOP, or a discouraged upgradable NOP depends
//! only on the flags.

use crate::error::ScriptError;
use crate::flags::Flags;
use crate::opcodes::num;
use crate::opcodes::*;
use crate::sig::Checker;
use crate::stack::Stack;

pub(super) fn execute(
    opcode: u8,
    stack: &Stack,
    flags: Flags,
    minimal: bool,
    checker: &Checker<'_, '_>,
) -> Result<(), ScriptError> {
    match opcode {
        OP_NOP => Ok(()),
        OP_CHECKLOCKTIMEVERIFY if flags.contains(Flags::CHECKLOCKTIMEVERIFY) => {
            check_lock_time(stack, minimal, checker)
        }
        OP_CHECKSEQUENCEVERIFY if flags.contains(Flags::CHECKSEQUENCEVERIFY) => {
            check_sequence(stack, minimal, checker)
        }
        OP_CHECKTEMPLATEVERIFY => crate::ctv::op_checktemplateverify(stack, flags, checker),
        // Without their flags CLTV and CSV are plain NOP2/NOP3, never discouraged.
        OP_CHECKLOCKTIMEVERIFY | OP_CHECKSEQUENCEVERIFY => Ok(()),
        OP_NOP1 | OP_NOP5..=OP_NOP10 => {
            if flags.contains(Flags::DISCOURAGE_UPGRADABLE_NOPS) {
                return Err(ScriptError::DiscourageUpgradableNops);
            }
            Ok(())
        }
        _ => Err(ScriptError::BadOpcode),
    }
}

/// `OP_CHECKLOCKTIMEVERIFY` (BIP65); the argument is a 5-byte number.
fn check_lock_time(
    stack: &Stack,
    minimal: bool,
    checker: &Checker<'_, '_>,
) -> Result<(), ScriptError> {
    let lock_time = num::decode(stack.top(1)?, minimal, 5)?;
    if lock_time < 0 {
        return Err(ScriptError::NegativeLocktime);
    }
    if !checker.check_lock_time(lock_time) {
        return Err(ScriptError::UnsatisfiedLocktime);
    }
    Ok(())
}

/// `OP_CHECKSEQUENCEVERIFY` (BIP112); the disable bit makes it a NOP.
fn check_sequence(
    stack: &Stack,
    minimal: bool,
    checker: &Checker<'_, '_>,
) -> Result<(), ScriptError> {
    let sequence = num::decode(stack.top(1)?, minimal, 5)?;
    if sequence < 0 {
        return Err(ScriptError::NegativeLocktime);
    }
    if sequence & (1 << 31) == 0 && !checker.check_sequence(sequence) {
        return Err(ScriptError::UnsatisfiedLocktime);
    }
    Ok(())
}
