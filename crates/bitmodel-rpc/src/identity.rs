//! Asks a node what chain it is: the facts [`bitmodel_protocol::identity`] reasons over.
//! Three to six calls (`getblockchaininfo`, `getblockhash 0` and `1`, block 1 itself and
//! `getnetworkinfo` (`getsettings` on BSV) on a regtest genesis, `getdeploymentinfo` on signet), so checking on every connection is cheap.

use bitcoin::Amount;
use bitmodel_protocol::identity::{Block1, ChainFacts};
use bitmodel_protocol::{Chain, Identity, Verified};
use serde_json::{json, Value};

use crate::{Client, Error};

/// Why a node could not be used as the claimed network.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("cannot ask the node at {url} what chain it is: {source}")]
    Node {
        url: String,
        #[source]
        source: Error,
    },
    #[error("the node at {url} is {mismatch}")]
    Mismatch {
        url: String,
        mismatch: bitmodel_protocol::identity::Mismatch,
    },
}

impl Client {
    /// What the node says about its chain.
    pub fn chain_facts(&self) -> Result<ChainFacts, Error> {
        let info: Value = self.call("getblockchaininfo", &[])?;
        let chain = info["chain"]
            .as_str()
            .ok_or_else(|| Error::decode("getblockchaininfo: no chain name"))?
            .to_owned();
        let blocks = info["blocks"].as_u64().unwrap_or(0);
        let genesis = self.get_block_hash(0)?;
        let regtest_genesis =
            bitcoin::constants::genesis_block(bitcoin::Network::Regtest).block_hash();
        let block1 = if blocks >= 1 {
            let hash = self.get_block_hash(1)?;
            // Only a regtest genesis needs block 1's coinbase (main and test are told apart
            // by block 1's hash), so a mainnet node is never asked for a whole block.
            let coinbase_sats = if genesis == regtest_genesis {
                let block = self.get_block(&hash)?;
                block
                    .txdata
                    .first()
                    .map(|cb| cb.output.iter().map(|o| o.value).sum::<Amount>())
                    .unwrap_or(Amount::ZERO)
                    .to_sat()
            } else {
                0
            };
            Some(Block1 {
                hash,
                coinbase_sats,
            })
        } else {
            None
        };
        let op_cat_deployment = if chain == "signet" {
            match self.call_value("getdeploymentinfo", json!([])) {
                Ok(v) => Some(v["deployments"]["op_cat"]["active"].as_bool() == Some(true)),
                Err(e) if e.rpc_code() == Some(-32601) => None,
                Err(e) => return Err(e),
            }
        } else {
            None
        };
        let bitcoin_sv = genesis == regtest_genesis && self.is_bitcoin_sv()?;
        Ok(ChainFacts {
            chain,
            genesis,
            block1,
            op_cat_deployment,
            bitcoin_sv,
        })
    }

    /// Whether the node is Bitcoin SV: it says so in `getnetworkinfo.subversion`, and it
    /// answers `getsettings` (BSV's call) with its post-Genesis script limits. Asked only on
    /// a regtest genesis, where it tells BSV's regtest from Bitcoin Core's.
    fn is_bitcoin_sv(&self) -> Result<bool, Error> {
        let net: Value = self.call("getnetworkinfo", &[])?;
        if !net["subversion"]
            .as_str()
            .is_some_and(|v| v.contains("Bitcoin SV"))
        {
            return Ok(false);
        }
        match self.call_value("getsettings", json!([])) {
            Ok(v) => Ok(v.get("maxscriptsizepolicy").is_some()),
            Err(e) if e.rpc_code() == Some(-32601) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The node's identity.
    pub fn identity(&self) -> Result<Identity, Error> {
        Ok(Identity::from_facts(&self.chain_facts()?))
    }

    /// Checks that the node is `claimed`, before anything is built for it.
    pub fn verify(&self, claimed: Chain) -> Result<Verified, IdentityError> {
        let identity = self.identity().map_err(|source| IdentityError::Node {
            url: self.url.clone(),
            source,
        })?;
        self.check(claimed, &identity)
    }

    /// [`Client::verify`] for a follower that checks on every step: when the node's chain
    /// name, genesis and block 1 are still those of `previous`, its classification stands
    /// and block 1 is not fetched again; anything else is verified from scratch.
    pub fn verify_again(&self, previous: &Verified) -> Result<Verified, IdentityError> {
        let node = |source| IdentityError::Node {
            url: self.url.clone(),
            source,
        };
        let info: Value = self.call("getblockchaininfo", &[]).map_err(node)?;
        let prev = previous.identity();
        let same = info["chain"].as_str() == Some(prev.chain.as_str())
            && self.get_block_hash(0).map_err(node)? == prev.genesis
            && match prev.block1 {
                Some(b1) => self.get_block_hash(1).map_err(node)? == b1,
                None => info["blocks"].as_u64() == Some(0),
            };
        if same {
            return Ok(previous.clone());
        }
        self.verify(previous.chain())
    }

    fn check(&self, claimed: Chain, identity: &Identity) -> Result<Verified, IdentityError> {
        claimed
            .verify(identity)
            .map_err(|m| IdentityError::Mismatch {
                url: self.url.trim_end_matches('/').to_owned(),
                mismatch: m,
            })
    }
}
