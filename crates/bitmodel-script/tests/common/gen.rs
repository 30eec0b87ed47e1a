//! Random transactions of every script kind for differential testing against
//! libbitcoinconsensus: legacy, P2SH, segwit v0, taproot key and script path, random opcode
//! sequences, and valid signatures with a chance of targeted corruption.

use bitcoin::absolute::LockTime;
use bitcoin::hashes::{hash160, sha256, Hash};
use bitcoin::key::TapTweak;
use bitcoin::secp256k1::{All, Keypair, Message, Secp256k1, SecretKey, XOnlyPublicKey};
use bitcoin::taproot::{LeafVersion, TaprootBuilder};
use bitcoin::transaction::Version;
use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness};
use bitmodel_script::opcodes::*;
use bitmodel_script::{tapscript, Flags, TxData};

/// xorshift64* generator: fast, deterministic, seedable per case.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// One generated case: verify input `index` of `tx` which spends `spent`, under `flags`.
pub struct Case {
    pub tx: Transaction,
    pub spent: Vec<TxOut>,
    pub index: usize,
    pub flags: Flags,
    pub kind: &'static str,
}

pub struct Keys {
    pub secp: Secp256k1<All>,
    pub secret: Vec<SecretKey>,
}

impl Keys {
    pub fn new() -> Self {
        let secret = (1u8..=6)
            .map(|i| SecretKey::from_slice(&[i; 32]).expect("valid key"))
            .collect();
        Keys {
            secp: Secp256k1::new(),
            secret,
        }
    }
    fn pubkey(&self, i: usize, compressed: bool) -> Vec<u8> {
        let pk = self.secret[i].public_key(&self.secp);
        if compressed {
            pk.serialize().to_vec()
        } else {
            pk.serialize_uncompressed().to_vec()
        }
    }
    fn xonly(&self, i: usize) -> XOnlyPublicKey {
        self.secret[i].x_only_public_key(&self.secp).0
    }
}

impl Default for Keys {
    fn default() -> Self {
        Self::new()
    }
}

/// Libbitcoinconsensus's flags: the only ones a differential verdict can use.
pub const LIBCONSENSUS_FLAGS: [Flags; 7] = [
    Flags::P2SH,
    Flags::DERSIG,
    Flags::NULLDUMMY,
    Flags::CHECKLOCKTIMEVERIFY,
    Flags::CHECKSEQUENCEVERIFY,
    Flags::WITNESS,
    Flags::TAPROOT,
];

fn random_flags(rng: &mut Rng) -> Flags {
    if rng.chance(60) {
        return Flags::CORE24_CONSENSUS;
    }
    let mut f = Flags::NONE;
    for flag in LIBCONSENSUS_FLAGS {
        if rng.chance(50) {
            f |= flag;
        }
    }
    // Core asserts WITNESS implies P2SH.
    if f.contains(Flags::WITNESS) {
        f |= Flags::P2SH;
    }
    f
}

fn push(out: &mut Vec<u8>, data: &[u8]) {
    push_data(out, data);
}

/// A push encoded minimally or, sometimes, with a needlessly wide opcode.
fn random_push(rng: &mut Rng, out: &mut Vec<u8>, data: &[u8]) {
    match rng.below(10) {
        0 => {
            out.push(OP_PUSHDATA1);
            out.push(data.len().min(255) as u8);
            out.extend_from_slice(&data[..data.len().min(255)]);
        }
        1 => {
            out.push(OP_PUSHDATA2);
            out.extend_from_slice(&(data.len() as u16).to_le_bytes());
            out.extend_from_slice(data);
        }
        _ => push(out, data),
    }
}

fn random_data(rng: &mut Rng) -> Vec<u8> {
    let len = match rng.below(20) {
        0 => 0,
        1 => 20,
        2 => 32,
        3 => 33,
        4 => 520,
        5 if rng.chance(30) => 521,
        6 => rng.below(80),
        _ => rng.below(6),
    };
    let mut d = rng.bytes(len);
    if len <= 5 && rng.chance(50) {
        // Small numbers, sometimes non-minimal or negative zero.
        d = rng
            .pick(&[
                &[][..],
                &[1],
                &[0x81],
                &[0x80],
                &[0],
                &[5, 0],
                &[0xff, 0x7f],
                &[2, 0x80],
                &[0x10],
            ])
            .to_vec();
    }
    d
}

const COMMON_OPS: [u8; 48] = [
    OP_DUP,
    OP_DROP,
    OP_SWAP,
    OP_ROT,
    OP_OVER,
    OP_PICK,
    OP_ROLL,
    OP_DEPTH,
    OP_SIZE,
    OP_EQUAL,
    OP_EQUALVERIFY,
    OP_VERIFY,
    OP_ADD,
    OP_SUB,
    OP_1ADD,
    OP_NEGATE,
    OP_ABS,
    OP_NOT,
    OP_0NOTEQUAL,
    OP_BOOLAND,
    OP_NUMEQUAL,
    OP_LESSTHAN,
    OP_WITHIN,
    OP_MIN,
    OP_MAX,
    OP_HASH160,
    OP_SHA256,
    OP_HASH256,
    OP_RIPEMD160,
    OP_SHA1,
    OP_CHECKSIG,
    OP_CHECKSIGVERIFY,
    OP_CHECKMULTISIG,
    OP_CHECKSIGADD,
    OP_TOALTSTACK,
    OP_FROMALTSTACK,
    OP_2DUP,
    OP_3DUP,
    OP_2OVER,
    OP_2ROT,
    OP_2SWAP,
    OP_IFDUP,
    OP_NIP,
    OP_TUCK,
    OP_2DROP,
    OP_CODESEPARATOR,
    OP_CHECKLOCKTIMEVERIFY,
    OP_CHECKSEQUENCEVERIFY,
];

/// A random opcode sequence, biased towards executable, balanced scripts.
pub fn random_script(rng: &mut Rng, min: usize, spread: usize) -> Vec<u8> {
    let len = min + rng.below(spread);
    let mut s = Vec::new();
    let mut open_ifs = 0;
    for _ in 0..len {
        match rng.below(12) {
            0..=2 => {
                let d = random_data(rng);
                random_push(rng, &mut s, &d);
            }
            3 => s.push(rng.pick(&[OP_0, OP_1, OP_1 + 1, OP_1 + 2, OP_16, OP_1NEGATE])),
            4 => {
                s.push(rng.pick(&[OP_IF, OP_NOTIF]));
                open_ifs += 1;
            }
            5 if open_ifs > 0 => {
                s.push(rng.pick(&[OP_ELSE, OP_ENDIF, OP_ENDIF]));
                if s.last() == Some(&OP_ENDIF) {
                    open_ifs -= 1;
                }
            }
            6 => s.push(rng.below(256) as u8),
            _ => s.push(rng.pick(&COMMON_OPS)),
        }
    }
    for _ in 0..open_ifs {
        if rng.chance(90) {
            s.push(OP_ENDIF);
        }
    }
    if rng.chance(3) {
        s.extend_from_slice(&[OP_PUSHDATA1, 10, 1, 2]);
    }
    s
}

fn random_push_only(rng: &mut Rng, spread: usize) -> Vec<u8> {
    let items = rng.below(spread);
    let mut s = Vec::new();
    for _ in 0..items {
        if rng.chance(20) {
            s.push(rng.pick(&[OP_0, OP_1, OP_1NEGATE, OP_16]));
        } else {
            let d = random_data(rng);
            random_push(rng, &mut s, &d);
        }
    }
    s
}

fn base_tx(rng: &mut Rng, inputs: usize) -> Transaction {
    let version = match rng.below(4) {
        0 => 1,
        1 | 2 => 2,
        _ => rng.next() as i32,
    };
    let lock_time = match rng.below(4) {
        0 => 0,
        1 => rng.below(1000) as u32,
        2 => 500_000_000 + rng.below(1000) as u32,
        _ => rng.next() as u32,
    };
    let input = (0..inputs)
        .map(|i| TxIn {
            previous_output: OutPoint {
                txid: Txid::from_byte_array(sha256::Hash::hash(&[i as u8]).to_byte_array()),
                vout: i as u32,
            },
            script_sig: ScriptBuf::new(),
            sequence: Sequence(match rng.below(5) {
                0 => u32::MAX,
                1 => u32::MAX - 1,
                2 => rng.below(100) as u32,
                3 => (1 << 22) | rng.below(100) as u32,
                _ => rng.next() as u32,
            }),
            witness: Witness::new(),
        })
        .collect();
    let output = (0..1 + rng.below(3))
        .map(|_| TxOut {
            value: Amount::from_sat(rng.below(100_000) as u64),
            script_pubkey: {
                let n = rng.below(30);
                ScriptBuf::from_bytes(rng.bytes(n))
            },
        })
        .collect();
    Transaction {
        version: Version(version),
        lock_time: LockTime::from_consensus(lock_time),
        input,
        output,
    }
}

fn ecdsa_hash_type(rng: &mut Rng) -> u8 {
    if rng.chance(70) {
        rng.pick(&[1, 2, 3, 0x81, 0x82, 0x83])
    } else {
        rng.next() as u8
    }
}

/// DER signature with hash type, possibly corrupted.
fn ecdsa_sign(keys: &Keys, rng: &mut Rng, key: usize, digest: [u8; 32], hash_type: u8) -> Vec<u8> {
    let sig = keys
        .secp
        .sign_ecdsa(&Message::from_digest(digest), &keys.secret[key]);
    let mut der = sig.serialize_der().to_vec();
    match rng.below(14) {
        0 => {
            let i = rng.below(der.len());
            der[i] ^= 1 << rng.below(8);
        }
        1 => {
            // High S: s' = n - s, same validity under libsecp's normalization.
            let mut c = sig.serialize_compact();
            let n: [u8; 32] = [
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c,
                0xd0, 0x36, 0x41, 0x41,
            ];
            let mut borrow = 0i16;
            for i in (0..32).rev() {
                let d = i16::from(n[i]) - i16::from(c[32 + i]) - borrow;
                c[32 + i] = d.rem_euclid(256) as u8;
                borrow = i16::from(d < 0);
            }
            if let Ok(high) = bitcoin::secp256k1::ecdsa::Signature::from_compact(&c) {
                // from_compact keeps the high S as given.
                der = high.serialize_der().to_vec();
            }
        }
        2 => {
            // Non-DER: pad R with a needless zero byte.
            let len_r = der[3] as usize;
            der.insert(4, 0);
            der[3] = (len_r + 1) as u8;
            der[1] += 1;
        }
        3 => der.clear(),
        _ => {}
    }
    if !der.is_empty() || rng.chance(50) {
        der.push(hash_type);
    }
    der
}

/// Fills in `tx`'s spent outputs for the other inputs.
fn other_spent(rng: &mut Rng, n: usize) -> Vec<TxOut> {
    (0..n)
        .map(|_| {
            let mut spk = vec![OP_1, 32];
            spk.extend(rng.bytes(32));
            TxOut {
                value: Amount::from_sat(rng.below(1_000_000) as u64),
                script_pubkey: ScriptBuf::from_bytes(spk),
            }
        })
        .collect()
}

fn p2pkh(pk: &[u8]) -> Vec<u8> {
    let mut s = vec![OP_DUP, OP_HASH160, 20];
    s.extend_from_slice(&hash160::Hash::hash(pk).to_byte_array());
    s.extend_from_slice(&[OP_EQUALVERIFY, OP_CHECKSIG]);
    s
}

fn multisig(keys: &Keys, rng: &mut Rng, n: usize, k: usize) -> Vec<u8> {
    let mut s = vec![OP_1 + k as u8 - 1];
    for i in 0..n {
        push(&mut s, &keys.pubkey(i, !rng.chance(10)));
    }
    s.push(OP_1 + n as u8 - 1);
    s.push(OP_CHECKMULTISIG);
    s
}

fn p2sh(redeem: &[u8]) -> Vec<u8> {
    let mut s = vec![OP_HASH160, 20];
    s.extend_from_slice(&hash160::Hash::hash(redeem).to_byte_array());
    s.push(OP_EQUAL);
    s
}

fn p2wsh(script: &[u8]) -> Vec<u8> {
    let mut s = vec![OP_0, 32];
    s.extend_from_slice(&sha256::Hash::hash(script).to_byte_array());
    s
}

/// Signatures for a `k`-of-`n` CHECKMULTISIG over `digest_for(hash_type)`.
fn multisig_sigs(
    keys: &Keys,
    rng: &mut Rng,
    k: usize,
    n: usize,
    mut digest_for: impl FnMut(u32) -> [u8; 32],
) -> Vec<Vec<u8>> {
    let mut chosen: Vec<usize> = (0..n).collect();
    while chosen.len() > k {
        chosen.remove(rng.below(chosen.len()));
    }
    if rng.chance(10) {
        chosen.reverse();
    }
    let mut sigs = vec![if rng.chance(90) { vec![] } else { vec![1] }];
    for key in chosen {
        let ht = ecdsa_hash_type(rng);
        let digest = digest_for(u32::from(ht));
        sigs.push(ecdsa_sign(keys, rng, key, digest, ht));
    }
    sigs
}

fn script_from_items(items: &[Vec<u8>]) -> Vec<u8> {
    let mut s = Vec::new();
    for item in items {
        push(&mut s, item);
    }
    s
}

fn schnorr_sign(
    keys: &Keys,
    rng: &mut Rng,
    key: usize,
    digest: [u8; 32],
    hash_type: u8,
) -> Vec<u8> {
    let kp = Keypair::from_secret_key(&keys.secp, &keys.secret[key]);
    let sig = keys
        .secp
        .sign_schnorr_no_aux_rand(&Message::from_digest(digest), &kp);
    let mut s = sig.as_ref().to_vec();
    if hash_type != 0 || rng.chance(5) {
        s.push(hash_type);
    }
    match rng.below(15) {
        0 => {
            let i = rng.below(s.len());
            s[i] ^= 1 << rng.below(8);
        }
        1 => s.clear(),
        2 => s.truncate(63),
        _ => {}
    }
    s
}

fn taproot_hash_type(rng: &mut Rng) -> u8 {
    if rng.chance(85) {
        rng.pick(&[0, 1, 2, 3, 0x81, 0x82, 0x83])
    } else {
        rng.next() as u8
    }
}

fn maybe_annex(rng: &mut Rng) -> Option<Vec<u8>> {
    rng.chance(10).then(|| {
        let mut a = vec![tapscript::ANNEX_TAG];
        let n = rng.below(5);
        a.extend(rng.bytes(n));
        a
    })
}

/// Generates one case of a random kind.
pub fn generate(keys: &Keys, rng: &mut Rng) -> Case {
    let n_inputs = 1 + rng.below(3);
    let index = rng.below(n_inputs);
    let mut tx = base_tx(rng, n_inputs);
    let mut spent = other_spent(rng, n_inputs);
    let amount = Amount::from_sat(rng.below(10_000_000) as u64);
    let flags = random_flags(rng);
    let kind = rng.pick(&[
        "random",
        "random",
        "p2pkh",
        "p2pk",
        "multisig",
        "p2sh",
        "p2sh",
        "p2wpkh",
        "p2wpkh",
        "p2wsh",
        "p2wsh",
        "p2sh-p2wpkh",
        "p2tr-key",
        "p2tr-key",
        "p2tr-script",
        "p2tr-script",
        "p2tr-script",
        "locktime",
        "findanddelete",
        "codesep",
        "codesep",
        "limits",
    ]);
    let compressed = !rng.chance(10);
    let key = rng.below(keys.secret.len());
    let mut script_sig = Vec::new();
    let mut witness: Vec<Vec<u8>> = Vec::new();
    let spk: Vec<u8>;
    match kind {
        "random" => {
            spk = random_script(rng, 1, 12);
            script_sig = if rng.chance(80) {
                random_push_only(rng, 5)
            } else {
                random_script(rng, 0, 5)
            };
            if rng.chance(10) {
                witness = vec![rng.bytes(3)];
            }
        }
        "locktime" => {
            let mut s = Vec::new();
            let n = match rng.below(4) {
                0 => i64::from(tx.lock_time.to_consensus_u32()),
                1 => i64::from(tx.input[index].sequence.0 & 0xffff),
                2 => rng.below(1000) as i64,
                _ => (rng.next() as u32) as i64 - if rng.chance(10) { 1 << 32 } else { 0 },
            };
            push(&mut s, &num::encode(n));
            s.push(rng.pick(&[OP_CHECKLOCKTIMEVERIFY, OP_CHECKSEQUENCEVERIFY]));
            s.push(rng.pick(&[OP_DROP, OP_NOP]));
            if s.last() == Some(&OP_NOP) {
                s.push(OP_DROP);
            }
            s.push(OP_1);
            spk = s;
        }
        "limits" => match rng.below(4) {
            0 => {
                // 201 non-push opcodes is the most a pre-tapscript script may contain.
                let mut s = vec![OP_NOP; 195 + rng.below(11)];
                s.push(OP_1);
                spk = s;
            }
            1 => {
                // 1000 stack items is the most any script may leave.
                // (pushes, which unlike DUP do not count towards the 201-opcode limit).
                spk = vec![OP_1; 995 + rng.below(11)];
            }
            2 => {
                // A witness script around the 10,000-byte limit.
                let target = 9_995 + rng.below(11);
                let mut ws = Vec::new();
                while ws.len() + 505 < target {
                    ws.extend_from_slice(&[OP_PUSHDATA2, 0xf4, 0x01]);
                    ws.extend(std::iter::repeat_n(0xab, 500));
                    ws.push(OP_DROP);
                }
                while ws.len() + 1 < target {
                    ws.push(OP_NOP);
                }
                ws.push(OP_1);
                spent[index].value = amount;
                witness = vec![ws.clone()];
                spk = p2wsh(&ws);
            }
            _ => {
                // Witness programs of every version and many lengths, maybe with no witness.
                let version = rng.pick(&[OP_0, OP_0, OP_1, OP_1 + 1, OP_16]);
                let len = rng.pick(&[0, 1, 2, 19, 20, 21, 31, 32, 33, 40, 41]);
                let mut s = vec![version];
                push(&mut s, &rng.bytes(len));
                spk = s;
                witness = (0..rng.below(3)).map(|_| random_data(rng)).collect();
            }
        },
        "findanddelete" => {
            // The signature also appears in the scriptPubKey; FindAndDelete removes it from
            // the script code before hashing (legacy only).
            let pk = keys.pubkey(key, compressed);
            let mut tail = vec![rng.pick(&[OP_DROP, OP_DROP, OP_NOP])];
            if tail[0] == OP_NOP {
                tail.push(OP_DROP);
            }
            push(&mut tail, &pk);
            tail.push(OP_CHECKSIG);
            let ht = ecdsa_hash_type(rng);
            let digest = TxData::new(&tx, &spent).legacy(index, &tail, u32::from(ht));
            let sig = ecdsa_sign(keys, rng, key, digest, ht);
            let mut s = Vec::new();
            push(&mut s, &sig);
            s.extend_from_slice(&tail);
            spk = s;
            script_sig = script_from_items(&[sig]);
        }
        "codesep" => {
            // Signature over the script after the last executed OP_CODESEPARATOR, legacy
            // (separators stripped) or P2WSH (kept).
            let pk = keys.pubkey(key, compressed);
            let mut head = random_script(rng, 0, 3);
            head.retain(|op| *op != OP_RETURN);
            head.push(OP_CODESEPARATOR);
            let mut tail = Vec::new();
            if rng.chance(30) {
                tail.push(OP_CODESEPARATOR);
            }
            push(&mut tail, &pk);
            tail.push(OP_CHECKSIGVERIFY);
            tail.push(OP_CODESEPARATOR);
            tail.push(OP_1);
            let mut full = head.clone();
            full.extend_from_slice(&tail);
            let ht = ecdsa_hash_type(rng);
            let witness_v0 = rng.chance(50);
            let code = if rng.chance(10) {
                full.clone()
            } else {
                tail.clone()
            };
            let digest = if witness_v0 {
                spent[index].value = amount;
                TxData::new(&tx, &spent).segwit_v0(index, &code, amount, u32::from(ht))
            } else {
                TxData::new(&tx, &spent).legacy(index, &code, u32::from(ht))
            };
            let sig = ecdsa_sign(keys, rng, key, digest, ht);
            if witness_v0 {
                witness = vec![sig, full.clone()];
                spk = p2wsh(&full);
            } else {
                script_sig = script_from_items(&[sig]);
                spk = full;
            }
        }
        "p2pk" | "p2pkh" => {
            let pk = keys.pubkey(key, compressed);
            spk = if kind == "p2pk" {
                let mut s = Vec::new();
                push(&mut s, &pk);
                s.push(OP_CHECKSIG);
                s
            } else {
                p2pkh(&pk)
            };
            let ht = ecdsa_hash_type(rng);
            let digest = TxData::new(&tx, &spent).legacy(index, &spk, u32::from(ht));
            let signer = if rng.chance(5) {
                (key + 1) % keys.secret.len()
            } else {
                key
            };
            let sig = ecdsa_sign(keys, rng, signer, digest, ht);
            script_sig = script_from_items(&if kind == "p2pk" {
                vec![sig]
            } else {
                vec![sig, pk]
            });
        }
        "multisig" | "p2sh" => {
            let n = 1 + rng.below(3);
            let k = 1 + rng.below(n);
            let redeem = if kind == "p2sh" && rng.chance(30) {
                random_script(rng, 1, 8)
            } else {
                multisig(keys, rng, n, k)
            };
            let code = redeem.clone();
            let sigs = multisig_sigs(keys, rng, k, n, |ht| {
                TxData::new(&tx, &spent).legacy(index, &code, ht)
            });
            let mut s = script_from_items(&sigs);
            if kind == "p2sh" {
                push(&mut s, &redeem);
                spk = p2sh(&redeem);
            } else {
                spk = redeem;
            }
            script_sig = s;
        }
        "p2wpkh" | "p2sh-p2wpkh" => {
            let pk = keys.pubkey(key, compressed);
            let mut program = vec![OP_0, 20];
            program.extend_from_slice(&hash160::Hash::hash(&pk).to_byte_array());
            spent[index].value = amount;
            let ht = ecdsa_hash_type(rng);
            let code = p2pkh(&pk);
            let signed_amount = if rng.chance(5) {
                Amount::from_sat(amount.to_sat() + 1)
            } else {
                amount
            };
            let digest =
                TxData::new(&tx, &spent).segwit_v0(index, &code, signed_amount, u32::from(ht));
            witness = vec![ecdsa_sign(keys, rng, key, digest, ht), pk];
            if rng.chance(5) {
                witness.push(vec![]);
            }
            if kind == "p2sh-p2wpkh" {
                push(&mut script_sig, &program);
                spk = p2sh(&program);
            } else {
                spk = program;
            }
        }
        "p2wsh" => {
            let n = 1 + rng.below(3);
            let k = 1 + rng.below(n);
            let ws = if rng.chance(40) {
                random_script(rng, 1, 10)
            } else {
                multisig(keys, rng, n, k)
            };
            spent[index].value = amount;
            let code = ws.clone();
            witness = if rng.chance(40) && ws[ws.len() - 1] != OP_CHECKMULTISIG {
                (0..rng.below(4)).map(|_| random_data(rng)).collect()
            } else {
                multisig_sigs(keys, rng, k, n, |ht| {
                    TxData::new(&tx, &spent).segwit_v0(index, &code, amount, ht)
                })
            };
            witness.push(ws.clone());
            spk = p2wsh(&ws);
            if rng.chance(25) {
                let program = spk.clone();
                push(&mut script_sig, &program);
                let outer = p2sh(&program);
                spent[index].script_pubkey = ScriptBuf::from_bytes(outer.clone());
                let mut tx2 = tx.clone();
                tx2.input[index].script_sig = ScriptBuf::from_bytes(script_sig.clone());
                tx2.input[index].witness = Witness::from_slice(&witness);
                return Case {
                    tx: tx2,
                    spent,
                    index,
                    flags,
                    kind: "p2sh-p2wsh",
                };
            }
        }
        "p2tr-key" => {
            let internal = keys.xonly(key);
            let kp = Keypair::from_secret_key(&keys.secp, &keys.secret[key]);
            let tweaked = kp.tap_tweak(&keys.secp, None);
            let output = tweaked.to_keypair().x_only_public_key().0;
            let mut s = vec![OP_1, 32];
            s.extend_from_slice(&output.serialize());
            spk = s;
            spent[index] = TxOut {
                value: amount,
                script_pubkey: ScriptBuf::from_bytes(spk.clone()),
            };
            let annex = maybe_annex(rng);
            let ht = taproot_hash_type(rng);
            let digest = TxData::new(&tx, &spent)
                .taproot(index, ht, annex.as_deref(), None)
                .unwrap_or([7; 32]);
            let tweaked_kp = tweaked.to_keypair();
            let sig = keys
                .secp
                .sign_schnorr_no_aux_rand(&Message::from_digest(digest), &tweaked_kp);
            let mut sig = sig.as_ref().to_vec();
            if ht != 0 || rng.chance(5) {
                sig.push(ht);
            }
            if rng.chance(8) {
                let i = rng.below(sig.len());
                sig[i] ^= 1;
            }
            let _ = internal;
            witness = vec![sig];
            witness.extend(annex);
        }
        _ => {
            // p2tr-script
            let internal = keys.xonly(key);
            let leaf_version = if rng.chance(90) {
                0xc0
            } else {
                rng.pick(&[0xc2, 0xfe, 0x50])
            };
            let (leaf_script, items): (Vec<u8>, Vec<Vec<u8>>) = match rng.below(5) {
                0 | 1 => {
                    // 1..3 of CHECKSIG / CHECKSIGADD, possibly with a code separator.
                    let n = 1 + rng.below(3);
                    let mut s = Vec::new();
                    let codesep = rng.chance(15);
                    if codesep {
                        s.push(OP_CODESEPARATOR);
                    }
                    for i in 0..n {
                        let xk = keys.xonly(i);
                        push(&mut s, &xk.serialize());
                        s.push(if i == 0 { OP_CHECKSIG } else { OP_CHECKSIGADD });
                    }
                    s.push(OP_1 + n as u8 - 1);
                    s.push(OP_NUMEQUAL);
                    (s, vec![Vec::new(); n])
                }
                2 => {
                    let script = random_script(rng, 1, 12);
                    let n = rng.below(4);
                    (script, (0..n).map(|_| random_data(rng)).collect())
                }
                4 => {
                    // One signature checked 1 + k times: exhausts the validation weight
                    // budget (50 per check against the witness size + 50) for large k.
                    let mut s = Vec::new();
                    push(&mut s, &keys.xonly(key).serialize());
                    for _ in 0..rng.below(12) {
                        s.extend_from_slice(&[OP_2DUP, OP_CHECKSIGVERIFY]);
                    }
                    s.push(OP_CHECKSIG);
                    (s, vec![Vec::new()])
                }
                _ => {
                    let mut s = Vec::new();
                    push(&mut s, &keys.xonly(key).serialize());
                    s.push(OP_CHECKSIGVERIFY);
                    s.extend(random_script(rng, 0, 4));
                    s.push(OP_1);
                    (s, vec![Vec::new()])
                }
            };
            let mut builder = TaprootBuilder::new();
            let extra = rng.below(3);
            let version =
                LeafVersion::from_consensus(leaf_version).unwrap_or(LeafVersion::TapScript);
            let depth = if extra == 0 { 0 } else { 1 };
            builder = builder
                .add_leaf_with_ver(depth, ScriptBuf::from_bytes(leaf_script.clone()), version)
                .expect("leaf");
            if extra >= 1 {
                let other = ScriptBuf::from_bytes(vec![OP_RETURN, rng.below(256) as u8]);
                builder = builder
                    .add_leaf(if extra == 1 { 1 } else { 2 }, other)
                    .expect("leaf");
            }
            if extra == 2 {
                builder = builder
                    .add_leaf(2, ScriptBuf::from_bytes(vec![OP_1 + 1]))
                    .expect("leaf");
            }
            let info = builder
                .finalize(&keys.secp, internal)
                .expect("complete tree");
            let mut control = info
                .control_block(&(ScriptBuf::from_bytes(leaf_script.clone()), version))
                .expect("leaf is in the tree")
                .serialize();
            let mut s = vec![OP_1, 32];
            s.extend_from_slice(&info.output_key().serialize());
            spk = s;
            spent[index] = TxOut {
                value: amount,
                script_pubkey: ScriptBuf::from_bytes(spk.clone()),
            };
            let annex = maybe_annex(rng);
            let leaf_hash = tapscript::leaf_hash(leaf_version, &leaf_script);
            let codesep_pos = if leaf_script.first() == Some(&OP_CODESEPARATOR) {
                0
            } else {
                u32::MAX
            };
            // Signatures for the CHECKSIG(ADD) keys, last key's signature first on the stack.
            let mut stack = items;
            let n_sigs = stack.len();
            let is_multi = leaf_script.last() == Some(&OP_NUMEQUAL);
            for (slot, item) in stack.iter_mut().enumerate() {
                if !item.is_empty() || rng.chance(10) {
                    continue;
                }
                let signer = if is_multi { n_sigs - 1 - slot } else { key };
                let ht = taproot_hash_type(rng);
                let digest = TxData::new(&tx, &spent)
                    .taproot(index, ht, annex.as_deref(), Some((leaf_hash, codesep_pos)))
                    .unwrap_or([9; 32]);
                *item = schnorr_sign(keys, rng, signer, digest, ht);
            }
            match rng.below(25) {
                0 => control[0] ^= 1,
                1 => control.truncate(control.len() - 1),
                2 => {
                    let i = 1 + rng.below(control.len() - 1);
                    control[i] ^= 0x10;
                }
                _ => {}
            }
            witness = stack;
            witness.push(leaf_script);
            witness.push(control);
            witness.extend(annex);
        }
    }
    if rng.chance(3) && !witness.is_empty() {
        let i = rng.below(witness.len());
        if !witness[i].is_empty() {
            let j = rng.below(witness[i].len());
            witness[i][j] ^= 0x01;
        }
    }
    spent[index].script_pubkey = ScriptBuf::from_bytes(spk);
    if !kind.starts_with("p2tr")
        && !kind.starts_with("p2w")
        && !kind.starts_with("p2sh-p2w")
        && kind != "codesep"
    {
        // Legacy amounts are not signed; any value is fine.
        spent[index].value = amount;
    }
    tx.input[index].script_sig = ScriptBuf::from_bytes(script_sig);
    tx.input[index].witness = Witness::from_slice(&witness);
    Case {
        tx,
        spent,
        index,
        flags,
        kind,
    }
}
