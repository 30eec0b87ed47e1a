//! Bitcoin Core 24's standardness policy (`policy.cpp`): which transactions the mempool
//! relays even though a block could contain others. Reject reasons are Core's.

use bitcoin::{Script, Transaction, TxOut};

use crate::consensus::tx::Coin;
use crate::error::Reject;

/// `MAX_STANDARD_TX_WEIGHT`.
pub const MAX_STANDARD_TX_WEIGHT: u64 = 400_000;
/// `MIN_STANDARD_TX_NONWITNESS_SIZE`: 82 in Core 24 and Fractal (Core 25 lowered it to 65).
pub const MIN_STANDARD_TX_NONWITNESS_SIZE: usize = 82;
/// `MAX_STANDARD_SCRIPTSIG_SIZE`.
pub const MAX_STANDARD_SCRIPTSIG_SIZE: usize = 1650;
/// `MAX_OP_RETURN_RELAY` (`-datacarriersize` default): the whole scriptPubKey.
pub const MAX_OP_RETURN_RELAY: usize = 83;
/// `DUST_RELAY_TX_FEE`, satoshis per 1000 virtual bytes.
pub const DUST_RELAY_FEE: u64 = 3000;
/// `DEFAULT_MIN_RELAY_TX_FEE` (and the incremental relay fee), sat per 1000 vbytes.
pub const MIN_RELAY_FEE: u64 = 1000;
/// `MAX_STANDARD_TX_SIGOPS_COST`.
pub const MAX_STANDARD_TX_SIGOPS_COST: usize = 16_000;
/// `MAX_P2SH_SIGOPS`.
const MAX_P2SH_SIGOPS: usize = 15;
/// Witness limits for P2WSH and tapscript spends.
const MAX_STANDARD_P2WSH_SCRIPT_SIZE: usize = 3600;
const MAX_STANDARD_P2WSH_STACK_ITEMS: usize = 100;
const MAX_STANDARD_WITNESS_ITEM_SIZE: usize = 80;
/// `DEFAULT_BYTES_PER_SIGOP`.
const BYTES_PER_SIGOP: u64 = 20;

/// Core's `TxoutType`, as far as policy needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputType {
    NonStandard,
    PubKey,
    PubKeyHash,
    ScriptHash,
    Multisig,
    NullData,
    WitnessV0KeyHash,
    WitnessV0ScriptHash,
    WitnessV1Taproot,
    WitnessUnknown,
}

impl OutputType {
    /// The name `decoderawtransaction` prints.
    pub fn core_name(self) -> &'static str {
        match self {
            OutputType::NonStandard => "nonstandard",
            OutputType::PubKey => "pubkey",
            OutputType::PubKeyHash => "pubkeyhash",
            OutputType::ScriptHash => "scripthash",
            OutputType::Multisig => "multisig",
            OutputType::NullData => "nulldata",
            OutputType::WitnessV0KeyHash => "witness_v0_keyhash",
            OutputType::WitnessV0ScriptHash => "witness_v0_scripthash",
            OutputType::WitnessV1Taproot => "witness_v1_taproot",
            OutputType::WitnessUnknown => "witness_unknown",
        }
    }
}

fn multisig_shape(s: &[u8]) -> Option<(u8, u8)> {
    // OP_m <33|65-byte keys> OP_n OP_CHECKMULTISIG
    if s.len() < 3 || *s.last()? != 0xae {
        return None;
    }
    let small = |b: u8| (0x51..=0x60).contains(&b).then(|| b - 0x50);
    let m = small(s[0])?;
    let n = small(s[s.len() - 2])?;
    let mut i = 1;
    let mut keys = 0u8;
    while i < s.len() - 2 {
        let len = s[i] as usize;
        if len != 33 && len != 65 {
            return None;
        }
        i += 1 + len;
        keys += 1;
    }
    (i == s.len() - 2 && keys == n && m <= n && m >= 1).then_some((m, n))
}

/// Core's `Solver`, reduced to the type.
pub fn output_type(script: &Script) -> OutputType {
    let s = script.as_bytes();
    if script.is_p2sh() {
        return OutputType::ScriptHash;
    }
    if let Some((version, program)) = bitmodel_script::witness_program(s) {
        return match (version, program.len()) {
            (0, 20) => OutputType::WitnessV0KeyHash,
            (0, 32) => OutputType::WitnessV0ScriptHash,
            (0, _) => OutputType::NonStandard,
            (1, 32) => OutputType::WitnessV1Taproot,
            _ => OutputType::WitnessUnknown,
        };
    }
    if !s.is_empty() && s[0] == 0x6a && bitmodel_script::verify::is_push_only(&s[1..]) {
        return OutputType::NullData;
    }
    if (s.len() == 35 && s[0] == 33 || s.len() == 67 && s[0] == 65) && s[s.len() - 1] == 0xac {
        return OutputType::PubKey;
    }
    if script.is_p2pkh() {
        return OutputType::PubKeyHash;
    }
    if multisig_shape(s).is_some() {
        return OutputType::Multisig;
    }
    OutputType::NonStandard
}

/// Core's `GetDustThreshold` at the default dust relay fee.
pub fn dust_threshold(out: &TxOut) -> u64 {
    if out.script_pubkey.is_op_return() || out.script_pubkey.len() > 10_000 {
        return 0;
    }
    let mut size = bitcoin::consensus::serialize(out).len() as u64;
    size += if out.script_pubkey.is_witness_program() {
        32 + 4 + 1 + (107 / 4) + 4
    } else {
        32 + 4 + 1 + 107 + 4
    };
    size * DUST_RELAY_FEE / 1000
}

/// Core's `IsStandardTx` (plus the `tx-size-small` check of `PreChecks`).
pub fn check_standard_tx(tx: &Transaction) -> Result<(), Reject> {
    if !(1..=2).contains(&tx.version.0) {
        return Err(Reject::policy("version"));
    }
    if tx.weight().to_wu() > MAX_STANDARD_TX_WEIGHT {
        return Err(Reject::policy("tx-size"));
    }
    for input in &tx.input {
        if input.script_sig.len() > MAX_STANDARD_SCRIPTSIG_SIZE {
            return Err(Reject::policy("scriptsig-size"));
        }
        if !bitmodel_script::verify::is_push_only(input.script_sig.as_bytes()) {
            return Err(Reject::policy("scriptsig-not-pushonly"));
        }
    }
    let mut data_outputs = 0;
    for out in &tx.output {
        match output_type(&out.script_pubkey) {
            OutputType::NonStandard => return Err(Reject::policy("scriptpubkey")),
            OutputType::NullData => {
                if out.script_pubkey.len() > MAX_OP_RETURN_RELAY {
                    return Err(Reject::policy("scriptpubkey"));
                }
                data_outputs += 1;
            }
            OutputType::Multisig => {
                let (_, n) = multisig_shape(out.script_pubkey.as_bytes()).expect("typed multisig");
                if n > 3 {
                    return Err(Reject::policy("scriptpubkey"));
                }
            }
            _ => {
                if out.value.to_sat() < dust_threshold(out) {
                    return Err(Reject::policy("dust"));
                }
            }
        }
    }
    if data_outputs > 1 {
        return Err(Reject::policy("multi-op-return"));
    }
    let stripped = tx.base_size();
    if stripped < MIN_STANDARD_TX_NONWITNESS_SIZE {
        return Err(Reject::policy("tx-size-small"));
    }
    Ok(())
}

fn last_push(script_sig: &Script) -> Option<Vec<u8>> {
    let mut last = None;
    for ins in script_sig.instructions() {
        match ins.ok()? {
            bitcoin::script::Instruction::PushBytes(b) => last = Some(b.as_bytes().to_vec()),
            bitcoin::script::Instruction::Op(_) => last = Some(Vec::new()),
        }
    }
    last
}

/// Core's `AreInputsStandard`.
pub fn inputs_standard(tx: &Transaction, coins: &[Coin]) -> bool {
    tx.input.iter().zip(coins).all(
        |(input, coin)| match output_type(&coin.output.script_pubkey) {
            OutputType::NonStandard | OutputType::WitnessUnknown => false,
            OutputType::ScriptHash => match last_push(&input.script_sig) {
                Some(redeem) => Script::from_bytes(&redeem).count_sigops() <= MAX_P2SH_SIGOPS,
                None => false,
            },
            _ => true,
        },
    )
}

/// Core's `IsWitnessStandard`.
pub fn witness_standard(tx: &Transaction, coins: &[Coin]) -> bool {
    for (input, coin) in tx.input.iter().zip(coins) {
        if input.witness.is_empty() {
            continue;
        }
        let mut prev = coin.output.script_pubkey.as_bytes().to_vec();
        let mut p2sh = false;
        if coin.output.script_pubkey.is_p2sh() {
            match last_push(&input.script_sig) {
                Some(redeem) => {
                    prev = redeem;
                    p2sh = true;
                }
                None => return false,
            }
        }
        let Some((version, program)) = bitmodel_script::witness_program(&prev) else {
            return false;
        };
        let items: Vec<&[u8]> = input.witness.iter().collect();
        if version == 0 && program.len() == 32 {
            let script = items.last().expect("witness is not empty");
            if script.len() > MAX_STANDARD_P2WSH_SCRIPT_SIZE
                || items.len() - 1 > MAX_STANDARD_P2WSH_STACK_ITEMS
                || items[..items.len() - 1]
                    .iter()
                    .any(|i| i.len() > MAX_STANDARD_WITNESS_ITEM_SIZE)
            {
                return false;
            }
        }
        if version == 1 && program.len() == 32 && !p2sh {
            let mut stack = &items[..];
            if stack.len() >= 2 && stack.last().is_some_and(|a| a.first() == Some(&0x50)) {
                return false; // annexes are not standard
            }
            if stack.len() >= 2 {
                let control = stack[stack.len() - 1];
                stack = &stack[..stack.len() - 2];
                if control.first().map(|c| c & 0xfe) == Some(0xc0)
                    && stack
                        .iter()
                        .any(|i| i.len() > MAX_STANDARD_WITNESS_ITEM_SIZE)
                {
                    return false;
                }
            }
        }
    }
    true
}

/// Core's `GetVirtualTransactionSize` with the sigop adjustment.
pub fn virtual_size(weight: u64, sigop_cost: usize) -> u64 {
    weight.max(sigop_cost as u64 * BYTES_PER_SIGOP).div_ceil(4)
}

/// Minimum fee for `vsize` at `rate` sat per 1000 vbytes (Core's `CFeeRate::GetFee`).
pub fn fee_for(rate: u64, vsize: u64) -> u64 {
    let fee = rate * vsize / 1000;
    if fee == 0 && vsize != 0 && rate > 0 {
        1
    } else {
        fee
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::{Amount, ScriptBuf};

    #[test]
    fn dust_thresholds_match_core() {
        let out = |script: Vec<u8>| TxOut {
            value: Amount::ZERO,
            script_pubkey: ScriptBuf::from_bytes(script),
        };
        let mut p2tr = vec![0x51, 0x20];
        p2tr.extend([0; 32]);
        let mut p2wpkh = vec![0x00, 0x14];
        p2wpkh.extend([0; 20]);
        let mut p2pkh = vec![0x76, 0xa9, 0x14];
        p2pkh.extend([0; 20]);
        p2pkh.extend([0x88, 0xac]);
        assert_eq!(dust_threshold(&out(p2tr.clone())), 330);
        assert_eq!(dust_threshold(&out(p2wpkh)), 294);
        assert_eq!(dust_threshold(&out(p2pkh.clone())), 546);
        assert_eq!(
            output_type(&ScriptBuf::from_bytes(p2tr)),
            OutputType::WitnessV1Taproot
        );
        assert_eq!(
            output_type(&ScriptBuf::from_bytes(p2pkh)),
            OutputType::PubKeyHash
        );
        assert_eq!(
            output_type(&ScriptBuf::from_bytes(vec![0x6a, 1, 7])),
            OutputType::NullData
        );
        assert_eq!(
            output_type(&ScriptBuf::from_bytes(vec![0x51])),
            OutputType::NonStandard
        );
    }
}
