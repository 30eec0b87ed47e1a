//! `tx_valid.json` and `tx_invalid.json`, run as `transaction_tests.cpp` does as far as script
//! verification goes: `CheckTransaction`, the `BADTX` entries, exclusion semantics for
//! `tx_valid` flags, and the minimal/maximal flag-set checks.

mod common;

use std::collections::HashMap;
use std::str::FromStr;

use bitcoin::{Amount, OutPoint, ScriptBuf, Transaction, TxOut, Txid};
use bitmodel_script::{verify_tx, Flags};
use common::{check_transaction, parse_script, read_vector, Tally};
use serde_json::Value;

struct TxCase {
    tx: Transaction,
    spent: Vec<TxOut>,
    flags_text: String,
}

fn parse(case: &[Value]) -> Result<TxCase, String> {
    let mut prevouts = HashMap::new();
    for input in case[0].as_array().ok_or("inputs are not an array")? {
        let input = input.as_array().ok_or("input is not an array")?;
        let txid = Txid::from_str(input[0].as_str().ok_or("txid")?).map_err(|e| e.to_string())?;
        let vout = input[1].as_i64().ok_or("vout")? as u32;
        let script = parse_script(input[2].as_str().ok_or("script")?)?;
        let value = input.get(3).and_then(Value::as_i64).unwrap_or(0);
        prevouts.insert(
            OutPoint { txid, vout },
            TxOut {
                value: Amount::from_sat(value as u64),
                script_pubkey: ScriptBuf::from_bytes(script),
            },
        );
    }
    let raw = hex::decode(case[1].as_str().ok_or("tx hex")?).map_err(|e| e.to_string())?;
    let tx: Transaction =
        bitcoin::consensus::deserialize(&raw).map_err(|e| format!("undecodable tx: {e}"))?;
    let spent = tx
        .input
        .iter()
        .map(|i| {
            prevouts
                .get(&i.previous_output)
                .cloned()
                .ok_or("input spends an unlisted prevout")
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(TxCase {
        tx,
        spent,
        flags_text: case[2].as_str().ok_or("flags")?.to_owned(),
    })
}

/// Random flag combinations, as the "random combinations" loops of transaction_tests.cpp.
struct Rng(u64);

impl Rng {
    fn flags(&mut self) -> Flags {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        Flags::from_bits_truncate(self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) as u32)
    }
}

/// Core's `TrimFlags`: WITNESS needs P2SH, CLEANSTACK needs WITNESS.
fn trim(mut f: Flags) -> Flags {
    if !f.contains(Flags::P2SH) {
        f = f - Flags::WITNESS;
    }
    if !f.contains(Flags::WITNESS) {
        f = f - Flags::CLEANSTACK;
    }
    f
}

/// Core's `FillFlags`: CLEANSTACK implies WITNESS implies P2SH.
fn fill(mut f: Flags) -> Flags {
    if f.contains(Flags::CLEANSTACK) {
        f |= Flags::WITNESS;
    }
    if f.contains(Flags::WITNESS) {
        f |= Flags::P2SH;
    }
    f
}

/// Core's `ExcludeIndividualFlags`.
fn exclude_individual(f: Flags) -> Vec<Flags> {
    let mut out: Vec<Flags> = Vec::new();
    for (_, flag) in Flags::NAMED {
        let g = trim(f - *flag);
        if g != f && !out.contains(&g) {
            out.push(g);
        }
    }
    out
}

fn scripts_ok(c: &TxCase, flags: Flags) -> bool {
    verify_tx(&c.tx, &c.spent, flags, 1).is_ok()
}

fn check_valid(case: &[Value]) -> Result<(), String> {
    let c = parse(case)?;
    check_transaction(&c.tx).map_err(|e| format!("CheckTransaction failed: {e}"))?;
    let excluded = Flags::from_core_names(&c.flags_text).map_err(|e| e.to_string())?;
    if let Err(e) = verify_tx(&c.tx, &c.spent, !excluded, 1) {
        return Err(format!("unexpectedly failed: {e}"));
    }
    let mut rng = Rng(0x7478_5f76_616c_6964);
    for (name, flag) in Flags::NAMED {
        if !scripts_ok(&c, trim(!(excluded | *flag))) {
            return Err(format!("failed with flag {name} unset"));
        }
        let random = trim(!(excluded | rng.flags()));
        if !scripts_ok(&c, random) {
            return Err(format!("failed with flags {random}"));
        }
    }
    for fewer in exclude_individual(excluded) {
        if scripts_ok(&c, !fewer) {
            return Err(format!(
                "flags not maximal: still valid excluding only {fewer}"
            ));
        }
    }
    Ok(())
}

/// BADTX cases that rust-bitcoin already refuses to decode (counted as passes: Core rejects
/// them too, in `CheckTransaction`, and a node built on rust-bitcoin never sees them).
static UNDECODABLE_BADTX: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn check_invalid(case: &[Value]) -> Result<(), String> {
    let c = match parse(case) {
        Ok(c) => c,
        // A transaction rust-bitcoin refuses to decode can only be one Core rejects as BADTX.
        Err(e) if case[2].as_str() == Some("BADTX") && e.starts_with("undecodable") => {
            return Ok(())
        }
        Err(e) => return Err(e),
    };
    if c.flags_text == "BADTX" {
        return match check_transaction(&c.tx) {
            Err(_) => Ok(()),
            Ok(()) => Err("BADTX case passed CheckTransaction".into()),
        };
    }
    check_transaction(&c.tx).map_err(|e| format!("CheckTransaction failed: {e}"))?;
    let flags = Flags::from_core_names(&c.flags_text).map_err(|e| e.to_string())?;
    if scripts_ok(&c, flags) {
        return Err("unexpectedly passed".into());
    }
    let mut rng = Rng(0x7478_5f69_6e76_616c);
    for (name, flag) in Flags::NAMED {
        if scripts_ok(&c, fill(flags | *flag)) {
            return Err(format!("passed with flag {name} added"));
        }
        let random = fill(flags | rng.flags());
        if scripts_ok(&c, random) {
            return Err(format!("passed with flags {random}"));
        }
    }
    for fewer in exclude_individual(flags) {
        if !scripts_ok(&c, fewer) {
            return Err(format!(
                "flags not minimal: still invalid with only {fewer}"
            ));
        }
    }
    Ok(())
}

fn run_file(file: &str, check: fn(&[Value]) -> Result<(), String>, min: usize) {
    let cases: Vec<Value> =
        serde_json::from_str(&read_vector(&format!("bitcoin-core/{file}"))).expect("valid JSON");
    let mut tally = Tally::default();
    for case in &cases {
        let case = case.as_array().expect("each test is an array");
        // Entries whose first element is not an array are comments.
        if !case[0].is_array() {
            continue;
        }
        let label = serde_json::to_string(case).expect("serializable");
        let label: String = label.chars().take(300).collect();
        tally.record(check(case).map_err(|e| format!("{e}: {label}")));
    }
    tally.finish(file, min);
}

#[test]
fn tx_valid_json() {
    run_file("tx_valid.json", check_valid, 100);
}

#[test]
fn tx_invalid_json() {
    run_file("tx_invalid.json", check_invalid, 80);
    eprintln!(
        "tx_invalid.json: {} BADTX cases rejected already at decoding",
        UNDECODABLE_BADTX.load(std::sync::atomic::Ordering::Relaxed)
    );
}
