//! `GET /api/v1/earnings/{payee}`: what an address (or scriptPubKey hex) earned.

use axum::extract::{Path, State};
use axum::Json;
use bitcoin::ScriptBuf;
use serde_json::{json, Value};

use crate::{AppState, Problem};

/// An address of the chain or a scriptPubKey in hex.
pub fn payee_script(s: &AppState, payee: &str) -> Result<ScriptBuf, Problem> {
    match payee.parse::<bitcoin::Address<bitcoin::address::NetworkUnchecked>>() {
        Ok(a) => Ok(a
            .require_network(s.chain.network())
            .map_err(|_| {
                Problem::bad_request(format!(
                    "address {payee} is for another network than {}",
                    s.chain
                ))
            })?
            .script_pubkey()),
        Err(_) => ScriptBuf::from_hex(payee).map_err(|_| {
            Problem::bad_request(format!(
                "'{payee}' is neither an address of {} nor a scriptPubKey in hex",
                s.chain
            ))
        }),
    }
}

pub async fn get(
    State(s): State<AppState>,
    Path(payee): Path<String>,
) -> Result<Json<Value>, Problem> {
    let spk = payee_script(&s, &payee)?;
    let e = s.index.earnings(&spk)?;
    let history: Vec<serde_json::Value> = s
        .index
        .earnings_history(&spk)?
        .into_iter()
        .map(|(h, v)| json!({"height": h, "sats": v}))
        .collect();
    Ok(Json(
        json!({ "script_pubkey": spk.to_hex_string(), "total": e.total, "distributions": e.distributions, "history": history }),
    ))
}
