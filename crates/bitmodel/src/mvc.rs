//! The MVC-family halves of `register`, `pay` and `distribute` (MVC and its BSV regtest
//! test peer): the same index, checks and outputs as on Fractal, with MVC's parts — a
//! record and its file as MetaID PINs in one transaction, the P2PKH wallet
//! ([`bitmodel_wallet::MvcWallet`]), and the OP_PUSH_TX splitter as the vault. Each
//! subcommand decides by the chain's family and calls in here; nothing of MVC is in the
//! Fractal paths.

use anyhow::{bail, Context as _};
use bitcoin::hashes::{sha256, Hash};
use bitcoin::{Amount, OutPoint, ScriptBuf, TxOut};
use bitmodel_index::remote::Reader;
use bitmodel_index::rows::AssetRow;
use bitmodel_mvc::pin::{marker, registration_outputs, CONTENT_PIN_BYTES};
use bitmodel_mvc::splitter::{Splitter, SplitterError};
use bitmodel_protocol::record::{Content, Parts};
use bitmodel_protocol::validate::static_violations;
use bitmodel_protocol::{AssetId, Record};
use bitmodel_wallet::mvc::{fee_for, fee_rate_per_kb, tx_version};
use bitmodel_wallet::MvcWallet;
use serde::Serialize;

use crate::context::Context;
use crate::output::{sats, Output};

/// Change below this goes to the fee: BSV 1.0.13's dust for a P2PKH output at its default
/// dust relay fee is 135 sats; MVC's node has a dust limit of 1 sat.
fn change_floor(chain: bitmodel_protocol::Chain) -> u64 {
    if chain.has_mvc_txids() {
        1
    } else {
        546
    }
}

/// The network's fee rate in sat per 1,000 bytes, or `--fee-rate` read as that unit.
pub fn fee_rate(ctx: &Context, given: Option<u64>) -> anyhow::Result<u64> {
    match given {
        Some(0) => bail!("--fee-rate 0 is below the relay floor; on MVC the rate is in sat per 1,000 bytes (the network's default is 250)"),
        Some(r) => Ok(r),
        None => Ok(fee_rate_per_kb(&ctx.client)),
    }
}

/// The MVC wallet of this network, bound to the node's chain and synced.
pub fn wallet(ctx: &Context) -> anyhow::Result<MvcWallet> {
    let mut w = MvcWallet::open_with(
        &ctx.settings.dir.join("wallet.redb"),
        ctx.chain(),
        ctx.settings.wallet_passphrase.as_deref(),
    )?;
    w.bind_identity(ctx.verified.identity())?;
    w.sync(&ctx.blocks, &ctx.client)?;
    Ok(w)
}

/// What a record's file and fee cap need at registration.
pub struct Draft {
    pub record: Record,
    /// The file and its content type.
    pub file: Option<(Vec<u8>, String)>,
    /// `--fee-cap`; `None` for the recommended one.
    pub fee_cap: Option<u64>,
    pub fee_rate: Option<u64>,
    pub owner_given: bool,
}

#[derive(Serialize)]
struct Registered {
    asset: String,
    txid: String,
    bytes: usize,
    fee: u64,
    record: Record,
}

/// `register` on MVC: the record PIN and the file's content PINs in one transaction.
pub fn register(ctx: &Context, index: &Reader, mut d: Draft) -> anyhow::Result<Output> {
    let mut wallet = wallet(ctx)?;
    if !d.owner_given {
        d.record.owner = wallet.receive()?.script_pubkey();
    }
    if !d.record.owner.is_p2pkh() {
        bail!("the owner must be a P2PKH address on {}: segwit and P2SH outputs are anyone-can-spend or unspendable there", ctx.chain());
    }
    if let Some((bytes, _)) = &d.file {
        d.record.content = Some(Content {
            sha256: sha256::Hash::hash(bytes).to_byte_array(),
            size: bytes.len() as u64,
            uris: d.record.content.take().map(|c| c.uris).unwrap_or_default(),
            // Each content PIN is a committed part: a PIN that does not match is not the file.
            parts: Some(Parts::of(bytes, CONTENT_PIN_BYTES)),
        });
    }
    let rate = fee_rate(ctx, d.fee_rate)?;
    let parent_scripts = {
        let mut v = Vec::new();
        for p in &d.record.parents {
            match index.asset(&p.asset)?.and_then(|r| r.vault) {
                Some(s) => v.push(s),
                None => bail!(
                    "parent {} has no splitter on {}: it cannot be paid by script",
                    p.asset,
                    ctx.chain()
                ),
            }
        }
        v
    };
    d.record.fee_cap = match d.fee_cap {
        Some(c) => c,
        None => recommended_fee_cap(&d.record, &parent_scripts, rate)?,
    };
    let problems = static_violations(&d.record);
    if !problems.is_empty() {
        let list: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        bail!("the record would be invalid: {}", list.join("; "));
    }
    // The splitter must exist for these terms (P2PKH payees, weights) before money can go in.
    let sp = Splitter::of_record(&d.record, &parent_scripts)?;
    let bytes = sp.spend_bytes()?;
    let need = fee_for(bytes as u64, rate);
    if d.record.fee_cap < need {
        bail!(
            "--fee-cap {} sats is below what one distribution of this splitter costs at {rate} sat/kB ({} sats for {} bytes); raise it",
            sats(d.record.fee_cap),
            sats(need),
            bytes
        );
    }
    let outputs = registration_outputs(
        &d.record,
        d.file.as_ref().map(|(b, ct)| (ct.as_str(), b.as_slice())),
        marker(ctx.chain()),
    );
    let tx = wallet
        .pay(outputs, rate, change_floor(ctx.chain()))
        .context("funding the registration")?;
    let fee = wallet.fee(&tx).unwrap_or_default();
    let bytes = bitcoin::consensus::serialize(&tx).len();
    let txid = ctx.broadcast(&tx)?;
    wallet.note_broadcast(tx)?;
    let asset = AssetId::new(txid, 0);
    let human = format!(
        "registered {} ({}) as asset {asset}\n  transaction {txid} ({} bytes, fee {} sats), the file in it\n  it becomes valid once the transaction is confirmed\n",
        d.record.name,
        d.record.kind,
        sats(bytes as u64),
        sats(fee)
    );
    Ok(Output::new(
        &Registered {
            asset: asset.to_string(),
            txid: txid.to_string(),
            bytes,
            fee,
            record: d.record,
        },
        human,
    ))
}

/// Four distributions' worth at `sat_per_kb` (the rate may rise), at least 1,000 sats.
fn recommended_fee_cap(
    record: &Record,
    parent_scripts: &[ScriptBuf],
    sat_per_kb: u64,
) -> anyhow::Result<u64> {
    let mut r = record.clone();
    r.fee_cap = bitmodel_protocol::validate::MAX_SCRIPT_AMOUNT;
    let bytes = Splitter::of_record(&r, parent_scripts)?.spend_bytes()?;
    Ok((4 * fee_for(bytes as u64, sat_per_kb)).max(1_000))
}

/// `wallet send` on MVC: one output paid from the wallet; the node's txid.
pub fn send(
    ctx: &Context,
    to: ScriptBuf,
    amount: u64,
    given_rate: Option<u64>,
) -> anyhow::Result<bitcoin::Txid> {
    let rate = fee_rate(ctx, given_rate)?;
    let mut w = wallet(ctx)?;
    let tx = w.pay(
        vec![TxOut {
            value: Amount::from_sat(amount),
            script_pubkey: to,
        }],
        rate,
        change_floor(ctx.chain()),
    )?;
    let txid = ctx.broadcast(&tx)?;
    w.note_broadcast(tx)?;
    Ok(txid)
}

#[derive(Serialize)]
struct Paid {
    txid: String,
    asset: String,
    vault: String,
    outputs: Vec<u64>,
    fee: u64,
}

/// `pay` on MVC: one output to the asset's splitter.
pub fn pay(
    ctx: &Context,
    row: &AssetRow,
    vault: ScriptBuf,
    amount: u64,
    given_rate: Option<u64>,
) -> anyhow::Result<Output> {
    if amount > bitmodel_mvc::splitter::MAX_AMOUNT {
        bail!("{amount} sats is above the splitter's 2^53-sat bound; pay in parts");
    }
    let rate = fee_rate(ctx, given_rate)?;
    let mut w = wallet(ctx)?;
    let tx = w.pay(
        vec![TxOut {
            value: Amount::from_sat(amount),
            script_pubkey: vault.clone(),
        }],
        rate,
        change_floor(ctx.chain()),
    )?;
    let fee = w.fee(&tx).unwrap_or_default();
    let txid = ctx.broadcast(&tx)?;
    w.note_broadcast(tx)?;
    let hash = sha256::Hash::hash(vault.as_bytes()).to_string();
    let human = format!(
        "paid {} sats to {} (splitter {}…) in {txid}\n",
        sats(amount),
        row.record.name,
        &hash[..16]
    );
    Ok(Output::new(
        &Paid {
            txid: txid.to_string(),
            asset: row.id.to_string(),
            vault: hash,
            outputs: vec![amount],
            fee,
        },
        human,
    ))
}

#[derive(Serialize)]
struct Spent {
    txid: String,
    amount: u64,
    fee: u64,
    outputs: Vec<u64>,
}

#[derive(Serialize)]
struct Distributed {
    asset: String,
    distributions: Vec<Spent>,
    waiting: Vec<u64>,
}

/// `distribute` on MVC: each of the splitter's UTXOs spent to the outputs its script
/// demands, the fee (at the network's rate, within the cap) out of the UTXO.
pub fn distribute(
    ctx: &Context,
    index: &Reader,
    row: &AssetRow,
    given_rate: Option<u64>,
) -> anyhow::Result<Output> {
    let id = row.id;
    // The keeper's own derivation (record and parents' splitters), so both push the same.
    let sp = bitmodel_keeper::VaultSource::mvc_splitter(index, &id)?.ok_or_else(|| {
        anyhow::anyhow!(
            "{id} has no splitter on {} (its owner or a payee is not P2PKH, or a parent has none)",
            ctx.chain()
        )
    })?;
    let status = index
        .vault_status(&id)?
        .ok_or_else(|| anyhow::anyhow!("unknown asset {id}"))?;
    let rate = fee_rate(ctx, given_rate)?;
    let bytes = sp.spend_bytes()? as u64;
    let fee = fee_for(bytes, rate);
    if fee > sp.fee_cap {
        bail!(
            "a distribution of {id} costs {} sats at {rate} sat/kB ({bytes} bytes), above its record's fee cap of {} sats; wait for a lower rate or pass a lower --fee-rate",
            sats(fee),
            sats(sp.fee_cap)
        );
    }
    let mut done = Vec::new();
    let mut waiting = Vec::new();
    for (outpoint, u) in &status.utxos {
        match sp.spend(
            OutPoint::new(outpoint.txid, outpoint.vout),
            u.amount,
            fee,
            tx_version(ctx.chain()),
        ) {
            Ok(tx) => {
                let outputs: Vec<u64> = tx.output.iter().map(|o| o.value.to_sat()).collect();
                let txid = ctx.broadcast(&tx)?;
                done.push(Spent {
                    txid: txid.to_string(),
                    amount: u.amount,
                    fee,
                    outputs,
                });
            }
            Err(SplitterError::BelowDust { .. }) => waiting.push(u.amount),
            Err(e) => return Err(e.into()),
        }
    }
    if done.is_empty() {
        let balance: u64 = status.utxos.iter().map(|(_, u)| u.amount).sum();
        let min_weight = sp
            .parents
            .iter()
            .map(|(_, w)| u64::from(*w))
            .min()
            .unwrap_or(10_000);
        bail!(
            "the splitter of {id} holds {} sats in {} UTXO(s); a distribution needs one UTXO of at least {} sats (fee {} plus enough that the smallest share, {min_weight} bp, is a sat)",
            sats(balance),
            status.utxos.len(),
            sats(fee + 10_000u64.div_ceil(min_weight)),
            sats(fee)
        );
    }
    let mut human = String::new();
    for d in &done {
        human.push_str(&format!(
            "distributed {} sats (fee {}) in {}\n",
            sats(d.amount),
            sats(d.fee),
            d.txid
        ));
    }
    if !waiting.is_empty() {
        human.push_str(&format!(
            "{} UTXO(s) too small to pay every share keep waiting\n",
            waiting.len()
        ));
    }
    Ok(Output::new(
        &Distributed {
            asset: id.to_string(),
            distributions: done,
            waiting,
        },
        human,
    ))
}
