//! The script execution loop (Core's `EvalScript`) for legacy, segwit v0 and tapscript.
//!
//! The loop lives here and each opcode group in its own file, in the shape of Core's
//! `EvalScript`, so that a reviewer can hold one group against the matching part of
//! `interpreter.cpp` without scrolling through the rest; what stays here are the checks that
//! apply to every opcode, because their order relative to each other is consensus.
//!
//! Invariants kept here, in Core's order of checks per opcode: parse failure is
//! `BAD_OPCODE`; pushes over 520 bytes fail even in unexecuted branches; pre-tapscript
//! scripts count non-push opcodes against 201 and may not contain disabled opcodes anywhere;
//! stack plus altstack never exceed 1000 items after an opcode. An opcode that no group
//! claims is `BAD_OPCODE`, also in each group's own fallback arm.

mod arithmetic;
mod crypto;
mod flow;
mod nops;
mod splice;
mod stack_ops;

pub use crypto::find_and_delete;

use crate::error::ScriptError;
use crate::flags::Flags;
use crate::opcodes::num::{self, NumError};
use crate::opcodes::*;
use crate::sig::{Checker, ExecData, SigVersion};
use crate::stack::{Elem, Stack};

use crypto::SigContext;
use flow::Conditions;

pub const MAX_SCRIPT_SIZE: usize = 10_000;
pub const MAX_ELEMENT_SIZE: usize = 520;
pub const MAX_OPS_PER_SCRIPT: usize = 201;
pub const MAX_STACK_SIZE: usize = 1000;
pub const MAX_PUBKEYS_PER_MULTISIG: i64 = 20;
/// BIP342: validation weight each executed signature check consumes.
pub const VALIDATION_WEIGHT_PER_SIGOP: i64 = 50;

impl From<NumError> for ScriptError {
    fn from(_: NumError) -> Self {
        // Core throws scriptnum_error, which EvalScript turns into UNKNOWN_ERROR.
        ScriptError::UnknownError
    }
}

/// The item `depth` places from the top as a 4-byte script number.
fn num_arg(stack: &Stack, depth: usize, minimal: bool) -> Result<i64, ScriptError> {
    Ok(num::decode(stack.top(depth)?, minimal, 4)?)
}

/// Executes `script` on `stack` (Core's `EvalScript`).
pub fn eval_script(
    stack: &mut Stack,
    script: &[u8],
    flags: Flags,
    checker: &mut Checker<'_, '_>,
    sigversion: SigVersion,
    exec: &mut ExecData<'_>,
) -> Result<(), ScriptError> {
    let pre_tapscript = matches!(sigversion, SigVersion::Base | SigVersion::WitnessV0);
    if pre_tapscript && script.len() > MAX_SCRIPT_SIZE {
        return Err(ScriptError::ScriptSize);
    }
    exec.codesep_pos = u32::MAX;
    let mut machine = Machine {
        stack,
        altstack: Vec::new(),
        conditions: Conditions::default(),
        op_count: 0,
        minimal: flags.contains(Flags::MINIMALDATA),
        pre_tapscript,
        sig: SigContext {
            script,
            code_start: 0,
            flags,
            sigversion,
            checker,
            exec,
        },
    };
    let mut ops = Ops::new(script);
    let mut opcode_pos: u32 = 0;
    while let Some(op) = ops.next() {
        let op = op.map_err(|()| ScriptError::BadOpcode)?;
        machine.step(op, ops.pos(), opcode_pos)?;
        opcode_pos = opcode_pos.wrapping_add(1);
    }
    machine.conditions.check_closed()
}

/// Everything one `eval_script` call carries from opcode to opcode.
struct Machine<'m, 't, 'a, 'w> {
    stack: &'m mut Stack,
    altstack: Vec<Elem>,
    conditions: Conditions,
    /// Non-push opcodes so far plus multisig keys (pre-tapscript only).
    op_count: usize,
    minimal: bool,
    pre_tapscript: bool,
    sig: SigContext<'m, 't, 'a, 'w>,
}

impl Machine<'_, '_, '_, '_> {
    /// One opcode: the checks every opcode gets, then execution if its branch runs.
    /// `next_pos` is the script offset just past the opcode, `opcode_pos` its index.
    fn step(&mut self, op: Op<'_>, next_pos: usize, opcode_pos: u32) -> Result<(), ScriptError> {
        let Op { opcode, data } = op;
        let executing = self.conditions.all_true();
        self.check_static_rules(opcode, data)?;
        if executing && opcode <= OP_PUSHDATA4 {
            if self.minimal && !is_minimal_push(opcode, data) {
                return Err(ScriptError::MinimalData);
            }
            self.stack.push(data.to_vec());
        } else if executing || (OP_IF..=OP_ENDIF).contains(&opcode) {
            self.execute(opcode, executing, next_pos, opcode_pos)?;
        }
        if self.stack.len() + self.altstack.len() > MAX_STACK_SIZE {
            return Err(ScriptError::StackSize);
        }
        Ok(())
    }

    /// The rules that hold for every opcode, executed or not.
    fn check_static_rules(&mut self, opcode: u8, data: &[u8]) -> Result<(), ScriptError> {
        if data.len() > MAX_ELEMENT_SIZE {
            return Err(ScriptError::PushSize);
        }
        if !self.pre_tapscript {
            return Ok(());
        }
        if opcode > OP_16 {
            self.op_count += 1;
            if self.op_count > MAX_OPS_PER_SCRIPT {
                return Err(ScriptError::OpCount);
            }
        }
        if is_disabled(opcode) {
            return Err(ScriptError::DisabledOpcode);
        }
        if opcode == OP_CODESEPARATOR
            && self.sig.sigversion == SigVersion::Base
            && self.sig.flags.contains(Flags::CONST_SCRIPTCODE)
        {
            return Err(ScriptError::OpCodeSeparator);
        }
        Ok(())
    }

    /// Hands a non-push opcode to its group.
    fn execute(
        &mut self,
        opcode: u8,
        executing: bool,
        next_pos: usize,
        opcode_pos: u32,
    ) -> Result<(), ScriptError> {
        let stack = &mut *self.stack;
        match opcode {
            OP_1NEGATE | OP_1..=OP_16 => {
                stack.push(num::encode(i64::from(opcode) - i64::from(OP_1 - 1)));
                Ok(())
            }
            OP_NOP
            | OP_NOP1
            | OP_CHECKLOCKTIMEVERIFY
            | OP_CHECKSEQUENCEVERIFY
            | OP_CHECKTEMPLATEVERIFY
            | OP_NOP5..=OP_NOP10 => nops::execute(
                opcode,
                stack,
                self.sig.flags,
                self.minimal,
                self.sig.checker,
            ),
            OP_IF..=OP_RETURN => flow::execute(
                opcode,
                executing,
                stack,
                &mut self.conditions,
                self.sig.flags,
                self.sig.sigversion,
            ),
            OP_TOALTSTACK..=OP_TUCK => {
                stack_ops::execute(opcode, stack, &mut self.altstack, self.minimal)
            }
            OP_CAT..=OP_EQUALVERIFY => splice::execute(opcode, stack),
            OP_1ADD..=OP_WITHIN => arithmetic::execute(opcode, stack, self.minimal),
            OP_CODESEPARATOR => {
                self.sig.separate(next_pos, opcode_pos);
                Ok(())
            }
            OP_RIPEMD160..=OP_HASH256 | OP_CHECKSIG..=OP_CHECKMULTISIGVERIFY | OP_CHECKSIGADD => {
                crypto::execute(opcode, stack, &mut self.sig, &mut self.op_count)
            }
            _ => Err(ScriptError::BadOpcode),
        }
    }
}
