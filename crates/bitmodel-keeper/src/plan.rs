//! What the keeper does with one vault, decided from its confirmed UTXOs alone:
//!
//! 1. smallest first, groups of up to 8 UTXOs (summing below 2^31) are merged while merging a
//!    group and then distributing the result costs less than distributing its members one by
//!    one (a member too small to move alone counts as never movable), and the merged output
//!    clears the distribution threshold — with cheap follower inputs (about 156 vB each
//!    against a distribute's 316 or more) this is how many small payments move;
//! 2. every UTXO left that can be distributed at the policy's fee rate (the fee capped at
//!    the record's fee cap) is distributed, largest first;
//! 3. of the rest, the smallest (up to 8) are merged when the merged output, after the
//!    merge's own fee, clears the distribution threshold — a merge that would only make
//!    another UTXO too small to distribute waits instead;
//! 4. otherwise the vault waits, and the plan says why and how many sats are missing.
//!
//! A push whose fee would be more than the policy's share of what it moves (1% by default)
//! waits too: small payments gather in the vault instead of being eaten by fees hop by hop.
//!
//! Invariants (asserted in the tests): a push's inputs are the vault's UTXOs, each at most
//! once per plan; distribute outputs are the split rule's; fees never exceed the fee cap.

use bitcoin::Transaction;
use bitmodel_covenant::spend::{build_distribute_at_rate, Built, MIN_MERGE_INPUT};
use bitmodel_covenant::MAX_MERGE;
use bitmodel_covenant::{
    build_distribute, build_merge, distribution_threshold, CovenantError, Utxo, Vault,
};
use bitmodel_protocol::MAX_SCRIPT_AMOUNT;
use serde::Serialize;

/// How the keeper pushes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// Fee rate of every push, sat/vB (capped by each vault's fee cap).
    pub fee_rate: u64,
    /// Pushes per round (a round runs once per new block): bounded work per block.
    pub max_pushes: usize,
    /// The most a push's fee may be of what it moves, in parts per million (10,000 = 1%).
    pub max_fee_ppm: u32,
    /// On MVC-family chains, which price by the byte: the fee rate in sat per 1,000 bytes.
    pub fee_per_kb: u64,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            fee_rate: 2,
            max_pushes: 100,
            max_fee_ppm: 10_000,
            fee_per_kb: bitmodel_mvc::DEFAULT_SAT_PER_KB,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PushKind {
    Distribute,
    Merge,
}

/// One built covenant spend.
#[derive(Clone, Debug)]
pub struct Push {
    pub kind: PushKind,
    pub tx: Transaction,
    pub inputs: Vec<bitcoin::OutPoint>,
    /// Sats the spend moves (its inputs).
    pub amount: u64,
    pub fee: u64,
}

/// Why a vault's money waits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Wait {
    pub reason: String,
    /// The smallest single UTXO that distributes at the policy's fee rate.
    pub threshold: u64,
    /// Sats the vault still needs before the keeper pushes (0 when nothing is waiting).
    pub missing: u64,
}

/// What the keeper does with one vault this round.
#[derive(Clone, Debug)]
pub struct Plan {
    pub pushes: Vec<Push>,
    /// Set when money is left waiting after the pushes.
    pub wait: Option<Wait>,
}

/// A distribute of `u` at the policy's rate, or at the fee cap when the rate asks for more.
fn distribute(vault: &Vault, u: Utxo, rate: u64) -> Result<Option<Built>, CovenantError> {
    let built = match build_distribute_at_rate(vault, u, rate) {
        Err(CovenantError::FeeAboveCap { .. }) => build_distribute(vault, u, vault.terms.fee_cap),
        other => other,
    };
    match built {
        Ok(b) => Ok(Some(b)),
        Err(CovenantError::BelowThreshold { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

fn out_sum(b: &Built) -> u64 {
    b.tx.output.iter().map(|o| o.value.to_sat()).sum()
}

fn push(kind: PushKind, b: Built, utxos: &[Utxo]) -> Push {
    let amount: u64 = utxos.iter().map(|u| u.amount).sum();
    let out: u64 = b.tx.output.iter().map(|o| o.value.to_sat()).sum();
    Push {
        kind,
        inputs: utxos.iter().map(|u| u.outpoint).collect(),
        amount,
        fee: amount - out,
        tx: b.tx,
    }
}

/// The fee a distribute pays at `rate` (its size barely depends on the amount).
fn distribute_fee(vault: &Vault, rate: u64) -> Result<u64, CovenantError> {
    let cap = vault.terms.fee_cap;
    let probe_amount = distribution_threshold(&vault.terms, cap)?;
    let probe = build_distribute(
        vault,
        Utxo {
            outpoint: bitcoin::OutPoint::null(),
            amount: probe_amount,
        },
        cap,
    )?;
    Ok((rate * probe.tx.vsize() as u64 + 2 * rate).min(cap))
}

/// The vsize one more follower input adds to a merge (measured on probes of this vault).
fn follower_vsize(vault: &Vault) -> Result<usize, CovenantError> {
    let probe = |k: usize| -> Result<usize, CovenantError> {
        let utxos: Vec<Utxo> = (0..k)
            .map(|i| Utxo {
                outpoint: bitcoin::OutPoint {
                    txid: bitcoin::Txid::from_raw_hash(bitcoin::hashes::Hash::all_zeros()),
                    vout: i as u32,
                },
                amount: 10_000,
            })
            .collect();
        Ok(build_merge(vault, &utxos, 0)?.tx.vsize())
    };
    Ok(probe(3)? - probe(2)?)
}

/// Whether `fee` is within the policy's share of `amount`.
fn cheap_enough(policy: &Policy, fee: u64, amount: u64) -> bool {
    u128::from(fee) * 1_000_000 <= u128::from(amount) * u128::from(policy.max_fee_ppm)
}

/// The smallest amount whose push at `fee` is cheap enough.
fn cheap_from(policy: &Policy, fee: u64) -> u64 {
    if policy.max_fee_ppm == 0 {
        return u64::MAX;
    }
    (u128::from(fee) * 1_000_000).div_ceil(u128::from(policy.max_fee_ppm)) as u64
}

/// Step 1: merges of the smallest UTXOs, group by group, while each is worth it; the pushes
/// and the outpoints they spend.
fn merge_groups(
    vault: &Vault,
    utxos: &[Utxo],
    policy: &Policy,
) -> Result<(Vec<Push>, Vec<bitcoin::OutPoint>), CovenantError> {
    let rate = policy.fee_rate.max(1);
    let mut asc: Vec<Utxo> = utxos
        .iter()
        .filter(|u| u.amount >= MIN_MERGE_INPUT)
        .copied()
        .collect();
    if asc.len() < 2 {
        return Ok((Vec::new(), Vec::new()));
    }
    asc.sort_by(|a, b| a.amount.cmp(&b.amount).then(a.outpoint.cmp(&b.outpoint)));
    let dist_fee = distribute_fee(vault, rate)?;
    let threshold =
        distribution_threshold(&vault.terms, dist_fee)?.max(cheap_from(policy, dist_fee));
    let (mut pushes, mut spent) = (Vec::new(), Vec::new());
    let mut rest = &asc[..];
    loop {
        let mut pick = Vec::new();
        let mut sum = 0u64;
        for u in rest {
            if pick.len() == MAX_MERGE || sum + u.amount > MAX_SCRIPT_AMOUNT {
                break;
            }
            sum += u.amount;
            pick.push(*u);
        }
        if pick.len() < 2 {
            break;
        }
        let probe = build_merge(vault, &pick, 0)?;
        let fee = (rate * probe.tx.vsize() as u64 + 2 * rate).min(vault.terms.fee_cap);
        // Distributing the members one by one, if every one of them could move alone.
        let alone: Option<u64> = pick
            .iter()
            .map(|u| (u.amount >= threshold).then_some(dist_fee))
            .sum();
        let worth = sum.saturating_sub(fee) >= threshold
            && cheap_enough(policy, fee + dist_fee, sum)
            && alone.is_none_or(|a| fee + dist_fee < a);
        if !worth {
            break;
        }
        let b = build_merge(vault, &pick, fee)?;
        spent.extend(pick.iter().map(|u| u.outpoint));
        pushes.push(push(PushKind::Merge, b, &pick));
        rest = &rest[pick.len()..];
    }
    Ok((pushes, spent))
}

/// Decides and builds this round's pushes for one vault.
pub fn plan(vault: &Vault, utxos: &[Utxo], policy: &Policy) -> Result<Plan, CovenantError> {
    let rate = policy.fee_rate.max(1);
    let (mut pushes, merged) = merge_groups(vault, utxos, policy)?;
    let mut sorted: Vec<Utxo> = utxos
        .iter()
        .filter(|u| !merged.contains(&u.outpoint))
        .copied()
        .collect();
    sorted.sort_by(|a, b| b.amount.cmp(&a.amount).then(a.outpoint.cmp(&b.outpoint)));
    let mut small = Vec::new();
    for u in sorted {
        match distribute(vault, u, rate)? {
            Some(b) if cheap_enough(policy, u.amount - out_sum(&b), u.amount) => {
                pushes.push(push(PushKind::Distribute, b, &[u]))
            }
            _ => small.push(u),
        }
    }
    if small.is_empty() {
        return Ok(Plan { pushes, wait: None });
    }
    // What a single UTXO needs: clear every share's dust limit, and carry its fee cheaply.
    let dist_fee = distribute_fee(vault, rate)?;
    let threshold =
        distribution_threshold(&vault.terms, dist_fee)?.max(cheap_from(policy, dist_fee));
    // Smallest first: those can never be distributed on their own.
    small.sort_by_key(|u| u.amount);
    let mut pick = Vec::new();
    let mut sum = 0u64;
    for u in small.iter().filter(|u| u.amount >= MIN_MERGE_INPUT) {
        if pick.len() == MAX_MERGE || sum + u.amount > MAX_SCRIPT_AMOUNT {
            break;
        }
        sum += u.amount;
        pick.push(*u);
    }
    let waiting: u64 = small.iter().map(|u| u.amount).sum();
    if pick.len() >= 2 {
        let probe = build_merge(vault, &pick, 0)?;
        let fee = (rate * probe.tx.vsize() as u64 + 2 * rate).min(vault.terms.fee_cap);
        if sum.saturating_sub(fee) >= threshold && cheap_enough(policy, fee, sum) {
            let b = build_merge(vault, &pick, fee)?;
            pushes.push(push(PushKind::Merge, b, &pick));
            let rest = waiting - sum;
            let wait = (rest > 0).then(|| Wait {
                reason: format!(
                    "{} more UTXO(s) of {rest} sats wait for the next merge",
                    small.len() - pick.len()
                ),
                threshold,
                missing: 0,
            });
            return Ok(Plan { pushes, wait });
        }
        // A follower input costs about the same whatever it carries: when that is more than
        // the policy's share of every waiting UTXO, more payments of this size never add up
        // to a cheap push. Say so instead of naming a shortfall they cannot fill.
        let per_input = rate * follower_vsize(vault)? as u64;
        let largest = small.iter().map(|u| u.amount).max().unwrap_or(0);
        if !cheap_enough(policy, per_input, largest) {
            let missing = threshold.saturating_sub(largest).max(1);
            return Ok(Plan {
                pushes,
                wait: Some(Wait {
                    reason: format!(
                        "{} UTXOs hold {waiting} sats, none above {largest}; merging costs about {per_input} sats an input at {rate} sat/vB, more than {}% of each, so more payments of this size cannot add up to a push within the fee share: a payment of {threshold} sats or more (prepaid calls) moves, or a higher --keeper-max-fee-share",
                        small.len(),
                        f64::from(policy.max_fee_ppm) / 10_000.0
                    ),
                    threshold,
                    missing,
                }),
            });
        }
        let missing = threshold
            .max(cheap_from(policy, fee))
            .saturating_sub(sum.saturating_sub(fee))
            .max(1);
        let wait = Wait {
            reason: format!(
                "{} UTXOs hold {waiting} sats; merged (fee {fee}) they stay below what a push needs at {rate} sat/vB ({threshold} sats: every share above the dust limit and the fee at most {}% of what moves): {missing} sats more are needed",
                small.len(),
                f64::from(policy.max_fee_ppm) / 10_000.0
            ),
            threshold,
            missing,
        };
        return Ok(Plan {
            pushes,
            wait: Some(wait),
        });
    }
    let missing = threshold.saturating_sub(waiting);
    Ok(Plan {
        pushes,
        wait: Some(Wait {
            reason: format!(
                "one UTXO of {waiting} sats is below what a push needs at {rate} sat/vB ({threshold} sats: every share above the dust limit and the fee at most {}% of what moves): {missing} sats more are needed",
                f64::from(policy.max_fee_ppm) / 10_000.0
            ),
            threshold,
            missing,
        }),
    })
}
