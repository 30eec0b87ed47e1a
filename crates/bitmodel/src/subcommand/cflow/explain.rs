//! `bitmodel cflow explain`: where a payment to an asset ends up, as a tree and as totals.

use std::collections::HashSet;
use std::fmt::Write;
use std::path::PathBuf;

use anyhow::bail;
use bitmodel_lineage::Lineage;
use bitmodel_protocol::graph::Recipient;
use bitmodel_protocol::record::{Kind, Relation};
use bitmodel_protocol::split::share;
use serde::Serialize;

use crate::args;
use crate::output::{percent, sats, Output};
use crate::subcommand::lineage::{default_graph_path, load};

#[derive(Debug, clap::Args)]
pub struct Explain {
    /// The asset being paid (its name in the graph).
    asset: String,
    /// Sats paid to the asset.
    #[arg(long, value_parser = args::sats, allow_hyphen_values = true)]
    amount: u64,
    /// Lineage graph file from `bitmodel lineage import` [default: bitmodel-lineage.json].
    #[arg(long)]
    graph: Option<PathBuf>,
    /// Levels of the tree to print (text output only; totals always cover everything).
    #[arg(long, default_value_t = 8)]
    depth: usize,
}

#[derive(Serialize)]
struct Out {
    asset: String,
    amount: u64,
    recipients: Vec<Total>,
    tree: TreeNode,
}

#[derive(Serialize)]
struct Total {
    name: String,
    kind: Kind,
    received: u64,
    keeps: u64,
    ppm: u32,
}

#[derive(Serialize)]
struct TreeNode {
    name: String,
    /// Sats arriving over this edge (the payment itself at the root).
    amount: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    relation: Option<Relation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    weight: Option<u16>,
    /// Set on the first appearance of an asset: everything it received and what it keeps.
    #[serde(skip_serializing_if = "Option::is_none")]
    received: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    keeps: Option<u64>,
    /// True where the asset was already expanded higher up the tree (a diamond).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    see_above: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    parents: Vec<TreeNode>,
}

impl Explain {
    pub fn run(self) -> anyhow::Result<Output> {
        let path = self.graph.clone().unwrap_or_else(default_graph_path);
        let lineage = load(&path)?;
        let Some(source) = lineage.find(&self.asset) else {
            let hints = lineage.suggest(&self.asset);
            if hints.is_empty() {
                bail!(
                    "unknown asset '{}' in {} ({} assets)",
                    self.asset,
                    path.display(),
                    lineage.nodes.len()
                );
            }
            bail!(
                "unknown asset '{}' in {}; did you mean: {}?",
                self.asset,
                path.display(),
                hints.join(", ")
            );
        };
        let graph = lineage.graph()?;
        let flat = graph.flatten(source, self.amount);
        let by_node: std::collections::HashMap<u32, Recipient> =
            flat.iter().map(|r| (r.node, *r)).collect();
        let mut expanded = HashSet::new();
        let tree = node_tree(&lineage, &by_node, source, self.amount, None, &mut expanded);
        let mut recipients: Vec<Total> = flat
            .iter()
            .map(|r| Total {
                name: lineage.nodes[r.node as usize].name.clone(),
                kind: lineage.nodes[r.node as usize].kind,
                received: r.received,
                keeps: r.keeps,
                ppm: r.ppm,
            })
            .collect();
        recipients.sort_by(|a, b| {
            b.keeps
                .cmp(&a.keeps)
                .then(b.ppm.cmp(&a.ppm))
                .then(a.name.cmp(&b.name))
        });
        let out = Out {
            asset: self.asset.clone(),
            amount: self.amount,
            recipients,
            tree,
        };
        let human = render(&out, self.depth);
        Ok(Output::new(&out, human))
    }
}

fn node_tree(
    l: &Lineage,
    flat: &std::collections::HashMap<u32, Recipient>,
    node: u32,
    amount: u64,
    edge: Option<(Relation, u16)>,
    expanded: &mut HashSet<u32>,
) -> TreeNode {
    let name = l.nodes[node as usize].name.clone();
    let (relation, weight) = (edge.map(|e| e.0), edge.map(|e| e.1));
    if !expanded.insert(node) {
        return TreeNode {
            name,
            amount,
            relation,
            weight,
            received: None,
            keeps: None,
            see_above: true,
            parents: Vec::new(),
        };
    }
    let r = flat[&node];
    let parents = l
        .edges
        .iter()
        .filter(|e| e.child == node)
        .map(|e| (e.parent, e.relation, e.weight))
        .collect::<Vec<_>>()
        .into_iter()
        .map(|(p, rel, w)| node_tree(l, flat, p, share(r.received, w), Some((rel, w)), expanded))
        .collect();
    TreeNode {
        name,
        amount,
        relation,
        weight,
        received: Some(r.received),
        keeps: Some(r.keeps),
        see_above: false,
        parents,
    }
}

fn render(out: &Out, depth: usize) -> String {
    let mut h = String::new();
    let root = &out.tree;
    let _ = writeln!(
        h,
        "{}: {} sats paid; its owner keeps {} sats",
        root.name,
        sats(out.amount),
        sats(root.keeps.unwrap_or(0))
    );
    fn walk(h: &mut String, n: &TreeNode, prefix: &str, depth: usize) {
        for (i, p) in n.parents.iter().enumerate() {
            let last = i + 1 == n.parents.len();
            let (branch, cont) = if last {
                ("└── ", "    ")
            } else {
                ("├── ", "│   ")
            };
            let rel = p.relation.map(|r| r.to_string()).unwrap_or_default();
            let w = p.weight.unwrap_or(0);
            let tail = if p.see_above {
                " (see above)".to_string()
            } else if p.received != Some(p.amount) {
                format!(
                    "; {} sats in all, keeps {}",
                    sats(p.received.unwrap_or(0)),
                    sats(p.keeps.unwrap_or(0))
                )
            } else {
                format!("; keeps {}", sats(p.keeps.unwrap_or(0)))
            };
            let _ = writeln!(
                h,
                "{prefix}{branch}{} ({rel}, {}.{:02}%) ← {} sats{tail}",
                p.name,
                w / 100,
                w % 100,
                sats(p.amount)
            );
            if depth > 1 {
                walk(h, p, &format!("{prefix}{cont}"), depth - 1);
            } else if !p.parents.is_empty() {
                let _ = writeln!(h, "{prefix}{cont}… (deeper levels hidden; raise --depth)");
            }
        }
    }
    walk(&mut h, root, "", depth);
    let _ = writeln!(
        h,
        "\nwho ends up with what ({} recipients):",
        out.recipients.len()
    );
    for r in &out.recipients {
        let _ = writeln!(
            h,
            "  {:>20} sats  {:>10}  {} ({})",
            sats(r.keeps),
            percent(r.ppm),
            r.name,
            r.kind
        );
    }
    h
}
