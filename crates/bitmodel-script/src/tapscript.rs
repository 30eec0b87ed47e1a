//! Taproot (BIP341) commitments and the tapscript (BIP342) rules that apply before
//! execution: the `OP_SUCCESSx` pre-scan, BIP347 `OP_CAT` gating, and the initial stack limits.
//!
//! Why a pre-scan: an `OP_SUCCESSx` anywhere in the script, even after a truncated push would
//! have been reached or in an unexecuted branch, makes the spend valid without running it, so
//! it must be found before a single opcode executes.

use bitcoin::consensus::encode::VarInt;
use bitcoin::consensus::Encodable;
use bitcoin::hashes::{Hash, HashEngine};
use bitcoin::secp256k1::{Parity, Scalar, XOnlyPublicKey};
use bitcoin::taproot::{TapLeafHash, TapNodeHash, TapTweakHash};

use crate::error::ScriptError;
use crate::flags::Flags;
use crate::opcodes::{is_op_success, Ops, OP_CAT};
use crate::sig::secp;

pub const CONTROL_BASE_SIZE: usize = 33;
pub const CONTROL_NODE_SIZE: usize = 32;
pub const CONTROL_MAX_NODES: usize = 128;
pub const LEAF_MASK: u8 = 0xfe;
pub const LEAF_TAPSCRIPT: u8 = 0xc0;
pub const ANNEX_TAG: u8 = 0x50;
/// BIP342: the validation weight budget starts at the witness size plus this.
pub const VALIDATION_WEIGHT_OFFSET: i64 = 50;

/// Outcome of scanning a tapscript before execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreScan {
    /// Execute the script normally.
    Execute,
    /// An `OP_SUCCESSx` was found: the spend is valid without execution.
    Success,
}

/// Scans a tapscript for `OP_SUCCESSx` (Core's loop in `ExecuteWitnessScript`), with `OP_CAT`
/// treated as BIP347 says: discouraged outright under `DISCOURAGE_OP_CAT`, a real opcode under
/// `OP_CAT`, and otherwise still `OP_SUCCESS126`.
pub fn pre_scan(script: &[u8], flags: Flags) -> Result<PreScan, ScriptError> {
    for op in Ops::new(script) {
        let op = op.map_err(|()| ScriptError::BadOpcode)?;
        if op.opcode == OP_CAT {
            if flags.contains(Flags::DISCOURAGE_OP_CAT) {
                return Err(ScriptError::DiscourageOpCat);
            }
            if flags.contains(Flags::OP_CAT) {
                continue;
            }
        }
        if is_op_success(op.opcode) {
            if flags.contains(Flags::DISCOURAGE_OP_SUCCESS) {
                return Err(ScriptError::DiscourageOpSuccess);
            }
            return Ok(PreScan::Success);
        }
    }
    Ok(PreScan::Execute)
}

/// BIP341 leaf hash of `script` under `leaf_version` (any even version, including 0x50,
/// which rust-bitcoin's `LeafVersion` refuses to represent).
pub fn leaf_hash(leaf_version: u8, script: &[u8]) -> TapLeafHash {
    let mut engine = TapLeafHash::engine();
    engine.input(&[leaf_version]);
    VarInt(script.len() as u64)
        .consensus_encode(&mut engine)
        .expect("hash engines never fail to write");
    engine.input(script);
    TapLeafHash::from_engine(engine)
}

/// Checks that `control` commits `leaf` into the output key `program` (Core's
/// `VerifyTaprootCommitment`).
pub fn verify_commitment(control: &[u8], program: &[u8], leaf: TapLeafHash) -> bool {
    let Ok(internal) = XOnlyPublicKey::from_slice(&control[1..CONTROL_BASE_SIZE]) else {
        return false;
    };
    let mut node = TapNodeHash::from(leaf);
    for sibling in control[CONTROL_BASE_SIZE..].chunks_exact(CONTROL_NODE_SIZE) {
        let sibling =
            TapNodeHash::from_byte_array(sibling.try_into().expect("chunks are 32 bytes"));
        node = TapNodeHash::from_node_hashes(node, sibling);
    }
    let tweak = TapTweakHash::from_key_and_tweak(internal, Some(node));
    let Ok(tweak) = Scalar::from_be_bytes(tweak.to_byte_array()) else {
        return false;
    };
    let Ok((output, parity)) = internal.add_tweak(secp(), &tweak) else {
        return false;
    };
    let want_parity = if control[0] & 1 == 1 {
        Parity::Odd
    } else {
        Parity::Even
    };
    output.serialize()[..] == program[..] && parity == want_parity
}
