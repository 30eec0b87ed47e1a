//! `bitmodel wallet receive`: a fresh address.

use bitmodel_wallet::Wallet;
use serde::Serialize;

use crate::output::Output;
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub struct Receive {}

#[derive(Serialize)]
struct Out {
    address: String,
}

impl Receive {
    pub fn run(self, s: &Settings) -> anyhow::Result<Output> {
        let r = s.resolve()?;
        if r.chain.family() == bitmodel_protocol::Family::Mvc {
            let mut w = bitmodel_wallet::MvcWallet::open_with(
                &r.dir.join("wallet.redb"),
                r.chain,
                r.wallet_passphrase.as_deref(),
            )?;
            let address = w.receive()?.to_string();
            return Ok(Output::new(
                &Out {
                    address: address.clone(),
                },
                format!("{address}\n"),
            ));
        }
        let mut w = Wallet::open_with(
            &r.dir.join("wallet.redb"),
            r.chain.network(),
            r.wallet_passphrase.as_deref(),
        )?;
        let address = w.receive()?.to_string();
        Ok(Output::new(
            &Out {
                address: address.clone(),
            },
            format!("{address}\n"),
        ))
    }
}
