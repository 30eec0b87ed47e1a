//! `GET /api/v1/assets/{id}/lineage`: every ancestor with its effective share of a payment
//! to the asset (parts per million, exact C-Flow math), every payee of the lineage (a leaf),
//! and the descendants.

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
    // Walks of the whole lineage: on the blocking pool, not the async workers.
    crate::blocking(move || lineage(&s, id)).await?
}

fn lineage(s: &AppState, id: bitmodel_protocol::AssetId) -> Result<Json<Value>, Problem> {
    let flow = crate::flow::Flow::of(&s.index, &id, 1_000_000)?
        .ok_or_else(|| Problem::not_found(format!("unknown asset {id}")))?;
    let rows = &flow.rows;
    let ppm = |i: usize| flow.ppm(i);
    let address = |spk: &bitcoin::ScriptBuf| {
        bitcoin::Address::from_script(spk, s.chain.network())
            .map(|a| a.to_string())
            .ok()
    };
    let ancestors: Vec<Value> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            json!({
                "id": r.id.to_string(),
                "name": r.record.name,
                "kind": r.record.kind,
                "effective_share_ppm": ppm(i),
                "parents": r.record.parents.iter().map(|p| json!({"id": p.asset.to_string(), "weight": p.weight, "relation": p.relation})).collect::<Vec<_>>(),
                "payees": r.record.payees.iter().map(|p| json!({"script": p.script.to_hex_string(), "address": address(&p.script), "weight": p.weight, "relation": p.relation})).collect::<Vec<_>>(),
            })
        })
        .collect();
    // Payees (record format v3) are leaves: their effective shares, by the asset naming them.
    let payees: Vec<Value> = flow
        .payees
        .iter()
        .enumerate()
        .map(|(k, (i, p))| {
            json!({
                "of": rows[*i].id.to_string(),
                "script": p.script.to_hex_string(),
                "address": address(&p.script),
                "relation": p.relation,
                "weight": p.weight,
                "effective_share_ppm": ppm(rows.len() + k),
            })
        })
        .collect();
    // Descendants: assets that name this one, transitively (the index's children table).
    let descendants: Vec<Value> = s
        .index
        .descendants(&id)?
        .into_iter()
        .map(|a| json!({ "id": a.id.to_string(), "name": a.record.name, "kind": a.record.kind }))
        .collect();
    Ok(Json(
        json!({ "asset": id.to_string(), "ancestors": ancestors, "payees": payees, "descendants": descendants }),
    ))
}
