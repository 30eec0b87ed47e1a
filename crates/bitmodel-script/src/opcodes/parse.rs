//! Byte-level script tokenizer with Bitcoin Core's `GetScriptOp` semantics.

use super::{OP_PUSHDATA1, OP_PUSHDATA2, OP_PUSHDATA4};

/// One parsed operation: the opcode byte and, for pushes, the pushed bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Op<'a> {
    pub opcode: u8,
    pub data: &'a [u8],
}

/// Iterator over a script's operations. Yields `Err(())` once on a truncated push and then
/// stops; `pos()` is the offset of the next unparsed byte.
#[derive(Debug, Clone)]
pub struct Ops<'a> {
    script: &'a [u8],
    pos: usize,
    failed: bool,
}

impl<'a> Ops<'a> {
    pub fn new(script: &'a [u8]) -> Self {
        Ops {
            script,
            pos: 0,
            failed: false,
        }
    }

    /// Offset of the next byte to parse.
    pub fn pos(&self) -> usize {
        self.pos
    }

    fn read_len(&mut self, width: usize) -> Option<usize> {
        let bytes = self.script.get(self.pos..self.pos + width)?;
        self.pos += width;
        let mut len = 0usize;
        for (i, b) in bytes.iter().enumerate() {
            len |= usize::from(*b) << (8 * i);
        }
        Some(len)
    }
}

impl<'a> Iterator for Ops<'a> {
    type Item = Result<Op<'a>, ()>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.script.len() {
            return None;
        }
        let opcode = self.script[self.pos];
        self.pos += 1;
        if opcode > OP_PUSHDATA4 {
            return Some(Ok(Op { opcode, data: &[] }));
        }
        let len = match opcode {
            OP_PUSHDATA1 => self.read_len(1),
            OP_PUSHDATA2 => self.read_len(2),
            OP_PUSHDATA4 => self.read_len(4),
            n => Some(usize::from(n)),
        };
        let end = len
            .and_then(|l| self.pos.checked_add(l))
            .filter(|e| *e <= self.script.len());
        match end {
            Some(end) => {
                let data = &self.script[self.pos..end];
                self.pos = end;
                Some(Ok(Op { opcode, data }))
            }
            None => {
                self.failed = true;
                Some(Err(()))
            }
        }
    }
}

/// Whether `data` pushed with `opcode` uses the smallest possible encoding (BIP62 rule 3).
pub fn is_minimal_push(opcode: u8, data: &[u8]) -> bool {
    match data.len() {
        0 => opcode == super::OP_0,
        1 if (1..=16).contains(&data[0]) => opcode == super::OP_1 + data[0] - 1,
        1 if data[0] == 0x81 => opcode == super::OP_1NEGATE,
        n if n <= 75 => usize::from(opcode) == n,
        n if n <= 255 => opcode == OP_PUSHDATA1,
        n if n <= 65535 => opcode == OP_PUSHDATA2,
        _ => true,
    }
}

/// Appends `data` as a single push with the encoding Core's `CScript << vector` chooses.
pub fn push_data(out: &mut Vec<u8>, data: &[u8]) {
    let len = data.len();
    if len < usize::from(OP_PUSHDATA1) {
        out.push(u8::try_from(len).expect("length below 76"));
    } else if let Ok(l) = u8::try_from(len) {
        out.push(OP_PUSHDATA1);
        out.push(l);
    } else if let Ok(l) = u16::try_from(len) {
        out.push(OP_PUSHDATA2);
        out.extend_from_slice(&l.to_le_bytes());
    } else {
        out.push(OP_PUSHDATA4);
        let l = u32::try_from(len).expect("script pushes are far below 4 GiB");
        out.extend_from_slice(&l.to_le_bytes());
    }
    out.extend_from_slice(data);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pushes_and_stops_on_truncation() {
        let s = [0x01, 0xaa, 0x4c, 0x02, 0xbb, 0xcc, 0x76, 0x4d, 0x05];
        let ops: Vec<_> = Ops::new(&s).collect();
        assert_eq!(ops.len(), 4);
        assert_eq!(
            ops[0],
            Ok(Op {
                opcode: 1,
                data: &[0xaa]
            })
        );
        assert_eq!(
            ops[1],
            Ok(Op {
                opcode: 0x4c,
                data: &[0xbb, 0xcc]
            })
        );
        assert_eq!(
            ops[2],
            Ok(Op {
                opcode: 0x76,
                data: &[]
            })
        );
        assert_eq!(ops[3], Err(()));
    }
}
