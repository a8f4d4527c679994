//! Command-line flags, exactly as DESIGN.md's CLI contract lists them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// SmartAPIForge: describe an API in plain language (or give a CSV file) and get an
/// OpenAPI 3.1 contract, then a production-ready project.
#[derive(Debug, Parser)]
#[command(name = "apiforge", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Whether the chosen command prints one machine-readable JSON object.
    pub fn wants_json(&self) -> bool {
        match &self.command {
            Command::Plan(_) => false,
            Command::Spec(spec) => spec.json,
            Command::Eval(eval) => eval.json,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Plan a manifest from a prompt or CSV file and print it as JSON.
    Plan(PlanArgs),
    /// Write the OpenAPI 3.1 contract (and optionally a Postman collection).
    Spec(SpecArgs),
    /// Score the planner against a corpus file (recall and precision per prompt).
    Eval(EvalArgs),
}

/// Where the API description comes from: exactly one of a prompt, a CSV file or a manifest.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// The API description in plain language; `-` reads it from standard input.
    #[arg(value_name = "PROMPT|-", conflicts_with_all = ["csv", "manifest"])]
    pub prompt: Option<String>,
    /// Import a CSV file: its header names the fields, its rows decide the types.
    #[arg(long, value_name = "FILE", conflicts_with = "manifest")]
    pub csv: Option<PathBuf>,
    /// Use a manifest JSON file (as printed by `apiforge plan`) instead of planning.
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// Which planner turns the prompt into a manifest.
    #[arg(long, value_enum, default_value_t = PlannerKind::Builtin)]
    pub planner: PlannerKind,
    /// Never contact a network service (the built-in planner never does).
    #[arg(long, env = crate::input::ENV_OFFLINE)]
    pub offline: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlannerKind {
    /// Deterministic, offline, milliseconds.
    Builtin,
    /// A configured LLM provider.
    Llm,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Print the manifest's JSON Schema instead of planning.
    #[arg(long, conflicts_with_all = ["prompt", "csv", "manifest"])]
    pub schema: bool,
}

#[derive(Debug, Args)]
pub struct SpecArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Write the contract here; `.yaml`/`.yml` or `.json` picks the format (default: YAML on
    /// standard output).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write a Postman v2.1 collection of the contract.
    #[arg(long, value_name = "FILE")]
    pub postman: Option<PathBuf>,
    /// Print one JSON result object instead of the contract.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// A JSON-lines corpus (`id`, `prompt`, `expect`); `@csv:NAME` prompts name CSV files
    /// next to it.
    #[arg(value_name = "CORPUS.jsonl")]
    pub corpus: PathBuf,
    /// Print one JSON result object instead of the table.
    #[arg(long)]
    pub json: bool,
}
