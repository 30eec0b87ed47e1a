//! `sighash.json` (legacy signature hashes, including `OP_CODESEPARATOR` stripping, odd hash
//! types and the `SIGHASH_SINGLE` bug), the BIP341 wallet vectors (both copies) and the
//! BIP340 Schnorr vectors.

mod common;

use bitcoin::hashes::{sha256, Hash, HashEngine};
use bitcoin::secp256k1::{Parity, PublicKey, Scalar, SecretKey, XOnlyPublicKey};
use bitcoin::{Amount, ScriptBuf, Transaction, TxOut, Witness};
use bitmodel_script::sig::{secp, verify_bip340};
use bitmodel_script::{tapscript, verify_input, Flags, TxData};
use common::{read_vector, Tally};
use serde_json::Value;

fn hex32(s: &str) -> [u8; 32] {
    hex::decode(s).expect("hex").try_into().expect("32 bytes")
}

fn sighash_case(case: &[Value]) -> Result<(), String> {
    let raw = hex::decode(case[0].as_str().ok_or("tx")?).map_err(|e| e.to_string())?;
    let tx: Transaction =
        bitcoin::consensus::deserialize(&raw).map_err(|e| format!("undecodable tx: {e}"))?;
    let script = hex::decode(case[1].as_str().ok_or("script")?).map_err(|e| e.to_string())?;
    let index = case[2].as_u64().ok_or("index")? as usize;
    let hash_type = case[3].as_i64().ok_or("hash type")? as i32 as u32;
    let mut want = hex32(case[4].as_str().ok_or("expected")?);
    want.reverse(); // Core prints uint256 byte-reversed.
    let data = TxData::new(&tx, &[]);
    let got = data.legacy(index, &script, hash_type);
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "sighash {} != {}",
            hex::encode(got),
            hex::encode(want)
        ))
    }
}

#[test]
fn sighash_json() {
    let cases: Vec<Value> =
        serde_json::from_str(&read_vector("bitcoin-core/sighash.json")).expect("valid JSON");
    let mut tally = Tally::default();
    for case in &cases {
        let case = case.as_array().expect("array");
        if case.len() == 1 {
            continue; // header comment
        }
        tally.record(sighash_case(case).map_err(|e| format!("{e}: {}", case[0])));
    }
    tally.finish("sighash.json", 500);
}

fn leaves(tree: &Value, out: &mut Vec<(u8, Vec<u8>)>) {
    match tree {
        Value::Array(children) => children.iter().for_each(|c| leaves(c, out)),
        Value::Object(leaf) => out.push((
            leaf["leafVersion"].as_u64().expect("leafVersion") as u8,
            hex::decode(leaf["script"].as_str().expect("script")).expect("hex"),
        )),
        _ => {}
    }
}

/// scriptPubKey section: leaf hashes and every control block's commitment.
fn script_pubkey_case(case: &Value) -> Result<(), String> {
    let tweaked = hex::decode(
        case["intermediary"]["tweakedPubkey"]
            .as_str()
            .ok_or("tweakedPubkey")?,
    )
    .map_err(|e| e.to_string())?;
    let mut found = Vec::new();
    leaves(&case["given"]["scriptTree"], &mut found);
    let want_hashes = case["intermediary"]["leafHashes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let controls = case["expected"]["scriptPathControlBlocks"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if found.len() != want_hashes.len() || found.len() != controls.len() {
        return Err("leaf count mismatch".into());
    }
    for (i, (version, script)) in found.iter().enumerate() {
        let leaf = tapscript::leaf_hash(*version, script);
        if leaf.to_byte_array() != hex32(want_hashes[i].as_str().ok_or("leaf hash")?) {
            return Err(format!("leaf {i} hash mismatch"));
        }
        let control =
            hex::decode(controls[i].as_str().ok_or("control")?).map_err(|e| e.to_string())?;
        if !tapscript::verify_commitment(&control, &tweaked, leaf) {
            return Err(format!(
                "leaf {i} control block does not commit to the output key"
            ));
        }
        let mut wrong = tweaked.clone();
        wrong[31] ^= 1;
        if tapscript::verify_commitment(&control, &wrong, leaf) {
            return Err("commitment check accepted a wrong output key".into());
        }
    }
    Ok(())
}

/// keyPathSpending section: sighash per input and a full verification of the signed input.
fn key_path_cases(case: &Value, tally: &mut Tally) {
    let raw = hex::decode(case["given"]["rawUnsignedTx"].as_str().expect("tx")).expect("hex");
    let mut tx: Transaction = bitcoin::consensus::deserialize(&raw).expect("decodable");
    let spent: Vec<TxOut> = case["given"]["utxosSpent"]
        .as_array()
        .expect("utxos")
        .iter()
        .map(|u| TxOut {
            value: Amount::from_sat(u["amountSats"].as_u64().expect("amount")),
            script_pubkey: ScriptBuf::from_bytes(
                hex::decode(u["scriptPubKey"].as_str().expect("spk")).expect("hex"),
            ),
        })
        .collect();
    for input in case["inputSpending"].as_array().expect("inputSpending") {
        let result = (|| -> Result<(), String> {
            let index = input["given"]["txinIndex"].as_u64().ok_or("index")? as usize;
            let hash_type = input["given"]["hashType"].as_u64().ok_or("hashType")? as u8;
            let want = hex32(input["intermediary"]["sigHash"].as_str().ok_or("sigHash")?);
            let got = TxData::new(&tx, &spent)
                .taproot(index, hash_type, None, None)
                .ok_or("no sighash")?;
            if got != want {
                return Err(format!("input {index}: sighash mismatch"));
            }
            let witness: Vec<Vec<u8>> = input["expected"]["witness"]
                .as_array()
                .ok_or("witness")?
                .iter()
                .map(|w| hex::decode(w.as_str().expect("witness hex")).expect("hex"))
                .collect();
            tx.input[index].witness = Witness::from_slice(&witness);
            verify_input(&tx, index, &spent, Flags::FRACTAL)
                .map_err(|e| format!("input {index}: {e}"))?;
            let mut tampered = tx.clone();
            tampered.lock_time =
                bitcoin::absolute::LockTime::from_consensus(tx.lock_time.to_consensus_u32() ^ 1);
            if verify_input(&tampered, index, &spent, Flags::FRACTAL).is_ok() {
                return Err(format!(
                    "input {index}: accepted a signature over a different transaction"
                ));
            }
            Ok(())
        })();
        tally.record(result);
    }
}

fn bip341_file(file: &str) {
    let v: Value = serde_json::from_str(&read_vector(file)).expect("valid JSON");
    let mut tally = Tally::default();
    for case in v["scriptPubKey"].as_array().expect("scriptPubKey cases") {
        tally.record(script_pubkey_case(case));
    }
    for case in v["keyPathSpending"]
        .as_array()
        .expect("keyPathSpending cases")
    {
        key_path_cases(case, &mut tally);
    }
    let name = file.rsplit('/').next().expect("file name");
    tally.finish(name, 14);
}

#[test]
fn bip341_wallet_vectors_core() {
    bip341_file("bitcoin-core/bip341_wallet_vectors.json");
}

#[test]
fn bip341_wallet_vectors_bips() {
    bip341_file("bips/bip341-wallet-test-vectors.json");
}

/// BIP340 verification for messages of any length, from the spec's equations on top of
/// libsecp256k1's group operations. Only used for vectors whose message is not 32 bytes,
/// which libsecp's 32-byte API (and tapscript) never sees.
fn bip340_verify_any_length(key: &[u8], msg: &[u8], sig: &[u8]) -> bool {
    const N: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36,
        0x41, 0x41,
    ];
    let Ok(x) = XOnlyPublicKey::from_slice(key) else {
        return false;
    };
    if sig.len() != 64 {
        return false;
    }
    let tag = sha256::Hash::hash(b"BIP0340/challenge");
    let mut e = sha256::Hash::engine();
    e.input(tag.as_byte_array());
    e.input(tag.as_byte_array());
    e.input(&sig[..32]);
    e.input(key);
    e.input(msg);
    let mut e = sha256::Hash::from_engine(e).to_byte_array();
    if e >= N {
        // Reduce mod n: 2^256 < 2n, so one subtraction suffices.
        let mut borrow = 0i16;
        for i in (0..32).rev() {
            let d = i16::from(e[i]) - i16::from(N[i]) - borrow;
            e[i] = d.rem_euclid(256) as u8;
            borrow = i16::from(d < 0);
        }
    }
    let Ok(s) = SecretKey::from_slice(&sig[32..]) else {
        return false;
    };
    let Ok(e) = Scalar::from_be_bytes(e) else {
        return false;
    };
    let p = PublicKey::from_x_only_public_key(x, Parity::Even);
    let Ok(ep) = p.mul_tweak(secp(), &e) else {
        return false;
    };
    let sg = PublicKey::from_secret_key(&bitcoin::secp256k1::Secp256k1::signing_only(), &s);
    let Ok(r) = sg.combine(&ep.negate(secp())) else {
        return false;
    };
    let (rx, parity) = r.x_only_public_key();
    parity == Parity::Even && rx.serialize()[..] == sig[..32]
}

#[test]
fn bip340_test_vectors_csv() {
    let text = read_vector("bips/bip340-test-vectors.csv");
    let mut tally = Tally::default();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split(',').collect();
        let key = hex::decode(f[2]).expect("key hex");
        let msg = hex::decode(f[4]).expect("msg hex");
        let sig = hex::decode(f[5]).expect("sig hex");
        let want = f[6] == "TRUE";
        let got = match <[u8; 32]>::try_from(msg.as_slice()) {
            Ok(digest) => verify_bip340(&sig, &key, &digest),
            Err(_) => bip340_verify_any_length(&key, &msg, &sig),
        };
        tally.record(if got == want {
            Ok(())
        } else {
            Err(format!("vector {}: expected {want}", f[0]))
        });
    }
    tally.finish("bip340-test-vectors.csv", 19);
}
