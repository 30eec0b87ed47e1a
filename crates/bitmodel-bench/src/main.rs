//! `bitmodel-bench [GROUP…]`: Bitmodel's benchmarks. Every figure is one `name value unit`
//! line on stdout, and every figure that has a reference is printed next to a ratio measured
//! in the same run, because this machine is shared and absolute times drift.

mod cflow;
mod covenant;
mod devnet;
mod economy;
mod follow;
mod index;
mod keeper;
mod mvc;
mod report;
mod script;
mod server;

use std::process::ExitCode;

const GROUPS: &[&str] = &[
    "cflow", "covenant", "devnet", "economy", "follow", "index", "keeper", "mvc", "script",
    "server",
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let groups: Vec<&str> = if args.is_empty() {
        GROUPS.to_vec()
    } else {
        args.iter().map(String::as_str).collect()
    };
    for g in groups {
        match g {
            "cflow" => cflow::run(),
            "covenant" => covenant::run(),
            "devnet" => devnet::run(),
            "economy" => economy::run(),
            "follow" => follow::run(),
            "index" => index::run(),
            "keeper" => keeper::run(),
            "mvc" => mvc::run(),
            "script" => script::run(),
            "server" => server::run(),
            other => {
                eprintln!(
                    "unknown benchmark group '{other}'; groups: {}",
                    GROUPS.join(", ")
                );
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
