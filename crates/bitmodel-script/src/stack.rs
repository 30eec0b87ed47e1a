//! The main stack with Core's `stacktop`/`popstack` as checked operations.
//!
//! Every access that Core performs through `stacktop(-n)` after an explicit size check is
//! written here so that an out-of-range access becomes `INVALID_STACK_OPERATION` instead of a
//! panic, even if a size check were ever missed.

use crate::error::ScriptError;

pub type Elem = Vec<u8>;

/// The interpreter's main stack.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stack(pub Vec<Elem>);

impl Stack {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Fails with `INVALID_STACK_OPERATION` unless at least `n` items are present.
    pub fn need(&self, n: usize) -> Result<(), ScriptError> {
        if self.0.len() < n {
            Err(ScriptError::InvalidStackOperation)
        } else {
            Ok(())
        }
    }

    /// The item `depth` places from the top (1 is the top).
    pub fn top(&self, depth: usize) -> Result<&Elem, ScriptError> {
        self.need(depth)?;
        Ok(&self.0[self.0.len() - depth])
    }

    pub fn top_mut(&mut self, depth: usize) -> Result<&mut Elem, ScriptError> {
        self.need(depth)?;
        let len = self.0.len();
        Ok(&mut self.0[len - depth])
    }

    pub fn pop(&mut self) -> Result<Elem, ScriptError> {
        self.0.pop().ok_or(ScriptError::InvalidStackOperation)
    }

    pub fn push(&mut self, elem: Elem) {
        self.0.push(elem);
    }

    pub fn push_bool(&mut self, value: bool) {
        self.0.push(if value { vec![1] } else { Vec::new() });
    }

    /// Removes the item `depth` places from the top and returns it.
    pub fn remove(&mut self, depth: usize) -> Result<Elem, ScriptError> {
        self.need(depth)?;
        let at = self.0.len() - depth;
        Ok(self.0.remove(at))
    }

    /// Inserts `elem` so that it ends up `depth` places from the top (1 puts it on top,
    /// `len() + 1` at the bottom): the inverse of [`Stack::remove`]. Fails with
    /// `INVALID_STACK_OPERATION` unless at least `depth - 1` items are present.
    ///
    /// Like [`Stack::push`] it leaves the 1000-item limit to the interpreter, which counts
    /// the altstack too and checks once per opcode.
    pub fn insert_at(&mut self, depth: usize, elem: Elem) -> Result<(), ScriptError> {
        if depth == 0 {
            return Err(ScriptError::InvalidStackOperation);
        }
        self.need(depth - 1)?;
        let at = self.0.len() + 1 - depth;
        self.0.insert(at, elem);
        Ok(())
    }

    /// Keeps only the bottom `len` items (Core's `resize` to a smaller size); a no-op if
    /// there are no more than `len`.
    pub fn truncate(&mut self, len: usize) {
        self.0.truncate(len);
    }

    /// Swaps the items `a` and `b` places from the top.
    pub fn swap(&mut self, a: usize, b: usize) -> Result<(), ScriptError> {
        self.need(a.max(b))?;
        let len = self.0.len();
        self.0.swap(len - a, len - b);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack(items: &[u8]) -> Stack {
        Stack(items.iter().map(|&b| vec![b]).collect())
    }

    #[test]
    fn insert_at_places_the_item_at_its_depth() {
        let mut s = stack(&[1, 2]);
        s.insert_at(1, vec![9]).unwrap();
        assert_eq!(s, stack(&[1, 2, 9]));
        s.insert_at(3, vec![8]).unwrap();
        assert_eq!(s, stack(&[1, 8, 2, 9]));
        s.insert_at(5, vec![7]).unwrap();
        assert_eq!(s, stack(&[7, 1, 8, 2, 9]));
        assert_eq!(s.remove(4).unwrap(), vec![1]);
    }

    #[test]
    fn insert_at_fails_like_the_other_checked_operations() {
        let mut s = stack(&[1]);
        for depth in [0, 3, usize::MAX] {
            assert_eq!(
                s.insert_at(depth, vec![9]),
                Err(ScriptError::InvalidStackOperation)
            );
        }
        assert_eq!(s, stack(&[1]));
        let mut empty = Stack::default();
        empty.insert_at(1, vec![9]).unwrap();
        assert_eq!(empty, stack(&[9]));
    }
}
