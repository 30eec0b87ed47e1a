//! What one transaction means to Bitmodel. The rules, in order:
//!
//! 1. Inputs that spend a known vault UTXO make the transaction a covenant spend of that
//!    asset: a *merge* if its only output returns to the same vault, else a *distribution*.
//! 2. Every Bitmodel envelope is validated (`bitmodel_protocol::validate`) against the assets
//!    registered before it; valid ones become assets with a vault (on OP_CAT chains), invalid
//!    ones are kept with their reason.
//! 3. Every output to a vault becomes a vault UTXO. In a distribution of X, outputs to X's
//!    parents' vaults are shares passed upstream; outputs to X's own splitters (records of
//!    more than 11 members) stay X's, waiting; any other output to a vault or a splitter is
//!    a payment.
//!    Outputs of a distribution to X's owner script, or to one of X's payees' scripts (record
//!    format v3) that is not a vault, are paid out (and earnings of that script).
//! 4. An output `OP_RETURN "BMP1" <amount> <asset>` marks a direct-mode payment: it conforms
//!    if every contributor's payout script got at least its share of the direct split
//!    (`bitmodel_protocol::direct`); conforming payments are credited as paid out.
//! 5. A covenant spend's fee is its inputs minus its outputs.
//!
//! So, across all assets: Σ payments_in = Σ paid_out + Σ fees + Σ waiting, exactly (a
//! conforming direct payment adds its amount to both sides).

use crate::rows::{ContentRow, ContentStatus};
use bitcoin::hashes::{sha256, Hash};
use bitcoin::ScriptBuf;
use bitcoin::{Transaction, TxOut};
use bitmodel_covenant::wide::record_vaults;
use bitmodel_covenant::Vault;
use bitmodel_protocol::chunk::ChunkRef;
use bitmodel_protocol::direct;
use bitmodel_protocol::envelope::parse_transaction;
use bitmodel_protocol::record::RecordError;
use bitmodel_protocol::validate::{validate_envelope, ChainPosition};
use bitmodel_protocol::{AssetId, Chain, Family};

use crate::journal::Journal;
use crate::rows::{
    asset_key, decode, encode, outpoint_key, AssetRow, AssetStats, Earnings, Event, Holder,
    InvalidRow, VaultUtxo,
};
use crate::schema::{
    T_ASSETS, T_ASSET_EVENTS, T_ASSET_UTXOS, T_CHILDREN, T_CONTENT, T_EARNINGS, T_EARNINGS_LOG,
    T_EVENTS, T_EVENT_LOG, T_INVALID, T_PARTS, T_SPENT_BY, T_SPLITTERS, T_STATS, T_VAULTS,
    T_VAULT_UTXOS,
};
use crate::IndexError;

/// Direct-payment markers read per transaction; the rest are ignored (a wallet pays one
/// asset per transaction; Core's policy relays one OP_RETURN).
pub const MAX_DIRECT_MARKERS: usize = 4;

enum Spend {
    None,
    /// A distribution of the asset's vault (`None`) or of its splitter `Some(n)`.
    Distribution(AssetRow, Option<u16>),
    Merge(AssetRow),
}

/// Whose money an output script holds: an asset's vault, or one of its splitters.
fn holder_of(j: &Journal<'_>, spk: &bitcoin::Script) -> Result<Option<Holder>, IndexError> {
    if let Some(v) = j.get(T_VAULTS, spk.as_bytes())? {
        let asset = crate::rows::asset_from_key(&v)
            .ok_or_else(|| IndexError::Corrupt("vault row".into()))?;
        return Ok(Some(Holder {
            asset,
            splitter: None,
        }));
    }
    let Some(v) = j.get(T_SPLITTERS, spk.as_bytes())? else {
        return Ok(None);
    };
    let (id, n) = v.split_at(v.len().saturating_sub(2));
    let asset = crate::rows::asset_from_key(id)
        .ok_or_else(|| IndexError::Corrupt("splitter row".into()))?;
    let n = u16::from_be_bytes(
        n.try_into()
            .map_err(|_| IndexError::Corrupt("splitter row".into()))?,
    );
    Ok(Some(Holder {
        asset,
        splitter: Some(n),
    }))
}

pub fn apply_tx(
    j: &mut Journal<'_>,
    chain: Chain,
    height: u32,
    tx_index: u32,
    tx: &Transaction,
) -> Result<(), IndexError> {
    let txid = crate::mvc::txid(chain, tx);
    let mut events = Vec::new();

    // 1. Vault UTXOs spent.
    let mut spent_in = 0u64;
    let mut spent_asset: Option<AssetId> = None;
    let mut spent_splitter: Option<u16> = None;
    let mut mixed = false;
    for input in &tx.input {
        let key = outpoint_key(&input.previous_output.txid, input.previous_output.vout);
        if let Some(bytes) = j.get(T_VAULT_UTXOS, &key)? {
            let utxo: VaultUtxo = decode(&bytes)?;
            j.delete(T_VAULT_UTXOS, &key)?;
            j.delete(T_ASSET_UTXOS, &asset_utxo_key(&utxo.asset, &key))?;
            j.put(T_SPENT_BY, &key, txid.as_ref())?;
            bump(j, &utxo.asset, |s| {
                s.waiting -= utxo.amount;
                if utxo.splitter.is_some() {
                    s.in_splitters -= utxo.amount;
                }
            })?;
            spent_in += utxo.amount;
            if spent_asset.is_some_and(|a| a != utxo.asset) {
                mixed = true;
            }
            spent_asset = Some(utxo.asset);
            spent_splitter = utxo.splitter;
        }
    }

    // 2. Records, and parts of large files.
    let at = ChainPosition {
        height,
        tx_index,
        envelope_index: 0,
    };
    match chain.family() {
        Family::Taproot => taproot_records(j, chain, at, tx, &mut events)?,
        Family::Mvc => crate::mvc::records(j, chain, at, tx, &mut events)?,
    }

    // 3. Outputs.
    let spend = match spent_asset {
        Some(a) if !mixed => {
            let row = asset(j, &a)?
                .ok_or_else(|| IndexError::Corrupt(format!("vault UTXO of unknown asset {a}")))?;
            // A merge returns everything to the one vault (or splitter) it spent.
            let is_merge = tx.output.len() == 1
                && holder_of(j, &tx.output[0].script_pubkey)?
                    == Some(Holder {
                        asset: a,
                        splitter: spent_splitter,
                    });
            if is_merge {
                Spend::Merge(row)
            } else {
                Spend::Distribution(row, spent_splitter)
            }
        }
        _ => Spend::None,
    };
    let mut to_parents = Vec::new();
    let mut to_owner = 0u64;
    let mut to_payees = Vec::new();
    let mut to_splitters = Vec::new();
    let mut parent_vouts = Vec::new();
    for (vout, out) in tx.output.iter().enumerate() {
        let vault_of_output = holder_of(j, &out.script_pubkey)?;
        if let Spend::Distribution(x, _) = &spend {
            if out.script_pubkey == x.record.owner {
                to_owner += out.value.to_sat();
                pay_owner(j, x, out, height)?;
            } else if vault_of_output.is_none()
                && x.record
                    .payees
                    .iter()
                    .any(|p| p.script == out.script_pubkey)
            {
                // A payee's share is paid out, like the owner's (and earnings of its script).
                to_payees.push((out.script_pubkey.to_hex_string(), out.value.to_sat()));
                pay_owner(j, x, out, height)?;
                bump(j, &x.id, |s| s.to_payees += out.value.to_sat())?;
            }
        }
        let Some(Holder {
            asset: target,
            splitter,
        }) = vault_of_output
        else {
            continue;
        };
        let amount = out.value.to_sat();
        let utxo = VaultUtxo {
            asset: target,
            amount,
            height,
            splitter,
        };
        let key = outpoint_key(&txid, vout as u32);
        j.put(T_VAULT_UTXOS, &key, &encode(&utxo))?;
        j.put(T_ASSET_UTXOS, &asset_utxo_key(&target, &key), &[])?;
        bump(j, &target, |s| {
            s.waiting += amount;
            if splitter.is_some() {
                s.in_splitters += amount;
            }
            if amount > bitmodel_protocol::MAX_SCRIPT_AMOUNT {
                s.unspendable_utxos += 1;
            }
        })?;
        match &spend {
            // Passed down the asset's own tree of splitters: still its money, waiting.
            Spend::Distribution(x, _) if x.id == target && splitter.is_some() => {
                to_splitters.push((splitter.unwrap_or_default(), vout as u32, amount));
            }
            Spend::Distribution(x, _)
                if splitter.is_none()
                    && x.record.parents.iter().any(|p| p.asset == target)
                    && x.record.owner != out.script_pubkey =>
            {
                bump(j, &target, |s| s.from_children += amount)?;
                bump(j, &x.id, |s| s.to_parents += amount)?;
                to_parents.push((target, amount));
                parent_vouts.push(vout as u32);
            }
            Spend::Merge(x) if x.id == target => {}
            _ => {
                bump(j, &target, |s| {
                    s.payments_in += amount;
                    s.payments += 1;
                })?;
                events.push(Event::Payment {
                    asset: target,
                    vout: vout as u32,
                    amount,
                });
            }
        }
    }

    // 4. Direct-mode payments (a marker names the asset and the amount).
    // At most MAX_DIRECT_MARKERS per transaction count: each costs a lineage walk, and a
    // transaction stuffed with markers must not cost the indexer more than a few.
    for (asset_paid, amount) in tx
        .output
        .iter()
        .filter_map(|out| direct::parse_marker(&out.script_pubkey))
        .take(MAX_DIRECT_MARKERS)
    {
        if let Some(event) = direct_payment(j, tx, asset_paid, amount, height)? {
            events.push(event);
        }
    }

    // 5. Fees.
    let out_total: u64 = tx.output.iter().map(|o| o.value.to_sat()).sum();
    let fee = spent_in.saturating_sub(out_total);
    match spend {
        Spend::Distribution(x, splitter) => {
            bump(j, &x.id, |s| {
                s.fees += fee;
                s.distributions += 1;
            })?;
            events.push(Event::Distribution {
                asset: x.id,
                amount: spent_in,
                fee,
                to_parents,
                to_owner,
                to_payees,
                splitter,
                parent_vouts,
                to_splitters,
            });
        }
        Spend::Merge(x) => {
            bump(j, &x.id, |s| {
                s.fees += fee;
                s.merges += 1;
            })?;
            events.push(Event::Merge {
                asset: x.id,
                inputs: tx.input.len() as u32,
                amount: spent_in,
                fee,
            });
        }
        Spend::None => {}
    }
    if !events.is_empty() {
        j.put(T_EVENTS, txid.as_ref(), &encode(&events))?;
        let mut log = height.to_be_bytes().to_vec();
        log.extend_from_slice(&tx_index.to_be_bytes());
        j.put(T_EVENT_LOG, &log, txid.as_ref())?;
        let mut involved: Vec<AssetId> = events.iter().flat_map(Event::assets).collect();
        involved.sort();
        involved.dedup();
        for a in involved {
            let mut k = asset_key(&a).to_vec();
            k.extend_from_slice(&height.to_be_bytes());
            k.extend_from_slice(&tx_index.to_be_bytes());
            k.extend_from_slice(txid.as_ref());
            j.put(T_ASSET_EVENTS, &k, &[])?;
        }
    }
    Ok(())
}

/// Records and file parts in a Bitcoin-format transaction's inscription envelopes.
/// `at` is the transaction's position (its envelope index is each envelope's).
fn taproot_records(
    j: &mut Journal<'_>,
    chain: Chain,
    at: ChainPosition,
    tx: &Transaction,
    events: &mut Vec<Event>,
) -> Result<(), IndexError> {
    let txid = tx.compute_txid();
    for env in parse_transaction(tx) {
        let id = AssetId::new(txid, env.index);
        let position = ChainPosition {
            envelope_index: env.index,
            ..at
        };
        if let Some(chunk) = env.inscription.chunk_ref() {
            if let Err(reason) = apply_chunk(
                j,
                chunk,
                env.inscription.body.as_deref().unwrap_or_default(),
            )? {
                invalid(j, events, id, position, reason)?;
            }
            continue;
        }
        let verdict = with_registry(j, |registry| {
            validate_envelope(&env, &id, position, &registry)
        })?;
        match verdict {
            None => {}
            Some(Ok(record)) => {
                if let Some(c) = &record.content {
                    let body = env.inscription.body.clone().unwrap_or_default();
                    let row = ContentRow {
                        size: c.size,
                        sha256: c.sha256,
                        content_type: env
                            .inscription
                            .content_type
                            .as_ref()
                            .map(|t| String::from_utf8_lossy(t).into_owned()),
                        received: 0,
                        parts: 0,
                        status: ContentStatus::Partial,
                        commit: c.parts.clone(),
                    };
                    // The record's own body is part 0: if it does not match the record's own
                    // commitment the file can never be whole.
                    if let Err(why) = add_part(j, &id, row.clone(), 0, &body)? {
                        let broken = ContentRow {
                            status: ContentStatus::HashMismatch,
                            ..row
                        };
                        j.put(T_CONTENT, &asset_key(&id), &encode(&broken))?;
                        events.push(Event::Invalid {
                            asset: id,
                            reason: why,
                        });
                    }
                }
                let content_type = env
                    .inscription
                    .content_type
                    .as_ref()
                    .map(|c| String::from_utf8_lossy(c).into_owned());
                register(j, chain, id, position, record, content_type, events)?;
            }
            Some(Err(reason)) => invalid(j, events, id, position, reason.to_string())?,
        }
    }
    Ok(())
}

/// Books `id` as invalid with `reason` (kept, and shown, instead of an asset).
pub(crate) fn invalid(
    j: &mut Journal<'_>,
    events: &mut Vec<Event>,
    id: AssetId,
    position: ChainPosition,
    reason: String,
) -> Result<(), IndexError> {
    let row = InvalidRow {
        id,
        position,
        reason: reason.clone(),
    };
    j.put(T_INVALID, &asset_key(&id), &encode(&row))?;
    events.push(Event::Invalid { asset: id, reason });
    Ok(())
}

/// Runs `validate` against the assets booked so far. A storage error while looking one up is
/// the index's error, never a verdict: were it read as "no such parent", a record would be
/// booked invalid for an I/O failure, and stay so.
pub(crate) fn with_registry<T>(
    j: &Journal<'_>,
    validate: impl FnOnce(&dyn Fn(&AssetId) -> Option<ChainPosition>) -> T,
) -> Result<T, IndexError> {
    let failed = std::cell::RefCell::new(None);
    let registry = |a: &AssetId| -> Option<ChainPosition> {
        match asset(j, a) {
            Ok(row) => row.map(|r| r.position),
            Err(e) => {
                failed.borrow_mut().get_or_insert(e);
                None
            }
        }
    };
    let verdict = validate(&registry);
    match failed.into_inner() {
        Some(e) => Err(e),
        None => Ok(verdict),
    }
}

/// Books a valid record as an asset: its row, its children links, its vault and splitters
/// (when the chain has vaults and its parents have them), and the event.
pub(crate) fn register(
    j: &mut Journal<'_>,
    chain: Chain,
    id: AssetId,
    position: ChainPosition,
    record: bitmodel_protocol::Record,
    content_type: Option<String>,
    events: &mut Vec<Event>,
) -> Result<(), IndexError> {
    let (vault, splitters) = match vault_of(j, chain, &record)? {
        Some((v, splitters)) => (Some(v), splitters),
        None => (None, Vec::new()),
    };
    let row = AssetRow {
        id,
        record,
        position,
        content_type,
        vault: vault.clone(),
    };
    for p in &row.record.parents {
        let mut k = asset_key(&p.asset).to_vec();
        k.extend_from_slice(&asset_key(&id));
        j.put(T_CHILDREN, &k, &[])?;
    }
    j.put(T_ASSETS, &asset_key(&id), &encode(&row))?;
    j.put(T_STATS, &asset_key(&id), &encode(&AssetStats::default()))?;
    // Equal terms (owner, parents, weights, fee cap) make an equal vault. Its
    // payments stay booked to the first asset registered with it; later ones
    // show it as shared (see `Index::vault_status`).
    if let Some(spk) = vault {
        if j.get(T_VAULTS, spk.as_bytes())?.is_none() {
            j.put(T_VAULTS, spk.as_bytes(), &asset_key(&id))?;
            // Its splitters are booked with it (equal terms, equal splitters).
            for (n, sv) in splitters.iter().enumerate() {
                let spk = sv.script_pubkey();
                if j.get(T_SPLITTERS, spk.as_bytes())?.is_none() {
                    let mut v = asset_key(&id).to_vec();
                    v.extend_from_slice(&(n as u16).to_be_bytes());
                    j.put(T_SPLITTERS, spk.as_bytes(), &v)?;
                }
            }
        }
    }
    events.push(Event::Registered { asset: id });
    Ok(())
}

/// Adds a part of an asset's file, or says why it does not count. With the record's
/// commitment (version 2) a part counts only if its length and SHA-256 are the committed
/// ones; without (version 1) any part inside the declared size counts. Each part is hashed
/// once on arrival; the whole file once, when its last part arrives.
pub(crate) fn add_part(
    j: &mut Journal<'_>,
    asset: &AssetId,
    mut row: ContentRow,
    index: u32,
    bytes: &[u8],
) -> Result<Result<(), String>, IndexError> {
    let complete = match &row.commit {
        Some(p) => {
            let Some(want) = p.expected_len(row.size, index) else {
                return Ok(Err(format!(
                    "content part {index} of {asset} is past the {} part(s) its record commits to",
                    p.sha256.len()
                )));
            };
            let got = sha256::Hash::hash(bytes).to_byte_array();
            if bytes.len() as u64 != want || p.sha256.get(index as usize) != Some(&got) {
                return Ok(Err(format!(
                    "content part {index} of {asset} ({} bytes, sha256 {}) does not match its record's commitment ({want} bytes, sha256 {}); ignored",
                    bytes.len(),
                    hex(&got),
                    p.sha256.get(index as usize).map(|h| hex(h)).unwrap_or_default()
                )));
            }
            row.parts + 1 == p.sha256.len() as u32
        }
        None => row.received + bytes.len() as u64 == row.size,
    };
    let mut key = asset_key(asset).to_vec();
    key.extend_from_slice(&index.to_be_bytes());
    j.put(T_PARTS, &key, bytes)?;
    row.received += bytes.len() as u64;
    row.parts += 1;
    if complete {
        // Parts may arrive in any order; the file is parts 0..n in index order. Without a
        // commitment a gap at this point can never be filled (the size is reached).
        let mut hasher = sha256::Hash::engine();
        let mut whole = true;
        for i in 0..row.parts {
            let mut k = asset_key(asset).to_vec();
            k.extend_from_slice(&i.to_be_bytes());
            match j.get(T_PARTS, &k)? {
                Some(part) => bitcoin::hashes::HashEngine::input(&mut hasher, &part),
                None => whole = false,
            }
        }
        let digest = sha256::Hash::from_engine(hasher).to_byte_array();
        row.status = if whole && digest == row.sha256 && row.received == row.size {
            ContentStatus::Verified
        } else {
            ContentStatus::HashMismatch
        };
    }
    j.put(T_CONTENT, &asset_key(asset), &encode(&row))?;
    Ok(Ok(()))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A part inscription: it counts only for a known asset with content that is still being
/// assembled, at an index not yet filled, and (version 1) within the declared size or
/// (version 2) matching the record's commitment. Anyone may inscribe a matching part.
fn apply_chunk(
    j: &mut Journal<'_>,
    chunk: Result<ChunkRef, RecordError>,
    body: &[u8],
) -> Result<Result<(), String>, IndexError> {
    let chunk = match chunk {
        Ok(c) => c,
        Err(e) => return Ok(Err(e.to_string())),
    };
    let Some(stored) = j.get(T_CONTENT, &asset_key(&chunk.asset))? else {
        return Ok(Err(format!(
            "content part for {}, which is not a registered asset with content",
            chunk.asset
        )));
    };
    let row: ContentRow = decode(&stored)?;
    if row.status != ContentStatus::Partial {
        return Ok(Err(format!(
            "content of {} is already {:?}; part {} ignored",
            chunk.asset, row.status, chunk.index
        )));
    }
    let mut key = asset_key(&chunk.asset).to_vec();
    key.extend_from_slice(&chunk.index.to_be_bytes());
    if j.get(T_PARTS, &key)?.is_some() {
        return Ok(Err(format!(
            "content part {} of {} is already here; a repeated part is ignored",
            chunk.index, chunk.asset
        )));
    }
    if row.commit.is_none() {
        if body.is_empty() {
            return Ok(Err(format!(
                "content part {} of {} is empty; an empty part adds nothing",
                chunk.index, chunk.asset
            )));
        }
        if row.received + body.len() as u64 > row.size {
            return Ok(Err(format!(
                "content part {} of {} goes past the declared size of {} bytes",
                chunk.index, chunk.asset, row.size
            )));
        }
    }
    add_part(j, &chunk.asset, row, chunk.index, body)
}

/// Checks a direct-mode payment against the split it owes, and credits it if it conforms.
fn direct_payment(
    j: &mut Journal<'_>,
    tx: &Transaction,
    asset_paid: AssetId,
    amount: u64,
    height: u32,
) -> Result<Option<Event>, IndexError> {
    if asset(j, &asset_paid)?.is_none() {
        return Ok(None);
    }
    let rows = ancestry(j, &asset_paid)?;
    let pairs: Vec<_> = rows.iter().map(|r| (r.id, &r.record)).collect();
    let nodes = direct::lineage_nodes(&pairs);
    let split = direct::direct_split(&nodes, amount).map_err(|e| {
        IndexError::corrupt(format!("direct split of a payment to {asset_paid}"), e)
    })?;
    // Node i is rows[i], or (past the rows) a payee of rows[payee_of].
    let row_of = |i: usize| &rows[nodes[i].payee_of.unwrap_or(i)];
    // What each payout script was owed in total, against what the transaction paid it.
    let mut owed: Vec<(ScriptBuf, u64)> = Vec::new();
    for (n, p) in nodes.iter().zip(&split.payouts) {
        match owed.iter_mut().find(|(s, _)| *s == n.owner) {
            Some(o) => o.1 += p,
            None => owed.push((n.owner.clone(), *p)),
        }
    }
    let paid_to = |spk: &ScriptBuf| {
        tx.output
            .iter()
            .filter(|o| o.script_pubkey == *spk)
            .map(|o| o.value.to_sat())
            .sum::<u64>()
    };
    let conforming = owed.iter().all(|(spk, v)| paid_to(spk) >= *v);
    let payouts: Vec<(AssetId, u64, u64)> = rows
        .iter()
        .zip(&split.payouts)
        .map(|(r, p)| (r.id, *p, paid_to(&r.record.owner)))
        .collect();
    let payee_payouts: Vec<(String, u64, u64)> = nodes
        .iter()
        .zip(&split.payouts)
        .skip(rows.len())
        .map(|(n, p)| (n.owner.to_hex_string(), *p, paid_to(&n.owner)))
        .collect();
    if conforming {
        bump(j, &asset_paid, |s| {
            s.payments_in += amount;
            s.payments += 1;
        })?;
        for (i, (n, p)) in nodes.iter().zip(&split.payouts).enumerate() {
            if *p > 0 {
                let out = TxOut {
                    value: bitcoin::Amount::from_sat(*p),
                    script_pubkey: n.owner.clone(),
                };
                pay_owner(j, row_of(i), &out, height)?;
                if nodes[i].payee_of.is_some() {
                    bump(j, &row_of(i).id, |s| s.to_payees += *p)?;
                }
            }
        }
    } else {
        bump(j, &asset_paid, |s| s.nonconforming_payments += 1)?;
    }
    let redirected = split
        .redirected
        .iter()
        .map(|(f, t, v)| (row_of(*f).id, row_of(*t).id, *v))
        .collect();
    Ok(Some(Event::Direct {
        asset: asset_paid,
        amount,
        conforming,
        payouts,
        redirected,
        payee_payouts,
    }))
}

/// The asset and all its ancestors, the asset first (breadth-first, each once).
/// The key of an asset's vault UTXO in [`crate::schema::ASSET_UTXOS`].
pub(crate) fn asset_utxo_key(asset: &AssetId, outpoint_key: &[u8]) -> Vec<u8> {
    let mut k = asset_key(asset).to_vec();
    k.extend_from_slice(outpoint_key);
    k
}

fn ancestry(j: &Journal<'_>, id: &AssetId) -> Result<Vec<AssetRow>, IndexError> {
    crate::rows::ancestry(id, |a| asset(j, a))
}

fn pay_owner(
    j: &mut Journal<'_>,
    x: &AssetRow,
    out: &TxOut,
    height: u32,
) -> Result<(), IndexError> {
    let amount = out.value.to_sat();
    bump(j, &x.id, |s| s.paid_out += amount)?;
    let key = out.script_pubkey.as_bytes();
    let mut e: Earnings = match j.get(T_EARNINGS, key)? {
        Some(b) => decode(&b)?,
        None => Earnings::default(),
    };
    e.total += amount;
    e.distributions += 1;
    j.put(T_EARNINGS, key, &encode(&e))?;
    // Per block, for earnings over time.
    let mut log_key = key.to_vec();
    log_key.extend_from_slice(&height.to_be_bytes());
    let before = j.get(T_EARNINGS_LOG, &log_key)?.map_or(0, |b| {
        u64::from_le_bytes(b.as_slice().try_into().unwrap_or([0; 8]))
    });
    j.put(T_EARNINGS_LOG, &log_key, &(before + amount).to_le_bytes())
}

pub fn asset(j: &Journal<'_>, id: &AssetId) -> Result<Option<AssetRow>, IndexError> {
    j.get(T_ASSETS, &asset_key(id))?
        .map(|b| decode(&b))
        .transpose()
}

fn bump(
    j: &mut Journal<'_>,
    id: &AssetId,
    f: impl FnOnce(&mut AssetStats),
) -> Result<(), IndexError> {
    let key = asset_key(id);
    let mut s: AssetStats = match j.get(T_STATS, &key)? {
        Some(b) => decode(&b)?,
        None => AssetStats::default(),
    };
    f(&mut s);
    j.put(T_STATS, &key, &encode(&s))
}

/// The asset's vault scriptPubKey and its splitters on chains with vaults (on MVC, its
/// OP_PUSH_TX splitter, and no splitter tree) (parents' vaults
/// come first in chain order, so they are already known).
fn vault_of(
    j: &Journal<'_>,
    chain: Chain,
    record: &bitmodel_protocol::Record,
) -> Result<Option<(bitcoin::ScriptBuf, Vec<Vault>)>, IndexError> {
    if !chain.rules_have_vaults() {
        return Ok(None);
    }
    let mut parent_vaults = Vec::with_capacity(record.parents.len());
    for p in &record.parents {
        match asset(j, &p.asset)?.and_then(|r| r.vault) {
            Some(v) => parent_vaults.push(v),
            None => return Ok(None),
        }
    }
    if chain.family() == Family::Mvc {
        // One splitter holds any number of parents: no tree below it.
        return Ok(
            bitmodel_mvc::splitter::Splitter::of_record(record, &parent_vaults)
                .ok()
                .map(|s| (s.script(), Vec::new())),
        );
    }
    let Ok(vaults) = record_vaults(record, &parent_vaults, chain) else {
        return Ok(None);
    };
    Ok(Vault::new(vaults.top, chain)
        .ok()
        .map(|v| (v.script_pubkey().clone(), vaults.splitters)))
}
