//! Helpers shared by the vector and differential tests: locating `shared/`, Core's
//! test-data script syntax, the crediting/spending transaction pair of `script_tests.cpp`,
//! and Core's `CheckTransaction`.
#![allow(dead_code)]

pub mod gen;

use std::collections::HashSet;
use std::path::PathBuf;

use bitcoin::absolute::LockTime;
use bitcoin::hashes::Hash;
use bitcoin::transaction::Version;
use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness};
use bitmodel_script::opcodes::{self, push_data};

/// `$BITMODEL_SHARED`, else `<workspace>/../shared`. Panics with instructions if missing:
/// a vector test must never pass by finding nothing to test.
pub fn shared_dir() -> PathBuf {
    let dir = match std::env::var_os("BITMODEL_SHARED") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    };
    assert!(
        dir.join("vectors").is_dir(),
        "shared test data not found at {} (expected a vectors/ folder); set BITMODEL_SHARED to the shared/ directory",
        dir.display()
    );
    dir
}

pub fn read_vector(relative: &str) -> String {
    let path = shared_dir().join("vectors").join(relative);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read vector file {}: {e}", path.display()))
}

/// Appends Core's `CScript << int64` encoding of `n`.
fn push_int(out: &mut Vec<u8>, n: i64) {
    if n == -1 || (1..=16).contains(&n) {
        out.push((n + i64::from(opcodes::OP_1) - 1) as u8);
    } else if n == 0 {
        out.push(opcodes::OP_0);
    } else {
        push_data(out, &bitmodel_script::opcodes::num::encode(n));
    }
}

/// Parses Core's test-data script syntax (`ParseScript` in core_read.cpp): decimal numbers,
/// `0x` raw hex, `'text'` pushes and opcode names with or without `OP_`.
pub fn parse_script(asm: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for word in asm.split_whitespace() {
        let is_number = {
            let digits = word.strip_prefix('-').unwrap_or(word);
            !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
        };
        if is_number {
            let n: i64 = word
                .parse()
                .map_err(|e| format!("bad number {word}: {e}"))?;
            if !(-0xffff_ffff..=0xffff_ffff).contains(&n) {
                return Err(format!("number out of range: {word}"));
            }
            push_int(&mut out, n);
        } else if let Some(hex) = word.strip_prefix("0x").filter(|h| !h.is_empty()) {
            out.extend(hex::decode(hex).map_err(|e| format!("bad hex {word}: {e}"))?);
        } else if word.len() >= 2 && word.starts_with('\'') && word.ends_with('\'') {
            push_data(&mut out, &word.as_bytes()[1..word.len() - 1]);
        } else if let Some(op) = opcodes::from_name(word)
            .filter(|op| *op >= opcodes::OP_NOP || *op == opcodes::OP_RESERVED)
        {
            out.push(op);
        } else {
            return Err(format!("unknown script token {word:?}"));
        }
    }
    Ok(out)
}

/// Core's `BuildCreditingTransaction`.
pub fn crediting_tx(script_pubkey: &[u8], value: Amount) -> Transaction {
    Transaction {
        version: Version(1),
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig: ScriptBuf::from_bytes(vec![0x00, 0x00]),
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value,
            script_pubkey: ScriptBuf::from_bytes(script_pubkey.to_vec()),
        }],
    }
}

/// Core's `BuildSpendingTransaction`.
pub fn spending_tx(script_sig: &[u8], witness: Witness, credit: &Transaction) -> Transaction {
    Transaction {
        version: Version(1),
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint {
                txid: credit.compute_txid(),
                vout: 0,
            },
            script_sig: ScriptBuf::from_bytes(script_sig.to_vec()),
            sequence: Sequence::MAX,
            witness,
        }],
        output: vec![TxOut {
            value: credit.output[0].value,
            script_pubkey: ScriptBuf::new(),
        }],
    }
}

/// Core's `CheckTransaction` (context-free transaction checks).
pub fn check_transaction(tx: &Transaction) -> Result<(), &'static str> {
    const MAX_MONEY: u64 = 21_000_000 * 100_000_000;
    if tx.input.is_empty() {
        return Err("bad-txns-vin-empty");
    }
    if tx.output.is_empty() {
        return Err("bad-txns-vout-empty");
    }
    if tx.base_size() * 4 > 4_000_000 {
        return Err("bad-txns-oversize");
    }
    let mut total: u64 = 0;
    for out in &tx.output {
        let v = out.value.to_sat();
        if (v as i64) < 0 {
            return Err("bad-txns-vout-negative");
        }
        if v > MAX_MONEY {
            return Err("bad-txns-vout-toolarge");
        }
        total += v;
        if total > MAX_MONEY {
            return Err("bad-txns-txouttotal-toolarge");
        }
    }
    let mut seen = HashSet::new();
    if !tx.input.iter().all(|i| seen.insert(i.previous_output)) {
        return Err("bad-txns-inputs-duplicate");
    }
    let is_null = |o: &OutPoint| o.txid == Txid::all_zeros() && o.vout == u32::MAX;
    if tx.input.len() == 1 && is_null(&tx.input[0].previous_output) {
        let len = tx.input[0].script_sig.len();
        if !(2..=100).contains(&len) {
            return Err("bad-cb-length");
        }
    } else if tx.input.iter().any(|i| is_null(&i.previous_output)) {
        return Err("bad-txns-prevout-null");
    }
    Ok(())
}

/// Tallies one vector file and prints the required summary line.
#[derive(Default)]
pub struct Tally {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub failures: Vec<String>,
}

impl Tally {
    pub fn record(&mut self, result: Result<(), String>) {
        match result {
            Ok(()) => self.passed += 1,
            Err(msg) => {
                self.failed += 1;
                if self.failures.len() < 30 {
                    self.failures.push(msg);
                }
            }
        }
    }

    /// Prints `vectors FILE: N passed, M failed, K skipped` and asserts no failures and at
    /// least `min_cases` cases run.
    pub fn finish(self, file: &str, min_cases: usize) {
        for f in &self.failures {
            eprintln!("FAIL {file}: {f}");
        }
        let line = format!(
            "vectors {file}: {} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        );
        println!("{line}");
        eprintln!("{line}");
        assert_eq!(self.failed, 0, "{line}");
        assert!(
            self.passed >= min_cases,
            "{line}: expected at least {min_cases} cases to run"
        );
    }
}
