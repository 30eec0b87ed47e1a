//! The explorer's pages.

use axum::extract::{Path, Query, State};
use axum::response::Html;
use serde::Deserialize;

use super::layout::{svg, Node};
use super::{esc, page, sats};
use crate::{AppState, Problem};

#[derive(Deserialize)]
pub struct Search {
    q: Option<String>,
}

// Page handlers read the index (and a home page reads every asset), so their work runs on
// the blocking pool, never on the async workers that answer every other connection.

pub async fn home(
    State(s): State<AppState>,
    Query(q): Query<Search>,
) -> Result<Html<String>, Problem> {
    crate::blocking(move || home_page(&s, &q)).await?
}

pub async fn asset(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Html<String>, Problem> {
    crate::blocking(move || asset_page(&s, &id)).await?
}

pub async fn contributor(
    State(s): State<AppState>,
    Path(payee): Path<String>,
) -> Result<Html<String>, Problem> {
    crate::blocking(move || contributor_page(&s, &payee)).await?
}

fn home_page(s: &AppState, q: &Search) -> Result<Html<String>, Problem> {
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
<form action=\"/\"><input name=q placeholder=\"search assets\" value=\"{}\"> <button>Search</button></form>",
        esc(s.chain.name()),
        tip.map_or("-".into(), |(h, _)| h.to_string()),
        assets.len(),
        sats(t.payments_in),
        sats(t.paid_out),
        sats(t.fees),
        sats(t.waiting),
        esc(q.q.as_deref().unwrap_or(""))
    );
    body.push_str(&top_and_recent(s)?);
    body.push_str("<h2>Assets</h2><table><tr><th>asset</th><th>kind</th><th class=num>parents</th><th class=num>height</th></tr>");
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

/// The home page's top earners (what owners were paid, by asset) and recent flows.
fn top_and_recent(s: &AppState) -> Result<String, Problem> {
    use bitmodel_index::rows::Event;
    let mut earners: Vec<(u64, bitmodel_index::rows::AssetRow)> = Vec::new();
    for a in s.index.assets()? {
        let paid = s.index.stats(&a.id)?.unwrap_or_default().paid_out;
        if paid > 0 {
            earners.push((paid, a));
        }
    }
    earners.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.id.cmp(&b.1.id)));
    let mut out = String::new();
    if !earners.is_empty() {
        out.push_str("<h2>Top earners</h2><table><tr><th>asset</th><th class=num>paid to its owner</th></tr>");
        for (paid, a) in earners.iter().take(10) {
            out.push_str(&format!(
                "<tr><td><a href=\"/asset/{}\">{}</a></td><td class=num>{} sats</td></tr>",
                a.id,
                esc(&a.record.name),
                sats(*paid)
            ));
        }
        out.push_str("</table>");
    }
    let recent = s.index.recent(15)?;
    let name = |id: &bitmodel_protocol::AssetId| -> Result<String, Problem> {
        Ok(s.index
            .asset(id)?
            .map_or_else(|| id.to_string(), |r| r.record.name))
    };
    let mut lines = Vec::new();
    for (height, txid, events) in recent {
        for e in events {
            let what = match &e {
                Event::Payment { asset, amount, .. } | Event::Direct { asset, amount, .. } => {
                    format!("{} sats paid to {}", sats(*amount), esc(&name(asset)?))
                }
                Event::Distribution { asset, amount, .. } => {
                    format!(
                        "{} sats distributed by {}",
                        sats(*amount),
                        esc(&name(asset)?)
                    )
                }
                Event::Merge { asset, amount, .. } => {
                    format!("{} sats merged in {}", sats(*amount), esc(&name(asset)?))
                }
                Event::Registered { asset } => format!("{} registered", esc(&name(asset)?)),
                Event::Invalid { .. } => continue,
            };
            lines.push(format!(
                "<li><a href=\"/tx/{txid}\">{what}</a> <small>at height {height}</small></li>"
            ));
        }
    }
    if !lines.is_empty() {
        out.push_str("<h2>Recent flows</h2><ul class=recent>");
        for l in lines.iter().take(15) {
            out.push_str(l);
        }
        out.push_str("</ul>");
    }
    Ok(out)
}

fn asset_page(s: &AppState, id: &str) -> Result<Html<String>, Problem> {
    let id = crate::api::asset_id(id)?;
    let flow = crate::flow::Flow::of(&s.index, &id, 1_000_000)?
        .ok_or_else(|| Problem::not_found(format!("unknown asset {id}")))?;
    let row = &flow.rows[0];
    let address = |spk: &bitcoin::ScriptBuf| s.chain.script_label(spk);
    let mut nodes: Vec<Node> = flow
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
    // Payees are leaves of the lineage: paid directly, nothing above them.
    for (k, (_, p)) in flow.payees.iter().enumerate() {
        let a = address(&p.script);
        nodes.push(Node {
            label: a.clone(),
            href: format!("/earnings/{a}"),
            share_ppm: flow.ppm(flow.rows.len() + k),
            parents: Vec::new(),
        });
    }
    let all = nodes.len();
    let nodes = super::layout::largest(nodes, super::layout::MAX_DRAWN);
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
    if !row.record.payees.is_empty() {
        body.push_str("<h2>Payees</h2><p>Contributors paid directly by every distribution (no vault, nothing further up):</p><table><tr><th>payee</th><th>relation</th><th class=num>weight</th></tr>");
        for p in &row.record.payees {
            body.push_str(&format!(
                "<tr><td><a href=\"/earnings/{0}\"><code>{0}</code></a></td><td>{1}</td><td class=num>{2} bps</td></tr>",
                esc(&address(&p.script)),
                p.relation,
                p.weight
            ));
        }
        body.push_str("</table>");
    }
    body.push_str("<h2>Lineage</h2>");
    body.push_str(&svg(&nodes));
    if nodes.len() < all {
        body.push_str(&format!(
            "<p>Drawn: the {} largest of its {} ancestors by share; every one is in <a href=\"/api/v1/assets/{id}/lineage\">the lineage API</a>.</p>",
            nodes.len() - 1,
            all - 1
        ));
    }
    let members = row.record.parents.len() + row.record.payees.len();
    let wide = members > bitmodel_protocol::MAX_PARENTS;
    body.push_str("<h2>Money</h2><table>");
    for (label, v) in [
        ("paid in", stats.payments_in),
        ("from children", stats.from_children),
        ("passed to parents", stats.to_parents),
        ("paid to payees", stats.to_payees),
        ("paid to the owner", stats.paid_out - stats.to_payees),
        ("fees", stats.fees),
        ("waiting in the vault", stats.waiting - stats.in_splitters),
        ("waiting in splitters", stats.in_splitters),
    ] {
        if label == "waiting in splitters" && v == 0 && !wide {
            continue;
        }
        body.push_str(&format!(
            "<tr><td>{label}</td><td class=num>{} sats</td></tr>",
            sats(v)
        ));
    }
    body.push_str("</table>");
    if let (Some(v), Some(spk)) = (vault, row.vault.as_ref()) {
        let addr = s.chain.script_label(spk);
        body.push_str(&format!(
            "<h2>Vault</h2><p><code>{}</code>: {} sats in {} UTXO(s); a distribution needs one UTXO of about {} sats.</p>",
            esc(&addr),
            sats(v.balance),
            v.utxos.len(),
            v.threshold_at_cap.map_or("-".into(), sats)
        ));
        if let Some(next) = crate::keeper::next(s, &id)? {
            body.push_str(&format!("<p class=keeper>{}</p>", esc(&next.describe())));
        }
        if wide {
            body.push_str(&splitters(s, &id, &v, members)?);
        }
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
    let events = s.index.events_for(&id)?;
    body.push_str(&built_on(s, &id, &events)?);
    let payments: Vec<(bitcoin::Txid, u64)> = events
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

/// "Built on this": every descendant, with what users paid it and what each direct child
/// has passed to this asset through its distributions (from the recorded events).
fn built_on(
    s: &AppState,
    id: &bitmodel_protocol::AssetId,
    events: &[(bitcoin::Txid, bitmodel_index::rows::Event)],
) -> Result<String, Problem> {
    let descendants = s.index.descendants(id)?;
    if descendants.is_empty() {
        return Ok(String::new());
    }
    let mut passed: std::collections::HashMap<bitmodel_protocol::AssetId, u64> = Default::default();
    for (_, e) in events {
        if let bitmodel_index::rows::Event::Distribution {
            asset, to_parents, ..
        } = e
        {
            for (p, v) in to_parents {
                if p == id {
                    *passed.entry(*asset).or_insert(0) += v;
                }
            }
        }
    }
    let mut out = format!(
        "<h2>Built on this</h2><p>{} asset(s) build on it; its direct children have passed it {} sats.</p>\
<table><tr><th>descendant</th><th>how</th><th class=num>paid in by users</th><th class=num>passed to this asset</th></tr>",
        descendants.len(),
        sats(passed.values().sum())
    );
    for d in descendants.iter().take(200) {
        let direct = d.record.parents.iter().find(|p| p.asset == *id);
        let how = match direct {
            Some(p) => format!("{} at {} bps", p.relation, p.weight),
            None => "through its ancestors".into(),
        };
        let paid = s.index.stats(&d.id)?.unwrap_or_default().payments_in;
        out.push_str(&format!(
            "<tr><td><a href=\"/asset/{}\">{}</a></td><td>{}</td><td class=num>{} sats</td><td class=num>{}</td></tr>",
            d.id,
            esc(&d.record.name),
            esc(&how),
            sats(paid),
            direct.map_or("—".into(), |_| format!("{} sats", sats(passed.get(&d.id).copied().unwrap_or(0))))
        ));
    }
    out.push_str("</table>");
    Ok(out)
}

/// A contributor's page: what a payout script earned, and its cumulative earnings by block
/// height as a plot.
fn contributor_page(s: &AppState, payee: &str) -> Result<Html<String>, Problem> {
    let spk = crate::api::earnings::payee_script(s, payee)?;
    let e = s.index.earnings(&spk)?;
    let history = s.index.earnings_history(&spk)?;
    let mut body = format!(
        "<h1>Contributor</h1><p><code>{}</code> earned {} sats from {} distribution(s).</p>",
        esc(payee),
        sats(e.total),
        e.distributions
    );
    let owned: Vec<_> = s
        .index
        .assets()?
        .into_iter()
        .filter(|a| a.record.owner == spk)
        .collect();
    if !owned.is_empty() {
        body.push_str("<h2>By asset</h2><table><tr><th>asset</th><th class=num>paid in</th><th class=num>paid to this owner</th><th class=num>waiting</th></tr>");
        for a in &owned {
            let st = s.index.stats(&a.id)?.unwrap_or_default();
            body.push_str(&format!(
                "<tr><td><a href=\"/asset/{}\">{}</a></td><td class=num>{} sats</td><td class=num>{} sats</td><td class=num>{} sats</td></tr>",
                a.id,
                esc(&a.record.name),
                sats(st.payments_in + st.from_children),
                sats(st.paid_out),
                sats(st.waiting)
            ));
        }
        body.push_str("</table>");
    }
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

/// A wide record's splitters: how its members are reached, and the splitters where money
/// waits (a child's share below dust keeps the whole splitter waiting; nothing is lost).
fn splitters(
    s: &AppState,
    id: &bitmodel_protocol::AssetId,
    v: &bitmodel_index::VaultStatus,
    members: usize,
) -> Result<String, Problem> {
    let Some(vaults) = s.index.record_vaults(id)? else {
        return Ok(String::new());
    };
    let mut out = format!(
        "<h2>Splitters</h2><p>{members} members are more than one distribution pays, so the vault pays {} splitters, each a covenant like the vault that pays its part of the members (anyone can push it; <a href=\"/api/v1/assets/{id}/vault\">the vault API</a> lists them).</p>",
        vaults.splitters.len()
    );
    if v.splitters.is_empty() {
        out.push_str("<p>No money waits in a splitter.</p>");
        return Ok(out);
    }
    out.push_str(&format!(
        "<p>{} sats wait in {} splitter UTXO(s), until each splitter can pay every child at least the dust limit:</p><table><tr><th>splitter</th><th>address</th><th class=num>waiting</th></tr>",
        sats(v.in_splitters()),
        v.splitters.len()
    ));
    for (_, u) in &v.splitters {
        let n = u.splitter.unwrap_or_default();
        let addr = vaults
            .splitters
            .get(usize::from(n))
            .map(|sv| sv.address(s.chain.network()).to_string())
            .unwrap_or_default();
        out.push_str(&format!(
            "<tr><td>{n}</td><td><code>{}</code></td><td class=num>{} sats</td></tr>",
            esc(&addr),
            sats(u.amount)
        ));
    }
    out.push_str("</table>");
    Ok(out)
}
