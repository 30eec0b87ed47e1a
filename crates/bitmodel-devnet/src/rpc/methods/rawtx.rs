//! Raw transaction methods: look up (mempool, then the transaction index), decode, send.

use bitcoin::consensus::encode::{deserialize_hex, serialize_hex};
use bitcoin::{BlockHash, Transaction, Txid};
use serde_json::{json, Value};

use super::blockchain::node_error;
use super::{Params, RpcError};
use crate::error::{Reject, RejectClass};
use crate::node::{submit_tx_shared, MAX_FEE_EXCEEDED};
use crate::rpc::dispatch::{
    RPC_DESERIALIZATION_ERROR, RPC_INVALID_ADDRESS_OR_KEY, RPC_VERIFY_ALREADY_IN_CHAIN,
    RPC_VERIFY_ERROR, RPC_VERIFY_REJECTED,
};
use crate::rpc::json;
use crate::rpc::State;

/// Core's default `maxfeerate`: 0.10 BTC/kvB, in sat per 1000 vbytes.
pub const DEFAULT_MAX_FEE_RATE: u64 = 10_000_000;

pub fn decode_tx(hex: &str) -> Result<Transaction, RpcError> {
    deserialize_hex::<Transaction>(hex).map_err(|_| {
        RpcError::new(
            RPC_DESERIALIZATION_ERROR,
            "TX decode failed. Make sure the tx has at least one input.",
        )
    })
}

/// A fee rate in BTC/kvB from RPC, in sat per 1000 vbytes.
pub fn fee_rate_param(p: &Params, i: usize) -> Result<u64, RpcError> {
    Ok(match p.opt_f64(i)? {
        Some(r) if r >= 0.0 => (r * 1e8).round() as u64,
        Some(_) => {
            return Err(RpcError::new(
                crate::rpc::dispatch::RPC_TYPE_ERROR,
                "Amount out of range",
            ))
        }
        None => DEFAULT_MAX_FEE_RATE,
    })
}

/// Core's mapping of a refused transaction to an RPC error.
pub fn reject_error(r: &Reject) -> RpcError {
    match r.class {
        _ if r.reason == MAX_FEE_EXCEEDED => RpcError::new(
            RPC_VERIFY_ERROR,
            "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)",
        ),
        RejectClass::MissingInputs => RpcError::new(RPC_VERIFY_ERROR, r.core_message()),
        RejectClass::AlreadyKnown if r.reason == "txn-already-known" => RpcError::new(
            RPC_VERIFY_ALREADY_IN_CHAIN,
            "Transaction already in block chain",
        ),
        _ => RpcError::new(RPC_VERIFY_REJECTED, r.core_message()),
    }
}

pub fn sendrawtransaction(state: &State, p: &Params) -> Result<Value, RpcError> {
    let tx = decode_tx(p.str(0)?)?;
    let max = fee_rate_param(p, 1)?;
    let txid = tx.compute_txid();
    match submit_tx_shared(&state.node, tx, Some(max)) {
        Ok(txid) => Ok(json!(txid.to_string())),
        Err(r) if r.reason == "txn-already-in-mempool" => Ok(json!(txid.to_string())),
        Err(r) => Err(reject_error(&r)),
    }
}

pub fn decoderawtransaction(_: &State, p: &Params) -> Result<Value, RpcError> {
    let tx = decode_tx(p.str(0)?)?;
    Ok(json::tx(&tx, false).into())
}

pub fn getrawtransaction(state: &State, p: &Params) -> Result<Value, RpcError> {
    let txid: Txid = p.hash(0)?;
    let verbose = p.verbosity(1, 0)? > 0;
    let in_block: Option<BlockHash> = match p.get(2) {
        Some(_) => Some(p.hash(2)?),
        None => None,
    };
    let node = state.lock();
    let not_found = || {
        RpcError::new(
            RPC_INVALID_ADDRESS_OR_KEY,
            "No such mempool or blockchain transaction. Use gettransaction for wallet transactions.",
        )
    };
    let (tx, location) = match in_block {
        Some(bh) => {
            let block =
                node.chain.block(&bh).map_err(node_error)?.ok_or_else(|| {
                    RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "Block hash not found")
                })?;
            let tx = block
                .txdata
                .iter()
                .find(|t| t.compute_txid() == txid)
                .cloned()
                .ok_or_else(|| {
                    RpcError::new(
                        RPC_INVALID_ADDRESS_OR_KEY,
                        "No such transaction found in the provided block. Use gettransaction for wallet transactions.",
                    )
                })?;
            (tx, Some(bh))
        }
        None => match node.mempool.get(&txid) {
            Some(e) => ((*e.tx).clone(), None),
            None => {
                let (bh, pos) = node
                    .chain
                    .tx_location(&txid)
                    .map_err(node_error)?
                    .ok_or_else(not_found)?;
                let block = node
                    .chain
                    .block(&bh)
                    .map_err(node_error)?
                    .ok_or_else(not_found)?;
                let tx = block
                    .txdata
                    .get(pos as usize)
                    .cloned()
                    .ok_or_else(not_found)?;
                (tx, Some(bh))
            }
        },
    };
    if !verbose {
        return Ok(json!(serialize_hex(&tx)));
    }
    let mut o = json::tx(&tx, true);
    if let Some(bh) = location {
        o.insert("blockhash".into(), json!(bh.to_string()));
        if let Some(e) = node.chain.entry(&bh) {
            if node.chain.is_active(&bh) {
                o.insert(
                    "confirmations".into(),
                    json!(node.chain.height() - e.height + 1),
                );
                o.insert("time".into(), json!(e.header.time));
                o.insert("blocktime".into(), json!(e.header.time));
            } else {
                o.insert("confirmations".into(), json!(0));
            }
        }
        if in_block.is_some() {
            o.insert("in_active_chain".into(), json!(node.chain.is_active(&bh)));
        }
    }
    Ok(o.into())
}
