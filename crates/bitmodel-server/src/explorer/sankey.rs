//! The flow of one payment up the lineage, Sankey-style: a column per lineage layer (the
//! asset paid on the left), a bar per asset as tall as what reached it, and a band per C-Flow
//! edge as wide as the sats that crossed it. Heights are proportional; every label is exact.

use super::esc;

pub struct FlowNode {
    pub label: String,
    pub href: String,
    pub received: u64,
    pub keeps: u64,
}

/// `flows` are `(child, parent, sats)`.
pub fn svg(nodes: &[FlowNode], flows: &[(usize, usize, u64)]) -> String {
    let n = nodes.len();
    let layer = bitmodel_protocol::graph::layers(n, flows.iter().map(|(c, p, _)| (*c, *p)));
    let columns = layer.iter().copied().max().unwrap_or(0) + 1;
    let total = nodes.first().map_or(1, |f| f.received.max(1)) as f64;
    let (col_w, bar_w, height) = (230i64, 14i64, 420i64);
    let scale = |v: u64| ((v as f64 / total) * (height - 60) as f64).max(1.0) as i64;
    let mut y_next = vec![20i64; columns];
    let mut pos = vec![(0i64, 0i64, 0i64); n];
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|i| (layer[*i], std::cmp::Reverse(nodes[*i].received)));
    for i in order {
        let c = layer[i];
        // Bars are at least tall enough for their two label lines.
        let h = scale(nodes[i].received).max(26);
        pos[i] = (20 + c as i64 * col_w, y_next[c], h);
        y_next[c] += h + 26;
    }
    let width = columns as i64 * col_w + 40;
    let tall = y_next.iter().copied().max().unwrap_or(height).max(height);
    let mut out = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" class=sankey viewBox=\"0 0 {width} {tall}\" width=\"{width}\" role=img aria-label=\"payment flow\">");
    // Bands leave each child from the top down and enter each parent from the top down.
    let mut out_y: Vec<i64> = pos.iter().map(|p| p.1).collect();
    let mut in_y: Vec<i64> = pos.iter().map(|p| p.1).collect();
    for (c, p, v) in flows {
        let w = scale(*v);
        let (x1, y1) = (pos[*c].0 + bar_w, out_y[*c] + w / 2);
        let (x2, y2) = (pos[*p].0, in_y[*p] + w / 2);
        out_y[*c] += w;
        in_y[*p] += w;
        let mx = (x1 + x2) / 2;
        out.push_str(&format!(
            "<g class=flow><path d=\"M{x1},{y1} C{mx},{y1} {mx},{y2} {x2},{y2}\" stroke=\"#0b5cad\" stroke-opacity=\".35\" stroke-width=\"{w}\" fill=\"none\"/><title>{} sats</title></g>",
            v
        ));
    }
    for (i, node) in nodes.iter().enumerate() {
        let (x, y, h) = pos[i];
        let label: String = node.label.chars().take(26).collect();
        out.push_str(&format!(
            "<g class=node><a href=\"{}\"><rect x=\"{x}\" y=\"{y}\" width=\"{bar_w}\" height=\"{h}\" fill=\"#0b5cad\"/><text x=\"{}\" y=\"{}\" font-size=\"11\">{}</text><text x=\"{}\" y=\"{}\" font-size=\"10\" fill=\"#555\">keeps {} of {} sats</text></a></g>",
            esc(&node.href),
            x + bar_w + 4,
            y + 10,
            esc(&label),
            x + bar_w + 4,
            y + 22,
            node.keeps,
            node.received
        ));
    }
    out.push_str("</svg>");
    out
}
