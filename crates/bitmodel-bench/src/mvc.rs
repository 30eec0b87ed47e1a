//! MVC sizes (deterministic, so no reference run is needed): the OP_PUSH_TX splitter's
//! script and its spend by parent count, and what a file costs on chain as MetaID PINs in
//! the registration transaction (bytes per content byte; fees are 250 sat/kB on MVC).

use bitcoin::hashes::Hash;
use bitcoin::secp256k1::{Secp256k1, SecretKey};
use bitcoin::{Amount, OutPoint, ScriptBuf, Transaction, TxIn, Txid};
use bitmodel_mvc::pin::{p2pkh, registration_outputs, MARKER};
use bitmodel_mvc::splitter::Splitter;
use bitmodel_protocol::Record;
use bitmodel_testkit::fixture;

use crate::report::line;

fn payee(i: u32) -> ScriptBuf {
    let mut h = [0x5b; 20];
    h[..4].copy_from_slice(&i.to_le_bytes());
    ScriptBuf::new_p2pkh(&bitcoin::PubkeyHash::from_byte_array(h))
}

pub fn run() {
    for n in [1u32, 3, 11, 50] {
        let s = Splitter {
            parents: (0..n).map(|i| (payee(i), (1 + i % 9) as u16)).collect(),
            owner: payee(999),
            fee_cap: 50_000,
        };
        let tx = s
            .spend(
                OutPoint::new(Txid::all_zeros(), 0),
                1_000_000_000,
                20_000,
                10,
            )
            .expect("a splitter spend");
        let bytes = bitcoin::consensus::serialize(&tx).len();
        line(
            &format!("mvc.splitter_script_bytes.{n}"),
            s.script().len() as f64,
            "bytes",
        );
        line(&format!("mvc.splitter_tx_bytes.{n}"), bytes as f64, "bytes");
        line(
            &format!("mvc.splitter_tx_bytes_per_parent.{n}"),
            bytes as f64 / f64::from(n),
            "bytes",
        );
    }
    // A 5 MB file with its record in one signed transaction.
    let file = vec![0xa5u8; 5_000_000];
    let secp = Secp256k1::new();
    let key = SecretKey::from_slice(&[1; 32]).expect("a key");
    let pk = bitcoin::PublicKey::new(key.public_key(&secp));
    let record = Record {
        content: Some(fixture::content(&file, None)),
        ..fixture::record("bench", ScriptBuf::new_p2pkh(&pk.pubkey_hash()), 5_000)
    };
    let mut output =
        registration_outputs(&record, Some(("application/octet-stream", &file)), MARKER);
    output.push(p2pkh(&pk, 1_000));
    let mut tx = Transaction {
        version: bitcoin::transaction::Version(10),
        lock_time: bitcoin::absolute::LockTime::ZERO,
        input: vec![TxIn::default()],
        output,
    };
    bitmodel_mvc::sign_p2pkh(&secp, &mut tx, 0, &key, Amount::from_sat(2_000_000)).expect("signed");
    let bytes = bitcoin::consensus::serialize(&tx).len();
    line(
        "mvc.content_bytes_per_byte",
        bytes as f64 / file.len() as f64,
        "bytes",
    );
}
