//! The script execution loop (Core's `EvalScript`) for legacy, segwit v0 and tapscript.
//!
//! Invariants kept here, in Core's order of checks per opcode: parse failure is
//! `BAD_OPCODE`; pushes over 520 bytes fail even in unexecuted branches; pre-tapscript
//! scripts count non-push opcodes against 201 and may not contain disabled opcodes anywhere;
//! stack plus altstack never exceed 1000 items after an opcode.

use bitcoin::hashes::{hash160, ripemd160, sha1, sha256, sha256d, Hash};

use crate::error::ScriptError;
use crate::flags::Flags;
use crate::opcodes::num::{self, cast_to_bool, NumError};
use crate::opcodes::*;
use crate::sig::{check_pubkey_encoding, check_signature_encoding, Checker, ExecData, SigVersion};
use crate::stack::{Elem, Stack};

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

/// Core's `ConditionStack`: the IF/ELSE nesting, stored as a depth and the position of the
/// first false entry, which is all execution needs.
struct Conditions {
    depth: usize,
    first_false: Option<usize>,
}

impl Conditions {
    fn all_true(&self) -> bool {
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
}

/// Removes every occurrence of `pattern` that starts at an opcode boundary (Core's
/// `FindAndDelete`); returns the number removed.
pub fn find_and_delete(script: &mut Vec<u8>, pattern: &[u8]) -> usize {
    if pattern.is_empty() {
        return 0;
    }
    let mut found = 0;
    let mut result = Vec::with_capacity(script.len());
    let mut pc = 0;
    let mut copied_from = 0;
    loop {
        result.extend_from_slice(&script[copied_from..pc]);
        while script.len() - pc >= pattern.len() && script[pc..].starts_with(pattern) {
            pc += pattern.len();
            found += 1;
        }
        copied_from = pc;
        let mut ops = Ops::new(&script[pc..]);
        match ops.next() {
            Some(Ok(_)) => pc += ops.pos(),
            _ => break,
        }
    }
    if found > 0 {
        result.extend_from_slice(&script[copied_from..]);
        *script = result;
    }
    found
}

fn num_arg(stack: &Stack, depth: usize, minimal: bool) -> Result<i64, ScriptError> {
    Ok(num::decode(stack.top(depth)?, minimal, 4)?)
}

/// Core's `EvalChecksigPreTapscript`: returns whether the signature was valid; errors for
/// encoding violations and NULLFAIL.
fn checksig_pre_tapscript(
    sig: &[u8],
    key: &[u8],
    script: &[u8],
    code_start: usize,
    flags: Flags,
    checker: &mut Checker<'_, '_>,
    sigversion: SigVersion,
) -> Result<bool, ScriptError> {
    let mut script_code = script[code_start..].to_vec();
    if sigversion == SigVersion::Base {
        let mut pattern = Vec::with_capacity(sig.len() + 5);
        push_data(&mut pattern, sig);
        if find_and_delete(&mut script_code, &pattern) > 0
            && flags.contains(Flags::CONST_SCRIPTCODE)
        {
            return Err(ScriptError::SigFindAndDelete);
        }
    }
    check_signature_encoding(sig, flags)?;
    check_pubkey_encoding(key, flags, sigversion)?;
    let ok = checker.check_ecdsa(sig, key, &script_code, sigversion);
    if !ok && flags.contains(Flags::NULLFAIL) && !sig.is_empty() {
        return Err(ScriptError::NullFail);
    }
    Ok(ok)
}

/// Core's `EvalChecksigTapscript`.
fn checksig_tapscript(
    sig: &[u8],
    key: &[u8],
    flags: Flags,
    checker: &mut Checker<'_, '_>,
    exec: &mut ExecData<'_>,
) -> Result<bool, ScriptError> {
    let nonempty = !sig.is_empty();
    if nonempty {
        exec.validation_weight_left -= VALIDATION_WEIGHT_PER_SIGOP;
        if exec.validation_weight_left < 0 {
            return Err(ScriptError::TapscriptValidationWeight);
        }
    }
    match key.len() {
        0 => Err(ScriptError::PubkeyType),
        32 => {
            if nonempty {
                checker.check_schnorr(sig, key, SigVersion::Tapscript, exec)?;
            }
            Ok(nonempty)
        }
        _ if flags.contains(Flags::DISCOURAGE_UPGRADABLE_PUBKEYTYPE) => {
            Err(ScriptError::DiscourageUpgradablePubkeyType)
        }
        _ => Ok(nonempty),
    }
}

#[allow(clippy::too_many_arguments)]
fn checksig(
    sig: &[u8],
    key: &[u8],
    script: &[u8],
    code_start: usize,
    flags: Flags,
    checker: &mut Checker<'_, '_>,
    sigversion: SigVersion,
    exec: &mut ExecData<'_>,
) -> Result<bool, ScriptError> {
    match sigversion {
        SigVersion::Base | SigVersion::WitnessV0 => {
            checksig_pre_tapscript(sig, key, script, code_start, flags, checker, sigversion)
        }
        SigVersion::Tapscript => checksig_tapscript(sig, key, flags, checker, exec),
        SigVersion::Taproot => unreachable!("key-path spends execute no script"),
    }
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
    let minimal = flags.contains(Flags::MINIMALDATA);
    let mut altstack: Vec<Elem> = Vec::new();
    let mut conditions = Conditions {
        depth: 0,
        first_false: None,
    };
    let mut op_count = 0usize;
    let mut code_start = 0usize;
    exec.codesep_pos = u32::MAX;
    let mut ops = Ops::new(script);
    let mut opcode_pos: u32 = 0;

    while let Some(op) = ops.next() {
        let executing = conditions.all_true();
        let Op { opcode, data } = op.map_err(|()| ScriptError::BadOpcode)?;
        if data.len() > MAX_ELEMENT_SIZE {
            return Err(ScriptError::PushSize);
        }
        if pre_tapscript {
            if opcode > OP_16 {
                op_count += 1;
                if op_count > MAX_OPS_PER_SCRIPT {
                    return Err(ScriptError::OpCount);
                }
            }
            if is_disabled(opcode) {
                return Err(ScriptError::DisabledOpcode);
            }
            if opcode == OP_CODESEPARATOR
                && sigversion == SigVersion::Base
                && flags.contains(Flags::CONST_SCRIPTCODE)
            {
                return Err(ScriptError::OpCodeSeparator);
            }
        }

        if executing && opcode <= OP_PUSHDATA4 {
            if minimal && !is_minimal_push(opcode, data) {
                return Err(ScriptError::MinimalData);
            }
            stack.push(data.to_vec());
        } else if executing || (OP_IF..=OP_ENDIF).contains(&opcode) {
            match opcode {
                OP_1NEGATE | OP_1..=OP_16 => {
                    stack.push(num::encode(i64::from(opcode) - i64::from(OP_1 - 1)));
                }
                OP_NOP => {}
                OP_CHECKLOCKTIMEVERIFY if flags.contains(Flags::CHECKLOCKTIMEVERIFY) => {
                    let lock_time = num::decode(stack.top(1)?, minimal, 5)?;
                    if lock_time < 0 {
                        return Err(ScriptError::NegativeLocktime);
                    }
                    if !checker.check_lock_time(lock_time) {
                        return Err(ScriptError::UnsatisfiedLocktime);
                    }
                }
                OP_CHECKSEQUENCEVERIFY if flags.contains(Flags::CHECKSEQUENCEVERIFY) => {
                    let sequence = num::decode(stack.top(1)?, minimal, 5)?;
                    if sequence < 0 {
                        return Err(ScriptError::NegativeLocktime);
                    }
                    if sequence & (1 << 31) == 0 && !checker.check_sequence(sequence) {
                        return Err(ScriptError::UnsatisfiedLocktime);
                    }
                }
                OP_CHECKTEMPLATEVERIFY => {
                    crate::ctv::op_checktemplateverify(stack, flags, checker)?
                }
                // Without their flags CLTV and CSV are plain NOP2/NOP3, never discouraged.
                OP_CHECKLOCKTIMEVERIFY | OP_CHECKSEQUENCEVERIFY => {}
                OP_NOP1 | OP_NOP5..=OP_NOP10 => {
                    if flags.contains(Flags::DISCOURAGE_UPGRADABLE_NOPS) {
                        return Err(ScriptError::DiscourageUpgradableNops);
                    }
                }
                OP_IF | OP_NOTIF => {
                    let mut value = false;
                    if executing {
                        let top = stack
                            .top(1)
                            .map_err(|_| ScriptError::UnbalancedConditional)?;
                        let non_minimal = top.len() > 1 || (top.len() == 1 && top[0] != 1);
                        if sigversion == SigVersion::Tapscript && non_minimal {
                            return Err(ScriptError::TapscriptMinimalIf);
                        }
                        if sigversion == SigVersion::WitnessV0
                            && flags.contains(Flags::MINIMALIF)
                            && non_minimal
                        {
                            return Err(ScriptError::MinimalIf);
                        }
                        value = cast_to_bool(top) == (opcode == OP_IF);
                        stack.pop()?;
                    }
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
                OP_TOALTSTACK => altstack.push(stack.pop()?),
                OP_FROMALTSTACK => {
                    stack.push(
                        altstack
                            .pop()
                            .ok_or(ScriptError::InvalidAltstackOperation)?,
                    );
                }
                OP_2DROP => {
                    stack.need(2)?;
                    stack.pop()?;
                    stack.pop()?;
                }
                OP_2DUP => {
                    let (a, b) = (stack.top(2)?.clone(), stack.top(1)?.clone());
                    stack.push(a);
                    stack.push(b);
                }
                OP_3DUP => {
                    let (a, b, c) = (
                        stack.top(3)?.clone(),
                        stack.top(2)?.clone(),
                        stack.top(1)?.clone(),
                    );
                    stack.push(a);
                    stack.push(b);
                    stack.push(c);
                }
                OP_2OVER => {
                    let (a, b) = (stack.top(4)?.clone(), stack.top(3)?.clone());
                    stack.push(a);
                    stack.push(b);
                }
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
                OP_DUP => {
                    let copy = stack.top(1)?.clone();
                    stack.push(copy);
                }
                OP_NIP => {
                    stack.remove(2)?;
                }
                OP_OVER => {
                    let copy = stack.top(2)?.clone();
                    stack.push(copy);
                }
                OP_PICK | OP_ROLL => {
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
                }
                OP_ROT => {
                    stack.swap(3, 2)?;
                    stack.swap(2, 1)?;
                }
                OP_SWAP => stack.swap(2, 1)?,
                OP_TUCK => {
                    let copy = stack.top(1)?.clone();
                    stack.need(2)?;
                    let at = stack.len() - 2;
                    stack.0.insert(at, copy);
                }
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
                OP_1ADD | OP_1SUB | OP_NEGATE | OP_ABS | OP_NOT | OP_0NOTEQUAL => {
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
                | OP_MAX => {
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
                }
                OP_WITHIN => {
                    stack.need(3)?;
                    let x = num_arg(stack, 3, minimal)?;
                    let lo = num_arg(stack, 2, minimal)?;
                    let hi = num_arg(stack, 1, minimal)?;
                    stack.pop()?;
                    stack.pop()?;
                    stack.pop()?;
                    stack.push_bool(lo <= x && x < hi);
                }
                OP_RIPEMD160 | OP_SHA1 | OP_SHA256 | OP_HASH160 | OP_HASH256 => {
                    let input = stack.pop()?;
                    let digest = match opcode {
                        OP_RIPEMD160 => ripemd160::Hash::hash(&input).to_byte_array().to_vec(),
                        OP_SHA1 => sha1::Hash::hash(&input).to_byte_array().to_vec(),
                        OP_SHA256 => sha256::Hash::hash(&input).to_byte_array().to_vec(),
                        OP_HASH160 => hash160::Hash::hash(&input).to_byte_array().to_vec(),
                        _ => sha256d::Hash::hash(&input).to_byte_array().to_vec(),
                    };
                    stack.push(digest);
                }
                OP_CODESEPARATOR => {
                    code_start = ops.pos();
                    exec.codesep_pos = opcode_pos;
                }
                OP_CHECKSIG | OP_CHECKSIGVERIFY => {
                    stack.need(2)?;
                    let ok = {
                        let sig = stack.top(2)?;
                        let key = stack.top(1)?;
                        checksig(
                            sig, key, script, code_start, flags, checker, sigversion, exec,
                        )?
                    };
                    stack.pop()?;
                    stack.pop()?;
                    stack.push_bool(ok);
                    if opcode == OP_CHECKSIGVERIFY {
                        if !ok {
                            return Err(ScriptError::CheckSigVerify);
                        }
                        stack.pop()?;
                    }
                }
                OP_CHECKSIGADD if sigversion == SigVersion::Tapscript => {
                    stack.need(3)?;
                    let n = num_arg(stack, 2, minimal)?;
                    let ok = {
                        let sig = stack.top(3)?;
                        let key = stack.top(1)?;
                        checksig(
                            sig, key, script, code_start, flags, checker, sigversion, exec,
                        )?
                    };
                    stack.pop()?;
                    stack.pop()?;
                    stack.pop()?;
                    stack.push(num::encode(n + i64::from(ok)));
                }
                OP_CHECKMULTISIG | OP_CHECKMULTISIGVERIFY => {
                    if sigversion == SigVersion::Tapscript {
                        return Err(ScriptError::TapscriptCheckMultisig);
                    }
                    let ok = checkmultisig(
                        stack,
                        script,
                        code_start,
                        flags,
                        checker,
                        sigversion,
                        &mut op_count,
                    )?;
                    stack.push_bool(ok);
                    if opcode == OP_CHECKMULTISIGVERIFY {
                        if !ok {
                            return Err(ScriptError::CheckMultisigVerify);
                        }
                        stack.pop()?;
                    }
                }
                _ => return Err(ScriptError::BadOpcode),
            }
        }

        if stack.len() + altstack.len() > MAX_STACK_SIZE {
            return Err(ScriptError::StackSize);
        }
        opcode_pos = opcode_pos.wrapping_add(1);
    }

    if conditions.depth != 0 {
        return Err(ScriptError::UnbalancedConditional);
    }
    Ok(())
}

/// `OP_CHECKMULTISIG`'s argument handling (Core's exact order of checks and pops); leaves the
/// stack without its arguments and returns the verdict.
fn checkmultisig(
    stack: &mut Stack,
    script: &[u8],
    code_start: usize,
    flags: Flags,
    checker: &mut Checker<'_, '_>,
    sigversion: SigVersion,
    op_count: &mut usize,
) -> Result<bool, ScriptError> {
    let minimal = flags.contains(Flags::MINIMALDATA);
    let mut i = 1usize;
    stack.need(i)?;
    let n_keys = num::clamp_i32(num_arg(stack, i, minimal)?);
    if !(0..=MAX_PUBKEYS_PER_MULTISIG as i32).contains(&n_keys) {
        return Err(ScriptError::PubkeyCount);
    }
    let mut n_keys = n_keys as usize;
    *op_count += n_keys;
    if *op_count > MAX_OPS_PER_SCRIPT {
        return Err(ScriptError::OpCount);
    }
    i += 1;
    let mut ikey = i;
    // Number of trailing items (keys first) whose emptiness NULLFAIL does not care about.
    let mut ikey2 = n_keys + 2;
    i += n_keys;
    stack.need(i)?;
    let n_sigs = num::clamp_i32(num_arg(stack, i, minimal)?);
    if n_sigs < 0 || n_sigs as usize > n_keys {
        return Err(ScriptError::SigCount);
    }
    let mut n_sigs = n_sigs as usize;
    i += 1;
    let mut isig = i;
    i += n_sigs;
    stack.need(i)?;

    let mut script_code = script[code_start..].to_vec();
    if sigversion == SigVersion::Base {
        for k in 0..n_sigs {
            let mut pattern = Vec::new();
            push_data(&mut pattern, stack.top(isig + k)?);
            if find_and_delete(&mut script_code, &pattern) > 0
                && flags.contains(Flags::CONST_SCRIPTCODE)
            {
                return Err(ScriptError::SigFindAndDelete);
            }
        }
    }

    let mut success = true;
    while success && n_sigs > 0 {
        let sig = stack.top(isig)?;
        let key = stack.top(ikey)?;
        check_signature_encoding(sig, flags)?;
        check_pubkey_encoding(key, flags, sigversion)?;
        if checker.check_ecdsa(sig, key, &script_code, sigversion) {
            isig += 1;
            n_sigs -= 1;
        }
        ikey += 1;
        n_keys -= 1;
        if n_sigs > n_keys {
            success = false;
        }
    }

    while i > 1 {
        i -= 1;
        if !success && flags.contains(Flags::NULLFAIL) && ikey2 == 0 && !stack.top(1)?.is_empty() {
            return Err(ScriptError::NullFail);
        }
        ikey2 = ikey2.saturating_sub(1);
        stack.pop()?;
    }
    // The historical off-by-one: one more item is consumed.
    stack.need(1)?;
    if flags.contains(Flags::NULLDUMMY) && !stack.top(1)?.is_empty() {
        return Err(ScriptError::SigNullDummy);
    }
    stack.pop()?;
    Ok(success)
}
