//! `devnet`: how fast the devnet accepts real transactions (1-in-2-out P2TR key-path spends)
//! through the library and through `sendrawtransaction` over HTTP, and how fast it validates
//! a block's inputs with one and two script threads. In the same run it measures the raw
//! libsecp256k1 Schnorr verification rate, the floor every path is bounded by (one
//! signature per transaction here), and prints the library's ratio to it.

use std::sync::Arc;
use std::time::Instant;

use bitcoin::consensus::encode::serialize_hex;
use bitcoin::hashes::{sha256, Hash};
use bitcoin::key::{Keypair, Secp256k1};
use bitcoin::secp256k1::Message;
use bitcoin::{Amount, OutPoint, Transaction};
use bitmodel_devnet::faucet::Signer;
use bitmodel_devnet::miner::build_block;
use bitmodel_devnet::node::now;
use bitmodel_devnet::Devnet;
use bitmodel_rpc::{Auth, Client};
use bitmodel_testkit::fixture;
use serde_json::json;

use crate::report::line;

/// Transactions per measured batch.
const BATCH: usize = 4000;
/// Outputs per fan-out transaction that creates the coins (under the standard weight).
const FAN_OUT: usize = 2000;
const COIN_VALUE: u64 = 20_000;

fn spend(signer: &Signer, op: OutPoint) -> Transaction {
    fixture::self_spend(signer, op, COIN_VALUE, &[9_000, COIN_VALUE - 9_000 - 300])
}

/// `n` confirmed coins of [`COIN_VALUE`] paying `signer`, made by fan-out transactions.
pub(crate) fn make_coins(devnet: &Devnet, signer: &Signer, n: usize) -> Vec<OutPoint> {
    let mut coins = Vec::with_capacity(n);
    let fee = 200_000;
    while coins.len() < n {
        let k = FAN_OUT.min(n - coins.len()).max(1);
        let total = k as u64 * COIN_VALUE + fee;
        let op = devnet
            .fund(&signer.script_pubkey(), Amount::from_sat(total))
            .expect("the faucet funds the benchmark");
        let tx = fixture::self_spend(signer, op, total, &vec![COIN_VALUE; k]);
        let txid = devnet.submit(tx).expect("the fan-out is standard");
        coins.extend((0..k as u32).map(|v| OutPoint::new(txid, v)));
    }
    devnet.mine(1).expect("mines the fan-outs");
    coins
}

fn schnorr_per_s() -> f64 {
    let secp = Secp256k1::new();
    let n = 20_000;
    let items: Vec<_> = (0..256u32)
        .map(|i| {
            let sk = bitcoin::secp256k1::SecretKey::from_slice(
                sha256::Hash::hash(&i.to_le_bytes()).as_byte_array(),
            )
            .expect("valid key");
            let kp = Keypair::from_secret_key(&secp, &sk);
            let msg = Message::from_digest(sha256::Hash::hash(&[i as u8; 7]).to_byte_array());
            (
                secp.sign_schnorr_no_aux_rand(&msg, &kp),
                msg,
                kp.x_only_public_key().0,
            )
        })
        .collect();
    let t = Instant::now();
    for i in 0..n {
        let (sig, msg, pk) = &items[i % items.len()];
        secp.verify_schnorr(sig, msg, pk).expect("valid signature");
    }
    n as f64 / t.elapsed().as_secs_f64()
}

pub fn run() {
    let devnet = Devnet::spawn().expect("a devnet starts for the benchmark");
    let signer = Signer::from_seed(b"bitmodel bench devnet");
    let coins = make_coins(&devnet, &signer, 3 * BATCH);
    let (block_coins, rest) = coins.split_at(BATCH);
    let (lib_coins, rpc_coins) = rest.split_at(BATCH);

    // Block validation: connect a block of BATCH spends (scripts verified, nothing cached)
    // with one thread, disconnect it, and connect it again with two.
    let block_txs: Vec<Arc<Transaction>> = block_coins
        .iter()
        .map(|op| Arc::new(spend(&signer, *op)))
        .collect();
    {
        let mut node = devnet.node();
        let block = build_block(
            &node.chain,
            &Signer::faucet().script_pubkey(),
            block_txs,
            None,
            now() as u32,
        );
        let hash = block.block_hash();
        node.chain
            .accept_block(&block, now() as u32, &|_| false)
            .expect("the benchmark block is valid");
        // Both figures time the same path: reconnecting the block after `invalidateblock`,
        // every script verified again.
        let mut per_s = [0.0; 2];
        for (threads, rate) in [1usize, 2].into_iter().zip(per_s.iter_mut()) {
            node.chain
                .invalidate(hash, &|_| false)
                .expect("disconnects");
            node.chain.script_threads = threads;
            let t = Instant::now();
            node.chain.reconsider(hash, &|_| false).expect("reconnects");
            *rate = BATCH as f64 / t.elapsed().as_secs_f64();
            assert_eq!(node.chain.tip(), hash);
        }
        let [one, two] = per_s;
        line(
            "devnet.block_inputs_per_s.threads1",
            one.round(),
            "inputs/s",
        );
        line(
            "devnet.block_inputs_per_s.threads2",
            two.round(),
            "inputs/s",
        );
    }

    // Library: mempool acceptance with every check, one thread.
    let lib_txs: Vec<Transaction> = lib_coins.iter().map(|op| spend(&signer, *op)).collect();
    let t = Instant::now();
    for tx in lib_txs {
        devnet.submit(tx).expect("a standard spend is accepted");
    }
    let lib = BATCH as f64 / t.elapsed().as_secs_f64();
    devnet.mine(1).expect("mines the library batch");

    // RPC: sendrawtransaction over two kept-alive connections.
    let hexes: Vec<String> = rpc_coins
        .iter()
        .map(|op| serialize_hex(&spend(&signer, *op)))
        .collect();
    let url = devnet.rpc_url();
    let cookie = devnet.cookie_path().expect("cookie auth").to_path_buf();
    let t = Instant::now();
    std::thread::scope(|s| {
        for chunk in hexes.chunks(hexes.len().div_ceil(2)) {
            let (url, cookie) = (url.clone(), cookie.clone());
            s.spawn(move || {
                let c = Client::new(&url, Auth::Cookie(cookie)).expect("url");
                for hex in chunk {
                    c.call_value("sendrawtransaction", json!([hex]))
                        .expect("a standard spend is accepted over rpc");
                }
            });
        }
    });
    let rpc = BATCH as f64 / t.elapsed().as_secs_f64();

    let schnorr = schnorr_per_s();
    line("devnet.rpc_tx_per_s", rpc.round(), "tx/s");
    line("devnet.lib_tx_per_s", lib.round(), "tx/s");
    line("devnet.schnorr_verify_per_s", schnorr.round(), "verify/s");
    line("devnet.lib_vs_sig_limit", lib / schnorr, "ratio");
}
