//! Mempool methods: listing, entries with ancestor/descendant totals, info, and
//! `testmempoolaccept` (checked against a copy of the mempool so nothing is added).

use std::sync::Arc;

use bitcoin::Txid;
use serde_json::{json, Map, Value};

use super::rawtx::{decode_tx, fee_rate_param};
use super::{Params, RpcError};
use crate::consensus::scripts::check_standard;
use crate::mempool::accept::{commit, prepare};
use crate::mempool::{Entry, Mempool};
use crate::node::now;
use crate::rpc::dispatch::{RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER};
use crate::rpc::json::amount;
use crate::rpc::State;

fn signals_rbf(pool: &Mempool, e: &Entry) -> bool {
    let own = |tx: &bitcoin::Transaction| tx.input.iter().any(|i| i.sequence.0 <= 0xffff_fffd);
    own(&e.tx)
        || pool
            .ancestors(&e.txid)
            .iter()
            .any(|a| pool.get(a).is_some_and(|ae| own(&ae.tx)))
}

fn entry_json(pool: &Mempool, e: &Entry) -> Value {
    let anc = pool.ancestors(&e.txid);
    let desc = pool.descendants(&e.txid);
    let a = pool.totals(&e.txid, &anc);
    let d = pool.totals(&e.txid, &desc);
    let mut depends: Vec<String> = e.parents.iter().map(Txid::to_string).collect();
    depends.sort();
    let mut spentby: Vec<String> = e.children.iter().map(Txid::to_string).collect();
    spentby.sort();
    json!({
        "vsize": e.vsize,
        "weight": e.weight,
        "time": e.time,
        "height": e.height,
        "descendantcount": d.count,
        "descendantsize": d.vsize,
        "ancestorcount": a.count,
        "ancestorsize": a.vsize,
        "wtxid": e.wtxid.to_string(),
        "fees": {
            "base": amount(e.fee),
            "modified": amount(e.fee),
            "ancestor": amount(a.fee),
            "descendant": amount(d.fee),
        },
        "depends": depends,
        "spentby": spentby,
        "bip125-replaceable": signals_rbf(pool, e),
        "unbroadcast": false,
    })
}

pub fn getrawmempool(state: &State, p: &Params) -> Result<Value, RpcError> {
    let verbose = p.opt_bool(0, false)?;
    let sequence = p.opt_bool(1, false)?;
    if verbose && sequence {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "Verbose results cannot contain mempool sequence values.",
        ));
    }
    let node = state.lock();
    let pool = &node.mempool;
    let mut entries: Vec<&Entry> = pool.entries().collect();
    entries.sort_by_key(|e| e.sequence);
    if verbose {
        let mut o = Map::new();
        for e in entries {
            o.insert(e.txid.to_string(), entry_json(pool, e));
        }
        return Ok(Value::Object(o));
    }
    let txids: Vec<String> = entries.iter().map(|e| e.txid.to_string()).collect();
    if sequence {
        return Ok(json!({"txids": txids, "mempool_sequence": pool.generation}));
    }
    Ok(json!(txids))
}

pub fn getmempoolentry(state: &State, p: &Params) -> Result<Value, RpcError> {
    let txid: Txid = p.hash(0)?;
    let node = state.lock();
    let e = node
        .mempool
        .get(&txid)
        .ok_or_else(|| RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "Transaction not in mempool"))?;
    Ok(entry_json(&node.mempool, e))
}

pub fn getmempoolinfo(state: &State, _: &Params) -> Result<Value, RpcError> {
    let node = state.lock();
    let pool = &node.mempool;
    let bytes = pool.total_vsize();
    let fees: u64 = pool.entries().map(|e| e.fee).sum();
    let usage = pool.usage();
    Ok(json!({
        "loaded": true,
        "size": pool.len(),
        "bytes": bytes,
        "usage": usage,
        "total_fee": amount(fees),
        "maxmempool": pool.max_usage,
        "mempoolminfee": amount(pool.min_fee_rate(now()).max(1000)),
        "minrelaytxfee": amount(1000),
        "incrementalrelayfee": amount(1000),
        "unbroadcastcount": 0,
        "fullrbf": false,
    }))
}

pub fn testmempoolaccept(state: &State, p: &Params) -> Result<Value, RpcError> {
    let raw = p.array(0)?;
    if raw.is_empty() || raw.len() > 25 {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "Array must contain between 1 and 25 transactions.",
        ));
    }
    let max = fee_rate_param(p, 1)?;
    let mut txs = Vec::with_capacity(raw.len());
    for v in raw {
        let hex = v.as_str().ok_or_else(|| {
            RpcError::new(
                crate::rpc::dispatch::RPC_TYPE_ERROR,
                "rawtxs must hold hex strings",
            )
        })?;
        txs.push(Arc::new(decode_tx(hex)?));
    }
    let node = state.lock();
    let mut pool = node.mempool.clone();
    let mut out = Vec::with_capacity(txs.len());
    for tx in txs {
        let txid = tx.compute_txid();
        let wtxid = tx.compute_wtxid();
        let result = prepare(&node.chain, &pool, tx).and_then(|prep| {
            check_standard(&prep.entry.tx, &prep.spent)?;
            Ok(prep)
        });
        let mut o = Map::new();
        o.insert("txid".into(), json!(txid.to_string()));
        o.insert("wtxid".into(), json!(wtxid.to_string()));
        match result {
            Ok(prep)
                if max > 0
                    && u128::from(prep.entry.fee) * 1000
                        > u128::from(max) * u128::from(prep.entry.vsize) =>
            {
                o.insert("allowed".into(), json!(false));
                o.insert("reject-reason".into(), json!("max-fee-exceeded"));
            }
            Ok(prep) => {
                let (vsize, fee) = (prep.entry.vsize, prep.entry.fee);
                match commit(&mut pool, prep, node.chain.height(), now()) {
                    Ok(()) => {
                        o.insert("allowed".into(), json!(true));
                        o.insert("vsize".into(), json!(vsize));
                        o.insert("fees".into(), json!({"base": amount(fee)}));
                    }
                    Err(r) => {
                        o.insert("allowed".into(), json!(false));
                        o.insert("reject-reason".into(), json!(r.reason));
                    }
                }
            }
            Err(r) => {
                o.insert("allowed".into(), json!(false));
                o.insert("reject-reason".into(), json!(r.reason));
            }
        }
        out.push(Value::Object(o));
    }
    Ok(Value::Array(out))
}
