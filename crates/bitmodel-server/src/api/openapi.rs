//! `GET /api/v1/openapi.json`: the API's OpenAPI 3.1 description.

use axum::Json;
use serde_json::{json, Value};

fn op(summary: &str, params: &[&str]) -> Value {
    let parameters: Vec<Value> = params
        .iter()
        .map(|p| json!({"name": p, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect();
    json!({
        "get": {
            "summary": summary,
            "parameters": parameters,
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {}}},
                "400": {"description": "bad input", "content": {"application/problem+json": {}}},
                "404": {"description": "not found", "content": {"application/problem+json": {}}}
            }
        }
    })
}

pub async fn get() -> Json<Value> {
    let mut list = op(
        "List assets; ?q= searches names, ?limit= (1..200) and ?offset= page",
        &[],
    );
    list["get"]["parameters"] = json!([
        {"name": "q", "in": "query", "schema": {"type": "string"}},
        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
        {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}}
    ]);
    Json(json!({
        "openapi": "3.1.0",
        "info": {"title": "Bitmodel API", "version": "1", "description": "Read-only view of Bitmodel assets, C-Flow lineage, vaults and flows."},
        "paths": {
            "/api/v1/status": op("Chain and index status, and the books", &[]),
            "/api/v1/assets": list,
            "/api/v1/assets/{id}": op("One asset: record, vault, money in and out (ETag)", &["id"]),
            "/api/v1/assets/{id}/lineage": op("Ancestors with effective shares (ppm), descendants", &["id"]),
            "/api/v1/assets/{id}/vault": op("Vault balance, waiting UTXOs, distribution threshold", &["id"]),
            "/api/v1/assets/{id}/flows": op("Payments, distributions and merges that touched the asset", &["id"]),
            "/api/v1/assets/{id}/content": op("The asset's on-chain file, sha256-checked (ETag)", &["id"]),
            "/api/v1/tx/{txid}": op("What a transaction did in Bitmodel", &["txid"]),
            "/api/v1/earnings/{payee}": op("Earnings of an address or scriptPubKey", &["payee"]),
            "/api/v1/openapi.json": op("This document", &[])
        }
    }))
}
