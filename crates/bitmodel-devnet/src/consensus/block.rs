//! Block rules in Core's order: `CheckBlockHeader` (proof of work), `CheckBlock` (structure,
//! merkle root, coinbase, per-transaction checks, legacy sigops), and the contextual checks
//! that need the parent (`ContextualCheckBlockHeader`: bits, time, version;
//! `ContextualCheckBlock`: finality, BIP34 height, witness commitment, weight). Spending
//! checks happen when the chain connects the block.

use std::collections::HashSet;

use bitcoin::block::Header;
use bitcoin::hashes::Hash;
use bitcoin::script::Builder;
use bitcoin::{Block, Target, Transaction};

use crate::consensus::tx::{check_transaction, is_final_tx, legacy_sigops};
use crate::error::Reject;
use crate::params::{
    pow_bits, AUXPOW_VERSION_BIT, MAX_BLOCK_SIGOPS_COST, MAX_BLOCK_WEIGHT, MAX_FUTURE_BLOCK_TIME,
    MIN_BLOCK_VERSION, WITNESS_SCALE_FACTOR,
};

const WITNESS_MAGIC: [u8; 6] = [0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed];

/// Fractal's `CheckProofOfWork` against the fixed regtest target. A header with the auxpow
/// version bit must carry an auxpow proof, which the devnet never accepts, so such a header
/// fails proof of work exactly as it does on Fractal ("no auxpow on block with auxpow
/// version").
pub fn check_header(header: &Header) -> Result<(), Reject> {
    if header.version.to_consensus() & AUXPOW_VERSION_BIT != 0 {
        return Err(Reject::consensus("high-hash").with_debug("proof of work failed"));
    }
    if header.bits != pow_bits() {
        return Err(Reject::consensus("bad-diffbits").with_debug("incorrect proof of work"));
    }
    header
        .validate_pow(Target::from_compact(pow_bits()))
        .map(|_| ())
        .map_err(|_| Reject::consensus("high-hash").with_debug("proof of work failed"))
}

/// Core's `CheckBlock`.
pub fn check_block(block: &Block) -> Result<(), Reject> {
    check_header(&block.header)?;
    if !block.check_merkle_root() {
        return Err(Reject::consensus("bad-txnmrklroot").with_debug("hashMerkleRoot mismatch"));
    }
    let mut seen = HashSet::with_capacity(block.txdata.len());
    if !block.txdata.iter().all(|t| seen.insert(t.compute_txid())) {
        return Err(Reject::consensus("bad-txns-duplicate").with_debug("duplicate transaction"));
    }
    let stripped: usize = 80 + block.txdata.iter().map(|t| t.base_size()).sum::<usize>();
    if block.txdata.is_empty()
        || block.txdata.len() * WITNESS_SCALE_FACTOR > MAX_BLOCK_WEIGHT as usize
        || stripped * WITNESS_SCALE_FACTOR > MAX_BLOCK_WEIGHT as usize
    {
        return Err(Reject::consensus("bad-blk-length").with_debug("size limits failed"));
    }
    if !block.txdata[0].is_coinbase() {
        return Err(Reject::consensus("bad-cb-missing").with_debug("first tx is not coinbase"));
    }
    if block.txdata[1..].iter().any(Transaction::is_coinbase) {
        return Err(Reject::consensus("bad-cb-multiple").with_debug("more than one coinbase"));
    }
    for tx in &block.txdata {
        check_transaction(tx).map_err(|e| {
            let txid = tx.compute_txid();
            let debug = match &e.debug {
                Some(d) => format!("transaction check failed (tx hash {txid}) {d}"),
                None => format!("transaction check failed (tx hash {txid})"),
            };
            Reject::consensus(e.reason).with_debug(debug)
        })?;
    }
    let sigops: usize = block.txdata.iter().map(legacy_sigops).sum();
    if sigops * WITNESS_SCALE_FACTOR > MAX_BLOCK_SIGOPS_COST {
        return Err(Reject::consensus("bad-blk-sigops").with_debug("out-of-bounds SigOpCount"));
    }
    Ok(())
}

/// Core's `ContextualCheckBlockHeader`: `prev_mtp` is the parent's median time past, `now`
/// the node's clock.
pub fn contextual_check_header(header: &Header, prev_mtp: u32, now: u32) -> Result<(), Reject> {
    if header.bits != pow_bits() {
        return Err(Reject::consensus("bad-diffbits").with_debug("incorrect proof of work"));
    }
    if header.time <= prev_mtp {
        return Err(Reject::consensus("time-too-old").with_debug("block's timestamp is too early"));
    }
    if header.time > now.saturating_add(MAX_FUTURE_BLOCK_TIME) {
        return Err(
            Reject::consensus("time-too-new").with_debug("block timestamp too far in the future")
        );
    }
    let v = header.version.to_consensus();
    if v < MIN_BLOCK_VERSION {
        return Err(Reject::new(
            crate::error::RejectClass::Consensus,
            format!("bad-version(0x{v:08x})"),
        )
        .with_debug(format!("rejected nVersion=0x{v:08x} block")));
    }
    Ok(())
}

/// The coinbase scriptSig prefix BIP34 requires at `height`.
pub fn bip34_prefix(height: u32) -> bitcoin::ScriptBuf {
    Builder::new().push_int(i64::from(height)).into_script()
}

/// Core's `ContextualCheckBlock` at `height` with the parent's median time past `prev_mtp`.
pub fn contextual_check_block(block: &Block, height: u32, prev_mtp: u32) -> Result<(), Reject> {
    for tx in &block.txdata {
        if !is_final_tx(tx, height, prev_mtp) {
            return Err(Reject::consensus("bad-txns-nonfinal").with_debug("non-final transaction"));
        }
    }
    let prefix = bip34_prefix(height);
    if !block.txdata[0]
        .input
        .first()
        .is_some_and(|i| i.script_sig.as_bytes().starts_with(prefix.as_bytes()))
    {
        return Err(
            Reject::consensus("bad-cb-height").with_debug("block height mismatch in coinbase")
        );
    }
    check_witness_commitment(block)?;
    if block.weight().to_wu() > MAX_BLOCK_WEIGHT {
        return Err(Reject::consensus("bad-blk-weight").with_debug("weight limit failed"));
    }
    Ok(())
}

/// Index of the coinbase output carrying the witness commitment (the last one wins).
pub fn witness_commitment_index(coinbase: &Transaction) -> Option<usize> {
    coinbase.output.iter().rposition(|o| {
        let s = o.script_pubkey.as_bytes();
        s.len() >= 38 && s[..6] == WITNESS_MAGIC
    })
}

fn check_witness_commitment(block: &Block) -> Result<(), Reject> {
    let coinbase = &block.txdata[0];
    match witness_commitment_index(coinbase) {
        Some(pos) => {
            let witness = &coinbase.input[0].witness;
            if witness.len() != 1 || witness.nth(0).map(<[u8]>::len) != Some(32) {
                return Err(Reject::consensus("bad-witness-nonce-size")
                    .with_debug("invalid witness reserved value size"));
            }
            let root = block.witness_root().expect("a block has a coinbase");
            let commitment =
                Block::compute_witness_commitment(&root, witness.nth(0).expect("checked one item"));
            let script = coinbase.output[pos].script_pubkey.as_bytes();
            if script[6..38] != commitment.to_byte_array() {
                return Err(Reject::consensus("bad-witness-merkle-match")
                    .with_debug("witness merkle commitment mismatch"));
            }
            Ok(())
        }
        None => {
            if block
                .txdata
                .iter()
                .any(|t| t.input.iter().any(|i| !i.witness.is_empty()))
            {
                return Err(Reject::consensus("unexpected-witness")
                    .with_debug("unexpected witness data found"));
            }
            Ok(())
        }
    }
}
