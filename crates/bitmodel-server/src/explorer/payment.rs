//! A payment's page: what the chain recorded — the payment, every distribution and merge
//! that carried it up (linked), what reached each owner, the fees, and where the rest waits
//! now — from [`crate::trace`], the computation `GET /api/v1/tx/{txid}` returns too. Figures
//! carry `data-check`/`data-sats` attributes so a test can compare them with the JSON.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::response::Html;
use bitmodel_protocol::AssetId;

use super::sankey::{svg, FlowNode};
use super::{esc, page as layout, sats};
use crate::trace::{trace, Carried};
use crate::{AppState, Problem};

/// A payee's script (hex, as events record it) as its address, linked to its earnings page.
fn payee_link(s: &AppState, script_hex: &str) -> String {
    let text = bitcoin::ScriptBuf::from_hex(script_hex)
        .ok()
        .and_then(|spk| bitcoin::Address::from_script(&spk, s.chain.network()).ok())
        .map_or_else(|| script_hex.to_owned(), |a| a.to_string());
    format!(
        "<a href=\"/earnings/{0}\">payee <code>{0}</code></a>",
        esc(&text)
    )
}

fn figure(key: &str, v: u64) -> String {
    format!(
        "<span data-check=\"{key}\" data-sats=\"{v}\">{} sats</span>",
        sats(v)
    )
}

pub async fn page(
    State(s): State<AppState>,
    Path(txid): Path<String>,
) -> Result<Html<String>, Problem> {
    let txid: bitcoin::Txid = txid.parse().map_err(|_| {
        Problem::bad_request(format!(
            "'{txid}' is not a txid; expected 64 hex characters"
        ))
    })?;
    let index = s.index.clone();
    let carried = crate::blocking(move || trace(&index, &txid)).await??;
    if carried.is_empty() {
        return spend_page(&s, &txid);
    }
    let name = |id: &AssetId| -> Result<String, Problem> {
        Ok(s.index
            .asset(id)?
            .map_or_else(|| id.to_string(), |r| r.record.name))
    };
    let link = |id: &AssetId| -> Result<String, Problem> {
        Ok(format!("<a href=\"/asset/{id}\">{}</a>", esc(&name(id)?)))
    };
    let mut body = format!("<h1>Payment</h1><p>transaction <code>{txid}</code></p>");
    for (n, c) in carried.iter().enumerate() {
        let k = |what: &str| format!("p{n}-{what}");
        body.push_str(&format!(
            "<h2>{} to {}</h2>",
            figure(&k("amount"), c.amount),
            link(&c.asset)?
        ));
        body.push_str(&sankey(c, &name, &|h: &str| payee_name(&s, h))?);
        if let Some(direct) = &c.direct {
            body.push_str("<p>Paid directly (no vaults on this chain): one transaction paid every contributor.</p><table><tr><th>contributor</th><th class=num>owed</th><th class=num>paid</th></tr>");
            for (i, (a, owed, paid)) in direct.iter().enumerate() {
                body.push_str(&format!(
                    "<tr><td>{}</td><td class=num>{} sats</td><td class=num>{}</td></tr>",
                    link(a)?,
                    sats(*owed),
                    figure(&k(&format!("direct{i}")), *paid)
                ));
            }
            body.push_str("</table>");
            continue;
        }
        let payees = if c.to_payees.is_empty() {
            String::new()
        } else {
            format!(
                ", {} reached payees",
                figure(&k("payees"), c.payees_total())
            )
        };
        body.push_str(&format!(
            "<p>Of it, {} reached owners{payees}, {} went to fees and {} waits in vaults.</p>",
            figure(&k("owners"), c.owners_total()),
            figure(&k("fees"), c.fees),
            figure(&k("waiting"), c.waiting_total())
        ));
        if !c.steps.is_empty() {
            body.push_str("<h3>Carried up by</h3><table><tr><th>transaction</th><th>spend</th><th class=num>of this payment</th><th class=num>fee</th><th class=num>to the owner</th><th>to parents</th></tr>");
            for (i, st) in c.steps.iter().enumerate() {
                let mut parents: Vec<String> = st
                    .to_parents
                    .iter()
                    .map(|(p, v)| Ok(format!("{} {} sats", link(p)?, sats(*v))))
                    .collect::<Result<_, Problem>>()?;
                parents.extend(
                    st.to_payees
                        .iter()
                        .map(|(h, v)| format!("{} {} sats", payee_link(&s, h), sats(*v))),
                );
                body.push_str(&format!(
                    "<tr><td><a href=\"/tx/{0}\"><code>{1}…</code></a></td><td>{2} of {3} ({4} sats, fee {5} sats)</td><td class=num>{6}</td><td class=num>{7} sats</td><td class=num>{8} sats</td><td>{9}</td></tr>",
                    st.txid,
                    &st.txid.to_string()[..12],
                    st.kind,
                    link(&st.asset)?,
                    sats(st.spend_amount),
                    sats(st.spend_fee),
                    figure(&k(&format!("step{i}")), st.carried),
                    sats(st.fee),
                    sats(st.to_owner),
                    parents.join(", ")
                ));
            }
            body.push_str("</table>");
        }
        body.push_str("<h3>Where it is now</h3><table><tr><th>asset</th><th class=num>paid to its owner</th><th class=num>waiting in its vault</th></tr>");
        let mut waiting: BTreeMap<AssetId, u64> = BTreeMap::new();
        for w in &c.waiting {
            *waiting.entry(w.asset).or_insert(0) += w.sats;
        }
        let mut assets: Vec<AssetId> = c.to_owners.keys().chain(waiting.keys()).copied().collect();
        assets.sort();
        assets.dedup();
        for a in assets {
            body.push_str(&format!(
                "<tr><td>{}</td><td class=num>{} sats</td><td class=num>{} sats</td></tr>",
                link(&a)?,
                sats(c.to_owners.get(&a).copied().unwrap_or(0)),
                sats(waiting.get(&a).copied().unwrap_or(0))
            ));
        }
        body.push_str("</table>");
        if !c.to_payees.is_empty() {
            body.push_str(
                "<h3>Paid to payees</h3><table><tr><th>payee</th><th class=num>paid</th></tr>",
            );
            for (i, (h, v)) in c.to_payees.iter().enumerate() {
                body.push_str(&format!(
                    "<tr><td>{}</td><td class=num>{}</td></tr>",
                    payee_link(&s, h),
                    figure(&k(&format!("payee{i}")), *v)
                ));
            }
            body.push_str("</table>");
        }
    }
    Ok(Html(layout("Payment", &body)))
}

/// A transaction that paid nobody from outside: a distribution or merge, as recorded.
fn spend_page(s: &AppState, txid: &bitcoin::Txid) -> Result<Html<String>, Problem> {
    use bitmodel_index::rows::Event;
    let events = s.index.events(txid)?;
    if events.is_empty() {
        return Err(Problem::not_found(format!(
            "transaction {txid} did nothing Bitmodel indexes"
        )));
    }
    let link = |id: &AssetId| -> Result<String, Problem> {
        let n = s
            .index
            .asset(id)?
            .map_or_else(|| id.to_string(), |r| r.record.name);
        Ok(format!("<a href=\"/asset/{id}\">{}</a>", esc(&n)))
    };
    let mut body = format!("<h1>Transaction</h1><p><code>{txid}</code></p><ul>");
    for e in &events {
        let line = match e {
            Event::Distribution {
                asset,
                amount,
                fee,
                to_parents,
                to_owner,
                to_payees,
                splitter,
                to_splitters,
                ..
            } => {
                let mut parents: Vec<String> = to_parents
                    .iter()
                    .map(|(p, v)| Ok(format!("{} {} sats", link(p)?, sats(*v))))
                    .collect::<Result<_, Problem>>()?;
                parents.extend(
                    to_payees
                        .iter()
                        .map(|(h, v)| format!("{} {} sats", payee_link(s, h), sats(*v))),
                );
                parents.extend(
                    to_splitters
                        .iter()
                        .map(|(n, _, v)| format!("splitter {n} {} sats", sats(*v))),
                );
                let from = match splitter {
                    Some(n) => format!("splitter {n} of"),
                    None => "the vault of".to_string(),
                };
                format!(
                    "distribution of {} sats from {from} {}: {} to parents, payees and splitters ({}), {} sats to the owner, fee {} sats",
                    sats(*amount),
                    link(asset)?,
                    sats(
                        to_parents.iter().map(|t| t.1).sum::<u64>()
                            + to_payees.iter().map(|t| t.1).sum::<u64>()
                            + to_splitters.iter().map(|t| t.2).sum::<u64>()
                    ),
                    parents.join(", "),
                    sats(*to_owner),
                    sats(*fee)
                )
            }
            Event::Merge {
                asset,
                inputs,
                amount,
                fee,
            } => format!(
                "merge of {inputs} UTXOs ({} sats) in the vault of {}, fee {} sats",
                sats(*amount),
                link(asset)?,
                sats(*fee)
            ),
            Event::Registered { asset } => format!("registered {}", link(asset)?),
            Event::Invalid { asset, reason } => {
                format!("an invalid record {asset}: {}", esc(reason))
            }
            Event::Payment { .. } | Event::Direct { .. } => continue,
        };
        body.push_str(&format!("<li>{line}</li>"));
    }
    body.push_str("</ul>");
    Ok(Html(layout("Transaction", &body)))
}

/// A payee's address (or script hex) for labels.
fn payee_name(s: &AppState, script_hex: &str) -> String {
    bitcoin::ScriptBuf::from_hex(script_hex)
        .ok()
        .and_then(|spk| bitcoin::Address::from_script(&spk, s.chain.network()).ok())
        .map_or_else(|| script_hex.to_owned(), |a| a.to_string())
}

/// The payment's flow as recorded: a bar per asset it reached and per payee paid, a band per
/// share passed on. Payees are leaves: what reaches them is what they keep.
fn sankey(
    c: &Carried,
    name: &dyn Fn(&AssetId) -> Result<String, Problem>,
    payee: &dyn Fn(&str) -> String,
) -> Result<String, Problem> {
    #[derive(Clone, PartialEq)]
    enum Node {
        Asset(AssetId),
        Payee(String),
    }
    let mut ids = vec![Node::Asset(c.asset)];
    let mut flows: BTreeMap<(usize, usize), u64> = BTreeMap::new();
    let pos = |ids: &mut Vec<Node>, a: Node| match ids.iter().position(|x| *x == a) {
        Some(i) => i,
        None => {
            ids.push(a);
            ids.len() - 1
        }
    };
    for st in &c.steps {
        let from = pos(&mut ids, Node::Asset(st.asset));
        for (p, v) in &st.to_parents {
            let to = pos(&mut ids, Node::Asset(*p));
            *flows.entry((from, to)).or_insert(0) += v;
        }
        for (h, v) in &st.to_payees {
            let to = pos(&mut ids, Node::Payee(h.clone()));
            *flows.entry((from, to)).or_insert(0) += v;
        }
    }
    for w in &c.waiting {
        pos(&mut ids, Node::Asset(w.asset));
    }
    for a in c.to_owners.keys() {
        pos(&mut ids, Node::Asset(*a));
    }
    let mut received = vec![0u64; ids.len()];
    received[0] = c.amount;
    for ((_, to), v) in &flows {
        received[*to] += v;
    }
    let nodes: Vec<FlowNode> = ids
        .iter()
        .enumerate()
        .map(|(i, n)| {
            Ok(match n {
                Node::Asset(a) => FlowNode {
                    label: name(a)?,
                    href: format!("/asset/{a}"),
                    received: received[i],
                    keeps: c.to_owners.get(a).copied().unwrap_or(0),
                },
                Node::Payee(h) => {
                    let label = payee(h);
                    FlowNode {
                        href: format!("/earnings/{label}"),
                        label,
                        received: received[i],
                        keeps: received[i],
                    }
                }
            })
        })
        .collect::<Result<_, Problem>>()?;
    let flows: Vec<(usize, usize, u64)> = flows.into_iter().map(|((a, b), v)| (a, b, v)).collect();
    Ok(svg(&nodes, &flows))
}
