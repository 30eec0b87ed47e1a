//! Hugging Face model cards: the YAML front matter of a model's README.md. Lineage lives in
//! `base_model` (one id or a list), `base_model_relation` (adapter, merge, quantized,
//! finetune) and `datasets`. A card does not contain its own repository id, so the name
//! comes from `model_name`, `model-index[0].name`, or the caller.

use serde_norway::Value;

use super::{Candidate, ImportReport, Lineage, LineageError, ParseError, Skipped, WeightPolicy};
use bitmodel_protocol::record::{Kind, Relation};

/// The lineage fields of a card.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HfCard {
    pub name: Option<String>,
    pub base_models: Vec<String>,
    pub relation: Option<String>,
    pub datasets: Vec<String>,
    pub license: Option<String>,
}

pub fn parse_hf_card(text: &str) -> Result<HfCard, LineageError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines();
    if lines.next().map(str::trim_end) != Some("---") {
        return Err(LineageError::NoFrontMatter);
    }
    let mut yaml = String::new();
    let mut closed = false;
    for l in lines {
        if l.trim_end() == "---" {
            closed = true;
            break;
        }
        yaml.push_str(l);
        yaml.push('\n');
    }
    if !closed {
        return Err(LineageError::NoFrontMatter);
    }
    let v: Value =
        serde_norway::from_str(&yaml).map_err(|e| LineageError::Yaml(ParseError::new(e)))?;
    if v.is_null() {
        return Ok(HfCard::default());
    }
    if !v.is_mapping() {
        return Err(LineageError::Yaml(ParseError::new(
            "front matter must be a mapping of fields",
        )));
    }
    let strings = |field: &'static str| -> Result<Vec<String>, LineageError> {
        match v.get(field) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::String(s)) => Ok(vec![s.clone()]),
            Some(Value::Sequence(items)) => items
                .iter()
                .map(|i| {
                    i.as_str().map(String::from).ok_or(LineageError::CardField {
                        field,
                        expected: "a string or a list of strings",
                    })
                })
                .collect(),
            Some(_) => Err(LineageError::CardField {
                field,
                expected: "a string or a list of strings",
            }),
        }
    };
    let single = |field: &'static str| -> Result<Option<String>, LineageError> {
        match v.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(LineageError::CardField {
                field,
                expected: "a string",
            }),
        }
    };
    let name = single("model_name")?.or_else(|| {
        v.get("model-index")
            .and_then(|m| m.as_sequence())
            .and_then(|s| s.first())
            .and_then(|m| m.get("name"))
            .and_then(|n| n.as_str())
            .map(String::from)
    });
    Ok(HfCard {
        name,
        base_models: strings("base_model")?,
        relation: single("base_model_relation")?,
        datasets: strings("datasets")?,
        license: single("license")?,
    })
}

/// Imports one card. `name` (from the caller) wins over the card's own name.
pub fn import_hf_card(
    lineage: &mut Lineage,
    text: &str,
    name: Option<&str>,
    policy: &WeightPolicy,
) -> Result<ImportReport, LineageError> {
    let card = parse_hf_card(text)?;
    let child = name
        .map(String::from)
        .or(card.name.clone())
        .ok_or(LineageError::NoCardName)?;
    let mut report = ImportReport {
        rows: 1,
        ..ImportReport::default()
    };
    let relation = match card.relation.as_deref().map(str::parse::<Relation>) {
        Some(Ok(r)) => r,
        Some(Err(msg)) => {
            report.skipped.push(Skipped::row(
                1,
                child.clone(),
                format!("base_model_relation: {msg}"),
            ));
            Relation::Finetune
        }
        None if card.base_models.len() > 1 => Relation::Merge,
        None => Relation::Finetune,
    };
    let mut candidates: Vec<Candidate> = card
        .base_models
        .iter()
        .map(|b| Candidate {
            parent: b.clone(),
            kind: Kind::Model,
            relation,
            line: 1,
        })
        .collect();
    candidates.extend(card.datasets.iter().map(|d| Candidate {
        parent: d.clone(),
        kind: Kind::Dataset,
        relation: Relation::Dataset,
        line: 1,
    }));
    lineage.add_lineage(&child, Kind::Model, candidates, policy, &mut report);
    Ok(report)
}
