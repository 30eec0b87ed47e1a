//! The demo `bitmodel up` seeds on a fresh devnet: the real AI lineage in
//! `demo/lineage.csv` (facts from papers and model cards, sources in the file) registered on
//! chain layer by layer, a wallet that pays the agent and the quantized model several times,
//! and distributions from the bottom of the lineage up, so every page has true numbers.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context as _;
use bitcoin::hashes::Hash;
use bitcoin::key::Secp256k1;
use bitcoin::{Amount, TxOut};
use bitmodel_covenant::spend::{build_distribute_at_rate, recommended_fee_cap};
use bitmodel_covenant::Utxo;
use bitmodel_devnet::Devnet;
use bitmodel_index::sync::sync;
use bitmodel_index::Index;
use bitmodel_lineage::{import_edges, Lineage, WeightPolicy};
use bitmodel_protocol::envelope::Inscription;
use bitmodel_protocol::record::Content;
use bitmodel_protocol::{AssetId, Chain, Parent, Record};
use bitmodel_rpc::Client;
use bitmodel_wallet::Wallet;
use serde::Serialize;

use crate::commit_reveal::inscribe;

/// The demo lineage, shipped with the binary.
pub const DEMO_LINEAGE: &str = include_str!("../../../demo/lineage.csv");

/// The demo model (an MLP digits classifier; `demo/model/train_digits.py` trains it), put on
/// chain as the content of this lineage node and priced for paid inference.
pub const DEMO_MODEL_NAME: &str = "bitmodel-demo/digits-mlp";
pub const DEMO_MODEL: &[u8] = include_bytes!("../../../demo/model/digits.onnx");
/// Sats per paid call of the demo model.
pub const DEMO_MODEL_PRICE: u64 = 5_000;
#[derive(Debug, Serialize)]
pub struct Seeded {
    pub assets: usize,
    pub payments: usize,
    pub distributions: usize,
}

/// Registers the demo lineage, pays and distributes. Idempotence is the caller's (a marker
/// file): this always seeds.
pub fn seed(dn: &Devnet, client: &Client, index: &Index, dir: &Path) -> anyhow::Result<Seeded> {
    // The index and the wallet read blocks in process; transactions go in through RPC, the
    // way any wallet submits them.
    let blocks = dn.blocks();
    let mut lineage = Lineage::default();
    import_edges(&mut lineage, DEMO_LINEAGE, &WeightPolicy::default())
        .context("the shipped demo lineage")?;
    let wallet_path = dir.join("wallet.redb");
    let mut wallet = if wallet_path.exists() {
        Wallet::open(&wallet_path, Chain::Devnet.network())?
    } else {
        Wallet::create(&wallet_path, Chain::Devnet.network(), None, None)?.0
    };
    let addr = wallet.receive()?;
    dn.fund(&addr.script_pubkey(), Amount::from_sat(5_000_000_000))
        .context("funding the demo wallet from the faucet")?;
    wallet.sync(&blocks, client)?;
    let rate = bitcoin::FeeRate::from_sat_per_vb(2).expect("a small rate");

    // Layers: a node's depth is one more than its deepest parent's.
    let n = lineage.nodes.len();
    let depth = bitmodel_protocol::graph::layers(
        n,
        lineage
            .edges
            .iter()
            .map(|e| (e.parent as usize, e.child as usize)),
    );
    let secp = Secp256k1::new();
    let keypair = wallet.inscription_keypair();
    let mut ids: HashMap<u32, AssetId> = HashMap::new();
    for d in 0..=depth.iter().copied().max().unwrap_or(0) {
        let layer: Vec<u32> = (0..n as u32).filter(|i| depth[*i as usize] == d).collect();
        let mut records = Vec::new();
        for &i in &layer {
            let parents: Vec<Parent> = lineage
                .edges
                .iter()
                .filter(|e| e.child == i)
                .map(|e| Parent {
                    asset: ids[&e.parent],
                    weight: e.weight,
                    relation: e.relation,
                })
                .collect();
            let node = &lineage.nodes[i as usize];
            let is_model = node.name == DEMO_MODEL_NAME;
            records.push(Record {
                kind: node.kind,
                name: node.name.clone(),
                version: String::new(),
                license: if is_model { "CC-BY-4.0" } else { "NOASSERTION" }.into(),
                content: is_model.then(|| Content {
                    sha256: bitcoin::hashes::sha256::Hash::hash(DEMO_MODEL).to_byte_array(),
                    size: DEMO_MODEL.len() as u64,
                    uris: vec![],
                    parts: None,
                }),
                owner: wallet.receive()?.script_pubkey(),
                fee_cap: recommended_fee_cap(parents.len()),
                price: is_model.then_some(DEMO_MODEL_PRICE),
                parents,
                payees: Vec::new(),
            });
        }
        let insc: Vec<Inscription> = records
            .iter()
            .map(|r| {
                if r.content.is_some() {
                    return Inscription::bitmodel(
                        r,
                        bitmodel_protocol::record::ONNX_CONTENT_TYPE,
                        DEMO_MODEL.to_vec(),
                    );
                }
                let card = serde_json::json!({ "name": r.name, "kind": r.kind, "source": "demo/lineage.csv (see its attribution lines)" });
                Inscription::bitmodel(r, "application/json", serde_json::to_vec(&card).expect("a card serialises"))
            })
            .collect();
        let postage = [TxOut {
            value: Amount::from_sat(10_000),
            script_pubkey: wallet.receive()?.script_pubkey(),
        }];
        let broadcast = |tx: &bitcoin::Transaction| Ok(client.send_raw_transaction(tx)?);
        let txid = inscribe(
            &mut wallet,
            &broadcast,
            &secp,
            &keypair,
            &insc,
            &postage,
            rate,
        )?
        .reveal;
        for (k, i) in layer.iter().enumerate() {
            ids.insert(*i, AssetId::new(txid, k as u32));
        }
        dn.mine(1)?;
    }
    sync(index, &blocks, 0, |_, _| {})?;
    wallet.sync(&blocks, client)?;

    // Payments: users of the agent and of the quantized chat model.
    let paid_assets = [
        "bitmodel-demo/research-agent",
        "TheBloke/Llama-2-7B-Chat-GGUF",
        "tloen/alpaca-lora-7b",
        DEMO_MODEL_NAME,
    ];
    let mut payments = 0;
    for (k, name) in paid_assets.iter().enumerate() {
        let Some(node) = lineage.find(name) else {
            continue;
        };
        let vault = index
            .asset(&ids[&node])?
            .and_then(|r| r.vault)
            .context("demo assets have vaults")?;
        for j in 0..(4 - k as u64) {
            let tx = wallet.pay(
                &[(vault.clone(), Amount::from_sat(3_000_000 + 250_000 * j))],
                rate,
            )?;
            client.send_raw_transaction(&tx)?;
            wallet.note_broadcast(tx)?;
            payments += 1;
        }
    }
    dn.mine(1)?;
    sync(index, &blocks, 0, |_, _| {})?;

    // Distributions, deepest assets first, one block per layer so shares are indexed before
    // the next layer distributes them.
    let mut distributions = 0;
    for d in (1..=depth.iter().copied().max().unwrap_or(0)).rev() {
        for i in (0..n as u32).filter(|i| depth[*i as usize] == d) {
            let id = ids[&i];
            let vault = index.vault(&id)?.context("demo assets have vaults")?;
            let status = index.vault_status(&id)?.context("indexed")?;
            for (outpoint, u) in &status.utxos {
                let outpoint = *outpoint;
                if let Ok(b) = build_distribute_at_rate(
                    &vault,
                    Utxo {
                        outpoint,
                        amount: u.amount,
                    },
                    2,
                ) {
                    client.send_raw_transaction(&b.tx)?;
                    distributions += 1;
                }
            }
        }
        dn.mine(1)?;
        sync(index, &blocks, 0, |_, _| {})?;
    }
    Ok(Seeded {
        assets: n,
        payments,
        distributions,
    })
}
