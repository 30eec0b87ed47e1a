//! `bitmodel lineage import`: build a lineage graph file from real-world lineage data.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use bitmodel_lineage::{
    import_edges, import_epoch, import_hf_card, Format, ImportReport, Lineage, Skipped,
    WeightPolicy,
};
use serde::Serialize;

use super::{default_graph_path, load, save};
use crate::output::Output;

/// Files larger than this are refused rather than read into memory.
const MAX_INPUT_BYTES: u64 = 512 * 1024 * 1024;

#[derive(Debug, clap::Args)]
pub struct Import {
    /// Input files: Hugging Face README.md cards, Epoch AI CSV, or child,parent[,relation] CSV.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Input format; guessed from each file when absent.
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// The model a Hugging Face card describes (cards do not name their own repository).
    #[arg(long)]
    name: Option<String>,
    /// Graph file to write [default: bitmodel-lineage.json].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Add to the existing graph file instead of replacing it.
    #[arg(long)]
    append: bool,
    /// Override a relation's default weight, e.g. --weight finetune=2500 (repeatable).
    #[arg(long = "weight", value_name = "RELATION=BPS")]
    weights: Vec<String>,
    /// Cap on a child's total upstream weight in basis points (11..=10000).
    #[arg(long)]
    max_total: Option<u16>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum FormatArg {
    HfCard,
    Epoch,
    Edges,
}

#[derive(Serialize)]
struct Out {
    graph: PathBuf,
    files: Vec<FileReport>,
    nodes: usize,
    edges: usize,
    rows: u64,
    nodes_added: u64,
    edges_added: u64,
    skipped_count: usize,
    skipped_by_reason: BTreeMap<String, usize>,
    skipped: Vec<Skipped>,
    policy: WeightPolicy,
}

#[derive(Serialize)]
struct FileReport {
    file: PathBuf,
    format: Format,
    rows: u64,
    edges_added: u64,
    skipped: usize,
}

impl Import {
    pub fn run(self) -> anyhow::Result<Output> {
        let mut policy = WeightPolicy::default();
        for w in &self.weights {
            policy.set_from_str(w).map_err(anyhow::Error::msg)?;
        }
        if let Some(m) = self.max_total {
            policy.set_max_total(m).map_err(anyhow::Error::msg)?;
        }
        let out_path = self.out.clone().unwrap_or_else(default_graph_path);
        let mut lineage = if self.append && out_path.exists() {
            load(&out_path)?
        } else {
            Lineage::default()
        };
        let mut total = ImportReport::default();
        let mut files = Vec::new();
        for file in &self.files {
            let text = read(file)?;
            let format = match self.format {
                Some(FormatArg::HfCard) => Format::HfCard,
                Some(FormatArg::Epoch) => Format::Epoch,
                Some(FormatArg::Edges) => Format::Edges,
                None => guess(file, &text),
            };
            let report = match format {
                Format::HfCard => {
                    let name = self.name.clone().or_else(|| name_from_path(file));
                    import_hf_card(&mut lineage, &text, name.as_deref(), &policy)
                }
                Format::Epoch => import_epoch(&mut lineage, &text, &policy),
                Format::Edges => import_edges(&mut lineage, &text, &policy),
            }
            .with_context(|| format!("importing {}", file.display()))?;
            // A file of which nothing at all could be used is malformed, not merely messy.
            if report.nodes_added == 0
                && report.edges_added == 0
                && !report.skipped.is_empty()
                && report.skipped.len() as u64 >= report.rows
            {
                let first = &report.skipped[0];
                bail!(
                    "{} has no usable rows as {:?} lineage ({} skipped; line {}: {}); expected {}",
                    file.display(),
                    format,
                    report.skipped.len(),
                    first.line,
                    first.reason,
                    match format {
                        Format::Edges => "child,parent[,relation] rows",
                        Format::Epoch =>
                            "Epoch AI rows with Model, Base model and Training dataset",
                        Format::HfCard => "a model card with base_model or datasets",
                    }
                );
            }
            files.push(FileReport {
                file: file.clone(),
                format,
                rows: report.rows,
                edges_added: report.edges_added,
                skipped: report.skipped.len(),
            });
            total.rows += report.rows;
            total.nodes_added += report.nodes_added;
            total.edges_added += report.edges_added;
            total.skipped.extend(report.skipped);
        }
        // What is saved must be a valid C-Flow graph; the importer guarantees it, this proves it.
        lineage
            .graph()
            .context("the imported lineage is not a valid C-Flow graph")?;
        save(&out_path, &lineage)?;
        let mut by_reason = BTreeMap::new();
        for s in &total.skipped {
            *by_reason.entry(s.reason.clone()).or_insert(0) += 1;
        }
        let out = Out {
            graph: out_path,
            files,
            nodes: lineage.nodes.len(),
            edges: lineage.edges.len(),
            rows: total.rows,
            nodes_added: total.nodes_added,
            edges_added: total.edges_added,
            skipped_count: total.skipped.len(),
            skipped_by_reason: by_reason,
            skipped: total.skipped,
            policy,
        };
        let human = render(&out);
        Ok(Output::new(&out, human))
    }
}

fn read(file: &Path) -> anyhow::Result<String> {
    let meta =
        std::fs::metadata(file).with_context(|| format!("cannot read {}", file.display()))?;
    if meta.len() > MAX_INPUT_BYTES {
        bail!(
            "{} is {} bytes; lineage inputs are limited to {} bytes",
            file.display(),
            meta.len(),
            MAX_INPUT_BYTES
        );
    }
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{} is not UTF-8 text (byte {} is invalid)",
            file.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

fn guess(file: &Path, text: &str) -> Format {
    let ext = file
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ext == "md" || ext == "markdown" || text.trim_start_matches('\u{feff}').starts_with("---") {
        return Format::HfCard;
    }
    let header = text.lines().next().unwrap_or("");
    if header.split(',').any(|h| h.trim() == "Base model")
        && header.split(',').any(|h| h.trim() == "Model")
    {
        Format::Epoch
    } else {
        Format::Edges
    }
}

/// `…/org/model/README.md` → `org/model`, `card.md` → `card`.
fn name_from_path(file: &Path) -> Option<String> {
    let stem = file.file_stem()?.to_str()?;
    if !stem.eq_ignore_ascii_case("readme") {
        return Some(stem.to_string());
    }
    let dir = file.parent()?;
    let model = dir.file_name()?.to_str()?;
    match dir
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|o| o.to_str())
    {
        Some(org) if !org.is_empty() => Some(format!("{org}/{model}")),
        _ => Some(model.to_string()),
    }
}

fn render(o: &Out) -> String {
    let mut h = String::new();
    for f in &o.files {
        let _ = writeln!(
            h,
            "{}: {:?}, {} rows, {} edges added, {} skipped",
            f.file.display(),
            f.format,
            f.rows,
            f.edges_added,
            f.skipped
        );
    }
    let _ = writeln!(
        h,
        "graph {}: {} nodes, {} edges ({} nodes and {} edges added)",
        o.graph.display(),
        o.nodes,
        o.edges,
        o.nodes_added,
        o.edges_added
    );
    if o.skipped_count > 0 {
        let _ = writeln!(h, "skipped {}:", o.skipped_count);
        for (reason, n) in &o.skipped_by_reason {
            let _ = writeln!(h, "  {n:>6}  {reason}");
        }
        for s in o.skipped.iter().take(10) {
            let _ = writeln!(
                h,
                "  line {}: {} → {}: {}",
                s.line,
                s.child,
                s.parent.as_deref().unwrap_or("-"),
                s.reason
            );
        }
        if o.skipped_count > 10 {
            let _ = writeln!(h, "  … (--json lists all)");
        }
    }
    h
}
