//! The explorer's pages.

use axum::extract::{Path, Query, State};
use axum::response::Html;
use bitmodel_protocol::direct::lineage_nodes;
use bitmodel_protocol::graph::Graph;
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
    let rows = s.index.ancestry(&id)?;
    let Some(row) = rows.first() else {
        return Err(Problem::not_found(format!("unknown asset {id}")));
    };
    let pairs: Vec<_> = rows.iter().map(|r| (r.id, &r.record)).collect();
    let dn = lineage_nodes(&pairs);
    let edges: Vec<(u32, u32, u16)> = dn
        .iter()
        .enumerate()
        .flat_map(|(c, n)| {
            n.parents
                .iter()
                .map(move |(p, w)| (c as u32, *p as u32, *w))
        })
        .collect();
    let flat = Graph::from_edges(dn.len(), &edges)
        .map_err(Problem::internal)?
        .flatten(0, 1_000_000);
    let nodes: Vec<Node> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| Node {
            label: r.record.name.clone(),
            href: format!("/asset/{}", r.id),
            share_ppm: flat
                .iter()
                .find(|f| f.node as usize == i)
                .map_or(0, |f| f.ppm),
            parents: dn[i].parents.clone(),
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
    }
    Ok(Html(page(&row.record.name, &body)))
}
