//! `GET /api/v1/assets/{id}/vault`: balance, waiting UTXOs and the distribution threshold.

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use super::asset_id;
use crate::{AppState, Problem};

pub async fn get(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let id = asset_id(&id)?;
    let row = s
        .index
        .asset(&id)?
        .ok_or_else(|| Problem::not_found(format!("unknown asset {id}")))?;
    let Some(vault) = row.vault else {
        return Ok(Json(
            json!({ "asset": id.to_string(), "vault": null, "reason": if s.chain.rules_have_push_tx() {
                format!("{id} has no splitter on {}: its owner or a payee is not P2PKH, or a parent has none", s.chain)
            } else {
                format!("{} has no OP_CAT: payments are split directly", s.chain)
            } }),
        ));
    };
    let st = s
        .index
        .vault_status(&id)?
        .ok_or_else(|| Problem::not_found(format!("unknown asset {id}")))?;
    let utxos: Vec<Value> = st
        .utxos
        .iter()
        .map(
            |(op, u)| json!({ "outpoint": op.to_string(), "amount": u.amount, "height": u.height }),
        )
        .collect();
    // A wide record's splitters (more than 11 members): every one, and what waits in each.
    let splitters: Vec<Value> = match s.index.record_vaults(&id)? {
        Some(v) if !v.splitters.is_empty() => v
            .splitters
            .iter()
            .enumerate()
            .map(|(n, sv)| {
                let waiting: Vec<Value> = st
                    .splitters
                    .iter()
                    .filter(|(_, u)| u.splitter == Some(n as u16))
                    .map(|(op, u)| json!({ "outpoint": op.to_string(), "amount": u.amount, "height": u.height }))
                    .collect();
                json!({
                    "splitter": n,
                    "address": sv.address(s.chain.network()).to_string(),
                    "weight": sv.terms.denominator,
                    "children": sv.terms.parents.len() + 1,
                    "utxos": waiting,
                })
            })
            .collect(),
        _ => Vec::new(),
    };
    Ok(Json(json!({
        "asset": id.to_string(),
        "splitters": splitters,
        "in_splitters": st.in_splitters(),
        "vault": s.chain.script_label(&vault),
        "balance": st.balance,
        "utxos": utxos,
        "distribution_threshold": st.threshold_at_cap,
        "shared_with": st.shared_with.map(|a| a.to_string()),
        "keeper": crate::keeper::next(&s, &id)?.map(|n| json!({
            "runs": n.runs,
            "fee_rate": n.fee_rate,
            "fee_rate_unit": n.unit,
            "next": n.pushes,
            "wait": n.wait,
            "says": n.describe(),
        })),
    })))
}
