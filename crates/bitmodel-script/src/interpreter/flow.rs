//! Flow control: `IF`/`NOTIF`/`ELSE`/`ENDIF`, `VERIFY`, `RETURN`, and the condition stack.
//!
//! These are the only opcodes the loop hands over inside an unexecuted branch (so that
//! nesting is tracked there too), which is why they sit apart from every other group: each
//! arm here must check `executing` itself before touching the stack.

use crate::error::ScriptError;
use crate::flags::Flags;
use crate::opcodes::num::cast_to_bool;
use crate::opcodes::*;
use crate::sig::SigVersion;
use crate::stack::Stack;

/// Core's `ConditionStack`: the IF/ELSE nesting, stored as a depth and the position of the
/// first false entry, which is all execution needs.
#[derive(Default)]
pub(super) struct Conditions {
    depth: usize,
    first_false: Option<usize>,
}

impl Conditions {
    pub(super) fn all_true(&self) -> bool {
        self.first_false.is_none()
    }

    fn push(&mut self, value: bool) {
        if !value && self.first_false.is_none() {
            self.first_false = Some(self.depth);
        }
        self.depth += 1;
    }

    fn pop(&mut self) -> Result<(), ScriptError> {
        if self.depth == 0 {
            return Err(ScriptError::UnbalancedConditional);
        }
        self.depth -= 1;
        if self.first_false == Some(self.depth) {
            self.first_false = None;
        }
        Ok(())
    }

    fn toggle_top(&mut self) -> Result<(), ScriptError> {
        if self.depth == 0 {
            return Err(ScriptError::UnbalancedConditional);
        }
        let top = self.depth - 1;
        match self.first_false {
            None => self.first_false = Some(top),
            Some(pos) if pos == top => self.first_false = None,
            Some(_) => {}
        }
        Ok(())
    }

    /// At the end of the script every `IF` must have met its `ENDIF`.
    pub(super) fn check_closed(&self) -> Result<(), ScriptError> {
        if self.depth != 0 {
            return Err(ScriptError::UnbalancedConditional);
        }
        Ok(())
    }
}

pub(super) fn execute(
    opcode: u8,
    executing: bool,
    stack: &mut Stack,
    conditions: &mut Conditions,
    flags: Flags,
    sigversion: SigVersion,
) -> Result<(), ScriptError> {
    match opcode {
        OP_IF | OP_NOTIF => {
            let value = executing && pop_condition(opcode, stack, flags, sigversion)?;
            conditions.push(value);
        }
        OP_ELSE => conditions.toggle_top()?,
        OP_ENDIF => conditions.pop()?,
        OP_VERIFY => {
            if !cast_to_bool(stack.top(1)?) {
                return Err(ScriptError::Verify);
            }
            stack.pop()?;
        }
        OP_RETURN => return Err(ScriptError::OpReturn),
        // OP_VERIF and OP_VERNOTIF: invalid even in an unexecuted branch.
        _ => return Err(ScriptError::BadOpcode),
    }
    Ok(())
}

/// Pops the argument of an executed `IF`/`NOTIF` and returns whether its branch runs,
/// enforcing the minimal-IF rules (policy for segwit v0, consensus for tapscript).
fn pop_condition(
    opcode: u8,
    stack: &mut Stack,
    flags: Flags,
    sigversion: SigVersion,
) -> Result<bool, ScriptError> {
    let top = stack
        .top(1)
        .map_err(|_| ScriptError::UnbalancedConditional)?;
    let non_minimal = top.len() > 1 || (top.len() == 1 && top[0] != 1);
    if sigversion == SigVersion::Tapscript && non_minimal {
        return Err(ScriptError::TapscriptMinimalIf);
    }
    if sigversion == SigVersion::WitnessV0 && flags.contains(Flags::MINIMALIF) && non_minimal {
        return Err(ScriptError::MinimalIf);
    }
    let value = cast_to_bool(top) == (opcode == OP_IF);
    stack.pop()?;
    Ok(value)
}
