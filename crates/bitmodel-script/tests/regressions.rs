//! Pinned behaviours found while testing against Core, and API contracts of the entry points.

mod common;

use bitcoin::transaction::Version;
use bitcoin::{Amount, Sequence, Witness};
use bitmodel_script::{verify_input, verify_tx, Flags, ScriptError, TxScriptError};
use common::{crediting_tx, parse_script, spending_tx};

/// Core casts the version to unsigned in `CheckSequence`, so a negative version counts as
/// "at least 2". Found by the differential test when the cast was mutated away.
#[test]
fn csv_treats_negative_versions_as_large() {
    let spk = parse_script("1 CHECKSEQUENCEVERIFY").expect("valid script");
    let credit = crediting_tx(&spk, Amount::from_sat(1));
    let mut spend = spending_tx(&[], Witness::new(), &credit);
    spend.input[0].sequence = Sequence(1);
    spend.version = Version(-1);
    assert_eq!(
        verify_input(&spend, 0, &credit.output, Flags::CHECKSEQUENCEVERIFY),
        Ok(())
    );
    spend.version = Version(1);
    assert_eq!(
        verify_input(&spend, 0, &credit.output, Flags::CHECKSEQUENCEVERIFY),
        Err(ScriptError::UnsatisfiedLocktime)
    );
}

/// CLTV and CSV without their flags are NOP2/NOP3 and are not discouraged as upgradable NOPs
/// (tx_valid.json's flag-removal checks depend on it).
#[test]
fn unflagged_cltv_is_not_a_discouraged_nop() {
    let spk = parse_script("CHECKLOCKTIMEVERIFY CHECKSEQUENCEVERIFY NOP5").expect("valid script");
    let credit = crediting_tx(&spk, Amount::from_sat(1));
    let spend = spending_tx(&parse_script("1").expect("valid"), Witness::new(), &credit);
    let flags = Flags::DISCOURAGE_UPGRADABLE_NOPS;
    assert_eq!(
        verify_input(&spend, 0, &credit.output, flags),
        Err(ScriptError::DiscourageUpgradableNops)
    );
    let spk = parse_script("CHECKLOCKTIMEVERIFY CHECKSEQUENCEVERIFY").expect("valid script");
    let credit = crediting_tx(&spk, Amount::from_sat(1));
    let spend = spending_tx(&parse_script("1").expect("valid"), Witness::new(), &credit);
    assert_eq!(verify_input(&spend, 0, &credit.output, flags), Ok(()));
}

#[test]
fn verify_tx_reports_lowest_failing_input_and_argument_errors() {
    let ok = parse_script("1").expect("valid");
    let bad = parse_script("0").expect("valid");
    let credit_ok = crediting_tx(&ok, Amount::from_sat(1));
    let mut spend = spending_tx(&[], Witness::new(), &credit_ok);
    let template = spend.input[0].clone();
    spend.input = (0..6).map(|_| template.clone()).collect();
    let mut spent: Vec<_> = (0..6).map(|_| credit_ok.output[0].clone()).collect();
    assert_eq!(verify_tx(&spend, &spent, Flags::CORE24_STANDARD, 2), Ok(()));
    spent[4].script_pubkey = bitcoin::ScriptBuf::from_bytes(bad.clone());
    spent[2].script_pubkey = bitcoin::ScriptBuf::from_bytes(bad);
    for threads in [1, 2, 4] {
        assert_eq!(
            verify_tx(&spend, &spent, Flags::CORE24_STANDARD, threads),
            Err(TxScriptError::Input {
                input: 2,
                error: ScriptError::EvalFalse
            })
        );
    }
    assert_eq!(
        verify_tx(&spend, &spent[..3], Flags::CORE24_STANDARD, 1),
        Err(TxScriptError::SpentOutputsMismatch {
            inputs: 6,
            spent: 3
        })
    );
    assert_eq!(
        verify_input(&spend, 9, &spent, Flags::NONE),
        Err(ScriptError::UnknownError)
    );
}

#[test]
fn flag_bundles_are_nested() {
    assert!(Flags::CORE24_STANDARD.contains(Flags::CORE24_CONSENSUS));
    assert!(Flags::FRACTAL.contains(Flags::CORE24_STANDARD | Flags::OP_CAT));
    assert!(!Flags::FRACTAL.contains(Flags::DISCOURAGE_OP_CAT));
    assert!(!Flags::CORE24_STANDARD.contains(Flags::OP_CAT));
}
