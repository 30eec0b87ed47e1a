//! What the constructed-chain tests share: a block at a height on a parent, with the given
//! coinbase and transactions (the index reads neither proof of work nor merkle roots).

use bitcoin::block::{Header, Version as BlockVersion};
use bitcoin::hashes::Hash;
use bitcoin::{Block, BlockHash, CompactTarget, Transaction, TxMerkleNode};

pub fn block(prev: BlockHash, h: u32, coinbase: Transaction, txs: Vec<Transaction>) -> Block {
    let mut txdata = vec![coinbase];
    txdata.extend(txs);
    Block {
        header: Header {
            version: BlockVersion::from_consensus(0x2000_0000),
            prev_blockhash: prev,
            merkle_root: TxMerkleNode::all_zeros(),
            time: 1_700_000_000 + h,
            bits: CompactTarget::from_consensus(0x207f_ffff),
            nonce: h,
        },
        txdata,
    }
}
