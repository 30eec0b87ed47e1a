//! BIP119 `OP_CHECKTEMPLATEVERIFY` (on `OP_NOP4`), behind Bitcoin Inquisition's flags.
//!
//! Bitmodel does not build on CTV; it is here because the Inquisition test vectors we run
//! (`tx_valid.json`, `tx_invalid.json`) verify with every flag set, CTV's included, and an
//! interpreter that ignored it would disagree with them.

use bitcoin::consensus::Encodable;
use bitcoin::hashes::{sha256, Hash, HashEngine};
use bitcoin::Transaction;

use crate::error::ScriptError;
use crate::flags::Flags;
use crate::sig::Checker;
use crate::stack::Stack;

fn write<T: Encodable + ?Sized>(e: &mut sha256::HashEngine, value: &T) {
    value
        .consensus_encode(e)
        .expect("hash engines never fail to write");
}

/// BIP119's `DefaultCheckTemplateVerifyHash` of `tx` for input `index`.
pub fn default_template_hash(tx: &Transaction, index: u32) -> [u8; 32] {
    let mut e = sha256::Hash::engine();
    write(&mut e, &tx.version);
    write(&mut e, &tx.lock_time);
    if tx.input.iter().any(|i| !i.script_sig.is_empty()) {
        let mut s = sha256::Hash::engine();
        for input in &tx.input {
            write(&mut s, &input.script_sig);
        }
        e.input(sha256::Hash::from_engine(s).as_byte_array());
    }
    write(&mut e, &(tx.input.len() as u32));
    let mut s = sha256::Hash::engine();
    for input in &tx.input {
        write(&mut s, &input.sequence);
    }
    e.input(sha256::Hash::from_engine(s).as_byte_array());
    write(&mut e, &(tx.output.len() as u32));
    let mut o = sha256::Hash::engine();
    for output in &tx.output {
        write(&mut o, output);
    }
    e.input(sha256::Hash::from_engine(o).as_byte_array());
    write(&mut e, &index);
    sha256::Hash::from_engine(e).to_byte_array()
}

/// Executes `OP_CHECKTEMPLATEVERIFY` / `OP_NOP4`.
pub fn op_checktemplateverify(
    stack: &Stack,
    flags: Flags,
    checker: &Checker<'_, '_>,
) -> Result<(), ScriptError> {
    // Like CLTV and CSV before activation, an unenforced CTV is a plain NOP4 that
    // DISCOURAGE_UPGRADABLE_NOPS leaves alone (the Inquisition vectors require this).
    if !flags.contains(Flags::DEFAULT_CHECK_TEMPLATE_VERIFY_HASH) {
        return Ok(());
    }
    if flags.contains(Flags::DISCOURAGE_CHECK_TEMPLATE_VERIFY_HASH) {
        return Err(ScriptError::DiscourageCheckTemplateVerifyHash);
    }
    let arg = stack.top(1)?;
    if arg.len() == 32 {
        let index = u32::try_from(checker.index).expect("input index fits u32");
        if default_template_hash(checker.data.tx, index)[..] != arg[..] {
            return Err(ScriptError::TemplateMismatch);
        }
    } else if flags.contains(Flags::DISCOURAGE_UPGRADABLE_CHECK_TEMPLATE_VERIFY_HASH) {
        return Err(ScriptError::DiscourageUpgradableCheckTemplateVerifyHash);
    }
    Ok(())
}
