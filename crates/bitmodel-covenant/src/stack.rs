//! A script builder that knows, at every opcode, what sits where on the main stack.
//!
//! Why: the leaves keep lookup tables (multiples of `q`, zero pads for 8-byte amounts) on the
//! stack and reach them with `OP_PICK`/`OP_ROLL`. Hand-counted indices break silently when a
//! line is added; here every item has a name, indices are computed from the model, and both
//! arms of an `IF` must leave the same stack (checked when the leaf is built). The alt stack
//! is modelled too, so `FROMALTSTACK` gives back the name that went in.
//!
//! Only the shapes the leaves use are modelled: a script that the model cannot follow is a
//! builder bug and panics while the vault is constructed, never on chain.

use bitcoin::opcodes::all::*;
use bitcoin::opcodes::Opcode;
use bitcoin::script::{Builder, PushBytesBuf};
use bitcoin::ScriptBuf;

/// A named stack model and the script being written.
pub struct Stack {
    b: Builder,
    main: Vec<String>,
    alt: Vec<String>,
    sections: Vec<(&'static str, usize)>,
}

impl Stack {
    /// Starts from the witness items, bottom first.
    pub fn new(witness: &[&str]) -> Stack {
        Stack {
            b: Builder::new(),
            main: witness.iter().map(|s| s.to_string()).collect(),
            alt: Vec::new(),
            sections: Vec::new(),
        }
    }

    pub fn into_script(self) -> ScriptBuf {
        self.b.into_script()
    }

    /// Starts a named part of the script (for the byte table of the covenant benchmark).
    pub fn section(&mut self, name: &'static str) -> &mut Self {
        self.sections.push((name, self.b.len()));
        self
    }

    /// Script bytes per section, in order, summed by name (the script ends the last one).
    pub fn section_bytes(&self) -> Vec<(&'static str, usize)> {
        let mut out: Vec<(&'static str, usize)> = Vec::new();
        for (i, (name, start)) in self.sections.iter().enumerate() {
            let end = self.sections.get(i + 1).map_or(self.b.len(), |s| s.1);
            match out.iter_mut().find(|(n, _)| n == name) {
                Some(entry) => entry.1 += end - start,
                None => out.push((name, end - start)),
            }
        }
        out
    }

    /// Index of `name` counted from the top (0 = top).
    pub fn depth_of(&self, name: &str) -> usize {
        let pos = self
            .main
            .iter()
            .rposition(|n| n == name)
            .unwrap_or_else(|| panic!("{name} is not on the stack: {:?}", self.main));
        self.main.len() - 1 - pos
    }

    fn pop(&mut self, n: usize) {
        assert!(self.main.len() >= n, "stack underflow in leaf builder");
        self.main.truncate(self.main.len() - n);
    }

    /// Any opcode that pops `pops` items and pushes `pushes` named results.
    pub fn op(&mut self, op: Opcode, pops: usize, pushes: &[&str]) -> &mut Self {
        self.b = std::mem::take(&mut self.b).push_opcode(op);
        self.pop(pops);
        self.main.extend(pushes.iter().map(|s| s.to_string()));
        self
    }

    /// A binary operation on the two top items, giving `name`.
    pub fn bin(&mut self, op: Opcode, name: &str) -> &mut Self {
        self.op(op, 2, &[name])
    }

    /// A unary operation on the top item, giving `name`.
    pub fn un(&mut self, op: Opcode, name: &str) -> &mut Self {
        self.op(op, 1, &[name])
    }

    /// Pops the top item and fails unless it is true.
    pub fn verify(&mut self) -> &mut Self {
        self.op(OP_VERIFY, 1, &[])
    }

    pub fn int(&mut self, v: i64, name: &str) -> &mut Self {
        self.b = std::mem::take(&mut self.b).push_int(v);
        self.main.push(name.to_string());
        self
    }

    pub fn bytes(&mut self, bytes: &[u8], name: &str) -> &mut Self {
        let push = PushBytesBuf::try_from(bytes.to_vec()).expect("leaf constants are short");
        self.b = std::mem::take(&mut self.b).push_slice(push);
        self.main.push(name.to_string());
        self
    }

    pub fn dup(&mut self, name: &str) -> &mut Self {
        self.op(OP_DUP, 0, &[name])
    }

    /// Copies `name` to the top as `copy` (`OP_OVER` when it is second, else `n OP_PICK`).
    pub fn pick(&mut self, name: &str, copy: &str) -> &mut Self {
        match self.depth_of(name) {
            0 => self.dup(copy),
            1 => self.op(OP_OVER, 0, &[copy]),
            d => {
                self.b = std::mem::take(&mut self.b).push_int(d as i64);
                self.main.push("index".into());
                self.op(OP_PICK, 1, &[copy])
            }
        }
    }

    /// Moves `name` to the top (`OP_SWAP`, `OP_ROT` or `n OP_ROLL`; nothing if it is on top).
    pub fn roll(&mut self, name: &str) -> &mut Self {
        let d = self.depth_of(name);
        let item = self.main.remove(self.main.len() - 1 - d);
        let op = match d {
            0 => {
                self.main.push(item);
                return self;
            }
            1 => Some(OP_SWAP),
            2 => Some(OP_ROT),
            _ => None,
        };
        self.b = match op {
            Some(op) => std::mem::take(&mut self.b).push_opcode(op),
            None => std::mem::take(&mut self.b)
                .push_int(d as i64)
                .push_opcode(OP_ROLL),
        };
        self.main.push(item);
        self
    }

    pub fn drop_top(&mut self) -> &mut Self {
        self.op(OP_DROP, 1, &[])
    }

    /// Drops every item above `keep` (the named item stays), two at a time.
    pub fn drop_above(&mut self, keep: &str) -> &mut Self {
        let mut n = self.depth_of(keep);
        while n >= 2 {
            self.op(OP_2DROP, 2, &[]);
            n -= 2;
        }
        if n == 1 {
            self.drop_top();
        }
        self
    }

    pub fn push_alt(&mut self) -> &mut Self {
        let item = self.main.pop().expect("non-empty");
        self.alt.push(item);
        self.b = std::mem::take(&mut self.b).push_opcode(OP_TOALTSTACK);
        self
    }

    /// `OP_FROMALTSTACK`, checking the item that comes back is `expect`.
    pub fn pop_alt(&mut self, expect: &str) -> &mut Self {
        let item = self.alt.pop().expect("alt stack non-empty");
        assert_eq!(item, expect, "alt stack order in leaf builder");
        self.main.push(item);
        self.b = std::mem::take(&mut self.b).push_opcode(OP_FROMALTSTACK);
        self
    }

    /// `a ‖ b` of the two top items, named `name`.
    pub fn cat(&mut self, name: &str) -> &mut Self {
        self.bin(OP_CAT, name)
    }

    /// Fails unless the top item is exactly `n` bytes (it stays).
    pub fn pin(&mut self, n: i64) -> &mut Self {
        self.op(OP_SIZE, 0, &["size"]).int(n, "n");
        self.op(OP_EQUALVERIFY, 2, &[])
    }

    /// Consumes the top number and fails unless `lo <= x < hi`.
    pub fn within(&mut self, lo: i64, hi: i64) -> &mut Self {
        self.int(lo, "lo").int(hi, "hi");
        self.op(OP_WITHIN, 3, &["ok"]).verify()
    }

    /// Fails unless the top number is at least `min` (it stays).
    pub fn at_least(&mut self, min: i64) -> &mut Self {
        self.dup("x").int(min, "min");
        self.bin(OP_GREATERTHANOREQUAL, "ok").verify()
    }

    /// `IF then ELSE otherwise ENDIF` on the top item; both arms must leave the same stack.
    pub fn if_else(
        &mut self,
        then: impl FnOnce(&mut Stack),
        otherwise: impl FnOnce(&mut Stack),
    ) -> &mut Self {
        self.op(OP_IF, 1, &[]);
        let (main0, alt0) = (self.main.clone(), self.alt.clone());
        then(self);
        let (main1, alt1) = (
            std::mem::replace(&mut self.main, main0),
            std::mem::replace(&mut self.alt, alt0),
        );
        self.b = std::mem::take(&mut self.b).push_opcode(OP_ELSE);
        otherwise(self);
        assert_eq!(self.main, main1, "IF arms leave different main stacks");
        assert_eq!(self.alt, alt1, "IF arms leave different alt stacks");
        self.b = std::mem::take(&mut self.b).push_opcode(OP_ENDIF);
        self
    }

    /// `IF then ENDIF` on the top item; `then` must not change the stack's shape.
    pub fn when(&mut self, then: impl FnOnce(&mut Stack)) -> &mut Self {
        self.op(OP_IF, 1, &[]);
        let (main0, alt0) = (self.main.clone(), self.alt.clone());
        then(self);
        assert_eq!(
            self.main.len(),
            main0.len(),
            "IF arm changes the stack depth"
        );
        assert_eq!(self.alt, alt0, "IF arm changes the alt stack");
        self.b = std::mem::take(&mut self.b).push_opcode(OP_ENDIF);
        self
    }

    /// Renames an item (no opcode): for values whose meaning changed.
    pub fn rename(&mut self, old: &str, new: &str) -> &mut Self {
        let d = self.depth_of(old);
        let i = self.main.len() - 1 - d;
        self.main[i] = new.to_string();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_follow_the_model() {
        let mut s = Stack::new(&["a", "b", "c", "d"]);
        s.pick("a", "a2"); // 3 PICK
        s.roll("b"); // 3 ROLL
        s.pick("d", "d2"); // OP_OVER? d is at depth 2 -> 2 PICK
        let script = s.into_script();
        let expected = Builder::new()
            .push_int(3)
            .push_opcode(OP_PICK)
            .push_int(3)
            .push_opcode(OP_ROLL)
            .push_int(2)
            .push_opcode(OP_PICK)
            .into_script();
        assert_eq!(script, expected);
    }

    #[test]
    #[should_panic(expected = "IF arms leave different main stacks")]
    fn unequal_arms_are_a_builder_bug() {
        let mut s = Stack::new(&["x", "flag"]);
        s.if_else(
            |s| {
                s.drop_top();
            },
            |_| {},
        );
    }
}
