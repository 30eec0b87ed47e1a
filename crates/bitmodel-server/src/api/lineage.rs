//! `GET /api/v1/assets/{id}/lineage`: every ancestor with its effective share of a payment
//! to the asset (parts per million, exact C-Flow math), and the descendants.

use axum::extract::{Path, State};
use axum::Json;
use bitmodel_protocol::direct::lineage_nodes;
use bitmodel_protocol::graph::Graph;
use serde_json::{json, Value};

use super::asset_id;
use crate::{AppState, Problem};

pub async fn get(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let id = asset_id(&id)?;
    let rows = s.index.ancestry(&id)?;
    if rows.is_empty() {
        return Err(Problem::not_found(format!("unknown asset {id}")));
    }
    let pairs: Vec<_> = rows.iter().map(|r| (r.id, &r.record)).collect();
    let nodes = lineage_nodes(&pairs);
    let edges: Vec<(u32, u32, u16)> = nodes
        .iter()
        .enumerate()
        .flat_map(|(c, n)| {
            n.parents
                .iter()
                .map(move |(p, w)| (c as u32, *p as u32, *w))
        })
        .collect();
    let graph = Graph::from_edges(nodes.len(), &edges).map_err(Problem::internal)?;
    let flat = graph.flatten(0, 1_000_000);
    let ppm = |i: usize| {
        flat.iter()
            .find(|r| r.node as usize == i)
            .map_or(0, |r| r.ppm)
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
            })
        })
        .collect();
    // Descendants: assets that name this one, transitively.
    let all = s.index.assets()?;
    let mut descendants: Vec<Value> = Vec::new();
    let mut frontier = vec![id];
    let mut seen = std::collections::HashSet::from([id]);
    while let Some(cur) = frontier.pop() {
        for a in all
            .iter()
            .filter(|a| a.record.parents.iter().any(|p| p.asset == cur))
        {
            if seen.insert(a.id) {
                frontier.push(a.id);
                descendants.push(
                    json!({ "id": a.id.to_string(), "name": a.record.name, "kind": a.record.kind }),
                );
            }
        }
    }
    Ok(Json(
        json!({ "asset": id.to_string(), "ancestors": ancestors, "descendants": descendants }),
    ))
}
