//! Vaults for the split of splits (`docs/splitters.md`): the asset's vault pays the top of a
//! `bitmodel_protocol::wide::tree`, each splitter is a vault over its subtree's weight whose
//! "owner" is its first child. Every script follows from the members' scripts and weights.

use bitcoin::ScriptBuf;
use bitmodel_protocol::wide::{tree, Node};
use bitmodel_protocol::{Chain, Record, BPS, MAX_MEMBERS, MAX_PARENTS};

use crate::spend::recommended_fee_cap;
use crate::vault::{ParentShare, Vault, VaultTerms};
use crate::CovenantError;

/// The script a node is paid to: a member's own, or its splitter's vault.
pub fn node_script(
    node: &Node,
    weights: &[u16],
    member: &dyn Fn(usize) -> ScriptBuf,
    chain: Chain,
) -> Result<ScriptBuf, CovenantError> {
    match node {
        Node::Member(i) => Ok(member(*i)),
        Node::Splitter { .. } => Ok(splitter(node, weights, member, chain)?
            .script_pubkey()
            .clone()),
    }
}

fn shares(
    nodes: &[Node],
    weights: &[u16],
    member: &dyn Fn(usize) -> ScriptBuf,
    chain: Chain,
) -> Result<Vec<ParentShare>, CovenantError> {
    nodes
        .iter()
        .map(|c| {
            Ok(ParentShare {
                script_pubkey: node_script(c, weights, member, chain)?,
                weight: c.weight(weights),
            })
        })
        .collect()
}

/// A splitter's vault: children 2.. as parents over the splitter's weight, child 1 as owner.
pub fn splitter(
    node: &Node,
    weights: &[u16],
    member: &dyn Fn(usize) -> ScriptBuf,
    chain: Chain,
) -> Result<Vault, CovenantError> {
    let Node::Splitter { weight, children } = node else {
        return Err(CovenantError::TooManyParents(0));
    };
    let terms = VaultTerms {
        parents: shares(&children[1..], weights, member, chain)?,
        owner: node_script(&children[0], weights, member, chain)?,
        fee_cap: recommended_fee_cap(children.len()),
        denominator: *weight,
    };
    Vault::new(terms, chain)
}

/// The asset's vault terms over the top of the tree.
pub fn top_terms(
    top: &[Node],
    weights: &[u16],
    member: &dyn Fn(usize) -> ScriptBuf,
    owner: ScriptBuf,
    fee_cap: u64,
    chain: Chain,
) -> Result<VaultTerms, CovenantError> {
    Ok(VaultTerms {
        parents: shares(top, weights, member, chain)?,
        owner,
        fee_cap,
        denominator: BPS,
    })
}

/// Every vault a record's money passes through: the asset's own terms and, past 11
/// members, its splitters in pre-order (a splitter before its own splitters, top children
/// first). A splitter is named by its position in this list: the index books and the keeper
/// builds by that number, and both derive the same list from the record alone.
#[derive(Clone, Debug)]
pub struct RecordVaults {
    pub top: VaultTerms,
    pub splitters: Vec<Vault>,
}

/// The members' weights in tree order: parents first, then payees (as `wide::tree` numbers
/// them).
pub fn member_weights(record: &Record) -> Vec<u16> {
    record
        .parents
        .iter()
        .map(|p| p.weight)
        .chain(record.payees.iter().map(|p| p.weight))
        .collect()
}

/// The record's vaults, given each parent's vault scriptPubKey in record order. With at most
/// 11 members this is [`VaultTerms::from_record`] and no splitters.
pub fn record_vaults(
    record: &Record,
    parent_vaults: &[ScriptBuf],
    chain: Chain,
) -> Result<RecordVaults, CovenantError> {
    let members = record.parents.len() + record.payees.len();
    if members <= MAX_PARENTS {
        return Ok(RecordVaults {
            top: VaultTerms::from_record(record, parent_vaults),
            splitters: Vec::new(),
        });
    }
    if members > MAX_MEMBERS || parent_vaults.len() != record.parents.len() {
        return Err(CovenantError::TooManyMembers(members));
    }
    let weights = member_weights(record);
    let scripts: Vec<ScriptBuf> = parent_vaults
        .iter()
        .cloned()
        .chain(record.payees.iter().map(|p| p.script.clone()))
        .collect();
    let top = tree(&weights);
    let mut built: Vec<Option<Vault>> = Vec::new();
    let mut parents = Vec::with_capacity(top.len());
    for node in &top {
        parents.push(ParentShare {
            script_pubkey: build(node, &weights, &scripts, chain, &mut built)?,
            weight: node.weight(&weights),
        });
    }
    Ok(RecordVaults {
        top: VaultTerms {
            parents,
            owner: record.owner.clone(),
            fee_cap: record.fee_cap,
            denominator: BPS,
        },
        splitters: built.into_iter().flatten().collect(),
    })
}

/// Builds `node`'s vault (and its splitters', each once) into `out` in pre-order; returns the
/// script the node is paid to.
fn build(
    node: &Node,
    weights: &[u16],
    scripts: &[ScriptBuf],
    chain: Chain,
    out: &mut Vec<Option<Vault>>,
) -> Result<ScriptBuf, CovenantError> {
    let Node::Splitter { weight, children } = node else {
        let Node::Member(i) = node else {
            unreachable!("a node is a member or a splitter")
        };
        return Ok(scripts[*i].clone());
    };
    let slot = out.len();
    out.push(None);
    let mut child_scripts = Vec::with_capacity(children.len());
    for c in children {
        child_scripts.push(build(c, weights, scripts, chain, out)?);
    }
    let terms = VaultTerms {
        parents: children[1..]
            .iter()
            .zip(&child_scripts[1..])
            .map(|(c, spk)| ParentShare {
                script_pubkey: spk.clone(),
                weight: c.weight(weights),
            })
            .collect(),
        owner: child_scripts[0].clone(),
        fee_cap: recommended_fee_cap(children.len()),
        denominator: *weight,
    };
    let vault = Vault::new(terms, chain)?;
    let spk = vault.script_pubkey().clone();
    out[slot] = Some(vault);
    Ok(spk)
}
