//! `bitmodel register`: inscribe a Bitmodel record (commit, then reveal) with its lineage,
//! and optionally the asset's file itself as the inscription's body.

use std::path::PathBuf;

use anyhow::{bail, Context as _};
use bitcoin::hashes::{sha256, Hash};
use bitcoin::key::Secp256k1;
use bitcoin::{Amount, TxOut};
use bitmodel_covenant::spend::recommended_fee_cap;
use bitmodel_protocol::chunk::{self, ChunkRef};
use bitmodel_protocol::envelope::Inscription;
use bitmodel_protocol::record::Content;
use bitmodel_protocol::validate::static_violations;
use bitmodel_protocol::AssetId;
use bitmodel_protocol::{Kind, Parent, Payee, Record, Relation};
use bitmodel_wallet::reveal::Reveal;
use serde::Serialize;

use crate::args;
use crate::commit_reveal::inscribe;
use crate::context::{asset_id, known_asset, Context};
use crate::output::{sats, Output};
use crate::settings::Settings;
use crate::subcommand::wallet::parse_address;

#[derive(Debug, clap::Args)]
pub struct Register {
    #[arg(long)]
    name: String,
    /// model, dataset, algorithm, paper, code or agent.
    #[arg(long, default_value = "model", value_parser = |s: &str| s.parse::<Kind>())]
    kind: Kind,
    /// SPDX license expression, e.g. Apache-2.0.
    #[arg(long)]
    license: String,
    #[arg(long, default_value = "")]
    version: String,
    /// A parent as ASSET_ID:WEIGHT_BPS[:RELATION] (repeatable; relation defaults to finetune).
    #[arg(long = "parent")]
    parents: Vec<String>,
    /// A payee — a contributor paid directly, not an asset — as ADDRESS:WEIGHT_BPS[:RELATION]
    /// (repeatable; relation defaults to contributor; record format version 3).
    #[arg(long = "payee")]
    payees: Vec<String>,
    /// Parents and payees from a CSV file: `parent,bps[,relation]` per line, parent an asset
    /// id or an address (a header line and `#` comments are skipped).
    #[arg(long)]
    parents_file: Option<PathBuf>,
    /// The asset's file, inscribed as the body (its sha256 and size go into the record).
    #[arg(long)]
    content: Option<PathBuf>,
    #[arg(long)]
    content_type: Option<String>,
    /// Where else the file can be fetched (repeatable).
    #[arg(long = "uri")]
    uris: Vec<String>,
    /// Sats per paid inference call.
    #[arg(long, value_parser = args::sats)]
    price: Option<u64>,
    /// The most a distribution may pay in fees [default: about 20 sat/vB of a distribution].
    #[arg(long, value_parser = args::sats)]
    fee_cap: Option<u64>,
    /// Owner payout address [default: a new address of this wallet].
    #[arg(long)]
    owner: Option<String>,
    #[arg(long)]
    fee_rate: Option<u64>,
    /// Sats in the reveal's output (back to this wallet). ord's default: clear of the dust
    /// limit on every chain, Litecoin's ten-times-higher one included.
    #[arg(long, default_value_t = 10_000, value_parser = args::sats)]
    postage: u64,
    /// Seconds to wait for each part of a large file to be mined before the next.
    #[arg(long, default_value_t = 3600)]
    confirm_timeout: u64,
    /// Refuse if commit and reveal together would pay more than this in fees.
    #[arg(long, value_parser = args::sats)]
    max_fee: Option<u64>,
}

#[derive(Serialize)]
struct Out {
    asset: String,
    commit_txid: String,
    reveal_txid: String,
    /// Reveal txids of the file's further parts, in order.
    parts: Vec<String>,
    fees: u64,
    record: Record,
}

/// The `WEIGHT_BPS[:RELATION]` tail of a `--parent` or `--payee` argument.
fn weight_and_relation<'a>(
    flag: &str,
    arg: &str,
    w: &str,
    mut rest: impl Iterator<Item = &'a str>,
    default: Relation,
) -> anyhow::Result<(u16, Relation)> {
    let weight: u16 = w
        .parse()
        .ok()
        .filter(|w| (1..=10_000).contains(w))
        .ok_or_else(|| {
            anyhow::anyhow!("{flag} '{arg}': weight '{w}' must be 1..=10000 basis points")
        })?;
    let relation = match rest.next() {
        Some(r) => r.parse().map_err(anyhow::Error::msg)?,
        None => default,
    };
    Ok((weight, relation))
}

fn parse_parent(s: &str) -> anyhow::Result<(bitmodel_protocol::AssetId, u16, Relation)> {
    let mut parts = s.split(':');
    let (Some(id), Some(w)) = (parts.next(), parts.next()) else {
        bail!("--parent '{s}' must look like ASSET_ID:WEIGHT_BPS[:RELATION], e.g. <txid>i0:2000:finetune");
    };
    let (weight, relation) = weight_and_relation("--parent", s, w, parts, Relation::Finetune)?;
    Ok((asset_id(id)?, weight, relation))
}

/// `ADDRESS:WEIGHT_BPS[:RELATION]` for `network`.
fn parse_payee(s: &str, network: bitcoin::Network) -> anyhow::Result<Payee> {
    let mut parts = s.split(':');
    let (Some(addr), Some(w)) = (parts.next(), parts.next()) else {
        bail!("--payee '{s}' must look like ADDRESS:WEIGHT_BPS[:RELATION], e.g. bc1q…:150:author");
    };
    let (weight, relation) = weight_and_relation("--payee", s, w, parts, Relation::Contributor)?;
    let script = parse_address(addr, network)
        .with_context(|| format!("--payee '{s}'"))?
        .script_pubkey();
    Ok(Payee {
        script,
        weight,
        relation,
    })
}

/// The lines of a `--parents-file`: each `parent,bps[,relation]`, as `--parent` or
/// `--payee` arguments (`:`-joined), by whether `parent` reads as an asset id.
fn parents_file(path: &std::path::Path) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read --parents-file {}", path.display()))?;
    let (mut parents, mut payees) = (Vec::new(), Vec::new());
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || (n == 0 && line.starts_with("parent")) {
            continue;
        }
        let cols: Vec<&str> = line.split(',').map(str::trim).collect();
        if !(2..=3).contains(&cols.len()) {
            bail!(
                "{} line {}: '{line}' must be parent,bps[,relation] (parent an asset id or an address)",
                path.display(),
                n + 1
            );
        }
        let arg = cols.join(":");
        if asset_id(cols[0]).is_ok() {
            parents.push(arg);
        } else {
            payees.push(arg);
        }
    }
    Ok((parents, payees))
}

impl Register {
    pub fn run(mut self, s: &Settings) -> anyhow::Result<Output> {
        if let Some(path) = &self.parents_file {
            let (p, q) = parents_file(path)?;
            self.parents.extend(p);
            self.payees.extend(q);
        }
        let parents: Vec<_> = self
            .parents
            .iter()
            .map(|p| parse_parent(p))
            .collect::<anyhow::Result<_>>()?;
        let ctx = Context::connect(s.resolve()?)?;
        let payees: Vec<Payee> = self
            .payees
            .iter()
            .map(|p| parse_payee(p, ctx.chain().network()))
            .collect::<anyhow::Result<_>>()?;
        // The protocol's own check, before the index is read or anything is built.
        let weights: Vec<u16> = parents
            .iter()
            .map(|p| p.1)
            .chain(payees.iter().map(|p| p.weight))
            .collect();
        bitmodel_protocol::split::check_weights(&weights)
            .map_err(|e| anyhow::anyhow!("parents' and payees' weights: {e}"))?;
        let index = ctx.index()?;
        let start = index.start_height(ctx.settings.index_from, ctx.chain().activation_height())?;
        let tip = ctx.client.get_block_count()?;
        if tip + 1 < u64::from(start) {
            bail!(
                "the node is at height {tip}, below height {start} where this index starts on {}: the record would be mined below it and ignored; wait for the node to sync past {start}, or index from lower with --index-from (and a new --datadir)",
                ctx.chain()
            );
        }
        let mempool = ctx.client.get_raw_mempool().unwrap_or_default();
        for (id, _, _) in &parents {
            if index.asset(id)?.is_none() && mempool.contains(&id.txid) {
                bail!("parent {id} is not confirmed yet; wait for its reveal to be mined, then register");
            }
            known_asset(&index, id)?;
        }
        if ctx.chain().family() == bitmodel_protocol::Family::Mvc {
            ctx.require_vaults("registering on MVC")?;
            return self.on_mvc(&ctx, &index, parents, payees);
        }
        let mut wallet = ctx.wallet()?;
        let owner = match &self.owner {
            Some(a) => parse_address(a, ctx.chain().network())?.script_pubkey(),
            None => wallet.receive()?.script_pubkey(),
        };
        let (body, content_type, content) = match self.file()? {
            Some((bytes, ct)) => {
                // Version 2: the record commits to every part, so a part anyone else
                // inscribes that does not match is ignored rather than spoiling the file.
                let c = Content {
                    sha256: sha256::Hash::hash(&bytes).to_byte_array(),
                    size: bytes.len() as u64,
                    uris: self.uris.clone(),
                    parts: Some(bitmodel_protocol::record::Parts::of(
                        &bytes,
                        bitmodel_protocol::chunk::MAX_PART_BYTES,
                    )),
                };
                (bytes, ct, Some(c))
            }
            None => {
                let card = serde_json::json!({ "name": self.name, "kind": self.kind, "license": self.license, "version": self.version });
                (
                    serde_json::to_vec(&card)?,
                    "application/json".to_string(),
                    None,
                )
            }
        };
        let record = Record {
            kind: self.kind,
            name: self.name.clone(),
            version: self.version.clone(),
            license: self.license.clone(),
            content,
            owner,
            // The vault pays at most 11 outputs besides the owner's (past 11 members, the
            // top of its splitter tree; each splitter has its own cap).
            fee_cap: self.fee_cap.unwrap_or_else(|| {
                recommended_fee_cap(
                    (parents.len() + payees.len()).min(bitmodel_protocol::MAX_PARENTS),
                )
            }),
            price: self.price,
            parents: parent_list(&parents),
            payees,
        };
        // Part 0 shares its reveal with the record: a wide record makes every part shorter
        // by its metadata (the commitments then grow a little, so settle the size).
        let mut record = record;
        let mut part_size = chunk::MAX_PART_BYTES;
        for _ in 0..8 {
            let fits = chunk::part_size(record.to_cbor().len());
            if fits >= part_size {
                break;
            }
            part_size = fits;
            if let Some(c) = record.content.as_mut() {
                c.parts = Some(bitmodel_protocol::record::Parts::of(&body, part_size));
            }
        }
        let meta = record.to_cbor().len();
        if meta > bitmodel_protocol::record::MAX_RECORD_BYTES {
            bail!(
                "the record is {meta} bytes of metadata (its file's {} part commitments included); records are at most {} bytes: put a file this large off chain and give its --uri",
                record.content.as_ref().and_then(|c| c.parts.as_ref()).map_or(0, |p| p.sha256.len()),
                bitmodel_protocol::record::MAX_RECORD_BYTES
            );
        }
        let problems = static_violations(&record);
        if !problems.is_empty() {
            let list: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
            bail!("the record would be invalid: {}", list.join("; "));
        }
        let secp = Secp256k1::new();
        let keypair = wallet.inscription_keypair();
        let rate = ctx.fee_rate(self.fee_rate)?;
        // The record's body is part 0 of the file; further parts follow as their own
        // inscriptions once the record's id (its reveal txid) is known.
        let file_len = body.len();
        let parts: Vec<Vec<u8>> = chunk::parts_of(&body, part_size)
            .into_iter()
            .map(<[u8]>::to_vec)
            .collect();
        let mut plans = Vec::with_capacity(parts.len());
        plans.push(Inscription::bitmodel(
            &record,
            &content_type,
            parts[0].clone(),
        ));
        let placeholder = AssetId::new(bitcoin::Txid::all_zeros(), 0);
        for (i, part) in parts.iter().enumerate().skip(1) {
            plans.push(Inscription::bitmodel_chunk(
                &ChunkRef {
                    asset: placeholder,
                    index: i as u32,
                },
                part.clone(),
            ));
        }
        let back = wallet.receive()?.script_pubkey();
        let postage = vec![TxOut {
            value: Amount::from_sat(self.postage),
            script_pubkey: back,
        }];
        let mut estimated = 0;
        for p in &plans {
            let r = Reveal::new(
                &secp,
                keypair.x_only_public_key().0,
                std::slice::from_ref(p),
            )
            .map_err(|e| anyhow::anyhow!("content of {file_len} bytes: {e}"))?;
            // A commit is about 150 vB (one or two inputs, two outputs).
            estimated += rate.to_sat_per_vb_ceil() * (r.vsize(&postage) + 200);
        }
        if let Some(budget) = self.max_fee {
            if estimated > budget {
                bail!(
                    "registering {file_len} bytes ({} part(s)) costs about {} sats in fees at {} sat/vB, above --max-fee {}; lower the fee rate, raise the budget, or register a smaller file (with a URI to the full one)",
                    plans.len(),
                    sats(estimated),
                    rate.to_sat_per_vb_ceil(),
                    sats(budget)
                );
            }
        }
        let broadcast = |tx: &bitcoin::Transaction| ctx.broadcast(tx);
        let first = inscribe(
            &mut wallet,
            &broadcast,
            &secp,
            &keypair,
            std::slice::from_ref(&plans[0]),
            &postage,
            rate,
        )?;
        let asset = AssetId::new(first.reveal, 0);
        let mut fees = first.fees;
        let mut part_txids = Vec::new();
        let mut previous = first.reveal;
        for (i, part) in parts.iter().enumerate().skip(1) {
            // Core's mempool allows 101 kvB of unconfirmed descendants per transaction, about
            // one part: each further part waits for the previous one to be mined.
            wait_confirmed(&ctx, &previous, self.confirm_timeout, i, parts.len())?;
            let insc = Inscription::bitmodel_chunk(
                &ChunkRef {
                    asset,
                    index: i as u32,
                },
                part.clone(),
            );
            let done = inscribe(
                &mut wallet,
                &broadcast,
                &secp,
                &keypair,
                std::slice::from_ref(&insc),
                &postage,
                rate,
            )?;
            fees += done.fees;
            previous = done.reveal;
            part_txids.push(done.reveal.to_string());
        }
        let human = format!(
            "registered {} ({}) as asset {asset}\n  commit {}\n  reveal {}\n  {} further part(s) of the file\n  it becomes valid once the reveal is confirmed\n",
            record.name,
            record.kind,
            first.commit,
            first.reveal,
            part_txids.len()
        );
        Ok(Output::new(
            &Out {
                asset: asset.to_string(),
                commit_txid: first.commit.to_string(),
                reveal_txid: first.reveal.to_string(),
                parts: part_txids,
                fees,
                record,
            },
            human,
        ))
    }
}

/// The record's parents from the parsed `--parent` arguments.
fn parent_list(parents: &[(AssetId, u16, Relation)]) -> Vec<Parent> {
    parents
        .iter()
        .map(|(asset, weight, relation)| Parent {
            asset: *asset,
            weight: *weight,
            relation: *relation,
        })
        .collect()
}

impl Register {
    /// `--content`'s bytes and content type (given, or guessed from the file name).
    fn file(&self) -> anyhow::Result<Option<(Vec<u8>, String)>> {
        let Some(path) = &self.content else {
            return Ok(None);
        };
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let ct = self
            .content_type
            .clone()
            .unwrap_or_else(|| guess_type(path));
        Ok(Some((bytes, ct)))
    }

    /// MVC-family chains: the record and its whole file in one transaction
    /// ([`crate::mvc::register`]).
    fn on_mvc(
        &self,
        ctx: &Context,
        index: &bitmodel_index::remote::Reader,
        parents: Vec<(AssetId, u16, Relation)>,
        payees: Vec<Payee>,
    ) -> anyhow::Result<Output> {
        let owner = match &self.owner {
            Some(a) => Some(parse_address(a, ctx.chain().network())?.script_pubkey()),
            None => None,
        };
        let file = self.file()?;
        let record = Record {
            kind: self.kind,
            name: self.name.clone(),
            version: self.version.clone(),
            license: self.license.clone(),
            // Filled in from the file (its parts committed at MVC's content PIN size).
            content: (!self.uris.is_empty()).then(|| Content {
                sha256: [0; 32],
                size: 0,
                uris: self.uris.clone(),
                parts: None,
            }),
            owner: owner.clone().unwrap_or_default(),
            fee_cap: 0,
            price: self.price,
            parents: parent_list(&parents),
            payees,
        };
        if file.is_none() && record.content.is_some() {
            bail!("--uri names where a file is; on MVC give the file itself with --content (it goes on chain with the record)");
        }
        crate::mvc::register(
            ctx,
            index,
            crate::mvc::Draft {
                record,
                file,
                fee_cap: self.fee_cap,
                fee_rate: self.fee_rate,
                owner_given: owner.is_some(),
            },
        )
    }
}

/// Polls the node until `txid` has a confirmation.
fn wait_confirmed(
    ctx: &Context,
    txid: &bitcoin::Txid,
    timeout_secs: u64,
    part: usize,
    parts: usize,
) -> anyhow::Result<()> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(timeout_secs);
    let mut said = false;
    loop {
        let v = ctx.client.call_value(
            "getrawtransaction",
            serde_json::json!([txid.to_string(), true]),
        )?;
        if v.get("confirmations")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0)
            >= 1
        {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            bail!("part {part} of {parts} waits for {txid} to be mined, which did not happen within {timeout_secs} s; run the same command again later with --content to continue is not supported, so raise --confirm-timeout");
        }
        if !said {
            eprintln!("part {part}/{parts}: waiting for the previous part to be mined…");
            said = true;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
}

fn guess_type(path: &std::path::Path) -> String {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
        .as_str()
    {
        "onnx" => bitmodel_protocol::record::ONNX_CONTENT_TYPE,
        "json" => "application/json",
        "md" => "text/markdown",
        "txt" => "text/plain",
        "csv" => "text/csv",
        "png" => "image/png",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
    .to_string()
}
