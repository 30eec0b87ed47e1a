use proptest::prelude::*;

use super::*;

/// paper(0) ← base(1) ← finetune(2) ← quant(3); dataset(4) ← base(1); dataset(4) ← finetune(2)
fn lineage() -> Graph {
    Graph::from_edges(
        5,
        &[
            (1, 0, 1000),
            (1, 4, 500),
            (2, 1, 3000),
            (2, 4, 1000),
            (3, 2, 5000),
        ],
    )
    .unwrap()
}

#[test]
fn flatten_worked_example() {
    let g = lineage();
    let r = g.flatten(3, 1_000_000);
    let get = |n: u32| *r.iter().find(|x| x.node == n).unwrap();
    // quant keeps 50%, passes 500,000 to finetune
    assert_eq!((get(3).received, get(3).keeps), (1_000_000, 500_000));
    // finetune: 150,000 to base, 50,000 to dataset, keeps 300,000
    assert_eq!((get(2).received, get(2).keeps), (500_000, 300_000));
    // base: 15,000 to paper, 7,500 to dataset, keeps 127,500
    assert_eq!((get(1).received, get(1).keeps), (150_000, 127_500));
    assert_eq!(get(0).keeps, 15_000);
    // dataset over two paths: 50,000 + 7,500
    assert_eq!(get(4).keeps, 57_500);
    assert_eq!(r.iter().map(|x| x.keeps).sum::<u64>(), 1_000_000);
    assert_eq!(get(4).ppm, 57_500);
    assert_eq!(r.iter().map(|x| u64::from(x.ppm)).sum::<u64>(), 1_000_000);
    // source comes first, every parent after its children
    assert_eq!(r[0].node, 3);
}

#[test]
fn build_errors() {
    assert_eq!(
        Graph::from_edges(2, &[(0, 1, 10), (1, 0, 10)]).unwrap_err(),
        GraphError::Cycle(0)
    );
    assert_eq!(
        Graph::from_edges(2, &[(0, 0, 10)]).unwrap_err(),
        GraphError::SelfLoop(0)
    );
    assert_eq!(
        Graph::from_edges(2, &[(0, 5, 10)]).unwrap_err(),
        GraphError::NodeOutOfRange {
            index: 0,
            node: 5,
            nodes: 2
        }
    );
    assert!(matches!(
        Graph::from_edges(2, &[(0, 1, 0)]).unwrap_err(),
        GraphError::BadWeight { .. }
    ));
    assert_eq!(
        Graph::from_edges(3, &[(0, 1, 6000), (0, 2, 4001)]).unwrap_err(),
        GraphError::WeightSum {
            node: 0,
            sum: 10_001
        }
    );
    let g = lineage();
    assert_eq!(
        g.full_pass(&[1, 2]).unwrap_err(),
        GraphError::PaymentsLength {
            expected: 5,
            got: 2
        }
    );
    assert_eq!(
        g.full_pass(&[u64::MAX, 1, 0, 0, 0]).unwrap_err(),
        GraphError::PaymentsOverflow
    );
}

/// A random DAG: node i's parents are drawn from nodes < i (so it is acyclic), weights sum
/// to at most 10000.
fn dag() -> impl Strategy<Value = (usize, Vec<(u32, u32, u16)>)> {
    (2usize..40).prop_flat_map(|n| {
        let per_node = (1..n)
            .map(|i| {
                prop::collection::vec((0..i as u32, 1u16..=3000), 0..4).prop_map(move |ps| (i, ps))
            })
            .collect::<Vec<_>>();
        per_node.prop_map(move |nodes| {
            let mut edges = Vec::new();
            for (i, ps) in nodes {
                let mut sum = 0u32;
                for (p, w) in ps {
                    if sum + u32::from(w) <= 10_000 {
                        sum += u32::from(w);
                        edges.push((i as u32, p, w));
                    }
                }
            }
            (n, edges)
        })
    })
}

proptest! {
    #[test]
    fn flatten_conserves_every_sat((n, edges) in dag(), amount in 0u64..=1 << 63, src in any::<prop::sample::Index>()) {
        let g = Graph::from_edges(n, &edges).unwrap();
        let source = src.index(n) as u32;
        let r = g.flatten(source, amount);
        let kept: u128 = r.iter().map(|x| u128::from(x.keeps)).sum();
        prop_assert_eq!(kept, u128::from(amount));
        for x in &r {
            prop_assert!(x.keeps <= x.received);
        }
    }

    #[test]
    fn flatten_is_deterministic_and_order_independent((n, edges) in dag(), amount in any::<u64>(), seed in any::<u64>()) {
        let g = Graph::from_edges(n, &edges).unwrap();
        // The same edges presented in another order give the same result.
        let mut keyed: Vec<(u64, (u32, u32, u16))> = edges
            .iter()
            .enumerate()
            .map(|(i, e)| ((i as u64 ^ seed).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(17), *e))
            .collect();
        keyed.sort_unstable();
        let shuffled: Vec<(u32, u32, u16)> = keyed.into_iter().map(|(_, e)| e).collect();
        let g2 = Graph::from_edges(n, &shuffled).unwrap();
        let source = (n - 1) as u32;
        let mut a = g.flatten(source, amount);
        let mut b = g2.flatten(source, amount);
        a.sort_by_key(|r| r.node);
        b.sort_by_key(|r| r.node);
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(g.flatten(source, amount), g.flatten(source, amount));
    }

    #[test]
    fn received_is_monotone_in_amount((n, edges) in dag(), amount in 0u64..1 << 62, extra in 0u64..1 << 30) {
        let g = Graph::from_edges(n, &edges).unwrap();
        let source = (n - 1) as u32;
        let lo = g.flatten(source, amount);
        let hi = g.flatten(source, amount + extra);
        for (l, h) in lo.iter().zip(&hi) {
            prop_assert_eq!(l.node, h.node);
            prop_assert!(l.received <= h.received);
        }
    }

    #[test]
    fn full_pass_conserves_and_matches_flatten((n, edges) in dag(), pays in prop::collection::vec(0u64..1 << 50, 40), k in any::<prop::sample::Index>()) {
        let g = Graph::from_edges(n, &edges).unwrap();
        let payments: Vec<u64> = pays[..n].to_vec();
        let fp = g.full_pass(&payments).unwrap();
        prop_assert_eq!(fp.keeps.iter().map(|x| u128::from(*x)).sum::<u128>(), payments.iter().map(|x| u128::from(*x)).sum::<u128>());
        // A single payment through the full pass is exactly that payment flattened.
        let source = k.index(n);
        let mut single = vec![0u64; n];
        single[source] = payments[source];
        let fp1 = g.full_pass(&single).unwrap();
        for r in g.flatten(source as u32, payments[source]) {
            prop_assert_eq!(fp1.keeps[r.node as usize], r.keeps);
            prop_assert_eq!(fp1.received[r.node as usize], r.received);
        }
    }
}
