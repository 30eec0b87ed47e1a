//! More of Core's rules, each with its reject reason: tapscript witness limits, scriptSig
//! and size policy, replacement corner cases, and block rules the first suite leaves out.

mod common;

use std::sync::Arc;

use bitcoin::key::Secp256k1;
use bitcoin::opcodes::all::{OP_CAT, OP_DROP, OP_RETURN};
use bitcoin::script::{Builder, PushBytesBuf};
use bitcoin::taproot::{LeafVersion, TaprootBuilder};
use bitcoin::{absolute, Amount, Block, ScriptBuf, Sequence, TxOut, Witness, XOnlyPublicKey};
use bitmodel_devnet::faucet::Signer;
use bitmodel_devnet::miner::{build_block, grind};
use bitmodel_devnet::{Devnet, DevnetError, Node};
use common::{funded, output_of, pay, sign_all, unsigned, Owned};

fn reason(devnet: &Devnet, tx: bitcoin::Transaction) -> String {
    devnet
        .submit(tx)
        .expect_err("the transaction must be refused")
        .reason
}

fn refuse(node: &mut Node, b: &Block) -> String {
    match node.submit_block(b) {
        Err(DevnetError::Rejected(r)) => r.reason,
        other => panic!("block must be refused, got {other:?}"),
    }
}

fn nums() -> XOnlyPublicKey {
    XOnlyPublicKey::from_slice(&[
        0x50, 0x92, 0x9b, 0x74, 0xc1, 0xa0, 0x49, 0x54, 0xb7, 0x8b, 0x4b, 0x60, 0x35, 0xe9, 0x7a,
        0x5e, 0x07, 0x8a, 0x5a, 0x0f, 0x28, 0xec, 0x96, 0xd5, 0x47, 0xbf, 0xee, 0x9a, 0xce, 0x80,
        0x3a, 0xc0,
    ])
    .expect("the BIP341 NUMS point")
}

#[test]
fn tapscript_items_above_80_bytes_are_not_standard() {
    let devnet = Devnet::spawn().expect("devnet starts");
    let secp = Secp256k1::new();
    // <a> <b> OP_CAT OP_DROP OP_TRUE-equivalent: the leaf accepts any two items.
    let leaf = Builder::new()
        .push_opcode(OP_CAT)
        .push_opcode(OP_DROP)
        .push_int(1)
        .into_script();
    let info = TaprootBuilder::new()
        .add_leaf(0, leaf.clone())
        .expect("leaf")
        .finalize(&secp, nums())
        .expect("tree");
    let control = info
        .control_block(&(leaf.clone(), LeafVersion::TapScript))
        .expect("control block");
    let script = ScriptBuf::new_p2tr_tweaked(info.output_key());
    let op = devnet
        .fund(&script, Amount::from_sat(50_000))
        .expect("funds");
    let coin = Owned {
        outpoint: op,
        output: TxOut {
            value: Amount::from_sat(50_000),
            script_pubkey: script,
        },
    };
    let spend = |a: usize, b: usize| {
        let mut tx = unsigned(
            &[&coin],
            vec![TxOut {
                value: Amount::from_sat(40_000),
                script_pubkey: Signer::from_seed(b"t").script_pubkey(),
            }],
        );
        tx.input[0].witness = Witness::from_slice(&[
            vec![1u8; a],
            vec![2u8; b],
            leaf.to_bytes(),
            control.serialize(),
        ]);
        tx
    };
    assert_eq!(reason(&devnet, spend(81, 10)), "bad-witness-nonstandard");
    let standard = devnet
        .submit(spend(80, 80))
        .expect("80-byte items are standard");
    // Consensus allows the same spend: a block may contain it.
    let mut node = devnet.node();
    let block = build_block(
        &node.chain,
        &Signer::faucet().script_pubkey(),
        vec![Arc::new(spend(81, 10))],
        None,
        bitmodel_devnet::node::now() as u32,
    );
    node.submit_block(&block)
        .expect("a non-standard but valid spend is valid in a block");
    assert!(
        node.mempool.get(&standard).is_none(),
        "the conflicting mempool spend is evicted"
    );
}

#[test]
fn more_policy_reasons() {
    let devnet = Devnet::spawn().expect("devnet starts");
    let (alice, coin) = funded(&devnet, b"alice", 1_000_000);
    // Funding mines a block, so every coin this test needs is funded up front.
    let (dave, d_coin) = funded(&devnet, b"dave", 1_000_000);
    let to = Signer::from_seed(b"bob").script_pubkey();

    let data = |n: u8| TxOut {
        value: Amount::ZERO,
        script_pubkey: Builder::new()
            .push_opcode(OP_RETURN)
            .push_slice([n; 4])
            .into_script(),
    };
    let mut two_data = pay(&alice, &coin, &to, 10_000, 500);
    two_data.output.push(data(1));
    two_data.output.push(data(2));
    sign_all(&alice, &mut two_data, &[&coin]);
    assert_eq!(reason(&devnet, two_data), "multi-op-return");

    let mut small = unsigned(&[&coin], vec![data(3)]);
    small.output[0].script_pubkey = Builder::new().push_opcode(OP_RETURN).into_script();
    sign_all(&alice, &mut small, &[&coin]);
    assert_eq!(reason(&devnet, small), "tx-size-small");

    let mut not_push = pay(&alice, &coin, &to, 10_000, 500);
    not_push.input[0].script_sig = Builder::new().push_opcode(OP_DROP).into_script();
    assert_eq!(reason(&devnet, not_push), "scriptsig-not-pushonly");

    let mut bare = pay(&alice, &coin, &to, 10_000, 500);
    bare.output[0].script_pubkey = ScriptBuf::from_bytes(vec![0x51, 0x51]);
    sign_all(&alice, &mut bare, &[&coin]);
    assert_eq!(reason(&devnet, bare), "scriptpubkey");

    let tx = pay(&alice, &coin, &to, 10_000, 500);
    devnet.submit(tx.clone()).expect("accepted");
    let r = devnet.submit(tx.clone()).expect_err("again");
    assert_eq!(r.reason, "txn-already-in-mempool");
    // Same txid, different witness (a second valid signature is impossible to forge, so
    // append an annex-free extra element, which changes the wtxid but not the txid).
    let mut malleated = tx.clone();
    let mut w: Vec<Vec<u8>> = malleated.input[0]
        .witness
        .iter()
        .map(<[u8]>::to_vec)
        .collect();
    w.insert(0, vec![]);
    malleated.input[0].witness = Witness::from_slice(&w);
    assert_eq!(
        reason(&devnet, malleated),
        "txn-same-nonwitness-data-in-mempool"
    );

    // A replacement may not add unconfirmed inputs, nor spend what it replaces.
    let child = pay(&alice, &output_of(&tx, 1), &to, 10_000, 500);
    devnet.submit(child.clone()).expect("child accepted");
    let mut adds = unsigned(
        &[&coin, &output_of(&child, 1)],
        vec![TxOut {
            value: Amount::from_sat(500_000),
            script_pubkey: to.clone(),
        }],
    );
    sign_all(&alice, &mut adds, &[&coin, &output_of(&child, 1)]);
    assert_eq!(reason(&devnet, adds), "bad-txns-spends-conflicting-tx");
    let d_tx = pay(&dave, &d_coin, &to, 10_000, 500);
    devnet.submit(d_tx.clone()).expect("accepted");
    // Replace `child` (spends tx:1) with a tx that also spends d_tx's unconfirmed output.
    let unconf = output_of(&d_tx, 0);
    let mut replacement = unsigned(
        &[&output_of(&tx, 1), &unconf],
        vec![TxOut {
            value: Amount::from_sat(900_000),
            script_pubkey: to.clone(),
        }],
    );
    // Only alice's input can be signed; the rule is checked before scripts.
    sign_all(&alice, &mut replacement, &[&output_of(&tx, 1), &unconf]);
    assert_eq!(reason(&devnet, replacement), "replacement-adds-unconfirmed");
}

#[test]
fn more_block_rules() {
    let devnet = Devnet::spawn().expect("devnet starts");
    let (alice, coin) = funded(&devnet, b"alice", 1_000_000);
    let to = Signer::from_seed(b"bob").script_pubkey();
    let faucet = Signer::faucet().script_pubkey();
    let now = bitmodel_devnet::node::now() as u32;
    let mut node = devnet.node();
    let with = |node: &Node, txs: Vec<bitcoin::Transaction>| {
        build_block(
            &node.chain,
            &faucet,
            txs.into_iter().map(Arc::new).collect(),
            None,
            now,
        )
    };
    let remerkle = |b: &mut Block| {
        b.header.merkle_root = b.compute_merkle_root().expect("txs");
        grind(&mut b.header);
    };

    let mut b = with(&node, vec![]);
    // Any other target is wrong, whatever the hash.
    b.header.bits = bitcoin::CompactTarget::from_consensus(0x207f_fffe);
    assert_eq!(refuse(&mut node, &b), "bad-diffbits");

    let mut b = with(&node, vec![]);
    let cb = b.txdata[0].clone();
    b.txdata.push(cb);
    remerkle(&mut b);
    assert_eq!(refuse(&mut node, &b), "bad-txns-duplicate");

    let spend = pay(&alice, &coin, &to, 10_000, 500);
    let mut b = with(&node, vec![spend.clone()]);
    b.txdata.swap(0, 1);
    remerkle(&mut b);
    assert_eq!(refuse(&mut node, &b), "bad-cb-missing");

    let mut b = with(&node, vec![]);
    let mut second = b.txdata[0].clone();
    second.input[0].script_sig = Builder::new().push_int(77).push_int(77).into_script();
    b.txdata.push(second);
    remerkle(&mut b);
    assert_eq!(refuse(&mut node, &b), "bad-cb-multiple");

    let mut b = with(&node, vec![spend.clone()]);
    b.txdata[0].input[0].witness = Witness::from_slice(&[[0u8; 31]]);
    remerkle(&mut b);
    assert_eq!(refuse(&mut node, &b), "bad-witness-nonce-size");

    let mut b = with(&node, vec![spend.clone()]);
    let last = b.txdata[0].output.len() - 1;
    let mut payload = PushBytesBuf::from([0xaa, 0x21, 0xa9, 0xed]);
    payload.extend_from_slice(&[9u8; 32]).expect("fits");
    b.txdata[0].output[last].script_pubkey = Builder::new()
        .push_opcode(OP_RETURN)
        .push_slice(payload)
        .into_script();
    remerkle(&mut b);
    assert_eq!(refuse(&mut node, &b), "bad-witness-merkle-match");

    let mut late = pay(&alice, &coin, &to, 10_000, 500);
    late.lock_time = absolute::LockTime::from_height(500).expect("height");
    late.input[0].sequence = Sequence::ENABLE_LOCKTIME_NO_RBF;
    sign_all(&alice, &mut late, &[&coin]);
    assert_eq!(
        {
            let b = with(&node, vec![late]);
            refuse(&mut node, &b)
        },
        "bad-txns-nonfinal"
    );

    let mut relative = pay(&alice, &coin, &to, 10_000, 500);
    relative.input[0].sequence = Sequence::from_height(50);
    sign_all(&alice, &mut relative, &[&coin]);
    assert_eq!(
        {
            let b = with(&node, vec![relative]);
            refuse(&mut node, &b)
        },
        "bad-txns-nonfinal"
    );

    let mut bad_sig = spend.clone();
    bad_sig.input[0].witness = Witness::from_slice(&[[7u8; 64]]);
    assert_eq!(
        {
            let b = with(&node, vec![bad_sig]);
            refuse(&mut node, &b)
        },
        "mandatory-script-verify-flag-failed (Invalid Schnorr signature)"
    );

    // 20,001 legacy sigops (OP_CHECKSIG in outputs count even unspent).
    let sigops = ScriptBuf::from_bytes(vec![0xac; 9_000]);
    let mut heavy = unsigned(
        &[&coin],
        (0..3)
            .map(|_| TxOut {
                value: Amount::from_sat(1_000),
                script_pubkey: sigops.clone(),
            })
            .collect(),
    );
    sign_all(&alice, &mut heavy, &[&coin]);
    assert_eq!(
        {
            let b = with(&node, vec![heavy]);
            refuse(&mut node, &b)
        },
        "bad-blk-sigops"
    );

    // A coinbase one block deep cannot be spent in a block either.
    let h = node.mine(&faucet).expect("mines");
    let cb = node.chain.block(&h).expect("read").expect("stored").txdata[0].clone();
    let cb_coin = output_of(&cb, 0);
    let mut spend_cb = unsigned(
        &[&cb_coin],
        vec![TxOut {
            value: Amount::from_sat(1_000_000),
            script_pubkey: to.clone(),
        }],
    );
    sign_all(&Signer::faucet(), &mut spend_cb, &[&cb_coin]);
    let b = with(&node, vec![spend_cb]);
    assert_eq!(
        refuse(&mut node, &b),
        "bad-txns-premature-spend-of-coinbase"
    );

    let good = with(&node, vec![spend]);
    node.submit_block(&good)
        .expect("the untampered block is valid");
    node.chain.check_consistency().expect("consistent");
}

#[test]
fn full_mempool_evicts_the_cheapest_and_raises_the_minimum_fee() {
    let devnet = Devnet::spawn().expect("devnet starts");
    let to = Signer::from_seed(b"to").script_pubkey();
    // Funding mines, so all coins come first.
    let coins: Vec<(Signer, Owned)> = (0..6u8)
        .map(|i| funded(&devnet, &[b'k', i], 1_000_000))
        .collect();
    let tx = |i: usize, fee: u64| pay(&coins[i].0, &coins[i].1, &to, 10_000, fee);
    let one = {
        let t = tx(0, 500);
        let id = devnet.submit(t).expect("accepted");
        let mut node = devnet.node();
        let usage = node.mempool.usage();
        assert!(node.mempool.get(&id).is_some());
        // Room for three such transactions.
        node.mempool.max_usage = 3 * usage + usage / 2;
        id
    };
    devnet.submit(tx(1, 1_000)).expect("fits");
    devnet.submit(tx(2, 2_000)).expect("fits");
    assert_eq!(reason(&devnet, tx(3, 300)), "mempool full");
    devnet.submit(tx(4, 5_000)).expect("evicts the cheapest");
    assert!(
        devnet.node().mempool.get(&one).is_none(),
        "the 500-sat tx was evicted"
    );
    let r = devnet
        .submit(tx(5, 600))
        .expect_err("below the rolling minimum");
    assert_eq!(r.reason, "mempool min fee not met");
    let min = devnet
        .node()
        .mempool
        .min_fee_rate(bitmodel_devnet::node::now());
    assert!(
        min > 1000,
        "the rolling minimum rose above the relay fee: {min}"
    );
}
