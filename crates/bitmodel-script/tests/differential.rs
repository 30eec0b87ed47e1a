//! Differential testing against Bitcoin Core's libbitcoinconsensus (the `bitcoinconsensus`
//! crate): generated spends of every kind must get the same verdict from both.
//!
//! libbitcoinconsensus knows only the consensus flags (P2SH, DERSIG, NULLDUMMY, CLTV, CSV,
//! WITNESS, TAPROOT) and treats `OP_CAT` as `OP_SUCCESS` in tapscript, which is also what we do
//! without our `OP_CAT` flag, so `OP_CAT` bytes stay in the generated scripts and the flag stays
//! off. The quick pass runs 100,000 cases; `BITMODEL_DIFF_CASES=10000000` runs a long one.

mod common;

use std::collections::BTreeMap;

use bitcoinconsensus::Utxo;
use bitmodel_script::{verify_input, Flags};
use common::gen::{generate, Keys, Rng};

fn core_verdict(case: &common::gen::Case) -> bool {
    let tx_bytes = bitcoin::consensus::serialize(&case.tx);
    let scripts: Vec<Vec<u8>> = case
        .spent
        .iter()
        .map(|o| o.script_pubkey.to_bytes())
        .collect();
    let utxos: Vec<Utxo> = case
        .spent
        .iter()
        .zip(&scripts)
        .map(|(o, s)| Utxo {
            script_pubkey: s.as_ptr(),
            script_pubkey_len: s.len() as u32,
            value: o.value.to_sat() as i64,
        })
        .collect();
    let spent = &case.spent[case.index];
    bitcoinconsensus::verify_with_flags(
        spent.script_pubkey.as_bytes(),
        spent.value.to_sat(),
        &tx_bytes,
        Some(&utxos),
        case.index,
        case.flags.bits(),
    )
    .is_ok()
}

fn run(cases: u64, seed: u64) {
    let keys = Keys::new();
    let mut by_kind: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    let mut divergences = Vec::new();
    let mut errors: BTreeMap<&str, u64> = BTreeMap::new();
    for i in 0..cases {
        let mut rng = Rng(seed ^ (i.wrapping_add(1)).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let case = generate(&keys, &mut rng);
        assert!(
            !case.flags.intersects(Flags::OP_CAT),
            "differential cases never enable OP_CAT"
        );
        let ours = verify_input(&case.tx, case.index, &case.spent, case.flags);
        let core = core_verdict(&case);
        *errors
            .entry(ours.err().map_or("OK", |e| e.core_name()))
            .or_default() += 1;
        let entry = by_kind.entry(case.kind).or_default();
        entry.0 += 1;
        entry.1 += u64::from(core);
        if ours.is_ok() != core {
            if divergences.len() < 10 {
                divergences.push(format!(
                    "case {i} ({}): ours {:?}, core {}; flags {}; tx {}; spent {:?}; index {}",
                    case.kind,
                    ours,
                    if core { "valid" } else { "invalid" },
                    case.flags,
                    hex::encode(bitcoin::consensus::serialize(&case.tx)),
                    case.spent
                        .iter()
                        .map(|o| (o.value.to_sat(), hex::encode(o.script_pubkey.as_bytes())))
                        .collect::<Vec<_>>(),
                    case.index
                ));
            } else {
                divergences.push(String::new());
            }
        }
    }
    for (kind, (n, valid)) in &by_kind {
        eprintln!("differential {kind}: {n} cases, {valid} valid");
    }
    eprintln!("differential verdicts (ours): {errors:?}");
    for d in divergences.iter().filter(|d| !d.is_empty()) {
        eprintln!("DIVERGENCE {d}");
    }
    let line = format!(
        "differential vs libbitcoinconsensus: {} cases, {} divergences",
        cases,
        divergences.len()
    );
    println!("{line}");
    eprintln!("{line}");
    assert!(divergences.is_empty(), "{line}");
    // Every kind must produce both verdicts, or the generator is not testing much.
    for (kind, (n, valid)) in &by_kind {
        if *n >= 1000 {
            assert!(
                *valid > 0 && valid < n,
                "kind {kind}: {valid} of {n} valid; generator is one-sided"
            );
        }
    }
}

#[test]
fn differential_vs_libbitcoinconsensus() {
    let cases = std::env::var("BITMODEL_DIFF_CASES")
        .ok()
        .map(|v| v.parse::<u64>().expect("BITMODEL_DIFF_CASES is a number"))
        .unwrap_or(100_000);
    let seed = std::env::var("BITMODEL_DIFF_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_b17c_0de0_0001);
    run(cases, seed);
}
