//! The splitter covenant on MVC (and its BSV test peer), with OP_PUSH_TX: anyone can spend
//! a splitter output, and only to a transaction whose outputs are, in order, each parent's
//! `floor((A − F)·w/10000)` to the parent's script, then the rest to the owner (omitted when
//! it is 0), with fee `F` at most the cap. Any number of parents: OP_MUL and OP_DIV make each
//! share a few opcodes.
//!
//! How script sees the transaction. The spender pushes the BIP143/FORKID sighash preimage
//! `P` of its own input. The script hashes it, `z = SHA256d(P)`, and builds the ECDSA
//! signature of `z` by the private key 1 with nonce 1: `r = Gx`, `s = z + Gx mod n` (low-S:
//! `n − s` above `n/2`), DER-encodes it with SIGHASH_ALL|FORKID, and checks it with OP_CHECKSIG
//! against the public key `G`. The node computes the real preimage for that signature, so
//! the check passes only if `P` is the real one; then the script reads the spent amount and
//! hashOutputs from `P`'s fixed-size tail and compares hashOutputs with the SHA256d of the
//! outputs it builds itself. DER wants `s` in exactly 32 bytes (its first byte not 0): the
//! spender grinds nLockTime until it is (1 in 256 tries fail).
//!
//! Parents' scripts are not constants (a parent's splitter holds its own parents' hashes, so
//! constants would grow with the lineage): the script holds SHA-256 of each, and the spender
//! pushes the scripts themselves, last parent first. Unlocking script: `S_k … S_1 F P`.

use bitcoin::hashes::{sha256, sha256d, Hash};
use bitcoin::opcodes::all::*;
use bitcoin::opcodes::OP_0;
use bitcoin::script::{Builder, PushBytesBuf};
use bitcoin::secp256k1::{Scalar, SecretKey};
use bitcoin::{
    absolute::LockTime, Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut,
};

use crate::sighash::{preimage, SighashType};

/// secp256k1's generator, x coordinate (big-endian), and order.
const GX: [u8; 32] = [
    0x79, 0xbe, 0x66, 0x7e, 0xf9, 0xdc, 0xbb, 0xac, 0x55, 0xa0, 0x62, 0x95, 0xce, 0x87, 0x0b, 0x07,
    0x02, 0x9b, 0xfc, 0xdb, 0x2d, 0xce, 0x28, 0xd9, 0x59, 0xf2, 0x81, 0x5b, 0x16, 0xf8, 0x17, 0x98,
];
const N: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
];
const HALF_N: [u8; 32] = [
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
];
/// Basis points of a whole payment.
pub const BPS: u64 = 10_000;
/// The most a splitter output may hold: 2^53, far above any supply, so every product
/// `amount · weight` is an ordinary number for every reader.
pub const MAX_AMOUNT: u64 = 1 << 53;

/// Why a splitter or its spend cannot be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SplitterError {
    #[error("parent {index} has weight {weight}; each weight must be 1..=10000 basis points")]
    BadWeight { index: usize, weight: u16 },
    #[error("parents' weights sum to {0}; they must sum to at most 10000 basis points")]
    WeightSum(u32),
    #[error("the {what} script {script} is not P2PKH; on MVC a payout must be P2PKH (segwit and P2SH outputs are anyone-can-spend or unspendable there)")]
    NotP2pkh { what: &'static str, script: String },
    #[error("the record has {parents} parents but {scripts} parent splitters were given")]
    ParentCount { parents: usize, scripts: usize },
    #[error("fee {fee} sats exceeds the splitter's fee cap of {cap} sats")]
    FeeAboveCap { fee: u64, cap: u64 },
    #[error("{amount} sats minus fee {fee}: parent {index}'s share is 0 sats, below MVC's dust limit of 1 sat; the splitter waits for more")]
    BelowDust { amount: u64, fee: u64, index: usize },
    #[error("a splitter output of {0} sats is above 2^53")]
    AmountTooLarge(u64),
    #[error("no nLockTime within {0} tries gave a 32-byte s")]
    GrindExhausted(u32),
}

/// What a splitter enforces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Splitter {
    /// Each parent's locking script (another splitter's, or a payee's P2PKH) and weight.
    pub parents: Vec<(ScriptBuf, u16)>,
    pub owner: ScriptBuf,
    pub fee_cap: u64,
}

impl Splitter {
    /// An asset's splitter on MVC: its parents' splitters (`parent_scripts`, in the
    /// record's order) and its payees' scripts, with their weights, then its owner; the fee
    /// cap is the record's. Owner and payees must be P2PKH.
    pub fn of_record(
        record: &bitmodel_protocol::Record,
        parent_scripts: &[ScriptBuf],
    ) -> Result<Splitter, SplitterError> {
        if record.parents.len() != parent_scripts.len() {
            return Err(SplitterError::ParentCount {
                parents: record.parents.len(),
                scripts: parent_scripts.len(),
            });
        }
        let p2pkh = |what, s: &ScriptBuf| {
            if s.is_p2pkh() {
                Ok(())
            } else {
                Err(SplitterError::NotP2pkh {
                    what,
                    script: s.to_hex_string(),
                })
            }
        };
        p2pkh("owner", &record.owner)?;
        let mut parents: Vec<(ScriptBuf, u16)> = record
            .parents
            .iter()
            .zip(parent_scripts)
            .map(|(p, s)| (s.clone(), p.weight))
            .collect();
        for p in &record.payees {
            p2pkh("payee", &p.script)?;
            parents.push((p.script.clone(), p.weight));
        }
        let s = Splitter {
            parents,
            owner: record.owner.clone(),
            fee_cap: record.fee_cap,
        };
        s.check()?;
        Ok(s)
    }
}

/// A script number's bytes (little-endian, sign bit on top) for a non-negative big-endian
/// integer.
fn num(be: &[u8]) -> Vec<u8> {
    let mut le: Vec<u8> = be.iter().rev().copied().collect();
    while le.last() == Some(&0) {
        le.pop();
    }
    if le.last().is_some_and(|b| b & 0x80 != 0) {
        le.push(0);
    }
    le
}

fn push(b: Builder, bytes: &[u8]) -> Builder {
    b.push_slice(PushBytesBuf::try_from(bytes.to_vec()).expect("constants are small"))
}

/// Reverses the 32 bytes on top of the stack (BSV has no OP_REVERSE): split into single
/// bytes, then join them the other way round.
fn reverse32(mut b: Builder) -> Builder {
    for _ in 0..31 {
        b = b.push_opcode(OP_PUSHNUM_1).push_opcode(OP_SUBSTR);
    }
    for _ in 0..31 {
        b = b.push_opcode(OP_SWAP).push_opcode(OP_CAT);
    }
    b
}

/// A transaction output's serialization prefix for a script: its length as a varint.
fn varint(len: usize) -> Vec<u8> {
    let mut v = Vec::new();
    bitcoin::consensus::Encodable::consensus_encode(&bitcoin::VarInt(len as u64), &mut v)
        .expect("vec");
    v
}

impl Splitter {
    /// Checks the weights. No parents is a root: the owner is paid all of `A − F`.
    pub fn check(&self) -> Result<(), SplitterError> {
        for (index, (_, w)) in self.parents.iter().enumerate() {
            if *w == 0 || u64::from(*w) > BPS {
                return Err(SplitterError::BadWeight { index, weight: *w });
            }
        }
        let sum: u32 = self.parents.iter().map(|(_, w)| u32::from(*w)).sum();
        if u64::from(sum) > BPS {
            return Err(SplitterError::WeightSum(sum));
        }
        Ok(())
    }

    /// The locking script.
    pub fn script(&self) -> ScriptBuf {
        let mut b = Builder::new();
        // [S_k..S_1, F, P]: check P is this input's real preimage.
        b = b.push_opcode(OP_DUP).push_opcode(OP_HASH256);
        b = reverse32(b);
        b = push(b, &[0]).push_opcode(OP_CAT).push_opcode(OP_RIGHT); // BIN2NUM: z
        b = push(b, &num(&GX)).push_opcode(OP_ADD);
        b = push(b, &num(&N)).push_opcode(OP_MOD); // s = z + Gx mod n
        b = b.push_opcode(OP_DUP);
        b = push(b, &num(&HALF_N)).push_opcode(OP_GREATERTHAN);
        b = b.push_opcode(OP_IF);
        b = push(b, &num(&N)).push_opcode(OP_SWAP).push_opcode(OP_SUB);
        b = b.push_opcode(OP_ENDIF);
        b = b.push_int(32).push_opcode(OP_LEFT); // NUM2BIN: 32 bytes, little-endian
        b = reverse32(b);
        let mut der = vec![0x30, 0x44, 0x02, 0x20];
        der.extend_from_slice(&GX);
        der.extend_from_slice(&[0x02, 0x20]);
        b = push(b, &der).push_opcode(OP_SWAP).push_opcode(OP_CAT);
        b = push(b, &[SighashType::ALL.to_u32() as u8]).push_opcode(OP_CAT);
        let mut g = vec![0x02];
        g.extend_from_slice(&GX);
        b = push(b, &g).push_opcode(OP_CHECKSIGVERIFY);
        // P's tail: amount(8) sequence(4) hashOutputs(32) locktime(4) type(4).
        b = b.push_opcode(OP_SIZE).push_int(52).push_opcode(OP_SUB);
        b = b.push_opcode(OP_SUBSTR).push_opcode(OP_NIP);
        b = b
            .push_opcode(OP_DUP)
            .push_int(48)
            .push_opcode(OP_SUBSTR)
            .push_opcode(OP_NIP);
        b = push(b, &SighashType::ALL.to_u32().to_le_bytes()).push_opcode(OP_EQUALVERIFY);
        b = b.push_int(8).push_opcode(OP_SUBSTR);
        b = b.push_int(4).push_opcode(OP_SUBSTR).push_opcode(OP_NIP);
        b = b.push_int(32).push_opcode(OP_SUBSTR).push_opcode(OP_DROP);
        b = b.push_opcode(OP_TOALTSTACK); // hashOutputs
        b = push(b, &[0]).push_opcode(OP_CAT).push_opcode(OP_RIGHT); // A
                                                                     // [S.., F, A] → 0 ≤ F ≤ cap, T = A − F > 0.
        b = b.push_opcode(OP_SWAP).push_opcode(OP_DUP);
        b = b
            .push_int(0)
            .push_int(self.fee_cap as i64 + 1)
            .push_opcode(OP_WITHIN)
            .push_opcode(OP_VERIFY);
        b = b.push_opcode(OP_SUB);
        b = b
            .push_opcode(OP_DUP)
            .push_int(0)
            .push_opcode(OP_GREATERTHAN)
            .push_opcode(OP_VERIFY);
        // [S.., T] → [S.., T, R, O]
        b = b.push_opcode(OP_DUP).push_opcode(OP_0);
        for (s, w) in &self.parents {
            // [S_i.., T, R, O]: take S_i, check it, share = T·w/10000 ≥ 1.
            b = b.push_int(3).push_opcode(OP_ROLL);
            b = b.push_opcode(OP_DUP).push_opcode(OP_SHA256);
            b = push(b, sha256::Hash::hash(s.as_bytes()).as_byte_array())
                .push_opcode(OP_EQUALVERIFY);
            b = b
                .push_int(3)
                .push_opcode(OP_PICK)
                .push_int(i64::from(*w))
                .push_opcode(OP_MUL);
            b = b.push_int(BPS as i64).push_opcode(OP_DIV);
            b = b
                .push_opcode(OP_DUP)
                .push_int(1)
                .push_opcode(OP_GREATERTHANOREQUAL)
                .push_opcode(OP_VERIFY);
            // [T, R, O, S, sh] → R −= sh → [T, R', O, S, sh]
            b = b.push_opcode(OP_DUP).push_int(4).push_opcode(OP_ROLL);
            b = b.push_opcode(OP_SWAP).push_opcode(OP_SUB);
            for _ in 0..3 {
                b = b.push_int(3).push_opcode(OP_ROLL);
            }
            // output: value(8) ‖ varint(len S) ‖ S, appended to O.
            b = b.push_int(8).push_opcode(OP_LEFT);
            b = b.push_opcode(OP_SWAP);
            b = push(b, &varint(s.len()))
                .push_opcode(OP_SWAP)
                .push_opcode(OP_CAT);
            b = b.push_opcode(OP_CAT).push_opcode(OP_CAT);
        }
        // [T, R, O]: the owner's output when R > 0.
        b = b.push_opcode(OP_SWAP).push_opcode(OP_DUP);
        b = b.push_opcode(OP_IF);
        b = b.push_int(8).push_opcode(OP_LEFT);
        let mut owner = varint(self.owner.len());
        owner.extend_from_slice(self.owner.as_bytes());
        b = push(b, &owner).push_opcode(OP_CAT).push_opcode(OP_CAT);
        b = b
            .push_opcode(OP_ELSE)
            .push_opcode(OP_DROP)
            .push_opcode(OP_ENDIF);
        b = b.push_opcode(OP_NIP).push_opcode(OP_HASH256);
        b = b.push_opcode(OP_FROMALTSTACK).push_opcode(OP_EQUAL);
        b.into_script()
    }

    /// The outputs a spend of `amount` with fee `fee` must have.
    pub fn outputs(&self, amount: u64, fee: u64) -> Result<Vec<TxOut>, SplitterError> {
        self.check()?;
        if fee > self.fee_cap {
            return Err(SplitterError::FeeAboveCap {
                fee,
                cap: self.fee_cap,
            });
        }
        if amount > MAX_AMOUNT {
            return Err(SplitterError::AmountTooLarge(amount));
        }
        let t = amount.saturating_sub(fee);
        let mut out = Vec::new();
        let mut rest = t;
        for (index, (s, w)) in self.parents.iter().enumerate() {
            // In u128: up to 2^53 · 10^4, past u64 (script numbers are unbounded there).
            let sh = (u128::from(t) * u128::from(*w) / u128::from(BPS)) as u64;
            if sh == 0 {
                return Err(SplitterError::BelowDust { amount, fee, index });
            }
            rest -= sh;
            out.push(TxOut {
                value: Amount::from_sat(sh),
                script_pubkey: s.clone(),
            });
        }
        if rest > 0 {
            out.push(TxOut {
                value: Amount::from_sat(rest),
                script_pubkey: self.owner.clone(),
            });
        }
        debug_assert_eq!(
            out.iter().map(|o| o.value.to_sat()).sum::<u64>(),
            t,
            "outputs = A − F"
        );
        Ok(out)
    }

    /// The unsigned spend with the given outputs and the unlocking script for it:
    /// `S_k … S_1 F P`, grinding nLockTime until `s` is 32 bytes.
    pub fn spend_with(
        &self,
        outpoint: OutPoint,
        amount: u64,
        fee: u64,
        outputs: Vec<TxOut>,
        version: i32,
    ) -> Result<Transaction, SplitterError> {
        let script = self.script();
        let mut tx = Transaction {
            version: bitcoin::transaction::Version(version),
            lock_time: LockTime::ZERO,
            input: vec![TxIn {
                previous_output: outpoint,
                script_sig: ScriptBuf::new(),
                sequence: Sequence(0xffff_fffe),
                witness: bitcoin::Witness::new(),
            }],
            output: outputs,
        };
        const TRIES: u32 = 4_096;
        for lock in 0..TRIES {
            tx.lock_time = LockTime::from_consensus(lock);
            let p = preimage(&tx, 0, &script, Amount::from_sat(amount), SighashType::ALL)
                .expect("input 0 exists");
            if !s_fits(&sha256d::Hash::hash(&p).to_byte_array()) {
                continue;
            }
            tx.input[0].script_sig = self.unlocking(fee, &p);
            return Ok(tx);
        }
        Err(SplitterError::GrindExhausted(TRIES))
    }

    /// The honest spend of a splitter UTXO.
    pub fn spend(
        &self,
        outpoint: OutPoint,
        amount: u64,
        fee: u64,
        version: i32,
    ) -> Result<Transaction, SplitterError> {
        let outputs = self.outputs(amount, fee)?;
        self.spend_with(outpoint, amount, fee, outputs, version)
    }

    /// Bytes of a spend of this splitter as [`Splitter::spend`] builds it, with the fee at
    /// the cap (the largest push of it): what the fee pays for.
    pub fn spend_bytes(&self) -> Result<usize, SplitterError> {
        let outputs = self.outputs(MAX_AMOUNT, self.fee_cap)?;
        let mut tx = Transaction {
            version: bitcoin::transaction::Version(1),
            lock_time: LockTime::ZERO,
            input: vec![TxIn {
                previous_output: OutPoint::null(),
                script_sig: ScriptBuf::new(),
                sequence: Sequence(0xffff_fffe),
                witness: bitcoin::Witness::new(),
            }],
            output: outputs,
        };
        let script = self.script();
        let p = preimage(
            &tx,
            0,
            &script,
            Amount::from_sat(MAX_AMOUNT),
            SighashType::ALL,
        )
        .expect("input 0 exists");
        tx.input[0].script_sig = self.unlocking(self.fee_cap, &p);
        Ok(bitcoin::consensus::serialize(&tx).len())
    }

    /// `S_k … S_1 F P` for fee `fee` and preimage `p`.
    pub fn unlocking(&self, fee: u64, p: &[u8]) -> ScriptBuf {
        let mut b = Builder::new();
        for (s, _) in self.parents.iter().rev() {
            b = push(b, s.as_bytes());
        }
        b = b.push_int(fee as i64);
        push(b, p).into_script()
    }
}

/// Whether the script's signature for digest `z` has an `s` of exactly 32 bytes.
fn s_fits(z: &[u8; 32]) -> bool {
    // s = z + Gx mod n (z ≥ n has probability 2^-128: treat as a miss and grind on).
    let Ok(zk) = SecretKey::from_slice(z) else {
        return false;
    };
    let Ok(gx) = Scalar::from_be_bytes(GX) else {
        return false;
    };
    let Ok(s) = zk.add_tweak(&gx) else {
        return false;
    };
    let mut bytes = s.secret_bytes();
    if bytes > HALF_N {
        bytes = s.negate().secret_bytes();
    }
    bytes[0] != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `amount · weight` at the bound is past u64: the shares must still be exact, and a
    /// root (no parents) pays its owner all of `A − F`.
    #[test]
    fn the_largest_amount_splits_exactly_and_a_root_pays_its_owner() {
        let s = Splitter {
            parents: vec![(ScriptBuf::from_bytes(vec![0x51]), 10_000)],
            owner: ScriptBuf::from_bytes(vec![0x53]),
            fee_cap: 10,
        };
        let out = s.outputs(MAX_AMOUNT, 10).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].value.to_sat(), MAX_AMOUNT - 10);
        let root = Splitter {
            parents: vec![],
            ..s.clone()
        };
        let out = root.outputs(5_000, 7).unwrap();
        assert_eq!((out.len(), out[0].value.to_sat()), (1, 4_993));
        assert_eq!(out[0].script_pubkey, s.owner);
        assert!(root.spend_bytes().unwrap() > root.script().len());
    }

    #[test]
    fn shares_floor_and_the_owner_keeps_the_rest() {
        let s = Splitter {
            parents: vec![
                (ScriptBuf::from_bytes(vec![0x51]), 3_333),
                (ScriptBuf::from_bytes(vec![0x52]), 6_667),
            ],
            owner: ScriptBuf::from_bytes(vec![0x53]),
            fee_cap: 1_000,
        };
        let out = s.outputs(100_001, 1).unwrap();
        assert_eq!(out[0].value.to_sat(), 33_330);
        assert_eq!(out[1].value.to_sat(), 66_670);
        assert_eq!(
            out.len(),
            2,
            "weights of 10000 and no remainder: no owner output"
        );
        let out = s.outputs(100_011, 0).unwrap();
        assert_eq!(out.iter().map(|o| o.value.to_sat()).sum::<u64>(), 100_011);
        assert_eq!(out.len(), 3);
        assert!(matches!(
            s.outputs(2, 0),
            Err(SplitterError::BelowDust { .. })
        ));
        assert!(matches!(
            s.outputs(100_000, 1_001),
            Err(SplitterError::FeeAboveCap { .. })
        ));
    }
}
