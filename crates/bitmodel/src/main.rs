//! `bitmodel`: the command line. Each subcommand lives in its own file under `subcommand/`,
//! parses its own flags and returns a serialisable output that is printed for people by
//! default and as JSON with `--json`, so scripts and tests read the same facts people see.

mod args;
mod commit_reveal;
mod context;
mod mvc;
mod output;
mod progress;
mod seed;
mod settings;
mod shutdown;
mod subcommand;

use std::process::ExitCode;

use clap::Parser;

/// Bitmodel: contribution flows (C-Flow) for AI assets on Bitcoin-family chains.
#[derive(Debug, Parser)]
#[command(name = "bitmodel", version, about, long_about = None)]
struct Cli {
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(flatten)]
    settings: settings::Settings,
    #[command(subcommand)]
    command: subcommand::Subcommand,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.run(&cli.settings) {
        Ok(out) => {
            out.print(cli.json);
            ExitCode::SUCCESS
        }
        Err(err) => {
            let text = output::error_chain(err.chain());
            if cli.json {
                eprintln!("{}", serde_json::json!({ "error": text }));
            } else {
                eprintln!("error: {text}");
            }
            ExitCode::FAILURE
        }
    }
}
