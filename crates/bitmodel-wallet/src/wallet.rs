//! The user's wallet: a BDK wallet on BIP86 taproot descriptors from a BIP39 mnemonic, synced
//! block by block from any bitcoind-compatible node through the same block source the
//! indexer reads. It funds commits and vault payments, and exports unsigned PSBTs so a
//! hardware or external wallet can sign instead.

use std::path::Path;
use std::sync::Arc;

use bdk_wallet::chain::BlockId;
use bdk_wallet::{KeychainKind, PersistedWallet, SignOptions};
use bitcoin::bip32::{DerivationPath, Xpriv};
use bitcoin::key::{Keypair, Secp256k1};
use bitcoin::psbt::Psbt;
use bitcoin::{Address, Amount, FeeRate, Network, ScriptBuf, Transaction};
use bitmodel_rpc::source::{BlockSource, SourceError};
use bitmodel_rpc::Client;

use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no wallet at {0}; create one with `bitmodel wallet create`")]
    Missing(String),
    #[error("a wallet already exists at {0}; it was left untouched")]
    Exists(String),
    #[error("mnemonic is not valid BIP39 English")]
    BadMnemonic(#[source] bdk_wallet::keys::bip39::Error),
    #[error("wallet was created for {wallet} but {requested} was requested")]
    WrongNetwork { wallet: String, requested: String },
    #[error("the wallet at {path} belongs to {stored}, but the node is {found}: its coins are not on this chain; use another --datadir for this node")]
    OtherChain {
        path: String,
        stored: Box<bitmodel_protocol::Identity>,
        found: Box<bitmodel_protocol::Identity>,
    },
    /// BDK (or the key derivation under it) refused; `what` says what we were doing.
    #[error("{what}")]
    Bdk {
        what: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    #[error("signing input {input} failed")]
    Sign {
        input: usize,
        #[source]
        source: bitmodel_mvc::sighash::SighashError,
    },
    #[error("cannot read the chain from the node")]
    Node(#[source] SourceError),
    #[error("the node does not share this wallet's genesis block; wrong network?")]
    NoCommonBlock,
    #[error("no system randomness for a new mnemonic")]
    NoRandomness(#[source] std::io::Error),
    #[error("the wallet at {0} is sealed with a passphrase: set BITMODEL_WALLET_PASSPHRASE or pass --wallet-passphrase-file FILE")]
    Locked(String),
    #[error(transparent)]
    Seal(#[from] crate::seal::SealError),
    #[error("insufficient funds: need {needed} sats, the wallet has {available} sats confirmed or trusted")]
    InsufficientFunds { needed: u64, available: u64 },
    #[error("signing failed: the wallet holds no key for some input; sign the PSBT externally")]
    NotSigned,
}

impl WalletError {
    fn bdk(what: &'static str, e: impl std::error::Error + Send + Sync + 'static) -> WalletError {
        WalletError::Bdk {
            what,
            source: Box::new(e),
        }
    }
}

pub struct Wallet {
    inner: PersistedWallet<Store>,
    store: Store,
    xprv: Xpriv,
    network: Network,
    path: std::path::PathBuf,
}

fn coin_type(network: Network) -> u32 {
    if network == Network::Bitcoin {
        0
    } else {
        1
    }
}

fn descriptors(xprv: &Xpriv, network: Network) -> (String, String) {
    let c = coin_type(network);
    (
        format!("tr({xprv}/86'/{c}'/0'/0/*)"),
        format!("tr({xprv}/86'/{c}'/0'/1/*)"),
    )
}

impl Wallet {
    /// Creates a wallet file at `path` from `mnemonic`, or from a new 12-word mnemonic.
    /// `genesis` is the chain's block 0 when it is not `network`'s own (a Litecoin regtest,
    /// say). Returns the wallet and the mnemonic to write down.
    pub fn create(
        path: &Path,
        network: Network,
        genesis: Option<bitcoin::BlockHash>,
        mnemonic: Option<&str>,
    ) -> Result<(Wallet, String), WalletError> {
        Wallet::create_with(path, network, genesis, mnemonic, None)
    }

    /// [`Wallet::create`], the mnemonic sealed under `passphrase` when one is given (the
    /// file then never holds the words in the clear).
    pub fn create_with(
        path: &Path,
        network: Network,
        genesis: Option<bitcoin::BlockHash>,
        mnemonic: Option<&str>,
        passphrase: Option<&str>,
    ) -> Result<(Wallet, String), WalletError> {
        let (mut store, mnemonic) =
            crate::mnemonic::create_file(path, network.to_core_arg(), mnemonic, passphrase)?;
        let xprv = Xpriv::new_master(network, &mnemonic.to_seed(""))
            .map_err(|e| WalletError::bdk("deriving the master key", e))?;
        let (ext, int) = descriptors(&xprv, network);
        let mut params = bdk_wallet::Wallet::create(ext, int).network(network);
        if let Some(g) = genesis {
            params = params.genesis_hash(g);
        }
        let inner = params
            .create_wallet(&mut store)
            .map_err(|e| WalletError::bdk("creating the wallet", e))?;
        Ok((
            Wallet {
                inner,
                store,
                xprv,
                network,
                path: path.to_path_buf(),
            },
            mnemonic.to_string(),
        ))
    }

    /// Opens the wallet file at `path`, checking it belongs to `network`.
    pub fn open(path: &Path, network: Network) -> Result<Wallet, WalletError> {
        Wallet::open_with(path, network, None)
    }

    /// [`Wallet::open`] with the passphrase of a sealed mnemonic.
    pub fn open_with(
        path: &Path,
        network: Network,
        passphrase: Option<&str>,
    ) -> Result<Wallet, WalletError> {
        let (mut store, mnemonic) =
            crate::mnemonic::open_file(path, network.to_core_arg(), passphrase)?;
        let xprv = Xpriv::new_master(network, &mnemonic.to_seed(""))
            .map_err(|e| WalletError::bdk("deriving the master key", e))?;
        let (ext, int) = descriptors(&xprv, network);
        let inner = bdk_wallet::Wallet::load()
            .descriptor(KeychainKind::External, Some(ext))
            .descriptor(KeychainKind::Internal, Some(int))
            .extract_keys()
            .check_network(network)
            .load_wallet(&mut store)
            .map_err(|e| WalletError::bdk("loading the wallet", e))?
            .ok_or_else(|| WalletError::Missing(path.display().to_string()))?;
        Ok(Wallet {
            inner,
            store,
            xprv,
            network,
            path: path.to_path_buf(),
        })
    }

    pub fn network(&self) -> Network {
        self.network
    }

    /// Binds the wallet to the node's chain on first use and refuses another chain later
    /// (a regtest node reset behind the same URL, Bitcoin where Fractal was used): the
    /// wallet's coins and history belong to one chain.
    pub fn bind_identity(
        &mut self,
        found: &bitmodel_protocol::Identity,
    ) -> Result<(), WalletError> {
        crate::mnemonic::bind_identity(&mut self.store, &self.path, found)
    }

    fn persist(&mut self) -> Result<(), WalletError> {
        self.inner.persist(&mut self.store)?;
        Ok(())
    }

    /// A fresh receive address (persisted, so it is never handed out twice).
    pub fn receive(&mut self) -> Result<Address, WalletError> {
        let a = self
            .inner
            .reveal_next_address(KeychainKind::External)
            .address;
        self.persist()?;
        Ok(a)
    }

    /// The last block the wallet has seen: (height, hash).
    pub fn tip(&self) -> (u32, bitcoin::BlockHash) {
        let cp = self.inner.latest_checkpoint();
        (cp.height(), cp.hash())
    }

    /// Spendable sats: confirmed plus our own unconfirmed change.
    pub fn balance(&self) -> bdk_wallet::Balance {
        self.inner.balance()
    }

    /// The key that signs reveal transactions (`m/86'/coin'/1'/0/0`, outside the BIP86
    /// receive/change chains so it never receives ordinary payments).
    pub fn inscription_keypair(&self) -> Keypair {
        let secp = Secp256k1::new();
        let path: DerivationPath = format!("m/86'/{}'/1'/0/0", coin_type(self.network))
            .parse()
            .expect("a valid derivation path");
        let child = self
            .xprv
            .derive_priv(&secp, &path)
            .expect("derivation of a hardened path cannot fail");
        Keypair::from_secret_key(&secp, &child.private_key)
    }

    /// Follows the chain: connects every block after our latest checkpoint that `blocks`
    /// still has (rolling back over reorgs), then adds `node`'s mempool. `blocks` is the node
    /// itself, or the command's [`bitmodel_rpc::source::Recent`] in front of it, so that
    /// blocks the index has just read are not downloaded again.
    pub fn sync(&mut self, blocks: &impl BlockSource, node: &Client) -> Result<u32, WalletError> {
        let tip = blocks.tip_height().map_err(WalletError::Node)?;
        let mut connected = None;
        for cp in self.inner.latest_checkpoint().iter() {
            if cp.height() <= tip
                && blocks.block_hash(cp.height()).map_err(WalletError::Node)? == cp.hash()
            {
                connected = Some(cp.block_id());
                break;
            }
        }
        let mut connected = connected.ok_or(WalletError::NoCommonBlock)?;
        for height in connected.height + 1..=tip {
            let hash = blocks.block_hash(height).map_err(WalletError::Node)?;
            let block = blocks.block(&hash).map_err(WalletError::Node)?;
            self.inner
                .apply_block_connected_to(&block, height, connected)
                .map_err(|e| WalletError::bdk("connecting a block to the wallet", e))?;
            connected = BlockId { height, hash };
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut mempool = Vec::new();
        let mempool_txids = node
            .get_raw_mempool()
            .map_err(|e| WalletError::Node(Box::new(e)))?;
        for txid in mempool_txids {
            // A transaction can leave the mempool between the two calls; skip it then.
            if let Ok(tx) = node.get_raw_transaction(&txid) {
                mempool.push((Arc::new(tx), now));
            }
        }
        self.inner.apply_unconfirmed_txs(mempool);
        self.persist()?;
        Ok(tip)
    }

    /// An unsigned PSBT paying `outputs` at `fee_rate`, change back to the wallet.
    pub fn psbt(
        &mut self,
        outputs: &[(ScriptBuf, Amount)],
        fee_rate: FeeRate,
    ) -> Result<Psbt, WalletError> {
        self.build(outputs, fee_rate, false)
    }

    fn build(
        &mut self,
        outputs: &[(ScriptBuf, Amount)],
        fee_rate: FeeRate,
        final_sequence: bool,
    ) -> Result<Psbt, WalletError> {
        let needed: u64 = outputs.iter().map(|(_, a)| a.to_sat()).sum();
        let mut b = self.inner.build_tx();
        for (spk, amount) in outputs {
            b.add_recipient(spk.clone(), *amount);
        }
        b.fee_rate(fee_rate);
        if final_sequence {
            // Not BIP125-replaceable: a seller answering at 0 confirmations needs that.
            b.set_exact_sequence(bitcoin::Sequence::ENABLE_LOCKTIME_NO_RBF);
        }
        let psbt = b.finish().map_err(|e| match e {
            bdk_wallet::error::CreateTxError::CoinSelection(_) => WalletError::InsufficientFunds {
                needed,
                available: self.inner.balance().trusted_spendable().to_sat(),
            },
            other => WalletError::bdk("building the transaction", other),
        })?;
        self.persist()?;
        Ok(psbt)
    }

    /// Signs and finalises a PSBT (ours or one coming back from an external signer).
    pub fn sign(&self, psbt: &mut Psbt) -> Result<Transaction, WalletError> {
        let done = self
            .inner
            .sign(psbt, SignOptions::default())
            .map_err(|e| WalletError::bdk("signing the transaction", e))?;
        if !done {
            return Err(WalletError::NotSigned);
        }
        psbt.clone()
            .extract_tx()
            .map_err(|e| WalletError::bdk("extracting the signed transaction", e))
    }

    /// Builds, signs and returns a transaction paying `outputs`.
    pub fn pay(
        &mut self,
        outputs: &[(ScriptBuf, Amount)],
        fee_rate: FeeRate,
    ) -> Result<Transaction, WalletError> {
        let mut psbt = self.psbt(outputs, fee_rate)?;
        self.sign(&mut psbt)
    }

    /// [`Wallet::pay`] without signalling replacement (BIP125), for payments a seller
    /// accepts unconfirmed (paid inference).
    pub fn pay_final(
        &mut self,
        outputs: &[(ScriptBuf, Amount)],
        fee_rate: FeeRate,
    ) -> Result<Transaction, WalletError> {
        let mut psbt = self.build(outputs, fee_rate, true)?;
        self.sign(&mut psbt)
    }

    /// The fee of a transaction whose inputs this wallet knows.
    pub fn fee(&self, tx: &Transaction) -> Option<u64> {
        self.inner.calculate_fee(tx).ok().map(|a| a.to_sat())
    }

    /// Records a transaction we broadcast, so its change is spendable before it confirms.
    pub fn note_broadcast(&mut self, tx: Transaction) -> Result<(), WalletError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.inner.apply_unconfirmed_txs([(Arc::new(tx), now)]);
        self.persist()
    }
}

/// Fee rate from the node's `estimatesmartfee`, or `fallback` sat/vB when it has no estimate
/// (a fresh chain, the devnet). Never below Core's 1 sat/vB relay floor.
pub fn fee_rate(client: &Client, fallback_sat_vb: u64) -> FeeRate {
    let estimate = client
        .call_value("estimatesmartfee", serde_json::json!([6]))
        .ok()
        .and_then(|v| v.get("feerate").and_then(|f| f.as_f64()))
        .map(|btc_per_kvb| (btc_per_kvb * 1e8 / 1000.0).ceil() as u64);
    FeeRate::from_sat_per_vb(estimate.unwrap_or(fallback_sat_vb).max(1))
        .expect("a small fee rate fits")
}

pub(crate) fn getrandom(buf: &mut [u8]) -> std::io::Result<()> {
    use std::io::Read;
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(buf))
}
