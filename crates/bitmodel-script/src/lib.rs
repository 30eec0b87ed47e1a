//! A consensus-exact Bitcoin script interpreter: legacy, P2SH, segwit v0, taproot key and
//! script path, tapscript (BIP342) and BIP347 `OP_CAT`.
//!
//! Bitmodel's covenants are only as real as the interpreter that checks them, and no
//! existing library both matches Bitcoin Core and understands `OP_CAT`
//! (libbitcoinconsensus treats it as `OP_SUCCESS`), so this crate follows Core's
//! `interpreter.cpp` rule for rule and is tested against Core's own vectors and, differentially,
//! against libbitcoinconsensus. It does no I/O.
//!
//! Start with [`verify_input`] or [`verify_tx`] and a [`Flags`] bundle such as
//! [`Flags::FRACTAL`].

pub mod ctv;
pub mod error;
pub mod flags;
pub mod interpreter;
pub mod opcodes;
pub mod sig;
pub mod sighash;
pub mod stack;
pub mod tapscript;
pub mod verify;
pub mod witness;

pub use error::ScriptError;
pub use flags::{Flags, UnknownFlag};
pub use sighash::TxData;
pub use verify::{
    verify_input, verify_script, verify_tx, verify_txs, witness_program, TxScriptError,
};
