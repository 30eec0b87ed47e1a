//! One output value, two renderings: JSON for scripts, text for people.

use serde::Serialize;

/// What a subcommand produced.
pub struct Output {
    json: serde_json::Value,
    human: String,
}

impl Output {
    pub fn new(value: &impl Serialize, human: String) -> Self {
        let json = serde_json::to_value(value).expect("output types serialise to JSON");
        Self { json, human }
    }

    pub fn print(&self, json: bool) {
        if json {
            println!(
                "{}",
                serde_json::to_string_pretty(&self.json).expect("a JSON value prints")
            );
        } else {
            print!("{}", self.human);
        }
    }
}

/// `1234567` → `1,234,567`.
pub fn sats(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Parts per million as a percentage with four decimals.
pub fn percent(ppm: u32) -> String {
    format!("{}.{:04}%", ppm / 10_000, ppm % 10_000)
}
