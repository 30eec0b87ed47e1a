//! Bitmodel's wallet-side transaction builders. [`reveal`] registers records the way ord
//! inscribes: a commit output to a taproot address whose only leaf carries the envelopes, then
//! a reveal transaction that spends it through that leaf, signed locally. [`mvc`] is the
//! wallet of MVC-family chains, where BDK cannot sign.

mod mnemonic;
pub mod mvc;
pub mod reveal;
mod seal;
pub mod store;
pub mod wallet;

pub use mvc::MvcWallet;
pub use wallet::{fee_rate, Wallet, WalletError};
