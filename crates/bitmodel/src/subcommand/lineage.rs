mod import;

use std::path::{Path, PathBuf};

use anyhow::Context;
use bitmodel_lineage::Lineage as Graph;

use crate::output::Output;

/// Where `lineage import` saves and `cflow explain` reads unless told otherwise.
pub const DEFAULT_GRAPH: &str = "bitmodel-lineage.json";

#[derive(Debug, clap::Subcommand)]
pub enum Lineage {
    /// Import lineage from files into a graph file.
    Import(import::Import),
}

impl Lineage {
    pub fn run(self) -> anyhow::Result<Output> {
        match self {
            Lineage::Import(i) => i.run(),
        }
    }
}

pub fn default_graph_path() -> PathBuf {
    PathBuf::from(DEFAULT_GRAPH)
}

/// Reads a graph file written by `lineage import`.
pub fn load(path: &Path) -> anyhow::Result<Graph> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read lineage graph {}; create one with `bitmodel lineage import FILE --out {}`",
            path.display(),
            path.display()
        )
    })?;
    let mut g: Graph = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a lineage graph file", path.display()))?;
    g.reindex()
        .with_context(|| format!("{} is damaged", path.display()))?;
    Ok(g)
}

/// Writes a graph file atomically (temp file + rename), so a crash never leaves half a file.
pub fn save(path: &Path, g: &Graph) -> anyhow::Result<()> {
    let tmp = path.with_extension("json.tmp");
    let json = serde_json::to_vec(g).context("serialising the lineage graph")?;
    std::fs::write(&tmp, json).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("cannot move {} to {}", tmp.display(), path.display()))?;
    Ok(())
}
