//! Result shapes exactly as bitcoind prints them (`TxToUniv`, `blockheaderToJSON`,
//! `blockToJSON`, `ScriptToAsmStr`), so clients written for Core parse the devnet's answers.

use bitcoin::consensus::encode::serialize_hex;
use bitcoin::{Address, Block, Script, Transaction};
use serde_json::{json, Map, Value};

use crate::chain::ChainState;
use crate::mempool::policy::output_type;
use crate::params::NETWORK;
use crate::store::IndexEntry;

/// Satoshis as a JSON number of coins (`12.5`), as Core's `ValueFromAmount`.
pub fn amount(sats: u64) -> Value {
    json!(sats as f64 / 1e8)
}

/// Regtest difficulty: `pow_limit / target` for `0x207fffff`.
pub const DIFFICULTY: f64 = 4.656542373906925e-10;

/// Core's `ScriptToAsmStr` (without signature-hash decoding).
pub fn asm(script: &Script) -> String {
    let b = script.as_bytes();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let op = b[i];
        i += 1;
        if op <= 0x4e {
            let (len, skip) = match op {
                0x4c => (b.get(i).map(|x| *x as usize), 1),
                0x4d => (
                    b.get(i..i + 2)
                        .map(|x| u16::from_le_bytes([x[0], x[1]]) as usize),
                    2,
                ),
                0x4e => (
                    b.get(i..i + 4)
                        .map(|x| u32::from_le_bytes([x[0], x[1], x[2], x[3]]) as usize),
                    4,
                ),
                n => (Some(n as usize), 0),
            };
            let Some(len) = len else {
                out.push("[error]".into());
                break;
            };
            i += skip;
            let Some(data) = b.get(i..i + len) else {
                out.push("[error]".into());
                break;
            };
            i += len;
            if len <= 4 {
                out.push(script_num(data).to_string());
            } else {
                out.push(hex(data));
            }
        } else {
            out.push(op_name(op));
        }
    }
    out.join(" ")
}

fn script_num(data: &[u8]) -> i64 {
    if data.is_empty() {
        return 0;
    }
    let mut v: i64 = 0;
    for (k, byte) in data.iter().enumerate() {
        v |= i64::from(*byte) << (8 * k);
    }
    let last = data[data.len() - 1];
    if last & 0x80 != 0 {
        -(v & !(0x80_i64 << (8 * (data.len() - 1))))
    } else {
        v
    }
}

fn op_name(op: u8) -> String {
    match op {
        0x4f => "-1".into(),
        0x51..=0x60 => (op - 0x50).to_string(),
        _ => {
            let name = bitcoin::opcodes::Opcode::from(op).to_string();
            match name.as_str() {
                "OP_NOP2" => "OP_CHECKLOCKTIMEVERIFY".into(),
                "OP_NOP3" => "OP_CHECKSEQUENCEVERIFY".into(),
                "OP_CLTV" => "OP_CHECKLOCKTIMEVERIFY".into(),
                "OP_CSV" => "OP_CHECKSEQUENCEVERIFY".into(),
                n if n.starts_with("OP_RETURN_") => "OP_UNKNOWN".into(),
                _ => name,
            }
        }
    }
}

pub fn hex(b: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

/// Core's `ScriptToUniv` for an output script (Core 22+ shape: `desc`, `address`, `type`).
pub fn script_pubkey(script: &Script) -> Value {
    let mut o = Map::new();
    o.insert("asm".into(), json!(asm(script)));
    o.insert("desc".into(), json!(super::descriptor::infer(script)));
    o.insert("hex".into(), json!(hex(script.as_bytes())));
    if let Ok(a) = Address::from_script(script, NETWORK) {
        o.insert("address".into(), json!(a.to_string()));
    }
    o.insert("type".into(), json!(output_type(script).core_name()));
    Value::Object(o)
}

/// Core's `TxToUniv` without the block fields.
pub fn tx(tx: &Transaction, with_hex: bool) -> Map<String, Value> {
    let mut o = Map::new();
    o.insert("txid".into(), json!(tx.compute_txid().to_string()));
    o.insert("hash".into(), json!(tx.compute_wtxid().to_string()));
    o.insert("version".into(), json!(tx.version.0));
    o.insert("size".into(), json!(tx.total_size()));
    o.insert("vsize".into(), json!(tx.vsize()));
    o.insert("weight".into(), json!(tx.weight().to_wu()));
    o.insert("locktime".into(), json!(tx.lock_time.to_consensus_u32()));
    let vin: Vec<Value> = tx
        .input
        .iter()
        .map(|i| {
            let mut v = Map::new();
            if tx.is_coinbase() {
                v.insert("coinbase".into(), json!(hex(i.script_sig.as_bytes())));
            } else {
                v.insert("txid".into(), json!(i.previous_output.txid.to_string()));
                v.insert("vout".into(), json!(i.previous_output.vout));
                v.insert(
                    "scriptSig".into(),
                    json!({"asm": asm(&i.script_sig), "hex": hex(i.script_sig.as_bytes())}),
                );
            }
            if !i.witness.is_empty() {
                v.insert(
                    "txinwitness".into(),
                    json!(i.witness.iter().map(hex).collect::<Vec<_>>()),
                );
            }
            v.insert("sequence".into(), json!(i.sequence.0));
            Value::Object(v)
        })
        .collect();
    o.insert("vin".into(), Value::Array(vin));
    let vout: Vec<Value> = tx
        .output
        .iter()
        .enumerate()
        .map(|(n, out)| {
            json!({
                "value": amount(out.value.to_sat()),
                "n": n,
                "scriptPubKey": script_pubkey(&out.script_pubkey),
            })
        })
        .collect();
    o.insert("vout".into(), Value::Array(vout));
    if with_hex {
        o.insert("hex".into(), json!(serialize_hex(tx)));
    }
    o
}

/// Core's `blockheaderToJSON`.
pub fn header(chain: &ChainState, e: &IndexEntry) -> Map<String, Value> {
    let hash = e.header.block_hash();
    let active = chain.is_active(&hash);
    let mut o = Map::new();
    o.insert("hash".into(), json!(hash.to_string()));
    o.insert(
        "confirmations".into(),
        json!(if active {
            i64::from(chain.height() - e.height) + 1
        } else {
            -1
        }),
    );
    o.insert("height".into(), json!(e.height));
    o.insert("version".into(), json!(e.header.version.to_consensus()));
    o.insert(
        "versionHex".into(),
        json!(format!("{:08x}", e.header.version.to_consensus())),
    );
    o.insert("merkleroot".into(), json!(e.header.merkle_root.to_string()));
    o.insert("time".into(), json!(e.header.time));
    o.insert("mediantime".into(), json!(chain.mtp_of(&hash)));
    o.insert("nonce".into(), json!(e.header.nonce));
    o.insert(
        "bits".into(),
        json!(format!("{:08x}", e.header.bits.to_consensus())),
    );
    o.insert("difficulty".into(), json!(DIFFICULTY));
    o.insert("chainwork".into(), json!(format!("{:064x}", e.chain_work)));
    o.insert("nTx".into(), json!(e.n_tx));
    if e.height > 0 {
        o.insert(
            "previousblockhash".into(),
            json!(e.header.prev_blockhash.to_string()),
        );
    }
    if let Some(next) = chain.next_active(&hash) {
        o.insert("nextblockhash".into(), json!(next.to_string()));
    }
    o
}

/// Core's `blockToJSON` at verbosity 1 (txids), 2 (transaction objects with `fee`) or 3
/// (also each input's `prevout`); fees and prevouts need the block's undo data, so they are
/// omitted for blocks off the active chain, as in Core.
pub fn block(chain: &ChainState, e: &IndexEntry, block: &Block, verbosity: u8) -> Value {
    let mut o = header(chain, e);
    let stripped: usize = 80
        + bitcoin::consensus::encode::VarInt(block.txdata.len() as u64).size()
        + block.txdata.iter().map(|t| t.base_size()).sum::<usize>();
    // Keep Core's key order: size fields come after confirmations.
    let mut ordered = Map::new();
    for (k, v) in o.iter_mut() {
        ordered.insert(k.clone(), v.take());
        if k == "confirmations" {
            ordered.insert("strippedsize".into(), json!(stripped));
            ordered.insert("size".into(), json!(block.total_size()));
            ordered.insert("weight".into(), json!(block.weight().to_wu()));
        }
    }
    let mut spent = if verbosity >= 2 {
        chain.spent_coins(&e.header.block_hash()).ok().flatten()
    } else {
        None
    };
    let txs: Vec<Value> = block
        .txdata
        .iter()
        .map(|t| {
            if verbosity < 2 {
                return json!(t.compute_txid().to_string());
            }
            let mut o = tx(t, true);
            if let Some(coins) = spent.as_mut() {
                with_undo(&mut o, t, coins, e.height, verbosity >= 3);
            }
            Value::Object(o)
        })
        .collect();
    ordered.insert("tx".into(), Value::Array(txs));
    Value::Object(ordered)
}

/// Adds `fee` (and with `prevouts` each input's `prevout`) to a block transaction's JSON;
/// outputs it creates join `coins` so later transactions in the block can spend them.
fn with_undo(
    o: &mut Map<String, Value>,
    t: &Transaction,
    coins: &mut std::collections::HashMap<bitcoin::OutPoint, crate::consensus::tx::Coin>,
    height: u32,
    prevouts: bool,
) {
    if !t.is_coinbase() {
        let found: Option<Vec<_>> = t
            .input
            .iter()
            .map(|i| coins.get(&i.previous_output).cloned())
            .collect();
        if let Some(found) = found {
            let value_in: u64 = found.iter().map(|c| c.output.value.to_sat()).sum();
            let value_out: u64 = t.output.iter().map(|o| o.value.to_sat()).sum();
            if prevouts {
                if let Some(Value::Array(vin)) = o.get_mut("vin") {
                    for (v, c) in vin.iter_mut().zip(&found) {
                        v["prevout"] = json!({
                            "generated": c.coinbase,
                            "height": c.height,
                            "value": amount(c.output.value.to_sat()),
                            "scriptPubKey": script_pubkey(&c.output.script_pubkey),
                        });
                    }
                }
            }
            o.insert("fee".into(), amount(value_in.saturating_sub(value_out)));
        }
    }
    let txid = t.compute_txid();
    for (n, out) in t.output.iter().enumerate() {
        coins.insert(
            bitcoin::OutPoint::new(txid, n as u32),
            crate::consensus::tx::Coin {
                output: out.clone(),
                height,
                coinbase: t.is_coinbase(),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::ScriptBuf;

    #[test]
    fn asm_matches_core() {
        let s =
            ScriptBuf::from_hex("76a914000000000000000000000000000000000000000088ac").expect("hex");
        assert_eq!(
            asm(&s),
            "OP_DUP OP_HASH160 0000000000000000000000000000000000000000 OP_EQUALVERIFY OP_CHECKSIG"
        );
        let s = ScriptBuf::from_hex("0151006a02ff00").expect("hex");
        assert_eq!(asm(&s), "81 0 OP_RETURN 255");
        let s = ScriptBuf::from_hex("03e80300").expect("hex");
        assert_eq!(asm(&s), "1000");
        let s = ScriptBuf::from_hex("0181").expect("hex");
        assert_eq!(asm(&s), "-1");
    }
}
