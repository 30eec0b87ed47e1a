//! Signature hashes for the three signature versions.
//!
//! Legacy and BIP143 (segwit v0) preimages are serialized here rather than through
//! rust-bitcoin's `SighashCache`, because consensus commits to details that API normalizes
//! away: the raw 32-bit hash type (any byte value, not just the six named ones), Core's
//! `OP_CODESEPARATOR` stripping of the legacy script code (including its quirk on a truncated
//! trailing push) and the `SIGHASH_SINGLE` "one" bug. BIP341 hashes (which reject unknown
//! hash types by consensus) come from rust-bitcoin's `SighashCache`, cached per transaction.

use bitcoin::consensus::encode::VarInt;
use bitcoin::consensus::Encodable;
use bitcoin::hashes::{sha256, sha256d, Hash, HashEngine};
use bitcoin::sighash::{Annex, Prevouts, SighashCache};
use bitcoin::taproot::TapLeafHash;
use bitcoin::{Amount, TapSighashType, Transaction, TxOut};

use crate::opcodes::{Ops, OP_CODESEPARATOR};

const SIGHASH_NONE: u32 = 2;
const SIGHASH_SINGLE: u32 = 3;
const SIGHASH_ANYONECANPAY: u32 = 0x80;

/// The legacy "hash" returned for `SIGHASH_SINGLE` without a matching output: the number one.
const ONE: [u8; 32] = {
    let mut one = [0u8; 32];
    one[0] = 1;
    one
};

/// Per-transaction data shared by all inputs' signature checks (Core's
/// `PrecomputedTransactionData`), computed lazily on first use.
pub struct TxData<'a> {
    pub(crate) tx: &'a Transaction,
    pub(crate) spent: &'a [TxOut],
    taproot: SighashCache<&'a Transaction>,
    bip143: Option<Bip143Hashes>,
}

struct Bip143Hashes {
    prevouts: [u8; 32],
    sequences: [u8; 32],
    outputs: [u8; 32],
}

fn write<T: Encodable + ?Sized>(engine: &mut sha256::HashEngine, value: &T) {
    value
        .consensus_encode(engine)
        .expect("hash engines never fail to write");
}

impl<'a> TxData<'a> {
    pub fn new(tx: &'a Transaction, spent: &'a [TxOut]) -> Self {
        TxData {
            tx,
            spent,
            taproot: SighashCache::new(tx),
            bip143: None,
        }
    }

    fn bip143_hashes(&mut self) -> &Bip143Hashes {
        let tx = self.tx;
        self.bip143.get_or_insert_with(|| {
            let mut prevouts = sha256d::Hash::engine();
            let mut sequences = sha256d::Hash::engine();
            for input in &tx.input {
                write(&mut prevouts, &input.previous_output);
                write(&mut sequences, &input.sequence);
            }
            let mut outputs = sha256d::Hash::engine();
            for output in &tx.output {
                write(&mut outputs, output);
            }
            Bip143Hashes {
                prevouts: sha256d::Hash::from_engine(prevouts).to_byte_array(),
                sequences: sha256d::Hash::from_engine(sequences).to_byte_array(),
                outputs: sha256d::Hash::from_engine(outputs).to_byte_array(),
            }
        })
    }

    /// Core's legacy `SignatureHash` for input `index` (`script_code` already had the
    /// signature removed by `FindAndDelete`).
    pub fn legacy(&self, index: usize, script_code: &[u8], hash_type: u32) -> [u8; 32] {
        let tx = self.tx;
        let base = hash_type & 0x1f;
        let single = base == SIGHASH_SINGLE;
        let none = base == SIGHASH_NONE;
        let anyone_can_pay = hash_type & SIGHASH_ANYONECANPAY != 0;
        if index >= tx.input.len() || (single && index >= tx.output.len()) {
            return ONE;
        }
        let mut e = sha256d::Hash::engine();
        write(&mut e, &tx.version);
        let inputs: Vec<usize> = if anyone_can_pay {
            vec![index]
        } else {
            (0..tx.input.len()).collect()
        };
        write(&mut e, &VarInt(inputs.len() as u64));
        for i in inputs {
            let input = &tx.input[i];
            write(&mut e, &input.previous_output);
            if i == index {
                write_script_code_without_separators(&mut e, script_code);
            } else {
                write(&mut e, &VarInt(0));
            }
            if i != index && (single || none) {
                write(&mut e, &0u32);
            } else {
                write(&mut e, &input.sequence);
            }
        }
        let n_outputs = if none {
            0
        } else if single {
            index + 1
        } else {
            tx.output.len()
        };
        write(&mut e, &VarInt(n_outputs as u64));
        for (i, output) in tx.output.iter().take(n_outputs).enumerate() {
            if single && i != index {
                // Core's null CTxOut: value -1 and an empty script.
                write(&mut e, &(-1i64));
                write(&mut e, &VarInt(0));
            } else {
                write(&mut e, output);
            }
        }
        write(&mut e, &tx.lock_time);
        write(&mut e, &hash_type);
        sha256d::Hash::from_engine(e).to_byte_array()
    }

    /// BIP143 signature hash (segwit v0); `script_code` is serialized as is.
    pub fn segwit_v0(
        &mut self,
        index: usize,
        script_code: &[u8],
        amount: Amount,
        hash_type: u32,
    ) -> [u8; 32] {
        let base = hash_type & 0x1f;
        let anyone_can_pay = hash_type & SIGHASH_ANYONECANPAY != 0;
        let single = base == SIGHASH_SINGLE;
        let none = base == SIGHASH_NONE;
        let zero = [0u8; 32];
        let (prevouts, sequences, outputs) = {
            let h = self.bip143_hashes();
            (h.prevouts, h.sequences, h.outputs)
        };
        let tx = self.tx;
        let input = &tx.input[index];
        let mut e = sha256d::Hash::engine();
        write(&mut e, &tx.version);
        e.input(if anyone_can_pay { &zero } else { &prevouts });
        e.input(if anyone_can_pay || single || none {
            &zero
        } else {
            &sequences
        });
        write(&mut e, &input.previous_output);
        write(&mut e, &VarInt(script_code.len() as u64));
        e.input(script_code);
        write(&mut e, &amount);
        write(&mut e, &input.sequence);
        if !single && !none {
            e.input(&outputs);
        } else if single && index < tx.output.len() {
            let mut o = sha256d::Hash::engine();
            write(&mut o, &tx.output[index]);
            e.input(sha256d::Hash::from_engine(o).as_byte_array());
        } else {
            e.input(&zero);
        }
        write(&mut e, &tx.lock_time);
        write(&mut e, &hash_type);
        sha256d::Hash::from_engine(e).to_byte_array()
    }

    /// BIP341/342 signature hash; `None` when the hash type is undefined or `SIGHASH_SINGLE`
    /// has no matching output (Core's `SignatureHashSchnorr` returning false).
    pub fn taproot(
        &mut self,
        index: usize,
        hash_type: u8,
        annex: Option<&[u8]>,
        leaf: Option<(TapLeafHash, u32)>,
    ) -> Option<[u8; 32]> {
        let ty = TapSighashType::from_consensus_u8(hash_type).ok()?;
        let annex = match annex {
            Some(bytes) => Some(Annex::new(bytes).ok()?),
            None => None,
        };
        let prevouts = Prevouts::All(self.spent);
        self.taproot
            .taproot_signature_hash(index, &prevouts, annex, leaf, ty)
            .ok()
            .map(|h| h.to_byte_array())
    }
}

/// Writes a legacy script code the way Core's `CTransactionSignatureSerializer` does: the
/// length counts every byte but the `OP_CODESEPARATOR`s, and the bytes are the script without
/// them, cut short where a truncated push stops parsing.
fn write_script_code_without_separators(e: &mut sha256::HashEngine, script: &[u8]) {
    let mut separators = Vec::new();
    let mut ops = Ops::new(script);
    let mut parsed_end = 0;
    while let Some(Ok(op)) = ops.next() {
        if op.opcode == OP_CODESEPARATOR {
            separators.push(ops.pos() - 1);
        }
        parsed_end = ops.pos();
    }
    // Core's GetOp leaves its cursor past the opcode and any length bytes of a push it could
    // not complete; that is where its final copy stops.
    let stop = if parsed_end == script.len() {
        parsed_end
    } else {
        truncated_push_cursor(script, parsed_end)
    };
    write(e, &VarInt((script.len() - separators.len()) as u64));
    let mut start = 0;
    for sep in separators {
        e.input(&script[start..sep]);
        start = sep + 1;
    }
    if start < script.len() {
        e.input(&script[start..stop.max(start)]);
    }
}

/// Where Core's `GetScriptOp` leaves the cursor when the push starting at `at` is truncated.
fn truncated_push_cursor(script: &[u8], at: usize) -> usize {
    let opcode = script[at];
    let width = match opcode {
        0x4c => 1,
        0x4d => 2,
        0x4e => 4,
        _ => 0,
    };
    let after_opcode = at + 1;
    if script.len() - after_opcode < width {
        after_opcode
    } else {
        after_opcode + width
    }
}
