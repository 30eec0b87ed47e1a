//! Building a [`Graph`]: checking the edges, ordering the nodes topologically (Kahn's
//! algorithm, children first) and laying the edges out child-major.

use super::Graph;
use crate::BPS;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    #[error("edge {index} names node {node}, but the graph has only {nodes} nodes")]
    NodeOutOfRange {
        index: usize,
        node: u32,
        nodes: usize,
    },
    #[error("edge {index} ({child} → {parent}) has weight {weight}; each weight must be 1..=10000 basis points")]
    BadWeight {
        index: usize,
        child: u32,
        parent: u32,
        weight: u16,
    },
    #[error(
        "node {node}'s parents' weights sum to {sum} basis points; they must sum to at most 10000"
    )]
    WeightSum { node: u32, sum: u32 },
    #[error("node {0} names itself as a parent")]
    SelfLoop(u32),
    #[error("the edges contain a cycle through node {0}; C-Flow graphs must be acyclic")]
    Cycle(u32),
    #[error("{0} nodes is more than a graph can index (at most 2^32 − 1)")]
    TooManyNodes(usize),
    #[error("payments has {got} entries; expected one per node ({expected})")]
    PaymentsLength { expected: usize, got: usize },
    #[error("the payments sum to more than 2^64 − 1 sats")]
    PaymentsOverflow,
}

impl Graph {
    /// Builds a graph of `n` nodes from `(child, parent, weight)` edges. Parallel edges
    /// between the same pair are allowed and behave as separate parents.
    pub fn from_edges(n: usize, edges: &[(u32, u32, u16)]) -> Result<Graph, GraphError> {
        if n >= u32::MAX as usize || edges.len() >= u32::MAX as usize {
            return Err(GraphError::TooManyNodes(n.max(edges.len())));
        }
        let mut count = vec![0u32; n + 1];
        let mut weight_sum = vec![0u32; n];
        for (index, &(child, parent, weight)) in edges.iter().enumerate() {
            for node in [child, parent] {
                if node as usize >= n {
                    return Err(GraphError::NodeOutOfRange {
                        index,
                        node,
                        nodes: n,
                    });
                }
            }
            if child == parent {
                return Err(GraphError::SelfLoop(child));
            }
            if weight == 0 || weight > BPS {
                return Err(GraphError::BadWeight {
                    index,
                    child,
                    parent,
                    weight,
                });
            }
            count[child as usize + 1] += 1;
            weight_sum[child as usize] += u32::from(weight);
        }
        if let Some((node, sum)) = weight_sum
            .iter()
            .enumerate()
            .find(|(_, s)| **s > u32::from(BPS))
        {
            return Err(GraphError::WeightSum {
                node: node as u32,
                sum: *sum,
            });
        }
        // Child-major adjacency in caller ids.
        for i in 0..n {
            count[i + 1] += count[i];
        }
        let offsets_orig = count;
        let mut fill = offsets_orig.clone();
        let mut parents_orig = vec![0u32; edges.len()];
        let mut weights_orig = vec![0u16; edges.len()];
        for &(child, parent, weight) in edges {
            let slot = fill[child as usize] as usize;
            parents_orig[slot] = parent;
            weights_orig[slot] = weight;
            fill[child as usize] += 1;
        }
        // Kahn: a node is ready once all of its children are placed.
        let mut pending_children = vec![0u32; n];
        for &p in &parents_orig {
            pending_children[p as usize] += 1;
        }
        let mut from_topo: Vec<u32> = (0..n as u32)
            .filter(|v| pending_children[*v as usize] == 0)
            .collect();
        let mut head = 0;
        while head < from_topo.len() {
            let v = from_topo[head] as usize;
            head += 1;
            for &p in &parents_orig[offsets_orig[v] as usize..offsets_orig[v + 1] as usize] {
                pending_children[p as usize] -= 1;
                if pending_children[p as usize] == 0 {
                    from_topo.push(p);
                }
            }
        }
        if from_topo.len() < n {
            let stuck = pending_children
                .iter()
                .position(|c| *c > 0)
                .expect("a node with unplaced children exists when the order is short");
            return Err(GraphError::Cycle(stuck as u32));
        }
        let mut to_topo = vec![0u32; n];
        for (p, v) in from_topo.iter().enumerate() {
            to_topo[*v as usize] = p as u32;
        }
        let mut offsets = Vec::with_capacity(n + 1);
        let mut parents = Vec::with_capacity(edges.len());
        let mut weights = Vec::with_capacity(edges.len());
        offsets.push(0u32);
        for v in &from_topo {
            let range = offsets_orig[*v as usize] as usize..offsets_orig[*v as usize + 1] as usize;
            parents.extend(
                parents_orig[range.clone()]
                    .iter()
                    .map(|p| to_topo[*p as usize]),
            );
            weights.extend_from_slice(&weights_orig[range]);
            offsets.push(parents.len() as u32);
        }
        Ok(Graph {
            offsets,
            parents,
            weights,
            to_topo,
            from_topo,
        })
    }
}
