//! `cflow`: flattening one payment and attributing a payment to every asset at once, on a
//! seeded 1,000,000-node power-law DAG (~3,000,000 edges) and on the real Hugging Face
//! lineage from Model Atlas. The full pass is compared with a plain sweep over the same edge
//! arrays in the same run: the ratio says how far the pass is from the memory-bandwidth floor.

use std::hint::black_box;
use std::time::{Duration, Instant};

use bitmodel_lineage::{import_edges, Lineage, WeightPolicy};
use bitmodel_protocol::graph::{Graph, Recipient, Scratch};

use crate::report::{line, median_time, ms, quantile, shared_dir, us, Rng};

const NODES: usize = 1_000_000;
const SEED: u64 = 0xb17_30de1;

/// Preferential attachment: each new node takes 0..=6 parents (mean 3) among earlier nodes,
/// half of them chosen in proportion to how many children a node already has (the rich get
/// richer, giving the power-law in-degree of real lineage: a few bases, many fine-tunes).
fn power_law_dag(n: usize, seed: u64) -> Vec<(u32, u32, u16)> {
    let mut rng = Rng::new(seed);
    let mut edges = Vec::with_capacity(n * 3);
    let mut ends: Vec<u32> = Vec::with_capacity(n * 3);
    let mut picked = Vec::with_capacity(6);
    for child in 1..n as u32 {
        let k = rng.below(7).min(u64::from(child)) as usize;
        picked.clear();
        while picked.len() < k {
            let parent = if !ends.is_empty() && rng.below(2) == 0 {
                ends[rng.below(ends.len() as u64) as usize]
            } else {
                rng.below(u64::from(child)) as u32
            };
            if !picked.contains(&parent) {
                picked.push(parent);
            }
        }
        let cap = 10_000 / (k as u64 + 1);
        for &p in &picked {
            edges.push((child, p, 1 + rng.below(cap) as u16));
            ends.push(p);
        }
    }
    edges
}

fn flatten_quantiles(g: &Graph, samples: usize, seed: u64) -> (Duration, Duration, f64) {
    let mut rng = Rng::new(seed);
    let mut scratch = Scratch::default();
    let mut out: Vec<Recipient> = Vec::new();
    let mut times = Vec::with_capacity(samples);
    let mut reached = 0usize;
    for _ in 0..samples {
        let src = rng.below(g.node_count() as u64) as u32;
        let t = Instant::now();
        g.flatten_into(&mut scratch, src, 1_000_000_000, false, &mut out);
        times.push(t.elapsed());
        assert_eq!(
            out.iter().map(|r| r.keeps).sum::<u64>(),
            1_000_000_000,
            "flatten conserves"
        );
        reached += out.len();
    }
    (
        quantile(&mut times, 0.5),
        quantile(&mut times, 0.99),
        reached as f64 / samples as f64,
    )
}

/// Times the full pass (payments reset each run) and the reference sweep; returns medians.
fn full_pass_and_sweep(g: &Graph, runs: usize) -> (Duration, Duration) {
    let n = g.node_count();
    let payments = vec![1_000_000u64; n];
    let mut inflow = payments.clone();
    let mut keeps = vec![0u64; n];
    g.full_pass_topo(&mut inflow, &mut keeps);
    assert_eq!(
        keeps.iter().sum::<u64>(),
        1_000_000 * n as u64,
        "full pass conserves"
    );
    let pass = median_time(runs, || {
        inflow.copy_from_slice(&payments);
        g.full_pass_topo(black_box(&mut inflow), &mut keeps);
        black_box(&keeps);
    });
    let sweep = median_time(runs, || {
        inflow.copy_from_slice(&payments);
        black_box(g.sweep_checksum());
        black_box(&inflow);
    });
    (pass, sweep)
}

pub fn run() {
    let edges = power_law_dag(NODES, SEED);
    let t = Instant::now();
    let g = Graph::from_edges(NODES, &edges).expect("the generator makes a valid DAG");
    let build = t.elapsed();
    drop(edges);
    line("cflow.nodes_1m", g.node_count() as f64, "nodes");
    line("cflow.edges_1m", g.edge_count() as f64, "edges");
    line("cflow.build_1m_ms", ms(build), "ms");
    line(
        "cflow.bytes_per_edge",
        g.heap_bytes() as f64 / g.edge_count() as f64,
        "bytes",
    );
    // The pass also needs two u64 per node (inflow, keeps) while it runs.
    line(
        "cflow.bytes_per_edge_with_pass_buffers",
        (g.heap_bytes() + 16 * g.node_count()) as f64 / g.edge_count() as f64,
        "bytes",
    );

    let (pass, sweep) = full_pass_and_sweep(&g, 9);
    line("cflow.full_pass_1m_ms", ms(pass), "ms");
    line("cflow.sweep_1m_ms", ms(sweep), "ms");
    line(
        "cflow.full_pass_vs_sweep",
        pass.as_secs_f64() / sweep.as_secs_f64(),
        "ratio",
    );

    let (p50, p99, reached) = flatten_quantiles(&g, 200, SEED ^ 1);
    line("cflow.flatten_p50_us", us(p50), "us");
    line("cflow.flatten_p99_us", us(p99), "us");
    line("cflow.flatten_mean_recipients", reached, "assets");

    let path = shared_dir().join("data/model-atlas/hf_model_parent_edges.csv");
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let mut l = Lineage::default();
            let t = Instant::now();
            import_edges(&mut l, &text, &WeightPolicy::default())
                .expect("Model Atlas edges import");
            let hf = l.graph().expect("imported lineage is a DAG");
            line("cflow.hf_import_ms", ms(t.elapsed()), "ms");
            line("cflow.hf_nodes", hf.node_count() as f64, "nodes");
            line("cflow.hf_edges", hf.edge_count() as f64, "edges");
            let (pass, sweep) = full_pass_and_sweep(&hf, 51);
            line("cflow.full_pass_hf_ms", ms(pass), "ms");
            line(
                "cflow.full_pass_hf_vs_sweep",
                pass.as_secs_f64() / sweep.as_secs_f64(),
                "ratio",
            );
            let (p50, p99, _) = flatten_quantiles(&hf, 2000, SEED ^ 2);
            line("cflow.flatten_hf_p50_us", us(p50), "us");
            line("cflow.flatten_hf_p99_us", us(p99), "us");
        }
        Err(e) => eprintln!(
            "cflow: skipping the Hugging Face graph: cannot read {}: {e}",
            path.display()
        ),
    }
}
