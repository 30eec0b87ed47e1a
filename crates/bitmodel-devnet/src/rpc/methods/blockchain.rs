//! Blockchain methods: chain info, blocks, headers, tips, UTXO lookups, invalidation.

use bitcoin::consensus::encode::serialize_hex;
use bitcoin::{BlockHash, OutPoint, Txid};
use serde_json::{json, Value};

use super::{block_not_found, Params, RpcError};
use crate::chain::ChainState;
use crate::error::DevnetError;
use crate::rpc::dispatch::{RPC_INVALID_PARAMETER, RPC_MISC_ERROR};
use crate::rpc::json::{self, DIFFICULTY};
use crate::rpc::State;

/// Maps node failures to RPC errors (storage problems are `RPC_MISC_ERROR`).
pub fn node_error(e: DevnetError) -> RpcError {
    match e {
        DevnetError::UnknownBlock(_) => block_not_found(),
        DevnetError::GenesisInvalidation => RpcError::new(
            crate::rpc::dispatch::RPC_INVALID_PARAMETER,
            "Genesis block cannot be invalidated",
        ),
        DevnetError::Rejected(r) => {
            RpcError::new(crate::rpc::dispatch::RPC_VERIFY_ERROR, r.core_message())
        }
        other => RpcError::new(RPC_MISC_ERROR, other.to_string()),
    }
}

pub fn getblockchaininfo(state: &State, _: &Params) -> Result<Value, RpcError> {
    let node = state.lock();
    let c = &node.chain;
    let tip = c.tip_entry();
    Ok(json!({
        "chain": crate::params::CHAIN_NAME,
        "blocks": c.height(),
        "headers": c.height(),
        "bestblockhash": c.tip().to_string(),
        "difficulty": DIFFICULTY,
        "time": tip.header.time,
        "mediantime": c.mtp(c.height()),
        "verificationprogress": 1,
        "initialblockdownload": false,
        "chainwork": format!("{:064x}", tip.chain_work),
        "size_on_disk": ChainState::size_on_disk(&state.db_path),
        "pruned": false,
        "warnings": "",
    }))
}

pub fn getblockcount(state: &State, _: &Params) -> Result<Value, RpcError> {
    Ok(json!(state.lock().chain.height()))
}

pub fn getbestblockhash(state: &State, _: &Params) -> Result<Value, RpcError> {
    Ok(json!(state.lock().chain.tip().to_string()))
}

pub fn getdifficulty(_: &State, _: &Params) -> Result<Value, RpcError> {
    Ok(json!(DIFFICULTY))
}

pub fn getblockhash(state: &State, p: &Params) -> Result<Value, RpcError> {
    let h = p.i64(0)?;
    let node = state.lock();
    u32::try_from(h)
        .ok()
        .and_then(|h| node.chain.hash_at(h))
        .map(|hash| json!(hash.to_string()))
        .ok_or_else(|| RpcError::new(RPC_INVALID_PARAMETER, "Block height out of range"))
}

pub fn getblockheader(state: &State, p: &Params) -> Result<Value, RpcError> {
    let hash: BlockHash = p.hash(0)?;
    let verbose = p.opt_bool(1, true)?;
    let node = state.lock();
    let e = node.chain.entry(&hash).ok_or_else(block_not_found)?;
    if !verbose {
        return Ok(json!(serialize_hex(&e.header)));
    }
    Ok(json::header(&node.chain, e).into())
}

pub fn getblock(state: &State, p: &Params) -> Result<Value, RpcError> {
    let hash: BlockHash = p.hash(0)?;
    let verbosity = p.verbosity(1, 1)?;
    let node = state.lock();
    let e = node.chain.entry(&hash).ok_or_else(block_not_found)?;
    let block = node
        .chain
        .block(&hash)
        .map_err(node_error)?
        .ok_or_else(|| RpcError::new(RPC_MISC_ERROR, "Block not available (pruned data)"))?;
    if verbosity <= 0 {
        return Ok(json!(serialize_hex(&block)));
    }
    Ok(json::block(&node.chain, e, &block, verbosity.min(3) as u8))
}

pub fn getchaintips(state: &State, _: &Params) -> Result<Value, RpcError> {
    let node = state.lock();
    let tips: Vec<Value> = node
        .chain
        .tips()
        .into_iter()
        .map(|t| {
            json!({
                "height": t.height,
                "hash": t.hash.to_string(),
                "branchlen": t.branch_len,
                "status": t.status.as_str(),
            })
        })
        .collect();
    Ok(Value::Array(tips))
}

pub fn gettxout(state: &State, p: &Params) -> Result<Value, RpcError> {
    let txid: Txid = p.hash(0)?;
    let n = u32::try_from(p.i64(1)?)
        .map_err(|_| RpcError::new(RPC_INVALID_PARAMETER, "vout cannot be negative"))?;
    let include_mempool = p.opt_bool(2, true)?;
    let op = OutPoint::new(txid, n);
    let node = state.lock();
    let (out, confirmations, coinbase) = if let Some(c) = node.chain.coin(&op) {
        if include_mempool && node.mempool.spender(&op).is_some() {
            return Ok(Value::Null);
        }
        (
            c.output.clone(),
            node.chain.height() - c.height + 1,
            c.coinbase,
        )
    } else if include_mempool {
        match node
            .mempool
            .get(&txid)
            .and_then(|e| e.tx.output.get(n as usize))
        {
            Some(o) if node.mempool.spender(&op).is_none() => (o.clone(), 0, false),
            _ => return Ok(Value::Null),
        }
    } else {
        return Ok(Value::Null);
    };
    Ok(json!({
        "bestblock": node.chain.tip().to_string(),
        "confirmations": confirmations,
        "value": json::amount(out.value.to_sat()),
        "scriptPubKey": json::script_pubkey(&out.script_pubkey),
        "coinbase": coinbase,
    }))
}

pub fn invalidateblock(state: &State, p: &Params) -> Result<Value, RpcError> {
    let hash: BlockHash = p.hash(0)?;
    let mut node = state.lock();
    if node.chain.entry(&hash).is_none() {
        return Err(block_not_found());
    }
    node.invalidate(hash).map_err(node_error)?;
    Ok(Value::Null)
}

pub fn reconsiderblock(state: &State, p: &Params) -> Result<Value, RpcError> {
    let hash: BlockHash = p.hash(0)?;
    let mut node = state.lock();
    if node.chain.entry(&hash).is_none() {
        return Err(block_not_found());
    }
    node.reconsider(hash).map_err(node_error)?;
    Ok(Value::Null)
}
