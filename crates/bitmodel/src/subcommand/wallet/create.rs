//! `bitmodel wallet create`: a BIP86 taproot wallet from a new or given BIP39 mnemonic.

use anyhow::Context;
use bitmodel_wallet::Wallet;
use serde::Serialize;

use crate::output::Output;
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub struct Create {
    /// Restore from these 12 or 24 words (visible in `ps`: prefer --mnemonic-file or
    /// --restore; BITMODEL_MNEMONIC works too).
    #[arg(long, env = "BITMODEL_MNEMONIC", hide_env_values = true)]
    mnemonic: Option<String>,
    /// Restore from the words in this file.
    #[arg(long, conflicts_with = "mnemonic")]
    mnemonic_file: Option<std::path::PathBuf>,
    /// Restore from words typed at a prompt (or piped on standard input).
    #[arg(long, conflicts_with_all = ["mnemonic", "mnemonic_file"])]
    restore: bool,
    /// Seal the mnemonic under the wallet passphrase (--wallet-passphrase-file or
    /// BITMODEL_WALLET_PASSPHRASE), so the file never holds it in the clear.
    #[arg(long)]
    encrypt: bool,
}

#[derive(Serialize)]
struct Out {
    path: String,
    network: String,
    mnemonic: String,
    address: String,
}

impl Create {
    pub fn run(self, s: &Settings) -> anyhow::Result<Output> {
        let r = s.resolve()?;
        crate::settings::private_dir(&r.dir)?;
        let words = match (&self.mnemonic, &self.mnemonic_file, self.restore) {
            (Some(w), _, _) => Some(w.clone()),
            (None, Some(f), _) => Some(
                std::fs::read_to_string(f)
                    .with_context(|| format!("cannot read the mnemonic from {}", f.display()))?,
            ),
            (None, None, true) => {
                use std::io::IsTerminal;
                if std::io::stdin().is_terminal() {
                    eprint!("the 12 or 24 words to restore: ");
                }
                let mut line = String::new();
                std::io::stdin()
                    .read_line(&mut line)
                    .context("reading the mnemonic from standard input")?;
                Some(line)
            }
            (None, None, false) => None,
        };
        let passphrase = match (self.encrypt, &r.wallet_passphrase) {
            (true, Some(p)) if !p.is_empty() => Some(p.as_str()),
            (true, _) => anyhow::bail!(
                "--encrypt needs a passphrase: give --wallet-passphrase-file FILE or set BITMODEL_WALLET_PASSPHRASE"
            ),
            (false, _) => None,
        };
        let path = r.dir.join("wallet.redb");
        // The wallet starts from the node's genesis block, so it also follows chains whose
        // genesis is not Bitcoin's (a litecoind regtest), and is bound to the node's chain.
        // Offline, a devnet wallet may be made: the devnet's genesis is Bitcoin regtest's, and
        // the chain is checked on first use.
        let identity = match crate::context::Context::connect(r.clone()) {
            Ok(ctx) => Some(ctx.verified.identity().clone()),
            Err(e)
                if e.downcast_ref::<bitmodel_rpc::identity::IdentityError>()
                    .is_some() =>
            {
                return Err(e)
            }
            Err(_) if r.chain == bitmodel_protocol::Chain::Devnet => None,
            Err(e) => return Err(e.context("a new wallet needs the node's genesis block")),
        };
        let words = words.as_deref().map(str::trim);
        let (address, mnemonic) = if r.chain.family() == bitmodel_protocol::Family::Mvc {
            // MVC: P2PKH keys on MVC's BIP44 path from the same mnemonic.
            let (mut w, mnemonic) =
                bitmodel_wallet::MvcWallet::create_with(&path, r.chain, words, passphrase)?;
            if let Some(i) = &identity {
                w.bind_identity(i)?;
            }
            (w.receive()?.to_string(), mnemonic)
        } else {
            taproot(&r, &path, identity.as_ref(), words, passphrase)?
        };
        let out = Out {
            path: path.display().to_string(),
            network: r.chain.to_string(),
            mnemonic,
            address,
        };
        let human = format!(
            "wallet created at {}\nwrite down these words, they restore it:\n  {}\nfirst address: {}\n",
            out.path, out.mnemonic, out.address
        );
        Ok(Output::new(&out, human))
    }
}

/// A BDK taproot wallet (Fractal and Bitcoin networks): its first address and the words.
fn taproot(
    r: &crate::settings::Resolved,
    path: &std::path::Path,
    identity: Option<&bitmodel_protocol::Identity>,
    words: Option<&str>,
    passphrase: Option<&str>,
) -> anyhow::Result<(String, String)> {
    {
        let genesis = identity.map(|i| i.genesis);
        let (mut w, mnemonic) =
            Wallet::create_with(path, r.chain.network(), genesis, words, passphrase)?;
        if let Some(i) = identity {
            w.bind_identity(i)?;
        }
        Ok((w.receive()?.to_string(), mnemonic))
    }
}
