//! `bitmodel wallet create`: a BIP86 taproot wallet from a new or given BIP39 mnemonic.

use anyhow::Context;
use bitmodel_wallet::Wallet;
use serde::Serialize;

use crate::output::Output;
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub struct Create {
    /// Restore from these 12 or 24 words instead of creating new ones.
    #[arg(long, env = "BITMODEL_MNEMONIC", hide_env_values = true)]
    mnemonic: Option<String>,
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
        std::fs::create_dir_all(&r.dir)
            .with_context(|| format!("cannot create {}", r.dir.display()))?;
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
        let genesis = identity.as_ref().map(|i| i.genesis);
        let (mut w, mnemonic) =
            Wallet::create(&path, r.chain.network(), genesis, self.mnemonic.as_deref())?;
        if let Some(i) = &identity {
            w.bind_identity(i)?;
        }
        let address = w.receive()?.to_string();
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
