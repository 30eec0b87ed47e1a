//! The `desc` field Core 22+ prints for every output script: the descriptor Core's
//! `InferDescriptor` gives without wallet knowledge, with its BIP380 checksum.

use bitcoin::{Address, Script};

use crate::mempool::policy::{output_type, OutputType};
use crate::params::NETWORK;
use crate::rpc::json::hex;

const INPUT_CHARSET: &str =
    "0123456789()[],'/*abcdefgh@:$%{}IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~ijklmnopqrstuvwxyzABCDEFGH`#\"\\ ";
const CHECKSUM_CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

fn poly_mod(mut c: u64, val: u64) -> u64 {
    let c0 = c >> 35;
    c = ((c & 0x7_ffff_ffff) << 5) ^ val;
    for (bit, g) in [
        0xf5_dee5_1989,
        0xa9_fdca_3312,
        0x1b_ab10_e32d,
        0x37_06b1_677a,
        0x64_4d62_6ffd,
    ]
    .into_iter()
    .enumerate()
    {
        if c0 >> bit & 1 == 1 {
            c ^= g;
        }
    }
    c
}

/// BIP380's descriptor checksum; `None` if the descriptor has a character outside the set.
pub fn checksum(desc: &str) -> Option<String> {
    let (mut c, mut cls, mut count) = (1u64, 0u64, 0);
    for ch in desc.chars() {
        let pos = INPUT_CHARSET.find(ch)? as u64;
        c = poly_mod(c, pos & 31);
        cls = cls * 3 + (pos >> 5);
        count += 1;
        if count == 3 {
            c = poly_mod(c, cls);
            cls = 0;
            count = 0;
        }
    }
    if count > 0 {
        c = poly_mod(c, cls);
    }
    for _ in 0..8 {
        c = poly_mod(c, 0);
    }
    c ^= 1;
    Some(
        (0..8)
            .map(|j| CHECKSUM_CHARSET[(c >> (5 * (7 - j)) & 31) as usize] as char)
            .collect(),
    )
}

/// `desc#checksum`.
pub fn with_checksum(desc: String) -> String {
    match checksum(&desc) {
        Some(c) => format!("{desc}#{c}"),
        None => desc,
    }
}

/// Core's `InferDescriptor(script, DUMMY_SIGNING_PROVIDER)`.
pub fn infer(script: &Script) -> String {
    let b = script.as_bytes();
    let desc = match output_type(script) {
        OutputType::PubKey => format!("pk({})", hex(&b[1..b.len() - 1])),
        OutputType::WitnessV1Taproot => format!("rawtr({})", hex(&b[2..])),
        OutputType::Multisig => {
            let mut keys = Vec::new();
            let mut i = 1;
            while i < b.len() - 2 {
                let len = b[i] as usize;
                keys.push(hex(&b[i + 1..i + 1 + len]));
                i += 1 + len;
            }
            format!("multi({},{})", b[0] - 0x50, keys.join(","))
        }
        OutputType::NullData | OutputType::NonStandard => format!("raw({})", hex(b)),
        _ => match Address::from_script(script, NETWORK) {
            Ok(a) => format!("addr({a})"),
            Err(_) => format!("raw({})", hex(b)),
        },
    };
    with_checksum(desc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bip380_checksums() {
        assert_eq!(checksum("raw(deadbeef)").as_deref(), Some("89f8spxm"));
        assert_eq!(
            checksum("addr(mkmZxiEcEd8ZqjQWVZuC6so5dFMKEFpN2j)").as_deref(),
            Some("02wpgw69")
        );
        assert_eq!(checksum("raw(\u{e9})"), None);
    }
}
