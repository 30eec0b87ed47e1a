//! Control and network methods. The devnet has no peers; it reports a Core 24-like node.

use std::sync::atomic::Ordering;

use serde_json::{json, Value};

use super::{Params, RpcError};
use crate::rpc::json::amount;
use crate::rpc::State;

pub fn getnetworkinfo(_: &State, _: &Params) -> Result<Value, RpcError> {
    Ok(json!({
        "version": 240000,
        "subversion": format!("/Satoshi:24.0.0/bitmodel-devnet:{}/", env!("CARGO_PKG_VERSION")),
        "protocolversion": 70016,
        "localservices": "0000000000000409",
        "localservicesnames": ["NETWORK", "WITNESS", "NETWORK_LIMITED"],
        "localrelay": true,
        "timeoffset": 0,
        "networkactive": true,
        "connections": 0,
        "connections_in": 0,
        "connections_out": 0,
        "networks": [],
        "relayfee": amount(1000),
        "incrementalfee": amount(1000),
        "localaddresses": [],
        "warnings": "",
    }))
}

pub fn getconnectioncount(_: &State, _: &Params) -> Result<Value, RpcError> {
    Ok(json!(0))
}

pub fn uptime(state: &State, _: &Params) -> Result<Value, RpcError> {
    Ok(json!(state.started.elapsed().as_secs()))
}

pub fn ping(_: &State, _: &Params) -> Result<Value, RpcError> {
    Ok(Value::Null)
}

pub fn stop(state: &State, _: &Params) -> Result<Value, RpcError> {
    state.stop.store(true, Ordering::SeqCst);
    Ok(json!("Bitmodel devnet stopping"))
}
