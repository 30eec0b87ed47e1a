//! Keys from the same BIP39 seed the Fractal wallet uses, on BIP44's path for MVC
//! (`m/44'/10001'/0'/0/i`, coin type 10001 as MVC's wallets derive it): P2PKH keys, since
//! MVC has no segwit.

use bitcoin::bip32::{ChildNumber, Xpriv};
use bitcoin::secp256k1::{Secp256k1, SecretKey, Signing};
use bitcoin::NetworkKind;

/// MVC's BIP44 coin type.
pub const COIN_TYPE: u32 = 10_001;

/// The receive key `index` of a 64-byte BIP39 seed.
pub fn receive_key<C: Signing>(
    secp: &Secp256k1<C>,
    seed: &[u8],
    index: u32,
) -> Result<SecretKey, bitcoin::bip32::Error> {
    let master = Xpriv::new_master(NetworkKind::Main, seed)?;
    let path = [
        ChildNumber::from_hardened_idx(44)?,
        ChildNumber::from_hardened_idx(COIN_TYPE)?,
        ChildNumber::from_hardened_idx(0)?,
        ChildNumber::from_normal_idx(0)?,
        ChildNumber::from_normal_idx(index)?,
    ];
    Ok(master.derive_priv(secp, &path)?.private_key)
}
