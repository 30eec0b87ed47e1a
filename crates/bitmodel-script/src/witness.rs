//! Witness program dispatch (Core's `VerifyWitnessProgram` and `ExecuteWitnessScript`):
//! segwit v0 P2WPKH/P2WSH, taproot key path and script path, and the "anything goes" rule for
//! unknown versions that keeps future soft forks possible.

use bitcoin::hashes::{sha256, Hash};
use bitcoin::Witness;

use crate::error::ScriptError;
use crate::flags::Flags;
use crate::interpreter::{eval_script, MAX_ELEMENT_SIZE, MAX_STACK_SIZE};
use crate::opcodes::num::cast_to_bool;
use crate::sig::{Checker, ExecData, SigVersion};
use crate::stack::Stack;
use crate::tapscript::{
    self, PreScan, ANNEX_TAG, CONTROL_BASE_SIZE, CONTROL_MAX_NODES, CONTROL_NODE_SIZE, LEAF_MASK,
    LEAF_TAPSCRIPT, VALIDATION_WEIGHT_OFFSET,
};

fn compact_size_len(n: usize) -> usize {
    match n {
        0..=0xfc => 1,
        0xfd..=0xffff => 3,
        0x1_0000..=0xffff_ffff => 5,
        _ => 9,
    }
}

/// Serialized size of a witness stack (Core's `GetSerializeSize(witness.stack)`).
fn witness_size(witness: &Witness) -> usize {
    compact_size_len(witness.len())
        + witness
            .iter()
            .map(|e| compact_size_len(e.len()) + e.len())
            .sum::<usize>()
}

fn execute_witness_script(
    stack: Vec<Vec<u8>>,
    script: &[u8],
    flags: Flags,
    sigversion: SigVersion,
    checker: &mut Checker<'_, '_>,
    exec: &mut ExecData<'_>,
) -> Result<(), ScriptError> {
    if sigversion == SigVersion::Tapscript {
        if tapscript::pre_scan(script, flags)? == PreScan::Success {
            return Ok(());
        }
        if stack.len() > MAX_STACK_SIZE {
            return Err(ScriptError::StackSize);
        }
    }
    if stack.iter().any(|e| e.len() > MAX_ELEMENT_SIZE) {
        return Err(ScriptError::PushSize);
    }
    let mut stack = Stack(stack);
    eval_script(&mut stack, script, flags, checker, sigversion, exec)?;
    if stack.len() != 1 {
        return Err(ScriptError::CleanStack);
    }
    if !cast_to_bool(stack.top(1)?) {
        return Err(ScriptError::EvalFalse);
    }
    Ok(())
}

/// Verifies a witness program of `version` against `witness`.
pub fn verify_witness_program(
    witness: &Witness,
    version: u8,
    program: &[u8],
    flags: Flags,
    checker: &mut Checker<'_, '_>,
    is_p2sh: bool,
) -> Result<(), ScriptError> {
    let items: Vec<&[u8]> = witness.iter().collect();
    let mut exec = ExecData {
        codesep_pos: u32::MAX,
        ..ExecData::default()
    };
    match (version, program.len()) {
        (0, 32) => {
            let Some((script, rest)) = items.split_last() else {
                return Err(ScriptError::WitnessProgramWitnessEmpty);
            };
            if sha256::Hash::hash(script).to_byte_array()[..] != program[..] {
                return Err(ScriptError::WitnessProgramMismatch);
            }
            let stack = rest.iter().map(|e| e.to_vec()).collect();
            execute_witness_script(
                stack,
                script,
                flags,
                SigVersion::WitnessV0,
                checker,
                &mut exec,
            )
        }
        (0, 20) => {
            if items.len() != 2 {
                return Err(ScriptError::WitnessProgramMismatch);
            }
            let mut script = Vec::with_capacity(25);
            script.extend_from_slice(&[0x76, 0xa9, 0x14]);
            script.extend_from_slice(program);
            script.extend_from_slice(&[0x88, 0xac]);
            let stack = items.iter().map(|e| e.to_vec()).collect();
            execute_witness_script(
                stack,
                &script,
                flags,
                SigVersion::WitnessV0,
                checker,
                &mut exec,
            )
        }
        (0, _) => Err(ScriptError::WitnessProgramWrongLength),
        (1, 32) if !is_p2sh => {
            if !flags.contains(Flags::TAPROOT) {
                return Ok(());
            }
            let mut stack: &[&[u8]] = &items;
            if stack.is_empty() {
                return Err(ScriptError::WitnessProgramWitnessEmpty);
            }
            if stack.len() >= 2 && stack[stack.len() - 1].first() == Some(&ANNEX_TAG) {
                exec.annex = Some(stack[stack.len() - 1]);
                stack = &stack[..stack.len() - 1];
            }
            if stack.len() == 1 {
                return checker.check_schnorr(stack[0], program, SigVersion::Taproot, &exec);
            }
            let control = stack[stack.len() - 1];
            let script = stack[stack.len() - 2];
            let args = &stack[..stack.len() - 2];
            if control.len() < CONTROL_BASE_SIZE
                || control.len() > CONTROL_BASE_SIZE + CONTROL_NODE_SIZE * CONTROL_MAX_NODES
                || (control.len() - CONTROL_BASE_SIZE) % CONTROL_NODE_SIZE != 0
            {
                return Err(ScriptError::TaprootWrongControlSize);
            }
            let leaf_version = control[0] & LEAF_MASK;
            let leaf = tapscript::leaf_hash(leaf_version, script);
            if !tapscript::verify_commitment(control, program, leaf) {
                return Err(ScriptError::WitnessProgramMismatch);
            }
            exec.tapleaf_hash = Some(leaf);
            if leaf_version == LEAF_TAPSCRIPT {
                exec.validation_weight_left =
                    witness_size(witness) as i64 + VALIDATION_WEIGHT_OFFSET;
                let stack = args.iter().map(|e| e.to_vec()).collect();
                return execute_witness_script(
                    stack,
                    script,
                    flags,
                    SigVersion::Tapscript,
                    checker,
                    &mut exec,
                );
            }
            if flags.contains(Flags::DISCOURAGE_UPGRADABLE_TAPROOT_VERSION) {
                return Err(ScriptError::DiscourageUpgradableTaprootVersion);
            }
            Ok(())
        }
        _ => {
            if flags.contains(Flags::DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM) {
                return Err(ScriptError::DiscourageUpgradableWitnessProgram);
            }
            Ok(())
        }
    }
}
