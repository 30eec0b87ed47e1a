//! Signature digests under `SIGHASH_FORKID` (Bitcoin SV and MVC: BIP143's digest for every
//! input, segwit or not, fork id 0) and P2PKH signing with them. Written here because
//! rust-bitcoin's BIP143 encoder takes only Bitcoin's sighash types and BDK signs no FORKID;
//! tested against an independent implementation (`mvclib`) and against a BSV node.

use bitcoin::consensus::Encodable;
use bitcoin::hashes::{sha256d, Hash};
use bitcoin::script::{Builder, PushBytesBuf};
use bitcoin::secp256k1::{Message, PublicKey, Secp256k1, SecretKey, Signing};
use bitcoin::{Amount, Script, Transaction};

/// `SIGHASH_FORKID`: required on both chains; a signature without it is refused.
pub const FORKID: u32 = 0x40;
pub const ANYONECANPAY: u32 = 0x80;

/// A signature hash type: the base (all, none, single), with FORKID always set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SighashType(u32);

impl SighashType {
    pub const ALL: SighashType = SighashType(1 | FORKID);
    pub const NONE: SighashType = SighashType(2 | FORKID);
    pub const SINGLE: SighashType = SighashType(3 | FORKID);

    /// The same with ANYONECANPAY (only this input is committed to among the inputs).
    pub fn anyone_can_pay(self) -> SighashType {
        SighashType(self.0 | ANYONECANPAY)
    }

    /// From the byte appended to a signature; `None` without FORKID or with an unknown base.
    pub fn from_byte(b: u8) -> Option<SighashType> {
        let v = u32::from(b);
        (v & FORKID != 0 && (1..=3).contains(&(v & 0x1f)) && v & !0xdf == 0)
            .then_some(SighashType(v))
    }

    pub fn to_u32(self) -> u32 {
        self.0
    }

    fn base(self) -> u32 {
        self.0 & 0x1f
    }

    fn anyone(self) -> bool {
        self.0 & ANYONECANPAY != 0
    }
}

/// Why a digest cannot be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SighashError {
    #[error("input {index} does not exist: the transaction has {inputs} input(s)")]
    NoInput { index: usize, inputs: usize },
}

fn hash_of(f: impl FnOnce(&mut Vec<u8>)) -> [u8; 32] {
    let mut bytes = Vec::new();
    f(&mut bytes);
    sha256d::Hash::hash(&bytes).to_byte_array()
}

fn write(out: &mut Vec<u8>, v: &impl Encodable) {
    v.consensus_encode(out)
        .expect("writing to a Vec cannot fail");
}

/// The preimage a signature on input `index` commits to: BIP143's fields — version,
/// hashPrevouts, hashSequence, the outpoint, `script_code` (length-prefixed), the spent
/// `value`, the sequence, hashOutputs, lock time, and the 4-byte sighash type. (A covenant
/// that pushes the preimage itself, OP_PUSH_TX, parses exactly these bytes.)
pub fn preimage(
    tx: &Transaction,
    index: usize,
    script_code: &Script,
    value: Amount,
    ty: SighashType,
) -> Result<Vec<u8>, SighashError> {
    let input = tx.input.get(index).ok_or(SighashError::NoInput {
        index,
        inputs: tx.input.len(),
    })?;
    let zero = [0u8; 32];
    let prevouts = if ty.anyone() {
        zero
    } else {
        hash_of(|e| tx.input.iter().for_each(|i| write(e, &i.previous_output)))
    };
    let sequences = if ty.anyone() || ty.base() != 1 {
        zero
    } else {
        hash_of(|e| tx.input.iter().for_each(|i| write(e, &i.sequence)))
    };
    let outputs = match ty.base() {
        1 => hash_of(|e| tx.output.iter().for_each(|o| write(e, o))),
        3 if index < tx.output.len() => hash_of(|e| write(e, &tx.output[index])),
        _ => zero,
    };
    let mut out = Vec::with_capacity(160 + script_code.len());
    tx.version.consensus_encode(&mut out).expect("vec");
    out.extend_from_slice(&prevouts);
    out.extend_from_slice(&sequences);
    input
        .previous_output
        .consensus_encode(&mut out)
        .expect("vec");
    script_code
        .to_owned()
        .consensus_encode(&mut out)
        .expect("vec");
    out.extend_from_slice(&value.to_sat().to_le_bytes());
    input.sequence.consensus_encode(&mut out).expect("vec");
    out.extend_from_slice(&outputs);
    tx.lock_time.consensus_encode(&mut out).expect("vec");
    out.extend_from_slice(&ty.0.to_le_bytes());
    Ok(out)
}

/// The digest a signature signs: double SHA-256 of the [`preimage`].
pub fn digest(
    tx: &Transaction,
    index: usize,
    script_code: &Script,
    value: Amount,
    ty: SighashType,
) -> Result<[u8; 32], SighashError> {
    let p = preimage(tx, index, script_code, value, ty)?;
    Ok(sha256d::Hash::hash(&p).to_byte_array())
}

/// Signs input `index`, which spends a P2PKH output of `value` sats locked to `key`'s
/// compressed public key, with SIGHASH_ALL|FORKID: its scriptSig becomes
/// `<DER signature ‖ 0x41> <public key>`.
pub fn sign_p2pkh<C: Signing>(
    secp: &Secp256k1<C>,
    tx: &mut Transaction,
    index: usize,
    key: &SecretKey,
    value: Amount,
) -> Result<(), SighashError> {
    let pk = bitcoin::PublicKey::new(PublicKey::from_secret_key(secp, key));
    let script_code = bitcoin::ScriptBuf::new_p2pkh(&pk.pubkey_hash());
    let ty = SighashType::ALL;
    let d = digest(tx, index, &script_code, value, ty)?;
    let sig = secp.sign_ecdsa(&Message::from_digest(d), key);
    let mut bytes = sig.serialize_der().to_vec();
    bytes.push(ty.0 as u8);
    tx.input[index].script_sig = Builder::new()
        .push_slice(PushBytesBuf::try_from(bytes).expect("a signature is under 74 bytes"))
        .push_key(&pk)
        .into_script();
    Ok(())
}
