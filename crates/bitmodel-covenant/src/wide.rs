//! Vaults for the split of splits (`docs/splitters.md`): the asset's vault pays the top of a
//! `bitmodel_protocol::wide::tree`, each splitter is a vault over its subtree's weight whose
//! "owner" is its first child. Every script follows from the members' scripts and weights.

use bitcoin::ScriptBuf;
use bitmodel_protocol::wide::Node;
use bitmodel_protocol::{Chain, BPS};

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
