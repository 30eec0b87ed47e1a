//! The memo that binds a payment to one inference request. The 402 answer hands the caller a
//! fresh random token and the memo derived from it; the payment carries the memo in an
//! OP_RETURN output, and the paid call presents the token. Someone who copies a txid off the
//! chain sees the memo, not the token, so cannot spend another caller's payment; and a payment
//! that was not made for inference (a distribution from a child vault, a plain donation) has
//! no memo and is never taken as one.

use bitcoin::hashes::{sha256, Hash, HashEngine};
use bitcoin::opcodes::all::OP_RETURN;
use bitcoin::script::{Builder, Instruction, PushBytesBuf};
use bitcoin::{ScriptBuf, Transaction};
use bitmodel_protocol::AssetId;

/// The memo's first bytes.
pub const TAG: &[u8; 4] = b"BMI1";
/// Tag and 16 bytes of digest.
pub const MEMO_LEN: usize = 20;

/// A new token: 16 random bytes as hex.
pub fn new_token() -> String {
    let mut b = [0u8; 16];
    getrandom::getrandom(&mut b).expect("the operating system provides randomness");
    hex::encode(b)
}

/// Whether a token has the shape [`new_token`] gives.
pub fn token_ok(token: &str) -> bool {
    token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The memo for a call to `asset` with `token`.
pub fn memo(asset: &AssetId, token: &str) -> [u8; MEMO_LEN] {
    let mut e = sha256::Hash::engine();
    e.input(TAG);
    e.input(&asset.to_bytes());
    e.input(token.to_ascii_lowercase().as_bytes());
    let h = sha256::Hash::from_engine(e);
    let mut out = [0u8; MEMO_LEN];
    out[..4].copy_from_slice(TAG);
    out[4..].copy_from_slice(&h.as_byte_array()[..16]);
    out
}

/// The OP_RETURN output script carrying a memo.
pub fn script(memo: &[u8; MEMO_LEN]) -> ScriptBuf {
    let push = PushBytesBuf::try_from(memo.to_vec()).expect("20 bytes fit a push");
    Builder::new()
        .push_opcode(OP_RETURN)
        .push_slice(push)
        .into_script()
}

/// Every inference memo a transaction carries.
pub fn found(tx: &Transaction) -> Vec<[u8; MEMO_LEN]> {
    tx.output
        .iter()
        .filter(|o| o.script_pubkey.is_op_return())
        .filter_map(|o| {
            let mut ins = o.script_pubkey.instructions();
            ins.next();
            match ins.next() {
                Some(Ok(Instruction::PushBytes(b))) if b.len() == MEMO_LEN => {
                    let m: [u8; MEMO_LEN] = b.as_bytes().try_into().ok()?;
                    (&m[..4] == TAG).then_some(m)
                }
                _ => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;

    #[test]
    fn memo_binds_asset_and_token_and_reads_back() {
        let a = AssetId::new(bitcoin::Txid::all_zeros(), 0);
        let b = AssetId::new(bitcoin::Txid::all_zeros(), 1);
        let t = new_token();
        assert!(token_ok(&t));
        assert_ne!(t, new_token());
        assert_ne!(memo(&a, &t), memo(&b, &t));
        assert_ne!(memo(&a, &t), memo(&a, &new_token()));
        assert_eq!(memo(&a, &t), memo(&a, &t.to_uppercase()));
        let tx = Transaction {
            version: bitcoin::transaction::Version::TWO,
            lock_time: bitcoin::absolute::LockTime::ZERO,
            input: vec![],
            output: vec![bitcoin::TxOut {
                value: bitcoin::Amount::ZERO,
                script_pubkey: script(&memo(&a, &t)),
            }],
        };
        assert_eq!(found(&tx), vec![memo(&a, &t)]);
        assert!(!token_ok("xyz"));
    }
}
