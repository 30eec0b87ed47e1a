//! The method table: bitcoind's names, parameter names (for named parameters) and handlers,
//! grouped by Core's categories, one file each.

mod blockchain;
mod control;
mod mempool;
mod mining;
mod rawtx;

use bitcoin::Address;
use serde_json::Value;

use super::dispatch::{Params, RpcError, RPC_INVALID_ADDRESS_OR_KEY};
use super::State;
use crate::params::NETWORK;

pub type Handler = fn(&State, &Params) -> Result<Value, RpcError>;

pub static METHODS: &[(&str, &[&str], Handler)] = &[
    // blockchain
    ("getblockchaininfo", &[], blockchain::getblockchaininfo),
    ("getblockcount", &[], blockchain::getblockcount),
    ("getbestblockhash", &[], blockchain::getbestblockhash),
    ("getblockhash", &["height"], blockchain::getblockhash),
    (
        "getblockheader",
        &["blockhash", "verbose"],
        blockchain::getblockheader,
    ),
    (
        "getblock",
        &["blockhash", "verbosity"],
        blockchain::getblock,
    ),
    ("getchaintips", &[], blockchain::getchaintips),
    ("getdifficulty", &[], blockchain::getdifficulty),
    (
        "gettxout",
        &["txid", "n", "include_mempool"],
        blockchain::gettxout,
    ),
    (
        "invalidateblock",
        &["blockhash"],
        blockchain::invalidateblock,
    ),
    (
        "reconsiderblock",
        &["blockhash"],
        blockchain::reconsiderblock,
    ),
    // mempool
    (
        "getrawmempool",
        &["verbose", "mempool_sequence"],
        mempool::getrawmempool,
    ),
    ("getmempoolentry", &["txid"], mempool::getmempoolentry),
    ("getmempoolinfo", &[], mempool::getmempoolinfo),
    (
        "testmempoolaccept",
        &["rawtxs", "maxfeerate"],
        mempool::testmempoolaccept,
    ),
    // raw transactions
    (
        "getrawtransaction",
        &["txid", "verbose", "blockhash"],
        rawtx::getrawtransaction,
    ),
    (
        "decoderawtransaction",
        &["hexstring", "iswitness"],
        rawtx::decoderawtransaction,
    ),
    (
        "sendrawtransaction",
        &["hexstring", "maxfeerate"],
        rawtx::sendrawtransaction,
    ),
    // mining and generating
    (
        "generatetoaddress",
        &["nblocks", "address", "maxtries"],
        mining::generatetoaddress,
    ),
    (
        "generateblock",
        &["output", "transactions"],
        mining::generateblock,
    ),
    ("submitblock", &["hexdata", "dummy"], mining::submitblock),
    ("getmininginfo", &[], mining::getmininginfo),
    (
        "estimatesmartfee",
        &["conf_target", "estimate_mode"],
        mining::estimatesmartfee,
    ),
    // control and network
    ("getnetworkinfo", &[], control::getnetworkinfo),
    ("getconnectioncount", &[], control::getconnectioncount),
    ("uptime", &[], control::uptime),
    ("stop", &["wait"], control::stop),
    ("ping", &[], control::ping),
];

/// A regtest address, as Core's `DecodeDestination` checks it.
pub fn parse_address(s: &str) -> Result<Address, RpcError> {
    s.parse::<Address<_>>()
        .ok()
        .and_then(|a| a.require_network(NETWORK).ok())
        .ok_or_else(|| RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "Error: Invalid address"))
}

/// The block-not-found error every block method shares.
pub fn block_not_found() -> RpcError {
    RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "Block not found")
}
