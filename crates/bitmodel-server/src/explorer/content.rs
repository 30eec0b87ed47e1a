//! The content viewer: what an asset's on-chain file is (type, size, sha256, assembly
//! state) and a view of it fit for its type: text and JSON shown escaped, images inline,
//! ONNX models by their signature (the inputs a paid call must send), anything else as a
//! hex preview. The file itself downloads from the API, hash-checked.

use axum::extract::{Path, State};
use axum::response::Html;

use super::{esc, page};
use crate::{AppState, Problem};

/// Text shown at most, in bytes; the download has the rest.
const TEXT_PREVIEW: usize = 64 * 1024;

pub async fn content(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Html<String>, Problem> {
    let id = crate::api::asset_id(&id)?;
    let asset = s
        .index
        .asset(&id)?
        .ok_or_else(|| Problem::not_found(format!("unknown asset {id}")))?;
    let mut body = format!(
        "<h1>Content of <a href=\"/asset/{id}\">{}</a></h1>",
        esc(&asset.record.name)
    );
    let Some((row, bytes)) = s.index.content(&id)? else {
        let uris = asset
            .record
            .content
            .map(|c| c.uris.iter().map(|u| esc(u)).collect::<Vec<_>>().join(", "))
            .unwrap_or_default();
        body.push_str(&format!(
            "<p>This asset has no on-chain file.{}</p>",
            if uris.is_empty() {
                String::new()
            } else {
                format!(" Its record points to: {uris}")
            }
        ));
        return Ok(Html(page("Content", &body)));
    };
    let ct = row
        .content_type
        .clone()
        .unwrap_or_else(|| "application/octet-stream".into());
    body.push_str(&format!(
        "<table><tr><td>type</td><td><code>{}</code></td></tr><tr><td>size</td><td class=num>{} bytes</td></tr>\
<tr><td>sha256</td><td><code>{}</code></td></tr><tr><td>state</td><td>{:?}: {} of {} bytes in {} part(s)</td></tr></table>",
        esc(&ct),
        row.size,
        hex::encode(row.sha256),
        row.status,
        row.received,
        row.size,
        row.parts
    ));
    let Some(bytes) = bytes else {
        body.push_str("<p>The file is not complete on chain yet; it can be viewed once every part is mined.</p>");
        return Ok(Html(page("Content", &body)));
    };
    body.push_str(&format!(
        "<p><a href=\"/api/v1/assets/{id}/content\" download>download</a> (checked against the sha256 above)</p>"
    ));
    let is_onnx = bitmodel_protocol::record::is_onnx_content_type(&ct)
        || asset.record.name.ends_with(".onnx");
    let active = ct.starts_with("text/html")
        || ct.starts_with("image/svg")
        || ct.contains("xml")
        || ct.contains("javascript");
    if active {
        // Markup that could script: only in a sandboxed frame (no scripts, opaque origin),
        // loading the API's response, which carries its own sandbox CSP too.
        body.push_str(&format!(
            "<p>Shown in a sandbox: scripts in it do not run.</p><iframe class=inscription sandbox src=\"/api/v1/assets/{id}/content\" title=\"{}\" style=\"width:100%;height:24rem;border:1px solid #ddd\"></iframe>",
            esc(&asset.record.name)
        ));
    } else if ct.starts_with("image/") {
        body.push_str(&format!(
            "<p><img alt=\"{}\" src=\"/api/v1/assets/{id}/content\" style=\"max-width:100%\"></p>",
            esc(&asset.record.name)
        ));
    } else if ct.starts_with("text/") || ct.contains("json") {
        let shown = &bytes[..bytes.len().min(TEXT_PREVIEW)];
        body.push_str(&format!(
            "<pre style=\"white-space:pre-wrap;overflow-wrap:anywhere\">{}</pre>",
            esc(&String::from_utf8_lossy(shown))
        ));
        if bytes.len() > TEXT_PREVIEW {
            body.push_str(&format!("<p>… first {TEXT_PREVIEW} bytes shown.</p>"));
        }
    } else if is_onnx {
        body.push_str(&onnx(&s, &id, &asset.record, bytes).await);
    } else {
        let head = &bytes[..bytes.len().min(256)];
        body.push_str(&format!(
            "<p>First bytes:</p><pre>{}</pre>",
            hex::encode(head)
        ));
    }
    Ok(Html(page("Content", &body)))
}

async fn onnx(
    s: &AppState,
    id: &bitmodel_protocol::AssetId,
    record: &bitmodel_protocol::Record,
    bytes: Vec<u8>,
) -> String {
    // Only the signature is kept (no graph, no plan): viewing is not paying.
    let (gw, id2) = (s.gateway.clone(), *id);
    let loaded = crate::blocking(move || match gw {
        Some(gw) => gw.models.signature(&id2, &bytes),
        None => bitmodel_infer::Model::load(&bytes).map(|m| m.signature()),
    })
    .await;
    let loaded = match loaded {
        // Text: it only becomes the page's sentence below, as a Problem's detail does.
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(p) => Err(p.detail().to_owned()),
    };
    let (inputs, outputs) = match loaded {
        Ok(sig) => sig,
        Err(e) => return format!("<p>An ONNX file that cannot be run: {}</p>", esc(&e)),
    };
    let mut out = String::from("<h2>Model</h2><table><tr><th>input</th><th>type</th></tr>");
    for (n, f) in inputs {
        out.push_str(&format!(
            "<tr><td><code>{}</code></td><td><code>{}</code></td></tr>",
            esc(&n),
            esc(&f)
        ));
    }
    out.push_str("</table><p>outputs: ");
    out.push_str(
        &outputs
            .iter()
            .map(|o| format!("<code>{}</code>", esc(o)))
            .collect::<Vec<_>>()
            .join(", "),
    );
    out.push_str("</p>");
    match record.price {
        Some(p) => out.push_str(&format!(
            "<p>Paid inference: {p} sats a call, into the asset's vault and up its lineage. \
<code>POST /api/v1/assets/{id}/infer</code> answers 402 with the vault address and memo; \
or from the command line: <code>bitmodel infer {id} --input input.json</code>.</p>"
        )),
        None => out.push_str(
            "<p>The owner set no price: this model is not offered for paid inference.</p>",
        ),
    }
    out
}
