//! Script errors, one variant per Bitcoin Core `ScriptError_t` (plus Inquisition's
//! `DISCOURAGE_OP_CAT` and the BIP119 ones), so test vectors compare by name exactly.

use thiserror::Error;

macro_rules! script_errors {
    ($($variant:ident => $name:literal, $msg:literal;)*) => {
        /// Why a script failed, named after Bitcoin Core's `SCRIPT_ERR_*` codes.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
        #[non_exhaustive]
        pub enum ScriptError {
            $(#[error($msg)] $variant,)*
        }

        impl ScriptError {
            /// Every error, in Core's order.
            pub const ALL: &'static [ScriptError] = &[$(ScriptError::$variant,)*];

            /// Core's name for this error as used in `script_tests.json` (`EVAL_FALSE`, …).
            pub fn core_name(self) -> &'static str {
                match self { $(ScriptError::$variant => $name,)* }
            }

            /// Parses Core's name for an error.
            pub fn from_core_name(name: &str) -> Option<ScriptError> {
                match name { $($name => Some(ScriptError::$variant),)* _ => None }
            }
        }
    };
}

script_errors! {
    UnknownError => "UNKNOWN_ERROR", "unknown error (for example a malformed script number)";
    EvalFalse => "EVAL_FALSE", "script evaluated without error but finished with a false/empty top stack element";
    OpReturn => "OP_RETURN", "OP_RETURN was encountered";
    ScriptSize => "SCRIPT_SIZE", "script is too big";
    PushSize => "PUSH_SIZE", "push value size limit exceeded";
    OpCount => "OP_COUNT", "operation limit exceeded";
    StackSize => "STACK_SIZE", "stack size limit exceeded";
    SigCount => "SIG_COUNT", "signature count negative or greater than pubkey count";
    PubkeyCount => "PUBKEY_COUNT", "pubkey count negative or limit exceeded";
    Verify => "VERIFY", "script failed an OP_VERIFY operation";
    EqualVerify => "EQUALVERIFY", "script failed an OP_EQUALVERIFY operation";
    CheckMultisigVerify => "CHECKMULTISIGVERIFY", "script failed an OP_CHECKMULTISIGVERIFY operation";
    CheckSigVerify => "CHECKSIGVERIFY", "script failed an OP_CHECKSIGVERIFY operation";
    NumEqualVerify => "NUMEQUALVERIFY", "script failed an OP_NUMEQUALVERIFY operation";
    BadOpcode => "BAD_OPCODE", "opcode missing or not understood";
    DisabledOpcode => "DISABLED_OPCODE", "attempted to use a disabled opcode";
    InvalidStackOperation => "INVALID_STACK_OPERATION", "operation not valid with the current stack size";
    InvalidAltstackOperation => "INVALID_ALTSTACK_OPERATION", "operation not valid with the current altstack size";
    UnbalancedConditional => "UNBALANCED_CONDITIONAL", "invalid OP_IF construction";
    NegativeLocktime => "NEGATIVE_LOCKTIME", "negative locktime";
    UnsatisfiedLocktime => "UNSATISFIED_LOCKTIME", "locktime requirement not satisfied";
    SigHashtype => "SIG_HASHTYPE", "signature hash type missing or not understood";
    SigDer => "SIG_DER", "non-canonical DER signature";
    MinimalData => "MINIMALDATA", "data push larger than necessary";
    SigPushOnly => "SIG_PUSHONLY", "only push operators allowed in signatures";
    SigHighS => "SIG_HIGH_S", "non-canonical signature: S value is unnecessarily high";
    SigNullDummy => "SIG_NULLDUMMY", "dummy CHECKMULTISIG argument must be zero";
    PubkeyType => "PUBKEYTYPE", "public key is neither compressed or uncompressed";
    CleanStack => "CLEANSTACK", "stack size must be exactly one after execution";
    MinimalIf => "MINIMALIF", "OP_IF/NOTIF argument must be minimal";
    NullFail => "NULLFAIL", "signature must be zero for failed CHECK(MULTI)SIG operation";
    DiscourageUpgradableNops => "DISCOURAGE_UPGRADABLE_NOPS", "NOPx reserved for soft-fork upgrades";
    DiscourageUpgradableWitnessProgram => "DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM", "witness version reserved for soft-fork upgrades";
    DiscourageUpgradableTaprootVersion => "DISCOURAGE_UPGRADABLE_TAPROOT_VERSION", "taproot version reserved for soft-fork upgrades";
    DiscourageOpSuccess => "DISCOURAGE_OP_SUCCESS", "OP_SUCCESSx reserved for soft-fork upgrades";
    DiscourageUpgradablePubkeyType => "DISCOURAGE_UPGRADABLE_PUBKEYTYPE", "public key version reserved for soft-fork upgrades";
    DiscourageOpCat => "DISCOURAGE_OP_CAT", "OP_CAT is discouraged by policy";
    DiscourageCheckTemplateVerifyHash => "DISCOURAGE_CHECK_TEMPLATE_VERIFY_HASH", "OP_CHECKTEMPLATEVERIFY is discouraged by policy";
    DiscourageUpgradableCheckTemplateVerifyHash => "DISCOURAGE_UPGRADABLE_CHECK_TEMPLATE_VERIFY_HASH", "OP_CHECKTEMPLATEVERIFY argument of unknown length is reserved for upgrades";
    TemplateMismatch => "TEMPLATE_MISMATCH", "OP_CHECKTEMPLATEVERIFY hash does not match the transaction";
    WitnessProgramWrongLength => "WITNESS_PROGRAM_WRONG_LENGTH", "witness program has incorrect length";
    WitnessProgramWitnessEmpty => "WITNESS_PROGRAM_WITNESS_EMPTY", "witness program was passed an empty witness";
    WitnessProgramMismatch => "WITNESS_PROGRAM_MISMATCH", "witness program hash mismatch";
    WitnessMalleated => "WITNESS_MALLEATED", "witness requires empty scriptSig";
    WitnessMalleatedP2sh => "WITNESS_MALLEATED_P2SH", "witness requires only-redeemscript scriptSig";
    WitnessUnexpected => "WITNESS_UNEXPECTED", "witness provided for non-witness script";
    WitnessPubkeyType => "WITNESS_PUBKEYTYPE", "using non-compressed keys in segwit";
    SchnorrSigSize => "SCHNORR_SIG_SIZE", "invalid Schnorr signature size";
    SchnorrSigHashtype => "SCHNORR_SIG_HASHTYPE", "invalid Schnorr signature hash type";
    SchnorrSig => "SCHNORR_SIG", "invalid Schnorr signature";
    TaprootWrongControlSize => "TAPROOT_WRONG_CONTROL_SIZE", "invalid taproot control block size";
    TapscriptValidationWeight => "TAPSCRIPT_VALIDATION_WEIGHT", "too much signature validation relative to witness weight";
    TapscriptCheckMultisig => "TAPSCRIPT_CHECKMULTISIG", "OP_CHECKMULTISIG(VERIFY) is not available in tapscript";
    TapscriptMinimalIf => "TAPSCRIPT_MINIMALIF", "OP_IF/NOTIF argument must be minimal in tapscript";
    OpCodeSeparator => "OP_CODESEPARATOR", "using OP_CODESEPARATOR in non-witness script";
    SigFindAndDelete => "SIG_FINDANDDELETE", "signature is found in scriptCode";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for e in ScriptError::ALL {
            assert_eq!(ScriptError::from_core_name(e.core_name()), Some(*e));
        }
        assert_eq!(ScriptError::from_core_name("OK"), None);
    }
}
