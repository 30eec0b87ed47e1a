//! C-Flow over a whole graph: where a payment ends up after it has been distributed hop by
//! hop along the DAG, for one payment ([`Graph::flatten`]) or for a payment to every asset at
//! once ([`Graph::full_pass`]).
//!
//! Semantics: each asset that receives money from a payment distributes what it received
//! *once*, with the split rule (over its tree of splitters when it has more than 11
//! members, as the chain pays it), after all of its children have distributed. An ancestor reached over several paths (a diamond)
//! therefore receives the sum of what every path brings it, and rounds once. This equals a
//! vault that merges everything one payment brought it and then distributes, and it makes
//! both passes linear in the number of edges. Fees are not part of flattening.
//!
//! Layout: nodes are renumbered into a topological order in which every child comes before
//! its parents, and edges are stored child-major in three flat arrays (CSR). A pass is then
//! one forward sweep: read a node's inflow, push shares to its parents (always later in the
//! order), keep the rest. No recursion, no hashing, 6 bytes per edge plus 12 per node.

mod build;
mod layers;
#[cfg(test)]
mod tests;

use serde::Serialize;

pub use build::GraphError;
pub use layers::layers;

use crate::split::share;

/// Fixed-point unit for effective shares: 10^18 = the whole payment.
const FRACTION_ONE: u128 = 1_000_000_000_000_000_000;

/// An immutable C-Flow DAG. Node ids given to and returned from the API are the caller's
/// ids (`0..n`); internally everything is in topological positions.
#[derive(Clone, Debug)]
pub struct Graph {
    /// `parents[offsets[p]..offsets[p+1]]` are the parents of position `p`.
    offsets: Vec<u32>,
    parents: Vec<u32>,
    weights: Vec<u16>,
    /// Caller id → topological position.
    to_topo: Vec<u32>,
    /// Topological position → caller id.
    from_topo: Vec<u32>,
}

/// What one asset ends up with from a flattened payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Recipient {
    /// The caller's node id.
    pub node: u32,
    /// Everything that reached this asset's vault from the payment.
    pub received: u64,
    /// What its owner keeps after it distributed to its own parents.
    pub keeps: u64,
    /// `keeps` as an exact (unrounded-by-amount) fraction of the payment, in parts per
    /// million, rounded to nearest.
    pub ppm: u32,
}

/// Reusable buffers for [`Graph::flatten_into`], so repeated flattening does not allocate.
#[derive(Clone, Debug, Default)]
pub struct Scratch {
    mark: Vec<u32>,
    epoch: u32,
    inflow: Vec<u64>,
    fraction: Vec<u128>,
    touched: Vec<u32>,
    stack: Vec<u32>,
}

impl Graph {
    pub fn node_count(&self) -> usize {
        self.from_topo.len()
    }

    pub fn edge_count(&self) -> usize {
        self.parents.len()
    }

    /// Bytes held by the graph's arrays, for the bytes-per-edge figure.
    pub fn heap_bytes(&self) -> usize {
        self.offsets.len() * 4
            + self.parents.len() * 4
            + self.weights.len() * 2
            + self.to_topo.len() * 4
            + self.from_topo.len() * 4
    }

    /// Flattens one payment of `amount` sats to `source`: every asset that gets anything,
    /// ordered children first (the source first). `Σ keeps == amount`.
    pub fn flatten(&self, source: u32, amount: u64) -> Vec<Recipient> {
        let mut scratch = Scratch::default();
        let mut out = Vec::new();
        self.flatten_into(&mut scratch, source, amount, true, &mut out);
        out
    }

    /// [`Graph::flatten`] with caller-owned buffers; `with_ppm` also computes the exact
    /// effective shares (a second sweep in 128-bit fixed point).
    pub fn flatten_into(
        &self,
        s: &mut Scratch,
        source: u32,
        amount: u64,
        with_ppm: bool,
        out: &mut Vec<Recipient>,
    ) {
        let n = self.node_count();
        if s.mark.len() != n {
            *s = Scratch {
                mark: vec![0; n],
                inflow: vec![0; n],
                ..Scratch::default()
            };
        }
        if with_ppm && s.fraction.len() != n {
            s.fraction = vec![0; n];
        }
        s.epoch = s.epoch.wrapping_add(1);
        if s.epoch == 0 {
            s.mark.fill(0);
            s.epoch = 1;
        }
        let epoch = s.epoch;
        // Collect the source and all its ancestors.
        let start = self.to_topo[source as usize];
        s.touched.clear();
        s.stack.clear();
        s.stack.push(start);
        s.mark[start as usize] = epoch;
        while let Some(p) = s.stack.pop() {
            s.touched.push(p);
            s.inflow[p as usize] = 0;
            for &q in &self.parents
                [self.offsets[p as usize] as usize..self.offsets[p as usize + 1] as usize]
            {
                if s.mark[q as usize] != epoch {
                    s.mark[q as usize] = epoch;
                    s.stack.push(q);
                }
            }
        }
        s.touched.sort_unstable();
        s.inflow[start as usize] = amount;
        if with_ppm {
            for &p in &s.touched {
                s.fraction[p as usize] = 0;
            }
            s.fraction[start as usize] = FRACTION_ONE;
        }
        out.clear();
        for &p in &s.touched {
            let p = p as usize;
            let range = self.offsets[p] as usize..self.offsets[p + 1] as usize;
            let total = s.inflow[p];
            let mut passed = 0;
            for_each_share(
                total,
                &self.parents[range.clone()],
                &self.weights[range.clone()],
                |q, sh| {
                    s.inflow[q as usize] += sh;
                    passed += sh;
                },
            );
            let mut ppm = 0;
            if with_ppm {
                let f = s.fraction[p];
                let mut f_passed = 0;
                for (q, w) in self.parents[range.clone()].iter().zip(&self.weights[range]) {
                    let fs = f * u128::from(*w) / 10_000;
                    s.fraction[*q as usize] += fs;
                    f_passed += fs;
                }
                let keep = f - f_passed;
                ppm = ((keep + FRACTION_ONE / 2_000_000) / (FRACTION_ONE / 1_000_000)) as u32;
            }
            out.push(Recipient {
                node: self.from_topo[p],
                received: total,
                keeps: total - passed,
                ppm,
            });
        }
    }

    /// Attributes a payment to every asset at once: `payments[id]` sats are paid to each
    /// asset `id`, and everything is distributed up the graph in one sweep. Returns, per
    /// caller id, what each asset received in total and what its owner keeps.
    pub fn full_pass(&self, payments: &[u64]) -> Result<FullPass, GraphError> {
        let n = self.node_count();
        if payments.len() != n {
            return Err(GraphError::PaymentsLength {
                expected: n,
                got: payments.len(),
            });
        }
        payments
            .iter()
            .try_fold(0u64, |acc, p| acc.checked_add(*p))
            .ok_or(GraphError::PaymentsOverflow)?;
        let mut inflow: Vec<u64> = self
            .from_topo
            .iter()
            .map(|id| payments[*id as usize])
            .collect();
        let mut keeps = vec![0u64; n];
        self.full_pass_topo(&mut inflow, &mut keeps);
        let mut out = FullPass {
            received: vec![0; n],
            keeps: vec![0; n],
        };
        for (p, id) in self.from_topo.iter().enumerate() {
            out.received[*id as usize] = inflow[p];
            out.keeps[*id as usize] = keeps[p];
        }
        Ok(out)
    }

    /// The sweep itself, in topological positions: `inflow` holds the payments on entry and
    /// what each position received on exit. The caller guarantees `Σ inflow` fits a u64
    /// (money is conserved, so no partial sum can exceed it).
    pub fn full_pass_topo(&self, inflow: &mut [u64], keeps: &mut [u64]) {
        assert_eq!(
            inflow.len(),
            self.node_count(),
            "inflow has one slot per node"
        );
        assert_eq!(
            keeps.len(),
            self.node_count(),
            "keeps has one slot per node"
        );
        for p in 0..inflow.len() {
            let total = inflow[p];
            let (lo, hi) = (self.offsets[p] as usize, self.offsets[p + 1] as usize);
            let mut passed = 0;
            for_each_share(
                total,
                &self.parents[lo..hi],
                &self.weights[lo..hi],
                |q, sh| {
                    inflow[q as usize] += sh;
                    passed += sh;
                },
            );
            keeps[p] = total - passed;
        }
    }

    /// A plain sweep over the same edge arrays (no arithmetic that matters): the memory
    /// bandwidth reference the benchmark compares the full pass with.
    pub fn sweep_checksum(&self) -> u64 {
        let mut acc = 0u64;
        for (q, w) in self.parents.iter().zip(&self.weights) {
            acc = acc.wrapping_add(u64::from(*q) ^ u64::from(*w));
        }
        for o in &self.offsets {
            acc = acc.wrapping_add(u64::from(*o));
        }
        acc
    }
}

/// What a node holding `total` passes to each of its parents (positions `parents`, weights
/// `weights`, in record order), as the chain pays it: the vault's split for up to
/// [`crate::MAX_PARENTS`] members, else the tree of splitters' ([`crate::wide::pay`], with no
/// splitter fees: fees are not part of flattening), so flattened figures equal the chain's
/// sat for sat. Weights of 10000 at most in total; what is not passed is the node's to keep.
fn for_each_share(total: u64, parents: &[u32], weights: &[u16], mut f: impl FnMut(u32, u64)) {
    if parents.len() <= crate::MAX_PARENTS {
        for (q, w) in parents.iter().zip(weights) {
            f(*q, share(total, *w));
        }
    } else {
        let (shares, _owner) = crate::wide::pay(weights, total, 0);
        for (q, sh) in parents.iter().zip(shares) {
            f(*q, sh);
        }
    }
}

/// Per-asset totals of [`Graph::full_pass`], indexed by caller id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FullPass {
    pub received: Vec<u64>,
    pub keeps: Vec<u64>,
}
