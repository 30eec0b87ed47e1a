//! `POST /api/v1/assets/{id}/infer`: one paid run of a model asset (see the gateway module
//! for the protocol). Every refusal is a problem document naming what was wrong; a 402
//! carries the quote to pay.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use bitcoin::{BlockHash, Txid};
use bitmodel_infer::{InferError, Model, Tensor};
use bitmodel_protocol::AssetId;
use serde::Deserialize;
use serde_json::{json, Value};

use super::asset_id;
use crate::gateway::{memo, payment, Gateway, Used};
use crate::{blocking, AppState, Problem};

/// Request bodies larger than this are refused with 413 before parsing.
pub const MAX_BODY: usize = 8 * 1024 * 1024;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InferRequest {
    pub inputs: Vec<Tensor>,
    pub payment: Option<PaymentRef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentRef {
    pub txid: String,
    pub token: String,
    /// The block holding the payment, for nodes without `-txindex`.
    pub block: Option<String>,
}

/// Maps the JSON extractor's refusals to problems with the right status.
pub fn body_problem(e: JsonRejection) -> Problem {
    match e {
        JsonRejection::MissingJsonContentType(_) => Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the request as Content-Type: application/json",
        ),
        JsonRejection::JsonSyntaxError(e) => {
            Problem::bad_request(format!("the body is not valid JSON: {}", e.body_text()))
        }
        JsonRejection::JsonDataError(e) => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "{}; expected {{\"inputs\":[{{\"name\":…,\"shape\":[…],\"dtype\":\"float32\",\"data\":[…]}}], \"payment\":{{\"txid\":…,\"token\":…}}}}",
                e.body_text()
            ),
        ),
        JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body is over {MAX_BODY} bytes; send smaller inputs"),
            )
        }
        other => Problem::new(other.status(), other.body_text()),
    }
}

pub async fn post(
    State(s): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<InferRequest>, JsonRejection>,
) -> Result<Json<Value>, Problem> {
    let id = asset_id(&id)?;
    let Json(req) = body.map_err(body_problem)?;
    let row = s
        .index
        .asset(&id)?
        .ok_or_else(|| Problem::not_found(format!("unknown asset {id}")))?;
    let Some(gw) = s.gateway.clone() else {
        return Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "paid inference is not enabled on this server (it needs the node's RPC; `bitmodel up` enables it)",
        ));
    };
    let verified = s.verified();
    let vault = match (row.vault.clone(), verified.why_no_vaults()) {
        (Some(vault), None) => vault,
        (_, why) => {
            return Err(Problem::new(
                StatusCode::NOT_IMPLEMENTED,
                format!(
                    "{}; paid inference needs a node shown to have OP_CAT (fractal, fractal-testnet, fractal-regtest, inquisition signet, devnet)",
                    why.unwrap_or_else(|| format!("asset {id} has no vault"))
                ),
            ))
        }
    };
    let Some(price) = row.record.price else {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            format!("asset {id} has no price: its owner did not offer paid inference"),
        ));
    };
    check_runnable(&s, &gw, &id).await?;
    let vault_text = bitcoin::Address::from_script(&vault, s.chain.network())
        .map(|a| a.to_string())
        .unwrap_or_else(|_| vault.to_hex_string());

    let Some(pay) = req.payment else {
        return Err(quote(
            &id,
            &vault_text,
            price,
            gw.min_confirmations,
            "this call costs a payment",
        ));
    };
    let txid: Txid = pay.txid.parse().map_err(|_| {
        Problem::bad_request(format!(
            "payment.txid '{}' is not a txid; expected 64 hex characters",
            pay.txid
        ))
    })?;
    if !memo::token_ok(&pay.token) {
        return Err(Problem::bad_request(
            "payment.token must be the 32 hex characters a 402 answer gave",
        ));
    }
    // Without a block, one the index knows (a confirmed payment still in the vault), so
    // nodes without -txindex find it too.
    let block: Option<BlockHash> = match &pay.block {
        Some(b) => Some(b.parse().map_err(|_| {
            Problem::bad_request(format!("payment.block '{b}' is not a block hash"))
        })?),
        None => s.index.vault_payment_block(&txid)?,
    };
    if let Some(u) = gw.ledger.used(&txid).map_err(Problem::internal)? {
        return Err(replayed(
            &id,
            &vault_text,
            price,
            gw.min_confirmations,
            &txid,
            &u,
        ));
    }
    let found = {
        let gw = gw.clone();
        blocking(move || gw.node.transaction(&txid, block.as_ref())).await?
    };
    let (tx, confirmations) = match found {
        Ok(Some(t)) => t,
        Ok(None) => {
            return Err(quote(&id, &vault_text, price, gw.min_confirmations, &format!(
                "the node knows no transaction {txid} on its active chain; broadcast the payment first"
            )))
        }
        Err(e) => {
            return Err(Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("cannot check the payment: the node did not answer ({e}); try again when it is back"),
            ))
        }
    };
    if confirmations < gw.min_confirmations {
        return Err(quote(
            &id,
            &vault_text,
            price,
            gw.min_confirmations,
            &format!(
                "payment {txid} has {confirmations} confirmation(s); this server needs {}",
                gw.min_confirmations
            ),
        ));
    }
    if confirmations == 0 && tx.input.iter().any(|i| i.sequence.is_rbf()) {
        return Err(quote(
            &id,
            &vault_text,
            price,
            gw.min_confirmations,
            &format!("payment {txid} is unconfirmed and signals replacement (BIP125), so it could be replaced after the answer; pay with every input's nSequence at 0xfffffffe or above, or wait for a confirmation"),
        ));
    }
    let expected = memo::memo(&id, &pay.token);
    let paid = payment::check(&tx, &vault, &vault_text, price, &expected).map_err(|e| {
        quote(
            &id,
            &vault_text,
            price,
            gw.min_confirmations,
            &e.to_string(),
        )
    })?;

    // Only now, for a payment that checks out, is the model loaded (cached, single-flight).
    let model = load(&s, &gw, &id).await?;
    // A run slot first (a busy server keeps the payment), then the payment itself, reserved
    // in one write: concurrent calls with one payment run the model once.
    let Ok(permit) = gw.permits.clone().try_acquire_owned() else {
        return Err(Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "{} model runs are in flight, this server's limit; retry in a second (the payment was not used)",
                gw.max_runs
            ),
        )
        .with_header("retry-after", "1"));
    };
    let used = Used {
        asset: id.to_string(),
        paid,
        at: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        reserved: false,
    };
    if let Err(prev) = gw.ledger.reserve(&txid, &used).map_err(Problem::internal)? {
        return Err(replayed(
            &id,
            &vault_text,
            price,
            gw.min_confirmations,
            &txid,
            &prev,
        ));
    }
    gw.runs_started
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let inputs = req.inputs;
    // The permit travels with the run: a run past the timeout still holds its slot until it
    // ends, so runs in flight stay bounded.
    let run = tokio::task::spawn_blocking(move || {
        let out = model.run(&inputs);
        drop(permit);
        out
    });
    let outcome = match tokio::time::timeout(gw.run_timeout, run).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            gw.ledger.finish(&txid, &used).map_err(Problem::internal)?;
            return Err(Problem::internal(format!(
                "the model run stopped: {e}; the payment was used"
            )));
        }
        Err(_) => {
            gw.ledger.finish(&txid, &used).map_err(Problem::internal)?;
            return Err(Problem::new(
                StatusCode::GATEWAY_TIMEOUT,
                format!(
                    "the model ran longer than this server's {} s limit; the payment was used",
                    gw.run_timeout.as_secs_f64()
                ),
            ));
        }
    };
    let outputs = match outcome {
        Ok(o) => {
            gw.ledger.finish(&txid, &used).map_err(Problem::internal)?;
            o
        }
        Err(e) if e.refused_before_running() => {
            gw.ledger.release(&txid).map_err(Problem::internal)?;
            return Err(input_problem(e));
        }
        Err(e) => {
            gw.ledger.finish(&txid, &used).map_err(Problem::internal)?;
            return Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("{e}; the model accepted the inputs and failed on its own, so the payment was used"),
            ));
        }
    };
    Ok(Json(json!({
        "asset": id.to_string(),
        "outputs": outputs,
        "payment": { "txid": txid.to_string(), "paid": paid, "price": price, "confirmations": confirmations },
    })))
}

/// The model of `id`, from the cache or the index's hash-checked content.
/// The asset's verified on-chain file.
fn model_file(s: &AppState, id: &AssetId) -> Result<Vec<u8>, Problem> {
    let Some((row, bytes)) = s.index.content(id)? else {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            format!("asset {id} has no on-chain content to run"),
        ));
    };
    bytes.ok_or_else(|| {
        Problem::new(
            StatusCode::CONFLICT,
            format!(
                "the model file of {id} is {:?}: {} of {} bytes in {} part(s); it can run once every part is mined",
                row.status, row.received, row.size, row.parts
            ),
        )
    })
}

fn unservable(id: &AssetId, e: InferError) -> Problem {
    Problem::new(
        StatusCode::CONFLICT,
        format!("the content of asset {id} cannot be served: {e}"),
    )
}

/// Before quoting: is the file a model that parses? Only its signature is kept (parsed once
/// per asset), so unpaid calls never make the server load or plan a model.
async fn check_runnable(s: &AppState, gw: &Arc<Gateway>, id: &AssetId) -> Result<(), Problem> {
    let bytes = model_file(s, id)?;
    let (gw, id2) = (gw.clone(), *id);
    blocking(move || gw.models.signature(&id2, &bytes))
        .await?
        .map(|_| ())
        .map_err(|e| unservable(id, e))
}

/// The model of `id` for a paid call, from the cache or the index's hash-checked content.
async fn load(s: &AppState, gw: &Arc<Gateway>, id: &AssetId) -> Result<Arc<Model>, Problem> {
    if let Some(m) = gw.models.get(id) {
        return Ok(m);
    }
    let bytes = model_file(s, id)?;
    let (gw, id2) = (gw.clone(), *id);
    blocking(move || gw.models.get_or_load(&id2, || Model::load(&bytes)))
        .await?
        .map_err(|e| unservable(id, e))
}

fn input_problem(e: InferError) -> Problem {
    let status = match e {
        InferError::InputTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    Problem::new(
        status,
        format!("{e}; the payment was not used and can be presented again"),
    )
}

/// 402 with what to pay: address, price, a new token and its memo.
pub fn quote(id: &AssetId, vault: &str, price: u64, confs: u32, why: &str) -> Problem {
    let token = memo::new_token();
    let m = memo::memo(id, &token);
    Problem::new(
        StatusCode::PAYMENT_REQUIRED,
        format!("{why}: pay at least {price} sats to {vault} with an OP_RETURN output carrying the memo, then send the txid and the token as \"payment\""),
    )
    .with(
        "payment",
        json!({
            "address": vault,
            "amount": price,
            "memo": hex::encode(m),
            "memo_script": memo::script(&m).to_hex_string(),
            "token": token,
            "min_confirmations": confs,
            "used_when": "the model runs, or fails or overruns the time limit by its own doing; inputs refused before the model runs, a busy server (429) and an unconfirmed payment leave it usable; an unconfirmed payment must not signal replacement (BIP125)",
        }),
    )
}

fn replayed(id: &AssetId, vault: &str, price: u64, confs: u32, txid: &Txid, u: &Used) -> Problem {
    quote(
        id,
        vault,
        price,
        confs,
        &format!(
            "payment {txid} was already used (a call to {} at unix time {}); each payment buys one call",
            u.asset, u.at
        ),
    )
}
