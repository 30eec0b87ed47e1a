//! What happened to a payment, from what the chain recorded: the payment's vault output is
//! followed through the distribution or merge that spent it, each parent's share through the
//! next, until every part is paid to an owner, spent on fees, or waits in a vault. The payment
//! page and `GET /api/v1/tx/{txid}` both show this one computation.
//!
//! Where a merge joined this payment with others, what follows is shared pro rata:
//! `floor(x·v/A)` of each output `v` of a spend of `A` sats of which `x` came from this
//! payment, and the owner's part takes the rounding remainder — so at every step, and for
//! the payment as a whole, `paid = to owners + to payees + fees + waiting` exactly. Payees
//! (record format v3: contributors paid to a script, not an asset) are leaves: their shares
//! end there.

use std::collections::BTreeMap;

use bitcoin::{OutPoint, Txid};
use bitmodel_index::rows::Event;
use bitmodel_index::Index;
use bitmodel_protocol::AssetId;
use serde::Serialize;

use crate::Problem;

/// A spend that carried part of the payment one hop.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    pub txid: Txid,
    pub kind: &'static str,
    pub asset: AssetId,
    /// The whole spend as recorded: sats in, fee.
    pub spend_amount: u64,
    pub spend_fee: u64,
    /// This payment's part of it.
    pub carried: u64,
    pub fee: u64,
    pub to_owner: u64,
    pub to_parents: Vec<(AssetId, u64)>,
    /// Paid to the spending asset's payees: (script hex, sats).
    pub to_payees: Vec<(String, u64)>,
}

/// Part of the payment still in a vault.
#[derive(Clone, Debug, Serialize)]
pub struct Waiting {
    pub asset: AssetId,
    pub outpoint: OutPoint,
    pub sats: u64,
}

/// One payment into one vault output (or a direct payment) and where it went.
#[derive(Clone, Debug, Serialize)]
pub struct Carried {
    pub asset: AssetId,
    pub amount: u64,
    pub steps: Vec<Step>,
    pub waiting: Vec<Waiting>,
    /// Paid to each asset's owner, by asset.
    pub to_owners: BTreeMap<AssetId, u64>,
    /// Paid to payees, by script (hex).
    pub to_payees: BTreeMap<String, u64>,
    pub fees: u64,
    /// For a direct payment (no vaults): `(asset, owed, paid)` as recorded; `amount` is the
    /// amount its marker declares, and `to_owners` what each contributor was paid.
    pub direct: Option<Vec<(AssetId, u64, u64)>>,
}

impl Carried {
    pub fn waiting_total(&self) -> u64 {
        self.waiting.iter().map(|w| w.sats).sum()
    }

    pub fn owners_total(&self) -> u64 {
        self.to_owners.values().sum()
    }

    pub fn payees_total(&self) -> u64 {
        self.to_payees.values().sum()
    }
}

fn part(x: u64, v: u64, a: u64) -> u64 {
    if a == 0 {
        return 0;
    }
    (u128::from(x) * u128::from(v) / u128::from(a)) as u64
}

/// Every payment `txid` made, followed. Empty when it made none.
pub fn trace(index: &Index, txid: &Txid) -> Result<Vec<Carried>, Problem> {
    let mut out = Vec::new();
    for e in index.events(txid)? {
        match e {
            Event::Payment {
                asset,
                vout,
                amount,
            } => out.push(follow(index, asset, OutPoint::new(*txid, vout), amount)?),
            Event::Direct {
                asset,
                amount,
                payouts,
                payee_payouts,
                ..
            } => {
                let mut to_owners = BTreeMap::new();
                for (a, _, paid) in &payouts {
                    *to_owners.entry(*a).or_insert(0) += paid;
                }
                let mut to_payees = BTreeMap::new();
                for (script, _, paid) in &payee_payouts {
                    *to_payees.entry(script.clone()).or_insert(0) += paid;
                }
                out.push(Carried {
                    asset,
                    amount,
                    steps: Vec::new(),
                    waiting: Vec::new(),
                    to_owners,
                    to_payees,
                    // What the payer paid beyond the shares stayed with the payer's change or
                    // the miner; a direct payment records only what reached owners.
                    fees: 0,
                    direct: Some(payouts),
                });
            }
            _ => {}
        }
    }
    Ok(out)
}

fn follow(index: &Index, asset: AssetId, start: OutPoint, amount: u64) -> Result<Carried, Problem> {
    let mut c = Carried {
        asset,
        amount,
        steps: Vec::new(),
        waiting: Vec::new(),
        to_owners: BTreeMap::new(),
        to_payees: BTreeMap::new(),
        fees: 0,
        direct: None,
    };
    // (outpoint, the asset it is booked to, sats of this payment in it)
    let mut queue = std::collections::VecDeque::from([(start, asset, amount)]);
    while let Some((op, holder, x)) = queue.pop_front() {
        if x == 0 {
            continue;
        }
        let Some(spender) = index.spent_by(&op)? else {
            c.waiting.push(Waiting {
                asset: holder,
                outpoint: op,
                sats: x,
            });
            continue;
        };
        let spend = index.events(&spender)?.into_iter().find_map(|e| match e {
            Event::Distribution {
                asset,
                amount,
                fee,
                to_parents,
                to_payees,
                parent_vouts,
                to_splitters,
                ..
            } => Some((
                asset,
                amount,
                fee,
                Some((to_parents, to_payees, parent_vouts, to_splitters)),
            )),
            Event::Merge {
                asset, amount, fee, ..
            } => Some((asset, amount, fee, None)),
            _ => None,
        });
        let Some((spend_asset, a, f, dist)) = spend else {
            return Err(Problem::internal(format!(
                "vault outpoint {op} was spent by {spender}, which the index recorded as neither a distribution nor a merge"
            )));
        };
        let fee = part(x, f, a);
        c.fees += fee;
        match dist {
            Some((parents, payees, vouts, splitters)) => {
                let mut to_parents = Vec::new();
                for (i, (p, v)) in parents.iter().enumerate() {
                    let share = part(x, *v, a);
                    to_parents.push((*p, share));
                    // A distribute pays the parents first, in record order: vout i (a wide
                    // record's event names each parent's vout).
                    let vout = vouts.get(i).copied().unwrap_or(i as u32);
                    queue.push_back((OutPoint::new(spender, vout), *p, share));
                }
                // Shares on their way down the asset's splitters are followed there.
                let mut down = 0;
                for (_, vout, v) in &splitters {
                    let share = part(x, *v, a);
                    down += share;
                    queue.push_back((OutPoint::new(spender, *vout), spend_asset, share));
                }
                let mut to_payees = Vec::new();
                for (script, v) in &payees {
                    let share = part(x, *v, a);
                    *c.to_payees.entry(script.clone()).or_insert(0) += share;
                    to_payees.push((script.clone(), share));
                }
                let to_owner = x
                    - fee
                    - down
                    - to_parents.iter().map(|t| t.1).sum::<u64>()
                    - to_payees.iter().map(|t| t.1).sum::<u64>();
                *c.to_owners.entry(spend_asset).or_insert(0) += to_owner;
                c.steps.push(Step {
                    txid: spender,
                    kind: "distribution",
                    asset: spend_asset,
                    spend_amount: a,
                    spend_fee: f,
                    carried: x,
                    fee,
                    to_owner,
                    to_parents,
                    to_payees,
                });
            }
            None => {
                let on = x - fee;
                queue.push_back((OutPoint::new(spender, 0), spend_asset, on));
                c.steps.push(Step {
                    txid: spender,
                    kind: "merge",
                    asset: spend_asset,
                    spend_amount: a,
                    spend_fee: f,
                    carried: x,
                    fee,
                    to_owner: 0,
                    to_parents: Vec::new(),
                    to_payees: Vec::new(),
                });
            }
        }
    }
    c.steps = merge_steps(c.steps);
    debug_assert_eq!(
        c.amount,
        c.owners_total() + c.payees_total() + c.fees + c.waiting_total()
    );
    Ok(c)
}

/// One row per spend: parts of the payment that reached the same spend by different paths
/// (two parents' shares merged in a shared ancestor's vault) are added up.
fn merge_steps(steps: Vec<Step>) -> Vec<Step> {
    let mut out: Vec<Step> = Vec::new();
    for s in steps {
        match out.iter_mut().find(|o| o.txid == s.txid) {
            Some(o) => {
                o.carried += s.carried;
                o.fee += s.fee;
                o.to_owner += s.to_owner;
                for (p, v) in s.to_parents {
                    match o.to_parents.iter_mut().find(|t| t.0 == p) {
                        Some(t) => t.1 += v,
                        None => o.to_parents.push((p, v)),
                    }
                }
                for (p, v) in s.to_payees {
                    match o.to_payees.iter_mut().find(|t| t.0 == p) {
                        Some(t) => t.1 += v,
                        None => o.to_payees.push((p, v)),
                    }
                }
            }
            None => out.push(s),
        }
    }
    out
}
