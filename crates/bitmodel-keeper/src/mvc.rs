//! What the keeper does with one MVC splitter (MVC and its BSV test peer), decided from its
//! confirmed UTXOs alone. An OP_PUSH_TX splitter spends one UTXO a transaction and has no
//! merge leaf, so the plan is the distribute half of the CAT vault's ([`crate::plan`]):
//!
//! 1. the fee is the spend's size at the policy's `fee_per_kb`; above the record's cap the
//!    splitter waits (the rate falls, or someone pushes at the cap by hand);
//! 2. every UTXO whose every share is at least 1 sat after the fee, and whose fee is within
//!    the policy's share of what it moves, is distributed, largest first;
//! 3. the rest wait, and the plan says the threshold and how many sats are missing.
//!
//! Invariants (asserted in the tests): a push's input is the splitter's UTXO; its outputs
//! are the splitter's rule; its fee is at most the cap.

use bitmodel_covenant::Utxo;
use bitmodel_mvc::fee_for;
use bitmodel_mvc::splitter::{Splitter, SplitterError, BPS};

use crate::plan::{Plan, Policy, Push, PushKind, Wait};

/// The smallest UTXO that pays every share at least 1 sat after `fee`: each share is
/// `floor((a − fee)·w/10000)`, so the smallest weight needs `a − fee ≥ ceil(10000/w)`.
fn dust_threshold(sp: &Splitter, fee: u64) -> u64 {
    let min_w = sp.parents.iter().map(|(_, w)| u64::from(*w)).min();
    fee + min_w.map_or(1, |w| BPS.div_ceil(w))
}

/// The plan for a splitter's UTXOs; `version` is the chain's transaction version.
pub fn plan(
    sp: &Splitter,
    utxos: &[Utxo],
    policy: &Policy,
    version: i32,
) -> Result<Plan, SplitterError> {
    let bytes = sp.spend_bytes()? as u64;
    let fee = fee_for(bytes, policy.fee_per_kb);
    if fee > sp.fee_cap {
        return Ok(Plan {
            pushes: Vec::new(),
            wait: Some(Wait {
                reason: format!(
                    "a distribution costs {fee} sats at {} sat/kB ({bytes} bytes), above the record's fee cap of {} sats",
                    policy.fee_per_kb, sp.fee_cap
                ),
                threshold: 0,
                missing: 0,
            }),
        });
    }
    // The fee at most max_fee_ppm of what moves: a small payment gathers instead.
    let cheap = (u128::from(fee) * 1_000_000).div_ceil(u128::from(policy.max_fee_ppm.max(1)));
    let threshold = dust_threshold(sp, fee).max(u64::try_from(cheap).unwrap_or(u64::MAX));
    let mut sorted: Vec<Utxo> = utxos.to_vec();
    sorted.sort_by(|a, b| b.amount.cmp(&a.amount).then(a.outpoint.cmp(&b.outpoint)));
    let mut pushes = Vec::new();
    let mut left = Vec::new();
    for u in sorted {
        if u.amount < threshold {
            left.push(u);
            continue;
        }
        match sp.spend(u.outpoint, u.amount, fee, version) {
            Ok(tx) => pushes.push(Push {
                kind: PushKind::Distribute,
                tx,
                inputs: vec![u.outpoint],
                amount: u.amount,
                fee,
            }),
            Err(SplitterError::BelowDust { .. }) => left.push(u),
            Err(e) => return Err(e),
        }
    }
    let wait = left.iter().map(|u| u.amount).max().map(|largest| Wait {
        reason: format!(
            "{} UTXO(s) below {threshold} sats, the least a distribution moves (every share at least 1 sat, the {fee}-sat fee at most {} ppm of it)",
            left.len(),
            policy.max_fee_ppm
        ),
        threshold,
        missing: threshold.saturating_sub(largest),
    });
    Ok(Plan { pushes, wait })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;
    use bitcoin::{OutPoint, ScriptBuf, Txid};

    fn p2pkh(b: u8) -> ScriptBuf {
        ScriptBuf::new_p2pkh(&bitcoin::PubkeyHash::from_byte_array([b; 20]))
    }

    #[test]
    fn distributes_what_clears_the_threshold_and_says_what_waits() {
        let sp = Splitter {
            parents: vec![(p2pkh(1), 3_000), (p2pkh(2), 10)],
            owner: p2pkh(3),
            fee_cap: 5_000,
        };
        let policy = Policy {
            fee_per_kb: 250,
            ..Policy::default()
        };
        let fee = fee_for(sp.spend_bytes().unwrap() as u64, 250);
        let u = |n: u8, amount| Utxo {
            outpoint: OutPoint::new(Txid::from_byte_array([n; 32]), 0),
            amount,
        };
        let p = plan(
            &sp,
            &[u(1, 10_000_000), u(2, 500), u(3, 2_000_000)],
            &policy,
            1,
        )
        .unwrap();
        assert_eq!(p.pushes.len(), 2);
        assert_eq!(p.pushes[0].amount, 10_000_000, "largest first");
        for push in &p.pushes {
            assert_eq!(push.fee, fee);
            assert!(push.fee <= sp.fee_cap);
            let outs: Vec<_> = push.tx.output.clone();
            assert_eq!(
                outs,
                sp.outputs(push.amount, fee).unwrap(),
                "the rule's outputs"
            );
            assert_eq!(push.tx.input[0].previous_output, push.inputs[0]);
        }
        let w = p.wait.unwrap();
        assert_eq!(w.threshold, (fee * 100).max(fee + 1_000));
        assert_eq!(w.missing, w.threshold - 500);
        // A rate that puts the fee over the cap waits, whatever the amount.
        let dear = Policy {
            fee_per_kb: 1_000_000,
            ..policy
        };
        let p = plan(&sp, &[u(1, 10_000_000)], &dear, 1).unwrap();
        assert!(p.pushes.is_empty());
        assert!(p
            .wait
            .unwrap()
            .reason
            .contains("above the record's fee cap"));
    }
}
