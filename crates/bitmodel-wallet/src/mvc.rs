//! The wallet on MVC-family chains (MVC and its BSV regtest test peer). BDK cannot sign
//! there (FORKID signatures, no segwit), so this is a small P2PKH wallet of its own: keys
//! from the same BIP39 mnemonic on MVC's BIP44 path (`bitmodel_mvc::keys`), coins found by
//! reading blocks from the node as the indexer does (no node wallet needed), largest-first
//! coin selection, the fee at the node's rate per kB, and FORKID signing
//! (`bitmodel_mvc::sighash`).
//!
//! What it keeps: the coins of confirmed blocks up to its tip, and the transactions it
//! broadcast that are not in a block yet (`pending`). Spendable coins are the confirmed ones
//! no pending transaction spends, plus pending outputs to us. A pending transaction that
//! the node no longer has (evicted, or its block reorganised away and not re-mined) is
//! forgotten at the next sync, so its inputs are spendable again: nothing is lost to a
//! belief the node does not share. A reorg below the tip rescans from the genesis.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use bitcoin::secp256k1::{All, Secp256k1, SecretKey};
use bitcoin::{
    absolute::LockTime, Address, Amount, BlockHash, OutPoint, PublicKey, ScriptBuf, Sequence,
    Transaction, TxIn, TxOut, Txid,
};
use bitmodel_mvc::txid::TxidRule;
pub use bitmodel_mvc::{fee_for, tx_version, DEFAULT_SAT_PER_KB};
use bitmodel_protocol::Chain;
use bitmodel_rpc::source::BlockSource;
use bitmodel_rpc::Client;
use serde::{Deserialize, Serialize};

use crate::store::{Store, StoreError};
use crate::WalletError;

/// Keys watched past the last one handed out (BIP44's gap limit).
pub const GAP: u32 = 20;
/// A coinbase output is spendable this many blocks after its own.
pub const COINBASE_MATURITY: u32 = 100;
/// Bytes of a signed P2PKH input: outpoint 36, script length 1, signature push up to 73
/// (DER ≤ 72 and the type byte), key push 34, sequence 4.
pub const P2PKH_INPUT_BYTES: u64 = 148;

/// One coin of the wallet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coin {
    pub outpoint: OutPoint,
    pub value: u64,
    /// The receive key it pays.
    pub key: u32,
    /// Its block; `None` while pending.
    pub height: Option<u32>,
    pub coinbase: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct State {
    tip: Option<(u32, BlockHash)>,
    coins: Vec<Coin>,
    /// Receive keys handed out.
    revealed: u32,
    /// Transactions we broadcast that no block of ours holds yet.
    pending: Vec<Transaction>,
}

/// The balance: confirmed (mature) and pending, in sats.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Balance {
    pub confirmed: u64,
    pub pending: u64,
    pub immature: u64,
}

pub struct MvcWallet {
    store: Store,
    seed: [u8; 64],
    chain: Chain,
    path: PathBuf,
    state: State,
    secp: Secp256k1<All>,
}

impl MvcWallet {
    /// Creates a wallet file at `path` for `chain` (an MVC-family network) from `mnemonic`,
    /// or from a new one, sealed under `passphrase` when given. Returns the words.
    pub fn create_with(
        path: &Path,
        chain: Chain,
        mnemonic: Option<&str>,
        passphrase: Option<&str>,
    ) -> Result<(MvcWallet, String), WalletError> {
        let (store, mnemonic) =
            crate::mnemonic::create_file(path, chain.name(), mnemonic, passphrase)?;
        let mut w = MvcWallet {
            store,
            seed: mnemonic.to_seed(""),
            chain,
            path: path.to_path_buf(),
            state: State::default(),
            secp: Secp256k1::new(),
        };
        w.persist()?;
        Ok((w, mnemonic.to_string()))
    }

    /// Opens the wallet at `path`, checking it was made for `chain`.
    pub fn open_with(
        path: &Path,
        chain: Chain,
        passphrase: Option<&str>,
    ) -> Result<MvcWallet, WalletError> {
        let (store, mnemonic) = crate::mnemonic::open_file(path, chain.name(), passphrase)?;
        let state = match store.get("mvc_state")? {
            Some(b) => serde_json::from_slice(&b).map_err(|source| StoreError::Corrupt {
                what: "MVC wallet state",
                source,
            })?,
            None => State::default(),
        };
        Ok(MvcWallet {
            store,
            seed: mnemonic.to_seed(""),
            chain,
            path: path.to_path_buf(),
            state,
            secp: Secp256k1::new(),
        })
    }

    pub fn chain(&self) -> Chain {
        self.chain
    }

    /// See [`crate::Wallet::bind_identity`].
    pub fn bind_identity(
        &mut self,
        found: &bitmodel_protocol::Identity,
    ) -> Result<(), WalletError> {
        crate::mnemonic::bind_identity(&mut self.store, &self.path, found)
    }

    fn persist(&mut self) -> Result<(), WalletError> {
        // Plain data (heights, hashes, coins) always serializes; a failure would be a bug.
        let b = serde_json::to_vec(&self.state).expect("the MVC wallet state serializes");
        self.store.put("mvc_state", &b)?;
        Ok(())
    }

    fn key(&self, index: u32) -> SecretKey {
        bitmodel_mvc::keys::receive_key(&self.secp, &self.seed, index)
            .expect("a 64-byte seed derives every normal child index")
    }

    fn public(&self, index: u32) -> PublicKey {
        PublicKey::new(self.key(index).public_key(&self.secp))
    }

    /// The P2PKH script of receive key `index`.
    pub fn script(&self, index: u32) -> ScriptBuf {
        ScriptBuf::new_p2pkh(&self.public(index).pubkey_hash())
    }

    /// The address of receive key `index` (base58, the chain's prefix).
    pub fn address(&self, index: u32) -> Address {
        Address::p2pkh(self.public(index).pubkey_hash(), self.chain.network())
    }

    /// A fresh receive address (persisted, so it is never handed out twice).
    pub fn receive(&mut self) -> Result<Address, WalletError> {
        let a = self.address(self.state.revealed);
        self.state.revealed += 1;
        self.persist()?;
        Ok(a)
    }

    /// The wallet's own script for change: its first key (always watched).
    pub fn change_script(&self) -> ScriptBuf {
        self.script(0)
    }

    fn watched(&self) -> HashMap<ScriptBuf, u32> {
        (0..self.state.revealed + GAP)
            .map(|i| (self.script(i), i))
            .collect()
    }

    pub fn tip(&self) -> Option<(u32, BlockHash)> {
        self.state.tip
    }

    fn txid(&self, tx: &Transaction) -> Txid {
        TxidRule::of(self.chain).txid(tx)
    }

    /// Follows the chain in `blocks` to its tip (see [`crate::Wallet::sync`]); then forgets
    /// pending transactions `node` no longer has. Returns the tip.
    pub fn sync(&mut self, blocks: &impl BlockSource, node: &Client) -> Result<u32, WalletError> {
        let tip = blocks.tip_height().map_err(WalletError::Node)?;
        if let Some((h, hash)) = self.state.tip {
            let theirs = if h <= tip {
                Some(blocks.block_hash(h).map_err(WalletError::Node)?)
            } else {
                None
            };
            if theirs != Some(hash) {
                // Reorganised below our tip: read the chain again (pending stays pending).
                self.state.tip = None;
                self.state.coins.clear();
            }
        }
        let watched = self.watched();
        let start = self.state.tip.map_or(0, |(h, _)| h + 1);
        for height in start..=tip {
            let hash = blocks.block_hash(height).map_err(WalletError::Node)?;
            let block = blocks.block(&hash).map_err(WalletError::Node)?;
            for (i, tx) in block.txdata.iter().enumerate() {
                self.apply(tx, Some(height), i == 0, &watched);
            }
            self.state.tip = Some((height, hash));
        }
        let in_mempool: std::collections::HashSet<Txid> = node
            .get_raw_mempool()
            .map_err(|e| WalletError::Node(Box::new(e)))?
            .into_iter()
            .collect();
        self.state
            .pending
            .retain(|tx| in_mempool.contains(&TxidRule::of(self.chain).txid(tx)));
        self.persist()?;
        Ok(tip)
    }

    /// Applies a confirmed transaction: spends our coins, adds outputs to us, and clears it
    /// from pending.
    fn apply(
        &mut self,
        tx: &Transaction,
        height: Option<u32>,
        coinbase: bool,
        watched: &HashMap<ScriptBuf, u32>,
    ) {
        let txid = self.txid(tx);
        if !coinbase {
            let spent: Vec<OutPoint> = tx.input.iter().map(|i| i.previous_output).collect();
            self.state.coins.retain(|c| !spent.contains(&c.outpoint));
        }
        for (vout, out) in tx.output.iter().enumerate() {
            if let Some(&key) = watched.get(&out.script_pubkey) {
                let outpoint = OutPoint::new(txid, vout as u32);
                if !self.state.coins.iter().any(|c| c.outpoint == outpoint) {
                    self.state.coins.push(Coin {
                        outpoint,
                        value: out.value.to_sat(),
                        key,
                        height,
                        coinbase,
                    });
                }
                // A key used past those handed out (another copy of the mnemonic gave it
                // out): never hand it out again, and watch GAP past it.
                self.state.revealed = self.state.revealed.max(key + 1);
            }
        }
        self.state
            .pending
            .retain(|p| TxidRule::of(self.chain).txid(p) != txid);
    }

    /// Coins that can be spent now: confirmed and mature ones no pending transaction spends,
    /// and pending outputs to us that no other pending transaction spends.
    pub fn spendable(&self) -> Vec<Coin> {
        let tip = self.state.tip.map_or(0, |(h, _)| h);
        let spent: Vec<OutPoint> = self
            .state
            .pending
            .iter()
            .flat_map(|t| t.input.iter().map(|i| i.previous_output))
            .collect();
        let watched = self.watched();
        let mut coins: Vec<Coin> = self
            .state
            .coins
            .iter()
            .filter(|c| !c.coinbase || c.height.is_some_and(|h| tip + 1 >= h + COINBASE_MATURITY))
            .cloned()
            .collect();
        for tx in &self.state.pending {
            let txid = self.txid(tx);
            for (vout, out) in tx.output.iter().enumerate() {
                if let Some(&key) = watched.get(&out.script_pubkey) {
                    coins.push(Coin {
                        outpoint: OutPoint::new(txid, vout as u32),
                        value: out.value.to_sat(),
                        key,
                        height: None,
                        coinbase: false,
                    });
                }
            }
        }
        coins.retain(|c| !spent.contains(&c.outpoint));
        coins
    }

    pub fn balance(&self) -> Balance {
        let spendable = self.spendable();
        let tip = self.state.tip.map_or(0, |(h, _)| h);
        Balance {
            confirmed: spendable
                .iter()
                .filter(|c| c.height.is_some())
                .map(|c| c.value)
                .sum(),
            pending: spendable
                .iter()
                .filter(|c| c.height.is_none())
                .map(|c| c.value)
                .sum(),
            immature: self
                .state
                .coins
                .iter()
                .filter(|c| c.coinbase && c.height.is_some_and(|h| tip + 1 < h + COINBASE_MATURITY))
                .map(|c| c.value)
                .sum(),
        }
    }

    /// Builds and signs a transaction paying `outputs` (in order), change last, at
    /// `sat_per_kb`: coins largest first until the outputs and the fee of the transaction
    /// as signed are covered. Change below `change_floor` goes to the fee.
    pub fn pay(
        &mut self,
        outputs: Vec<TxOut>,
        sat_per_kb: u64,
        change_floor: u64,
    ) -> Result<Transaction, WalletError> {
        let mut coins = self.spendable();
        coins.sort_by(|a, b| b.value.cmp(&a.value).then(a.outpoint.cmp(&b.outpoint)));
        let needed: u64 = outputs.iter().map(|o| o.value.to_sat()).sum();
        let available: u64 = coins.iter().map(|c| c.value).sum();
        let change = TxOut {
            value: Amount::ZERO,
            script_pubkey: self.change_script(),
        };
        let fee_of = |ins: usize, with_change: bool| {
            let mut outs = outputs.clone();
            if with_change {
                outs.push(change.clone());
            }
            let bytes = unsigned_size(ins, &outs) + ins as u64 * (P2PKH_INPUT_BYTES - 41);
            fee_for(bytes, sat_per_kb)
        };
        let mut chosen = Vec::new();
        let mut total = 0u64;
        for c in coins {
            total += c.value;
            chosen.push(c);
            if total >= needed + fee_of(chosen.len(), false) {
                break;
            }
        }
        let fee_plain = fee_of(chosen.len(), false);
        if chosen.is_empty() || total < needed + fee_plain {
            return Err(WalletError::InsufficientFunds {
                needed: needed + fee_plain,
                available,
            });
        }
        let fee_change = fee_of(chosen.len(), true);
        let mut outs = outputs;
        if total >= needed + fee_change + change_floor.max(1) {
            outs.push(TxOut {
                value: Amount::from_sat(total - needed - fee_change),
                script_pubkey: self.change_script(),
            });
        }
        let mut tx = Transaction {
            version: bitcoin::transaction::Version(tx_version(self.chain)),
            lock_time: LockTime::ZERO,
            input: chosen
                .iter()
                .map(|c| TxIn {
                    previous_output: c.outpoint,
                    script_sig: ScriptBuf::new(),
                    sequence: Sequence::MAX,
                    witness: bitcoin::Witness::new(),
                })
                .collect(),
            output: outs,
        };
        for (i, c) in chosen.iter().enumerate() {
            bitmodel_mvc::sighash::sign_p2pkh(
                &self.secp,
                &mut tx,
                i,
                &self.key(c.key),
                Amount::from_sat(c.value),
            )
            .map_err(|source| WalletError::Sign { input: i, source })?;
        }
        Ok(tx)
    }

    /// The fee of a transaction spending our coins (inputs we know minus outputs).
    pub fn fee(&self, tx: &Transaction) -> Option<u64> {
        let ours: BTreeMap<OutPoint, u64> = self
            .state
            .coins
            .iter()
            .cloned()
            .chain(self.spendable())
            .map(|c| (c.outpoint, c.value))
            .collect();
        let inputs: Option<u64> = tx
            .input
            .iter()
            .map(|i| ours.get(&i.previous_output).copied())
            .sum();
        let out: u64 = tx.output.iter().map(|o| o.value.to_sat()).sum();
        inputs.and_then(|i| i.checked_sub(out))
    }

    /// Records a transaction we broadcast, so its change is spendable before it confirms and
    /// its inputs are not offered twice.
    pub fn note_broadcast(&mut self, tx: Transaction) -> Result<(), WalletError> {
        let txid = self.txid(&tx);
        if !self.state.pending.iter().any(|p| self.txid(p) == txid) {
            self.state.pending.push(tx);
        }
        self.persist()
    }
}

/// Bytes of `tx` with `ins` inputs whose scriptSigs are empty, and `outs`.
fn unsigned_size(ins: usize, outs: &[TxOut]) -> u64 {
    let tx = Transaction {
        version: bitcoin::transaction::Version(1),
        lock_time: LockTime::ZERO,
        input: vec![TxIn::default(); ins],
        output: outs.to_vec(),
    };
    bitcoin::consensus::serialize(&tx).len() as u64
}

/// The node's fee rate in sat per 1,000 bytes: the larger of its relay fee
/// (`getnetworkinfo.relayfee`) and, on BSV, its mining floor (`getsettings.minminingtxfee`);
/// [`DEFAULT_SAT_PER_KB`] when it reports neither.
pub fn fee_rate_per_kb(client: &Client) -> u64 {
    let sat = |v: &serde_json::Value| v.as_f64().map(|btc| (btc * 1e8).round() as u64);
    let relay = client
        .call_value("getnetworkinfo", serde_json::json!([]))
        .ok()
        .and_then(|v| sat(&v["relayfee"]));
    let mining = client
        .call_value("getsettings", serde_json::json!([]))
        .ok()
        .and_then(|v| sat(&v["minminingtxfee"]));
    match (relay, mining) {
        (None, None) => DEFAULT_SAT_PER_KB,
        (a, b) => a.unwrap_or(0).max(b.unwrap_or(0)).max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use bitcoin::hashes::Hash;

    #[test]
    fn fee_rounds_up_and_sizes_are_exact() {
        assert_eq!(fee_for(1, 250), 1);
        assert_eq!(fee_for(1000, 250), 250);
        assert_eq!(fee_for(1001, 250), 251);
        // A one-in, one-out P2PKH transaction is 10 + 41 + 34 bytes unsigned.
        let out = TxOut {
            value: Amount::from_sat(1),
            script_pubkey: ScriptBuf::new_p2pkh(&bitcoin::PubkeyHash::from_byte_array([0; 20])),
        };
        assert_eq!(unsigned_size(1, &[out]), 10 + 41 + 34);
    }
}
