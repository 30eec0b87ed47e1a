//! Fractal Bitcoin's regtest parameters, in one place.
//!
//! The devnet's blocks must be blocks a real Fractal regtest node accepts, so every constant
//! here is Fractal's regtest value (which, where Fractal did not change it, is Bitcoin Core's
//! regtest value). The money cap is Fractal's, ten times Bitcoin's, which is why amounts are
//! checked against [`MAX_MONEY`] and never against rust-bitcoin's `Amount::MAX_MONEY`.

use bitcoin::{Block, CompactTarget, Network};
use bitmodel_script::Flags;

/// Satoshis per coin.
pub const COIN: u64 = 100_000_000;
/// Fractal's money cap: 210,000,000 coins.
pub const MAX_MONEY: u64 = 210_000_000 * COIN;
/// The regtest proof-of-work limit, also every block's `nBits` (no retargeting).
pub const POW_BITS_U32: u32 = 0x207f_ffff;

/// [`POW_BITS_U32`] as rust-bitcoin's type.
pub fn pow_bits() -> CompactTarget {
    CompactTarget::from_consensus(POW_BITS_U32)
}
/// Blocks between subsidy halvings on regtest.
pub const HALVING_INTERVAL: u32 = 150;
/// The one-off subsidy of block 1.
pub const FIRST_BLOCK_SUBSIDY: u64 = 105_000_000 * COIN;
/// The subsidy of every later block before the first halving.
pub const BASE_SUBSIDY: u64 = 25 * COIN;
/// Confirmations a coinbase output needs before it can be spent.
pub const COINBASE_MATURITY: u32 = 100;
/// A block may be at most this many seconds ahead of the node's clock.
pub const MAX_FUTURE_BLOCK_TIME: u32 = 2 * 60 * 60;
/// Blocks whose median time a new block's time must exceed.
pub const MEDIAN_TIME_SPAN: usize = 11;
/// Consensus weight limit of a block (BIP141).
pub const MAX_BLOCK_WEIGHT: u64 = 4_000_000;
/// Consensus signature-operation cost limit of a block (BIP141).
pub const MAX_BLOCK_SIGOPS_COST: usize = 80_000;
/// Scale between legacy sigops and sigop cost.
pub const WITNESS_SCALE_FACTOR: usize = 4;
/// Headers must have at least this version (BIP34/65/66 are active from height 1).
pub const MIN_BLOCK_VERSION: i32 = 4;
/// Fractal's auxpow (merged-mining) version bit; a non-auxpow block must leave it clear.
/// (Fractal regtest's strict chain id 0x2024 applies to auxpow blocks only, so the devnet's
/// plain blocks carry Core's `0x20000000` like Fractal's own miner.)
pub const AUXPOW_VERSION_BIT: i32 = 0x100;
/// The version the devnet's own blocks carry (BIP9 top bits, no signalling).
pub const BLOCK_VERSION: i32 = 0x2000_0000;
/// Fractal regtest's P2P message start.
pub const MESSAGE_START: [u8; 4] = [0xe9, 0xae, 0xa4, 0xc9];
/// Bech32 human-readable part of regtest addresses.
pub const BECH32_HRP: &str = "bcrt";
/// Fractal's target block spacing, the default for interval mining.
pub const TARGET_SPACING_SECS: u64 = 30;
/// The name bitcoind reports for this chain.
pub const CHAIN_NAME: &str = "regtest";

/// The genesis block: Bitcoin's regtest genesis, `0f9188f1…e2206`.
pub fn genesis() -> Block {
    bitcoin::blockdata::constants::genesis_block(Network::Regtest)
}

/// rust-bitcoin's network for addresses (`bcrt1…`, `m`/`n`/`2` prefixes).
pub const NETWORK: Network = Network::Regtest;

/// New coins created by the block at `height`.
pub fn block_subsidy(height: u32) -> u64 {
    if height == 1 {
        return FIRST_BLOCK_SUBSIDY;
    }
    let halvings = height / HALVING_INTERVAL;
    if halvings >= 64 {
        0
    } else {
        BASE_SUBSIDY >> halvings
    }
}

/// Script flags every block's scripts are checked with: Core 24's consensus set (P2SH,
/// DERSIG, NULLDUMMY, CLTV, CSV, WITNESS, TAPROOT — all active from height 1 here) plus
/// BIP347 `OP_CAT` in tapscript.
pub const CONSENSUS_FLAGS: Flags = Flags::CORE24_CONSENSUS.union(Flags::OP_CAT);

/// Script flags the mempool checks with: Core 24 standardness plus `OP_CAT`.
pub const STANDARD_FLAGS: Flags = Flags::FRACTAL;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genesis_is_bitcoin_regtest() {
        assert_eq!(
            genesis().block_hash().to_string(),
            "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"
        );
    }

    #[test]
    fn subsidy_schedule() {
        assert_eq!(block_subsidy(1), 105_000_000 * COIN);
        assert_eq!(block_subsidy(2), 25 * COIN);
        assert_eq!(block_subsidy(149), 25 * COIN);
        assert_eq!(block_subsidy(150), 25 * COIN / 2);
        assert_eq!(block_subsidy(300), 25 * COIN / 4);
        assert_eq!(block_subsidy(150 * 64), 0);
        // The whole issuance stays under the cap.
        let total: u64 = (1..150 * 65).map(block_subsidy).sum();
        assert!(total <= MAX_MONEY, "issuance {total} exceeds the cap");
    }
}
