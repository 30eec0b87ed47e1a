//! Edge lists: `child,parent[,relation]`, with or without a header. Model Atlas's files
//! (`id,base_model` and `current_model,base_model,base_model_relation`, where one cell may
//! list several comma-separated parents) are read as they are. Optional `child_kind` and
//! `parent_kind` columns name the asset kinds (model when absent, dataset for a dataset
//! edge's parent); lines starting with `#` are comments, for attribution.

use super::{Candidate, ImportReport, Lineage, LineageError, Skipped, WeightPolicy};
use bitmodel_protocol::record::{Kind, Relation};

const CHILD: &[&str] = &["child", "id", "current_model", "model"];
const PARENT: &[&str] = &["parent", "base_model", "parents", "base_models"];
const RELATION: &[&str] = &["relation", "base_model_relation"];
const CHILD_KIND: &[&str] = &["child_kind"];
const PARENT_KIND: &[&str] = &["parent_kind"];
const UNLABELLED: &[&str] = &["", "unknown", "unknown_annotated", "source", "none"];

/// Imports an edge list; rows are grouped by child in first-appearance order.
pub fn import_edges(
    lineage: &mut Lineage,
    text: &str,
    policy: &WeightPolicy,
) -> Result<ImportReport, LineageError> {
    let mut reader = crate::table::reader(
        text,
        csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .comment(Some(b'#')),
    )?;
    let mut report = ImportReport::default();
    let mut groups: Vec<(String, Kind, Vec<Candidate>)> = Vec::new();
    let mut by_child: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut columns = (0usize, 1usize, Some(2usize));
    let mut kinds: (Option<usize>, Option<usize>) = (None, None);
    for (i, row) in reader.records().enumerate() {
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                report.skipped.push(crate::table::malformed(&e));
                continue;
            }
        };
        let line = row.position().map_or(i as u64 + 1, |p| p.line());
        if i == 0 {
            let find = |names: &[&str]| {
                row.iter()
                    .position(|h| names.contains(&h.trim().to_ascii_lowercase().as_str()))
            };
            if let (Some(c), Some(p)) = (find(CHILD), find(PARENT)) {
                columns = (c, p, find(RELATION));
                kinds = (find(CHILD_KIND), find(PARENT_KIND));
                continue;
            }
        }
        report.rows += 1;
        let child = row.get(columns.0).unwrap_or("").trim().to_string();
        let Some(parents) = row.get(columns.1) else {
            report.skipped.push(Skipped::row(
                line,
                child,
                "row has no parent column; expected child,parent[,relation]",
            ));
            continue;
        };
        // Model Atlas marks unlabelled edges "unknown"/"unknown_annotated" and roots "source".
        let relation_text = columns
            .2
            .and_then(|c| row.get(c))
            .map(str::trim)
            .filter(|s| !UNLABELLED.contains(&s.to_ascii_lowercase().as_str()));
        let parents: Vec<&str> = parents
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        let relation = match relation_text.map(str::parse::<Relation>) {
            Some(Ok(r)) => r,
            Some(Err(msg)) => {
                report.skipped.push(Skipped::row(line, child, msg));
                continue;
            }
            None if parents.len() > 1 => Relation::Merge,
            None => Relation::Finetune,
        };
        let kind_at = |col: Option<usize>, default: Kind| -> Result<Kind, String> {
            match col
                .and_then(|c| row.get(c))
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                Some(text) => text.parse(),
                None => Ok(default),
            }
        };
        let default_parent = if relation == Relation::Dataset {
            Kind::Dataset
        } else {
            Kind::Model
        };
        let (child_kind, parent_kind) = match (
            kind_at(kinds.0, Kind::Model),
            kind_at(kinds.1, default_parent),
        ) {
            (Ok(c), Ok(p)) => (c, p),
            (Err(msg), _) | (_, Err(msg)) => {
                report.skipped.push(Skipped::row(line, child, msg));
                continue;
            }
        };
        let slot = *by_child.entry(child.clone()).or_insert_with(|| {
            groups.push((child.clone(), child_kind, Vec::new()));
            groups.len() - 1
        });
        for p in parents {
            groups[slot].2.push(Candidate {
                parent: p.to_string(),
                kind: parent_kind,
                relation,
                line,
            });
        }
    }
    // A child with an empty parent cell is a root: it is added without edges.
    for (child, kind, candidates) in groups {
        lineage.add_lineage(&child, kind, candidates, policy, &mut report);
    }
    Ok(report)
}
