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
    let tensor = json!({"type": "object", "required": ["shape", "data"], "properties": {
        "name": {"type": "string"}, "shape": {"type": "array", "items": {"type": "integer", "minimum": 0}},
        "dtype": {"type": "string", "enum": ["float32", "int64"], "default": "float32"},
        "data": {"type": "array", "items": {"type": "number"}}}});
    let infer = json!({"post": {
        "summary": "Run a model asset, paid per call. Without `payment` the answer is 402 with a quote (vault address, price, token, memo); pay the vault with the memo in an OP_RETURN output and call again with the txid and token. A payment of n × the price buys n calls (prepaid: send `calls: n` without a payment for a quote of n calls; present the same txid and token n times; the answer's `payment.calls_left` counts down); a call refused for its inputs does not use one.",
        "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {
            "type": "object", "required": ["inputs"], "additionalProperties": false, "properties": {
                "inputs": {"type": "array", "items": tensor},
                "calls": {"type": "integer", "minimum": 1, "maximum": 10000, "description": "without payment: the number of calls to quote for"},
                "payment": {"type": "object", "required": ["txid", "token"], "additionalProperties": false, "properties": {
                    "txid": {"type": "string"}, "token": {"type": "string"}, "block": {"type": "string"}}}}}}}},
        "responses": {
            "200": {"description": "the model's outputs", "content": {"application/json": {}}},
            "400": {"description": "bad input", "content": {"application/problem+json": {}}},
            "402": {"description": "payment required, too small, unconfirmed or already used; carries a new quote in `payment`", "content": {"application/problem+json": {}}},
            "404": {"description": "unknown asset", "content": {"application/problem+json": {}}},
            "409": {"description": "the asset has no price or no runnable model", "content": {"application/problem+json": {}}},
            "413": {"description": "body over 8 MiB or inputs too large", "content": {"application/problem+json": {}}},
            "415": {"description": "not application/json", "content": {"application/problem+json": {}}},
            "422": {"description": "inputs the model cannot take (the payment stays usable)", "content": {"application/problem+json": {}}},
            "501": {"description": "the chain has no OP_CAT, so no vaults", "content": {"application/problem+json": {}}},
            "503": {"description": "the node cannot be asked about the payment, or inference is off", "content": {"application/problem+json": {}}}}}});
    Json(json!({
        "openapi": "3.1.0",
        "info": {"title": "Bitmodel API", "version": "1", "description": "Bitmodel assets, C-Flow lineage, vaults and flows (read-only), and paid inference."},
        "paths": {
            "/api/v1/status": op("Chain and index status, and the books", &[]),
            "/api/v1/assets": list,
            "/api/v1/assets/{id}": op("One asset: record, vault, money in and out (ETag)", &["id"]),
            "/api/v1/assets/{id}/lineage": op("Ancestors with effective shares (ppm), descendants", &["id"]),
            "/api/v1/assets/{id}/vault": op("Vault balance, waiting UTXOs, distribution threshold", &["id"]),
            "/api/v1/assets/{id}/flows": op("Payments, distributions and merges that touched the asset", &["id"]),
            "/api/v1/assets/{id}/content": op("The asset's on-chain file, sha256-checked (ETag)", &["id"]),
            "/api/v1/assets/{id}/infer": infer,
            "/api/v1/tx/{txid}": op("What a transaction did in Bitmodel", &["txid"]),
            "/api/v1/earnings/{payee}": op("Earnings of an address or scriptPubKey", &["payee"]),
            "/api/v1/index": {"post": {
                "summary": "One read of the index in its own row types, for a CLI beside the node that owns it",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["query"], "properties": {
                        "query": {"type": "string", "enum": ["head", "asset", "invalid", "ancestry", "vault_terms", "vault_status", "stats", "events_for", "vault_utxos", "earnings", "totals", "asset_count"]},
                        "arg": {"description": "an asset id, or a scriptPubKey in hex for earnings"}}}}}},
                "responses": {
                    "200": {"description": "the answer", "content": {"application/json": {}}},
                    "400": {"description": "not a query", "content": {"application/problem+json": {}}}}}},
            "/api/v1/openapi.json": op("This document", &[])
        }
    }))
}
