//! What both wallets (BDK's taproot wallet and the MVC P2PKH wallet) keep the same way in
//! their file: the BIP39 mnemonic, in the clear or sealed under a passphrase, and the chain
//! identity the wallet was first used on.

use std::path::Path;

use bdk_wallet::bip39::{Language, Mnemonic};

use crate::store::{Store, StoreError};
use crate::WalletError;

/// A new wallet file at `path` for `network` (the name it is stored under) with the
/// mnemonic `words` or a new one, sealed under `passphrase` when given. Refuses to touch
/// an existing file.
pub(crate) fn create_file(
    path: &Path,
    network: &str,
    words: Option<&str>,
    passphrase: Option<&str>,
) -> Result<(Store, Mnemonic), WalletError> {
    if path.exists() {
        return Err(WalletError::Exists(path.display().to_string()));
    }
    let mnemonic = make(words)?;
    let mut store = Store::open(path)?;
    save(&mut store, &mnemonic, passphrase)?;
    store.put("network", network.as_bytes())?;
    Ok((store, mnemonic))
}

/// The wallet file at `path`, checked to be `network`'s, and its mnemonic.
pub(crate) fn open_file(
    path: &Path,
    network: &str,
    passphrase: Option<&str>,
) -> Result<(Store, Mnemonic), WalletError> {
    if !path.exists() {
        return Err(WalletError::Missing(path.display().to_string()));
    }
    let store = Store::open(path)?;
    let stored = String::from_utf8_lossy(&store.get("network")?.unwrap_or_default()).into_owned();
    if stored != network {
        return Err(WalletError::WrongNetwork {
            wallet: stored,
            requested: network.into(),
        });
    }
    let mnemonic = load(&store, path, passphrase)?;
    Ok((store, mnemonic))
}

/// `words` parsed, or a new 12-word mnemonic.
pub(crate) fn make(words: Option<&str>) -> Result<Mnemonic, WalletError> {
    match words {
        Some(words) => {
            Mnemonic::parse_in(Language::English, words).map_err(WalletError::BadMnemonic)
        }
        None => {
            let mut entropy = [0u8; 16];
            crate::wallet::getrandom(&mut entropy).map_err(WalletError::NoRandomness)?;
            Ok(Mnemonic::from_entropy(&entropy).expect("16 bytes of entropy make 12 words"))
        }
    }
}

/// Stores the mnemonic, sealed under `passphrase` when one is given.
pub(crate) fn save(
    store: &mut Store,
    mnemonic: &Mnemonic,
    passphrase: Option<&str>,
) -> Result<(), WalletError> {
    match passphrase {
        Some(p) => {
            let sealed = crate::seal::seal(mnemonic.to_string().as_bytes(), p, |b| {
                crate::wallet::getrandom(b)
            })?;
            store.put("mnemonic_sealed", &sealed)?;
        }
        None => store.put("mnemonic", mnemonic.to_string().as_bytes())?,
    }
    Ok(())
}

/// The stored mnemonic, opened with `passphrase` when it is sealed.
pub(crate) fn load(
    store: &Store,
    path: &Path,
    passphrase: Option<&str>,
) -> Result<Mnemonic, WalletError> {
    let words = match (store.get("mnemonic")?, store.get("mnemonic_sealed")?) {
        (Some(w), _) => w,
        (None, Some(sealed)) => match passphrase {
            Some(p) => crate::seal::open(&sealed, p)?,
            None => return Err(WalletError::Locked(path.display().to_string())),
        },
        (None, None) => return Err(WalletError::Missing(path.display().to_string())),
    };
    Mnemonic::parse_in(Language::English, String::from_utf8_lossy(&words))
        .map_err(WalletError::BadMnemonic)
}

/// Binds the wallet to the node's chain on first use and refuses another chain later (a
/// regtest node reset behind the same URL, Bitcoin where Fractal was used): the wallet's
/// coins and history belong to one chain.
pub(crate) fn bind_identity(
    store: &mut Store,
    path: &Path,
    found: &bitmodel_protocol::Identity,
) -> Result<(), WalletError> {
    let corrupt = |source| StoreError::Corrupt {
        what: "stored chain identity",
        source,
    };
    let stored: Option<bitmodel_protocol::Identity> = match store.get("identity")? {
        Some(bytes) => Some(serde_json::from_slice(&bytes).map_err(corrupt)?),
        None => None,
    };
    let rebound = bitmodel_protocol::Identity::rebind(stored.as_ref(), found);
    let Some(new) = rebound.map_err(|()| WalletError::OtherChain {
        path: path.display().to_string(),
        stored: Box::new(stored.clone().expect("a mismatch needs a stored identity")),
        found: Box::new(found.clone()),
    })?
    else {
        return Ok(());
    };
    let bytes = serde_json::to_vec(&new).map_err(corrupt)?;
    store.put("identity", &bytes)?;
    Ok(())
}
