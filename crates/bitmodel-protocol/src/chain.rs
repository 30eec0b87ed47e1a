//! The networks Bitmodel knows — what a user *claims* with `--network` — and the constants
//! each one implies: address format, default RPC port, the height Bitmodel starts at, and
//! whether its consensus rules put OP_CAT in tapscript. Where they do not, a CAT leaf is
//! `OP_SUCCESS` — anyone can spend it — so vaults must never be created there.
//!
//! A claim is never acted on by itself: [`crate::identity`] checks what the node really is,
//! and only a [`crate::identity::Verified`] chain says whether vaults are safe.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Chain {
    /// The embedded devnet: a Fractal regtest chain run in-process, OP_CAT active.
    Devnet,
    Fractal,
    FractalTestnet,
    /// An external `fractald -regtest` (the devnet's RPC is one too).
    FractalRegtest,
    InquisitionSignet,
    /// An external regtest node without OP_CAT (litecoind or Bitcoin Core in tests).
    Regtest,
    Bitcoin,
    Testnet,
    Signet,
    /// MicrovisionChain mainnet: no tapscript; C-Flow through the OP_PUSH_TX splitter
    /// (`bitmodel-mvc`), records as MetaID PINs, version-10 txids.
    Mvc,
    MvcTestnet,
    /// A Bitcoin SV 1.0.13 regtest node: MVC's interpreter, sighash and limits, Bitcoin's
    /// ordinary txids. The test peer for MVC (MVC's node has no regtest).
    BsvRegtest,
}

/// How a chain's transactions, records and covenants are built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// Bitcoin's format with segwit and taproot: records in inscription envelopes, vaults
    /// as CAT covenants in tapscript (where the rules have OP_CAT).
    Taproot,
    /// Bitcoin SV's format (no segwit, FORKID signatures): records as MetaID PINs, vaults
    /// as OP_PUSH_TX splitters in bare script.
    Mvc,
}

impl Chain {
    pub const ALL: &'static [Chain] = &[
        Chain::Devnet,
        Chain::Fractal,
        Chain::FractalTestnet,
        Chain::FractalRegtest,
        Chain::InquisitionSignet,
        Chain::Regtest,
        Chain::Bitcoin,
        Chain::Testnet,
        Chain::Signet,
        Chain::Mvc,
        Chain::MvcTestnet,
        Chain::BsvRegtest,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Chain::Devnet => "devnet",
            Chain::Fractal => "fractal",
            Chain::FractalTestnet => "fractal-testnet",
            Chain::FractalRegtest => "fractal-regtest",
            Chain::InquisitionSignet => "inquisition-signet",
            Chain::Regtest => "regtest",
            Chain::Bitcoin => "bitcoin",
            Chain::Testnet => "testnet",
            Chain::Signet => "signet",
            Chain::Mvc => "mvc",
            Chain::MvcTestnet => "mvc-testnet",
            Chain::BsvRegtest => "bsv-regtest",
        }
    }

    /// The address format (and BIP32 coin type family) this chain uses. Fractal mainnet and
    /// Fractal testnet both use Bitcoin mainnet's `bc` prefix and base58 prefixes (Fractal's
    /// chainparams); Fractal regtest, and so the devnet, uses `bcrt`.
    /// MVC keeps Bitcoin's base58 prefixes (0/5 on mainnet, 111/196 on its testnet and on
    /// BSV's regtest); it has no bech32 addresses.
    pub fn network(self) -> bitcoin::Network {
        match self {
            Chain::Devnet | Chain::FractalRegtest | Chain::Regtest | Chain::BsvRegtest => {
                bitcoin::Network::Regtest
            }
            Chain::Fractal | Chain::FractalTestnet | Chain::Bitcoin | Chain::Mvc => {
                bitcoin::Network::Bitcoin
            }
            Chain::Testnet | Chain::MvcTestnet => bitcoin::Network::Testnet,
            Chain::InquisitionSignet | Chain::Signet => bitcoin::Network::Signet,
        }
    }

    /// Whether this network's consensus rules have BIP347 OP_CAT in tapscript. This is a
    /// fact about the *claimed* network; whether the node behind an RPC URL is that network
    /// is for [`crate::identity`] to verify, and only a verified chain may move money.
    pub fn rules_have_op_cat(self) -> bool {
        matches!(
            self,
            Chain::Devnet
                | Chain::Fractal
                | Chain::FractalTestnet
                | Chain::FractalRegtest
                | Chain::InquisitionSignet
        )
    }

    /// How this chain's transactions, records and covenants are built.
    pub fn family(self) -> Family {
        match self {
            Chain::Mvc | Chain::MvcTestnet | Chain::BsvRegtest => Family::Mvc,
            _ => Family::Taproot,
        }
    }

    /// Whether transactions of version 10 and above have MVC's txid (hashes of their
    /// parts); BSV keeps the ordinary txid for every version.
    pub fn has_mvc_txids(self) -> bool {
        matches!(self, Chain::Mvc | Chain::MvcTestnet)
    }

    /// Whether this network's rules hold the OP_PUSH_TX splitter: Bitcoin SV's restored
    /// opcodes (OP_CAT, OP_SPLIT, OP_MUL, big numbers) in bare script. On any other chain
    /// its script fails (disabled opcodes): money paid into it is lost, not split.
    pub fn rules_have_push_tx(self) -> bool {
        self.family() == Family::Mvc
    }

    /// Whether this network's rules have vaults of some kind (CAT or OP_PUSH_TX).
    pub fn rules_have_vaults(self) -> bool {
        self.rules_have_op_cat() || self.rules_have_push_tx()
    }

    /// How a locking script is shown to people: its address on this chain when it has one,
    /// else (a bare script: an MVC splitter) `script:` and the script's SHA-256 in hex, the
    /// "script hash" MVC's explorers and Electrum servers index bare scripts by.
    pub fn script_label(self, spk: &bitcoin::Script) -> String {
        use bitcoin::hashes::{sha256, Hash};
        match bitcoin::Address::from_script(spk, self.network()) {
            Ok(a) => a.to_string(),
            Err(_) => format!("script:{}", sha256::Hash::hash(spk.as_bytes())),
        }
    }

    /// The node's JSON-RPC port by default (fractald keeps bitcoind's ports; MVC's node
    /// uses 9882 and 19882; BSV's regtest 18332).
    pub fn default_rpc_port(self) -> u16 {
        match self {
            Chain::Mvc => 9882,
            Chain::MvcTestnet => 19882,
            Chain::BsvRegtest => 18332,
            Chain::Fractal | Chain::Bitcoin => 8332,
            Chain::FractalTestnet | Chain::Testnet => 18332,
            Chain::InquisitionSignet | Chain::Signet => 38332,
            Chain::Devnet | Chain::FractalRegtest | Chain::Regtest => 18443,
        }
    }

    /// The height Bitmodel starts at on this network: no Bitmodel record exists below it,
    /// so a first sync need not read those blocks. Bitmodel was first released for Fractal
    /// mainnet after height 2,000,000 (by Fractal's 30-second ASERT schedule from its
    /// 2024-09-09 launch, the chain passed it in mid-2026); the other networks start at 0.
    /// `--index-from` overrides it (docs/adr/0001-chain-identity.md).
    pub fn activation_height(self) -> u32 {
        match self {
            Chain::Fractal => 2_000_000,
            _ => 0,
        }
    }
}

impl fmt::Display for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Chain {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Chain::ALL
            .iter()
            .copied()
            .find(|c| c.name() == s.trim())
            .ok_or_else(|| {
                let names: Vec<&str> = Chain::ALL.iter().map(|c| c.name()).collect();
                format!(
                    "unknown network '{s}'; expected one of: {}",
                    names.join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_cat_gating() {
        for c in Chain::ALL {
            assert_eq!(c.name().parse::<Chain>(), Ok(*c));
        }
        assert!(Chain::Devnet.rules_have_op_cat() && Chain::Fractal.rules_have_op_cat());
        assert!(Chain::FractalRegtest.rules_have_op_cat());
        assert!(
            !Chain::Bitcoin.rules_have_op_cat()
                && !Chain::Testnet.rules_have_op_cat()
                && !Chain::Signet.rules_have_op_cat()
        );
        assert!(!Chain::Regtest.rules_have_op_cat());
        for c in [Chain::Mvc, Chain::MvcTestnet, Chain::BsvRegtest] {
            assert!(!c.rules_have_op_cat() && c.rules_have_push_tx() && c.rules_have_vaults());
            assert_eq!(c.family(), Family::Mvc);
        }
        assert!(!Chain::Regtest.rules_have_vaults() && !Chain::Fractal.rules_have_push_tx());
        assert!(Chain::Mvc.has_mvc_txids() && !Chain::BsvRegtest.has_mvc_txids());
        assert!("mainnet"
            .parse::<Chain>()
            .unwrap_err()
            .contains("expected one of"));
    }

    /// Fractal testnet's chainparams (v0.2.2 `CTestNetParams`): `bech32_hrp = "bc"`,
    /// PUBKEY_ADDRESS 0, SCRIPT_ADDRESS 5 — Bitcoin mainnet's, not testnet's `tb`/111/196.
    #[test]
    fn fractal_testnet_addresses_use_the_bc_prefix() {
        use bitcoin::hashes::Hash;
        let n = Chain::FractalTestnet.network();
        let spk = bitcoin::ScriptBuf::new_p2tr_tweaked(
            bitcoin::key::TweakedPublicKey::dangerous_assume_tweaked(
                bitcoin::XOnlyPublicKey::from_slice(
                    &hex::decode(
                        "50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0",
                    )
                    .unwrap(),
                )
                .unwrap(),
            ),
        );
        let a = bitcoin::Address::from_script(&spk, n).unwrap();
        assert!(a.to_string().starts_with("bc1p"), "{a}");
        let back: bitcoin::Address<bitcoin::address::NetworkUnchecked> =
            a.to_string().parse().unwrap();
        assert_eq!(back.require_network(n).unwrap().script_pubkey(), spk);
        // Base58: version byte 0 (P2PKH, "1…") and 5 (P2SH, "3…").
        let pkh = bitcoin::PubkeyHash::from_byte_array([1; 20]);
        let p2pkh = bitcoin::Address::p2pkh(pkh, n).to_string();
        assert!(p2pkh.starts_with('1'), "{p2pkh}");
        let sh = bitcoin::ScriptHash::from_byte_array([2; 20]);
        let p2sh = bitcoin::Address::from_script(&bitcoin::ScriptBuf::new_p2sh(&sh), n)
            .unwrap()
            .to_string();
        assert!(p2sh.starts_with('3'), "{p2sh}");
        // A `tb1` address is another network's and is refused.
        let tb = bitcoin::Address::from_script(&spk, bitcoin::Network::Testnet)
            .unwrap()
            .to_string();
        let tb: bitcoin::Address<bitcoin::address::NetworkUnchecked> = tb.parse().unwrap();
        assert!(tb.require_network(n).is_err());
    }
}
