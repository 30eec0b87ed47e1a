//! Keyless spends of a vault. Anyone can build them: nothing here needs a key, only the
//! vault's terms and its UTXOs. The builders grind nLockTime (every input's nSequence is
//! final, so the lock time is not enforced) until the challenge fits the leaf.
//!
//! Invariants, asserted by the tests on every spend: outputs equal the split rule sat for
//! sat (parents in record order, then the owner); the fee is exactly `F` (plus, only when the
//! weights sum to 10000, the owner's rounding remainder); amounts stay below 2^31.

use bitcoin::absolute::LockTime;
use bitcoin::transaction::Version;
use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Witness};
use bitmodel_protocol::split::split_over;

use bitcoin::TapSighashType;

use crate::asm::scriptnum;
use crate::leaves::{self, SLOTS};
use crate::sigmsg::{challenge, pieces, suffix, usable};
use crate::vault::{Vault, VaultTerms};
use crate::{CovenantError, MAX_MERGE};
use bitmodel_protocol::MAX_SCRIPT_AMOUNT;

/// Lock times tried before giving up; each try succeeds with probability ~0.49 per input.
pub const MAX_GRIND: u32 = 1 << 20;
/// The smallest vault UTXO a merge takes: the leader's 8-byte amounts need 2..=4-byte numbers.
pub const MIN_MERGE_INPUT: u64 = 128;

/// A vault UTXO.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Utxo {
    pub outpoint: OutPoint,
    pub amount: u64,
}

/// A built spend and how many lock times were tried.
#[derive(Clone, Debug)]
pub struct Built {
    pub tx: Transaction,
    pub spent: Vec<TxOut>,
    pub tries: u32,
}

/// The `distribute` spend of one vault UTXO with fee `fee`.
pub fn build_distribute(vault: &Vault, utxo: Utxo, fee: u64) -> Result<Built, CovenantError> {
    let terms = &vault.terms;
    if fee > terms.fee_cap {
        return Err(CovenantError::FeeAboveCap {
            fee,
            cap: terms.fee_cap,
        });
    }
    if utxo.amount > MAX_SCRIPT_AMOUNT {
        return Err(CovenantError::AmountTooLarge(utxo.amount));
    }
    let outputs = distribute_outputs(terms, utxo.amount, fee).ok_or_else(|| {
        CovenantError::BelowThreshold {
            amount: utxo.amount,
            fee,
            needed: distribution_threshold(terms, fee).unwrap_or(u64::MAX),
        }
    })?;
    let total = utxo.amount - fee;
    let den = u64::from(terms.denominator);
    let (q, r) = (total / den, total % den);
    // The documented invariant: outputs are the split, each parent floor(T·w/den) (computed
    // here in u128, independently of split_over), then the owner the rest, so they sum to
    // A − F — except when the weights take the whole denominator and there is no owner
    // output: the rounding remainder (below the number of parents) then adds to the fee.
    debug_assert!(
        {
            let sum: u64 = outputs.iter().map(|o| o.value.to_sat()).sum();
            if terms.has_owner_output() {
                sum == total && outputs.len() == terms.parents.len() + 1
            } else {
                total - sum < terms.parents.len() as u64 + 1 && outputs.len() == terms.parents.len()
            }
        },
        "distribute outputs must be the split of amount − fee"
    );
    debug_assert!(
        terms.parents.iter().zip(&outputs).all(|(p, o)| {
            u128::from(o.value.to_sat())
                == u128::from(total) * u128::from(p.weight) / u128::from(den)
        }),
        "each parent's output must be floor((A − F)·w/den)"
    );
    let spent = vec![TxOut {
        value: Amount::from_sat(utxo.amount),
        script_pubkey: vault.script_pubkey().clone(),
    }];
    let mut tx = unsigned(&[utxo], outputs);
    let leaf = &vault.distribute;
    let leaf_hash = Vault::leaf_hash(leaf);
    let (e, tries) = grind(&mut tx, &spent, &[(0, TapSighashType::Default)], leaf_hash)?;
    let p = pieces(&tx, &spent);
    let mut w = Witness::new();
    w.push(&e[0][..31]);
    w.push(&e[0][31..]);
    w.push(suffix(leaf_hash));
    w.push(p.p2());
    w.push(p.p1());
    w.push(scriptnum(q as i64));
    w.push(scriptnum(fee as i64));
    w.push(scriptnum(utxo.amount as i64));
    for parent in &terms.parents {
        w.push(scriptnum((r * u64::from(parent.weight) / den) as i64));
    }
    w.push(leaf.as_bytes());
    w.push(vault.control_block(leaf).serialize());
    tx.input[0].witness = w;
    Ok(Built { tx, spent, tries })
}

/// The merge of `utxos` (2..=8, all of this vault) with fee `fee`: input 0 spends the merge
/// leader, the others the follower.
pub fn build_merge(vault: &Vault, utxos: &[Utxo], fee: u64) -> Result<Built, CovenantError> {
    let k = utxos.len();
    if !(2..=MAX_MERGE).contains(&k) {
        return Err(CovenantError::MergeCount(k));
    }
    if fee > vault.terms.fee_cap {
        return Err(CovenantError::FeeAboveCap {
            fee,
            cap: vault.terms.fee_cap,
        });
    }
    let sum: u64 = utxos.iter().map(|u| u.amount).sum();
    if let Some(big) = utxos.iter().find(|u| u.amount > MAX_SCRIPT_AMOUNT) {
        return Err(CovenantError::AmountTooLarge(big.amount));
    }
    if let Some(tiny) = utxos.iter().find(|u| u.amount < MIN_MERGE_INPUT) {
        return Err(CovenantError::MergeInputTooSmall(tiny.amount));
    }
    if sum > MAX_SCRIPT_AMOUNT || fee > sum {
        return Err(CovenantError::MergeOutOfRange {
            sum,
            fee,
            left: sum.saturating_sub(fee),
        });
    }
    let out = sum - fee;
    let dust = vault.script_pubkey().minimal_non_dust().to_sat();
    if out < dust {
        return Err(CovenantError::MergeBelowDust { amount: out, dust });
    }
    let spk = vault.script_pubkey().clone();
    let spent: Vec<TxOut> = utxos
        .iter()
        .map(|u| TxOut {
            value: Amount::from_sat(u.amount),
            script_pubkey: spk.clone(),
        })
        .collect();
    let mut tx = unsigned(
        utxos,
        vec![TxOut {
            value: Amount::from_sat(out),
            script_pubkey: spk.clone(),
        }],
    );
    let lead_hash = Vault::leaf_hash(&vault.merge);
    let follow_hash = Vault::leaf_hash(&vault.follow);
    // Grinding needs every input's challenge usable at once; the follower's depends on its
    // own leaf and hash type, so grind each input against the leaf it will reveal.
    let inputs: Vec<(usize, TapSighashType, bitcoin::TapLeafHash)> = (0..k)
        .map(|j| {
            if j == 0 {
                (0, TapSighashType::Default, lead_hash)
            } else {
                (j, TapSighashType::None, follow_hash)
            }
        })
        .collect();
    let (es, tries) = grind_leaves(&mut tx, &spent, &inputs)?;
    let p = pieces(&tx, &spent);
    let bits = (k - 1) as u8;
    let bit = |i: u8| -> Vec<u8> {
        if bits >> i & 1 == 1 {
            vec![1]
        } else {
            vec![]
        }
    };
    // Slots s_1..s_8: input 0 in s_1, then the present groups (s_2 | s_3 s_4 | s_5..s_8).
    let present = |slot: usize| match slot {
        1 => true,
        2 => bits & 1 == 1,
        3..=4 => bits & 2 == 2,
        _ => bits & 4 == 4,
    };
    let mut slots = vec![Vec::new(); SLOTS + 1];
    let mut amounts = utxos.iter();
    for (slot, item) in slots.iter_mut().enumerate().skip(1) {
        if present(slot) {
            let u = amounts.next().expect("k inputs fill k slots");
            *item = scriptnum(u.amount as i64);
        }
    }
    let mut lead = Witness::new();
    lead.push(&es[0][..31]);
    lead.push(&es[0][31..]);
    lead.push(suffix(lead_hash));
    lead.push(p.sha_sequences);
    lead.push(p.p1());
    lead.push(spk.as_bytes());
    lead.push(bit(2));
    lead.push(bit(1));
    lead.push(bit(0));
    lead.push(scriptnum(fee as i64));
    for slot in (1..=SLOTS).rev() {
        lead.push(&slots[slot]);
    }
    lead.push(vault.merge.as_bytes());
    lead.push(vault.control_block(&vault.merge).serialize());
    tx.input[0].witness = lead;
    let control = vault.control_block(&vault.follow).serialize();
    for (j, e) in es.iter().enumerate().skip(1) {
        let mut w = Witness::new();
        w.push(&e[..31]);
        w.push(&e[31..]);
        w.push(suffix(follow_hash));
        w.push(p.mid());
        w.push(scriptnum(j as i64));
        w.push(p.pre(leaves::SIGHASH_NONE));
        w.push(spk.as_bytes());
        w.push(bit(2));
        w.push(bit(1));
        w.push(bit(0));
        w.push(vault.follow.as_bytes());
        w.push(&control);
        tx.input[j].witness = w;
    }
    Ok(Built { tx, spent, tries })
}

/// The outputs `distribute` must create, or `None` if some output would be below dust.
pub fn distribute_outputs(terms: &VaultTerms, amount: u64, fee: u64) -> Option<Vec<TxOut>> {
    let s = split_over(amount, fee, &terms.weights(), terms.denominator).ok()?;
    let mut outs = Vec::with_capacity(terms.parents.len() + 1);
    for (p, v) in terms.parents.iter().zip(&s.parents) {
        if *v < p.dust() {
            return None;
        }
        outs.push(TxOut {
            value: Amount::from_sat(*v),
            script_pubkey: p.script_pubkey.clone(),
        });
    }
    if terms.has_owner_output() {
        if s.owner < terms.owner_dust() {
            return None;
        }
        outs.push(TxOut {
            value: Amount::from_sat(s.owner),
            script_pubkey: terms.owner.clone(),
        });
    }
    Some(outs)
}

/// The smallest vault balance from which `distribute` with fee `fee` succeeds: below it a
/// share would be dust and the vault simply waits for more payments.
pub fn distribution_threshold(terms: &VaultTerms, fee: u64) -> Result<u64, CovenantError> {
    let den = u64::from(terms.denominator);
    // Every parent needs floor(T·w/10000) >= dust, so T >= ceil(dust·10000/w).
    let mut t = terms
        .parents
        .iter()
        .map(|p| (p.dust() * den).div_ceil(u64::from(p.weight)))
        .max()
        .unwrap_or(0);
    if terms.has_owner_output() {
        // owner = T − Σ floor(T·w/10000) ≤ T·(10000 − Σw)/10000 + k, so below this bound the
        // owner's output is certainly dust; start there instead of stepping up to it.
        let free = den
            - terms
                .parents
                .iter()
                .map(|p| u64::from(p.weight))
                .sum::<u64>();
        let k = terms.parents.len() as u64;
        let owner_floor = (terms.owner_dust().saturating_sub(k) * den) / free;
        t = t.max(terms.owner_dust()).max(owner_floor);
    }
    // The owner's remainder is not monotone in T, so step until everything fits (at most a
    // few thousand steps: the owner's share grows by about (10000 − Σw)/10000 per sat).
    let limit = MAX_SCRIPT_AMOUNT.saturating_sub(fee);
    while t <= limit {
        if distribute_outputs(terms, t + fee, fee).is_some() {
            return Ok(t + fee);
        }
        t += 1;
    }
    Err(CovenantError::NeverDistributable)
}

fn unsigned(utxos: &[Utxo], output: Vec<TxOut>) -> Transaction {
    Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: utxos
            .iter()
            .map(|u| TxIn {
                previous_output: u.outpoint,
                script_sig: ScriptBuf::new(),
                sequence: Sequence::MAX,
                witness: Witness::new(),
            })
            .collect(),
        output,
    }
}

/// Tries lock times until every listed input's challenge (for one leaf) is usable.
fn grind(
    tx: &mut Transaction,
    spent: &[TxOut],
    inputs: &[(usize, TapSighashType)],
    leaf: bitcoin::TapLeafHash,
) -> Result<(Vec<[u8; 32]>, u32), CovenantError> {
    let inputs: Vec<_> = inputs.iter().map(|(i, t)| (*i, *t, leaf)).collect();
    grind_leaves(tx, spent, &inputs)
}

/// Tries lock times until every listed input's challenge is usable; each input names the
/// hash type and leaf its script will use.
fn grind_leaves(
    tx: &mut Transaction,
    spent: &[TxOut],
    inputs: &[(usize, TapSighashType, bitcoin::TapLeafHash)],
) -> Result<(Vec<[u8; 32]>, u32), CovenantError> {
    for n in 0..MAX_GRIND {
        tx.lock_time = LockTime::from_consensus(n);
        let es: Vec<[u8; 32]> = inputs
            .iter()
            .map(|(i, t, leaf)| challenge(tx, spent, *i, *leaf, *t))
            .collect();
        if es.iter().all(usable) {
            return Ok((es, n + 1));
        }
    }
    Err(CovenantError::GrindExhausted(MAX_GRIND))
}

/// A fee cap that lets a vault with `parents` parents distribute at up to ~20 sat/vB (and
/// always at Fractal's 1 sat/vB relay floor): 20 × an upper bound of the spend's vsize. It
/// stays below 2^16 sats so that a fee can never be confused with an amount's high bytes.
pub fn recommended_fee_cap(parents: usize) -> u64 {
    let vsize_bound = 400 + 100 * parents as u64;
    20 * vsize_bound
}

/// `distribute` paying at least `sat_per_vb` for its own size. The fee changes the witness
/// numbers (and so the size) a little, so this settles in a couple of rounds.
pub fn build_distribute_at_rate(
    vault: &Vault,
    utxo: Utxo,
    sat_per_vb: u64,
) -> Result<Built, CovenantError> {
    let mut fee = 0;
    for _ in 0..8 {
        let built = build_distribute(vault, utxo, fee)?;
        let needed = sat_per_vb * built.tx.vsize() as u64;
        if fee >= needed {
            return Ok(built);
        }
        fee = needed + sat_per_vb * 2;
    }
    build_distribute(vault, utxo, fee)
}
