//! Which chain a node really is, told from what it answers — never from what the user typed.
//!
//! `--network fractal` against a Bitcoin Core node would pay into vaults whose CAT leaves are
//! `OP_SUCCESS` there: anyone-can-spend. Fractal mainnet and testnet share Bitcoin mainnet's
//! genesis, and Fractal regtest (our devnet included) shares Bitcoin Core's and BSV's regtest
//! genesis, so the genesis hash alone cannot tell them apart. What does (the reasons are in
//! `docs/adr/0001-chain-identity.md`):
//!
//! - mainnet and testnet: block 1's hash, checkpointed in Fractal's chainparams (v0.2.2);
//! - regtest: block 1's coinbase. Fractal pays `MAX_MONEY / 2` = 105,000,000 coins at height 1
//!   (`GetBlockSubsidy`), a Bitcoin-rules regtest at most 50 coins, and no fees can exist in
//!   block 1 (nothing is spendable before it), so more than 50 coins is a consensus property
//!   of a Fractal chain, not a reply a node chooses;
//! - signet: Bitcoin Inquisition reports an active `op_cat` deployment; Core does not;
//! - MicrovisionChain mainnet and testnet: their own genesis blocks (MVC's chainparams);
//! - Bitcoin SV's regtest (MVC's test peer): Bitcoin's regtest genesis and a block 1 of at
//!   most 50 coins, like Bitcoin Core's, told apart by what the node says it runs
//!   (`getnetworkinfo.subversion` "Bitcoin SV") and the BSV-only `getsettings` call that
//!   reports its post-Genesis script rules. That is a reply, not a consensus property: it
//!   is accepted for a regtest, whose coins are worthless, and for no network with value.
//!
//! A chain whose distinguishing block 1 does not exist yet (a fresh regtest node) is
//! [`NodeChain::Unidentified`]: accepted for what does not need OP_CAT, never for vaults.
//!
//! This module only reasons over facts; fetching them is the RPC client's job.

use std::fmt;

use bitcoin::{BlockHash, Network};
use serde::{Deserialize, Serialize};

use crate::Chain;

/// Block 1 of Fractal mainnet (Fractal v0.2.2 `CMainParams` checkpoint).
pub const FRACTAL_MAIN_BLOCK1: &str =
    "00000000000000005a5c13fe33f6717c7ad81fc8837ae75e4693c16acbdd0f66";
/// Block 1 of Fractal testnet (Fractal v0.2.2 `CTestNetParams` checkpoint).
pub const FRACTAL_TEST_BLOCK1: &str =
    "000000000021b22bb6a9718e5db62fca1eb2ac6e34535e70c67b374dcb29c570";
/// Block 1 of Bitcoin mainnet.
pub const BITCOIN_MAIN_BLOCK1: &str =
    "00000000839a8e6886ab5951d76f411475428afc90947ee320161bbf18eb6048";
/// Block 1 of Bitcoin testnet3.
pub const BITCOIN_TEST_BLOCK1: &str =
    "00000000b873e79784647a6c82962c70d228557d24a747ea4d1b8bbe878e1206";
/// Genesis of Litecoin's regtest (litecoind 0.21, the integration tests' real node).
pub const LITECOIN_REGTEST_GENESIS: &str =
    "530827f38f93b43ed12af0b3ad25a288dc02ed74d6d7857862df51fc56c416f9";
/// Genesis of MicrovisionChain mainnet (MVC v0.2 chainparams).
pub const MVC_MAIN_GENESIS: &str =
    "000000000000000001d956714215d96ffc00e0afda4cd0a96c96f8d802b1662b";
/// Genesis of MicrovisionChain testnet.
pub const MVC_TEST_GENESIS: &str =
    "000000005abc148d1e91534997189fcce59056c980a7164e8eca2e2ce29a1575";
/// The most a Bitcoin-rules block 1 can pay (50 coins of subsidy; block 1 has no fees).
pub const BITCOIN_BLOCK1_MAX_SATS: u64 = 50 * 100_000_000;
/// What Fractal's block 1 pays: `MAX_MONEY / 2`.
pub const FRACTAL_BLOCK1_SATS: u64 = 105_000_000 * 100_000_000;

/// What a node said about itself, gathered by the RPC client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainFacts {
    /// `getblockchaininfo.chain`: "main", "test", "testnet4", "signet", "regtest", …
    pub chain: String,
    pub genesis: BlockHash,
    /// Block 1, when the node has it.
    pub block1: Option<Block1>,
    /// `getdeploymentinfo.deployments.op_cat.active`, when the node reports it.
    pub op_cat_deployment: Option<bool>,
    /// On a regtest genesis: whether the node is Bitcoin SV (`getnetworkinfo.subversion`
    /// names it and `getsettings` reports its Genesis rules); `false` elsewhere.
    pub bitcoin_sv: bool,
}

/// Block 1's hash and what its coinbase pays in total.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block1 {
    pub hash: BlockHash,
    pub coinbase_sats: u64,
}

/// What the node is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "is")]
pub enum NodeChain {
    BitcoinMainnet,
    BitcoinTestnet3,
    BitcoinTestnet4,
    /// Bitcoin's signet; `op_cat` when the node reports BIP347 active (Bitcoin Inquisition).
    Signet {
        op_cat: bool,
    },
    /// Bitcoin's regtest genesis with a block 1 paying at most 50 coins (Bitcoin Core, BSV).
    BitcoinRegtest {
        block1_sats: u64,
    },
    FractalMainnet,
    FractalTestnet,
    /// Bitcoin's regtest genesis with Fractal's 105,000,000-coin block 1 (the devnet too).
    FractalRegtest,
    LitecoinRegtest,
    MvcMainnet,
    MvcTestnet,
    /// Bitcoin SV's regtest (Bitcoin's regtest genesis, a BSV node): MVC's script rules.
    BsvRegtest,
    /// The genesis is known but block 1, which tells the chains on it apart, is not there yet.
    Unidentified {
        genesis_of: String,
    },
    /// Nothing this software knows.
    Other,
}

/// A node's identity: what it is and the facts that showed it (stored with an index or a
/// wallet, so a datadir used against one chain refuses another).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub node: NodeChain,
    /// The node's own chain name.
    pub chain: String,
    pub genesis: BlockHash,
    pub block1: Option<BlockHash>,
}

fn hash(s: &str) -> BlockHash {
    s.parse().expect("a block hash constant")
}

fn genesis_of(n: Network) -> BlockHash {
    bitcoin::constants::genesis_block(n).block_hash()
}

impl Identity {
    /// Classifies a node from its facts.
    pub fn from_facts(f: &ChainFacts) -> Identity {
        let b1 = f.block1.map(|b| b.hash);
        let is = |h: &str| b1 == Some(hash(h));
        let unidentified = |of: &str| NodeChain::Unidentified {
            genesis_of: of.to_owned(),
        };
        let node = if f.genesis == genesis_of(Network::Bitcoin) {
            match f.chain.as_str() {
                _ if f.block1.is_none() => unidentified("Bitcoin and Fractal mainnet"),
                "main" if is(FRACTAL_MAIN_BLOCK1) => NodeChain::FractalMainnet,
                "main" if is(BITCOIN_MAIN_BLOCK1) => NodeChain::BitcoinMainnet,
                "test" if is(FRACTAL_TEST_BLOCK1) => NodeChain::FractalTestnet,
                _ => NodeChain::Other,
            }
        } else if f.genesis == genesis_of(Network::Testnet) {
            match f.block1 {
                None => unidentified("Bitcoin testnet3"),
                Some(_) if is(BITCOIN_TEST_BLOCK1) => NodeChain::BitcoinTestnet3,
                Some(_) => NodeChain::Other,
            }
        } else if f.genesis == genesis_of(Network::Testnet4) {
            NodeChain::BitcoinTestnet4
        } else if f.genesis == genesis_of(Network::Signet) {
            NodeChain::Signet {
                op_cat: f.op_cat_deployment == Some(true),
            }
        } else if f.genesis == hash(MVC_MAIN_GENESIS) {
            NodeChain::MvcMainnet
        } else if f.genesis == hash(MVC_TEST_GENESIS) {
            NodeChain::MvcTestnet
        } else if f.genesis == genesis_of(Network::Regtest) && f.bitcoin_sv {
            match f.block1 {
                // A BSV node cannot pay Fractal's block 1: it is not what it says.
                Some(b) if b.coinbase_sats > BITCOIN_BLOCK1_MAX_SATS => NodeChain::Other,
                _ => NodeChain::BsvRegtest,
            }
        } else if f.genesis == genesis_of(Network::Regtest) {
            match f.block1 {
                None => unidentified("Bitcoin and Fractal regtest"),
                Some(b) if b.coinbase_sats > BITCOIN_BLOCK1_MAX_SATS => NodeChain::FractalRegtest,
                Some(b) => NodeChain::BitcoinRegtest {
                    block1_sats: b.coinbase_sats,
                },
            }
        } else if f.genesis == hash(LITECOIN_REGTEST_GENESIS) {
            NodeChain::LitecoinRegtest
        } else {
            NodeChain::Other
        };
        Identity {
            node,
            chain: f.chain.clone(),
            genesis: f.genesis,
            block1: b1,
        }
    }

    /// Whether BIP347 OP_CAT is enforced in tapscript on this node's chain.
    pub fn has_op_cat(&self) -> bool {
        matches!(
            self.node,
            NodeChain::FractalMainnet
                | NodeChain::FractalTestnet
                | NodeChain::FractalRegtest
                | NodeChain::Signet { op_cat: true }
        )
    }

    /// Whether the node's chain runs the OP_PUSH_TX splitter (MVC's and BSV's script rules).
    pub fn has_push_tx(&self) -> bool {
        matches!(
            self.node,
            NodeChain::MvcMainnet | NodeChain::MvcTestnet | NodeChain::BsvRegtest
        )
    }

    /// What a store (an index, a wallet) bound to `stored` should do with a node that is
    /// `found`: `Err(())` when it is another chain; `Ok(Some(new))` when the identity is to be
    /// stored (first use, or the chain has since grown the block 1 that identifies it);
    /// `Ok(None)` when nothing changes.
    #[allow(clippy::result_unit_err)]
    pub fn rebind(stored: Option<&Identity>, found: &Identity) -> Result<Option<Identity>, ()> {
        match stored {
            Some(s) if !s.same_chain(found) => Err(()),
            Some(s) if *s == *found || found.block1.is_none() => Ok(None),
            _ => Ok(Some(found.clone())),
        }
    }

    /// Whether `self` and `other` can be the same chain (an index or wallet made against
    /// one may be used against the other): same genesis, and the same block 1 once both
    /// know one. A chain that has since grown a block 1 is the same chain.
    pub fn same_chain(&self, other: &Identity) -> bool {
        self.genesis == other.genesis
            && self.chain == other.chain
            && match (self.block1, other.block1) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let short = |h: &BlockHash| {
            let s = h.to_string();
            format!("{}…", &s[..14])
        };
        let block1 = || {
            self.block1.map_or("no block 1 yet".to_owned(), |b| {
                format!("block 1 is {}", short(&b))
            })
        };
        match &self.node {
            NodeChain::BitcoinMainnet => write!(f, "Bitcoin mainnet ({})", block1()),
            NodeChain::BitcoinTestnet3 => write!(f, "Bitcoin testnet3"),
            NodeChain::BitcoinTestnet4 => write!(f, "Bitcoin testnet4"),
            NodeChain::Signet { op_cat: true } => {
                write!(f, "signet with OP_CAT active (Bitcoin Inquisition)")
            }
            NodeChain::Signet { op_cat: false } => {
                write!(f, "signet without an active OP_CAT deployment")
            }
            NodeChain::BitcoinRegtest { block1_sats } => write!(
                f,
                "a Bitcoin-rules regtest without OP_CAT ({}, paying {block1_sats} sats; Fractal's pays {FRACTAL_BLOCK1_SATS})",
                block1()
            ),
            NodeChain::FractalMainnet => write!(f, "Fractal mainnet ({})", block1()),
            NodeChain::FractalTestnet => write!(f, "Fractal testnet ({})", block1()),
            NodeChain::FractalRegtest => write!(f, "Fractal regtest ({})", block1()),
            NodeChain::LitecoinRegtest => write!(f, "Litecoin regtest (genesis {})", short(&self.genesis)),
            NodeChain::MvcMainnet => write!(f, "MicrovisionChain mainnet"),
            NodeChain::MvcTestnet => write!(f, "MicrovisionChain testnet"),
            NodeChain::BsvRegtest => write!(f, "a Bitcoin SV regtest ({})", block1()),
            NodeChain::Unidentified { genesis_of } => write!(
                f,
                "a chain on the genesis of {genesis_of} that cannot be told apart yet (chain \"{}\", no block 1)",
                self.chain
            ),
            NodeChain::Other => write!(
                f,
                "an unknown chain (chain \"{}\", genesis {}, {})",
                self.chain,
                short(&self.genesis),
                block1()
            ),
        }
    }
}

/// A claimed network checked against the node's identity: the only thing that may say
/// whether vaults are safe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    chain: Chain,
    identity: Identity,
}

/// The node is not the claimed network.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{identity}, not {claimed}: {consequence}")]
pub struct Mismatch {
    pub claimed: Chain,
    pub identity: Box<Identity>,
    consequence: &'static str,
}

impl Chain {
    /// Checks the claim against the node. A node that cannot be identified yet is accepted
    /// where its genesis fits the claim, but without OP_CAT until it can be.
    pub fn verify(self, identity: &Identity) -> Result<Verified, Mismatch> {
        use NodeChain as N;
        let fits = match (self, &identity.node) {
            (Chain::Devnet | Chain::FractalRegtest, N::FractalRegtest) => true,
            (Chain::Fractal, N::FractalMainnet) => true,
            (Chain::FractalTestnet, N::FractalTestnet) => true,
            (Chain::InquisitionSignet, N::Signet { op_cat: true }) => true,
            (Chain::Bitcoin, N::BitcoinMainnet) => true,
            (Chain::Testnet, N::BitcoinTestnet3 | N::BitcoinTestnet4) => true,
            (Chain::Signet, N::Signet { .. }) => true,
            (Chain::Regtest, N::BitcoinRegtest { .. } | N::LitecoinRegtest) => true,
            (Chain::Regtest, N::Other) => identity.chain == "regtest",
            (Chain::Mvc, N::MvcMainnet) => true,
            (Chain::MvcTestnet, N::MvcTestnet) => true,
            (Chain::BsvRegtest, N::BsvRegtest) => true,
            (_, N::Unidentified { .. }) => {
                let expected = match self {
                    Chain::Devnet | Chain::FractalRegtest | Chain::Regtest => {
                        Some(Network::Regtest)
                    }
                    Chain::Fractal | Chain::Bitcoin => Some(Network::Bitcoin),
                    Chain::Testnet => Some(Network::Testnet),
                    Chain::FractalTestnet => Some(Network::Bitcoin),
                    Chain::InquisitionSignet | Chain::Signet => Some(Network::Signet),
                    // Identified by genesis alone (MVC) or by the node (BSV), never pending.
                    Chain::Mvc | Chain::MvcTestnet | Chain::BsvRegtest => None,
                };
                expected.is_some_and(|n| identity.genesis == genesis_of(n))
            }
            _ => false,
        };
        if fits {
            return Ok(Verified {
                chain: self,
                identity: identity.clone(),
            });
        }
        let consequence = if self.rules_have_op_cat() && !identity.has_op_cat() {
            "refusing to pay into a vault, which would be anyone-can-spend there"
        } else if self.rules_have_push_tx() && !identity.has_push_tx() {
            "refusing to pay into a splitter, whose opcodes are disabled there: the money would be lost"
        } else {
            "refusing to use it as another network (its addresses, vaults and index would be wrong)"
        };
        Err(Mismatch {
            claimed: self,
            identity: Box::new(identity.clone()),
            consequence,
        })
    }
}

impl Verified {
    pub fn chain(&self) -> Chain {
        self.chain
    }

    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// Whether vaults hold on this node's chain: the claim's rules have OP_CAT and the node
    /// was shown to be such a chain.
    pub fn has_op_cat(&self) -> bool {
        self.chain.rules_have_op_cat() && self.identity.has_op_cat()
    }

    /// Whether the node was shown to run the OP_PUSH_TX splitter the claim's rules have.
    pub fn has_push_tx(&self) -> bool {
        self.chain.rules_have_push_tx() && self.identity.has_push_tx()
    }

    /// Whether vaults hold here, of either kind.
    pub fn has_vaults(&self) -> bool {
        self.has_op_cat() || self.has_push_tx()
    }

    /// Why vaults are off here, for error messages; `None` when they are on.
    pub fn why_no_vaults(&self) -> Option<String> {
        if self.has_vaults() {
            return None;
        }
        Some(if self.chain.rules_have_vaults() {
            format!(
                "the node is {}; vaults wait until it can be shown to have OP_CAT (mine or sync block 1)",
                self.identity
            )
        } else {
            format!(
                "{} has no OP_CAT in tapscript, so it has no vaults",
                self.chain
            )
        })
    }
}

#[cfg(test)]
mod tests;
