//! Consensus rules: what makes a transaction or block valid on Fractal regtest, independent
//! of storage (the chain state supplies coins and times; these functions only judge).

pub mod block;
pub mod scripts;
pub mod tx;
