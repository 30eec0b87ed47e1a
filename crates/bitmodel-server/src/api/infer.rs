//! `POST /api/v1/assets/{id}/infer`: one paid run of a model asset (see the gateway module
//! for the protocol). Every refusal is a problem document naming what was wrong; a 402
//! carries the quote to pay.

use std::sync::Arc;

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
use crate::gateway::{memo, payment, Calls, Gateway};
use crate::{blocking, AppState, Problem};

/// Request bodies larger than this are refused with 413 before parsing.
pub const MAX_BODY: usize = 8 * 1024 * 1024;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InferRequest {
    pub inputs: Vec<Tensor>,
    pub payment: Option<PaymentRef>,
    /// Without a payment: how many calls the quote should be for (prepaid; default 1).
    pub calls: Option<u64>,
}

/// The most calls one payment may buy (and the quote offers).
pub const MAX_CALLS_PER_PAYMENT: u64 = 10_000;

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
    let vault_text = s.chain.script_label(&vault);

    let Some(pay) = req.payment else {
        let calls = req.calls.unwrap_or(1);
        let most = MAX_CALLS_PER_PAYMENT.min(bitmodel_protocol::MAX_SCRIPT_AMOUNT / price);
        if calls == 0 || calls > most {
            return Err(Problem::bad_request(format!(
                "calls {calls}: one payment buys 1 to {most} calls of {id} (at {price} sats a call a vault payment stays below 2^31 sats)"
            )));
        }
        return Err(quote_for(
            &id,
            &vault_text,
            price,
            calls,
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
    // A payment whose calls are all used: 402 with the reason and a fresh quote.
    let used_up = |c: &Calls| replayed(&id, &vault_text, price, gw.min_confirmations, &txid, c);
    if let Some(c) = gw.ledger.calls(&txid, &id).map_err(Problem::internal)? {
        if c.left() == 0 && c.in_flight.is_empty() {
            return Err(used_up(&c));
        }
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
    let paid = payment::check(&tx, &txid, &vault, &vault_text, price, &expected).map_err(|e| {
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
    // The calls it bought: paid / price (what is above a whole call flows up C-Flow too).
    let bought = (paid / price).min(MAX_CALLS_PER_PAYMENT);
    let ticket = match gw
        .ledger
        .reserve(&txid, &id, paid, bought)
        .map_err(Problem::internal)?
    {
        Ok((ticket, _)) => ticket,
        Err(calls) => return Err(used_up(&calls)),
    };
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
            gw.ledger.finish(&ticket).map_err(Problem::internal)?;
            return Err(Problem::internal(format!(
                "the model run stopped: {e}; the payment was used"
            )));
        }
        Err(_) => {
            gw.ledger.finish(&ticket).map_err(Problem::internal)?;
            return Err(Problem::new(
                StatusCode::GATEWAY_TIMEOUT,
                format!(
                    "the model ran longer than this server's {} s limit; the payment was used",
                    gw.run_timeout.as_secs_f64()
                ),
            ));
        }
    };
    let (outputs, calls) = match outcome {
        Ok(o) => (o, gw.ledger.finish(&ticket).map_err(Problem::internal)?),
        Err(e) if e.refused_before_running() => {
            let calls = gw.ledger.release(&ticket).map_err(Problem::internal)?;
            return Err(input_problem(e).with("calls_left", json!(calls.left())));
        }
        Err(e) => {
            gw.ledger.finish(&ticket).map_err(Problem::internal)?;
            return Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("{e}; the model accepted the inputs and failed on its own, so the payment was used"),
            ));
        }
    };
    Ok(Json(json!({
        "asset": id.to_string(),
        "outputs": outputs,
        "payment": {
            "txid": txid.to_string(),
            "paid": paid,
            "price": price,
            "confirmations": confirmations,
            "calls_bought": calls.bought,
            "calls_used": calls.used,
            "calls_left": calls.left(),
        },
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

/// 402 with what to pay for one call: address, price, a new token and its memo.
pub fn quote(id: &AssetId, vault: &str, price: u64, confs: u32, why: &str) -> Problem {
    quote_for(id, vault, price, 1, confs, why)
}

/// 402 with what to pay for `calls` calls (prepaid: one payment, one token, `calls` runs).
pub fn quote_for(
    id: &AssetId,
    vault: &str,
    price: u64,
    calls: u64,
    confs: u32,
    why: &str,
) -> Problem {
    let token = memo::new_token();
    let m = memo::memo(id, &token);
    let amount = price * calls;
    Problem::new(
        StatusCode::PAYMENT_REQUIRED,
        format!("{why}: pay at least {amount} sats to {vault} with an OP_RETURN output carrying the memo, then send the txid and the token as \"payment\"; one payment of n × {price} sats buys n calls"),
    )
    .with(
        "payment",
        json!({
            "address": vault,
            "amount": amount,
            "calls": calls,
            "price_per_call": price,
            "max_calls": MAX_CALLS_PER_PAYMENT.min(bitmodel_protocol::MAX_SCRIPT_AMOUNT / price),
            "memo": hex::encode(m),
            "memo_script": memo::script(&m).to_hex_string(),
            "token": token,
            "min_confirmations": confs,
            "used_when": "a call is used when the model runs, or fails or overruns the time limit by its own doing; inputs refused before the model runs, a busy server (429) and an unconfirmed payment leave it usable; an unconfirmed payment must not signal replacement (BIP125); a payment of n × price_per_call buys n calls with the same txid and token (ask with \"calls\": n for a quote)",
        }),
    )
}

fn replayed(id: &AssetId, vault: &str, price: u64, confs: u32, txid: &Txid, c: &Calls) -> Problem {
    let why = if c.in_flight.is_empty() {
        format!(
            "payment {txid} bought {} call(s) of {} and all were used (the last at unix time {})",
            c.bought, c.asset, c.at
        )
    } else {
        format!(
            "payment {txid} bought {} call(s) of {}: {} used and {} running now; retry when one ends",
            c.bought,
            c.asset,
            c.used,
            c.in_flight.len()
        )
    };
    quote(id, vault, price, confs, &why).with("calls_left", json!(0))
}
