//! Verification flags with Bitcoin Core's names, bit positions and meaning, and the named
//! bundles the rest of Bitmodel verifies with.
//!
//! Bits 0–20 are Core's own, so a `Flags` value converts to libbitcoinconsensus flags by
//! masking. `OP_CAT`/`DISCOURAGE_OP_CAT` (BIP347) and the BIP119 flags follow Bitcoin
//! Inquisition, whose test vectors we run.

use std::fmt;

/// A set of script verification flags (Core's `SCRIPT_VERIFY_*`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(u32);

macro_rules! flag_consts {
    ($($name:ident = $bit:expr;)*) => {
        impl Flags {
            $(pub const $name: Flags = Flags(1 << $bit);)*

            /// Every flag with its Core name, lowest bit first.
            pub const NAMED: &'static [(&'static str, Flags)] = &[$((stringify!($name), Flags::$name),)*];
        }
    };
}

flag_consts! {
    P2SH = 0;
    STRICTENC = 1;
    DERSIG = 2;
    LOW_S = 3;
    NULLDUMMY = 4;
    SIGPUSHONLY = 5;
    MINIMALDATA = 6;
    DISCOURAGE_UPGRADABLE_NOPS = 7;
    CLEANSTACK = 8;
    CHECKLOCKTIMEVERIFY = 9;
    CHECKSEQUENCEVERIFY = 10;
    WITNESS = 11;
    DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM = 12;
    MINIMALIF = 13;
    NULLFAIL = 14;
    WITNESS_PUBKEYTYPE = 15;
    CONST_SCRIPTCODE = 16;
    TAPROOT = 17;
    DISCOURAGE_UPGRADABLE_TAPROOT_VERSION = 18;
    DISCOURAGE_OP_SUCCESS = 19;
    DISCOURAGE_UPGRADABLE_PUBKEYTYPE = 20;
    DEFAULT_CHECK_TEMPLATE_VERIFY_HASH = 21;
    DISCOURAGE_UPGRADABLE_CHECK_TEMPLATE_VERIFY_HASH = 22;
    DISCOURAGE_CHECK_TEMPLATE_VERIFY_HASH = 23;
    OP_CAT = 24;
    DISCOURAGE_OP_CAT = 25;
}

/// Error from [`Flags::from_core_names`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown script verification flag {0:?}; expected a Core name such as P2SH or WITNESS")]
pub struct UnknownFlag(pub String);

impl Flags {
    /// No flags: the rules of 2009.
    pub const NONE: Flags = Flags(0);

    /// Every flag this crate knows.
    pub const ALL: Flags = Flags((1 << 26) - 1);

    /// Core's `SCRIPT_VERIFY_*` bits (0–20), the ones libbitcoinconsensus understands a subset of.
    pub const CORE_MASK: Flags = Flags((1 << 21) - 1);

    /// Consensus rules of Bitcoin Core 24 for blocks after taproot activation
    /// (`GetBlockScriptFlags`: P2SH, DERSIG, CHECKLOCKTIMEVERIFY, CHECKSEQUENCEVERIFY,
    /// WITNESS, NULLDUMMY, TAPROOT).
    pub const CORE24_CONSENSUS: Flags = Flags(
        Flags::P2SH.0
            | Flags::DERSIG.0
            | Flags::NULLDUMMY.0
            | Flags::CHECKLOCKTIMEVERIFY.0
            | Flags::CHECKSEQUENCEVERIFY.0
            | Flags::WITNESS.0
            | Flags::TAPROOT.0,
    );

    /// Bitcoin Core 24's `STANDARD_SCRIPT_VERIFY_FLAGS` (mempool policy).
    pub const CORE24_STANDARD: Flags = Flags(
        Flags::CORE24_CONSENSUS.0
            | Flags::STRICTENC.0
            | Flags::MINIMALDATA.0
            | Flags::DISCOURAGE_UPGRADABLE_NOPS.0
            | Flags::CLEANSTACK.0
            | Flags::MINIMALIF.0
            | Flags::NULLFAIL.0
            | Flags::LOW_S.0
            | Flags::DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM.0
            | Flags::WITNESS_PUBKEYTYPE.0
            | Flags::CONST_SCRIPTCODE.0
            | Flags::DISCOURAGE_UPGRADABLE_TAPROOT_VERSION.0
            | Flags::DISCOURAGE_OP_SUCCESS.0
            | Flags::DISCOURAGE_UPGRADABLE_PUBKEYTYPE.0,
    );

    /// Core 24 standardness plus BIP347 `OP_CAT` in tapscript: what Bitmodel's covenants
    /// are checked against.
    pub const FRACTAL: Flags = Flags(Flags::CORE24_STANDARD.0 | Flags::OP_CAT.0);

    /// The raw bits.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Builds flags from raw bits, dropping bits this crate does not know.
    pub const fn from_bits_truncate(bits: u32) -> Flags {
        Flags(bits & Flags::ALL.0)
    }

    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    pub const fn intersects(self, other: Flags) -> bool {
        self.0 & other.0 != 0
    }

    pub const fn union(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }

    pub const fn difference(self, other: Flags) -> Flags {
        Flags(self.0 & !other.0)
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Parses a comma-separated list of Core flag names (`"P2SH,WITNESS"`); `""` and `"NONE"`
    /// are the empty set.
    pub fn from_core_names(names: &str) -> Result<Flags, UnknownFlag> {
        let mut flags = Flags::NONE;
        for name in names
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty() && *n != "NONE")
        {
            let (_, flag) = Flags::NAMED
                .iter()
                .find(|(n, _)| *n == name)
                .ok_or_else(|| UnknownFlag(name.to_owned()))?;
            flags |= *flag;
        }
        Ok(flags)
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        self.union(rhs)
    }
}

impl std::ops::BitOrAssign for Flags {
    fn bitor_assign(&mut self, rhs: Flags) {
        self.0 |= rhs.0;
    }
}

impl std::ops::BitAnd for Flags {
    type Output = Flags;
    fn bitand(self, rhs: Flags) -> Flags {
        Flags(self.0 & rhs.0)
    }
}

impl std::ops::Sub for Flags {
    type Output = Flags;
    fn sub(self, rhs: Flags) -> Flags {
        self.difference(rhs)
    }
}

impl std::ops::Not for Flags {
    type Output = Flags;
    fn not(self) -> Flags {
        Flags(!self.0 & Flags::ALL.0)
    }
}

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Flags({self})")
    }
}

impl fmt::Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Flags::NAMED
            .iter()
            .filter(|(_, fl)| self.contains(*fl))
            .map(|(n, _)| *n)
            .collect();
        if names.is_empty() {
            f.write_str("NONE")
        } else {
            f.write_str(&names.join(","))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_core_names() {
        let f = Flags::from_core_names("P2SH,WITNESS").expect("valid names");
        assert_eq!(f, Flags::P2SH | Flags::WITNESS);
        assert_eq!(f.bits(), 1 | (1 << 11));
        assert_eq!(Flags::from_core_names("NONE"), Ok(Flags::NONE));
        assert_eq!(Flags::from_core_names(""), Ok(Flags::NONE));
        assert!(Flags::from_core_names("P2SH,BOGUS").is_err());
        assert_eq!(
            Flags::from_core_names(&Flags::FRACTAL.to_string()),
            Ok(Flags::FRACTAL)
        );
        assert!(Flags::FRACTAL.contains(Flags::OP_CAT | Flags::TAPROOT));
        assert_eq!(Flags::NAMED.len(), 26);
    }
}
