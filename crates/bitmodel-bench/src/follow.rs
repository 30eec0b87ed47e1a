//! `follow`: how Bitmodel reads a chain. A command that brings its index and then its wallet
//! to the tip read every new block twice over JSON-RPC; through one `Recent` in front of the
//! node the second reader takes them from memory. `bitmodel up` on its own devnet read blocks
//! as hex JSON over loopback; `Devnet::blocks` hands them over in process. The reference for
//! both is reading the chain once over JSON-RPC, in the same run.

use std::sync::atomic::{AtomicU64, Ordering};

use bitcoin::{Block, BlockHash};
use bitmodel_devnet::faucet::Signer;
use bitmodel_devnet::Devnet;
use bitmodel_rpc::source::{BlockSource, Recent, SourceError};

use crate::report::{line, median_time, ms};

/// Coins made by fan-out transactions (so some blocks are large), then empty blocks.
const COINS: usize = 10_000;
const EMPTY_BLOCKS: usize = 200;

/// A source that counts the blocks it was asked for.
struct Counted<S> {
    source: S,
    blocks: AtomicU64,
}

impl<S: BlockSource> BlockSource for Counted<S> {
    fn tip_height(&self) -> Result<u32, SourceError> {
        self.source.tip_height()
    }
    fn block_hash(&self, height: u32) -> Result<BlockHash, SourceError> {
        self.source.block_hash(height)
    }
    fn block(&self, hash: &BlockHash) -> Result<Block, SourceError> {
        self.blocks.fetch_add(1, Ordering::Relaxed);
        self.source.block(hash)
    }
}

/// Reads the whole chain as a follower does; returns the transactions seen.
fn read_all(s: &impl BlockSource) -> usize {
    let tip = s.tip_height().expect("tip");
    (0..=tip)
        .map(|h| {
            let hash = s.block_hash(h).expect("hash");
            s.block(&hash).expect("block").txdata.len()
        })
        .sum()
}

pub fn run() {
    let devnet = Devnet::spawn().expect("the devnet starts");
    let signer = Signer::from_seed(b"follow bench");
    crate::devnet::make_coins(&devnet, &signer, COINS);
    devnet.mine(EMPTY_BLOCKS).expect("mined");
    let client = devnet.client().expect("client");
    let blocks = devnet.blocks();
    let tip = blocks.tip_height().expect("tip");
    let txs = read_all(&blocks);
    assert_eq!(read_all(&client), txs, "both sources show the same chain");
    line("follow_chain_blocks", f64::from(tip + 1), "blocks");
    line("follow_chain_transactions", txs as f64, "transactions");

    let rpc_once = median_time(3, || {
        read_all(&client);
    });
    // Before: the index, then the wallet, each over JSON-RPC.
    let rpc_twice = median_time(3, || {
        read_all(&client);
        read_all(&client);
    });
    // Now: both through one Recent in front of the node.
    let counted = Counted {
        source: &client,
        blocks: AtomicU64::new(0),
    };
    let recent_twice = median_time(3, || {
        counted.blocks.store(0, Ordering::Relaxed);
        let recent = Recent::new(&counted);
        read_all(&recent);
        read_all(&recent);
    });
    let in_process = median_time(3, || {
        read_all(&blocks);
    });
    line("follow_rpc_once", ms(rpc_once), "ms");
    line("follow_index_and_wallet_rpc_before", ms(rpc_twice), "ms");
    line("follow_index_and_wallet_recent", ms(recent_twice), "ms");
    line(
        "follow_index_and_wallet_getblock_calls",
        counted.blocks.load(Ordering::Relaxed) as f64,
        "calls",
    );
    line(
        "follow_index_and_wallet_recent_vs_before",
        recent_twice.as_secs_f64() / rpc_twice.as_secs_f64(),
        "ratio",
    );
    line("follow_up_in_process", ms(in_process), "ms");
    line(
        "follow_up_in_process_vs_rpc",
        in_process.as_secs_f64() / rpc_once.as_secs_f64(),
        "ratio",
    );
}
