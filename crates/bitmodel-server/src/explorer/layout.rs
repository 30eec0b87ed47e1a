//! A layered DAG layout for the lineage SVG: the asset at the bottom, each ancestor one layer
//! above its deepest child path, nodes spread evenly in their layer, edges child → parent
//! labelled with the weight.

use super::esc;

pub struct Node {
    pub label: String,
    pub href: String,
    pub share_ppm: u32,
    pub parents: Vec<(usize, u16)>,
}

const W: i64 = 190;
const H: i64 = 46;
const GAP_X: i64 = 24;
const GAP_Y: i64 = 60;

/// Draws `nodes` (node 0 is the asset) as an SVG.
pub fn svg(nodes: &[Node]) -> String {
    let n = nodes.len();
    // Layer = longest path from the asset (node 0).
    let layer = bitmodel_protocol::graph::layers(
        n,
        nodes
            .iter()
            .enumerate()
            .flat_map(|(c, node)| node.parents.iter().map(move |(p, _)| (c, *p))),
    );
    let layers = layer.iter().copied().max().unwrap_or(0) + 1;
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); layers];
    for (i, l) in layer.iter().enumerate() {
        rows[*l].push(i);
    }
    let widest = rows.iter().map(Vec::len).max().unwrap_or(1) as i64;
    let width = widest * (W + GAP_X) + GAP_X;
    let height = layers as i64 * (H + GAP_Y) + GAP_Y;
    let mut pos = vec![(0i64, 0i64); n];
    for (l, row) in rows.iter().enumerate() {
        let row_w = row.len() as i64 * (W + GAP_X) - GAP_X;
        let x0 = (width - row_w) / 2;
        // Ancestors on top: layer l is drawn at the (layers - 1 - l)th row.
        let y = GAP_Y / 2 + (layers - 1 - l) as i64 * (H + GAP_Y);
        for (k, i) in row.iter().enumerate() {
            pos[*i] = (x0 + k as i64 * (W + GAP_X), y);
        }
    }
    let mut out = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" class=lineage viewBox=\"0 0 {width} {height}\" width=\"{width}\" role=img aria-label=\"lineage graph\">");
    for (c, node) in nodes.iter().enumerate() {
        for (p, w) in &node.parents {
            let (x1, y1) = (pos[c].0 + W / 2, pos[c].1);
            let (x2, y2) = (pos[*p].0 + W / 2, pos[*p].1 + H);
            out.push_str(&format!(
                "<g class=edge><line x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\" stroke=\"#888\"/><text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#555\">{}.{:02}%</text></g>",
                (x1 + x2) / 2 + 4,
                (y1 + y2) / 2,
                w / 100,
                w % 100
            ));
        }
    }
    for (i, node) in nodes.iter().enumerate() {
        let (x, y) = pos[i];
        // Long names are cut to the box with an ellipsis; the full name is the tooltip.
        let label: String = if node.label.chars().count() > 27 {
            node.label.chars().take(26).chain(['…']).collect()
        } else {
            node.label.clone()
        };
        out.push_str(&format!(
            "<g class=node><a href=\"{}\"><title>{}</title><rect x=\"{x}\" y=\"{y}\" width=\"{W}\" height=\"{H}\" rx=\"6\" fill=\"{}\" stroke=\"#0b5cad\"/><text x=\"{}\" y=\"{}\" font-size=\"12\">{}</text><text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#555\">{}.{:04}% of each payment</text></a></g>",
            esc(&node.href),
            esc(&node.label),
            if i == 0 { "#e8f1fb" } else { "#fff" },
            x + 8,
            y + 18,
            esc(&label),
            x + 8,
            y + 36,
            node.share_ppm / 10_000,
            node.share_ppm % 10_000
        ));
    }
    out.push_str("</svg>");
    out
}
