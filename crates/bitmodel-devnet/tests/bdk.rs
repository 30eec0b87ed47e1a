//! A real wallet stack against the devnet: `bdk_bitcoind_rpc`'s emitter (over
//! `bitcoincore-rpc`, the client most Rust wallets use) syncs a `bdk_wallet`, the wallet
//! sends a transaction back through `sendrawtransaction`, and balances match the chain.

use std::sync::Arc;

use bdk_bitcoind_rpc::bitcoincore_rpc::{self, RpcApi};
use bdk_bitcoind_rpc::Emitter;
use bdk_wallet::{KeychainKind, SignOptions, Wallet};
use bitcoin::bip32::Xpriv;
use bitcoin::{Amount, FeeRate, Network, Transaction};
use bitmodel_devnet::faucet::Signer;
use bitmodel_devnet::Devnet;

fn sync(wallet: &mut Wallet, emitter: &mut Emitter<Arc<bitcoincore_rpc::Client>>) {
    while let Some(ev) = emitter.next_block().expect("the emitter reads blocks") {
        wallet
            .apply_block_connected_to(&ev.block, ev.block_height(), ev.connected_to())
            .expect("blocks connect");
    }
    let mempool = emitter.mempool().expect("the emitter reads the mempool");
    wallet.apply_evicted_txs(mempool.evicted);
    wallet.apply_unconfirmed_txs(mempool.update);
}

#[test]
fn bdk_wallet_syncs_and_sends_through_the_devnet() {
    let devnet = Devnet::spawn().expect("devnet starts");
    let xprv = Xpriv::new_master(Network::Regtest, &[7u8; 32]).expect("master key");
    let mut wallet = Wallet::create(
        format!("tr({xprv}/86'/1'/0'/0/*)"),
        format!("tr({xprv}/86'/1'/0'/1/*)"),
    )
    .network(Network::Regtest)
    .create_wallet_no_persist()
    .expect("wallet");
    let address = wallet.reveal_next_address(KeychainKind::External).address;
    devnet
        .fund(&address.script_pubkey(), Amount::from_sat(1_000_000))
        .expect("funded");

    let rpc = Arc::new(
        bitcoincore_rpc::Client::new(
            &devnet.rpc_url(),
            bitcoincore_rpc::Auth::CookieFile(devnet.cookie_path().expect("cookie").into()),
        )
        .expect("client"),
    );
    assert_eq!(
        rpc.get_block_count().expect("getblockcount"),
        u64::from(devnet.node().chain.height())
    );
    let mut emitter = Emitter::new(
        rpc.clone(),
        wallet.latest_checkpoint(),
        0,
        std::iter::empty::<Arc<Transaction>>(),
    );
    sync(&mut wallet, &mut emitter);
    assert_eq!(wallet.balance().confirmed, Amount::from_sat(1_000_000));
    assert_eq!(
        wallet.latest_checkpoint().hash(),
        devnet.node().chain.tip(),
        "the wallet follows the devnet's tip"
    );

    let payee = Signer::from_seed(b"payee").script_pubkey();
    let mut builder = wallet.build_tx();
    builder
        .add_recipient(payee.clone(), Amount::from_sat(300_000))
        .fee_rate(FeeRate::from_sat_per_vb(2).expect("fee rate"));
    let mut psbt = builder.finish().expect("builds");
    assert!(wallet
        .sign(&mut psbt, SignOptions::default())
        .expect("signs"));
    let tx = psbt.extract_tx().expect("complete");
    let fee = wallet.calculate_fee(&tx).expect("fee known");
    let txid = rpc
        .send_raw_transaction(&tx)
        .expect("the devnet accepts the wallet's tx");
    assert_eq!(txid, tx.compute_txid());

    sync(&mut wallet, &mut emitter);
    assert_eq!(
        wallet.balance().trusted_pending,
        Amount::from_sat(700_000) - fee,
        "unconfirmed change is seen through the mempool"
    );
    devnet.mine(1).expect("mines");
    sync(&mut wallet, &mut emitter);
    assert_eq!(wallet.balance().confirmed, Amount::from_sat(700_000) - fee);
    let node = devnet.node();
    let paid: u64 = node
        .chain
        .utxos()
        .values()
        .filter(|c| c.output.script_pubkey == payee)
        .map(|c| c.output.value.to_sat())
        .sum();
    assert_eq!(paid, 300_000);
}

/// The in-process block source shows exactly the chain the JSON-RPC server shows: the same
/// tip, the same hash at every height, byte-identical blocks (with a real transaction), and
/// clear errors past the tip or for an unknown hash.
#[test]
fn in_process_blocks_are_the_rpc_chain() {
    use bitcoin::consensus::encode::serialize;
    use bitcoin::hashes::Hash;
    use bitmodel_rpc::source::BlockSource;

    let devnet = Devnet::spawn().expect("devnet starts");
    let signer = Signer::from_seed(b"in-process reader");
    devnet
        .fund(&signer.script_pubkey(), Amount::from_sat(2_000_000))
        .expect("funded");
    devnet.mine(2).expect("mined");
    let rpc = devnet.client().expect("client");
    let blocks = devnet.blocks();
    let tip = blocks.tip_height().expect("tip");
    assert_eq!(u64::from(tip), rpc.get_block_count().expect("count"));
    assert!(tip >= 3);
    let mut transactions = 0;
    for height in 0..=tip {
        let hash = blocks.block_hash(height).expect("hash");
        assert_eq!(
            hash,
            rpc.get_block_hash(u64::from(height)).expect("rpc hash")
        );
        let ours = blocks.block(&hash).expect("block");
        let theirs = rpc.get_block(&hash).expect("rpc block");
        assert_eq!(serialize(&ours), serialize(&theirs), "block {height}");
        transactions += ours.txdata.len();
    }
    assert!(
        transactions > usize::try_from(tip).unwrap() + 1,
        "the funding transaction is there"
    );
    let past = blocks.block_hash(tip + 1).expect_err("past the tip");
    assert!(
        past.to_string()
            .contains(&format!("no block at height {}", tip + 1)),
        "{past}"
    );
    let unknown = blocks
        .block(&bitcoin::BlockHash::all_zeros())
        .expect_err("unknown hash");
    assert!(unknown.to_string().contains("has no block"), "{unknown}");
}
