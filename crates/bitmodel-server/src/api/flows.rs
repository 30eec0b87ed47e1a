//! `GET /api/v1/assets/{id}/flows` and `GET /api/v1/tx/{txid}`: payments, distributions and
//! merges as the index understood them.

use std::str::FromStr;

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use super::asset_id;
use crate::{AppState, Problem};

pub async fn by_asset(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let id = asset_id(&id)?;
    if s.index.asset(&id)?.is_none() {
        return Err(Problem::not_found(format!("unknown asset {id}")));
    }
    let flows: Vec<Value> = s
        .index
        .events_for(&id)?
        .into_iter()
        .map(|(txid, e)| json!({ "txid": txid.to_string(), "event": e }))
        .collect();
    Ok(Json(json!({ "asset": id.to_string(), "flows": flows })))
}

pub async fn by_txid(
    State(s): State<AppState>,
    Path(txid): Path<String>,
) -> Result<Json<Value>, Problem> {
    let txid = bitcoin::Txid::from_str(&txid).map_err(|_| {
        Problem::bad_request(format!(
            "'{txid}' is not a txid; expected 64 hex characters"
        ))
    })?;
    let events = s.index.events(&txid)?;
    if events.is_empty() {
        return Err(Problem::not_found(format!(
            "transaction {txid} did nothing Bitmodel indexes"
        )));
    }
    let index = s.index.clone();
    let payments = crate::blocking(move || crate::trace::trace(&index, &txid)).await??;
    let payments: Vec<Value> = payments
        .iter()
        .map(|c| {
            json!({
                "asset": c.asset,
                "amount": c.amount,
                "to_owners_total": c.owners_total(),
                "to_payees_total": c.payees_total(),
                "fees": c.fees,
                "waiting_total": c.waiting_total(),
                "steps": c.steps,
                "to_owners": c.to_owners,
                "to_payees": c.to_payees,
                "waiting": c.waiting,
                "direct": c.direct,
            })
        })
        .collect();
    Ok(Json(
        json!({ "txid": txid.to_string(), "events": events, "payments": payments }),
    ))
}
