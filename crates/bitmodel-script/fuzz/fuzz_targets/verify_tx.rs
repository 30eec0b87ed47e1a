//! Arbitrary transaction + spent outputs + flags: verification must never panic, never
//! allocate without bound, and must give the same verdict single- and multi-threaded.
//!
//! Input layout: 4 bytes of flags, 1 byte `n`, then `n` spent outputs each as
//! (8-byte value, 1-byte script length, script), then a consensus-encoded transaction.
//! Run with `cargo +nightly fuzz run verify_tx` from `crates/bitmodel-script`.
#![no_main]

use bitcoin::{Amount, ScriptBuf, Transaction, TxOut};
use bitmodel_script::{verify_input, verify_tx, Flags};
use libfuzzer_sys::fuzz_target;

fn take<'a>(data: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if data.len() < n {
        return None;
    }
    let (head, tail) = data.split_at(n);
    *data = tail;
    Some(head)
}

fuzz_target!(|input: &[u8]| {
    let mut data = input;
    let Some(flag_bytes) = take(&mut data, 4) else {
        return;
    };
    let flags =
        Flags::from_bits_truncate(u32::from_le_bytes(flag_bytes.try_into().expect("4 bytes")));
    let Some(&[count]) = take(&mut data, 1) else {
        return;
    };
    let mut spent = Vec::new();
    for _ in 0..count {
        let Some(value) = take(&mut data, 8) else {
            return;
        };
        let Some(&[len]) = take(&mut data, 1) else {
            return;
        };
        let Some(script) = take(&mut data, usize::from(len)) else {
            return;
        };
        spent.push(TxOut {
            value: Amount::from_sat(u64::from_le_bytes(value.try_into().expect("8 bytes"))),
            script_pubkey: ScriptBuf::from_bytes(script.to_vec()),
        });
    }
    let Ok(tx) = bitcoin::consensus::deserialize::<Transaction>(data) else {
        return;
    };
    let single = verify_tx(&tx, &spent, flags, 1);
    let parallel = verify_tx(&tx, &spent, flags, 2);
    assert_eq!(single, parallel, "thread count changed the verdict");
    if spent.len() == tx.input.len() {
        for i in 0..tx.input.len() {
            let _ = verify_input(&tx, i, &spent, flags);
        }
    }
});
