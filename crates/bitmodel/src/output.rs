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

/// An error and its causes as one line, `outer: cause: root`, each cause said once. Library
/// errors that the server shows without their sources repeat the source's words in their own
/// message (docs/adr/0011-errors-keep-their-sources.md); printed here, a cause whose words
/// already end the line is not added again.
pub fn error_chain<'a>(
    chain: impl Iterator<Item = &'a (dyn std::error::Error + 'static)>,
) -> String {
    let mut line = String::new();
    for cause in chain {
        let text = cause.to_string();
        if line.is_empty() {
            line = text;
        } else if !line.ends_with(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::error_chain;

    #[derive(Debug, thiserror::Error)]
    #[error("reading the index: {0}")]
    struct Repeats(#[source] std::io::Error);

    #[derive(Debug, thiserror::Error)]
    #[error("reading the index")]
    struct Quiet(#[source] std::io::Error);

    fn io() -> std::io::Error {
        std::io::Error::other("disk on fire")
    }

    #[test]
    fn each_cause_is_said_once() {
        let a = anyhow::Error::new(Repeats(io())).context("syncing");
        assert_eq!(
            error_chain(a.chain()),
            "syncing: reading the index: disk on fire"
        );
        let b = anyhow::Error::new(Quiet(io())).context("syncing");
        assert_eq!(
            error_chain(b.chain()),
            "syncing: reading the index: disk on fire"
        );
        let c = anyhow::anyhow!("no wallet");
        assert_eq!(error_chain(c.chain()), "no wallet");
        // A different cause whose words happen to appear earlier in the line is kept.
        let d = anyhow::Error::new(std::io::Error::other("timed out"))
            .context("timed out waiting for the node; the call timed out twice");
        assert_eq!(
            error_chain(d.chain()),
            "timed out waiting for the node; the call timed out twice: timed out"
        );
    }
}
