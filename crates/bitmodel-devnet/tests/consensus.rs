//! Library-level consensus and policy tests: real signed transactions and real blocks, each
//! bad one refused with Bitcoin Core's reject reason.

mod common;

use std::sync::Arc;

use bitcoin::hashes::Hash;
use bitcoin::key::Secp256k1;
use bitcoin::opcodes::all::{OP_CAT, OP_ENDIF, OP_EQUAL, OP_IF, OP_PUSHNUM_1};
use bitcoin::script::Builder;
use bitcoin::taproot::{LeafVersion, TaprootBuilder};
use bitcoin::{absolute, Amount, ScriptBuf, Sequence, TxOut, Witness, XOnlyPublicKey};
use bitmodel_devnet::faucet::Signer;
use bitmodel_devnet::params::{block_subsidy, COIN, MAX_MONEY};
use bitmodel_devnet::{Devnet, RejectClass};
use common::{funded, output_of, pay, sign_all, unsigned};

fn reason(devnet: &Devnet, tx: bitcoin::Transaction) -> String {
    devnet
        .submit(tx)
        .expect_err("the transaction must be refused")
        .reason
}

#[test]
fn genesis_and_fractal_subsidy() {
    let devnet = Devnet::spawn().expect("devnet starts");
    assert_eq!(
        devnet.node().chain.tip().to_string(),
        "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"
    );
    let hashes = devnet.mine(2).expect("mining works");
    let node = devnet.node();
    let b1 = node.chain.block(&hashes[0]).expect("read").expect("stored");
    assert_eq!(b1.txdata[0].output[0].value.to_sat(), 105_000_000 * COIN);
    let b2 = node.chain.block(&hashes[1]).expect("read").expect("stored");
    assert_eq!(b2.txdata[0].output[0].value.to_sat(), 25 * COIN);
    assert_eq!(block_subsidy(150), 25 * COIN / 2);
    assert_eq!(b1.header.bits.to_consensus(), 0x207f_ffff);
    assert!(b1.header.version.to_consensus() >= 4);
    assert_eq!(b1.header.version.to_consensus() & 0x100, 0);
    // The first block's subsidy alone is five times Bitcoin's whole money supply.
    assert!(b1.txdata[0].output[0].value.to_sat() > Amount::MAX_MONEY.to_sat());
}

#[test]
fn signed_spend_is_accepted_and_mined() {
    let devnet = Devnet::spawn().expect("devnet starts");
    let (alice, coin) = funded(&devnet, b"alice", 50_000_000);
    let bob = Signer::from_seed(b"bob");
    let tx = pay(&alice, &coin, &bob.script_pubkey(), 10_000_000, 500);
    let txid = devnet
        .submit(tx.clone())
        .expect("a valid spend is accepted");
    assert!(devnet.node().mempool.get(&txid).is_some());
    let block = devnet.mine(1).expect("mines")[0];
    let node = devnet.node();
    assert_eq!(
        node.chain.tx_location(&txid).expect("index readable"),
        Some((block, 1))
    );
    assert!(node.mempool.is_empty());
    assert!(node.chain.coin(&output_of(&tx, 0).outpoint).is_some());
    assert!(node.chain.coin(&coin.outpoint).is_none());
}

#[test]
fn policy_and_consensus_reject_reasons() {
    let devnet = Devnet::spawn().expect("devnet starts");
    let (alice, coin) = funded(&devnet, b"alice", 1_000_000);
    let to = Signer::from_seed(b"bob").script_pubkey();

    assert_eq!(reason(&devnet, pay(&alice, &coin, &to, 100, 500)), "dust");
    let r = devnet
        .submit(pay(&alice, &coin, &to, 10_000, 10))
        .expect_err("fee below 1 sat/vB");
    assert_eq!(r.reason, "min relay fee not met");
    assert_eq!(r.core_message(), "min relay fee not met, 10 < 154");

    let mut bad_sig = pay(&alice, &coin, &to, 10_000, 500);
    let mut sig = bad_sig.input[0].witness.nth(0).expect("signed").to_vec();
    sig[10] ^= 1;
    bad_sig.input[0].witness = Witness::from_slice(&[sig]);
    assert_eq!(
        reason(&devnet, bad_sig),
        "mandatory-script-verify-flag-failed (Invalid Schnorr signature)"
    );

    let mut missing = coin_clone(&coin);
    missing.outpoint.vout = 7;
    let r = devnet
        .submit(pay(&alice, &missing, &to, 10_000, 500))
        .expect_err("input does not exist");
    assert_eq!(r.reason, "bad-txns-inputs-missingorspent");
    assert_eq!(r.class, RejectClass::MissingInputs);

    let mut too_much = unsigned(
        &[&coin],
        vec![TxOut {
            value: Amount::from_sat(2_000_000),
            script_pubkey: to.clone(),
        }],
    );
    sign_all(&alice, &mut too_much, &[&coin]);
    let r = devnet.submit(too_much).expect_err("outputs exceed inputs");
    assert_eq!(r.reason, "bad-txns-in-belowout");
    assert_eq!(
        r.debug.as_deref(),
        Some("value in (0.01000000) < value out (0.02000000)")
    );

    let mut v3 = pay(&alice, &coin, &to, 10_000, 500);
    v3.version = bitcoin::transaction::Version(3);
    sign_all(&alice, &mut v3, &[&coin]);
    assert_eq!(reason(&devnet, v3), "version");

    let big_data = Builder::new()
        .push_opcode(bitcoin::opcodes::all::OP_RETURN)
        .push_slice(bitcoin::script::PushBytesBuf::try_from(vec![7u8; 81]).expect("fits"))
        .into_script();
    let mut data = pay(&alice, &coin, &to, 10_000, 500);
    data.output.push(TxOut {
        value: Amount::ZERO,
        script_pubkey: big_data,
    });
    sign_all(&alice, &mut data, &[&coin]);
    assert_eq!(reason(&devnet, data), "scriptpubkey");

    let mut huge = pay(&alice, &coin, &to, 10_000, 500);
    huge.output[0].value = Amount::from_sat(MAX_MONEY + 1);
    assert_eq!(reason(&devnet, huge), "bad-txns-vout-toolarge");

    let mut future = pay(&alice, &coin, &to, 10_000, 500);
    future.lock_time = absolute::LockTime::from_height(1000).expect("valid height");
    sign_all(&alice, &mut future, &[&coin]);
    assert_eq!(reason(&devnet, future), "non-final");

    let mut relative = pay(&alice, &coin, &to, 10_000, 500);
    relative.input[0].sequence = Sequence::from_height(10);
    sign_all(&alice, &mut relative, &[&coin]);
    let r = devnet
        .submit(relative)
        .expect_err("relative lock not reached");
    assert_eq!(r.reason, "non-BIP68-final");
}

fn coin_clone(c: &common::Owned) -> common::Owned {
    common::Owned {
        outpoint: c.outpoint,
        output: c.output.clone(),
    }
}

#[test]
fn premature_coinbase_spend_is_refused() {
    let devnet = Devnet::spawn().expect("devnet starts");
    let miner = Signer::from_seed(b"miner");
    devnet.mine(101).expect("mines");
    let hash = devnet.mine_to(1, &miner.script_pubkey()).expect("mines")[0];
    let cb = devnet
        .node()
        .chain
        .block(&hash)
        .expect("read")
        .expect("stored")
        .txdata[0]
        .clone();
    let coin = output_of(&cb, 0);
    let tx = pay(
        &miner,
        &coin,
        &Signer::from_seed(b"x").script_pubkey(),
        1_000_000,
        500,
    );
    let r = devnet.submit(tx).expect_err("immature coinbase");
    assert_eq!(r.reason, "bad-txns-premature-spend-of-coinbase");
    assert_eq!(
        r.debug.as_deref(),
        Some("tried to spend coinbase at depth 1")
    );
}

#[test]
fn minimalif_is_policy_only_in_segwit_v0() {
    let devnet = Devnet::spawn().expect("devnet starts");
    let witness_script = Builder::new()
        .push_opcode(OP_IF)
        .push_opcode(OP_PUSHNUM_1)
        .push_opcode(OP_ENDIF)
        .into_script();
    let p2wsh = ScriptBuf::new_p2wsh(&witness_script.wscript_hash());
    let op = devnet
        .fund(&p2wsh, Amount::from_sat(100_000))
        .expect("funds p2wsh");
    let coin = common::Owned {
        outpoint: op,
        output: TxOut {
            value: Amount::from_sat(100_000),
            script_pubkey: p2wsh,
        },
    };
    let spend = |arg: Vec<u8>| {
        let mut tx = unsigned(
            &[&coin],
            vec![TxOut {
                value: Amount::from_sat(90_000),
                script_pubkey: Signer::from_seed(b"y").script_pubkey(),
            }],
        );
        tx.input[0].witness = Witness::from_slice(&[arg, witness_script.to_bytes()]);
        tx
    };
    assert_eq!(
        reason(&devnet, spend(vec![2])),
        "non-mandatory-script-verify-flag (OP_IF/NOTIF argument must be minimal)"
    );
    devnet
        .submit(spend(vec![1]))
        .expect("minimal argument is standard");
}

#[test]
fn op_cat_tapscript_spend() {
    let devnet = Devnet::spawn().expect("devnet starts");
    let secp = Secp256k1::new();
    // NUMS point: no key-path spend.
    let nums = XOnlyPublicKey::from_slice(
        &bitcoin::hex::FromHex::from_hex(
            "50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0",
        )
        .map(|v: Vec<u8>| v)
        .expect("hex"),
    )
    .expect("valid x-only key");
    let leaf = Builder::new()
        .push_opcode(OP_CAT)
        .push_slice(b"bitmodel")
        .push_opcode(OP_EQUAL)
        .into_script();
    let info = TaprootBuilder::new()
        .add_leaf(0, leaf.clone())
        .expect("one leaf")
        .finalize(&secp, nums)
        .expect("finalizes");
    let script = ScriptBuf::new_p2tr_tweaked(info.output_key());
    let control = info
        .control_block(&(leaf.clone(), LeafVersion::TapScript))
        .expect("leaf is in the tree");
    let op = devnet
        .fund(&script, Amount::from_sat(100_000))
        .expect("funds the vault");
    let coin = common::Owned {
        outpoint: op,
        output: TxOut {
            value: Amount::from_sat(100_000),
            script_pubkey: script,
        },
    };
    let spend = |a: &[u8], b: &[u8]| {
        let mut tx = unsigned(
            &[&coin],
            vec![TxOut {
                value: Amount::from_sat(99_000),
                script_pubkey: Signer::from_seed(b"z").script_pubkey(),
            }],
        );
        tx.input[0].witness =
            Witness::from_slice(&[a.to_vec(), b.to_vec(), leaf.to_bytes(), control.serialize()]);
        tx
    };
    assert_eq!(
        reason(&devnet, spend(b"bit", b"coin")),
        "mandatory-script-verify-flag-failed (Script evaluated without error but finished with a false/empty top stack element)"
    );
    let txid = devnet
        .submit(spend(b"bit", b"model"))
        .expect("OP_CAT spend is valid");
    devnet.mine(1).expect("mines");
    assert!(devnet
        .node()
        .chain
        .tx_location(&txid)
        .expect("readable")
        .is_some());
}

#[test]
fn replacement_and_chain_limits() {
    let devnet = Devnet::spawn().expect("devnet starts");
    let (alice, coin) = funded(&devnet, b"alice", 10_000_000);
    let bob = Signer::from_seed(b"bob").script_pubkey();
    let a = pay(&alice, &coin, &bob, 1_000_000, 500);
    let a_id = devnet.submit(a).expect("first spend");
    // Same fee rate: refused.
    let same = pay(&alice, &coin, &bob, 1_000_001, 500);
    assert_eq!(reason(&devnet, same), "insufficient fee");
    // Higher fee: replaces.
    let b = pay(&alice, &coin, &bob, 1_000_000, 2_000);
    let b_id = devnet.submit(b.clone()).expect("replacement pays more");
    {
        let node = devnet.node();
        assert!(node.mempool.get(&a_id).is_none());
        assert!(node.mempool.get(&b_id).is_some());
    }
    // A chain of descendants stops at 25.
    let mut parent = output_of(&b, 1);
    for i in 0..24 {
        let tx = pay(&alice, &parent, &bob, 10_000, 500);
        devnet
            .submit(tx.clone())
            .unwrap_or_else(|e| panic!("descendant {i} accepted: {e}"));
        parent = output_of(&tx, 1);
    }
    let r = devnet
        .submit(pay(&alice, &parent, &bob, 10_000, 500))
        .expect_err("26th in a chain");
    assert_eq!(r.reason, "too-long-mempool-chain");
    // Non-signalling transactions cannot be replaced.
    let (carol, c_coin) = funded(&devnet, b"carol", 1_000_000);
    let mut final_tx = pay(&carol, &c_coin, &bob, 10_000, 500);
    final_tx.input[0].sequence = Sequence::MAX;
    sign_all(&carol, &mut final_tx, &[&c_coin]);
    devnet.submit(final_tx).expect("accepted");
    let r = devnet
        .submit(pay(&carol, &c_coin, &bob, 10_000, 5_000))
        .expect_err("conflict with a final transaction");
    assert_eq!(r.reason, "txn-mempool-conflict");
}

#[test]
fn block_assembly_prefers_ancestor_fee_rate() {
    let devnet = Devnet::spawn().expect("devnet starts");
    let (alice, coin) = funded(&devnet, b"alice", 10_000_000);
    let (carol, c_coin) = funded(&devnet, b"carol", 10_000_000);
    let bob = Signer::from_seed(b"bob").script_pubkey();
    let parent = pay(&alice, &coin, &bob, 1_000_000, 160); // ~1 sat/vB
    let child = pay(&alice, &output_of(&parent, 1), &bob, 1_000_000, 3_000); // CPFP
    let medium = pay(&carol, &c_coin, &bob, 1_000_000, 1_000); // ~6.5 sat/vB
    for tx in [&parent, &child, &medium] {
        devnet.submit(tx.clone()).expect("accepted");
    }
    let node = devnet.node();
    let sel = bitmodel_devnet::mempool::assemble::select(&node.mempool);
    let order: Vec<_> = sel.txs.iter().map(|t| t.compute_txid()).collect();
    assert_eq!(
        order,
        vec![
            parent.compute_txid(),
            child.compute_txid(),
            medium.compute_txid()
        ]
    );
    assert_eq!(sel.fees, 160 + 3_000 + 1_000);
}

#[test]
fn invalidate_reconsider_and_reorg_return_transactions() {
    let devnet = Devnet::spawn().expect("devnet starts");
    let (alice, coin) = funded(&devnet, b"alice", 1_000_000);
    let tx = pay(
        &alice,
        &coin,
        &Signer::from_seed(b"b").script_pubkey(),
        10_000,
        500,
    );
    let txid = devnet.submit(tx).expect("accepted");
    let mined = devnet.mine(2).expect("mines");
    let h = devnet.node().chain.height();
    devnet.node().invalidate(mined[0]).expect("invalidates");
    {
        let node = devnet.node();
        assert_eq!(node.chain.height(), h - 2);
        assert!(
            node.mempool.get(&txid).is_some(),
            "transaction back in the mempool"
        );
    }
    let fork = devnet.mine(3).expect("mines a fork");
    let tips = devnet.node().chain.tips();
    assert_eq!(tips.len(), 2);
    assert_eq!(tips[0].hash, fork[2]);
    assert_eq!(tips[1].status.as_str(), "invalid");
    devnet.node().reconsider(mined[0]).expect("reconsiders");
    // The fork has more work and stays active; the old branch is a valid fork now.
    let node = devnet.node();
    assert_eq!(node.chain.tip(), fork[2]);
    let old = node
        .chain
        .tips()
        .into_iter()
        .find(|t| t.hash == mined[1])
        .expect("old tip");
    assert_eq!(old.status.as_str(), "valid-fork");
    node.chain.check_consistency().expect("state is consistent");
}

#[test]
fn bad_blocks_are_refused_with_core_reasons() {
    use bitmodel_devnet::miner::{build_block, grind};
    let devnet = Devnet::spawn().expect("devnet starts");
    let (alice, coin) = funded(&devnet, b"alice", 1_000_000);
    let spend = pay(
        &alice,
        &coin,
        &Signer::from_seed(b"b").script_pubkey(),
        10_000,
        500,
    );
    let faucet = Signer::faucet().script_pubkey();
    let now = bitmodel_devnet::node::now() as u32;
    let mut node = devnet.node();
    let fresh = |node: &bitmodel_devnet::Node| {
        build_block(
            &node.chain,
            &faucet,
            vec![Arc::new(spend.clone())],
            None,
            now,
        )
    };
    let refuse = |node: &mut bitmodel_devnet::Node, b: bitcoin::Block| match node.submit_block(&b) {
        Err(bitmodel_devnet::DevnetError::Rejected(r)) => r.reason,
        other => panic!("block must be refused, got {other:?}"),
    };
    let remerkle = |b: &mut bitcoin::Block| {
        b.header.merkle_root = b.compute_merkle_root().expect("has txs");
        grind(&mut b.header);
    };

    let mut b = fresh(&node);
    while b.header.validate_pow(b.header.target()).is_ok() {
        b.header.nonce += 1;
    }
    assert_eq!(refuse(&mut node, b), "high-hash");

    let mut b = fresh(&node);
    b.txdata[0].output[0].value += Amount::from_sat(1);
    remerkle(&mut b);
    assert_eq!(refuse(&mut node, b), "bad-cb-amount");

    let mut b = fresh(&node);
    b.header.merkle_root = bitcoin::TxMerkleNode::all_zeros();
    grind(&mut b.header);
    assert_eq!(refuse(&mut node, b), "bad-txnmrklroot");

    let mut b = fresh(&node);
    b.header.time = node.chain.mtp(node.chain.height());
    grind(&mut b.header);
    assert_eq!(refuse(&mut node, b), "time-too-old");

    let mut b = fresh(&node);
    b.header.time = now + 3 * 3600;
    grind(&mut b.header);
    assert_eq!(refuse(&mut node, b), "time-too-new");

    let mut b = fresh(&node);
    b.header.version = bitcoin::block::Version::from_consensus(3);
    grind(&mut b.header);
    assert_eq!(refuse(&mut node, b), "bad-version(0x00000003)");

    let mut b = fresh(&node);
    b.header.version = bitcoin::block::Version::from_consensus(0x2000_0100);
    grind(&mut b.header);
    // The auxpow bit without an auxpow proof fails proof of work, as on Fractal.
    assert_eq!(refuse(&mut node, b), "high-hash");

    let mut b = fresh(&node);
    b.txdata[0].input[0].script_sig = Builder::new().push_int(999).push_int(0).into_script();
    remerkle(&mut b);
    assert_eq!(refuse(&mut node, b), "bad-cb-height");

    let mut b = fresh(&node);
    b.txdata[0].output.pop(); // drop the witness commitment
    remerkle(&mut b);
    assert_eq!(refuse(&mut node, b), "unexpected-witness");

    let mut b = fresh(&node);
    let mut double = spend.clone();
    double.output[0].value -= Amount::from_sat(1);
    sign_all(&alice, &mut double, &[&coin]);
    b.txdata.push(double);
    // Recompute the commitment for the new transaction list.
    let rebuilt = build_block(
        &node.chain,
        &faucet,
        b.txdata[1..].iter().cloned().map(Arc::new).collect(),
        None,
        now,
    );
    assert_eq!(refuse(&mut node, rebuilt), "bad-txns-inputs-missingorspent");

    let good = fresh(&node);
    let hash = good.block_hash();
    node.submit_block(&good)
        .expect("the untampered block is valid");
    assert_eq!(node.chain.tip(), hash);
}

#[test]
fn state_and_mempool_survive_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = bitmodel_devnet::Config {
        datadir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let (tip, utxos, pending) = {
        let devnet = Devnet::spawn_with(config.clone()).expect("devnet starts");
        let (alice, coin) = funded(&devnet, b"alice", 1_000_000);
        let to = Signer::from_seed(b"c").script_pubkey();
        let pending = devnet
            .submit(pay(&alice, &coin, &to, 1_000, 500))
            .expect("accepted");
        let node = devnet.node();
        (node.chain.tip(), node.chain.utxos().len(), pending)
    };
    let devnet = Devnet::spawn_with(config).expect("devnet restarts");
    {
        let node = devnet.node();
        assert_eq!(node.chain.tip(), tip);
        assert_eq!(node.chain.utxos().len(), utxos);
        assert!(
            node.mempool.get(&pending).is_some(),
            "a clean shutdown keeps the mempool"
        );
        let c = node.chain.check_consistency().expect("consistent");
        assert_eq!(c.utxos, utxos);
    }
    devnet.mine(1).expect("mines");
    let node = devnet.node();
    assert!(node.chain.tx_location(&pending).expect("index").is_some());
}
