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

/// `1234567` → `1,234,567`: the explorer's own, so the CLI and the pages print sats alike.
pub use bitmodel_server::sats;

/// Parts per million as a percentage with four decimals.
pub fn percent(ppm: u32) -> String {
    format!("{}.{:04}%", ppm / 10_000, ppm % 10_000)
}
