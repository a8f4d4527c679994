//! `apiforge`: the one binary of SmartAPIForge. Thin by design: it parses flags, resolves
//! input, calls the pipeline crates and prints; exit codes are chosen in `exit.rs` only.

mod cli;
mod commands;
mod exit;
mod input;
mod output;
mod settings;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let json = cli.wants_json();
    match commands::run(cli) {
        Ok(code) => code,
        Err(error) => exit::report(&error, json),
    }
}
