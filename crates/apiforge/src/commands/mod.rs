//! One module per subcommand; each returns the exit code of a run that completed.

mod bench;
mod bench_http;
mod client;
mod doctor;
mod eval;
mod fix;
mod generate;
mod plan;
mod preview;
mod prompts;
mod runtimes;
mod sandbox;
mod serve;
mod spec;
mod verify;
mod worker;

use std::process::ExitCode;

use crate::cli::{Cli, Command};

/// Runs the chosen subcommand.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Plan(args) => plan::run(&args),
        Command::Spec(args) => spec::run(&args),
        Command::Generate(args) => generate::run(&args),
        Command::Eval(args) => eval::run(&args),
        Command::Sandbox(args) => sandbox::run(args),
        Command::Bench(args) => bench::run(&args),
        Command::Runtimes(args) => runtimes::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Preview(args) => preview::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Worker(args) => worker::run(&args),
        Command::Prompts(args) => prompts::run(&args),
        Command::Doctor(args) => doctor::run(&args),
    }
}
