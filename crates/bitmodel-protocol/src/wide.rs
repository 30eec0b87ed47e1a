//! The split of splits (`docs/splitters.md`): how an asset with more than 11 members
//! (parents and payees) pays them through a tree of splitters, and what each member gets.
//! Pure: the covenant crate builds the splitters' scripts from this tree, the indexer and the
//! explorer compute payouts with [`pay`], and a property test checks that the scripts pay
//! exactly what [`pay`] says.

use crate::split::{share, share_over};

/// Children per node at most: one distribute leaf pays 11 outputs besides the owner's (a
/// splitter's first child takes the owner's place).
pub const FAN_OUT: usize = 11;

/// A node of the tree: a member (by its index in the record's members, parents first, then
/// payees) or a splitter over a run of members.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    Member(usize),
    Splitter {
        /// The sum of its members' weights: what its children's weights are parts of.
        weight: u16,
        children: Vec<Node>,
    },
}

impl Node {
    pub fn weight(&self, weights: &[u16]) -> u16 {
        match self {
            Node::Member(i) => weights[*i],
            Node::Splitter { weight, .. } => *weight,
        }
    }

    /// Levels below this node (a member: 0).
    pub fn depth(&self) -> usize {
        match self {
            Node::Member(_) => 0,
            Node::Splitter { children, .. } => {
                1 + children.iter().map(Node::depth).max().unwrap_or(0)
            }
        }
    }
}

/// The vault's children for members with these weights, in order: the members themselves
/// when there are at most 11, else a complete 11-ary tree of splitters over consecutive runs.
pub fn tree(weights: &[u16]) -> Vec<Node> {
    build(weights, 0, weights.len())
}

fn build(weights: &[u16], from: usize, to: usize) -> Vec<Node> {
    let n = to - from;
    if n <= FAN_OUT {
        return (from..to).map(Node::Member).collect();
    }
    // Members per child: the smallest power of 11 that fits the run into 11 children.
    let mut per = 1;
    while per * FAN_OUT < n {
        per *= FAN_OUT;
    }
    (from..to)
        .step_by(per)
        .map(|start| {
            let end = (start + per).min(to);
            if end - start == 1 {
                return Node::Member(start);
            }
            let weight: u32 = weights[start..end].iter().map(|w| u32::from(*w)).sum();
            Node::Splitter {
                weight: weight as u16,
                children: build(weights, start, end),
            }
        })
        .collect()
}

/// What each member receives of `total` (the vault's `A − F`) when every splitter pays
/// `splitter_fee` (at most what reaches it), and what the owner keeps. Level 0 gives child
/// `c` `floor(total·W_c/10000)`; a splitter holding `a` gives child `c ≥ 2`
/// `floor((a − fee)·W_c/W_g)` and child 1 the rest.
pub fn pay(weights: &[u16], total: u64, splitter_fee: u64) -> (Vec<u64>, u64) {
    pay_with(weights, total, |_| splitter_fee)
}

/// [`pay`] with each splitter's own fee: `fee(n)` for splitter `n`, numbered in pre-order (a
/// splitter before its own splitters, children in order) — the numbering the covenant crate's
/// `record_vaults` and the index use, so the fees a chain's spends really paid give exactly
/// what the chain paid each member.
pub fn pay_with(weights: &[u16], total: u64, fee: impl Fn(u16) -> u64) -> (Vec<u64>, u64) {
    let mut out = vec![0u64; weights.len()];
    let mut owner = total;
    let mut next = 0;
    for c in &tree(weights) {
        let s = share(total, c.weight(weights));
        owner -= s;
        give(c, s, weights, &fee, &mut next, &mut out);
    }
    (out, owner)
}

fn give(
    node: &Node,
    amount: u64,
    weights: &[u16],
    fee: &impl Fn(u16) -> u64,
    next: &mut u16,
    out: &mut [u64],
) {
    match node {
        Node::Member(i) => out[*i] += amount,
        Node::Splitter { weight, children } => {
            let a = amount - fee(*next).min(amount);
            *next += 1;
            let shares: Vec<u64> = children[1..]
                .iter()
                .map(|c| share_over(a, c.weight(weights), *weight))
                .collect();
            let first = a - shares.iter().sum::<u64>();
            for (c, s) in children.iter().zip(std::iter::once(first).chain(shares)) {
                give(c, s, weights, fee, next, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn shapes() {
        assert_eq!(tree(&[1; 11]).len(), 11);
        let t = tree(&[1; 12]);
        assert_eq!(
            t.len(),
            2,
            "two splitters of 11 and 1 → the second is the member itself"
        );
        assert_eq!(t[1], Node::Member(11));
        let t = tree(&vec![1; 1_000]);
        assert_eq!(t.len(), 9, "1,000 members: 121 per top child");
        assert_eq!(t.iter().map(Node::depth).max(), Some(2));
        assert_eq!(tree(&vec![1; 121])[0].depth(), 1);
    }

    fn members() -> impl Strategy<Value = Vec<u16>> {
        (12usize..=1_000).prop_flat_map(|n| {
            prop::collection::vec(1u16..=9, n).prop_filter("≤ 10000", |w| {
                w.iter().map(|x| u32::from(*x)).sum::<u32>() <= 10_000
            })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Nothing is lost, and each member gets at least the flat rule's share minus the
        /// tree's depth (no splitter fees).
        #[test]
        fn the_tree_conserves_and_stays_within_depth_of_the_flat_rule(
            w in members(),
            total in 0u64..(1 << 31),
        ) {
            let (out, owner) = pay(&w, total, 0);
            prop_assert_eq!(out.iter().sum::<u64>() + owner, total);
            let depth = 1 + tree(&w).iter().map(Node::depth).max().unwrap_or(0) as u64;
            for (i, got) in out.iter().enumerate() {
                let flat = share(total, w[i]);
                prop_assert!(*got + depth >= flat, "member {} got {} < flat {} − {}", i, got, flat, depth);
            }
            // The owner never gets more than under the flat rule.
            let flat_owner = total - w.iter().map(|x| share(total, *x)).sum::<u64>();
            prop_assert!(owner <= flat_owner);
        }
    }
}
