//! Script checks with `bitmodel-script`, reported with Core's reject reasons, and spread over
//! threads for whole blocks (inputs are independent, so a block's transactions are handed out
//! to workers one at a time).

use std::sync::atomic::{AtomicUsize, Ordering};

use bitcoin::{Transaction, TxOut};
use bitmodel_script::{verify_tx, Flags, ScriptError, TxScriptError};

use crate::error::Reject;
use crate::params::{CONSENSUS_FLAGS, STANDARD_FLAGS};

/// Core's `ScriptErrorString` text: our interpreter's message with Core's capital letter.
pub fn core_script_error(e: &ScriptError) -> String {
    let s = e.to_string();
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => s,
    }
}

fn first_error(e: TxScriptError) -> String {
    match e {
        TxScriptError::Input { error, .. } => core_script_error(&error),
        other => other.to_string(),
    }
}

/// Verifies a block transaction's scripts under the consensus flags.
pub fn check_consensus(tx: &Transaction, spent: &[TxOut]) -> Result<(), Reject> {
    verify_tx(tx, spent, CONSENSUS_FLAGS, 1).map_err(|e| {
        Reject::consensus(format!(
            "mandatory-script-verify-flag-failed ({})",
            first_error(e)
        ))
    })
}

/// Verifies a mempool candidate under the standard flags; on failure tells, as Core does,
/// whether only policy flags failed (`non-mandatory-script-verify-flag`) or consensus ones.
pub fn check_standard(tx: &Transaction, spent: &[TxOut]) -> Result<(), Reject> {
    check_with(tx, spent, STANDARD_FLAGS)
}

fn check_with(tx: &Transaction, spent: &[TxOut], flags: Flags) -> Result<(), Reject> {
    match verify_tx(tx, spent, flags, 1) {
        Ok(()) => Ok(()),
        Err(e) => match check_consensus(tx, spent) {
            Ok(()) => Err(Reject::policy(format!(
                "non-mandatory-script-verify-flag ({})",
                first_error(e)
            ))),
            Err(consensus) => Err(consensus),
        },
    }
}

/// Verifies every listed transaction's scripts under the consensus flags on `threads`
/// threads; reports the failure of the lowest-numbered transaction.
pub fn check_block_scripts(
    jobs: &[(&Transaction, Vec<TxOut>)],
    threads: usize,
) -> Result<(), Reject> {
    let threads = threads.clamp(1, jobs.len().max(1));
    if threads == 1 {
        return jobs
            .iter()
            .try_for_each(|(tx, spent)| check_consensus(tx, spent));
    }
    let next = AtomicUsize::new(0);
    let failed = AtomicUsize::new(usize::MAX);
    let results: Vec<Option<(usize, Reject)>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= jobs.len() || i > failed.load(Ordering::Relaxed) {
                        return None;
                    }
                    let (tx, spent) = &jobs[i];
                    if let Err(e) = check_consensus(tx, spent) {
                        failed.fetch_min(i, Ordering::Relaxed);
                        return Some((i, e));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("script workers do not panic"))
            .collect()
    });
    match results.into_iter().flatten().min_by_key(|(i, _)| *i) {
        Some((_, e)) => Err(e),
        None => Ok(()),
    }
}
