//! A vault: the asset's P2TR covenant address. Internal key = BIP341's NUMS point `H` (no one
//! knows its discrete log, so there is no key-path spend); leaves = `follow` at depth 1 (it is
//! revealed once per merged input, so its control block is paid most often), `distribute` and
//! `merge` at depth 2.

use bitcoin::key::Secp256k1;
use bitcoin::taproot::{ControlBlock, LeafVersion, TapLeafHash, TaprootBuilder, TaprootSpendInfo};
use bitcoin::{Address, Network, ScriptBuf, XOnlyPublicKey};
use bitmodel_protocol::{Chain, Record, BPS, MAX_PARENTS};

use crate::asm::find_op_success;
use crate::{leaves, CovenantError};
use bitmodel_protocol::MAX_SCRIPT_AMOUNT;

/// BIP341's provably unspendable internal key `H`.
pub const NUMS: [u8; 32] = [
    0x50, 0x92, 0x9b, 0x74, 0xc1, 0xa0, 0x49, 0x54, 0xb7, 0x8b, 0x4b, 0x60, 0x35, 0xe9, 0x7a, 0x5e,
    0x07, 0x8a, 0x5a, 0x0f, 0x28, 0xec, 0x96, 0xd5, 0x47, 0xbf, 0xee, 0x9a, 0xce, 0x80, 0x3a, 0xc0,
];

/// One C-Flow edge as the vault pays it: the parent's vault and its weight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParentShare {
    pub script_pubkey: ScriptBuf,
    pub weight: u16,
}

impl ParentShare {
    /// The smallest share the leaf lets through (Core's dust limit for the script; 330 for P2TR).
    pub fn dust(&self) -> u64 {
        self.script_pubkey.minimal_non_dust().to_sat()
    }
}

/// What a vault enforces; taken from the asset's record and its parents' vaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultTerms {
    pub parents: Vec<ParentShare>,
    pub owner: ScriptBuf,
    pub fee_cap: u64,
    /// What weights are parts of: 10000 basis points for an asset's vault; a splitter's
    /// subtree weight for a splitter (`docs/splitters.md`), whose "owner" is its first child.
    pub denominator: u16,
}

impl VaultTerms {
    /// Terms from a record, given each parent's vault scriptPubKey in the record's order;
    /// the record's payees follow the parents, each paid to its own script.
    pub fn from_record(record: &Record, parent_vaults: &[ScriptBuf]) -> Self {
        let parents = record
            .parents
            .iter()
            .zip(parent_vaults)
            .map(|(p, spk)| ParentShare {
                script_pubkey: spk.clone(),
                weight: p.weight,
            })
            .chain(record.payees.iter().map(|p| ParentShare {
                script_pubkey: p.script.clone(),
                weight: p.weight,
            }))
            .collect();
        VaultTerms {
            parents,
            owner: record.owner.clone(),
            fee_cap: record.fee_cap,
            denominator: BPS,
        }
    }

    pub fn weights(&self) -> Vec<u16> {
        self.parents.iter().map(|p| p.weight).collect()
    }

    /// The owner has an output unless the parents take all 10000 basis points.
    pub fn has_owner_output(&self) -> bool {
        self.parents
            .iter()
            .map(|p| u32::from(p.weight))
            .sum::<u32>()
            < u32::from(self.denominator)
    }

    pub fn owner_dust(&self) -> u64 {
        self.owner.minimal_non_dust().to_sat()
    }

    pub fn check(&self) -> Result<(), CovenantError> {
        if self.parents.len() > MAX_PARENTS {
            return Err(CovenantError::TooManyParents(self.parents.len()));
        }
        if self.denominator == 0 || self.denominator > BPS {
            return Err(CovenantError::BadDenominator(self.denominator));
        }
        for (index, p) in self.parents.iter().enumerate() {
            if p.weight == 0 || p.weight > self.denominator {
                return Err(CovenantError::BadWeight {
                    index,
                    weight: p.weight,
                });
            }
            // A parent asset's vault is P2TR; a payee may be any standard payout script.
            if !is_standard_payout(&p.script_pubkey) {
                return Err(CovenantError::ParentNotVault(index));
            }
        }
        let sum: u32 = self.parents.iter().map(|p| u32::from(p.weight)).sum();
        if sum > u32::from(self.denominator) {
            return Err(CovenantError::WeightSum(sum));
        }
        if !is_standard_payout(&self.owner) {
            return Err(CovenantError::NonStandardOwner);
        }
        if self.fee_cap > MAX_SCRIPT_AMOUNT {
            return Err(CovenantError::FeeCapTooLarge(self.fee_cap));
        }
        Ok(())
    }
}

/// The scripts a distribute may pay: P2PKH, P2SH, P2WPKH, P2WSH or P2TR (no bare scripts, no
/// OP_RETURN, nothing a node would not relay).
fn is_standard_payout(s: &ScriptBuf) -> bool {
    s.is_p2pkh() || s.is_p2sh() || s.is_p2wpkh() || s.is_p2wsh() || s.is_p2tr()
}

/// A built vault: its leaves, taproot tree and scriptPubKey.
#[derive(Clone, Debug)]
pub struct Vault {
    pub terms: VaultTerms,
    pub distribute: ScriptBuf,
    /// The merge leader (input 0 of a merge of 2..=8 inputs).
    pub merge: ScriptBuf,
    /// The merge follower (inputs 1.. of a merge).
    pub follow: ScriptBuf,
    spend_info: TaprootSpendInfo,
    script_pubkey: ScriptBuf,
}

impl Vault {
    /// Builds the vault for `terms` on `chain`; refuses chains without OP_CAT.
    pub fn new(terms: VaultTerms, chain: Chain) -> Result<Vault, CovenantError> {
        if !chain.rules_have_op_cat() {
            return Err(CovenantError::NoOpCat(chain));
        }
        terms.check()?;
        let distribute = leaves::distribute(&terms);
        let merge = leaves::merge(terms.fee_cap);
        let follow = leaves::follow();
        // COVENANT checklist 3: an OP_SUCCESSx other than OP_CAT would make the leaf
        // anyone-can-spend, so a builder bug must stop here rather than reach the chain.
        for leaf in [&distribute, &merge, &follow] {
            if let Some(op) = find_op_success(leaf) {
                return Err(CovenantError::OpSuccess(op));
            }
        }
        let secp = Secp256k1::verification_only();
        let nums = XOnlyPublicKey::from_slice(&NUMS).expect("NUMS is a valid x-only key");
        // DFS order: follow at depth 1, distribute and merge at depth 2 (1/2 + 1/4 + 1/4 = 1).
        let spend_info = TaprootBuilder::new()
            .add_leaf(1, follow.clone())
            .and_then(|b| b.add_leaf(2, distribute.clone()))
            .and_then(|b| b.add_leaf(2, merge.clone()))
            .expect("valid depths")
            .finalize(&secp, nums)
            .expect("the tree is complete");
        let script_pubkey = ScriptBuf::new_p2tr_tweaked(spend_info.output_key());
        Ok(Vault {
            terms,
            distribute,
            merge,
            follow,
            spend_info,
            script_pubkey,
        })
    }

    pub fn script_pubkey(&self) -> &ScriptBuf {
        &self.script_pubkey
    }

    /// The vault's address; devnet uses regtest's `bcrt` prefix, Fractal mainnet `bc`.
    pub fn address(&self, network: Network) -> Address {
        Address::from_script(&self.script_pubkey, network).expect("a P2TR script has an address")
    }

    pub fn leaf_hash(leaf: &ScriptBuf) -> TapLeafHash {
        TapLeafHash::from_script(leaf, LeafVersion::TapScript)
    }

    pub fn control_block(&self, leaf: &ScriptBuf) -> ControlBlock {
        self.spend_info
            .control_block(&(leaf.clone(), LeafVersion::TapScript))
            .expect("the leaf is in this vault's tree")
    }
}
