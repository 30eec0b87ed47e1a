//! The explorer's pages.

use axum::extract::{Path, Query, State};
use axum::response::Html;
use serde::Deserialize;

use super::layout::{svg, Node};
use super::{esc, page};
use crate::{AppState, Problem};

#[derive(Deserialize)]
pub struct Search {
    q: Option<String>,
}

fn sats(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub async fn home(
    State(s): State<AppState>,
    Query(q): Query<Search>,
) -> Result<Html<String>, Problem> {
    let t = s.index.totals()?;
    let tip = s.index.tip()?;
    let mut assets = s.index.assets()?;
    assets.sort_by_key(|a| std::cmp::Reverse(a.position));
    if let Some(needle) =
        q.q.as_deref()
            .filter(|n| !n.is_empty())
            .map(str::to_lowercase)
    {
        assets.retain(|a| a.record.name.to_lowercase().contains(&needle));
    }
    let mut body = format!(
        "<h1>{} at height {}</h1><p>{} assets · paid in {} sats: {} to owners, {} in fees, {} waiting in vaults</p>\
<form action=\"/\"><input name=q placeholder=\"search assets\" value=\"{}\"> <button>Search</button></form>\
<table><tr><th>asset</th><th>kind</th><th class=num>parents</th><th class=num>height</th></tr>",
        esc(s.chain.name()),
        tip.map_or("-".into(), |(h, _)| h.to_string()),
        assets.len(),
        sats(t.payments_in),
        sats(t.paid_out),
        sats(t.fees),
        sats(t.waiting),
        esc(q.q.as_deref().unwrap_or(""))
    );
    for a in assets.iter().take(200) {
        body.push_str(&format!(
            "<tr><td><a href=\"/asset/{}\">{}</a></td><td>{}</td><td class=num>{}</td><td class=num>{}</td></tr>",
            a.id,
            esc(&a.record.name),
            a.record.kind,
            a.record.parents.len(),
            a.position.height
        ));
    }
    body.push_str("</table>");
    Ok(Html(page("Assets", &body)))
}

pub async fn asset(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Html<String>, Problem> {
    let id = crate::api::asset_id(&id)?;
    let flow = crate::flow::Flow::of(&s.index, &id, 1_000_000)?
        .ok_or_else(|| Problem::not_found(format!("unknown asset {id}")))?;
    let row = &flow.rows[0];
    let nodes: Vec<Node> = flow
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| Node {
            label: r.record.name.clone(),
            href: format!("/asset/{}", r.id),
            share_ppm: flow.ppm(i),
            parents: flow.parents(i),
        })
        .collect();
    let stats = s.index.stats(&id)?.unwrap_or_default();
    let vault = s.index.vault_status(&id)?;
    let mut body = format!(
        "<h1>{}</h1><p>{} · {} · asset <code>{}</code> · registered at height {}</p>",
        esc(&row.record.name),
        row.record.kind,
        esc(&row.record.license),
        id,
        row.position.height
    );
    let owner = bitcoin::Address::from_script(&row.record.owner, s.chain.network())
        .map(|a| a.to_string())
        .unwrap_or_else(|_| row.record.owner.to_hex_string());
    body.push_str(&format!(
        "<p>owner: <a href=\"/earnings/{0}\"><code>{0}</code></a></p>",
        esc(&owner)
    ));
    body.push_str("<h2>Lineage</h2>");
    body.push_str(&svg(&nodes));
    body.push_str("<h2>Money</h2><table>");
    for (label, v) in [
        ("paid in", stats.payments_in),
        ("from children", stats.from_children),
        ("passed to parents", stats.to_parents),
        ("paid to the owner", stats.paid_out),
        ("fees", stats.fees),
        ("waiting in the vault", stats.waiting),
    ] {
        body.push_str(&format!(
            "<tr><td>{label}</td><td class=num>{} sats</td></tr>",
            sats(v)
        ));
    }
    body.push_str("</table>");
    if let (Some(v), Some(spk)) = (vault, row.vault.as_ref()) {
        let addr = bitcoin::Address::from_script(spk, s.chain.network())
            .map(|a| a.to_string())
            .unwrap_or_default();
        body.push_str(&format!(
            "<h2>Vault</h2><p><code>{}</code>: {} sats in {} UTXO(s); a distribution needs one UTXO of about {} sats.</p>",
            esc(&addr),
            sats(v.balance),
            v.utxos.len(),
            v.threshold_at_cap.map_or("-".into(), sats)
        ));
        if let Some(other) = v.shared_with {
            body.push_str(&format!(
                "<p>This asset has the same owner, parents, weights and fee cap as <a href=\"/asset/{other}\">{other}</a>, so the same vault: payments into it are booked to that asset.</p>"
            ));
        }
    }
    if let Some(c) = &row.record.content {
        body.push_str(&format!(
            "<h2>Content</h2><p>{} bytes, sha256 <code>{}</code> · <a href=\"/content/{id}\">view</a></p>",
            sats(c.size),
            hex::encode(c.sha256)
        ));
    }
    if let Some(p) = row.record.price {
        body.push_str(&format!(
            "<p class=price>Paid inference: {} sats a call (<code>POST /api/v1/assets/{id}/infer</code>).</p>",
            sats(p)
        ));
    }
    let payments: Vec<(bitcoin::Txid, u64)> = s
        .index
        .events_for(&id)?
        .into_iter()
        .filter_map(|(txid, e)| match e {
            bitmodel_index::rows::Event::Payment { asset, amount, .. }
            | bitmodel_index::rows::Event::Direct { asset, amount, .. }
                if asset == id =>
            {
                Some((txid, amount))
            }
            _ => None,
        })
        .collect();
    if !payments.is_empty() {
        body.push_str("<h2>Payments</h2><ul>");
        for (txid, amount) in payments.iter().take(100) {
            body.push_str(&format!(
                "<li><a href=\"/tx/{txid}\">{} sats</a> — where it goes</li>",
                sats(*amount)
            ));
        }
        body.push_str("</ul>");
    }
    Ok(Html(page(&row.record.name, &body)))
}

/// A payment's page: what it paid, and its flow up the lineage as the split rule carries it
/// (every hop distributed in full, as `cflow explain` computes it).
pub async fn payment(
    State(s): State<AppState>,
    Path(txid): Path<String>,
) -> Result<Html<String>, Problem> {
    let txid: bitcoin::Txid = txid.parse().map_err(|_| {
        Problem::bad_request(format!(
            "'{txid}' is not a txid; expected 64 hex characters"
        ))
    })?;
    let events = s.index.events(&txid)?;
    let paid: Vec<(bitmodel_protocol::AssetId, u64)> = events
        .iter()
        .filter_map(|e| match e {
            bitmodel_index::rows::Event::Payment { asset, amount, .. }
            | bitmodel_index::rows::Event::Direct { asset, amount, .. } => Some((*asset, *amount)),
            _ => None,
        })
        .collect();
    if paid.is_empty() {
        return Err(Problem::not_found(format!(
            "transaction {txid} is not a payment to a Bitmodel asset"
        )));
    }
    let mut body = format!("<h1>Payment</h1><p>transaction <code>{txid}</code></p>");
    for (asset, amount) in paid {
        let flow = crate::flow::Flow::of(&s.index, &asset, amount)?
            .ok_or_else(|| Problem::not_found(format!("unknown asset {asset}")))?;
        let (rows, edges) = (&flow.rows, &flow.edges);
        let got = |i: usize| flow.got(i);
        let nodes: Vec<super::sankey::FlowNode> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| super::sankey::FlowNode {
                label: r.record.name.clone(),
                href: format!("/asset/{}", r.id),
                received: got(i).0,
                keeps: got(i).1,
            })
            .collect();
        let flows: Vec<(usize, usize, u64)> = edges
            .iter()
            .map(|(c, p, w)| {
                (
                    *c as usize,
                    *p as usize,
                    bitmodel_protocol::split::share(got(*c as usize).0, *w),
                )
            })
            .filter(|f| f.2 > 0)
            .collect();
        body.push_str(&format!(
            "<h2>{} sats to <a href=\"/asset/{}\">{}</a></h2>",
            sats(amount),
            asset,
            esc(&rows[0].record.name)
        ));
        body.push_str(&super::sankey::svg(&nodes, &flows));
        body.push_str("<table><tr><th>contributor</th><th class=num>ends up with</th></tr>");
        for (i, r) in rows.iter().enumerate() {
            body.push_str(&format!(
                "<tr><td><a href=\"/asset/{}\">{}</a></td><td class=num>{} sats</td></tr>",
                r.id,
                esc(&r.record.name),
                sats(got(i).1)
            ));
        }
        body.push_str("</table>");
    }
    Ok(Html(page("Payment", &body)))
}

/// A contributor's page: what a payout script earned, and its cumulative earnings by block
/// height as a plot.
pub async fn contributor(
    State(s): State<AppState>,
    Path(payee): Path<String>,
) -> Result<Html<String>, Problem> {
    let spk = crate::api::earnings::payee_script(&s, &payee)?;
    let e = s.index.earnings(&spk)?;
    let history = s.index.earnings_history(&spk)?;
    let mut body = format!(
        "<h1>Contributor</h1><p><code>{}</code> earned {} sats from {} distribution(s).</p>",
        esc(&payee),
        sats(e.total),
        e.distributions
    );
    if !history.is_empty() {
        let (w, h, pad) = (640i64, 220i64, 40i64);
        let first = i64::from(history[0].0);
        let last = i64::from(history[history.len() - 1].0).max(first + 1);
        let total = e.total.max(1) as f64;
        let mut acc = 0u64;
        let mut points = format!("{},{}", pad, h - pad);
        for (height, v) in &history {
            let x = pad + (i64::from(*height) - first) * (w - 2 * pad) / (last - first);
            let y_before = h - pad - ((acc as f64 / total) * (h - 2 * pad) as f64) as i64;
            acc += v;
            let y = h - pad - ((acc as f64 / total) * (h - 2 * pad) as f64) as i64;
            points.push_str(&format!(" {x},{y_before} {x},{y}"));
        }
        body.push_str(&format!(
            "<h2>Earnings over time</h2><svg xmlns=\"http://www.w3.org/2000/svg\" class=earnings viewBox=\"0 0 {w} {h}\" width=\"{w}\" role=img aria-label=\"cumulative earnings\">\
<line x1=\"{pad}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#999\"/><polyline points=\"{points}\" fill=\"none\" stroke=\"#0b5cad\" stroke-width=\"2\"/>\
<text x=\"{pad}\" y=\"{}\" font-size=\"11\">height {first}</text><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=end>height {last}</text>\
<text x=\"{pad}\" y=\"{}\" font-size=\"11\">{} sats</text></svg>",
            h - pad,
            w - pad,
            h - pad,
            h - pad + 16,
            w - pad,
            h - pad + 16,
            pad - 8,
            sats(e.total)
        ));
        body.push_str("<table><tr><th>height</th><th class=num>sats</th></tr>");
        for (height, v) in &history {
            body.push_str(&format!(
                "<tr><td>{height}</td><td class=num>{}</td></tr>",
                sats(*v)
            ));
        }
        body.push_str("</table>");
    }
    Ok(Html(page("Contributor", &body)))
}
