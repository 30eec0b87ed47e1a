//! Bitmodel records on MVC as MetaID PINs. MVC's data protocol (MetaID) puts data in an
//! unspendable `OP_FALSE OP_RETURN` output: the marker `metaid`, then the operation, a path,
//! an encryption flag, a version, a content type and the body (any number of pushes,
//! joined). A Bitmodel asset is one transaction with two PINs: its record (path
//! `/protocols/bitmodel`, content type `application/cbor`, the same versioned CBOR record as
//! on Fractal) and, when the record names content, its file (path
//! `/protocols/bitmodel/content`) in the same transaction, up to the node's policy (10 MB a
//! transaction by default). MetaID indexers see both as ordinary PINs; the asset's id is the
//! record output's `txid` and index (`<txid>i<vout>`, as MetaID names PINs).

use bitcoin::opcodes::all::OP_RETURN;
use bitcoin::opcodes::OP_FALSE;
use bitcoin::script::{Builder, Instruction, PushBytesBuf};
use bitcoin::{Amount, Script, ScriptBuf, TxOut};

/// The MetaID marker on mainnet; MetaID's test networks use `testid`.
pub const MARKER: &[u8] = b"metaid";
pub const TEST_MARKER: &[u8] = b"testid";
/// The marker PINs carry on `chain`: `metaid` on MVC mainnet, `testid` on its testnet and
/// on the BSV regtest that stands in for it (MetaID's convention for test networks).
pub fn marker(chain: bitmodel_protocol::Chain) -> &'static [u8] {
    match chain {
        bitmodel_protocol::Chain::Mvc => MARKER,
        _ => TEST_MARKER,
    }
}

/// The path of a Bitmodel record and of its file.
pub const RECORD_PATH: &str = "/protocols/bitmodel";
pub const CONTENT_PATH: &str = "/protocols/bitmodel/content";
pub const RECORD_CONTENT_TYPE: &str = "application/cbor";
/// File bytes per content PIN: the record's part size on every chain
/// (`chunk::MAX_PART_BYTES`), so the record commits to each PIN as a part with the same
/// record format as on Fractal, and no push nears the 4,000,000-byte script that
/// rust-bitcoin (and every indexer built on it) decodes at most.
pub const CONTENT_PIN_BYTES: usize = bitmodel_protocol::chunk::MAX_PART_BYTES;

/// A registration's data outputs: the record PIN, then the file in content PINs of
/// [`CONTENT_PIN_BYTES`] (none without a file). Record and file go in one transaction.
pub fn registration_outputs(
    record: &bitmodel_protocol::Record,
    file: Option<(&str, &[u8])>,
    marker: &[u8],
) -> Vec<TxOut> {
    let mut out =
        vec![Pin::create(RECORD_PATH, RECORD_CONTENT_TYPE, record.to_cbor()).to_output(marker)];
    if let Some((content_type, bytes)) = file {
        for part in bytes.chunks(CONTENT_PIN_BYTES) {
            out.push(Pin::create(CONTENT_PATH, content_type, part.to_vec()).to_output(marker));
        }
    }
    out
}

/// Bytes per push of a body (a push may be larger on MVC; this keeps every push an ordinary
/// `OP_PUSHDATA4`-free one that other parsers read).
const PUSH: usize = 65_535;

/// One MetaID PIN as it stands in a data output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pin {
    pub operation: String,
    pub path: String,
    pub encryption: String,
    pub version: String,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Pin {
    /// A `create` PIN at `path`, unencrypted, version 1.0.0.
    pub fn create(path: &str, content_type: &str, body: Vec<u8>) -> Pin {
        Pin {
            operation: "create".into(),
            path: path.into(),
            encryption: "0".into(),
            version: "1.0.0".into(),
            content_type: content_type.into(),
            body,
        }
    }

    /// The data output (0 sats: an `OP_FALSE OP_RETURN` output is unspendable and not dust).
    pub fn to_output(&self, marker: &[u8]) -> TxOut {
        let mut b = Builder::new()
            .push_opcode(OP_FALSE)
            .push_opcode(OP_RETURN)
            .push_slice(push(marker));
        for field in [
            &self.operation,
            &self.path,
            &self.encryption,
            &self.version,
            &self.content_type,
        ] {
            b = b.push_slice(push(field.as_bytes()));
        }
        if self.body.is_empty() {
            b = b.push_slice(push(&[]));
        }
        for chunk in self.body.chunks(PUSH) {
            b = b.push_slice(push(chunk));
        }
        TxOut {
            value: Amount::ZERO,
            script_pubkey: b.into_script(),
        }
    }

    /// The PIN in a data output with `marker`; `None` for any other script (a malformed one
    /// included: a PIN is read whole or not at all).
    pub fn parse(script: &Script, marker: &[u8]) -> Option<Pin> {
        let mut ins = script.instructions();
        if !matches!(ins.next(), Some(Ok(Instruction::PushBytes(p))) if p.is_empty()) {
            return None;
        }
        if !matches!(ins.next(), Some(Ok(Instruction::Op(op))) if op == OP_RETURN) {
            return None;
        }
        let mut pushes = Vec::new();
        for i in ins {
            match i {
                Ok(Instruction::PushBytes(p)) => pushes.push(p.as_bytes().to_vec()),
                _ => return None,
            }
        }
        if pushes.len() < 7 || pushes[0] != marker {
            return None;
        }
        let text = |b: &[u8]| String::from_utf8(b.to_vec()).ok();
        Some(Pin {
            operation: text(&pushes[1])?,
            path: text(&pushes[2])?,
            encryption: text(&pushes[3])?,
            version: text(&pushes[4])?,
            content_type: text(&pushes[5])?,
            body: pushes[6..].concat(),
        })
    }
}

fn push(bytes: &[u8]) -> PushBytesBuf {
    PushBytesBuf::try_from(bytes.to_vec()).expect("pushes are at most 65,535 bytes")
}

/// A P2PKH output (MVC has no segwit: payouts are P2PKH or bare scripts).
pub fn p2pkh(pk: &bitcoin::PublicKey, sats: u64) -> TxOut {
    TxOut {
        value: Amount::from_sat(sats),
        script_pubkey: ScriptBuf::new_p2pkh(&pk.pubkey_hash()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_round_trip_and_others_are_not_pins() {
        let big = Pin::create(CONTENT_PATH, "application/onnx", vec![7u8; 200_000]);
        for p in [
            Pin::create(RECORD_PATH, RECORD_CONTENT_TYPE, vec![1, 2, 3]),
            Pin::create(RECORD_PATH, "text/plain", Vec::new()),
            big,
        ] {
            let out = p.to_output(MARKER);
            assert_eq!(out.value, Amount::ZERO);
            assert_eq!(Pin::parse(&out.script_pubkey, MARKER), Some(p.clone()));
            assert_eq!(
                Pin::parse(&out.script_pubkey, TEST_MARKER),
                None,
                "another marker"
            );
        }
        // A bare OP_RETURN (no OP_FALSE), a short PIN and a non-push are not PINs.
        let bare = Builder::new()
            .push_opcode(OP_RETURN)
            .push_slice(push(MARKER))
            .into_script();
        assert_eq!(Pin::parse(&bare, MARKER), None);
        let short = Builder::new()
            .push_opcode(OP_FALSE)
            .push_opcode(OP_RETURN)
            .push_slice(push(MARKER))
            .push_slice(push(b"create"))
            .into_script();
        assert_eq!(Pin::parse(&short, MARKER), None);
    }
}

/// A Bitmodel registration read from one MVC transaction: the record PIN and, when the
/// record names content, the file from the content PINs that follow it in output order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    /// The record output's index: the asset is `<txid>i<vout>`.
    pub vout: u32,
    pub record: bitmodel_protocol::Record,
    /// The file when the content PINs hash to the record's sha256 and size; `None` when the
    /// record names no content or its file is not (wholly, exactly) in the transaction.
    pub file: Option<(String, Vec<u8>)>,
}

/// Why a record PIN is not a registration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    #[error("output {vout}: {source}")]
    Record {
        vout: u32,
        #[source]
        source: bitmodel_protocol::record::RecordError,
    },
}

/// A record PIN and the content PINs right after it, in output order (its file's parts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordPin {
    /// The record output's index: the asset is `<txid>i<vout>`.
    pub vout: u32,
    pub pin: Pin,
    pub parts: Vec<Pin>,
}

/// Every record PIN (`create` at [`RECORD_PATH`]) in a transaction's outputs with the content
/// PINs that follow it: the one reading of a transaction's PINs, for [`registrations`] and
/// for the indexer.
pub fn record_pins(outputs: &[TxOut], marker: &[u8]) -> Vec<RecordPin> {
    let pins: Vec<(u32, Pin)> = outputs
        .iter()
        .enumerate()
        .filter_map(|(i, o)| Pin::parse(&o.script_pubkey, marker).map(|p| (i as u32, p)))
        .collect();
    let mut out = Vec::new();
    for (k, (vout, pin)) in pins.iter().enumerate() {
        if pin.path != RECORD_PATH || pin.operation != "create" {
            continue;
        }
        let parts = pins[k + 1..]
            .iter()
            .map(|(_, p)| p)
            .take_while(|p| p.path == CONTENT_PATH)
            .cloned()
            .collect();
        out.push(RecordPin {
            vout: *vout,
            pin: pin.clone(),
            parts,
        });
    }
    out
}

/// Every registration in a transaction's outputs (a record PIN each), with the reason for
/// each record PIN that does not decode. Content PINs belong to the record PIN before them.
pub fn registrations(outputs: &[TxOut], marker: &[u8]) -> Vec<Result<Registration, PinError>> {
    use bitcoin::hashes::{sha256, Hash};
    let mut out = Vec::new();
    for RecordPin { vout, pin, parts } in record_pins(outputs, marker) {
        let record = match bitmodel_protocol::Record::from_cbor(&pin.body) {
            Ok((r, _)) => r,
            Err(source) => {
                out.push(Err(PinError::Record { vout, source }));
                continue;
            }
        };
        let file = record.content.as_ref().and_then(|c| {
            let bytes: Vec<u8> = parts.iter().flat_map(|p| p.body.iter().copied()).collect();
            (bytes.len() as u64 == c.size && sha256::Hash::hash(&bytes).to_byte_array() == c.sha256)
                .then(|| {
                    (
                        parts
                            .first()
                            .map(|p| p.content_type.clone())
                            .unwrap_or_default(),
                        bytes,
                    )
                })
        });
        out.push(Ok(Registration { vout, record, file }));
    }
    out
}
