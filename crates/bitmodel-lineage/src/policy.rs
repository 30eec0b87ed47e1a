//! The default weight policy for imported lineage.
//!
//! Public lineage says *that* a model builds on another, not *how much*. Bitmodel needs basis
//! points, so imports use this policy, which anyone can override per relation:
//!
//! | relation | default bps | why |
//! |---|---|---|
//! | quantized | 5000 | a quantization adds little beyond its source |
//! | merge | 3000 | per parent; several parents are scaled to the total cap |
//! | finetune | 2000 | the base did most of the work, the fine-tune makes it useful |
//! | adapter | 2000 | like a fine-tune |
//! | distill | 1000 | the teacher shaped a model with its own architecture |
//! | dataset | 500 | training data |
//! | architecture | 500 | the design the model implements |
//! | algorithm | 300 | a method used in training |
//! | cites | 100 | acknowledged prior work |
//!
//! If a child's parents add up to more than `max_total` (default 8000, so every owner keeps
//! at least 20%), all its weights are scaled down proportionally (floor, at least 1).

use std::collections::BTreeMap;
use std::str::FromStr;

use serde::Serialize;

use bitmodel_protocol::record::Relation;
use bitmodel_protocol::BPS;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WeightPolicy {
    weights: BTreeMap<Relation, u16>,
    max_total: u16,
}

impl Default for WeightPolicy {
    fn default() -> Self {
        use Relation::*;
        let weights = [
            (Quantized, 5000),
            (Merge, 3000),
            (Finetune, 2000),
            (Adapter, 2000),
            (Distill, 1000),
            (Dataset, 500),
            (Architecture, 500),
            (Algorithm, 300),
            (Cites, 100),
        ]
        .into_iter()
        .collect();
        Self {
            weights,
            max_total: 8000,
        }
    }
}

impl WeightPolicy {
    pub fn weight(&self, r: Relation) -> u16 {
        self.weights.get(&r).copied().unwrap_or(100)
    }

    pub fn max_total(&self) -> u16 {
        self.max_total
    }

    /// Overrides one relation's weight, from `relation=bps` text.
    pub fn set_from_str(&mut self, spec: &str) -> Result<(), String> {
        let (rel, bps) = spec.split_once('=').ok_or_else(|| {
            format!("weight override '{spec}' must look like relation=bps, e.g. finetune=2500")
        })?;
        let rel = Relation::from_str(rel)?;
        let bps: u16 = bps
            .trim()
            .parse()
            .ok()
            .filter(|b| (1..=BPS).contains(b))
            .ok_or_else(|| {
                format!(
                    "weight '{}' for {rel} must be a whole number of basis points 1..=10000",
                    bps.trim()
                )
            })?;
        self.weights.insert(rel, bps);
        Ok(())
    }

    /// Sets the cap on a child's total upstream weight (11..=10000).
    pub fn set_max_total(&mut self, max_total: u16) -> Result<(), String> {
        if !(bitmodel_protocol::MAX_PARENTS as u16..=BPS).contains(&max_total) {
            return Err(format!(
                "max total {max_total} must be 11..=10000 basis points"
            ));
        }
        self.max_total = max_total;
        Ok(())
    }

    /// Weights for a child's parents (at most `max_total` of them, so each gets at least
    /// 1), summing to at most `max_total`.
    pub fn assign(&self, relations: &[Relation]) -> Vec<u16> {
        let raw: Vec<u32> = relations
            .iter()
            .map(|r| u32::from(self.weight(*r)))
            .collect();
        let sum: u32 = raw.iter().sum();
        let cap = u32::from(self.max_total);
        if sum <= cap {
            return raw.iter().map(|w| *w as u16).collect();
        }
        let mut out: Vec<u32> = raw.iter().map(|w| (w * cap / sum).max(1)).collect();
        // The floor-at-1 can push a large fan-out over the cap: take the excess from the largest.
        while out.iter().sum::<u32>() > cap {
            let i = (0..out.len())
                .max_by_key(|i| out[*i])
                .expect("over the cap implies at least one weight");
            out[i] -= 1;
        }
        out.into_iter().map(|w| w as u16).collect()
    }
}
