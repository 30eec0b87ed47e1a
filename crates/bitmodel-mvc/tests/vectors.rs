//! Version-10 txids and FORKID sighash preimages against an independent implementation:
//! `mvclib` (PyPI), run by the committed script `tests/oracle/mvclib_oracle.py` on a few
//! hundred generated transactions (versions 1, 2, 9, 10, 11 and large; empty, long and
//! multi-push scripts; every sighash type). `.ci/run` installs mvclib into
//! `target/tools/mvclib` (or set `BITMODEL_MVCLIB` to a directory holding it).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use bitcoin::absolute::LockTime;
use bitcoin::hashes::Hash;
use bitcoin::transaction::Version;
use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness};
use bitmodel_mvc::sighash::{preimage, SighashType};
use bitmodel_mvc::{mvc_txid, TxidRule};
use bitmodel_testkit::rng::Rng;

fn mvclib() -> PathBuf {
    let dir = std::env::var_os("BITMODEL_MVCLIB")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/tools/mvclib")
        });
    assert!(
        dir.join("mvclib").is_dir(),
        "mvclib (the independent oracle for MVC txids and sighash) is not at {}: run `bash .ci/tools` (or `pip install --target {} mvclib==0.6.0`), or set BITMODEL_MVCLIB",
        dir.display(),
        dir.display()
    );
    dir
}

fn script(rng: &mut Rng) -> ScriptBuf {
    let len = match rng.below(4) {
        0 => 0,
        1 => 25,
        2 => 1 + rng.below(80) as usize,
        _ => 300 + rng.below(700) as usize,
    };
    ScriptBuf::from_bytes((0..len).map(|_| rng.below(256) as u8).collect())
}

fn tx(rng: &mut Rng) -> Transaction {
    let version = [1, 2, 9, 10, 10, 10, 11, 0x7fff_ffff][rng.below(8) as usize];
    let inputs = 1 + rng.below(4) as usize;
    let outputs = rng.below(5) as usize;
    Transaction {
        version: Version(version),
        lock_time: LockTime::from_consensus(rng.below(1 << 32) as u32),
        input: (0..inputs)
            .map(|_| TxIn {
                previous_output: OutPoint::new(
                    Txid::from_byte_array(std::array::from_fn(|_| rng.below(256) as u8)),
                    rng.below(5) as u32,
                ),
                script_sig: script(rng),
                sequence: Sequence(rng.below(1 << 32) as u32),
                witness: Witness::new(),
            })
            .collect(),
        output: (0..outputs)
            .map(|_| TxOut {
                value: Amount::from_sat(rng.below(1 << 40)),
                script_pubkey: script(rng),
            })
            .collect(),
    }
}

#[test]
fn txids_and_sighash_preimages_match_mvclib() {
    let mut rng = Rng::new(0x006d_7663);
    let types = [
        SighashType::ALL,
        SighashType::NONE,
        SighashType::SINGLE,
        SighashType::ALL.anyone_can_pay(),
        SighashType::NONE.anyone_can_pay(),
        SighashType::SINGLE.anyone_can_pay(),
    ];
    let mut cases = Vec::new();
    let mut lines = String::new();
    for _ in 0..300 {
        let t = tx(&mut rng);
        let specs: Vec<(ScriptBuf, Amount, SighashType)> = t
            .input
            .iter()
            .map(|_| {
                (
                    script(&mut rng),
                    Amount::from_sat(rng.below(1 << 40)),
                    types[rng.below(6) as usize],
                )
            })
            .collect();
        let inputs: Vec<serde_json::Value> = specs
            .iter()
            .map(|(s, v, ty)| {
                serde_json::json!({"script_code": s.to_hex_string(), "value": v.to_sat(), "sighash": ty.to_u32()})
            })
            .collect();
        lines.push_str(&serde_json::json!({"tx": bitcoin::consensus::encode::serialize_hex(&t), "inputs": inputs}).to_string());
        lines.push('\n');
        cases.push((t, specs));
    }
    let mut child = Command::new("python3")
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/mvclib_oracle.py"))
        .env("PYTHONPATH", mvclib())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    // Feed the oracle from a thread while its answers are read (both pipes are bounded).
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || stdin.write_all(lines.as_bytes()));
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap().unwrap();
    assert!(out.status.success(), "the oracle failed");
    let answers: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), cases.len());
    let (mut txids, mut v10, mut preimages) = (0, 0, 0);
    for ((t, specs), a) in cases.iter().zip(&answers) {
        assert_eq!(
            mvc_txid(t).to_string(),
            a["txid"].as_str().unwrap(),
            "txid of a version-{} transaction",
            t.version.0
        );
        assert_eq!(TxidRule::Mvc.txid(t), mvc_txid(t));
        if t.version.0 >= 10 {
            v10 += 1;
            assert_ne!(mvc_txid(t), t.compute_txid(), "version 10 hashes its parts");
        } else {
            assert_eq!(mvc_txid(t), t.compute_txid());
        }
        txids += 1;
        for (i, (s, v, ty)) in specs.iter().enumerate() {
            let p = preimage(t, i, s, *v, *ty).unwrap();
            assert_eq!(
                hex::encode(&p),
                a["preimages"][i].as_str().unwrap(),
                "input {i}, sighash {:#x}",
                ty.to_u32()
            );
            preimages += 1;
        }
    }
    eprintln!("vectors mvclib: txids {txids}/{txids} ({v10} of version 10 or more), sighash preimages {preimages}/{preimages}");
}
