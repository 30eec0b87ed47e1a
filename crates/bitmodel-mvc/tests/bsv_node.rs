//! Against a real Bitcoin SV 1.0.13 regtest node (MVC's script rules; `.ci/tools` installs
//! it): a wallet key from the BIP39 test mnemonic is paid by the node's coinbase, and a
//! FORKID-signed P2PKH transaction registers an asset — its record and a 5 MB file as MetaID
//! PINs in the same transaction — which the node accepts and mines; the record and file are
//! read back from the mined block. The node itself refuses a signature without FORKID, one
//! over another amount, and one by another key.

use bitcoin::hashes::Hash;
use bitcoin::secp256k1::{Message, Secp256k1, SecretKey};
use bitcoin::transaction::Version;
use bitcoin::{absolute::LockTime, Amount, Sequence, Transaction, TxIn, Witness};
use bitmodel_mvc::pin::{p2pkh, registration_outputs, Pin, MARKER};
use bitmodel_mvc::sign_p2pkh;
use bitmodel_protocol::Record;
use bitmodel_testkit::bsv::BsvNode;
use bitmodel_testkit::fixture;

mod common;

fn refused(node: &BsvNode, tx: &Transaction, what: &str, reason: &str) {
    match node.client().send_raw_transaction(tx) {
        Ok(txid) => panic!("the node accepted {what}: {txid}"),
        Err(e) => assert!(e.to_string().contains(reason), "{what}: {e}"),
    }
}

#[test]
fn a_forkid_signed_record_with_a_5_mb_file_is_mined_and_read_back() {
    let common::Funded {
        node,
        key,
        pk,
        address,
        coin,
    } = common::funded();
    let c = node.client();
    let secp = Secp256k1::new();
    let value = coin.1.value;

    let file: Vec<u8> = (0..5_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let record = Record {
        content: Some(fixture::content(&file, None)),
        ..fixture::record("big-on-chain", address.script_pubkey(), 5_000)
    };
    let outputs = registration_outputs(&record, Some(("application/octet-stream", &file)), MARKER);
    let mut tx = Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: coin.0,
            script_sig: bitcoin::ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: outputs,
    };
    // 1 sat a byte (the node asks 0.25), change back to the wallet.
    let fee = 5_100_000;
    tx.output.push(p2pkh(&pk, value.to_sat() - fee));
    let honest = {
        let mut t = tx.clone();
        sign_p2pkh(&secp, &mut t, 0, &key, value).unwrap();
        t
    };
    assert!(bitcoin::consensus::serialize(&honest).len() > 5_000_000);

    // Without FORKID (Bitcoin's legacy digest and type 0x01): the node refuses it.
    let mut t = tx.clone();
    let legacy = bitcoin::sighash::SighashCache::new(&t)
        .legacy_signature_hash(0, &address.script_pubkey(), 1)
        .unwrap();
    let sig = secp.sign_ecdsa(&Message::from_digest(legacy.to_byte_array()), &key);
    let mut bytes = sig.serialize_der().to_vec();
    bytes.push(0x01);
    t.input[0].script_sig = bitcoin::script::Builder::new()
        .push_slice(bitcoin::script::PushBytesBuf::try_from(bytes).unwrap())
        .push_key(&pk)
        .into_script();
    refused(&node, &t, "a signature without FORKID", "FORKID");
    // A FORKID signature over another amount, and one by another key.
    let mut t = tx.clone();
    sign_p2pkh(&secp, &mut t, 0, &key, value + Amount::from_sat(1)).unwrap();
    refused(
        &node,
        &t,
        "a signature over another amount",
        "mandatory-script-verify-flag-failed",
    );
    let mut t = tx.clone();
    let other = SecretKey::from_slice(&[7u8; 32]).unwrap();
    sign_p2pkh(&secp, &mut t, 0, &other, value).unwrap();
    refused(
        &node,
        &t,
        "a signature by another key",
        "mandatory-script-verify-flag-failed",
    );

    let txid = c.send_raw_transaction(&honest).unwrap();
    assert_eq!(txid, honest.compute_txid(), "BSV keeps the ordinary txid");
    let mined = node.mine_to(1, &address.to_string());
    let block = c.get_block(&mined[0].parse().unwrap()).unwrap();
    let got = block
        .txdata
        .iter()
        .find(|t| t.compute_txid() == txid)
        .expect("the registration is in the block");
    let regs = bitmodel_mvc::pin::registrations(&got.output, MARKER);
    assert_eq!(regs.len(), 1);
    let reg = regs[0].as_ref().unwrap();
    assert_eq!(reg.vout, 0, "the asset is <txid>i0");
    assert_eq!(reg.record, record);
    let (content_type, bytes) = reg.file.as_ref().expect("the file, whole and verified");
    assert_eq!(content_type, "application/octet-stream");
    assert_eq!(bytes, &file);
    // One content byte changed: the file no longer matches its record and is not taken.
    let mut spoiled = got.output.clone();
    let mut pin = Pin::parse(&spoiled[2].script_pubkey, MARKER).unwrap();
    pin.body[0] ^= 1;
    spoiled[2] = pin.to_output(MARKER);
    let regs = bitmodel_mvc::pin::registrations(&spoiled, MARKER);
    assert_eq!(regs[0].as_ref().unwrap().file, None);
    eprintln!(
        "bsv regtest: a {} byte registration (record and a {} byte file) mined in {}",
        bitcoin::consensus::serialize(&honest).len(),
        file.len(),
        mined[0]
    );
}
