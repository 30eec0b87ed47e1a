//! Direct mode: on chains without OP_CAT there are no vaults, so the payer's wallet pays the
//! whole flattened split at once — every contributor's payout script gets its share in one
//! transaction — and indexers check that it did. The transaction carries a marker
//! (`OP_RETURN "BMP1" <asset id> <amount le8>`) naming the asset and the amount.
//!
//! Dust rule: a share below its script's dust limit cannot be paid (the transaction would
//! not relay). It stays with the nearest descendant that can be paid: going from the top of
//! the lineage down, a too-small share moves to the child that passed that ancestor the
//! most, which may push it over its own limit. The source (the asset paid) always keeps
//! whatever reaches it. Every sat of the payment is paid out: `Σ payouts == amount`.

use bitcoin::script::{Builder, Instruction, PushBytesBuf};
use bitcoin::{Script, ScriptBuf};

use crate::graph::{Graph, GraphError};
use crate::split::share;
use crate::AssetId;

/// The marker's tag.
pub const MARKER: &[u8; 4] = b"BMP1";

/// One asset of the paid asset's lineage, or one payee of an asset. `nodes[0]` is the asset
/// paid; parents are indices.
#[derive(Clone, Debug)]
pub struct DirectNode {
    /// The payout script: the asset's owner, or the payee's own script.
    pub owner: ScriptBuf,
    pub parents: Vec<(usize, u16)>,
    /// For a payee node: the node (asset) whose record names it. Payees have no parents.
    pub payee_of: Option<usize>,
}

/// The nodes of a lineage given as `(id, record)`, the asset paid first and each ancestor
/// once; parents outside the list are ignored. One node per row, in order, then one node per
/// payee of each row (record format v3), each a parent of its row with the payee's weight —
/// so flattening pays payees by the same rule as parents, and nothing flows past them.
pub fn lineage_nodes(rows: &[(AssetId, &crate::Record)]) -> Vec<DirectNode> {
    // Positions by id once, so a wide lineage costs its edges, not rows × edges.
    let at: std::collections::HashMap<AssetId, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (*id, i))
        .collect();
    let mut nodes: Vec<DirectNode> = rows
        .iter()
        .map(|(_, r)| DirectNode {
            owner: r.owner.clone(),
            parents: r
                .parents
                .iter()
                .filter_map(|p| at.get(&p.asset).map(|i| (*i, p.weight)))
                .collect(),
            payee_of: None,
        })
        .collect();
    for (i, (_, r)) in rows.iter().enumerate() {
        for p in &r.payees {
            let n = nodes.len();
            nodes[i].parents.push((n, p.weight));
            nodes.push(DirectNode {
                owner: p.script.clone(),
                parents: Vec::new(),
                payee_of: Some(i),
            });
        }
    }
    nodes
}

/// What each node's owner is paid, and which too-small shares moved where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectSplit {
    pub payouts: Vec<u64>,
    /// `(from, to, sats)`: an ancestor's sub-dust share given to a descendant.
    pub redirected: Vec<(usize, usize, u64)>,
}

pub fn direct_split(nodes: &[DirectNode], amount: u64) -> Result<DirectSplit, GraphError> {
    let mut edges = Vec::new();
    for (child, n) in nodes.iter().enumerate() {
        for (p, w) in &n.parents {
            edges.push((child as u32, *p as u32, *w));
        }
    }
    let g = Graph::from_edges(nodes.len(), &edges)?;
    let flat = g.flatten(0, amount);
    let mut payouts = vec![0u64; nodes.len()];
    let mut received = vec![0u64; nodes.len()];
    for r in &flat {
        payouts[r.node as usize] = r.keeps;
        received[r.node as usize] = r.received;
    }
    let mut redirected = Vec::new();
    // `flat` lists children before parents; walk it backwards: ancestors first.
    for r in flat.iter().rev() {
        let n = r.node as usize;
        if n == 0 || payouts[n] == 0 || payouts[n] >= nodes[n].owner.minimal_non_dust().to_sat() {
            continue;
        }
        // The child that passed n the most (first such in node order).
        let mut best: Option<(usize, u64)> = None;
        for (c, node) in nodes.iter().enumerate() {
            for (p, w) in &node.parents {
                if *p == n && received[c] > 0 {
                    let passed = share(received[c], *w);
                    if best.is_none_or(|(_, b)| passed > b) {
                        best = Some((c, passed));
                    }
                }
            }
        }
        let to = best.map_or(0, |(c, _)| c);
        redirected.push((n, to, payouts[n]));
        payouts[to] += payouts[n];
        payouts[n] = 0;
    }
    debug_assert_eq!(payouts.iter().sum::<u64>(), amount);
    Ok(DirectSplit {
        payouts,
        redirected,
    })
}

/// The marker output's script.
pub fn marker(asset: &AssetId, amount: u64) -> ScriptBuf {
    let mut data = MARKER.to_vec();
    data.extend_from_slice(&amount.to_le_bytes());
    data.extend_from_slice(&asset.to_bytes());
    Builder::new()
        .push_opcode(bitcoin::opcodes::all::OP_RETURN)
        .push_slice(PushBytesBuf::try_from(data).expect("a marker is at most 48 bytes"))
        .into_script()
}

/// Reads a marker script back.
pub fn parse_marker(script: &Script) -> Option<(AssetId, u64)> {
    let mut ins = script.instructions();
    if !matches!(ins.next(), Some(Ok(Instruction::Op(op))) if op == bitcoin::opcodes::all::OP_RETURN)
    {
        return None;
    }
    let Some(Ok(Instruction::PushBytes(data))) = ins.next() else {
        return None;
    };
    let data = data.as_bytes();
    if data.len() < 12 || &data[..4] != MARKER {
        return None;
    }
    let amount = u64::from_le_bytes(data[4..12].try_into().ok()?);
    let asset = AssetId::from_bytes(&data[12..]).ok()?;
    Some((asset, amount))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;
    use bitcoin::{Txid, WPubkeyHash};
    use proptest::prelude::*;

    fn owner(n: u8) -> ScriptBuf {
        ScriptBuf::new_p2wpkh(&WPubkeyHash::from_byte_array([n; 20]))
    }

    /// agent(0) → quant(1) → chat(2) → base(3) → paper(4)
    fn chain() -> Vec<DirectNode> {
        vec![
            DirectNode {
                owner: owner(0),
                parents: vec![(1, 2000)],
                payee_of: None,
            },
            DirectNode {
                owner: owner(1),
                parents: vec![(2, 5000)],
                payee_of: None,
            },
            DirectNode {
                owner: owner(2),
                parents: vec![(3, 2000)],
                payee_of: None,
            },
            DirectNode {
                owner: owner(3),
                parents: vec![(4, 500)],
                payee_of: None,
            },
            DirectNode {
                owner: owner(4),
                parents: vec![],
                payee_of: None,
            },
        ]
    }

    #[test]
    fn large_payments_pay_everyone_their_flattened_share() {
        let s = direct_split(&chain(), 100_000_000).unwrap();
        assert_eq!(
            s.payouts,
            vec![80_000_000, 10_000_000, 8_000_000, 1_900_000, 100_000]
        );
        assert!(s.redirected.is_empty());
    }

    #[test]
    fn dust_shares_stay_with_the_nearest_payable_descendant() {
        // 1,000,000: paper would get 1,000 ok; 100,000: paper 100 (< 294) → base.
        let s = direct_split(&chain(), 100_000).unwrap();
        assert_eq!(s.payouts.iter().sum::<u64>(), 100_000);
        assert_eq!(s.payouts[4], 0);
        assert_eq!(s.redirected[0], (4, 3, 100));
        assert_eq!(s.payouts[3], 1_900 + 100);
        // So small that everything upstream is dust: it all cascades to the agent.
        let s = direct_split(&chain(), 1_000).unwrap();
        assert_eq!(s.payouts, vec![1_000, 0, 0, 0, 0]);
    }

    #[test]
    fn payees_are_nodes_paid_by_the_same_rule() {
        use crate::record::{Kind, Parent, Payee, Record, Relation};
        let rec = |n: u8, parents: Vec<Parent>, payees: Vec<Payee>| Record {
            kind: Kind::Model,
            name: format!("m{n}"),
            version: String::new(),
            license: "MIT".into(),
            content: None,
            owner: owner(n),
            fee_cap: 1_000,
            price: None,
            parents,
            payees,
        };
        let base_id = AssetId::new(Txid::from_byte_array([1; 32]), 0);
        let tune_id = AssetId::new(Txid::from_byte_array([2; 32]), 0);
        let base = rec(
            1,
            vec![],
            vec![Payee {
                script: owner(9),
                weight: 1000,
                relation: Relation::Author,
            }],
        );
        let tune = rec(
            2,
            vec![Parent {
                asset: base_id,
                weight: 2000,
                relation: Relation::Finetune,
            }],
            vec![Payee {
                script: owner(8),
                weight: 500,
                relation: Relation::Contributor,
            }],
        );
        let nodes = lineage_nodes(&[(tune_id, &tune), (base_id, &base)]);
        assert_eq!(nodes.len(), 4, "two assets, then their payees");
        assert_eq!((nodes[2].payee_of, nodes[3].payee_of), (Some(0), Some(1)));
        assert_eq!(nodes[0].parents, vec![(1, 2000), (2, 500)]);
        assert_eq!(nodes[1].parents, vec![(3, 1000)]);
        let s = direct_split(&nodes, 1_000_000).unwrap();
        // tune keeps 75%, its contributor 5%, base 20% of which its author takes a tenth.
        assert_eq!(s.payouts, vec![750_000, 180_000, 50_000, 20_000]);
    }

    #[test]
    fn markers_round_trip() {
        let id = AssetId::new(Txid::from_byte_array([3; 32]), 7);
        let m = marker(&id, 123_456);
        assert!(m.is_op_return());
        assert!(m.len() <= 83, "standard OP_RETURN size");
        assert_eq!(parse_marker(&m), Some((id, 123_456)));
        assert_eq!(parse_marker(&owner(1)), None);
    }

    proptest! {
        #[test]
        fn every_sat_is_paid_out(amount in 0u64..10_000_000_000, w in prop::collection::vec(1u16..5000, 4)) {
            let mut nodes = chain();
            for (i, w) in w.iter().enumerate() {
                nodes[i].parents[0].1 = *w;
            }
            let s = direct_split(&nodes, amount).unwrap();
            prop_assert_eq!(s.payouts.iter().sum::<u64>(), amount);
            for (i, p) in s.payouts.iter().enumerate().skip(1) {
                prop_assert!(*p == 0 || *p >= 294, "node {} paid dust {}", i, p);
            }
        }
    }
}
