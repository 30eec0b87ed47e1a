//! Mining methods: on-demand blocks (`generatetoaddress`, `generateblock`), `submitblock`,
//! mining info and fee estimation.

use std::sync::Arc;

use bitcoin::consensus::encode::deserialize_hex;
use bitcoin::{Block, ScriptBuf, Txid};
use serde_json::{json, Value};

use super::rawtx::decode_tx;
use super::{parse_address, Params, RpcError};
use crate::error::DevnetError;
use crate::node::BlockOutcome;
use crate::rpc::dispatch::{
    RPC_DESERIALIZATION_ERROR, RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER, RPC_MISC_ERROR,
    RPC_VERIFY_ERROR,
};
use crate::rpc::json::{amount, DIFFICULTY};
use crate::rpc::State;

fn mine_error(e: DevnetError) -> RpcError {
    match e {
        DevnetError::Rejected(r) => RpcError::new(
            RPC_VERIFY_ERROR,
            format!("TestBlockValidity failed: {}", r.core_message()),
        ),
        other => RpcError::new(RPC_MISC_ERROR, other.to_string()),
    }
}

/// An output given as an address or a `raw(HEX)` descriptor.
fn output_script(s: &str) -> Result<ScriptBuf, RpcError> {
    if let Some(hex) = s.strip_prefix("raw(").and_then(|r| r.split(')').next()) {
        return ScriptBuf::from_hex(hex).map_err(|_| {
            RpcError::new(
                RPC_INVALID_ADDRESS_OR_KEY,
                "Error: Invalid address or descriptor",
            )
        });
    }
    let addr = s
        .strip_prefix("addr(")
        .and_then(|r| r.split(')').next())
        .unwrap_or(s);
    parse_address(addr).map(|a| a.script_pubkey())
}

pub fn generatetoaddress(state: &State, p: &Params) -> Result<Value, RpcError> {
    let n = p.i64(0)?;
    let script = parse_address(p.str(1)?)?.script_pubkey();
    if !(0..=10_000).contains(&n) {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "nblocks must be between 0 and 10000",
        ));
    }
    let mut node = state.lock();
    let mut hashes = Vec::with_capacity(n as usize);
    for _ in 0..n {
        hashes.push(node.mine(&script).map_err(mine_error)?.to_string());
    }
    Ok(json!(hashes))
}

pub fn generateblock(state: &State, p: &Params) -> Result<Value, RpcError> {
    let script = output_script(p.str(0)?)?;
    let items = p.array(1)?;
    let mut node = state.lock();
    let mut txs = Vec::with_capacity(items.len());
    for item in items {
        let s = item.as_str().ok_or_else(|| {
            RpcError::new(
                crate::rpc::dispatch::RPC_TYPE_ERROR,
                "transactions must be strings",
            )
        })?;
        if s.len() == 64 {
            if let Ok(txid) = s.parse::<Txid>() {
                let e = node.mempool.get(&txid).ok_or_else(|| {
                    RpcError::new(
                        RPC_INVALID_ADDRESS_OR_KEY,
                        format!("Transaction {txid} not in mempool."),
                    )
                })?;
                txs.push(e.tx.clone());
                continue;
            }
        }
        let tx = decode_tx(s).map_err(|_| {
            RpcError::new(
                RPC_DESERIALIZATION_ERROR,
                format!(
                    "Transaction decode failed for {s}. Make sure the tx has at least one input."
                ),
            )
        })?;
        txs.push(Arc::new(tx));
    }
    let hash = node.mine_with(&script, txs).map_err(mine_error)?;
    Ok(json!({"hash": hash.to_string()}))
}

pub fn submitblock(state: &State, p: &Params) -> Result<Value, RpcError> {
    let block: Block = deserialize_hex(p.str(0)?)
        .map_err(|_| RpcError::new(RPC_DESERIALIZATION_ERROR, "Block decode failed"))?;
    if block.txdata.first().is_none_or(|t| !t.is_coinbase()) {
        return Err(RpcError::new(
            RPC_DESERIALIZATION_ERROR,
            "Block does not start with a coinbase",
        ));
    }
    let hash = block.block_hash();
    let mut node = state.lock();
    match node.submit_block(&block) {
        Ok(BlockOutcome::Duplicate) => Ok(json!("duplicate")),
        Ok(BlockOutcome::Accepted(_)) => {
            if node.chain.is_active(&hash) {
                Ok(Value::Null)
            } else {
                Ok(json!("inconclusive"))
            }
        }
        Err(DevnetError::Rejected(r)) => Ok(json!(r.reason)),
        Err(e) => Err(RpcError::new(RPC_MISC_ERROR, e.to_string())),
    }
}

pub fn getmininginfo(state: &State, _: &Params) -> Result<Value, RpcError> {
    let node = state.lock();
    Ok(json!({
        "blocks": node.chain.height(),
        "difficulty": DIFFICULTY,
        "networkhashps": 0,
        "pooledtx": node.mempool.len(),
        "chain": crate::params::CHAIN_NAME,
        "warnings": "",
    }))
}

/// The devnet has no fee market; it estimates the minimum relay fee rate, so wallets that
/// need an estimate work and always pay enough.
pub fn estimatesmartfee(_: &State, p: &Params) -> Result<Value, RpcError> {
    let target = p.i64(0)?;
    if !(1..=1008).contains(&target) {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            format!("Invalid conf_target, must be between 1 and 1008 (got {target})"),
        ));
    }
    if let Some(mode) = p.get(1) {
        let m = mode.as_str().unwrap_or_default().to_ascii_uppercase();
        if !["UNSET", "ECONOMICAL", "CONSERVATIVE"].contains(&m.as_str()) {
            return Err(RpcError::new(RPC_INVALID_PARAMETER, "Invalid estimate_mode parameter, must be one of: \"unset\", \"economical\", \"conservative\""));
        }
    }
    Ok(json!({"feerate": amount(1000), "blocks": target.min(2)}))
}
