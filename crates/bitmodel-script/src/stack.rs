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

    /// Swaps the items `a` and `b` places from the top.
    pub fn swap(&mut self, a: usize, b: usize) -> Result<(), ScriptError> {
        self.need(a.max(b))?;
        let len = self.0.len();
        self.0.swap(len - a, len - b);
        Ok(())
    }
}
