mod explain;
mod split;

use crate::output::Output;

#[derive(Debug, clap::Subcommand)]
pub enum Cflow {
    /// Split one distribution by the split rule.
    Split(split::Split),
    /// Show who gets what when an asset in a lineage graph is paid.
    Explain(explain::Explain),
}

impl Cflow {
    pub fn run(self) -> anyhow::Result<Output> {
        match self {
            Cflow::Split(s) => s.run(),
            Cflow::Explain(e) => e.run(),
        }
    }
}
