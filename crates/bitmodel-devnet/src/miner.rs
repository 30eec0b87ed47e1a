//! Building and mining blocks the way Core's `CreateNewBlock` + `generatetoaddress` do:
//! a BIP34 coinbase (`height extranonce`) paying subsidy plus fees, a witness commitment with an
//! all-zero reserved value, a timestamp after the median time past, and a nonce ground until
//! the header meets the regtest target (about two tries).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use bitcoin::block::{Header, Version};
use bitcoin::hashes::Hash;
use bitcoin::opcodes::all::OP_RETURN;
use bitcoin::script::{Builder, PushBytesBuf};
use bitcoin::transaction::Version as TxVersion;
use bitcoin::{
    absolute, Amount, Block, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxMerkleNode, TxOut,
    Witness,
};

use crate::chain::ChainState;
use crate::params::{block_subsidy, pow_bits, BLOCK_VERSION};

/// Core's extra nonce: makes every block this process mines unique, so a block mined again
/// on the same parent in the same second (after `invalidateblock`, say) is a new block.
static EXTRA_NONCE: AtomicU32 = AtomicU32::new(0);

/// The coinbase for a block at `height` paying `value` to `script`.
fn coinbase(height: u32, script: &ScriptBuf, value: u64) -> Transaction {
    if EXTRA_NONCE.load(Ordering::Relaxed) == 0 {
        // Seed from the clock so restarted processes do not repeat earlier blocks either.
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos() | 1)
            .unwrap_or(1);
        let _ = EXTRA_NONCE.compare_exchange(
            0,
            seed & 0x7fff_ffff,
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }
    let extra = EXTRA_NONCE.fetch_add(1, Ordering::Relaxed) & 0x7fff_ffff;
    let script_sig = Builder::new()
        .push_int(i64::from(height))
        .push_int(i64::from(extra))
        .into_script();
    Transaction {
        version: TxVersion::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig,
            sequence: Sequence::MAX,
            witness: Witness::from_slice(&[[0u8; 32]]),
        }],
        output: vec![TxOut {
            value: Amount::from_sat(value),
            script_pubkey: script.clone(),
        }],
    }
}

/// Fees paid by `txs` given the chain's coins and earlier transactions in the list
/// (missing inputs count as zero; the block then fails validation with the right reason).
fn fees_of(chain: &ChainState, txs: &[Arc<Transaction>]) -> u64 {
    let mut created = std::collections::HashMap::new();
    let mut total = 0u64;
    for tx in txs {
        let mut value_in = 0u64;
        for i in &tx.input {
            let v = chain
                .coin(&i.previous_output)
                .map(|c| c.output.value.to_sat())
                .or_else(|| created.get(&i.previous_output).copied())
                .unwrap_or(0);
            value_in = value_in.saturating_add(v);
        }
        // Saturating: these transactions are unchecked yet (`generateblock` takes raw ones);
        // validation refuses the block if the amounts are out of range.
        let out = tx
            .output
            .iter()
            .fold(0u64, |a, o| a.saturating_add(o.value.to_sat()));
        total = total.saturating_add(value_in.saturating_sub(out));
        let txid = tx.compute_txid();
        for (n, o) in tx.output.iter().enumerate() {
            created.insert(OutPoint::new(txid, n as u32), o.value.to_sat());
        }
    }
    total
}

/// A mined block on top of the active tip containing `txs` (in order).
pub fn build_block(
    chain: &ChainState,
    script: &ScriptBuf,
    txs: Vec<Arc<Transaction>>,
    fees: Option<u64>,
    now: u32,
) -> Block {
    let height = chain.height() + 1;
    let fees = fees.unwrap_or_else(|| fees_of(chain, &txs));
    let mut txdata = Vec::with_capacity(txs.len() + 1);
    txdata.push(coinbase(
        height,
        script,
        block_subsidy(height).saturating_add(fees),
    ));
    txdata.extend(txs.iter().map(|t| (**t).clone()));
    let mut block = Block {
        header: Header {
            version: Version::from_consensus(BLOCK_VERSION),
            prev_blockhash: chain.tip(),
            merkle_root: TxMerkleNode::all_zeros(),
            time: now.max(chain.mtp(chain.height()) + 1),
            bits: pow_bits(),
            nonce: 0,
        },
        txdata,
    };
    let root = block.witness_root().expect("the block has a coinbase");
    let commitment = Block::compute_witness_commitment(&root, &[0u8; 32]);
    let mut payload = PushBytesBuf::from([0xaa, 0x21, 0xa9, 0xed]);
    payload
        .extend_from_slice(commitment.as_byte_array())
        .expect("36 bytes fit a push");
    block.txdata[0].output.push(TxOut {
        value: Amount::ZERO,
        script_pubkey: Builder::new()
            .push_opcode(OP_RETURN)
            .push_slice(payload)
            .into_script(),
    });
    block.header.merkle_root = block
        .compute_merkle_root()
        .expect("the block has a coinbase");
    grind(&mut block.header);
    block
}

/// Increments the nonce until the header meets the target its own `bits` name (regtest's
/// 0x207fffff needs about two tries).
pub fn grind(header: &mut Header) {
    let target = header.target();
    while header.validate_pow(target).is_err() {
        header.nonce = header.nonce.wrapping_add(1);
        if header.nonce == 0 {
            header.time += 1;
        }
    }
}
