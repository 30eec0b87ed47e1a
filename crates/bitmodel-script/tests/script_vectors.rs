//! Bitcoin Core's (Inquisition's) `script_tests.json`, run the way `script_tests.cpp` runs it:
//! every case with its own flags and exact expected error, then, like Core, with random flag
//! supersets (for failures) or subsets (for successes) which must keep the verdict.

mod common;

use std::str::FromStr;

use bitcoin::key::Secp256k1;
use bitcoin::secp256k1::XOnlyPublicKey;
use bitcoin::taproot::{LeafVersion, TaprootBuilder};
use bitcoin::{Amount, ScriptBuf, Witness};
use bitmodel_script::{verify_input, Flags, ScriptError};
use common::{crediting_tx, parse_script, read_vector, spending_tx, Tally};
use serde_json::Value;

/// BIP341's provably unspendable internal key `H` (Core's `NUMS_H`), used by the tapscript
/// cases' `#CONTROLBLOCK#`/`#TAPROOTOUTPUT#` placeholders.
const NUMS_H: &str = "50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0";

static CROSS_CHECKED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The flags libbitcoinconsensus accepts.
const LIBCONSENSUS: Flags = Flags::P2SH
    .union(Flags::DERSIG)
    .union(Flags::NULLDUMMY)
    .union(Flags::CHECKLOCKTIMEVERIFY)
    .union(Flags::CHECKSEQUENCEVERIFY)
    .union(Flags::WITNESS)
    .union(Flags::TAPROOT);

struct Case {
    witness: Witness,
    amount: Amount,
    script_sig: Vec<u8>,
    script_pubkey: Vec<u8>,
    flags: Flags,
    expected: Option<ScriptError>,
}

fn parse_case(case: &[Value]) -> Result<Case, String> {
    let mut pos = 0;
    let mut witness = Witness::new();
    let mut amount = Amount::ZERO;
    let mut taproot_output: Option<[u8; 32]> = None;
    if let Some(items) = case[0].as_array() {
        let (amount_value, elements) = items.split_last().ok_or("empty witness array")?;
        let mut stack: Vec<Vec<u8>> = Vec::new();
        for element in elements {
            let element = element.as_str().ok_or("witness element is not a string")?;
            if let Some(asm) = element.strip_prefix("#SCRIPT#") {
                stack.push(parse_script(asm)?);
            } else if element == "#CONTROLBLOCK#" {
                let script = ScriptBuf::from_bytes(
                    stack
                        .last()
                        .ok_or("#CONTROLBLOCK# without a script")?
                        .clone(),
                );
                let secp = Secp256k1::verification_only();
                let internal = XOnlyPublicKey::from_str(NUMS_H).expect("NUMS_H is a valid key");
                let info = TaprootBuilder::new()
                    .add_leaf(0, script.clone())
                    .map_err(|e| e.to_string())?
                    .finalize(&secp, internal)
                    .map_err(|_| "cannot finalize taproot tree")?;
                let control = info
                    .control_block(&(script, LeafVersion::TapScript))
                    .ok_or("no control block for the leaf")?;
                taproot_output = Some(info.output_key().serialize());
                stack.push(control.serialize());
            } else {
                stack.push(hex::decode(element).map_err(|e| format!("bad witness hex: {e}"))?);
            }
        }
        let btc = amount_value
            .as_f64()
            .ok_or("witness amount is not a number")?;
        amount = Amount::from_sat((btc * 1e8).round() as u64);
        witness = Witness::from_slice(&stack);
        pos = 1;
    }
    let text = |i: usize| {
        case[pos + i]
            .as_str()
            .ok_or_else(|| format!("field {} is not a string", pos + i))
    };
    let script_sig = parse_script(text(0)?)?;
    let mut pubkey_asm = text(1)?.to_owned();
    if pubkey_asm.contains("#TAPROOTOUTPUT#") {
        let key = taproot_output.ok_or("#TAPROOTOUTPUT# without #CONTROLBLOCK#")?;
        pubkey_asm = pubkey_asm.replace("#TAPROOTOUTPUT#", &format!("0x{}", hex::encode(key)));
    }
    let script_pubkey = parse_script(&pubkey_asm)?;
    let flags = Flags::from_core_names(text(2)?).map_err(|e| e.to_string())?;
    let expected = match text(3)? {
        "OK" => None,
        name => Some(
            ScriptError::from_core_name(name)
                .ok_or_else(|| format!("unknown error name {name}"))?,
        ),
    };
    Ok(Case {
        witness,
        amount,
        script_sig,
        script_pubkey,
        flags,
        expected,
    })
}

fn run(case: &Case, flags: Flags) -> Result<(), ScriptError> {
    let credit = crediting_tx(&case.script_pubkey, case.amount);
    let spend = spending_tx(&case.script_sig, case.witness.clone(), &credit);
    verify_input(&spend, 0, &credit.output, flags)
}

/// xorshift64*: deterministic "random" flag variations, reproducible across runs.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn check(case: &Case, rng: &mut Rng) -> Result<(), String> {
    let got = run(case, case.flags).err();
    if got != case.expected {
        return Err(format!(
            "expected {}, got {}",
            case.expected.map_or("OK", |e| e.core_name()),
            got.map_or("OK", |e| e.core_name())
        ));
    }
    // As script_tests.cpp does when built with libbitcoinconsensus: cases whose flags it
    // understands must get the same verdict from Core's library.
    if (case.flags - LIBCONSENSUS).is_empty() {
        let credit = crediting_tx(&case.script_pubkey, case.amount);
        let spend = spending_tx(&case.script_sig, case.witness.clone(), &credit);
        let tx_bytes = bitcoin::consensus::serialize(&spend);
        let spk = credit.output[0].script_pubkey.to_bytes();
        let utxo = bitcoinconsensus::Utxo {
            script_pubkey: spk.as_ptr(),
            script_pubkey_len: spk.len() as u32,
            value: credit.output[0].value.to_sat() as i64,
        };
        let core = bitcoinconsensus::verify_with_flags(
            &spk,
            credit.output[0].value.to_sat(),
            &tx_bytes,
            Some(&[utxo]),
            0,
            case.flags.bits(),
        );
        CROSS_CHECKED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if core.is_ok() != case.expected.is_none() {
            return Err(format!(
                "libbitcoinconsensus disagrees with the vector: {core:?}"
            ));
        }
    }
    // As script_tests.cpp: 16 random variations of the low 16 flags keep the verdict.
    for _ in 0..16 {
        let extra = Flags::from_bits_truncate((rng.next() & 0xffff) as u32);
        let flags = if case.expected.is_none() {
            case.flags - extra
        } else {
            case.flags | extra
        };
        if flags.contains(Flags::CLEANSTACK) && !flags.contains(Flags::P2SH | Flags::WITNESS) {
            continue;
        }
        if flags.contains(Flags::WITNESS) && !flags.contains(Flags::P2SH) {
            continue;
        }
        if run(case, flags).is_ok() != case.expected.is_none() {
            return Err(format!("verdict changed with flags {flags}"));
        }
    }
    Ok(())
}

#[test]
fn script_tests_json() {
    let cases: Vec<Value> =
        serde_json::from_str(&read_vector("bitcoin-core/script_tests.json")).expect("valid JSON");
    let mut tally = Tally::default();
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let mut cat_cases = 0;
    for case in &cases {
        let case = case.as_array().expect("each test is an array");
        // One-element arrays are section comments, not tests.
        if case.len() <= 1 {
            continue;
        }
        let label = serde_json::to_string(case).expect("serializable");
        if label.contains("CAT") && label.contains("TAPSCRIPT") {
            cat_cases += 1;
        }
        tally.record(
            parse_case(case)
                .and_then(|c| check(&c, &mut rng))
                .map_err(|e| format!("{e}: {label}")),
        );
    }
    assert!(
        cat_cases >= 30,
        "expected the 30 OP_CAT tapscript cases, found {cat_cases}"
    );
    let cross = CROSS_CHECKED.load(std::sync::atomic::Ordering::Relaxed);
    eprintln!("script_tests.json: {cross} cases also agreed with libbitcoinconsensus");
    assert!(
        cross >= 200,
        "expected the consensus-flag-only cases to be cross-checked, got {cross}"
    );
    tally.finish("script_tests.json", 1200);
}
