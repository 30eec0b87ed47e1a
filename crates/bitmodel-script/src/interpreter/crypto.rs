//! Hashes and signature checks (Core's "crypto" opcodes), with the script-code bookkeeping
//! they depend on.
//!
//! The signature checks share state that outlives a single opcode — where the script code
//! starts after the last `OP_CODESEPARATOR`, the tapscript validation-weight budget — and the
//! legacy `FindAndDelete` quirk that `CHECKSIG` and `CHECKMULTISIG` must apply identically,
//! so that state and every rule that reads it live in [`SigContext`].

use bitcoin::hashes::{hash160, ripemd160, sha1, sha256, sha256d, Hash};

use super::{num_arg, MAX_OPS_PER_SCRIPT, MAX_PUBKEYS_PER_MULTISIG, VALIDATION_WEIGHT_PER_SIGOP};
use crate::error::ScriptError;
use crate::flags::Flags;
use crate::opcodes::num;
use crate::opcodes::*;
use crate::sig::{check_pubkey_encoding, check_signature_encoding, Checker, ExecData, SigVersion};
use crate::stack::Stack;

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

/// What a signature check needs besides the stack.
pub(super) struct SigContext<'m, 't, 'a, 'w> {
    pub(super) script: &'m [u8],
    /// Offset just past the last executed `OP_CODESEPARATOR`, 0 if none.
    pub(super) code_start: usize,
    pub(super) flags: Flags,
    pub(super) sigversion: SigVersion,
    pub(super) checker: &'m mut Checker<'t, 'a>,
    pub(super) exec: &'m mut ExecData<'w>,
}

pub(super) fn execute(
    opcode: u8,
    stack: &mut Stack,
    ctx: &mut SigContext<'_, '_, '_, '_>,
    op_count: &mut usize,
) -> Result<(), ScriptError> {
    match opcode {
        OP_RIPEMD160 | OP_SHA1 | OP_SHA256 | OP_HASH160 | OP_HASH256 => hash(opcode, stack)?,
        OP_CHECKSIG | OP_CHECKSIGVERIFY => {
            stack.need(2)?;
            let ok = ctx.checksig(stack.top(2)?, stack.top(1)?)?;
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
        OP_CHECKSIGADD if ctx.sigversion == SigVersion::Tapscript => {
            stack.need(3)?;
            let n = num_arg(stack, 2, ctx.flags.contains(Flags::MINIMALDATA))?;
            let ok = ctx.checksig(stack.top(3)?, stack.top(1)?)?;
            stack.pop()?;
            stack.pop()?;
            stack.pop()?;
            stack.push(num::encode(n + i64::from(ok)));
        }
        OP_CHECKMULTISIG | OP_CHECKMULTISIGVERIFY => {
            if ctx.sigversion == SigVersion::Tapscript {
                return Err(ScriptError::TapscriptCheckMultisig);
            }
            let ok = ctx.checkmultisig(stack, op_count)?;
            stack.push_bool(ok);
            if opcode == OP_CHECKMULTISIGVERIFY {
                if !ok {
                    return Err(ScriptError::CheckMultisigVerify);
                }
                stack.pop()?;
            }
        }
        // OP_CHECKSIGADD outside tapscript.
        _ => return Err(ScriptError::BadOpcode),
    }
    Ok(())
}

fn hash(opcode: u8, stack: &mut Stack) -> Result<(), ScriptError> {
    let input = stack.pop()?;
    let digest = match opcode {
        OP_RIPEMD160 => ripemd160::Hash::hash(&input).to_byte_array().to_vec(),
        OP_SHA1 => sha1::Hash::hash(&input).to_byte_array().to_vec(),
        OP_SHA256 => sha256::Hash::hash(&input).to_byte_array().to_vec(),
        OP_HASH160 => hash160::Hash::hash(&input).to_byte_array().to_vec(),
        _ => sha256d::Hash::hash(&input).to_byte_array().to_vec(),
    };
    stack.push(digest);
    Ok(())
}

impl SigContext<'_, '_, '_, '_> {
    /// `OP_CODESEPARATOR`: later signatures commit to the script from `code_start` on
    /// (legacy, segwit v0) or to the separator's opcode position (tapscript).
    pub(super) fn separate(&mut self, code_start: usize, opcode_pos: u32) {
        self.code_start = code_start;
        self.exec.codesep_pos = opcode_pos;
    }

    /// The script code a pre-tapscript signature commits to.
    fn script_code(&self) -> Vec<u8> {
        self.script[self.code_start..].to_vec()
    }

    /// Legacy scripts delete each signature from the script code before hashing;
    /// `CONST_SCRIPTCODE` makes finding one an error.
    fn delete_signature(&self, script_code: &mut Vec<u8>, sig: &[u8]) -> Result<(), ScriptError> {
        let mut pattern = Vec::with_capacity(sig.len() + 5);
        push_data(&mut pattern, sig);
        if find_and_delete(script_code, &pattern) > 0
            && self.flags.contains(Flags::CONST_SCRIPTCODE)
        {
            return Err(ScriptError::SigFindAndDelete);
        }
        Ok(())
    }

    fn checksig(&mut self, sig: &[u8], key: &[u8]) -> Result<bool, ScriptError> {
        match self.sigversion {
            SigVersion::Base | SigVersion::WitnessV0 => self.checksig_pre_tapscript(sig, key),
            SigVersion::Tapscript => self.checksig_tapscript(sig, key),
            SigVersion::Taproot => unreachable!("key-path spends execute no script"),
        }
    }

    /// Core's `EvalChecksigPreTapscript`: returns whether the signature was valid; errors for
    /// encoding violations and NULLFAIL.
    fn checksig_pre_tapscript(&mut self, sig: &[u8], key: &[u8]) -> Result<bool, ScriptError> {
        let mut script_code = self.script_code();
        if self.sigversion == SigVersion::Base {
            self.delete_signature(&mut script_code, sig)?;
        }
        check_signature_encoding(sig, self.flags)?;
        check_pubkey_encoding(key, self.flags, self.sigversion)?;
        let ok = self
            .checker
            .check_ecdsa(sig, key, &script_code, self.sigversion);
        if !ok && self.flags.contains(Flags::NULLFAIL) && !sig.is_empty() {
            return Err(ScriptError::NullFail);
        }
        Ok(ok)
    }

    /// Core's `EvalChecksigTapscript`.
    fn checksig_tapscript(&mut self, sig: &[u8], key: &[u8]) -> Result<bool, ScriptError> {
        let nonempty = !sig.is_empty();
        if nonempty {
            self.exec.validation_weight_left -= VALIDATION_WEIGHT_PER_SIGOP;
            if self.exec.validation_weight_left < 0 {
                return Err(ScriptError::TapscriptValidationWeight);
            }
        }
        match key.len() {
            0 => Err(ScriptError::PubkeyType),
            32 => {
                if nonempty {
                    self.checker
                        .check_schnorr(sig, key, SigVersion::Tapscript, self.exec)?;
                }
                Ok(nonempty)
            }
            _ if self.flags.contains(Flags::DISCOURAGE_UPGRADABLE_PUBKEYTYPE) => {
                Err(ScriptError::DiscourageUpgradablePubkeyType)
            }
            _ => Ok(nonempty),
        }
    }

    /// `OP_CHECKMULTISIG`'s argument handling (Core's exact order of checks and pops); leaves
    /// the stack without its arguments and returns the verdict.
    fn checkmultisig(
        &mut self,
        stack: &mut Stack,
        op_count: &mut usize,
    ) -> Result<bool, ScriptError> {
        let flags = self.flags;
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

        let mut script_code = self.script_code();
        if self.sigversion == SigVersion::Base {
            for k in 0..n_sigs {
                self.delete_signature(&mut script_code, stack.top(isig + k)?)?;
            }
        }

        let mut success = true;
        while success && n_sigs > 0 {
            let sig = stack.top(isig)?;
            let key = stack.top(ikey)?;
            check_signature_encoding(sig, flags)?;
            check_pubkey_encoding(key, flags, self.sigversion)?;
            if self
                .checker
                .check_ecdsa(sig, key, &script_code, self.sigversion)
            {
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
            if !success
                && flags.contains(Flags::NULLFAIL)
                && ikey2 == 0
                && !stack.top(1)?.is_empty()
            {
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
}
