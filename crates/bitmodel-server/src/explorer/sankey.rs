//! The flow of one payment up the lineage, Sankey-style: a column per lineage layer (the
//! asset paid on the left), a bar per asset whose height is proportional to what reached it,
//! and a band per C-Flow edge as wide as the sats that crossed it, on one scale.
//!
//! Layout rules: within a column, nodes are ordered by the mean height of the bands that
//! feed them (the barycentre heuristic, which keeps bands from crossing where it can);
//! bands leave a bar and enter a bar in the order of the other end's height; every node
//! has a slot at least as tall as its two label lines, so labels never overlap, and labels
//! are cut to fit their column. Numbers carry thousands separators.

use super::{esc, sats};

pub struct FlowNode {
    pub label: String,
    pub href: String,
    pub received: u64,
    pub keeps: u64,
}

const COL_W: i64 = 270;
const BAR_W: i64 = 14;
/// Room for a bar's two label lines.
const SLOT_MIN: i64 = 34;
const GAP: i64 = 10;
/// Height available to the tallest column's bars.
const BARS: i64 = 360;
/// Characters of a label that fit a column at 11px.
const LABEL_CHARS: usize = 30;

/// `flows` are `(child, parent, sats)`.
pub fn svg(nodes: &[FlowNode], flows: &[(usize, usize, u64)]) -> String {
    let n = nodes.len();
    let layer = bitmodel_protocol::graph::layers(n, flows.iter().map(|(c, p, _)| (*c, *p)));
    let columns = layer.iter().copied().max().unwrap_or(0) + 1;
    // One scale for bars and bands: the fullest column fits BARS pixels.
    let mut column_total = vec![0u64; columns];
    for (i, node) in nodes.iter().enumerate() {
        column_total[layer[i]] += node.received;
    }
    let biggest = column_total.iter().copied().max().unwrap_or(1).max(1) as f64;
    let px = |v: u64| -> f64 { v as f64 / biggest * BARS as f64 };
    let bar_h = |v: u64| -> i64 { (px(v).round() as i64).max(2) };

    // Columns left to right; each ordered by the barycentre of its incoming bands.
    let mut y_mid = vec![0f64; n];
    let mut pos = vec![(0i64, 0i64, 0i64); n]; // x, y, bar height
    for c in 0..columns {
        let members: Vec<usize> = (0..n).filter(|i| layer[*i] == c).collect();
        let centre = |i: usize| -> f64 {
            let (mut sum, mut weight) = (0f64, 0f64);
            for (from, to, v) in flows {
                if *to == i && layer[*from] < c {
                    sum += y_mid[*from] * *v as f64;
                    weight += *v as f64;
                }
            }
            if weight > 0.0 {
                sum / weight
            } else {
                0.0
            }
        };
        let mut keyed: Vec<(f64, u64, usize)> = members
            .iter()
            .map(|i| (centre(*i), nodes[*i].received, *i))
            .collect();
        keyed.sort_by(|a, b| {
            a.0.partial_cmp(&b.0)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(b.1.cmp(&a.1))
                .then(a.2.cmp(&b.2))
        });
        let mut y = 20i64;
        for i in keyed.into_iter().map(|k| k.2) {
            let h = bar_h(nodes[i].received);
            pos[i] = (20 + c as i64 * COL_W, y, h);
            y_mid[i] = y as f64 + h as f64 / 2.0;
            y += h.max(SLOT_MIN) + GAP;
        }
    }
    let width = columns as i64 * COL_W + 20;
    let tall = pos
        .iter()
        .map(|p| p.1 + p.2.max(SLOT_MIN))
        .max()
        .unwrap_or(BARS)
        + 20;
    let mut out = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" class=sankey viewBox=\"0 0 {width} {tall}\" width=\"{width}\" role=img aria-label=\"payment flow\">");
    // Bands leave each child in the order of their parents' heights and enter each parent in
    // the order of their children's heights, stacked from the top of the bar.
    let mut order: Vec<usize> = (0..flows.len()).collect();
    order.sort_by(|a, b| {
        let (fa, fb) = (&flows[*a], &flows[*b]);
        (pos[fa.0].1, pos[fa.1].1).cmp(&(pos[fb.0].1, pos[fb.1].1))
    });
    let mut out_y: Vec<f64> = pos.iter().map(|p| p.1 as f64).collect();
    let mut incoming: Vec<usize> = (0..flows.len()).collect();
    incoming.sort_by_key(|f| (pos[flows[*f].1].1, pos[flows[*f].0].1));
    let mut in_start = vec![0f64; flows.len()];
    let mut in_y: Vec<f64> = pos.iter().map(|p| p.1 as f64).collect();
    for f in incoming {
        let (_, p, v) = flows[f];
        in_start[f] = in_y[p];
        in_y[p] += px(v);
    }
    for f in order {
        let (c, p, v) = flows[f];
        let w = px(v).max(1.0);
        let y1 = out_y[c] + w / 2.0;
        out_y[c] += px(v);
        let y2 = in_start[f] + w / 2.0;
        let x1 = pos[c].0 + BAR_W;
        let x2 = pos[p].0;
        let mx = (x1 + x2) / 2;
        out.push_str(&format!(
            "<g class=flow><path d=\"M{x1},{y1:.1} C{mx},{y1:.1} {mx},{y2:.1} {x2},{y2:.1}\" stroke=\"#0b5cad\" stroke-opacity=\".35\" stroke-width=\"{w:.1}\" fill=\"none\"/><title>{} sats</title></g>",
            sats(v)
        ));
    }
    for (i, node) in nodes.iter().enumerate() {
        let (x, y, h) = pos[i];
        let mut label: String = node.label.chars().take(LABEL_CHARS).collect();
        if node.label.chars().count() > LABEL_CHARS {
            label.pop();
            label.push('…');
        }
        out.push_str(&format!(
            "<g class=node><a href=\"{}\"><rect x=\"{x}\" y=\"{y}\" width=\"{BAR_W}\" height=\"{h}\" fill=\"#0b5cad\"/><title>{}</title><text x=\"{}\" y=\"{}\" font-size=\"11\">{}</text><text x=\"{}\" y=\"{}\" font-size=\"10\" fill=\"#555\">keeps {} of {} sats</text></a></g>",
            esc(&node.href),
            esc(&node.label),
            x + BAR_W + 4,
            y + 11,
            esc(&label),
            x + BAR_W + 4,
            y + 25,
            sats(node.keeps),
            sats(node.received)
        ));
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(label: &str, received: u64, keeps: u64) -> FlowNode {
        FlowNode {
            label: label.into(),
            href: "/asset/x".into(),
            received,
            keeps,
        }
    }

    fn rects(svg: &str) -> Vec<(i64, i64, i64)> {
        svg.split("<rect ")
            .skip(1)
            .map(|r| {
                let num = |k: &str| -> i64 {
                    r.split(&format!("{k}=\""))
                        .nth(1)
                        .unwrap()
                        .split('"')
                        .next()
                        .unwrap()
                        .parse()
                        .unwrap()
                };
                (num("x"), num("y"), num("height"))
            })
            .collect()
    }

    #[test]
    fn heights_are_proportional_and_slots_never_overlap() {
        let nodes = vec![
            node("agent", 1_000_000, 800_000),
            node("base", 150_000, 140_000),
            node("dataset", 50_000, 50_000),
            node("paper", 10_000, 10_000),
        ];
        let flows = vec![(0, 1, 150_000), (0, 2, 50_000), (1, 3, 10_000)];
        let s = svg(&nodes, &flows);
        let r = rects(&s);
        assert_eq!(r[0].2, BARS, "the paid asset fills its column");
        assert_eq!(r[1].2, 54, "150,000 of 1,000,000 is 15% of {BARS}");
        assert_eq!(r[2].2, 18);
        assert!(r[3].2 >= 2, "tiny shares still show");
        // In column 1, base and dataset do not overlap, label room included.
        let (a, b) = if r[1].1 < r[2].1 {
            (r[1], r[2])
        } else {
            (r[2], r[1])
        };
        assert!(a.1 + a.2.max(SLOT_MIN) + GAP <= b.1);
        assert!(s.contains("keeps 800,000 of 1,000,000 sats"), "separators");
        assert!(s.contains("<title>150,000 sats</title>"));
    }

    #[test]
    fn long_labels_are_cut_with_an_ellipsis() {
        let long = "a".repeat(60);
        let s = svg(&[node(&long, 10, 10)], &[]);
        assert!(s.contains(&format!("{}…", "a".repeat(LABEL_CHARS - 1))));
        assert!(s.contains(&format!("<title>{long}</title>")));
    }
}
