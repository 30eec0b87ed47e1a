//! End to end on the embedded devnet (real consensus, OP_CAT, Core 24 mempool policy):
//! register a lineage by commit/reveal, pay the top asset, push the money up with covenant
//! distributions and merges through the mempool, follow the chain over JSON-RPC, survive a
//! reorg, and account for every sat.

use bitcoin::hashes::Hash;
use bitcoin::{Amount, OutPoint, ScriptBuf, TxOut, WPubkeyHash};
use bitmodel_covenant::spend::{build_distribute_at_rate, recommended_fee_cap};
use bitmodel_covenant::{build_merge, Utxo, Vault};
use bitmodel_devnet::Devnet;
use bitmodel_index::sync::sync;
use bitmodel_index::Index;
use bitmodel_protocol::envelope::Inscription;
use bitmodel_protocol::{AssetId, Chain, Kind, Parent, Record, Relation};
use bitmodel_testkit::fixture::{self, owner};

fn record(name: &str, kind: Kind, n: u8, parents: &[(AssetId, u16, Relation)]) -> Record {
    Record {
        kind,
        license: "Apache-2.0".into(),
        parents: parents
            .iter()
            .map(|(asset, weight, relation)| Parent {
                asset: *asset,
                weight: *weight,
                relation: *relation,
            })
            .collect(),
        ..fixture::record(name, owner(n), recommended_fee_cap(parents.len()))
    }
}

/// Commit (funded by the faucet and mined), then reveal (mined). Returns the asset ids.
fn register(dn: &Devnet, records: &[&Record]) -> Vec<AssetId> {
    let insc: Vec<Inscription> = records
        .iter()
        .map(|r| Inscription::bitmodel(r, "text/markdown", format!("# {}", r.name).into_bytes()))
        .collect();
    bitmodel_testkit::assets::inscribe(dn, &insc, &owner(200))
}

fn vault(index: &Index, id: &AssetId) -> Vault {
    index.vault(id).unwrap().expect("the asset has a vault")
}

fn utxo_of(tx_out: &[TxOut], txid: bitcoin::Txid, spk: &ScriptBuf) -> Utxo {
    let vout = tx_out.iter().position(|o| o.script_pubkey == *spk).unwrap();
    Utxo {
        outpoint: OutPoint {
            txid,
            vout: vout as u32,
        },
        amount: tx_out[vout].value.to_sat(),
    }
}

#[test]
fn lineage_paid_distributed_and_indexed_on_the_devnet() {
    let dn = Devnet::spawn().unwrap();
    let client = dn.client().unwrap();
    let dir = std::env::temp_dir().join(format!("bitmodel-index-devnet-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let index = Index::open(&dir.join("index.redb"), Chain::Devnet).unwrap();
    let follow = |index: &Index| sync(index, &client, 0, |_, _| {}).unwrap();

    let paper_r = record("Attention Is All You Need", Kind::Paper, 1, &[]);
    let data_r = record("English Wikipedia", Kind::Dataset, 2, &[]);
    let ids = register(&dn, &[&paper_r, &data_r]);
    let (paper, data) = (ids[0], ids[1]);
    let base = register(
        &dn,
        &[&record(
            "bert-base",
            Kind::Model,
            3,
            &[
                (paper, 500, Relation::Architecture),
                (data, 500, Relation::Dataset),
            ],
        )],
    )[0];
    let ft = register(
        &dn,
        &[&record(
            "bert-ft",
            Kind::Model,
            4,
            &[
                (base, 2000, Relation::Finetune),
                (data, 500, Relation::Dataset),
            ],
        )],
    )[0];
    follow(&index);
    for id in [paper, data, base, ft] {
        assert!(index.asset(&id).unwrap().is_some(), "{id} indexed");
    }

    // Pay the fine-tune three times; distribute one payment, merge the other two.
    let ft_vault = vault(&index, &ft);
    let pays: Vec<OutPoint> = (0..3)
        .map(|i| {
            dn.fund(
                ft_vault.script_pubkey(),
                Amount::from_sat(300_000 + 10_000 * i),
            )
            .unwrap()
        })
        .collect();
    let u = |op: OutPoint, amount: u64| Utxo {
        outpoint: op,
        amount,
    };
    let dist = build_distribute_at_rate(&ft_vault, u(pays[0], 300_000), 1)
        .unwrap()
        .tx;
    let merge = build_merge(
        &ft_vault,
        &[u(pays[1], 310_000), u(pays[2], 320_000)],
        2_000,
    )
    .unwrap()
    .tx;

    // An attacker's variant of the distribution is refused by the node's script checks.
    let mut evil = dist.clone();
    evil.output[0].script_pubkey = owner(66);
    let reject = dn.submit(evil).unwrap_err();
    assert!(
        format!("{reject:?}").contains("script-verify-flag"),
        "{reject:?}"
    );

    let dist_id = dn
        .submit(dist.clone())
        .unwrap_or_else(|r| panic!("honest distribute rejected: {r:?}"));
    dn.submit(merge)
        .unwrap_or_else(|r| panic!("honest merge rejected: {r:?}"));
    dn.mine(1).unwrap();
    follow(&index);

    // Push the base's share further up.
    let base_vault = vault(&index, &base);
    let base_utxo = utxo_of(&dist.output, dist_id, base_vault.script_pubkey());
    let dist2 = build_distribute_at_rate(&base_vault, base_utxo, 1)
        .unwrap()
        .tx;
    dn.submit(dist2)
        .unwrap_or_else(|r| panic!("base distribute rejected: {r:?}"));
    let tip_before = dn.mine(1).unwrap()[0];
    let report = follow(&index);
    assert_eq!(report.applied, 1);

    let t = index.totals().unwrap();
    assert_eq!(t.payments_in, 930_000);
    assert_eq!(
        t.payments_in,
        t.paid_out + t.fees + t.waiting,
        "every sat accounted for: {t:?}"
    );
    let s = index.stats(&ft).unwrap().unwrap();
    assert_eq!((s.distributions, s.merges, s.payments), (1, 1, 3));
    assert!(
        index.stats(&paper).unwrap().unwrap().waiting > 0,
        "money reached the paper"
    );
    let full = index.dump().unwrap();

    // Reorg: invalidate the last block over RPC; the index follows back, then forward again.
    client
        .call_value(
            "invalidateblock",
            serde_json::json!([tip_before.to_string()]),
        )
        .unwrap();
    let back = follow(&index);
    assert_eq!(back.rolled_back, 1);
    assert!(index.stats(&paper).unwrap().unwrap().waiting == 0);
    client
        .call_value(
            "reconsiderblock",
            serde_json::json!([tip_before.to_string()]),
        )
        .unwrap();
    follow(&index);
    assert_eq!(index.dump().unwrap(), full);
}

/// Two assets with equal terms (owner, parents, weights, fee cap) have one vault: its
/// payments stay booked to the first, the second shows the vault as shared, and no sat is
/// counted twice.
#[test]
fn assets_with_equal_terms_share_one_vault_booked_to_the_first() {
    let dn = Devnet::spawn().unwrap();
    let client = dn.client().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let index = Index::open(&dir.path().join("index.redb"), Chain::Devnet).unwrap();
    let v1 = register(&dn, &[&record("model v1", Kind::Model, 7, &[])])[0];
    let v2 = register(&dn, &[&record("model v2", Kind::Model, 7, &[])])[0];
    sync(&index, &client, 0, |_, _| {}).unwrap();
    let spk = index.asset(&v1).unwrap().unwrap().vault.unwrap();
    assert_eq!(index.asset(&v2).unwrap().unwrap().vault.unwrap(), spk);
    dn.fund(&spk, Amount::from_sat(50_000)).unwrap();
    dn.mine(1).unwrap();
    sync(&index, &client, 0, |_, _| {}).unwrap();
    assert_eq!(index.stats(&v1).unwrap().unwrap().payments_in, 50_000);
    assert_eq!(index.stats(&v2).unwrap().unwrap().payments_in, 0);
    let first = index.vault_status(&v1).unwrap().unwrap();
    let second = index.vault_status(&v2).unwrap().unwrap();
    assert_eq!(first.shared_with, None);
    assert_eq!(second.shared_with, Some(v1));
    assert_eq!(
        (first.balance, second.balance),
        (50_000, 50_000),
        "one vault"
    );
    let t = index.totals().unwrap();
    assert_eq!(t.payments_in, 50_000);
    assert_eq!(t.payments_in, t.paid_out + t.fees + t.waiting);
}

/// Payees (record format v3): a model paying its paper's author and a data contributor
/// directly. The distribution pays both scripts their exact shares, the index books them as
/// paid out (earnings of the scripts, `to_payees` in the event) beside the parent's share,
/// and the books balance.
#[test]
fn payees_are_paid_out_by_the_distribution_and_booked() {
    let dn = Devnet::spawn().unwrap();
    let client = dn.client().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let index = Index::open(&dir.path().join("index.redb"), Chain::Devnet).unwrap();
    let follow = |index: &Index| sync(index, &client, 0, |_, _| {}).unwrap();
    let base = register(&dn, &[&record("base", Kind::Model, 1, &[])])[0];
    let author = ScriptBuf::new_p2wpkh(&WPubkeyHash::from_byte_array([0xa1; 20]));
    let contributor = ScriptBuf::new_p2pkh(&bitcoin::PubkeyHash::from_byte_array([0xc1; 20]));
    let mut r = record("tune", Kind::Model, 2, &[(base, 2000, Relation::Finetune)]);
    r.payees = vec![
        bitmodel_protocol::Payee {
            script: author.clone(),
            weight: 300,
            relation: Relation::Author,
        },
        bitmodel_protocol::Payee {
            script: contributor.clone(),
            weight: 45,
            relation: Relation::Contributor,
        },
    ];
    r.fee_cap = recommended_fee_cap(3);
    let tune = register(&dn, &[&r])[0];
    follow(&index);
    let row = index
        .asset(&tune)
        .unwrap()
        .expect("a v3 record with payees is valid");
    assert_eq!(row.record.payees.len(), 2);
    let v = vault(&index, &tune);
    assert_eq!(
        v.terms.parents.len(),
        3,
        "the parent's vault, then the two payees"
    );
    assert_eq!(v.terms.parents[1].script_pubkey, author);
    let paid = 1_000_000;
    dn.fund(v.script_pubkey(), Amount::from_sat(paid)).unwrap();
    dn.mine(1).unwrap();
    follow(&index);
    let u = index.vault_status(&tune).unwrap().unwrap().covenant_utxos()[0];
    let d = build_distribute_at_rate(&v, u, 2).unwrap();
    let fee = paid - d.tx.output.iter().map(|o| o.value.to_sat()).sum::<u64>();
    let s = bitmodel_protocol::split(paid, fee, &[2000, 300, 45]).unwrap();
    assert_eq!(d.tx.output[1].value.to_sat(), s.parents[1]);
    assert_eq!(d.tx.output[2].script_pubkey, contributor);
    client.send_raw_transaction(&d.tx).unwrap();
    dn.mine(1).unwrap();
    follow(&index);
    assert_eq!(index.earnings(&author).unwrap().total, s.parents[1]);
    assert_eq!(index.earnings(&contributor).unwrap().total, s.parents[2]);
    let events = index.events(&d.tx.compute_txid()).unwrap();
    let Some(bitmodel_index::rows::Event::Distribution {
        to_payees,
        to_parents,
        to_owner,
        ..
    }) = events.first()
    else {
        panic!("a distribution: {events:?}");
    };
    assert_eq!(
        to_payees,
        &vec![
            (author.to_hex_string(), s.parents[1]),
            (contributor.to_hex_string(), s.parents[2])
        ]
    );
    assert_eq!(to_parents, &vec![(base, s.parents[0])]);
    assert_eq!(*to_owner, s.owner);
    let stats = index.stats(&tune).unwrap().unwrap();
    assert_eq!(stats.paid_out, s.owner + s.parents[1] + s.parents[2]);
    assert_eq!(stats.to_payees, s.parents[1] + s.parents[2]);
    let t = index.totals().unwrap();
    assert_eq!(t.payments_in, t.paid_out + t.fees + t.waiting);
}
