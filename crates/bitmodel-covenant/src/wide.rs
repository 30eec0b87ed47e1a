//! Vaults for the split of splits (`docs/splitters.md`): a record with more than 11 members
//! has a vault over the top of `bitmodel_protocol::wide::tree`, and each splitter is a vault
//! over its subtree's weight whose "owner" is its first child. Every script follows from the
//! record and its parents' vaults alone, so the indexer, the keeper and anyone else derive
//! the same splitters, numbered the same way.

use bitcoin::{OutPoint, ScriptBuf};
use bitmodel_protocol::wide::{tree, Node};
use bitmodel_protocol::{Chain, Record, BPS, MAX_MEMBERS, MAX_PARENTS};

use crate::spend::{build_distribute, recommended_fee_cap, Built, Utxo};
use crate::vault::{ParentShare, Vault, VaultTerms};
use crate::CovenantError;

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
    let scripts: Vec<ScriptBuf> = parent_vaults
        .iter()
        .cloned()
        .chain(record.payees.iter().map(|p| p.script.clone()))
        .collect();
    tree_vaults(
        &member_weights(record),
        &scripts,
        record.owner.clone(),
        record.fee_cap,
        chain,
    )
}

/// The vaults of a tree over members with these weights and scripts (in order), an owner and
/// the vault's fee cap.
pub fn tree_vaults(
    weights: &[u16],
    scripts: &[ScriptBuf],
    owner: ScriptBuf,
    fee_cap: u64,
    chain: Chain,
) -> Result<RecordVaults, CovenantError> {
    let top = tree(weights);
    let mut built: Vec<Option<Vault>> = Vec::new();
    let mut parents = Vec::with_capacity(top.len());
    for node in &top {
        parents.push(ParentShare {
            script_pubkey: build(node, weights, scripts, chain, &mut built)?,
            weight: node.weight(weights),
        });
    }
    Ok(RecordVaults {
        top: VaultTerms {
            parents,
            owner,
            fee_cap,
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
    let (weight, children) = match node {
        Node::Member(i) => return Ok(scripts[*i].clone()),
        Node::Splitter { weight, children } => (*weight, children),
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
        denominator: weight,
    };
    let vault = Vault::new(terms, chain)?;
    let spk = vault.script_pubkey().clone();
    out[slot] = Some(vault);
    Ok(spk)
}

/// Every spend from the vault's UTXO `utxo` down to the members, each splitter spent as soon
/// as the spend above it pays it, each at fee `fee(vault)` (honest, unbroadcast): what the
/// keeper would push over `depth` blocks, at once, for estimates, tests and benchmarks.
pub fn spend_tree(
    vaults: &RecordVaults,
    chain: Chain,
    utxo: Utxo,
    fee: impl Fn(&Vault) -> u64,
) -> Result<Vec<Built>, CovenantError> {
    let by_script: std::collections::HashMap<&ScriptBuf, &Vault> = vaults
        .splitters
        .iter()
        .map(|v| (v.script_pubkey(), v))
        .collect();
    let top = Vault::new(vaults.top.clone(), chain)?;
    let mut out = Vec::new();
    let mut queue = vec![(top, utxo)];
    while let Some((v, u)) = queue.pop() {
        let b = build_distribute(&v, u, fee(&v))?;
        let txid = b.tx.compute_txid();
        for (vout, o) in b.tx.output.iter().enumerate() {
            if let Some(s) = by_script.get(&o.script_pubkey) {
                let at = Utxo {
                    outpoint: OutPoint::new(txid, vout as u32),
                    amount: o.value.to_sat(),
                };
                queue.push(((*s).clone(), at));
            }
        }
        out.push(b);
    }
    Ok(out)
}
