//! Entry points: one input (Core's `VerifyScript` bound to a transaction), and a whole
//! transaction, optionally verified on several threads since inputs are independent.

use std::sync::atomic::{AtomicUsize, Ordering};

use bitcoin::{Transaction, TxOut, Witness};

use crate::error::ScriptError;
use crate::flags::Flags;
use crate::interpreter::eval_script;
use crate::opcodes::num::cast_to_bool;
use crate::opcodes::{decode_small_int, push_data, Ops, OP_0, OP_1, OP_16};
use crate::sig::{Checker, ExecData, SigVersion};
use crate::sighash::TxData;
use crate::stack::Stack;
use crate::witness::verify_witness_program;

/// A transaction failed script verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxScriptError {
    /// Every input needs the output it spends, in input order.
    #[error(
        "transaction has {inputs} inputs but {spent} spent outputs were given; pass one per input"
    )]
    SpentOutputsMismatch { inputs: usize, spent: usize },
    /// The lowest-numbered failing input and why it failed.
    #[error("input {input} failed script verification: {error}")]
    Input { input: usize, error: ScriptError },
}

/// Core's `CScript::IsPushOnly`: every operation is a push or `OP_1NEGATE`…`OP_16`
/// (including `OP_RESERVED`), and the script parses.
pub fn is_push_only(script: &[u8]) -> bool {
    Ops::new(script).all(|op| op.is_ok_and(|op| op.opcode <= OP_16))
}

fn is_p2sh(script: &[u8]) -> bool {
    script.len() == 23 && script[0] == 0xa9 && script[1] == 0x14 && script[22] == 0x87
}

/// `Some((version, program))` if `script` is a witness program (BIP141).
pub fn witness_program(script: &[u8]) -> Option<(u8, &[u8])> {
    if !(4..=42).contains(&script.len()) {
        return None;
    }
    if script[0] != OP_0 && !(OP_1..=OP_16).contains(&script[0]) {
        return None;
    }
    if usize::from(script[1]) + 2 != script.len() {
        return None;
    }
    Some((
        decode_small_int(script[0]).expect("checked OP_0..OP_16"),
        &script[2..],
    ))
}

/// Runs a legacy-context script (the scriptPubKey, or a P2SH redeem script) on `stack` and
/// requires it to leave true on top, as Core's `VerifyScript` does after each of the two.
fn eval_to_true(
    stack: &mut Stack,
    script: &[u8],
    flags: Flags,
    checker: &mut Checker<'_, '_>,
    exec: &mut ExecData,
) -> Result<(), ScriptError> {
    eval_script(stack, script, flags, checker, SigVersion::Base, exec)?;
    if stack.is_empty() || !cast_to_bool(stack.top(1)?) {
        return Err(ScriptError::EvalFalse);
    }
    Ok(())
}

/// Core's `VerifyScript` for one input, with the transaction context in `checker`.
pub fn verify_script(
    script_sig: &[u8],
    script_pubkey: &[u8],
    witness: &Witness,
    flags: Flags,
    checker: &mut Checker<'_, '_>,
) -> Result<(), ScriptError> {
    if flags.contains(Flags::SIGPUSHONLY) && !is_push_only(script_sig) {
        return Err(ScriptError::SigPushOnly);
    }
    let mut exec = ExecData {
        codesep_pos: u32::MAX,
        ..ExecData::default()
    };
    let mut stack = Stack::default();
    eval_script(
        &mut stack,
        script_sig,
        flags,
        checker,
        SigVersion::Base,
        &mut exec,
    )?;
    let stack_copy = flags.contains(Flags::P2SH).then(|| stack.clone());
    eval_to_true(&mut stack, script_pubkey, flags, checker, &mut exec)?;

    let mut had_witness = false;
    if flags.contains(Flags::WITNESS) {
        if let Some((version, program)) = witness_program(script_pubkey) {
            had_witness = true;
            if !script_sig.is_empty() {
                return Err(ScriptError::WitnessMalleated);
            }
            verify_witness_program(witness, version, program, flags, checker, false)?;
            // The stack is not clean for witness programs; make the CLEANSTACK check pass.
            stack.truncate(1);
        }
    }

    if let Some(copy) = stack_copy.filter(|_| is_p2sh(script_pubkey)) {
        if !is_push_only(script_sig) {
            return Err(ScriptError::SigPushOnly);
        }
        stack = copy;
        let redeem = stack
            .pop()
            .expect("P2SH evaluation succeeded, so the scriptSig pushed something");
        eval_to_true(&mut stack, &redeem, flags, checker, &mut exec)?;
        if flags.contains(Flags::WITNESS) {
            if let Some((version, program)) = witness_program(&redeem) {
                had_witness = true;
                let mut expected = Vec::with_capacity(redeem.len() + 3);
                push_data(&mut expected, &redeem);
                if script_sig != expected.as_slice() {
                    return Err(ScriptError::WitnessMalleatedP2sh);
                }
                verify_witness_program(witness, version, program, flags, checker, true)?;
                stack.truncate(1);
            }
        }
    }

    // Core asserts CLEANSTACK implies P2SH and WITNESS; we simply apply the rule as given.
    if flags.contains(Flags::CLEANSTACK) && stack.len() != 1 {
        return Err(ScriptError::CleanStack);
    }
    if flags.contains(Flags::WITNESS) && !had_witness && !witness.is_empty() {
        return Err(ScriptError::WitnessUnexpected);
    }
    Ok(())
}

fn verify_with(data: &mut TxData<'_>, index: usize, flags: Flags) -> Result<(), ScriptError> {
    let tx = data.tx;
    let spent = &data.spent[index];
    let input = &tx.input[index];
    let mut checker = Checker {
        data,
        index,
        amount: spent.value,
    };
    verify_script(
        input.script_sig.as_bytes(),
        spent.script_pubkey.as_bytes(),
        &input.witness,
        flags,
        &mut checker,
    )
}

/// Verifies input `input_index` of `tx`, which spends `spent` (one output per input, in
/// input order; all are needed for taproot signature hashes).
///
/// Returns `UNKNOWN_ERROR` if `input_index` is out of range or `spent` has the wrong length.
pub fn verify_input(
    tx: &Transaction,
    input_index: usize,
    spent: &[TxOut],
    flags: Flags,
) -> Result<(), ScriptError> {
    if input_index >= tx.input.len() || spent.len() != tx.input.len() {
        return Err(ScriptError::UnknownError);
    }
    let mut data = TxData::new(tx, spent);
    verify_with(&mut data, input_index, flags)
}

/// Verifies every input of `tx` using up to `threads` threads (0 and 1 both mean the calling
/// thread only). On failure reports the lowest failing input index.
pub fn verify_tx(
    tx: &Transaction,
    spent: &[TxOut],
    flags: Flags,
    threads: usize,
) -> Result<(), TxScriptError> {
    if spent.len() != tx.input.len() {
        return Err(TxScriptError::SpentOutputsMismatch {
            inputs: tx.input.len(),
            spent: spent.len(),
        });
    }
    let n = tx.input.len();
    let threads = threads.clamp(1, n.max(1));
    if threads == 1 {
        let mut data = TxData::new(tx, spent);
        for input in 0..n {
            verify_with(&mut data, input, flags)
                .map_err(|error| TxScriptError::Input { input, error })?;
        }
        return Ok(());
    }
    // Inputs are handed out one at a time; the first failure stops work on later inputs.
    let next = AtomicUsize::new(0);
    let first_failure = AtomicUsize::new(usize::MAX);
    let failures: Vec<Option<(usize, ScriptError)>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut data = TxData::new(tx, spent);
                    let mut failure = None;
                    loop {
                        let input = next.fetch_add(1, Ordering::Relaxed);
                        if input >= n || input > first_failure.load(Ordering::Relaxed) {
                            return failure;
                        }
                        if let Err(error) = verify_with(&mut data, input, flags) {
                            first_failure.fetch_min(input, Ordering::Relaxed);
                            failure = Some((input, error));
                            return failure;
                        }
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("verification threads do not panic"))
            .collect()
    });
    match failures
        .into_iter()
        .flatten()
        .min_by_key(|(input, _)| *input)
    {
        Some((input, error)) => Err(TxScriptError::Input { input, error }),
        None => Ok(()),
    }
}

/// Verifies many transactions (a block's worth) on up to `threads` threads, splitting by
/// transaction so each thread keeps its own signature-hash caches. Reports the first failing
/// transaction by position in `txs`.
pub fn verify_txs(
    txs: &[(&Transaction, &[TxOut])],
    flags: Flags,
    threads: usize,
) -> Result<(), (usize, TxScriptError)> {
    let threads = threads.clamp(1, txs.len().max(1));
    let check = |range: std::ops::Range<usize>| -> Result<(), (usize, TxScriptError)> {
        for i in range {
            let (tx, spent) = txs[i];
            verify_tx(tx, spent, flags, 1).map_err(|e| (i, e))?;
        }
        Ok(())
    };
    if threads == 1 {
        return check(0..txs.len());
    }
    let chunk = txs.len().div_ceil(threads);
    let results: Vec<Result<(), (usize, TxScriptError)>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let range = (t * chunk).min(txs.len())..((t + 1) * chunk).min(txs.len());
                scope.spawn(move || check(range))
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("verification threads do not panic"))
            .collect()
    });
    results.into_iter().find(Result::is_err).unwrap_or(Ok(()))
}
