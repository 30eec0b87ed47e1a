//! Property tests: arbitrary bytes as scripts, witnesses, transactions and flags never panic,
//! and verification is deterministic. (The cargo-fuzz target in `fuzz/` explores further.)

mod common;

use bitcoin::{Amount, ScriptBuf, Witness};
use bitmodel_script::{verify_input, verify_tx, Flags};
use common::{crediting_tx, spending_tx};
use proptest::prelude::*;

fn taproot_spk(key: &[u8]) -> Vec<u8> {
    let mut s = vec![0x51, 0x20];
    s.extend_from_slice(key);
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_scripts_never_panic(
        script_sig in proptest::collection::vec(any::<u8>(), 0..64),
        script_pubkey in proptest::collection::vec(any::<u8>(), 0..64),
        witness in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..5),
        flags in any::<u32>(),
        value in any::<u32>(),
    ) {
        let flags = Flags::from_bits_truncate(flags);
        let credit = crediting_tx(&script_pubkey, Amount::from_sat(u64::from(value)));
        let spend = spending_tx(&script_sig, Witness::from_slice(&witness), &credit);
        let first = verify_input(&spend, 0, &credit.output, flags);
        prop_assert_eq!(first, verify_input(&spend, 0, &credit.output, flags));
        prop_assert_eq!(first.is_ok(), verify_tx(&spend, &credit.output, flags, 2).is_ok());
    }

    #[test]
    fn arbitrary_tapscripts_never_panic(
        tapscript in proptest::collection::vec(any::<u8>(), 0..80),
        args in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..70), 0..4),
        control_tail in proptest::collection::vec(any::<u8>(), 0..70),
        key in proptest::collection::vec(any::<u8>(), 32),
        flags in any::<u32>(),
    ) {
        let flags = Flags::from_bits_truncate(flags) | Flags::P2SH | Flags::WITNESS | Flags::TAPROOT;
        let mut witness = args;
        witness.push(tapscript);
        let mut control = vec![0xc0];
        control.extend_from_slice(&key);
        control.extend_from_slice(&control_tail);
        witness.push(control);
        let credit = crediting_tx(&taproot_spk(&key), Amount::from_sat(1));
        let spend = spending_tx(&[], Witness::from_slice(&witness), &credit);
        let _ = verify_input(&spend, 0, &credit.output, flags);
    }

    #[test]
    fn arbitrary_transactions_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..300), flags in any::<u32>()) {
        if let Ok(tx) = bitcoin::consensus::deserialize::<bitcoin::Transaction>(&raw) {
            let spent: Vec<_> = tx.input.iter().map(|_| bitcoin::TxOut {
                value: Amount::from_sat(1),
                script_pubkey: ScriptBuf::from_bytes(raw.iter().take(34).copied().collect()),
            }).collect();
            let _ = verify_tx(&tx, &spent, Flags::from_bits_truncate(flags), 1);
        }
    }
}
