//! Longest-path layers of a DAG: the layering the explorer draws lineages and payment flows
//! in, and the order the demo registers a lineage in (every parent a layer before its
//! children). Linear in nodes and edges (Kahn's order); nodes on a cycle, which a valid
//! lineage cannot have, keep the layer they reached.

/// `layer[b] ≥ layer[a] + 1` for every edge `(a, b)`, each layer as small as that allows.
pub fn layers(n: usize, edges: impl IntoIterator<Item = (usize, usize)>) -> Vec<usize> {
    let edges: Vec<(usize, usize)> = edges.into_iter().collect();
    let mut indegree = vec![0usize; n];
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b) in &edges {
        out[a].push(b);
        indegree[b] += 1;
    }
    let mut layer = vec![0usize; n];
    let mut ready: Vec<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
    while let Some(a) = ready.pop() {
        for &b in &out[a] {
            layer[b] = layer[b].max(layer[a] + 1);
            indegree[b] -= 1;
            if indegree[b] == 0 {
                ready.push(b);
            }
        }
    }
    layer
}

#[cfg(test)]
mod tests {
    use super::layers;

    #[test]
    fn longest_path_decides_the_layer() {
        // 0 → 1 → 3, 0 → 3, 2 alone, 1 → 4.
        let l = layers(5, [(0, 1), (1, 3), (0, 3), (1, 4)]);
        assert_eq!(l, vec![0, 1, 0, 2, 2]);
        assert_eq!(layers(0, []), Vec::<usize>::new());
        // A cycle does not hang.
        assert_eq!(layers(2, [(0, 1), (1, 0)]), vec![0, 0]);
    }
}
