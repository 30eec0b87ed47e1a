use bitmodel_protocol::Chain;

/// Why a vault or a vault spend cannot be built. Messages name the input and what is allowed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CovenantError {
    #[error("vaults cannot be created on {0}: OP_CAT is not active there, so a CAT leaf would be anyone-can-spend; use devnet, fractal, fractal-testnet or inquisition-signet (or direct-mode payments)")]
    NoOpCat(Chain),
    #[error("{0} parents; a distribute leaf pays at most {max} parents", max = bitmodel_protocol::MAX_PARENTS)]
    TooManyParents(usize),
    #[error("{0} members (parents and payees); a record's vaults serve at most {max}, one parent vault per parent", max = bitmodel_protocol::MAX_MEMBERS)]
    TooManyMembers(usize),
    #[error("parent {index} has weight {weight}; each weight must be 1..=10000 basis points")]
    BadWeight { index: usize, weight: u16 },
    #[error("parents' weights sum to {0}; they must sum to at most 10000 basis points (a splitter: its subtree weight)")]
    WeightSum(u32),
    #[error("denominator {0}: weights are parts of 1..=10000")]
    BadDenominator(u16),
    #[error("parent {0}'s script is not a vault (P2TR) or a standard payout script (P2PKH, P2SH, P2WPKH, P2WSH, P2TR)")]
    ParentNotVault(usize),
    #[error("owner script is not a standard payout script (P2PKH, P2SH, P2WPKH, P2WSH or P2TR)")]
    NonStandardOwner,
    #[error("fee cap {0} sats is too large; it must be at most 2^31 - 1")]
    FeeCapTooLarge(u64),
    #[error("fee {fee} sats exceeds the vault's fee cap of {cap} sats")]
    FeeAboveCap { fee: u64, cap: u64 },
    #[error("vault UTXO of {0} sats is at or above 2^31 sats; covenant leaves cannot spend it")]
    AmountTooLarge(u64),
    #[error(
        "merging {sum} sats minus fee {fee} leaves {left}; a merged output must be 0..2^31 sats"
    )]
    MergeOutOfRange { sum: u64, fee: u64, left: u64 },
    #[error("vault holds {amount} sats; with fee {fee} it can distribute from {needed} sats, when every share reaches the dust limit")]
    BelowThreshold { amount: u64, fee: u64, needed: u64 },
    #[error("a merged output of {amount} sats would be below the dust limit of {dust} sats")]
    MergeBelowDust { amount: u64, dust: u64 },
    #[error(
        "a vault UTXO of {0} sats is too small to merge; a merge takes UTXOs of at least 128 sats"
    )]
    MergeInputTooSmall(u64),
    #[error("merge takes 2..=8 UTXOs of one vault, got {0}")]
    MergeCount(usize),
    #[error("no nLockTime within {0} tries gave a usable challenge byte")]
    GrindExhausted(u32),
    #[error("refusing to emit a leaf containing OP_SUCCESS{0}: only OP_CAT (126) may appear")]
    OpSuccess(u8),
    #[error("the fee cap leaves no distributable amount below 2^31 sats for these weights")]
    NeverDistributable,
}
