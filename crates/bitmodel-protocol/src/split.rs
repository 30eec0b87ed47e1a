//! The split rule, the one rule every part of Bitmodel agrees on.
//!
//! A distribution of amount `A` with fee `F` pays each parent `floor((A − F)·w/10000)` and the
//! owner the remainder, so `Σ parents + owner + F == A` exactly and every rounding sat stays
//! visible with the owner. The covenant checks the same numbers in script, where there is no
//! multiplication of two variables: with `T = A − F = q·10000 + r` it computes
//! `q·w + floor(r·w/10000)`, which equals `floor(T·w/10000)`. [`share`] uses the same
//! decomposition, which also means no intermediate ever exceeds `T` (no overflow for any u64).

use serde::Serialize;

use crate::BPS;

/// The outcome of one distribution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Split {
    pub amount: u64,
    pub fee: u64,
    /// One share per parent, in the record's parent order.
    pub parents: Vec<u64>,
    /// What the owner's payout script receives: `amount − fee − Σ parents`.
    pub owner: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    #[error("fee {fee} sats exceeds the amount {amount} sats being distributed")]
    FeeExceedsAmount { amount: u64, fee: u64 },
    #[error("weight {weight} of parent {index} is out of range; each weight must be 1..=10000 basis points")]
    BadWeight { index: usize, weight: u16 },
    #[error("weights sum to {0} basis points; the parents' weights must sum to at most 10000")]
    WeightSum(u32),
}

/// `floor(total·weight/denominator)` without overflow, as a splitter's covenant computes it
/// (`denominator` is the splitter's subtree weight, at most 10000; see `docs/splitters.md`).
pub fn share_over(total: u64, weight: u16, denominator: u16) -> u64 {
    let w = u64::from(weight);
    let d = u64::from(denominator.max(1));
    (total / d) * w + (total % d) * w / d
}

/// [`split`] over `denominator` instead of 10000: each weight 1..=denominator, their sum at
/// most the denominator; the owner (a splitter's first child) takes the remainder.
pub fn split_over(
    amount: u64,
    fee: u64,
    weights: &[u16],
    denominator: u16,
) -> Result<Split, SplitError> {
    if denominator == BPS {
        return split(amount, fee, weights);
    }
    if let Some((index, &weight)) = weights
        .iter()
        .enumerate()
        .find(|(_, w)| **w == 0 || **w > denominator)
    {
        return Err(SplitError::BadWeight { index, weight });
    }
    let sum: u32 = weights.iter().map(|w| u32::from(*w)).sum();
    if sum > u32::from(denominator) || denominator > BPS {
        return Err(SplitError::WeightSum(sum));
    }
    let total = amount
        .checked_sub(fee)
        .ok_or(SplitError::FeeExceedsAmount { amount, fee })?;
    let parents: Vec<u64> = weights
        .iter()
        .map(|w| share_over(total, *w, denominator))
        .collect();
    let owner = total - parents.iter().sum::<u64>();
    Ok(Split {
        amount,
        fee,
        parents,
        owner,
    })
}

/// `floor(total·weight/10000)` without overflow, computed as the covenant computes it.
#[inline]
pub fn share(total: u64, weight: u16) -> u64 {
    let w = u64::from(weight);
    let bps = u64::from(BPS);
    (total / bps) * w + (total % bps) * w / bps
}

/// Checks weights as the protocol requires: each 1..=10000, sum ≤ 10000.
pub fn check_weights(weights: &[u16]) -> Result<(), SplitError> {
    if let Some((index, &weight)) = weights
        .iter()
        .enumerate()
        .find(|(_, w)| **w == 0 || **w > BPS)
    {
        return Err(SplitError::BadWeight { index, weight });
    }
    let sum: u32 = weights.iter().map(|w| u32::from(*w)).sum();
    if sum > u32::from(BPS) {
        return Err(SplitError::WeightSum(sum));
    }
    Ok(())
}

/// Splits `amount` minus `fee` among parents with the given weights and the owner.
pub fn split(amount: u64, fee: u64, weights: &[u16]) -> Result<Split, SplitError> {
    check_weights(weights)?;
    let total = amount
        .checked_sub(fee)
        .ok_or(SplitError::FeeExceedsAmount { amount, fee })?;
    let parents: Vec<u64> = weights.iter().map(|w| share(total, *w)).collect();
    // Σ share ≤ total·Σw/10000 ≤ total, so this cannot underflow.
    let owner = total - parents.iter().sum::<u64>();
    let s = Split {
        amount,
        fee,
        parents,
        owner,
    };
    debug_assert_eq!(s.parents.iter().sum::<u64>() + s.owner + s.fee, s.amount);
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn worked_example() {
        let s = split(100_000, 1_000, &[3000, 2500, 1]).unwrap();
        // T = 99,000: 29,700 + 24,750 + floor(9.9) = 9
        assert_eq!(s.parents, vec![29_700, 24_750, 9]);
        assert_eq!(s.owner, 99_000 - 29_700 - 24_750 - 9);
    }

    #[test]
    fn rounding_goes_to_the_owner() {
        let s = split(3, 0, &[3333, 3333, 3333]).unwrap();
        assert_eq!(s.parents, vec![0, 0, 0]);
        assert_eq!(s.owner, 3);
        let s = split(10_000, 0, &[10_000]).unwrap();
        assert_eq!((s.parents[0], s.owner), (10_000, 0));
    }

    #[test]
    fn errors_name_the_problem() {
        assert_eq!(
            split(10, 11, &[]),
            Err(SplitError::FeeExceedsAmount {
                amount: 10,
                fee: 11
            })
        );
        assert_eq!(
            split(10, 0, &[0]),
            Err(SplitError::BadWeight {
                index: 0,
                weight: 0
            })
        );
        assert_eq!(
            split(10, 0, &[5000, 5001]),
            Err(SplitError::WeightSum(10_001))
        );
        assert!(split(10, 0, &[5000, 5001])
            .unwrap_err()
            .to_string()
            .contains("at most 10000"));
    }

    #[test]
    fn extremes_do_not_overflow() {
        let s = split(u64::MAX, 0, &[10_000]).unwrap();
        assert_eq!((s.parents[0], s.owner), (u64::MAX, 0));
        let s = split(u64::MAX, 1, &[9_999, 1]).unwrap();
        assert_eq!(s.parents.iter().sum::<u64>() + s.owner + 1, u64::MAX);
    }

    #[test]
    fn over_a_subtree_weight() {
        // A splitter of weight 700 giving children of 300 and 150 (and child 1 the rest).
        let s = split_over(10_000, 10, &[300, 150], 700).unwrap();
        assert_eq!(s.parents, vec![9_990 * 300 / 700, 9_990 * 150 / 700]);
        assert_eq!(s.owner, 9_990 - s.parents.iter().sum::<u64>());
        assert_eq!(
            split_over(5, 0, &[701], 700),
            Err(SplitError::BadWeight {
                index: 0,
                weight: 701
            })
        );
        assert_eq!(
            split_over(100_000, 7, &[3000], 10_000),
            split(100_000, 7, &[3000])
        );
    }

    fn weights() -> impl Strategy<Value = Vec<u16>> {
        prop::collection::vec(1u16..=10_000, 0..=11).prop_filter("sum ≤ 10000", |w| {
            w.iter().map(|x| u32::from(*x)).sum::<u32>() <= 10_000
        })
    }

    proptest! {
        #[test]
        fn share_is_exact_floor(total in any::<u64>(), w in 1u16..=10_000) {
            let exact = (u128::from(total) * u128::from(w) / 10_000) as u64;
            prop_assert_eq!(share(total, w), exact);
        }

        #[test]
        fn conservation(amount in any::<u64>(), fee_frac in 0u64..=100, w in weights()) {
            let fee = amount / 100 * fee_frac;
            let s = split(amount, fee, &w).unwrap();
            let total: u128 = s.parents.iter().map(|x| u128::from(*x)).sum::<u128>() + u128::from(s.owner) + u128::from(s.fee);
            prop_assert_eq!(total, u128::from(amount));
        }

        #[test]
        fn parent_shares_are_monotone_in_amount(a in 0u64..1 << 62, d in 0u64..1 << 20, w in weights()) {
            let lo = split(a, 0, &w).unwrap();
            let hi = split(a + d, 0, &w).unwrap();
            for (l, h) in lo.parents.iter().zip(&hi.parents) {
                prop_assert!(l <= h);
            }
        }
    }
}
