//! Real AI lineage, imported from the places it is written down today: Hugging Face model
//! cards, Epoch AI's model database and plain child→parent edge lists.
//!
//! Imported data is messy (self-references, cycles from mislabelled cards, a model listing
//! thirty merge parents), so nothing here is fatal per row: every edge that cannot be a
//! C-Flow edge is skipped with its reason and the import goes on. What is kept obeys the
//! protocol's rules — at most 1,000 parents (past 11 paid through splitters), weights from a documented [`WeightPolicy`] that sum
//! to at most 10000, an acyclic graph, and a node's edges fixed once set — so the result can
//! be registered on chain as is.
//!
//! Its own crate, beside the I/O-free `bitmodel-protocol` whose rules it keeps: the CSV and
//! YAML parsers it needs are for the CLI, the demo seed and the benchmarks, never for
//! consensus code (docs/adr/0009-lineage-import-crate.md).

mod edges;
mod epoch;
mod hf_card;
mod policy;
mod table;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

pub use edges::import_edges;
pub use epoch::import_epoch;
pub use hf_card::{import_hf_card, parse_hf_card, HfCard};
pub use policy::WeightPolicy;

use bitmodel_protocol::graph::{Graph, GraphError};
use bitmodel_protocol::record::{Kind, Relation};
use bitmodel_protocol::MAX_MEMBERS;

/// The input formats [`Lineage`] imports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    HfCard,
    Epoch,
    Edges,
}

/// A named lineage graph, the form the CLI saves and `cflow explain` reads.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Lineage {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    #[serde(skip)]
    index: HashMap<String, u32>,
    #[serde(skip)]
    parents: Vec<Vec<u32>>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub kind: Kind,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Edge {
    pub child: u32,
    pub parent: u32,
    pub weight: u16,
    pub relation: Relation,
}

/// One parent a source claims for a child, before the rules are applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub parent: String,
    pub kind: Kind,
    pub relation: Relation,
    /// The input line (1-based, header included) it came from.
    pub line: u64,
}

/// A row or edge that was not imported, and why.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Skipped {
    pub line: u64,
    pub child: String,
    pub parent: Option<String>,
    pub reason: String,
}

impl Skipped {
    /// A row skipped as a whole (no parent of it was taken).
    pub(crate) fn row(line: u64, child: impl Into<String>, reason: impl Into<String>) -> Skipped {
        Skipped {
            line,
            child: child.into(),
            parent: None,
            reason: reason.into(),
        }
    }
}

/// What an import did.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct ImportReport {
    pub rows: u64,
    pub nodes_added: u64,
    pub edges_added: u64,
    pub skipped: Vec<Skipped>,
}

/// Why a whole input cannot be imported (row-level problems are [`Skipped`] instead).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LineageError {
    #[error("{format} input has no '{column}' column; found columns: {found}")]
    MissingColumn {
        format: &'static str,
        column: &'static str,
        found: String,
    },
    /// The parser's words are the source, not repeated here: the CLI prints the chain.
    #[error("CSV input could not be read")]
    Csv(#[source] ParseError),
    #[error("model card has no YAML front matter: it must start with a '---' line and close it with another '---' line")]
    NoFrontMatter,
    /// The parser's words are the source, not repeated here: the CLI prints the chain.
    #[error("model card front matter is not valid YAML")]
    Yaml(#[source] ParseError),
    #[error("model card front matter field '{field}' must be {expected}")]
    CardField {
        field: &'static str,
        expected: &'static str,
    },
    #[error(
        "model card does not say which model it describes: pass a name (e.g. --name org/model)"
    )]
    NoCardName,
    #[error("input is empty")]
    Empty,
    #[error("lineage file is inconsistent: {0}")]
    Inconsistent(String),
}

/// Why a parser (CSV, YAML) refused the input: its error, shared so that [`LineageError`]
/// stays `Clone` and `Eq` (two are equal when they say the same thing).
#[derive(Clone, Debug)]
pub struct ParseError(std::sync::Arc<dyn std::error::Error + Send + Sync>);

impl ParseError {
    pub fn new(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> ParseError {
        ParseError(e.into().into())
    }
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for ParseError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl PartialEq for ParseError {
    fn eq(&self, other: &ParseError) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for ParseError {}

impl Lineage {
    /// Rebuilds the lookup tables after deserialising, and checks the file's consistency.
    pub fn reindex(&mut self) -> Result<(), LineageError> {
        self.index.clear();
        self.parents = vec![Vec::new(); self.nodes.len()];
        for (i, n) in self.nodes.iter().enumerate() {
            if self.index.insert(n.name.clone(), i as u32).is_some() {
                return Err(LineageError::Inconsistent(format!(
                    "node '{}' appears twice",
                    n.name
                )));
            }
        }
        for e in &self.edges {
            if e.child as usize >= self.nodes.len() || e.parent as usize >= self.nodes.len() {
                return Err(LineageError::Inconsistent(format!(
                    "edge {} → {} names a missing node",
                    e.child, e.parent
                )));
            }
            self.parents[e.child as usize].push(e.parent);
        }
        Ok(())
    }

    pub fn find(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }

    /// Up to five node names containing `name` (case-insensitive), for "did you mean".
    pub fn suggest(&self, name: &str) -> Vec<&str> {
        let needle = name.to_lowercase();
        let mut hits: Vec<&str> = self
            .nodes
            .iter()
            .map(|n| n.name.as_str())
            .filter(|n| n.to_lowercase().contains(&needle) || needle.contains(&n.to_lowercase()))
            .collect();
        hits.sort_by_key(|n| (n.len(), *n));
        hits.truncate(5);
        hits
    }

    /// The C-Flow graph over node ids `0..nodes.len()`.
    pub fn graph(&self) -> Result<Graph, GraphError> {
        let edges: Vec<(u32, u32, u16)> = self
            .edges
            .iter()
            .map(|e| (e.child, e.parent, e.weight))
            .collect();
        Graph::from_edges(self.nodes.len(), &edges)
    }

    /// The node called `name`, added with `kind` if new.
    pub fn node(&mut self, name: &str, kind: Kind, report: &mut ImportReport) -> u32 {
        if let Some(id) = self.find(name) {
            return id;
        }
        let id = self.nodes.len() as u32;
        self.nodes.push(Node {
            name: name.to_string(),
            kind,
        });
        self.index.insert(name.to_string(), id);
        self.parents.push(Vec::new());
        report.nodes_added += 1;
        id
    }

    fn reaches(&self, from: u32, target: u32) -> bool {
        let mut seen = HashSet::new();
        let mut stack = vec![from];
        while let Some(v) = stack.pop() {
            if v == target {
                return true;
            }
            for &p in &self.parents[v as usize] {
                if seen.insert(p) {
                    stack.push(p);
                }
            }
        }
        false
    }

    /// Applies the rules to a child's claimed parents and adds the edges that pass.
    pub fn add_lineage(
        &mut self,
        child: &str,
        kind: Kind,
        candidates: Vec<Candidate>,
        policy: &WeightPolicy,
        report: &mut ImportReport,
    ) {
        let child_name = child.trim();
        let skip = |report: &mut ImportReport, c: &Candidate, reason: String| {
            report.skipped.push(Skipped {
                line: c.line,
                child: child_name.to_string(),
                parent: Some(c.parent.clone()),
                reason,
            });
        };
        let line = candidates.first().map_or(0, |c| c.line);
        if child_name.is_empty() {
            report
                .skipped
                .push(Skipped::row(line, "", "empty child name"));
            return;
        }
        let child = self.node(child_name, kind, report);
        if !self.parents[child as usize].is_empty() && !candidates.is_empty() {
            for c in &candidates {
                skip(
                    report,
                    c,
                    "child already has lineage; C-Flow edges are fixed once set".into(),
                );
            }
            return;
        }
        let mut kept: Vec<Candidate> = Vec::new();
        for mut c in candidates {
            c.parent = c.parent.trim().to_string();
            if c.parent.is_empty() {
                skip(report, &c, "empty parent name".into());
            } else if c.parent == child_name {
                skip(
                    report,
                    &c,
                    "self-loop: a model cannot be its own parent".into(),
                );
            } else if kept.iter().any(|k| k.parent == c.parent) {
                skip(report, &c, "duplicate parent for this child".into());
            } else if self.find(&c.parent).is_some_and(|p| self.reaches(p, child)) {
                skip(
                    report,
                    &c,
                    "cycle: the parent already descends from the child".into(),
                );
            } else {
                kept.push(c);
            }
        }
        // A record names up to MAX_MEMBERS members (past 11 through splitters), each with at
        // least 1 basis point of the policy's total.
        let limit = MAX_MEMBERS.min(usize::from(policy.max_total()));
        if kept.len() > limit {
            // Keep the heaviest relations (stable: earlier rows first among equals).
            let mut order: Vec<usize> = (0..kept.len()).collect();
            order.sort_by_key(|i| std::cmp::Reverse(policy.weight(kept[*i].relation)));
            let drop: HashSet<usize> = order[limit..].iter().copied().collect();
            let mut rest = Vec::new();
            for (i, c) in kept.into_iter().enumerate() {
                if drop.contains(&i) {
                    skip(report, &c, format!("more than {limit} parents; a record can name at most {MAX_MEMBERS}, each with at least 1 of the policy's {} basis points", policy.max_total()));
                } else {
                    rest.push(c);
                }
            }
            kept = rest;
        }
        let weights = policy.assign(&kept.iter().map(|c| c.relation).collect::<Vec<_>>());
        for (c, weight) in kept.iter().zip(weights) {
            let parent = self.node(&c.parent, c.kind, report);
            self.edges.push(Edge {
                child,
                parent,
                weight,
                relation: c.relation,
            });
            self.parents[child as usize].push(parent);
            report.edges_added += 1;
        }
    }
}
