//! Attacks on merges since only input 0 runs the full check: the leader (`merge`, input 0,
//! SIGHASH_DEFAULT) and the followers (`follow`, inputs 1.., SIGHASH_NONE). Each attack is
//! forged like the distribute attacks: the test builds, independently of the leaves, the
//! message the attacked leaf will assemble from the attacker's witness and grinds nLockTime
//! until every forged challenge is usable, so a rejection comes from the leaf's own checks.
//! The arguments these attacks test are written out in `docs/covenant.md` ("Followers").

mod common;

use bitcoin::hashes::{sha256, Hash};
use bitcoin::taproot::{LeafVersion, TapLeafHash};
use bitcoin::{Amount, ScriptBuf, Transaction, TxIn, TxOut, Witness};
use bitmodel_covenant::asm::scriptnum;
use bitmodel_covenant::leaves::{G_X, TAG_CHALLENGE, TAG_TAPSIGHASH};
use bitmodel_covenant::sigmsg::{pieces, usable};
use bitmodel_covenant::spend::Built;
use bitmodel_covenant::{build_distribute, build_merge, Vault};
use bitmodel_script::{verify_input, Flags, ScriptError};
use common::*;

const CAP: u64 = 5_000;

fn hash(b: &[u8]) -> [u8; 32] {
    sha256::Hash::hash(b).to_byte_array()
}

fn challenge(tagged_msg: &[u8]) -> [u8; 32] {
    let sighash = hash(&[&TAG_TAPSIGHASH[..], &TAG_TAPSIGHASH, tagged_msg].concat());
    hash(&[&TAG_CHALLENGE[..], &TAG_CHALLENGE, &G_X, &G_X, &sighash].concat())
}

fn leaf_hash(leaf: &ScriptBuf) -> [u8; 32] {
    TapLeafHash::from_script(leaf, LeafVersion::TapScript).to_byte_array()
}

fn tail(leaf: &ScriptBuf) -> Vec<u8> {
    [&leaf_hash(leaf)[..], &[0, 0xff, 0xff, 0xff, 0xff]].concat()
}

fn bit(bits: u8, i: u8) -> Vec<u8> {
    if bits >> i & 1 == 1 {
        vec![1]
    } else {
        vec![]
    }
}

fn spks_hash(v: &ScriptBuf, n: usize) -> [u8; 32] {
    let mut x = Vec::new();
    for _ in 0..n {
        x.push(0x22);
        x.extend_from_slice(v.as_bytes());
    }
    hash(&x)
}

/// What an attacker puts in a follower's witness.
#[derive(Clone)]
struct Follower {
    j: Vec<u8>,
    v: ScriptBuf,
    bits: u8,
    /// Changes to the real `pre` / `mid`, applied at every ground lock time.
    pre: Option<fn(&mut Vec<u8>)>,
    mid: Option<fn(&mut Vec<u8>)>,
}

impl Follower {
    fn honest(v: &Vault, j: usize, k: usize) -> Follower {
        Follower {
            j: scriptnum(j as i64),
            v: v.script_pubkey().clone(),
            bits: (k - 1) as u8,
            pre: None,
            mid: None,
        }
    }

    /// The witness for this lock time, or `None` if the forged challenge is not usable.
    fn witness(&self, vault: &Vault, tx: &Transaction, spent: &[TxOut]) -> Option<Witness> {
        let p = pieces(tx, spent);
        let mut pre = p.pre(2);
        let mut mid = p.mid();
        if let Some(bend) = self.pre {
            bend(&mut pre);
        }
        if let Some(bend) = self.mid {
            bend(&mut mid);
        }
        let n = 1 + (self.bits & 1) + 2 * (self.bits >> 1 & 1) + 4 * (self.bits >> 2 & 1);
        let index = [&self.j[..], &[0, 0, 0]].concat();
        let msg = [
            &pre[..],
            &spks_hash(&self.v, n.into()),
            &mid,
            &index,
            &tail(&vault.follow),
        ]
        .concat();
        let e = challenge(&msg);
        usable(&e).then(|| {
            let mut w = Witness::new();
            w.push(&e[..31]);
            w.push(&e[31..]);
            w.push(tail(&vault.follow));
            w.push(&mid);
            w.push(&self.j);
            w.push(&pre);
            w.push(self.v.as_bytes());
            w.push(bit(self.bits, 2));
            w.push(bit(self.bits, 1));
            w.push(bit(self.bits, 0));
            w.push(vault.follow.as_bytes());
            w.push(vault.control_block(&vault.follow).serialize());
            w
        })
    }
}

/// What an attacker puts in a merge leader's witness: the amounts in input order.
#[derive(Clone)]
struct Leader {
    amounts: Vec<u64>,
    fee: u64,
    v: ScriptBuf,
}

impl Leader {
    fn witness(&self, vault: &Vault, tx: &Transaction, spent: &[TxOut]) -> Option<Witness> {
        let k = self.amounts.len();
        let bits = (k - 1) as u8;
        let p = pieces(tx, spent);
        let blob: Vec<u8> = self.amounts.iter().flat_map(|a| a.to_le_bytes()).collect();
        let out = self.amounts.iter().sum::<u64>() - self.fee;
        let output = [&out.to_le_bytes()[..], &[0x22], self.v.as_bytes()].concat();
        let msg = [
            &[0u8, 0][..],
            &p.p1(),
            &hash(&blob),
            &spks_hash(&self.v, k),
            &p.sha_sequences,
            &hash(&output),
            &[2, 0, 0, 0, 0],
            &tail(&vault.merge),
        ]
        .concat();
        let e = challenge(&msg);
        usable(&e).then(|| {
            let present = |slot: usize| match slot {
                1 => true,
                2 => bits & 1 == 1,
                3..=4 => bits & 2 == 2,
                _ => bits & 4 == 4,
            };
            let mut slots = vec![Vec::new(); 9];
            let mut it = self.amounts.iter();
            for (slot, item) in slots.iter_mut().enumerate().skip(1) {
                if present(slot) {
                    *item = scriptnum(*it.next().unwrap() as i64);
                }
            }
            let mut w = Witness::new();
            w.push(&e[..31]);
            w.push(&e[31..]);
            w.push(tail(&vault.merge));
            w.push(p.sha_sequences);
            w.push(p.p1());
            w.push(self.v.as_bytes());
            w.push(bit(bits, 2));
            w.push(bit(bits, 1));
            w.push(bit(bits, 0));
            w.push(scriptnum(self.fee as i64));
            for slot in (1..=8).rev() {
                w.push(&slots[slot]);
            }
            w.push(vault.merge.as_bytes());
            w.push(vault.control_block(&vault.merge).serialize());
            w
        })
    }
}

/// One input's forged role.
enum Role<'a> {
    Lead(&'a Vault, Leader),
    Follow(&'a Vault, Follower),
    /// A distribute of `A` with fee `F` (the forger computes q and t like an honest spend).
    Distribute(&'a Vault, u64, u64),
    /// Leave this input's witness as it is.
    Keep,
}

/// Grinds nLockTime until every role's forged challenge is usable, then sets the witnesses.
fn forge(tx: &mut Transaction, spent: &[TxOut], roles: &[Role]) {
    for n in 0..100_000u32 {
        tx.lock_time = bitcoin::absolute::LockTime::from_consensus(n);
        let mut ws = Vec::new();
        for (i, role) in roles.iter().enumerate() {
            let w = match role {
                Role::Lead(v, l) => l.witness(v, tx, spent),
                Role::Follow(v, f) => f.witness(v, tx, spent),
                Role::Distribute(v, a, f) => distribute_witness(v, tx, spent, *a, *f),
                Role::Keep => Some(tx.input[i].witness.clone()),
            };
            match w {
                Some(w) => ws.push(w),
                None => break,
            }
        }
        if ws.len() == roles.len() {
            for (i, w) in ws.into_iter().enumerate() {
                tx.input[i].witness = w;
            }
            return;
        }
    }
    panic!("no usable lock time");
}

/// An honest-looking distribute witness for input 0 of whatever transaction this is.
fn distribute_witness(
    v: &Vault,
    tx: &Transaction,
    spent: &[TxOut],
    a: u64,
    fee: u64,
) -> Option<Witness> {
    let outputs = bitmodel_covenant::spend::distribute_outputs(&v.terms, a, fee).unwrap();
    let blob: Vec<u8> = outputs
        .iter()
        .flat_map(bitcoin::consensus::serialize)
        .collect();
    let p = pieces(tx, spent);
    let msg = [
        &[0u8, 0][..],
        &p.p1(),
        &hash(&a.to_le_bytes()),
        &p.p2(),
        &hash(&blob),
        &[2, 0, 0, 0, 0],
        &tail(&v.distribute),
    ]
    .concat();
    let e = challenge(&msg);
    usable(&e).then(|| {
        let t = a - fee;
        let (q, r) = (t / 10_000, t % 10_000);
        let mut w = Witness::new();
        w.push(&e[..31]);
        w.push(&e[31..]);
        w.push(tail(&v.distribute));
        w.push(p.p2());
        w.push(p.p1());
        w.push(scriptnum(q as i64));
        w.push(scriptnum(fee as i64));
        w.push(scriptnum(a as i64));
        for parent in &v.terms.parents {
            w.push(scriptnum((r * u64::from(parent.weight) / 10_000) as i64));
        }
        w.push(v.distribute.as_bytes());
        w.push(v.control_block(&v.distribute).serialize());
        w
    })
}

fn input_error(tx: &Transaction, spent: &[TxOut], i: usize) -> ScriptError {
    verify_input(tx, i, spent, Flags::FRACTAL).expect_err("this input must not verify")
}

fn honest_merge(k: usize) -> (Vault, Built) {
    let v = vault(&[3000, 2000, 1000], CAP);
    let utxos: Vec<_> = (0..k).map(|j| utxo(60 + j as u8, 50_000)).collect();
    let b = build_merge(&v, &utxos, 500).unwrap();
    verify(&b.tx, &b.spent).expect("honest merge verifies");
    (v, b)
}

fn attacker_spk() -> ScriptBuf {
    ScriptBuf::new_p2wpkh(&bitcoin::WPubkeyHash::from_byte_array([0xee; 20]))
}

/// Sanity: the forgers reproduce honest spends, so they are faithful attackers.
#[test]
fn forgers_build_accepted_honest_merges() {
    for k in [2usize, 3, 5, 8] {
        let (v, mut b) = honest_merge(k);
        let amounts = b.spent.iter().map(|o| o.value.to_sat()).collect();
        let mut roles = vec![Role::Lead(
            &v,
            Leader {
                amounts,
                fee: 500,
                v: v.script_pubkey().clone(),
            },
        )];
        roles.extend((1..k).map(|j| Role::Follow(&v, Follower::honest(&v, j, k))));
        forge(&mut b.tx, &b.spent, &roles);
        verify(&b.tx, &b.spent).unwrap_or_else(|e| panic!("k = {k}: {e}"));
    }
}

#[test]
fn followers_alone_cannot_spend() {
    // Two vault UTXOs, both spent by followers, paying the attacker: the follower at index 0
    // claims index 1 (its own check would refuse 0), so its message is not the real one.
    let (v, mut b) = honest_merge(2);
    b.tx.output[0].script_pubkey = attacker_spk();
    let mut f0 = Follower::honest(&v, 1, 2);
    f0.j = scriptnum(1);
    forge(
        &mut b.tx,
        &b.spent,
        &[
            Role::Follow(&v, f0),
            Role::Follow(&v, Follower::honest(&v, 1, 2)),
        ],
    );
    assert_eq!(input_error(&b.tx, &b.spent, 0), ScriptError::SchnorrSig);
    verify_input(&b.tx, 1, &b.spent, Flags::FRACTAL)
        .expect("the real follower at index 1 is fine on its own: input 0 is what stops it");
}

#[test]
fn follower_claiming_index_zero() {
    let (v, mut b) = honest_merge(2);
    b.tx.output[0].script_pubkey = attacker_spk();
    let mut f0 = Follower::honest(&v, 0, 2);
    f0.j = scriptnum(0);
    forge(
        &mut b.tx,
        &b.spent,
        &[
            Role::Follow(&v, f0),
            Role::Follow(&v, Follower::honest(&v, 1, 2)),
        ],
    );
    assert_eq!(input_error(&b.tx, &b.spent, 0), ScriptError::Verify);
}

#[test]
fn follower_claiming_index_zero_as_padded_bytes() {
    // j = 0x00 0x00 reads as the number 0 (not minimal, so also a policy failure).
    let (v, mut b) = honest_merge(2);
    let mut f0 = Follower::honest(&v, 0, 2);
    f0.j = vec![0, 0];
    forge(
        &mut b.tx,
        &b.spent,
        &[
            Role::Follow(&v, f0),
            Role::Follow(&v, Follower::honest(&v, 1, 2)),
        ],
    );
    assert!(matches!(
        input_error(&b.tx, &b.spent, 0),
        ScriptError::Verify | ScriptError::UnknownError
    ));
}

#[test]
fn miner_reorders_inputs_leader_at_index_one() {
    // A miner swaps the inputs and re-forges both witnesses: the leader's index is the
    // constant 0 and the follower's must not be 0, so neither role fits its new place.
    let (v, mut b) = honest_merge(2);
    b.tx.input.swap(0, 1);
    b.spent.swap(0, 1);
    b.tx.output[0].script_pubkey = attacker_spk();
    let lead = Leader {
        amounts: b.spent.iter().map(|o| o.value.to_sat()).collect(),
        fee: 500,
        v: v.script_pubkey().clone(),
    };
    let mut f = Follower::honest(&v, 1, 2);
    f.j = scriptnum(1);
    forge(
        &mut b.tx,
        &b.spent,
        &[Role::Follow(&v, f), Role::Lead(&v, lead)],
    );
    assert_eq!(input_error(&b.tx, &b.spent, 0), ScriptError::SchnorrSig);
    assert_eq!(input_error(&b.tx, &b.spent, 1), ScriptError::SchnorrSig);
}

#[test]
fn follower_beside_a_distribute() {
    // Input 0 distributes one UTXO honestly; input 1, a follower, rides along so that its
    // money becomes fee. The distribute leaf builds sha_amounts from its own amount only.
    let v = vault(&[3000, 2000, 1000], CAP);
    let mut b = build_distribute(&v, utxo(70, 1_000_000), 1_000).unwrap();
    b.tx.input.push(TxIn {
        previous_output: utxo(71, 500_000).outpoint,
        sequence: bitcoin::Sequence::MAX,
        ..Default::default()
    });
    b.spent.push(TxOut {
        value: Amount::from_sat(500_000),
        script_pubkey: v.script_pubkey().clone(),
    });
    forge(
        &mut b.tx,
        &b.spent,
        &[
            Role::Distribute(&v, 1_000_000, 1_000),
            Role::Follow(&v, Follower::honest(&v, 1, 2)),
        ],
    );
    verify_input(&b.tx, 1, &b.spent, Flags::FRACTAL).expect("the follower's own check passes");
    assert_eq!(input_error(&b.tx, &b.spent, 0), ScriptError::SchnorrSig);
}

#[test]
fn two_vaults_one_leader() {
    // Vault W (the attacker's own asset) leads a merge that also spends a UTXO of vault V
    // through V's follower; W's output would take V's money.
    let v = vault(&[3000, 2000, 1000], CAP);
    let w = vault(&[100], CAP);
    let mut b = build_merge(&w, &[utxo(80, 50_000), utxo(81, 50_000)], 500).unwrap();
    b.spent[1].script_pubkey = v.script_pubkey().clone();
    let lead = Leader {
        amounts: vec![50_000, 50_000],
        fee: 500,
        v: w.script_pubkey().clone(),
    };
    // V's follower claims V (the truth for its own input) ...
    forge(
        &mut b.tx,
        &b.spent,
        &[
            Role::Lead(&w, lead.clone()),
            Role::Follow(&v, Follower::honest(&v, 1, 2)),
        ],
    );
    assert_eq!(input_error(&b.tx, &b.spent, 1), ScriptError::SchnorrSig);
    assert_eq!(input_error(&b.tx, &b.spent, 0), ScriptError::SchnorrSig);
    // ... or claims W, the script of input 0: then its own entry does not match.
    let mut as_w = Follower::honest(&v, 1, 2);
    as_w.v = w.script_pubkey().clone();
    forge(
        &mut b.tx,
        &b.spent,
        &[Role::Lead(&w, lead), Role::Follow(&v, as_w)],
    );
    assert_eq!(input_error(&b.tx, &b.spent, 1), ScriptError::SchnorrSig);
}

#[test]
fn follower_behind_an_attacker_input_at_index_zero() {
    // Input 0 is the attacker's anyone-can-spend output; the follower claims every input is V.
    let (v, mut b) = honest_merge(2);
    b.spent[0].script_pubkey = ScriptBuf::from_bytes(vec![0x51]);
    b.tx.output[0].script_pubkey = attacker_spk();
    forge(
        &mut b.tx,
        &b.spent,
        &[Role::Keep, Role::Follow(&v, Follower::honest(&v, 1, 2))],
    );
    assert_eq!(input_error(&b.tx, &b.spent, 1), ScriptError::SchnorrSig);
}

#[test]
fn follower_spk_list_with_v_hidden_inside_a_longer_script() {
    // The misparse attack: input 1 is a bare script whose bytes contain 0x22 ‖ V, input 0 the
    // attacker's. A follower that checked "V appears at some offset" would be fooled; this
    // one hashes V's entry repeated once per input, which cannot equal this list.
    let (v, mut b) = honest_merge(3);
    let mut bare = vec![0x6a, 0x23, 0x22]; // OP_RETURN, push 35: 0x22 ‖ V
    bare.extend_from_slice(v.script_pubkey().as_bytes());
    b.spent[0].script_pubkey = ScriptBuf::from_bytes(vec![0x51]);
    b.spent[1].script_pubkey = ScriptBuf::from_bytes(bare);
    b.tx.output[0].script_pubkey = attacker_spk();
    forge(
        &mut b.tx,
        &b.spent,
        &[
            Role::Keep,
            Role::Keep,
            Role::Follow(&v, Follower::honest(&v, 2, 3)),
        ],
    );
    assert_eq!(input_error(&b.tx, &b.spent, 2), ScriptError::SchnorrSig);
}

#[test]
fn follower_bits_claim_more_inputs_than_there_are() {
    let (v, mut b) = honest_merge(2);
    let mut f = Follower::honest(&v, 1, 2);
    f.bits = 2; // three inputs
    forge(&mut b.tx, &b.spent, &[Role::Keep, Role::Follow(&v, f)]);
    assert_eq!(input_error(&b.tx, &b.spent, 1), ScriptError::SchnorrSig);
}

#[test]
fn follower_prefix_one_byte_short() {
    let (v, mut b) = honest_merge(2);
    let mut f = Follower::honest(&v, 1, 2);
    f.pre = Some(|pre| {
        pre.pop();
    });
    forge(&mut b.tx, &b.spent, &[Role::Keep, Role::Follow(&v, f)]);
    assert_eq!(input_error(&b.tx, &b.spent, 1), ScriptError::EqualVerify);
}

#[test]
fn follower_index_moved_into_sequences() {
    // mid grows by the index's first byte: the real index field would be read from mid.
    let (v, mut b) = honest_merge(2);
    let mut f = Follower::honest(&v, 1, 2);
    f.mid = Some(|mid| mid.push(1));
    forge(&mut b.tx, &b.spent, &[Role::Keep, Role::Follow(&v, f)]);
    assert_eq!(input_error(&b.tx, &b.spent, 1), ScriptError::EqualVerify);
}

#[test]
fn merge_of_a_single_input_pays_only_fees() {
    // A one-input "merge" could be repeated to burn a vault into fees: bits 000 are refused.
    let v = vault(&[3000], CAP);
    let b = build_merge(&v, &[utxo(90, 60_000), utxo(91, 60_000)], 500).unwrap();
    let mut tx = b.tx.clone();
    tx.input.truncate(1);
    let spent = vec![b.spent[0].clone()];
    tx.output[0].value = Amount::from_sat(60_000 - 500);
    let lead = Leader {
        amounts: vec![60_000],
        fee: 500,
        v: v.script_pubkey().clone(),
    };
    forge(&mut tx, &spent, &[Role::Lead(&v, lead)]);
    assert_eq!(input_error(&tx, &spent, 0), ScriptError::Verify);
}

#[test]
fn merge_slot_of_zero_cannot_hide_an_input() {
    // s_2 = 0 would make the empty pad table entry pick the previous blob as "le8(0)", so the
    // amounts hash could claim input 1's real amount while the sum adds nothing: refused.
    let (_, mut b) = honest_merge(2);
    let mut items: Vec<Vec<u8>> = b.tx.input[0].witness.iter().map(|i| i.to_vec()).collect();
    let n = items.len();
    items[n - 4] = Vec::new();
    b.tx.input[0].witness = Witness::from_slice(&items);
    assert_eq!(input_error(&b.tx, &b.spent, 0), ScriptError::Verify);
}

#[test]
fn merge_slot_of_negative_zero() {
    let (_, mut b) = honest_merge(2);
    let mut items: Vec<Vec<u8>> = b.tx.input[0].witness.iter().map(|i| i.to_vec()).collect();
    let n = items.len();
    items[n - 4] = vec![0x00, 0x80];
    b.tx.input[0].witness = Witness::from_slice(&items);
    assert!(matches!(
        input_error(&b.tx, &b.spent, 0),
        ScriptError::Verify | ScriptError::UnknownError
    ));
}

#[test]
fn merge_leader_understates_the_input_count() {
    // Three vault inputs, a leader that counts two: the third becomes fee. Forged.
    let (v, mut b) = honest_merge(3);
    b.tx.output[0].value = Amount::from_sat(100_000 - 500);
    let lead = Leader {
        amounts: vec![50_000, 50_000],
        fee: 500,
        v: v.script_pubkey().clone(),
    };
    forge(
        &mut b.tx,
        &b.spent,
        &[
            Role::Lead(&v, lead),
            Role::Follow(&v, Follower::honest(&v, 1, 3)),
            Role::Follow(&v, Follower::honest(&v, 2, 3)),
        ],
    );
    assert_eq!(input_error(&b.tx, &b.spent, 0), ScriptError::SchnorrSig);
}

#[test]
fn merge_ignored_slot_changes_nothing() {
    // An amount in a slot the bits leave out is dropped unread: the honest spend still
    // verifies and pays exactly the same.
    let (_, mut b) = honest_merge(2);
    let mut items: Vec<Vec<u8>> = b.tx.input[0].witness.iter().map(|i| i.to_vec()).collect();
    let n = items.len();
    items[n - 5] = scriptnum(1_000_000); // s_3, absent for two inputs
    b.tx.input[0].witness = Witness::from_slice(&items);
    verify(&b.tx, &b.spent).expect("an ignored slot is ignored");
    assert_eq!(b.tx.output[0].value, Amount::from_sat(100_000 - 500));
}
