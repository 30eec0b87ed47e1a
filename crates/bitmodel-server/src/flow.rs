//! One payment to an asset, carried up its lineage by the split rule: the computation the
//! lineage API, the asset page and the payment page all show.

use bitmodel_index::rows::AssetRow;
use bitmodel_index::Index;
use bitmodel_protocol::direct::lineage_nodes;
use bitmodel_protocol::graph::{Graph, Recipient};
use bitmodel_protocol::AssetId;

use crate::Problem;

pub struct Flow {
    /// The asset first, then every ancestor once.
    pub rows: Vec<AssetRow>,
    /// Nodes past the rows are payees (record format v3): `(the row naming it, payee)`.
    pub payees: Vec<(usize, bitmodel_protocol::Payee)>,
    /// What reached each node, by position in `rows` (one lookup, not a search).
    flat: Vec<Option<Recipient>>,
    /// Each node's parents as `(position, weight)`.
    parents: Vec<Vec<(usize, u16)>>,
}

impl Flow {
    /// `None` if the asset is unknown.
    pub fn of(index: &Index, id: &AssetId, amount: u64) -> Result<Option<Flow>, Problem> {
        let rows = index.ancestry(id)?;
        if rows.is_empty() {
            return Ok(None);
        }
        let pairs: Vec<_> = rows.iter().map(|r| (r.id, &r.record)).collect();
        let nodes = lineage_nodes(&pairs);
        let payees: Vec<(usize, bitmodel_protocol::Payee)> = rows
            .iter()
            .enumerate()
            .flat_map(|(i, r)| r.record.payees.iter().map(move |p| (i, p.clone())))
            .collect();
        debug_assert_eq!(nodes.len(), rows.len() + payees.len());
        let edges: Vec<(u32, u32, u16)> = nodes
            .iter()
            .enumerate()
            .flat_map(|(c, n)| {
                n.parents
                    .iter()
                    .map(move |(p, w)| (c as u32, *p as u32, *w))
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut flat = vec![None; nodes.len()];
        for r in Graph::from_edges(nodes.len(), &edges)
            .map_err(Problem::internal)?
            .flatten(0, amount)
        {
            let i = r.node as usize;
            flat[i] = Some(r);
        }
        let mut parents = vec![Vec::new(); nodes.len()];
        for (c, p, w) in &edges {
            parents[*c as usize].push((*p as usize, *w));
        }
        Ok(Some(Flow {
            rows,
            payees,
            flat,
            parents,
        }))
    }

    fn at(&self, i: usize) -> Option<&Recipient> {
        self.flat.get(i).and_then(Option::as_ref)
    }

    /// Node `i`'s effective share in parts per million (exact, not from the amount): `rows[i]`,
    /// or past the rows `payees[i - rows.len()]`.
    pub fn ppm(&self, i: usize) -> u32 {
        self.at(i).map_or(0, |f| f.ppm)
    }

    /// The parents of node `i` as `(node, weight)` (a row's payees are among them).
    pub fn parents(&self, i: usize) -> Vec<(usize, u16)> {
        self.parents.get(i).cloned().unwrap_or_default()
    }
}
