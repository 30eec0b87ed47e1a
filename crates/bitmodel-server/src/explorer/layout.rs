//! A layered DAG layout for the lineage SVG: the asset at the bottom, each ancestor one layer
//! above its deepest child path, nodes spread evenly in their layer, edges child → parent
//! labelled with the weight. Weight labels are placed along their edge where they collide
//! with no node and no other label (text boxes estimated generously); one that finds no free
//! place keeps its weight as the edge's tooltip, so labels never overlap.

use super::esc;

pub struct Node {
    pub label: String,
    pub href: String,
    pub share_ppm: u32,
    pub parents: Vec<(usize, u16)>,
}

/// Nodes drawn at most: a lineage of thousands is drawn by its largest shares (and listed
/// whole by the API), so a wide DAG costs a bounded page.
pub const MAX_DRAWN: usize = 60;

/// The asset and its `max - 1` ancestors with the largest effective shares; edges to
/// ancestors left out are dropped, positions renumbered.
pub fn largest(nodes: Vec<Node>, max: usize) -> Vec<Node> {
    if nodes.len() <= max {
        return nodes;
    }
    let mut order: Vec<usize> = (1..nodes.len()).collect();
    order.sort_by(|a, b| nodes[*b].share_ppm.cmp(&nodes[*a].share_ppm).then(a.cmp(b)));
    let mut keep: Vec<usize> = std::iter::once(0)
        .chain(order.into_iter().take(max - 1))
        .collect();
    keep.sort();
    let mut new_pos = vec![usize::MAX; nodes.len()];
    for (i, k) in keep.iter().enumerate() {
        new_pos[*k] = i;
    }
    let mut nodes: Vec<Option<Node>> = nodes.into_iter().map(Some).collect();
    keep.iter()
        .map(|k| {
            let mut n = nodes[*k].take().expect("each kept once");
            n.parents = n
                .parents
                .iter()
                .filter(|(p, _)| new_pos[*p] != usize::MAX)
                .map(|(p, w)| (new_pos[*p], *w))
                .collect();
            n
        })
        .collect()
}

const W: i64 = 190;
const H: i64 = 46;
const GAP_X: i64 = 24;
const GAP_Y: i64 = 60;

#[derive(Clone, Copy)]
struct Rect {
    x0: i64,
    y0: i64,
    x1: i64,
    y1: i64,
}

impl Rect {
    fn overlaps(&self, o: &Rect) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }
}

/// A free place for an 11px label along the edge from `a` to `b` (its baseline start), or
/// `None`; the place is then taken.
fn place(taken: &mut Vec<Rect>, a: (i64, i64), b: (i64, i64), text: &str) -> Option<(i64, i64)> {
    // Generous: 7px a character, 14px tall, 2px margins.
    let w = 7 * text.chars().count() as i64 + 4;
    for t in [50, 35, 65, 25, 75, 15, 85] {
        let x = a.0 + (b.0 - a.0) * t / 100;
        let y = a.1 + (b.1 - a.1) * t / 100;
        for dx in [4, -w - 4] {
            let r = Rect {
                x0: x + dx - 2,
                y0: y - 12,
                x1: x + dx + w,
                y1: y + 4,
            };
            if !taken.iter().any(|o| o.overlaps(&r)) {
                taken.push(r);
                return Some((x + dx, y));
            }
        }
    }
    None
}

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
    // Boxes nothing may be drawn over: every node (padded).
    let mut taken: Vec<Rect> = pos
        .iter()
        .map(|(x, y)| Rect {
            x0: *x - 2,
            y0: *y - 2,
            x1: *x + W + 2,
            y1: *y + H + 2,
        })
        .collect();
    for (c, node) in nodes.iter().enumerate() {
        for (p, w) in &node.parents {
            let (x1, y1) = (pos[c].0 + W / 2, pos[c].1);
            let (x2, y2) = (pos[*p].0 + W / 2, pos[*p].1 + H);
            let text = format!("{}.{:02}%", w / 100, w % 100);
            let label = place(&mut taken, (x1, y1), (x2, y2), &text).map_or_else(
                String::new,
                |(lx, ly)| {
                    format!(
                        "<text x=\"{lx}\" y=\"{ly}\" font-size=\"11\" fill=\"#555\">{text}</text>"
                    )
                },
            );
            out.push_str(&format!(
                "<g class=edge><title>{text}</title><line x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\" stroke=\"#888\"/>{label}</g>"
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
