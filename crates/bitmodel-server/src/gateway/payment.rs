//! Whether a transaction pays for one inference call: at least the price into the asset's
//! vault, with the memo of the caller's token. Pure: the caller fetched the transaction.

use bitcoin::{Script, Transaction};

use super::memo::MEMO_LEN;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    #[error("transaction {txid} pays nothing to the asset's vault {vault}")]
    NotToVault { txid: String, vault: String },
    #[error("transaction {txid} pays {paid} sats to the vault; the price is {price} sats")]
    TooSmall { txid: String, paid: u64, price: u64 },
    #[error("transaction {txid} has no OP_RETURN memo {expected}; pay with the memo the 402 answer gave for this token")]
    NoMemo { txid: String, expected: String },
}

/// Sats paid to `vault` when `tx` (the node's transaction `txid`: on MVC the id is not
/// `compute_txid`'s) is a valid payment of `price` with `memo`.
pub fn check(
    tx: &Transaction,
    txid: &bitcoin::Txid,
    vault: &Script,
    vault_text: &str,
    price: u64,
    memo: &[u8; MEMO_LEN],
) -> Result<u64, PaymentError> {
    let txid = txid.to_string();
    let paid: u64 = tx
        .output
        .iter()
        .filter(|o| o.script_pubkey.as_script() == vault)
        .map(|o| o.value.to_sat())
        .sum();
    if paid == 0 {
        return Err(PaymentError::NotToVault {
            txid,
            vault: vault_text.to_owned(),
        });
    }
    if !super::memo::found(tx).contains(memo) {
        return Err(PaymentError::NoMemo {
            txid,
            expected: hex::encode(memo),
        });
    }
    if paid < price {
        return Err(PaymentError::TooSmall { txid, paid, price });
    }
    Ok(paid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::memo;
    use bitcoin::hashes::Hash;
    use bitcoin::{Amount, ScriptBuf, TxOut};
    use bitmodel_protocol::AssetId;

    fn tx(outs: Vec<(ScriptBuf, u64)>) -> Transaction {
        Transaction {
            version: bitcoin::transaction::Version::TWO,
            lock_time: bitcoin::absolute::LockTime::ZERO,
            input: vec![],
            output: outs
                .into_iter()
                .map(|(s, v)| TxOut {
                    value: Amount::from_sat(v),
                    script_pubkey: s,
                })
                .collect(),
        }
    }

    #[test]
    fn price_vault_and_memo_are_all_required() {
        let vault = ScriptBuf::new_op_return([7u8; 4]);
        let other = ScriptBuf::from_bytes(vec![0x51]);
        let a = AssetId::new(bitcoin::Txid::all_zeros(), 0);
        let t = memo::new_token();
        let m = memo::memo(&a, &t);
        let ms = memo::script(&m);
        let ok = tx(vec![
            (vault.clone(), 600),
            (vault.clone(), 400),
            (ms.clone(), 0),
        ]);
        assert_eq!(
            check(&ok, &bitcoin::Txid::all_zeros(), &vault, "v", 1000, &m),
            Ok(1000)
        );
        assert!(matches!(
            check(
                &tx(vec![(vault.clone(), 999), (ms.clone(), 0)]),
                &bitcoin::Txid::all_zeros(),
                &vault,
                "v",
                1000,
                &m
            ),
            Err(PaymentError::TooSmall {
                paid: 999,
                price: 1000,
                ..
            })
        ));
        assert!(matches!(
            check(
                &tx(vec![(other, 5000), (ms, 0)]),
                &bitcoin::Txid::all_zeros(),
                &vault,
                "v",
                1000,
                &m
            ),
            Err(PaymentError::NotToVault { .. })
        ));
        assert!(matches!(
            check(
                &tx(vec![(vault.clone(), 5000)]),
                &bitcoin::Txid::all_zeros(),
                &vault,
                "v",
                1000,
                &m
            ),
            Err(PaymentError::NoMemo { .. })
        ));
        let wrong = memo::script(&memo::memo(&a, &memo::new_token()));
        assert!(matches!(
            check(
                &tx(vec![(vault.clone(), 5000), (wrong, 0)]),
                &bitcoin::Txid::all_zeros(),
                &vault,
                "v",
                1000,
                &m
            ),
            Err(PaymentError::NoMemo { .. })
        ));
    }
}
