//! The wallet against the devnet: create and restore from a mnemonic, receive, sync, send,
//! follow a reorg, and hand a PSBT to an external signer.

use bitcoin::hashes::Hash;
use bitcoin::{Amount, FeeRate, Network, ScriptBuf, WPubkeyHash};
use bitmodel_devnet::Devnet;
use bitmodel_wallet::{Wallet, WalletError};

const WORDS: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

fn dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("bitmodel-wallet-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn receive_sync_send_reorg_and_psbt() {
    let dn = Devnet::spawn().unwrap();
    let client = dn.client().unwrap();
    let d = dir("flow");
    let path = d.join("wallet.redb");
    let (mut w, words) = Wallet::create(&path, Network::Regtest, None, Some(WORDS)).unwrap();
    assert_eq!(words, WORDS);
    assert!(matches!(
        Wallet::create(&path, Network::Regtest, None, None),
        Err(WalletError::Exists(_))
    ));
    let addr = w.receive().unwrap();
    assert!(
        addr.to_string().starts_with("bcrt1p"),
        "BIP86 taproot on the devnet: {addr}"
    );

    dn.fund(&addr.script_pubkey(), Amount::from_sat(5_000_000))
        .unwrap();
    w.sync(&client, &client).unwrap();
    assert_eq!(w.balance().confirmed, Amount::from_sat(5_000_000));

    // Send 1,000,000 sats away at 2 sat/vB; the rest comes back as change.
    let away = ScriptBuf::new_p2wpkh(&WPubkeyHash::from_byte_array([9; 20]));
    let tx = w
        .pay(
            &[(away.clone(), Amount::from_sat(1_000_000))],
            FeeRate::from_sat_per_vb(2).unwrap(),
        )
        .unwrap();
    let fee = 5_000_000 - tx.output.iter().map(|o| o.value.to_sat()).sum::<u64>();
    assert!(
        fee >= 2 * tx.vsize() as u64 && fee < 4 * tx.vsize() as u64,
        "fee {fee} for {} vB",
        tx.vsize()
    );
    client.send_raw_transaction(&tx).unwrap();
    let mined = dn.mine(1).unwrap()[0];
    w.sync(&client, &client).unwrap();
    assert_eq!(w.balance().confirmed.to_sat(), 4_000_000 - fee);

    // Reorg: replace the block holding the spend with another one. (A chain never gets
    // shorter on its own, so the wallet follows the heavier replacement.)
    client
        .call_value("invalidateblock", serde_json::json!([mined.to_string()]))
        .unwrap();
    let replacement = dn.mine(1).unwrap()[0];
    assert_ne!(replacement, mined);
    w.sync(&client, &client).unwrap();
    assert_eq!(w.tip().1, replacement, "the wallet moved to the new chain");
    let b = w.balance();
    assert_eq!(
        (b.confirmed + b.trusted_pending).to_sat(),
        4_000_000 - fee,
        "{b:?}"
    );

    // Too much: a clear error with both figures.
    let err = w
        .pay(
            &[(away.clone(), Amount::from_sat(50_000_000))],
            FeeRate::from_sat_per_vb(1).unwrap(),
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            WalletError::InsufficientFunds {
                needed: 50_000_000,
                ..
            }
        ),
        "{err}"
    );

    // PSBT round trip: export unsigned, sign elsewhere (here: a restored copy), finalise.
    let mut psbt = w
        .psbt(
            &[(away, Amount::from_sat(100_000))],
            FeeRate::from_sat_per_vb(1).unwrap(),
        )
        .unwrap();
    let exported = psbt.to_string();
    let d2 = dir("restore");
    let (signer, _) =
        Wallet::create(&d2.join("w.redb"), Network::Regtest, None, Some(WORDS)).unwrap();
    psbt = exported.parse().unwrap();
    let tx = signer.sign(&mut psbt).unwrap();
    client.send_raw_transaction(&tx).unwrap();

    // Reopen from disk: same wallet, same funds; a different network is refused.
    drop(w);
    let w = Wallet::open(&path, Network::Regtest).unwrap();
    let b = w.balance();
    assert_eq!((b.confirmed + b.trusted_pending).to_sat(), 4_000_000 - fee);
    drop(w);
    assert!(matches!(
        Wallet::open(&path, Network::Bitcoin),
        Err(WalletError::WrongNetwork { .. })
    ));
}
