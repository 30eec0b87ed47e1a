//! Signature and public key checks: the encoding rules (BIP66 strict DER, low S, defined
//! hash types, key formats) and the actual ECDSA / BIP340 verification against a sighash.
//!
//! The encoding checks are pure functions of flags and bytes; [`Checker`] binds one input of
//! one transaction (Core's `TransactionSignatureChecker`) and owns the lock-time checks too.

use std::sync::OnceLock;

use bitcoin::secp256k1::{
    ecdsa, schnorr, Message, PublicKey, Secp256k1, VerifyOnly, XOnlyPublicKey,
};
use bitcoin::taproot::TapLeafHash;
use bitcoin::Amount;

use crate::error::ScriptError;
use crate::flags::Flags;
use crate::sighash::TxData;

/// Which rules a script runs under (Core's `SigVersion`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigVersion {
    Base,
    WitnessV0,
    Taproot,
    Tapscript,
}

/// State a taproot spend threads through execution (Core's `ScriptExecutionData`).
#[derive(Debug, Clone, Default)]
pub struct ExecData<'w> {
    pub annex: Option<&'w [u8]>,
    pub tapleaf_hash: Option<TapLeafHash>,
    /// Opcode position of the last executed `OP_CODESEPARATOR`, `u32::MAX` if none.
    pub codesep_pos: u32,
    pub validation_weight_left: i64,
}

/// The process-wide verification context (creating one per check would dominate small scripts).
pub fn secp() -> &'static Secp256k1<VerifyOnly> {
    static SECP: OnceLock<Secp256k1<VerifyOnly>> = OnceLock::new();
    SECP.get_or_init(Secp256k1::verification_only)
}

/// BIP66 strict DER, including the trailing hash type byte (Core's `IsValidSignatureEncoding`).
pub fn is_strict_der(sig: &[u8]) -> bool {
    let len = sig.len();
    if !(9..=73).contains(&len) || sig[0] != 0x30 || usize::from(sig[1]) != len - 3 {
        return false;
    }
    let len_r = usize::from(sig[3]);
    if 5 + len_r >= len {
        return false;
    }
    let len_s = usize::from(sig[5 + len_r]);
    if len_r + len_s + 7 != len {
        return false;
    }
    if sig[2] != 0x02 || len_r == 0 || sig[4] & 0x80 != 0 {
        return false;
    }
    if len_r > 1 && sig[4] == 0 && sig[5] & 0x80 == 0 {
        return false;
    }
    if sig[len_r + 4] != 0x02 || len_s == 0 || sig[len_r + 6] & 0x80 != 0 {
        return false;
    }
    !(len_s > 1 && sig[len_r + 6] == 0 && sig[len_r + 7] & 0x80 == 0)
}

fn is_low_s(sig_with_hashtype: &[u8]) -> bool {
    let der = &sig_with_hashtype[..sig_with_hashtype.len() - 1];
    let Ok(sig) = ecdsa::Signature::from_der_lax(der) else {
        return false;
    };
    let mut normalized = sig;
    normalized.normalize_s();
    normalized.serialize_compact() == sig.serialize_compact()
}

/// Core's `CheckSignatureEncoding` for ECDSA signatures (the empty signature always passes).
pub fn check_signature_encoding(sig: &[u8], flags: Flags) -> Result<(), ScriptError> {
    if sig.is_empty() {
        return Ok(());
    }
    if flags.intersects(Flags::DERSIG | Flags::LOW_S | Flags::STRICTENC) && !is_strict_der(sig) {
        return Err(ScriptError::SigDer);
    }
    if flags.contains(Flags::LOW_S) && !is_low_s(sig) {
        return Err(ScriptError::SigHighS);
    }
    if flags.contains(Flags::STRICTENC) {
        let base = sig[sig.len() - 1] & !0x80;
        if !(1..=3).contains(&base) {
            return Err(ScriptError::SigHashtype);
        }
    }
    Ok(())
}

fn is_compressed_or_uncompressed(key: &[u8]) -> bool {
    match key.first() {
        Some(0x04) => key.len() == 65,
        Some(0x02 | 0x03) => key.len() == 33,
        _ => false,
    }
}

/// Core's `CheckPubKeyEncoding` for ECDSA keys.
pub fn check_pubkey_encoding(
    key: &[u8],
    flags: Flags,
    sigversion: SigVersion,
) -> Result<(), ScriptError> {
    if flags.contains(Flags::STRICTENC) && !is_compressed_or_uncompressed(key) {
        return Err(ScriptError::PubkeyType);
    }
    if flags.contains(Flags::WITNESS_PUBKEYTYPE)
        && sigversion == SigVersion::WitnessV0
        && !(key.len() == 33 && matches!(key[0], 0x02 | 0x03))
    {
        return Err(ScriptError::WitnessPubkeyType);
    }
    Ok(())
}

/// Length a serialized key must have given its first byte (Core's `CPubKey::GetLen`).
fn expected_key_len(first: u8) -> usize {
    match first {
        2 | 3 => 33,
        4 | 6 | 7 => 65,
        _ => 0,
    }
}

/// BIP340 verification of a 64-byte signature by a 32-byte x-only key over a 32-byte digest;
/// `false` for malformed keys or signatures.
pub fn verify_bip340(sig: &[u8], key: &[u8], digest: &[u8; 32]) -> bool {
    let Ok(key) = XOnlyPublicKey::from_slice(key) else {
        return false;
    };
    let Ok(sig) = schnorr::Signature::from_slice(sig) else {
        return false;
    };
    secp()
        .verify_schnorr(&sig, &Message::from_digest(*digest), &key)
        .is_ok()
}

/// Signature and lock-time checks for one input of a transaction.
pub struct Checker<'t, 'a> {
    pub(crate) data: &'t mut TxData<'a>,
    pub(crate) index: usize,
    pub(crate) amount: Amount,
}

impl Checker<'_, '_> {
    /// Core's `CheckECDSASignature`: `false` on any failure, never an error.
    pub fn check_ecdsa(
        &mut self,
        sig: &[u8],
        key: &[u8],
        script_code: &[u8],
        sigversion: SigVersion,
    ) -> bool {
        let Some((&hash_type, der)) = sig.split_last() else {
            return false;
        };
        if key.is_empty() || expected_key_len(key[0]) != key.len() {
            return false;
        }
        let Ok(key) = PublicKey::from_slice(key) else {
            return false;
        };
        let Ok(mut sig) = ecdsa::Signature::from_der_lax(der) else {
            return false;
        };
        sig.normalize_s();
        let hash_type = u32::from(hash_type);
        let sighash = match sigversion {
            SigVersion::Base => self.data.legacy(self.index, script_code, hash_type),
            _ => self
                .data
                .segwit_v0(self.index, script_code, self.amount, hash_type),
        };
        secp()
            .verify_ecdsa(&Message::from_digest(sighash), &sig, &key)
            .is_ok()
    }

    /// Core's `CheckSchnorrSignature` for the key path (`Taproot`) and tapscript.
    pub fn check_schnorr(
        &mut self,
        sig: &[u8],
        key: &[u8],
        sigversion: SigVersion,
        exec: &ExecData<'_>,
    ) -> Result<(), ScriptError> {
        let (sig, hash_type) = match sig.len() {
            64 => (sig, 0u8),
            65 if sig[64] == 0 => return Err(ScriptError::SchnorrSigHashtype),
            65 => (&sig[..64], sig[64]),
            _ => return Err(ScriptError::SchnorrSigSize),
        };
        let leaf = match sigversion {
            SigVersion::Tapscript => Some((
                exec.tapleaf_hash.expect("tapscript always has a leaf hash"),
                exec.codesep_pos,
            )),
            _ => None,
        };
        let sighash = self
            .data
            .taproot(self.index, hash_type, exec.annex, leaf)
            .ok_or(ScriptError::SchnorrSigHashtype)?;
        if verify_bip340(sig, key, &sighash) {
            Ok(())
        } else {
            Err(ScriptError::SchnorrSig)
        }
    }

    /// Core's `CheckLockTime` (BIP65).
    pub fn check_lock_time(&self, lock_time: i64) -> bool {
        const THRESHOLD: i64 = 500_000_000;
        let tx_lock = i64::from(self.data.tx.lock_time.to_consensus_u32());
        if (tx_lock < THRESHOLD) != (lock_time < THRESHOLD) {
            return false;
        }
        if lock_time > tx_lock {
            return false;
        }
        self.data.tx.input[self.index].sequence.0 != u32::MAX
    }

    /// Core's `CheckSequence` (BIP112).
    pub fn check_sequence(&self, sequence: i64) -> bool {
        const DISABLE: i64 = 1 << 31;
        const TYPE: i64 = 1 << 22;
        const MASK: i64 = TYPE | 0xffff;
        let tx = self.data.tx;
        let tx_sequence = i64::from(tx.input[self.index].sequence.0);
        if (tx.version.0 as u32) < 2 || tx_sequence & DISABLE != 0 {
            return false;
        }
        let (have, want) = (tx_sequence & MASK, sequence & MASK);
        if (have < TYPE) != (want < TYPE) {
            return false;
        }
        want <= have
    }
}
