//! ord's inscription envelope, written and read the way ord does, so every ord explorer
//! shows a Bitmodel asset and every Bitmodel indexer reads what ord wrote.
//!
//! ```text
//! OP_FALSE OP_IF "ord" <tag> <value> … OP_0 <body chunk> … OP_ENDIF
//! ```
//!
//! The envelope sits in a tapscript leaf after the reveal key's `OP_CHECKSIG`; it is never
//! executed, so its pushes need not be minimal. Tags are single bytes: 1 content type,
//! 2 pointer, 3 parent, 5 metadata (CBOR, chunked over several pushes), 7 metaprotocol,
//! 9 content encoding, 11 delegate; the empty push (tag 0) starts the body. Reading follows
//! ord's leniency: unknown odd tags are ignored, unknown even tags, duplicated single-value
//! fields and a tag without a value are recorded as flaws instead of failing the parse.

use bitcoin::opcodes::all::{
    OP_CHECKSIG, OP_ENDIF, OP_IF, OP_PUSHNUM_1, OP_PUSHNUM_16, OP_PUSHNUM_NEG1,
};
use bitcoin::opcodes::OP_FALSE;
use bitcoin::script::{Builder, Instruction, PushBytes};
use bitcoin::taproot::LeafVersion;
use bitcoin::{Script, ScriptBuf, Transaction, XOnlyPublicKey};
use serde::Serialize;

use crate::chunk::ChunkRef;
use crate::record::{Flaw, Record, RecordError};

/// The envelope's protocol marker.
pub const PROTOCOL_ID: &[u8] = b"ord";
/// The metaprotocol (tag 7) that marks an inscription as a Bitmodel record.
pub const METAPROTOCOL: &[u8] = b"bitmodel";
/// Largest single push in tapscript; longer values are split over several pushes.
pub const MAX_PUSH: usize = 520;

const TAG_CONTENT_TYPE: u8 = 1;
const TAG_POINTER: u8 = 2;
const TAG_PARENT: u8 = 3;
const TAG_METADATA: u8 = 5;
const TAG_METAPROTOCOL: u8 = 7;
const TAG_CONTENT_ENCODING: u8 = 9;
const TAG_DELEGATE: u8 = 11;

/// The fields of one envelope. Every field is raw bytes, as on chain.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Inscription {
    pub content_type: Option<Vec<u8>>,
    pub content_encoding: Option<Vec<u8>>,
    pub metadata: Option<Vec<u8>>,
    pub metaprotocol: Option<Vec<u8>>,
    pub pointer: Option<Vec<u8>>,
    pub parents: Vec<Vec<u8>>,
    pub delegate: Option<Vec<u8>>,
    pub body: Option<Vec<u8>>,
}

/// Something odd about an envelope that ord would also note.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum EnvelopeFlaw {
    /// A single-value field appeared more than once; the first value is kept.
    DuplicateField,
    /// A tag had no value after it.
    IncompleteField,
    /// An even tag this version does not know (even tags must be understood).
    UnrecognizedEvenField,
    /// A value was pushed with `OP_1`..`OP_16` or `OP_1NEGATE` rather than a data push.
    Pushnum,
}

/// An envelope found in a transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Envelope {
    /// The input whose tapscript carries it.
    pub input: u32,
    /// Its position among all envelopes of the transaction: the `n` in `<txid>i<n>`.
    pub index: u32,
    pub inscription: Inscription,
    pub flaws: Vec<EnvelopeFlaw>,
}

impl Inscription {
    /// A Bitmodel record inscription with its body (the card or the file itself).
    pub fn bitmodel(record: &Record, content_type: &str, body: Vec<u8>) -> Self {
        Self {
            content_type: Some(content_type.as_bytes().to_vec()),
            metadata: Some(record.to_cbor()),
            metaprotocol: Some(METAPROTOCOL.to_vec()),
            body: Some(body),
            ..Self::default()
        }
    }

    /// Appends the envelope to a script under construction.
    pub fn append_to(&self, mut b: Builder) -> Builder {
        b = b
            .push_opcode(OP_FALSE)
            .push_opcode(OP_IF)
            .push_slice(push(PROTOCOL_ID));
        let single = [
            (TAG_CONTENT_TYPE, &self.content_type),
            (TAG_POINTER, &self.pointer),
            (TAG_CONTENT_ENCODING, &self.content_encoding),
            (TAG_METAPROTOCOL, &self.metaprotocol),
            (TAG_DELEGATE, &self.delegate),
        ];
        for (tag, value) in single {
            if let Some(value) = value {
                b = field(b, tag, value);
            }
        }
        for parent in &self.parents {
            b = field(b, TAG_PARENT, parent);
        }
        if let Some(metadata) = &self.metadata {
            b = field(b, TAG_METADATA, metadata);
        }
        if let Some(body) = &self.body {
            b = b.push_slice(push(&[]));
            for chunk in body.chunks(MAX_PUSH) {
                b = b.push_slice(push(chunk));
            }
        }
        b.push_opcode(OP_ENDIF)
    }

    /// ord's reveal leaf: `<key> OP_CHECKSIG` followed by the envelope.
    pub fn reveal_script(&self, key: &XOnlyPublicKey) -> ScriptBuf {
        let b = Builder::new().push_x_only_key(key).push_opcode(OP_CHECKSIG);
        self.append_to(b).into_script()
    }

    /// Whether the metaprotocol marks this as a Bitmodel record.
    pub fn is_bitmodel(&self) -> bool {
        self.metaprotocol.as_deref() == Some(METAPROTOCOL)
    }

    /// A part of a large asset file: a Bitmodel inscription whose metadata is a chunk reference.
    pub fn bitmodel_chunk(chunk: &ChunkRef, body: Vec<u8>) -> Self {
        Self {
            content_type: Some(b"application/octet-stream".to_vec()),
            metadata: Some(chunk.to_cbor()),
            metaprotocol: Some(METAPROTOCOL.to_vec()),
            body: Some(body),
            ..Self::default()
        }
    }

    /// The chunk reference in the metadata, if this is a Bitmodel content part.
    pub fn chunk_ref(&self) -> Option<Result<ChunkRef, RecordError>> {
        if !self.is_bitmodel() {
            return None;
        }
        ChunkRef::from_cbor(self.metadata.as_deref()?)
    }

    /// The Bitmodel record in the metadata, if this is a Bitmodel inscription (and not a
    /// content part).
    pub fn bitmodel_record(&self) -> Option<Result<(Record, Vec<Flaw>), RecordError>> {
        if !self.is_bitmodel() || self.chunk_ref().is_some() {
            return None;
        }
        Some(match &self.metadata {
            Some(m) => Record::from_cbor(m),
            None => Err(RecordError::MissingField("metadata (envelope tag 5)")),
        })
    }
}

fn push(bytes: &[u8]) -> &PushBytes {
    <&PushBytes>::try_from(bytes).expect("callers chunk pushes to at most 520 bytes")
}

fn field(mut b: Builder, tag: u8, value: &[u8]) -> Builder {
    // A value longer than one push repeats its tag per chunk, which is how ord chunks
    // metadata; readers concatenate metadata chunks (other fields never get this long).
    if value.is_empty() {
        return b.push_slice(push(&[tag])).push_slice(push(&[]));
    }
    for chunk in value.chunks(MAX_PUSH) {
        b = b.push_slice(push(&[tag])).push_slice(push(chunk));
    }
    b
}

/// Every envelope in a transaction, in input order then script order.
pub fn parse_transaction(tx: &Transaction) -> Vec<Envelope> {
    let mut out = Vec::new();
    for (input, txin) in tx.input.iter().enumerate() {
        // Envelopes live in tapscript leaves (leaf version 0xc0) of script-path spends.
        let Some(leaf) = txin.witness.taproot_leaf_script() else {
            continue;
        };
        if leaf.version != LeafVersion::TapScript {
            continue;
        }
        for (inscription, flaws) in parse_script(leaf.script) {
            let index = out.len() as u32;
            out.push(Envelope {
                input: input as u32,
                index,
                inscription,
                flaws,
            });
        }
    }
    out
}

/// Every complete envelope in one tapscript. A script that does not parse as a sequence of
/// instructions ends the search where it stops parsing; nothing here panics.
pub fn parse_script(script: &Script) -> Vec<(Inscription, Vec<EnvelopeFlaw>)> {
    let instructions: Vec<Instruction<'_>> = script.instructions().map_while(Result::ok).collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i + 2 < instructions.len() {
        let starts = is_push(&instructions[i], &[])
            && instructions[i + 1] == Instruction::Op(OP_IF)
            && is_push(&instructions[i + 2], PROTOCOL_ID);
        if !starts {
            i += 1;
            continue;
        }
        match read_envelope(&instructions[i + 3..]) {
            Some((payload, used)) => {
                found.push(payload);
                i += 3 + used;
            }
            None => i += 1,
        }
    }
    found
}

fn is_push(ins: &Instruction<'_>, bytes: &[u8]) -> bool {
    matches!(ins, Instruction::PushBytes(p) if p.as_bytes() == bytes)
}

/// Reads pushes up to `OP_ENDIF`. Returns the decoded envelope and how many instructions it
/// used, or `None` if a non-push opcode or the end of the script comes first.
fn read_envelope(ins: &[Instruction<'_>]) -> Option<((Inscription, Vec<EnvelopeFlaw>), usize)> {
    let mut pushes: Vec<Vec<u8>> = Vec::new();
    let mut flaws = Vec::new();
    let mut end = None;
    for (n, i) in ins.iter().enumerate() {
        match i {
            Instruction::PushBytes(p) => pushes.push(p.as_bytes().to_vec()),
            Instruction::Op(op) if *op == OP_ENDIF => {
                end = Some(n + 1);
                break;
            }
            Instruction::Op(op) if *op == OP_PUSHNUM_NEG1 => {
                flaws.push(EnvelopeFlaw::Pushnum);
                pushes.push(vec![0x81]);
            }
            Instruction::Op(op)
                if (OP_PUSHNUM_1.to_u8()..=OP_PUSHNUM_16.to_u8()).contains(&op.to_u8()) =>
            {
                flaws.push(EnvelopeFlaw::Pushnum);
                pushes.push(vec![op.to_u8() - OP_PUSHNUM_1.to_u8() + 1]);
            }
            Instruction::Op(_) => return None,
        }
    }
    let used = end?;
    let mut insc = Inscription::default();
    let mut metadata: Option<Vec<u8>> = None;
    let mut k = 0;
    while k < pushes.len() {
        let tag = &pushes[k];
        if tag.is_empty() {
            let body: Vec<u8> = pushes[k + 1..].concat();
            insc.body = Some(body);
            break;
        }
        let Some(value) = pushes.get(k + 1) else {
            flaws.push(EnvelopeFlaw::IncompleteField);
            break;
        };
        let single = |slot: &mut Option<Vec<u8>>, flaws: &mut Vec<EnvelopeFlaw>| {
            if slot.is_some() {
                flaws.push(EnvelopeFlaw::DuplicateField);
            } else {
                *slot = Some(value.clone());
            }
        };
        match tag.as_slice() {
            [TAG_CONTENT_TYPE] => single(&mut insc.content_type, &mut flaws),
            [TAG_POINTER] => single(&mut insc.pointer, &mut flaws),
            [TAG_CONTENT_ENCODING] => single(&mut insc.content_encoding, &mut flaws),
            [TAG_METAPROTOCOL] => single(&mut insc.metaprotocol, &mut flaws),
            [TAG_DELEGATE] => single(&mut insc.delegate, &mut flaws),
            [TAG_PARENT] => insc.parents.push(value.clone()),
            [TAG_METADATA] => metadata
                .get_or_insert_with(Vec::new)
                .extend_from_slice(value),
            [first, ..] if first % 2 == 0 => flaws.push(EnvelopeFlaw::UnrecognizedEvenField),
            _ => {} // unknown odd tags are ignored
        }
        k += 2;
    }
    insc.metadata = metadata;
    Some(((insc, flaws), used))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::script::Builder;

    fn sample() -> Inscription {
        Inscription {
            content_type: Some(b"text/plain".to_vec()),
            metadata: Some(vec![0xa0]),
            metaprotocol: Some(METAPROTOCOL.to_vec()),
            body: Some(b"hello".to_vec()),
            ..Default::default()
        }
    }

    fn script_of(f: impl FnOnce(Builder) -> Builder) -> ScriptBuf {
        f(Builder::new()).into_script()
    }

    #[test]
    fn round_trip_simple() {
        let script = sample().append_to(Builder::new()).into_script();
        let found = parse_script(&script);
        assert_eq!(found, vec![(sample(), vec![])]);
    }

    #[test]
    fn large_body_and_metadata_are_chunked_and_reassembled() {
        let mut insc = sample();
        insc.body = Some((0..3000u32).map(|i| (i % 251) as u8).collect());
        insc.metadata = Some((0..1100u32).map(|i| (i % 13) as u8).collect());
        let script = insc.append_to(Builder::new()).into_script();
        for ins in script.instructions() {
            if let Ok(Instruction::PushBytes(p)) = ins {
                assert!(p.len() <= MAX_PUSH);
            }
        }
        assert_eq!(parse_script(&script), vec![(insc, vec![])]);
    }

    #[test]
    fn flaws_are_recorded_not_fatal() {
        let s = script_of(|b| {
            b.push_opcode(OP_FALSE)
                .push_opcode(OP_IF)
                .push_slice(b"ord")
                .push_slice([1u8])
                .push_slice(b"a")
                .push_slice([1u8])
                .push_slice(b"b")
                .push_slice([4u8])
                .push_slice(b"even")
                .push_slice([13u8])
                .push_slice(b"odd")
                .push_slice([7u8])
                .push_opcode(OP_ENDIF)
        });
        let found = parse_script(&s);
        assert_eq!(found.len(), 1);
        let (insc, flaws) = &found[0];
        assert_eq!(insc.content_type.as_deref(), Some(&b"a"[..]));
        assert_eq!(
            flaws,
            &[
                EnvelopeFlaw::DuplicateField,
                EnvelopeFlaw::UnrecognizedEvenField,
                EnvelopeFlaw::IncompleteField
            ]
        );
    }

    #[test]
    fn pushnum_tags_are_accepted_with_a_flaw() {
        let s = script_of(|b| {
            b.push_opcode(OP_FALSE)
                .push_opcode(OP_IF)
                .push_slice(b"ord")
                .push_opcode(OP_PUSHNUM_1)
                .push_slice(b"text/plain")
                .push_opcode(OP_ENDIF)
        });
        let found = parse_script(&s);
        assert_eq!(found[0].0.content_type.as_deref(), Some(&b"text/plain"[..]));
        assert_eq!(found[0].1, vec![EnvelopeFlaw::Pushnum]);
    }

    #[test]
    fn non_envelopes_are_ignored() {
        // missing OP_ENDIF
        let s = script_of(|b| {
            b.push_opcode(OP_FALSE)
                .push_opcode(OP_IF)
                .push_slice(b"ord")
                .push_slice([1u8])
        });
        assert!(parse_script(&s).is_empty());
        // a non-push opcode inside
        let s = script_of(|b| {
            b.push_opcode(OP_FALSE)
                .push_opcode(OP_IF)
                .push_slice(b"ord")
                .push_opcode(OP_CHECKSIG)
                .push_opcode(OP_ENDIF)
        });
        assert!(parse_script(&s).is_empty());
        // other protocol id
        let s = script_of(|b| {
            b.push_opcode(OP_FALSE)
                .push_opcode(OP_IF)
                .push_slice(b"xyz")
                .push_opcode(OP_ENDIF)
        });
        assert!(parse_script(&s).is_empty());
    }

    #[test]
    fn two_envelopes_in_one_script() {
        let b = sample().append_to(Builder::new());
        let script = sample().append_to(b).into_script();
        assert_eq!(parse_script(&script).len(), 2);
    }
}
