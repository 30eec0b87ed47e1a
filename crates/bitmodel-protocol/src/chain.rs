//! The networks Bitmodel knows, and the one fact about them the protocol depends on: whether
//! tapscript has OP_CAT. Where it does not, a CAT leaf is `OP_SUCCESS` — anyone can spend it —
//! so vaults must never be created there (direct-mode payments are used instead).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Chain {
    /// The embedded devnet: Fractal regtest parameters, OP_CAT active.
    Devnet,
    Fractal,
    FractalTestnet,
    InquisitionSignet,
    /// An external regtest node (e.g. litecoind in tests): OP_CAT is not assumed.
    Regtest,
    Bitcoin,
    Testnet,
    Signet,
}

impl Chain {
    pub const ALL: &'static [Chain] = &[
        Chain::Devnet,
        Chain::Fractal,
        Chain::FractalTestnet,
        Chain::InquisitionSignet,
        Chain::Regtest,
        Chain::Bitcoin,
        Chain::Testnet,
        Chain::Signet,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Chain::Devnet => "devnet",
            Chain::Fractal => "fractal",
            Chain::FractalTestnet => "fractal-testnet",
            Chain::InquisitionSignet => "inquisition-signet",
            Chain::Regtest => "regtest",
            Chain::Bitcoin => "bitcoin",
            Chain::Testnet => "testnet",
            Chain::Signet => "signet",
        }
    }

    /// The address format (and BIP32 coin type family) this chain uses. Fractal mainnet
    /// uses Bitcoin's `bc` prefix; the devnet is Fractal regtest (`bcrt`).
    pub fn network(self) -> bitcoin::Network {
        match self {
            Chain::Devnet | Chain::Regtest => bitcoin::Network::Regtest,
            Chain::Fractal | Chain::Bitcoin => bitcoin::Network::Bitcoin,
            Chain::FractalTestnet | Chain::Testnet => bitcoin::Network::Testnet,
            Chain::InquisitionSignet | Chain::Signet => bitcoin::Network::Signet,
        }
    }

    /// Whether BIP347 OP_CAT is active in tapscript on this chain, so vault covenants hold.
    pub fn has_op_cat(self) -> bool {
        matches!(
            self,
            Chain::Devnet | Chain::Fractal | Chain::FractalTestnet | Chain::InquisitionSignet
        )
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
        assert!(Chain::Devnet.has_op_cat() && Chain::Fractal.has_op_cat());
        assert!(
            !Chain::Bitcoin.has_op_cat()
                && !Chain::Testnet.has_op_cat()
                && !Chain::Signet.has_op_cat()
        );
        assert!(!Chain::Regtest.has_op_cat());
        assert!("mainnet"
            .parse::<Chain>()
            .unwrap_err()
            .contains("expected one of"));
    }
}
