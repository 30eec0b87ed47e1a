//! `GET /api/v1/status`: what the index has seen of the chain, and the books.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::{AppState, Problem};

pub async fn get(State(s): State<AppState>) -> Result<Json<Value>, Problem> {
    if let Some(reason) = s
        .node_down
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
    {
        return Err(Problem::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            format!("the node is unreachable ({reason}); indexed data is still served and the index catches up when the node returns"),
        ));
    }
    let verified = s.verified();
    let tip = s.index.tip()?;
    let t = s.index.totals()?;
    Ok(Json(json!({
        "network": s.chain.name(),
        "op_cat": verified.has_op_cat(),
        "vaults": verified.has_vaults(),
        "node": verified.identity().to_string(),
        "node_identity": verified.identity(),
        "height": tip.map(|(h, _)| h),
        "best_block_hash": tip.map(|(_, b)| b.to_string()),
        "assets": s.index.asset_count()?,
        "books": {
            "payments_in": t.payments_in,
            "paid_out": t.paid_out,
            "fees": t.fees,
            "waiting": t.waiting,
            "balanced": t.payments_in == t.paid_out + t.fees + t.waiting,
        }
    })))
}
