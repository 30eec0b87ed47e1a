//! Epoch AI's "AI Models" CSV: one row per model, `Base model` and `Training dataset` hold
//! comma-separated names. A base model becomes a `finetune` edge, a dataset a `dataset` edge.
//! "Unspecified unreleased" is Epoch's placeholder for private data and is not a dataset.

use super::{Candidate, ImportReport, Lineage, LineageError, ParseError, Skipped, WeightPolicy};
use bitmodel_protocol::record::{Kind, Relation};

const PLACEHOLDERS: &[&str] = &["unspecified unreleased", "unspecified", "unknown"];

pub fn import_epoch(
    lineage: &mut Lineage,
    text: &str,
    policy: &WeightPolicy,
) -> Result<ImportReport, LineageError> {
    let mut reader = crate::table::reader(text, csv::ReaderBuilder::new().flexible(true))?;
    let headers = reader
        .headers()
        .map_err(|e| LineageError::Csv(ParseError::new(e)))?
        .clone();
    let col = |name: &'static str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| LineageError::MissingColumn {
                format: "Epoch AI",
                column: name,
                found: headers.iter().collect::<Vec<_>>().join(", "),
            })
    };
    let (model, base, dataset) = (col("Model")?, col("Base model")?, col("Training dataset")?);
    let mut report = ImportReport::default();
    for row in reader.records() {
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                report.skipped.push(crate::table::malformed(&e));
                continue;
            }
        };
        report.rows += 1;
        let line = row.position().map_or(0, |p| p.line());
        let name = row.get(model).unwrap_or("").trim().to_string();
        let mut candidates = Vec::new();
        let split = |cell: Option<&str>| -> Vec<String> {
            cell.unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        };
        for b in split(row.get(base)) {
            candidates.push(Candidate {
                parent: b,
                kind: Kind::Model,
                relation: Relation::Finetune,
                line,
            });
        }
        for d in split(row.get(dataset)) {
            if PLACEHOLDERS.contains(&d.to_ascii_lowercase().as_str()) {
                report.skipped.push(Skipped {
                    line,
                    child: name.clone(),
                    parent: Some(d),
                    reason: "placeholder, not a named dataset".into(),
                });
                continue;
            }
            candidates.push(Candidate {
                parent: d,
                kind: Kind::Dataset,
                relation: Relation::Dataset,
                line,
            });
        }
        if lineage.find(&name).is_some() && candidates.is_empty() {
            continue;
        }
        if lineage
            .find(&name)
            .is_some_and(|id| lineage.nodes[id as usize].kind == Kind::Dataset)
        {
            report.skipped.push(Skipped::row(
                line,
                name,
                "a dataset of this name exists; a model row cannot reuse it",
            ));
            continue;
        }
        lineage.add_lineage(&name, Kind::Model, candidates, policy, &mut report);
    }
    Ok(report)
}
