//! Records on MVC-family chains (MVC and its BSV test peer): MetaID PINs in `OP_FALSE
//! OP_RETURN` outputs (`bitmodel_mvc::pin`), the record first and its file in the content
//! PINs after it, all in one transaction. Validation, booking and vaults are the same as on
//! Fractal ([`crate::apply::register`]); only where a record and its file are read from
//! differs, and the asset id names the record's output (`<txid>i<vout>`).
//!
//! A file counts only when it is whole in the registration: each content PIN is a part, in
//! output order, checked as Fractal's parts are (against the record's part commitment, or
//! its size), and the whole against the record's SHA-256. Content PINs elsewhere belong to
//! nobody: on MVC nobody can add to another's file after the fact.

use bitcoin::Transaction;
use bitmodel_mvc::pin::{record_pins, Pin, RecordPin};
use bitmodel_protocol::validate::{validate_record, ChainPosition};
use bitmodel_protocol::{AssetId, Chain, Record};

use crate::apply::{add_part, register, with_registry};
use crate::journal::Journal;
use crate::rows::{asset_key, encode, ContentRow, ContentStatus, Event};
use crate::schema::T_CONTENT;
use crate::IndexError;

/// The transaction's id on `chain` (MVC's version-10 rule, or the ordinary one).
pub fn txid(chain: Chain, tx: &Transaction) -> bitcoin::Txid {
    bitmodel_mvc::txid::TxidRule::of(chain).txid(tx)
}

/// Every record PIN in `tx`: valid ones become assets, the rest are kept with their reason.
/// `at` is the transaction's position (its envelope index is each PIN's output).
pub fn records(
    j: &mut Journal<'_>,
    chain: Chain,
    at: ChainPosition,
    tx: &Transaction,
    events: &mut Vec<Event>,
) -> Result<(), IndexError> {
    let marker = bitmodel_mvc::pin::marker(chain);
    let found = record_pins(&tx.output, marker);
    if found.is_empty() {
        return Ok(());
    }
    let txid = txid(chain, tx);
    for RecordPin { vout, pin, parts } in found {
        let id = AssetId::new(txid, vout);
        let position = ChainPosition {
            envelope_index: vout,
            ..at
        };
        let invalid = |j: &mut Journal<'_>, events: &mut Vec<Event>, reason: String| {
            crate::apply::invalid(j, events, id, position, reason)
        };
        let record = match Record::from_cbor(&pin.body) {
            Ok((r, _unknown)) => r,
            Err(e) => {
                invalid(j, events, e.to_string())?;
                continue;
            }
        };
        let verdict = with_registry(j, |registry| {
            validate_record(&record, &id, position, &registry)
        })?;
        if let Err(reason) = verdict {
            invalid(j, events, reason.to_string())?;
            continue;
        }
        let content_type = parts.first().map(|p| p.content_type.clone());
        if let Some(c) = &record.content {
            file(j, id, c, &parts, events)?;
        }
        register(j, chain, id, position, record, content_type, events)?;
    }
    Ok(())
}

/// The record's file from the content PINs after it.
fn file(
    j: &mut Journal<'_>,
    id: AssetId,
    c: &bitmodel_protocol::record::Content,
    parts: &[Pin],
    events: &mut Vec<Event>,
) -> Result<(), IndexError> {
    let mut row = ContentRow {
        size: c.size,
        sha256: c.sha256,
        content_type: parts.first().map(|p| p.content_type.clone()),
        received: 0,
        parts: 0,
        status: ContentStatus::Partial,
        commit: c.parts.clone(),
    };
    j.put(T_CONTENT, &asset_key(&id), &encode(&row))?;
    let mut why = None;
    for (i, p) in parts.iter().enumerate() {
        if let Err(e) = add_part(j, &id, row.clone(), i as u32, &p.body)? {
            why = Some(e);
            break;
        }
        row = match j.get(T_CONTENT, &asset_key(&id))? {
            Some(b) => crate::rows::decode(&b)?,
            None => return Err(IndexError::Corrupt(format!("content row of {id}"))),
        };
    }
    if row.status == ContentStatus::Partial && why.is_none() {
        why = Some(format!(
            "the file of {id} is not whole in its registration: {} of {} bytes in {} content PIN(s); on MVC the file must be in the record's transaction",
            row.received,
            c.size,
            parts.len()
        ));
    }
    if let Some(reason) = why {
        let broken = ContentRow {
            status: ContentStatus::HashMismatch,
            ..row
        };
        j.put(T_CONTENT, &asset_key(&id), &encode(&broken))?;
        events.push(Event::Invalid { asset: id, reason });
    }
    Ok(())
}
