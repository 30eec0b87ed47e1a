//! The OP_PUSH_TX splitter against a real Bitcoin SV 1.0.13 regtest node (MVC's script
//! rules): a three-level lineage — an agent whose splitter pays a fine-tune's splitter and 20
//! payees, the fine-tune's pays a base model's and two payees, the base's pays its payees —
//! is paid and distributed by anyone, the node accepting each spend; every output is the
//! rule's. Then the node itself refuses the named attacks on a splitter's spend.

use bitcoin::hashes::Hash;
use bitcoin::secp256k1::Secp256k1;
use bitcoin::{Amount, Network, OutPoint, ScriptBuf, Transaction, TxOut};
use bitmodel_mvc::pin::p2pkh;
use bitmodel_mvc::sighash::{preimage, SighashType};
use bitmodel_mvc::sign_p2pkh;
use bitmodel_mvc::splitter::Splitter;
use bitmodel_testkit::bsv::BsvNode;

mod common;
const FEE: u64 = 20_000;
const VERSION: i32 = 2;

fn payee(i: u32) -> ScriptBuf {
    let mut h = [0x5b; 20];
    h[..4].copy_from_slice(&i.to_le_bytes());
    ScriptBuf::new_p2pkh(&bitcoin::PubkeyHash::from_byte_array(h))
}

struct World {
    node: BsvNode,
    key: bitcoin::secp256k1::SecretKey,
    pk: bitcoin::PublicKey,
    /// A wallet UTXO: (outpoint, value).
    coin: (OutPoint, Amount),
}

impl World {
    fn new() -> World {
        let f = common::funded();
        World {
            node: f.node,
            key: f.key,
            pk: f.pk,
            coin: (f.coin.0, f.coin.1.value),
        }
    }

    /// Pays `sats` from the wallet to `script`; returns the new output, mined.
    fn pay(&mut self, script: &ScriptBuf, sats: u64) -> OutPoint {
        let (op, value) = self.coin;
        let mut tx = Transaction {
            version: bitcoin::transaction::Version::TWO,
            lock_time: bitcoin::absolute::LockTime::ZERO,
            input: vec![bitcoin::TxIn {
                previous_output: op,
                script_sig: ScriptBuf::new(),
                sequence: bitcoin::Sequence::MAX,
                witness: bitcoin::Witness::new(),
            }],
            output: vec![
                TxOut {
                    value: Amount::from_sat(sats),
                    script_pubkey: script.clone(),
                },
                p2pkh(&self.pk, value.to_sat() - sats - 10_000),
            ],
        };
        sign_p2pkh(&Secp256k1::new(), &mut tx, 0, &self.key, value).unwrap();
        let txid = self.node.client().send_raw_transaction(&tx).unwrap();
        self.coin = (OutPoint::new(txid, 1), tx.output[1].value);
        self.mine();
        OutPoint::new(txid, 0)
    }

    fn mine(&self) {
        let a = bitcoin::Address::p2pkh(self.pk, Network::Regtest);
        self.node.mine_to(1, &a.to_string());
    }

    /// The node refuses `tx` for its script (high fees allowed, so that a fee is never
    /// the reason).
    fn refused(&self, tx: &Transaction, what: &str) {
        let hex = bitcoin::consensus::encode::serialize_hex(tx);
        match self
            .node
            .client()
            .call_value("sendrawtransaction", serde_json::json!([hex, true]))
        {
            Ok(txid) => panic!("the node accepted an attack ({what}): {txid}"),
            Err(e) => {
                assert!(
                    e.to_string()
                        .contains("mandatory-script-verify-flag-failed"),
                    "{what}: {e}"
                );
                eprintln!("refused, {what}: {e}");
            }
        }
    }
}

fn splitter(parents: Vec<(ScriptBuf, u16)>, owner: u32) -> Splitter {
    Splitter {
        parents,
        owner: payee(owner),
        fee_cap: 50_000,
    }
}

#[test]
fn a_three_level_lineage_is_distributed_and_attacks_are_refused_by_the_node() {
    let mut w = World::new();
    let c = w.node.client();
    let base = splitter((0..3).map(|i| (payee(100 + i), 2_000)).collect(), 1);
    let tune = splitter(
        vec![(base.script(), 3_000), (payee(200), 500), (payee(201), 250)],
        2,
    );
    let mut agent_parents = vec![(tune.script(), 4_000)];
    agent_parents.extend((0..20).map(|i| (payee(300 + i), 1 + 10 * i as u16)));
    let agent = splitter(agent_parents, 3);
    eprintln!(
        "splitter scripts: base {} B, tune {} B, agent (21 parents) {} B",
        base.script().len(),
        tune.script().len(),
        agent.script().len()
    );
    let paid = 1_000_000_000u64;
    let at = w.pay(&agent.script(), paid);

    // The attacks, on the agent's spend; each is refused by the node.
    let honest = agent.spend(at, paid, FEE, VERSION).unwrap();
    let outs = agent.outputs(paid, FEE).unwrap();
    let k = outs.len();
    let mut attacks: Vec<(&str, Transaction)> = Vec::new();
    let with = |outputs: Vec<TxOut>| agent.spend_with(at, paid, FEE, outputs, VERSION).unwrap();
    let mut o = outs.clone();
    o[1].script_pubkey = payee(999);
    attacks.push(("redirect a payee's share", with(o)));
    let mut o = outs.clone();
    o[1].value -= Amount::from_sat(1);
    o[k - 1].value += Amount::from_sat(1);
    attacks.push(("skim 1 sat to the owner", with(o)));
    let mut o = outs.clone();
    o[2].value -= Amount::from_sat(1);
    attacks.push(("skim 1 sat to the fee", with(o)));
    let mut o = outs.clone();
    o.push(TxOut {
        value: Amount::from_sat(1_000),
        script_pubkey: payee(999),
    });
    o[k - 1].value -= Amount::from_sat(1_000);
    attacks.push(("an extra output", with(o)));
    let mut o = outs.clone();
    o.swap(1, 2);
    attacks.push(("two parents' outputs swapped", with(o)));
    let mut o = outs.clone();
    o.pop();
    attacks.push(("the owner's output dropped", with(o)));
    let mut o = outs.clone();
    o[1].value += Amount::from_sat(1);
    o[2].value -= Amount::from_sat(1);
    attacks.push(("one sat moved between parents", with(o)));
    // Fee over the cap: outputs computed for cap + 1.
    let mut big = agent.clone();
    big.fee_cap = 60_000;
    let o = big.outputs(paid, 50_001).unwrap();
    let mut t = agent.spend_with(at, paid, 50_001, o, VERSION).unwrap();
    attacks.push(("a fee over the cap", t.clone()));
    // Forged preimages: of an understated amount, of another sighash type, of another
    // transaction; and a tampered fee argument.
    let forge = |tx: &Transaction, amount: u64, ty: SighashType| {
        let p = preimage(tx, 0, &agent.script(), Amount::from_sat(amount), ty).unwrap();
        let mut t = tx.clone();
        t.input[0].script_sig = agent.unlocking(FEE, &p);
        t
    };
    attacks.push((
        "a preimage understating the amount",
        forge(&honest, paid - 100_000, SighashType::ALL),
    ));
    attacks.push((
        "a preimage of SIGHASH_NONE",
        forge(&honest, paid, SighashType::NONE),
    ));
    let mut other = honest.clone();
    other.lock_time =
        bitcoin::absolute::LockTime::from_consensus(honest.lock_time.to_consensus_u32() + 1);
    let p = preimage(
        &other,
        0,
        &agent.script(),
        Amount::from_sat(paid),
        SighashType::ALL,
    )
    .unwrap();
    t = honest.clone();
    t.input[0].script_sig = agent.unlocking(FEE, &p);
    attacks.push(("the preimage of another transaction", t));
    let p = preimage(
        &honest,
        0,
        &agent.script(),
        Amount::from_sat(paid),
        SighashType::ALL,
    )
    .unwrap();
    let mut t = honest.clone();
    t.input[0].script_sig = agent.unlocking(FEE + 1, &p);
    attacks.push(("the fee argument changed", t));
    let mut t = honest.clone();
    t.input[0].script_sig = agent.unlocking(u64::MAX >> 1, &p);
    attacks.push(("a huge fee argument", t));
    // A parent script swapped for another in the unlocking script.
    let mut liar = agent.clone();
    liar.parents[1].0 = payee(999);
    let mut t = honest.clone();
    t.input[0].script_sig = liar.unlocking(FEE, &p);
    attacks.push(("a parent's script substituted", t));
    // Another splitter's spend (other weights) on this output.
    let mut other = agent.clone();
    other.parents[1].1 += 1;
    let o = other.outputs(paid, FEE).unwrap();
    attacks.push(("outputs of other weights", with(o)));
    assert!(attacks.len() >= 12);
    for (what, tx) in &attacks {
        w.refused(tx, what);
    }
    eprintln!(
        "{} attacks on the splitter refused by the BSV node",
        attacks.len()
    );

    // Honest: the agent, then the tune, then the base, each pushed by anyone.
    let txid = c.send_raw_transaction(&honest).unwrap();
    assert_eq!(honest.output, outs);
    w.mine();
    let tune_amount = outs[0].value.to_sat();
    assert_eq!(tune_amount, (paid - FEE) * 4_000 / 10_000);
    let t2 = tune
        .spend(OutPoint::new(txid, 0), tune_amount, FEE, VERSION)
        .unwrap();
    let txid2 = c.send_raw_transaction(&t2).unwrap();
    w.mine();
    let base_amount = t2.output[0].value.to_sat();
    assert_eq!(base_amount, (tune_amount - FEE) * 3_000 / 10_000);
    let t3 = base
        .spend(OutPoint::new(txid2, 0), base_amount, FEE, VERSION)
        .unwrap();
    c.send_raw_transaction(&t3).unwrap();
    w.mine();
    // Every sat accounted for: outputs plus fees equal the payment.
    let leaves: u64 = outs[1..]
        .iter()
        .chain(&t2.output[1..])
        .chain(&t3.output)
        .map(|o| o.value.to_sat())
        .sum();
    assert_eq!(leaves + 3 * FEE, paid);
    let size = |t: &Transaction| bitcoin::consensus::serialize(t).len();
    eprintln!(
        "mvc splitter spends: agent (21 parents) {} B, tune (3) {} B, base (3) {} B",
        size(&honest),
        size(&t2),
        size(&t3)
    );
}
