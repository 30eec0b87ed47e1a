//! The on-disk schema (redb) and the byte encodings of its values. Every table is declared
//! here; `docs/schema.md` beside the crate describes them for people.
//!
//! Crash safety comes from redb's transactions: connecting or disconnecting a block is one
//! write transaction that moves the tip, the UTXO set, the undo data and the transaction
//! index together, so a process killed at any moment reopens at a consistent tip.

use bitcoin::consensus::{deserialize, serialize, Decodable, Encodable};
use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, OutPoint, TxOut, Txid};
use redb::TableDefinition;

use crate::consensus::tx::Coin;
use crate::error::DevnetError;

/// Bumped whenever a table's layout changes; a mismatch refuses to open the datadir.
pub const SCHEMA_VERSION: u32 = 1;

/// `"schema"` → version (u32 LE), `"tip"` → active tip hash.
pub const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// Block hash → the whole block, consensus-serialized (every block ever accepted, forks too).
pub const BLOCKS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("blocks");
/// Block hash → [`IndexEntry`]: header, height, chain work, validity.
pub const INDEX: TableDefinition<&[u8], &[u8]> = TableDefinition::new("block_index");
/// Active-chain height → block hash.
pub const HEIGHTS: TableDefinition<u32, &[u8]> = TableDefinition::new("heights");
/// Outpoint (txid ‖ vout LE) → [`Coin`].
pub const UTXOS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("utxos");
/// Block hash → the coins its transactions spent, in input order (to disconnect it).
pub const UNDO: TableDefinition<&[u8], &[u8]> = TableDefinition::new("undo");
/// Txid → block hash ‖ position in block (u32 LE), for active-chain transactions.
pub const TXINDEX: TableDefinition<&[u8], &[u8]> = TableDefinition::new("txindex");

/// How far a stored block has been validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Stored and valid as far as checked without its inputs (a fork not yet connected).
    ValidHeaders = 0,
    /// Connected to the chain at some point: fully valid unless marked failed.
    ValidScripts = 1,
}

/// Whether a stored block is known to be invalid (kept apart from [`Status`] so that
/// `reconsiderblock` restores exactly the validity the block had).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    None = 0,
    /// Failed validation or marked invalid by `invalidateblock`.
    Invalid = 1,
    /// Descends from an invalid block.
    InvalidParent = 2,
}

impl Failure {
    pub fn is_failed(self) -> bool {
        self != Failure::None
    }
}

fn decode_status(b: u8) -> Option<(Status, Failure)> {
    let status = match b & 0x0f {
        0 => Status::ValidHeaders,
        1 => Status::ValidScripts,
        _ => return None,
    };
    let failure = match b >> 4 {
        0 => Failure::None,
        1 => Failure::Invalid,
        2 => Failure::InvalidParent,
        _ => return None,
    };
    Some((status, failure))
}

/// What the node keeps in memory about every stored block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    pub header: bitcoin::block::Header,
    pub height: u32,
    /// Total work of the chain ending here (regtest work fits easily in 128 bits).
    pub chain_work: u128,
    pub status: Status,
    pub failure: Failure,
    /// Transactions in the block.
    pub n_tx: u32,
    /// Serialized size and weight, for RPC answers.
    pub size: u32,
    pub weight: u32,
}

impl IndexEntry {
    pub fn encode(&self) -> Vec<u8> {
        let mut v = serialize(&self.header);
        v.extend_from_slice(&self.height.to_le_bytes());
        v.extend_from_slice(&self.chain_work.to_le_bytes());
        v.push(self.status as u8 | (self.failure as u8) << 4);
        v.extend_from_slice(&self.n_tx.to_le_bytes());
        v.extend_from_slice(&self.size.to_le_bytes());
        v.extend_from_slice(&self.weight.to_le_bytes());
        v
    }

    pub fn decode(b: &[u8]) -> Result<IndexEntry, DevnetError> {
        let bad = || DevnetError::Corrupt("block index entry has the wrong length".into());
        if b.len() != 80 + 4 + 16 + 1 + 12 {
            return Err(bad());
        }
        let header = deserialize(&b[..80]).map_err(|source| DevnetError::CorruptValue {
            what: "a block index entry's header".into(),
            source,
        })?;
        let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().expect("4 bytes"));
        let (status, failure) = decode_status(b[100]).ok_or_else(bad)?;
        Ok(IndexEntry {
            header,
            height: u32_at(80),
            chain_work: u128::from_le_bytes(b[84..100].try_into().expect("16 bytes")),
            status,
            failure,
            n_tx: u32_at(101),
            size: u32_at(105),
            weight: u32_at(109),
        })
    }
}

pub fn outpoint_key(op: &OutPoint) -> [u8; 36] {
    let mut k = [0u8; 36];
    k[..32].copy_from_slice(op.txid.as_byte_array());
    k[32..].copy_from_slice(&op.vout.to_le_bytes());
    k
}

pub fn outpoint_from_key(k: &[u8]) -> Result<OutPoint, DevnetError> {
    if k.len() != 36 {
        return Err(DevnetError::Corrupt("utxo key is not 36 bytes".into()));
    }
    Ok(OutPoint {
        txid: Txid::from_slice(&k[..32]).expect("32 bytes"),
        vout: u32::from_le_bytes(k[32..].try_into().expect("4 bytes")),
    })
}

pub fn encode_coin(coin: &Coin, out: &mut Vec<u8>) {
    out.extend_from_slice(&coin.height.to_le_bytes());
    out.push(u8::from(coin.coinbase));
    coin.output
        .consensus_encode(out)
        .expect("writing to a vec cannot fail");
}

pub fn decode_coin(mut b: &[u8]) -> Result<Coin, DevnetError> {
    decode_coin_from(&mut b)
}

fn decode_coin_from(b: &mut &[u8]) -> Result<Coin, DevnetError> {
    if b.len() < 5 {
        return Err(DevnetError::Corrupt("coin shorter than 5 bytes".into()));
    }
    let height = u32::from_le_bytes(b[..4].try_into().expect("4 bytes"));
    let coinbase = b[4] != 0;
    *b = &b[5..];
    let output = TxOut::consensus_decode(b).map_err(|source| DevnetError::CorruptValue {
        what: "a coin's output".into(),
        source,
    })?;
    Ok(Coin {
        output,
        height,
        coinbase,
    })
}

/// Undo data: the coins a block removed from the UTXO set, with their outpoints.
pub fn encode_undo(coins: &[(OutPoint, Coin)]) -> Vec<u8> {
    let mut v = Vec::with_capacity(coins.len() * 84);
    for (op, c) in coins {
        v.extend_from_slice(&outpoint_key(op));
        encode_coin(c, &mut v);
    }
    v
}

pub fn decode_undo(mut b: &[u8]) -> Result<Vec<(OutPoint, Coin)>, DevnetError> {
    let mut coins = Vec::new();
    while !b.is_empty() {
        if b.len() < 36 {
            return Err(DevnetError::Corrupt(
                "undo entry shorter than an outpoint".into(),
            ));
        }
        let op = outpoint_from_key(&b[..36])?;
        b = &b[36..];
        coins.push((op, decode_coin_from(&mut b)?));
    }
    Ok(coins)
}

pub fn encode_tx_location(block: &BlockHash, pos: u32) -> [u8; 36] {
    let mut v = [0u8; 36];
    v[..32].copy_from_slice(block.as_byte_array());
    v[32..].copy_from_slice(&pos.to_le_bytes());
    v
}

pub fn decode_tx_location(b: &[u8]) -> Result<(BlockHash, u32), DevnetError> {
    if b.len() != 36 {
        return Err(DevnetError::Corrupt(
            "tx index entry is not 36 bytes".into(),
        ));
    }
    Ok((
        BlockHash::from_slice(&b[..32]).expect("32 bytes"),
        u32::from_le_bytes(b[32..].try_into().expect("4 bytes")),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::{Amount, ScriptBuf};

    #[test]
    fn coin_and_index_round_trip() {
        let coin = Coin {
            output: TxOut {
                value: Amount::from_sat(12_345),
                script_pubkey: ScriptBuf::from_bytes(vec![0x51, 0x20, 7]),
            },
            height: 77,
            coinbase: true,
        };
        let op = OutPoint::new(Txid::from_byte_array([3; 32]), 9);
        let undo = encode_undo(&[(op, coin.clone()), (op, coin.clone())]);
        assert_eq!(
            decode_undo(&undo).expect("valid undo"),
            vec![(op, coin.clone()), (op, coin)]
        );
        let e = IndexEntry {
            header: crate::params::genesis().header,
            height: 3,
            chain_work: 8,
            status: Status::ValidScripts,
            failure: Failure::InvalidParent,
            n_tx: 2,
            size: 300,
            weight: 1000,
        };
        assert_eq!(IndexEntry::decode(&e.encode()).expect("valid entry"), e);
    }
}
