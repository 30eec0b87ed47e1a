//! `GET /api/v1/status`: what the index has seen of the chain, and the books.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::{AppState, Problem};

pub async fn get(State(s): State<AppState>) -> Result<Json<Value>, Problem> {
    let tip = s.index.tip()?;
    let t = s.index.totals()?;
    Ok(Json(json!({
        "network": s.chain.name(),
        "op_cat": s.chain.has_op_cat(),
        "height": tip.map(|(h, _)| h),
        "best_block_hash": tip.map(|(_, b)| b.to_string()),
        "assets": s.index.assets()?.len(),
        "books": {
            "payments_in": t.payments_in,
            "paid_out": t.paid_out,
            "fees": t.fees,
            "waiting": t.waiting,
            "balanced": t.payments_in == t.paid_out + t.fees + t.waiting,
        }
    })))
}
