//! `bitmodel infer ASSET --input FILE`: one paid call of a model asset through a Bitmodel
//! server. It asks without payment, reads the 402 quote (vault address, price, token, memo),
//! pays the vault from the wallet with the memo in an OP_RETURN output, waits for the
//! confirmations the server wants, and calls again with the txid and token. A price above
//! `--max-price` is refused before any money moves; a paid call the server refuses leaves the
//! payment unused, and `--payment TXID:TOKEN` presents it again. `--calls N` buys N calls
//! with one payment (prepaid: N × the price, one vault UTXO); each later call presents it
//! with `--payment TXID:TOKEN`, and every answer says how many calls are left.

use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use bitcoin::{Amount, ScriptBuf, Txid};
use bitmodel_rpc::web::{Response, Web};
use serde::Serialize;
use serde_json::{json, Value};

use crate::context::{asset_id, Context};
use crate::output::{sats, Output};
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub struct Infer {
    asset: String,
    /// The inputs as JSON: `{"inputs":[{"name","shape","dtype","data"}…]}` or the bare list.
    #[arg(long)]
    input: std::path::PathBuf,
    /// The Bitmodel server (`bitmodel up` serves one).
    #[arg(long, default_value = "http://127.0.0.1:8080", env = "BITMODEL_SERVER")]
    server: String,
    /// Refuse to pay more than this many sats per call.
    #[arg(long, default_value_t = 100_000)]
    max_price: u64,
    /// Buy this many calls with one payment (prepaid); later calls use `--payment`.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    calls: u64,
    /// Present an earlier, unused payment instead of paying again.
    #[arg(long, value_name = "TXID:TOKEN")]
    payment: Option<String>,
    #[arg(long)]
    fee_rate: Option<u64>,
    /// Seconds to wait for the confirmations the server asks for.
    #[arg(long, default_value_t = 900)]
    wait: u64,
}

#[derive(Serialize)]
struct Out {
    asset: String,
    txid: String,
    token: String,
    paid: u64,
    calls_bought: u64,
    calls_left: u64,
    outputs: Value,
}

/// The problem detail of a refusal, or the body.
fn detail(r: &Response) -> String {
    r.json()
        .ok()
        .and_then(|v| v["detail"].as_str().map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(&r.body).into_owned())
}

impl Infer {
    pub fn run(self, s: &Settings) -> anyhow::Result<Output> {
        let id = asset_id(&self.asset)?;
        let text = std::fs::read_to_string(&self.input)
            .with_context(|| format!("cannot read the input file {}", self.input.display()))?;
        let parsed: Value = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not JSON; expected {{\"inputs\":[{{\"shape\":[…],\"data\":[…]}}]}}",
                self.input.display()
            )
        })?;
        let inputs = match parsed {
            Value::Object(mut o) if o.contains_key("inputs") => o.remove("inputs").expect("checked"),
            list @ Value::Array(_) => list,
            _ => bail!("{} holds no \"inputs\" list; expected {{\"inputs\":[{{\"shape\":[…],\"data\":[…]}}]}}", self.input.display()),
        };
        let web = Web::new(self.server.trim_end_matches('/'))
            .with_context(|| format!("--server {} is not http://host:port", self.server))?;
        let path = format!("/api/v1/assets/{id}/infer");
        let call = |payment: Option<Value>| -> anyhow::Result<Response> {
            let mut body = json!({ "inputs": inputs });
            match payment {
                Some(p) => body["payment"] = p,
                None => body["calls"] = json!(self.calls),
            }
            web.post_json(&path, &body)
                .with_context(|| format!("the server at {} did not answer", self.server))
        };

        let (txid, token) = match &self.payment {
            Some(p) => {
                let (t, k) = p
                    .split_once(':')
                    .context("--payment is TXID:TOKEN, as printed when a paid call failed")?;
                (
                    Txid::from_str(t).context("--payment: not a txid")?,
                    k.to_owned(),
                )
            }
            None => {
                // The node is checked before the server is asked for a price, so nothing is
                // quoted to (or paid from) a wallet on a chain without working vaults.
                let ctx = Context::connect(s.resolve()?)?;
                ctx.require_vaults("to pay for inference into a vault")?;
                let quote = call(None)?;
                if quote.status != 402 {
                    bail!(
                        "the server answered {} instead of a price: {}",
                        quote.status,
                        detail(&quote)
                    );
                }
                self.pay(&ctx, &quote.json()?)?
            }
        };
        let r = call(Some(json!({ "txid": txid.to_string(), "token": token })))?;
        if r.status != 200 {
            bail!(
                "the paid call was refused (http {}): {}\nthe payment is unused unless the server said otherwise; retry with --payment {txid}:{token}",
                r.status,
                detail(&r)
            );
        }
        let v = r.json()?;
        let left = v["payment"]["calls_left"].as_u64().unwrap_or(0);
        let bought = v["payment"]["calls_bought"].as_u64().unwrap_or(1);
        let mut human = format!("{id} ran, paid by {txid}\n");
        for o in v["outputs"].as_array().into_iter().flatten() {
            let data: Vec<String> = o["data"]
                .as_array()
                .into_iter()
                .flatten()
                .take(12)
                .map(|x| match x.as_f64() {
                    Some(f) if f.fract() == 0.0 => format!("{f}"),
                    Some(f) => format!("{f:.4}"),
                    None => x.to_string(),
                })
                .collect();
            human.push_str(&format!(
                "  {} {} {}: [{}{}]\n",
                o["name"].as_str().unwrap_or("output"),
                o["dtype"].as_str().unwrap_or(""),
                o["shape"],
                data.join(", "),
                if o["data"].as_array().is_some_and(|d| d.len() > 12) {
                    ", …"
                } else {
                    ""
                }
            ));
        }
        human.push_str(&if left > 0 {
            format!(
                "{left} of {bought} prepaid calls left: call again with --payment {txid}:{token}\n"
            )
        } else {
            format!("calls left on this payment: 0 (it bought {bought})\n")
        });
        Ok(Output::new(
            &Out {
                asset: id.to_string(),
                txid: txid.to_string(),
                token: token.clone(),
                paid: v["payment"]["paid"].as_u64().unwrap_or(0),
                calls_bought: bought,
                calls_left: left,
                outputs: v["outputs"].clone(),
            },
            human,
        ))
    }

    /// Pays the quote from the wallet; returns the payment's txid and token.
    fn pay(&self, ctx: &Context, quote: &Value) -> anyhow::Result<(Txid, String)> {
        let q = &quote["payment"];
        let (Some(address), Some(amount), Some(script), Some(token)) = (
            q["address"].as_str(),
            q["amount"].as_u64(),
            q["memo_script"].as_str(),
            q["token"].as_str(),
        ) else {
            bail!("the server's 402 carries no usable quote: {quote}");
        };
        let calls = q["calls"].as_u64().unwrap_or(1);
        if calls != self.calls {
            bail!(
                "asked for a quote of {} calls, the server quoted {calls}: {quote}",
                self.calls
            );
        }
        let per_call = q["price_per_call"].as_u64().unwrap_or(amount);
        if per_call > self.max_price || amount > per_call.saturating_mul(calls) {
            bail!(
                "a call costs {} sats, above --max-price {}; raise --max-price to pay it",
                sats(per_call),
                sats(self.max_price)
            );
        }
        let vault = bitcoin::Address::from_str(address)
            .with_context(|| format!("the quoted address {address} does not parse"))?
            .require_network(ctx.chain().network())
            .with_context(|| format!("the server quotes {address}, not an address of {}; is --server on the same network?", ctx.chain()))?;
        let memo = ScriptBuf::from_hex(script).context("the quoted memo script is not hex")?;
        if !memo.is_op_return() {
            bail!("the quoted memo script {script} is not an OP_RETURN");
        }
        let rate = ctx.fee_rate(self.fee_rate)?;
        let mut w = ctx.wallet()?;
        let tx = w.pay_final(
            &[
                (vault.script_pubkey(), Amount::from_sat(amount)),
                (memo, Amount::ZERO),
            ],
            rate,
        )?;
        let txid = ctx.broadcast(&tx)?;
        w.note_broadcast(tx)?;
        eprintln!(
            "paid {} sats to {address} in {txid} for {calls} call(s)",
            sats(amount)
        );
        let need = q["min_confirmations"].as_u64().unwrap_or(0) as u32;
        let started = Instant::now();
        loop {
            let (_, confs) = ctx.client.get_raw_transaction_verbose(&txid, None)?;
            if confs >= need {
                break;
            }
            if started.elapsed() > Duration::from_secs(self.wait) {
                bail!("payment {txid} has {confs} of {need} confirmations after {} s; call again later with --payment {txid}:{token}", self.wait);
            }
            std::thread::sleep(Duration::from_secs(2));
        }
        Ok((txid, token.to_owned()))
    }
}
