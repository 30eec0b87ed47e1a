//! An embedded Fractal-regtest chain with `OP_CAT`: every block and transaction is fully
//! validated (structure, amounts, locktimes, weight, sigops, and every script with
//! `bitmodel-script` under the Fractal flags), the mempool applies Bitcoin Core 24's
//! standardness policy with Core's reject reasons, state lives in redb (crash-safe: one
//! write transaction per block), and a bitcoind-compatible JSON-RPC server answers on
//! 127.0.0.1.
//!
//! It is a real chain, not a mock: tests built on it cannot pass with transactions a real
//! node would reject. Start one with [`Devnet::spawn`].

pub mod blocks;
pub mod chain;
pub mod consensus;
pub mod devnet;
pub mod error;
pub mod faucet;
pub mod mempool;
pub mod miner;
pub mod node;
pub mod params;
pub mod rpc;
pub mod store;

pub use blocks::Blocks;
pub use devnet::{Config, Devnet};
pub use error::{DevnetError, Reject, RejectClass};
pub use node::Node;
