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
            Command::Generate(generate) => generate.json,
            Command::Eval(eval) => eval.json,
            Command::Sandbox(SandboxArgs {
                command: SandboxCommand::Run(run),
            }) => run.json,
            Command::Sandbox(SandboxArgs {
                command: SandboxCommand::Audit(audit),
            }) => audit.json,
            Command::Bench(BenchArgs {
                command: BenchCommand::Sandbox(bench),
            }) => bench.json,
            Command::Bench(BenchArgs {
                command: BenchCommand::Generate(bench),
            }) => bench.json,
            Command::Bench(BenchArgs {
                command: BenchCommand::Api(bench),
            }) => bench.server.json,
            Command::Bench(BenchArgs {
                command: BenchCommand::Jobs(bench),
            }) => bench.server.json,
            Command::Runtimes(RuntimesArgs {
                command: RuntimesCommand::Install(install),
            }) => install.json,
            Command::Runtimes(RuntimesArgs {
                command: RuntimesCommand::List(list),
            }) => list.json,
            Command::Verify(verify) => verify.json,
            Command::Prompts(PromptsArgs {
                command: PromptsCommand::List(list),
            }) => list.server.json,
            Command::Prompts(PromptsArgs {
                command: PromptsCommand::Show(show),
            }) => show.server.json,
            Command::Prompts(PromptsArgs {
                command: PromptsCommand::Run(run),
            }) => run.server.json,
            Command::Doctor(doctor) => doctor.json,
            Command::Preview(_) | Command::Serve(_) | Command::Worker(_) => false,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Plan a manifest from a prompt or CSV file and print it as JSON.
    Plan(PlanArgs),
    /// Write the OpenAPI 3.1 contract (and optionally a Postman collection).
    Spec(SpecArgs),
    /// Generate (or regenerate) a project: plan, contract, code, write, verify.
    Generate(GenerateArgs),
    /// Score the planner against a corpus file (recall and precision per prompt).
    Eval(EvalArgs),
    /// Run a command in an isolated, limited sandbox, or read the sandbox audit log.
    Sandbox(SandboxArgs),
    /// Measure the forge's own performance (the sandbox's start-to-exit time, prompt to
    /// verified project).
    Bench(BenchArgs),
    /// Install or list the prepared Python runtime (pinned packages, hash-checked) that
    /// `verify` and `preview` mount read-only into the sandbox.
    Runtimes(RuntimesArgs),
    /// Lint (ruff), format check, byte-compile and test (pytest) a generated project in the
    /// sandbox, on a private copy, without network. Exits 1 when a check fails.
    Verify(VerifyArgs),
    /// Serve a generated project from the sandbox behind a local proxy, with /docs, until
    /// Ctrl-C.
    Preview(PreviewArgs),
    /// Run the server: HTTP API, web app and an embedded worker, on SQLite in the data
    /// directory by default or PostgreSQL with --database-url, until Ctrl-C or SIGTERM.
    Serve(ServeArgs),
    /// Run a worker only: take generation jobs from the shared database until Ctrl-C or
    /// SIGTERM (in-flight steps finish or are released to another worker).
    Worker(WorkerArgs),
    /// List, show and run the prompts of a running server's registry (yours and the
    /// built-in ones), over HTTP.
    Prompts(PromptsArgs),
    /// Check the set-up: data directory, Python runtime, sandbox, database file, LLM
    /// providers. Exits 1 when a check fails (warnings are fine).
    Doctor(DoctorArgs),
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
    #[arg(long, env = crate::settings::ENV_OFFLINE)]
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
pub struct GenerateArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The kind of project to generate.
    #[arg(long, value_enum)]
    pub target: ProjectTarget,
    /// The project directory: created when missing; one that holds a generated project
    /// (`.apiforge/lock.json`) is regenerated in place, keeping your edits.
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: PathBuf,
    /// Skip verifying the project (lint and tests in the sandbox).
    #[arg(long)]
    pub no_verify: bool,
    /// Write into a non-empty directory, and overwrite generated files you edited (files
    /// created for your code are never overwritten).
    #[arg(long)]
    pub force: bool,
    /// Print one JSON result object instead of the stages, files and diffs.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProjectTarget {
    /// Python 3.11+, FastAPI, Pydantic v2, SQLAlchemy 2.
    Fastapi,
    /// Node.js, Express (not available yet).
    Express,
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

#[derive(Debug, Args)]
pub struct SandboxArgs {
    #[command(subcommand)]
    pub command: SandboxCommand,
}

#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Run CMD in a fresh sandbox (no network but loopback, no host secrets) on a private
    /// copy of the work directory; changed and new files are copied back. Exits with the
    /// command's code (128 + signal when killed).
    Run(SandboxRunArgs),
    /// Print the audit log of sandbox runs (kept for 30 days).
    Audit(SandboxAuditArgs),
}

// Numbers are taken as text and checked in `commands::sandbox`, so a bad value is reported
// in one line with exit 2 like every other bad input, not as clap's multi-line usage error.
#[derive(Debug, Args)]
pub struct SandboxRunArgs {
    /// The work directory, seen as `/app` inside (default: the current directory).
    #[arg(long, value_name = "D")]
    pub dir: Option<PathBuf>,
    /// Also mount this host path read-only, at the same path or at `HOST:INSIDE`.
    #[arg(long = "ro", value_name = "PATH")]
    pub ro: Vec<String>,
    /// Wall-clock limit in seconds (default 30); the whole process tree is killed.
    #[arg(long, value_name = "S", allow_negative_numbers = true)]
    pub timeout: Option<String>,
    /// Memory limit of the whole process tree in MB (default 512).
    #[arg(long, value_name = "MB", allow_negative_numbers = true)]
    pub memory: Option<String>,
    /// Processes and threads limit (default 256).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub pids: Option<String>,
    /// Size of the private copy of the work directory in MB (default 256); writing more
    /// fails with "no space left" inside.
    #[arg(long, value_name = "MB", allow_negative_numbers = true)]
    pub disk: Option<String>,
    /// Print one JSON result object (with the captured output) instead of passing the
    /// command's output through.
    #[arg(long)]
    pub json: bool,
    /// The command and its arguments, after `--`.
    #[arg(last = true, value_name = "CMD ARGS")]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SandboxAuditArgs {
    /// Only the run with this sandbox id.
    #[arg(long, value_name = "ID")]
    pub id: Option<String>,
    /// Only runs that ended since T: RFC 3339 (`2026-11-23T10:00:00Z`), a date
    /// (`2026-11-23`) or an age (`90s`, `30m`, `2h`, `7d`).
    #[arg(long, value_name = "T")]
    pub since: Option<String>,
    /// Print one JSON object with the records.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub command: BenchCommand,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Start-to-exit time of `/bin/true` and `python3 -c pass` in the sandbox, median and
    /// P95, side by side with bubblewrap (same namespaces and mounts) when it is installed.
    Sandbox(BenchSandboxArgs),
    /// Prompt to verified FastAPI project for every case of a corpus, each in a fresh
    /// directory: total time per case, median and P95, and the median of each stage.
    Generate(BenchGenerateArgs),
    /// Read latency of a running server under load: N keep-alive connections send GETs
    /// as fast as answers come for a while; P50/P95/P99 and throughput.
    Api(BenchApiArgs),
    /// Generations per hour of a running server and its workers: N projects created at
    /// once from a prompt, followed until every job is final.
    Jobs(BenchJobsArgs),
}

/// Where a running server is and how to call it.
#[derive(Debug, Args)]
pub struct BenchServerArgs {
    /// The server's base URL.
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// A credential: an API token (`POST /api/auth/tokens`) or a session JWT.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "APIFORGE_TOKEN",
        hide_env_values = true
    )]
    pub token: String,
    /// Print one JSON result object instead of the table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct BenchApiArgs {
    #[command(flatten)]
    pub server: BenchServerArgs,
    /// Paths to GET, taken in turn (default: `/api/projects`, and the first project's
    /// page, status and versions when there is one).
    #[arg(long = "path", value_name = "PATH")]
    pub paths: Vec<String>,
    /// Concurrent connections (default 200).
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub connections: usize,
    /// Seconds of load after a one-second warm-up (default 10).
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub duration: u64,
}

#[derive(Debug, Args)]
pub struct BenchJobsArgs {
    #[command(flatten)]
    pub server: BenchServerArgs,
    /// Projects to create (default 20).
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub jobs: usize,
    /// The prompt of every project (default: the library API of the corpus).
    #[arg(long, value_name = "TEXT")]
    pub prompt: Option<String>,
}

// Like `sandbox run`, the number is taken as text and checked in `commands::bench`.
#[derive(Debug, Args)]
pub struct BenchSandboxArgs {
    /// Timed runs per command and per sandbox (default 200).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub runs: Option<String>,
    /// Print one JSON result object instead of the table.
    #[arg(long)]
    pub json: bool,
}

// Like `bench sandbox`, the number is taken as text and checked in `commands::bench`.
#[derive(Debug, Args)]
pub struct BenchGenerateArgs {
    /// A JSON-lines corpus as `eval` reads it (`id`, `prompt`, `expect`); `@csv:NAME`
    /// prompts name CSV files next to it.
    #[arg(value_name = "CORPUS.jsonl")]
    pub corpus: PathBuf,
    /// Timed runs per case (default 1).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub runs: Option<String>,
    /// Print one JSON result object instead of the table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RuntimesArgs {
    #[command(subcommand)]
    pub command: RuntimesCommand,
}

#[derive(Debug, Subcommand)]
pub enum RuntimesCommand {
    /// Download and install the pinned Python packages into the data directory (once; a
    /// second install does nothing). The only step that needs network access.
    Install(RuntimesInstallArgs),
    /// Show the installed runtimes and whether each matches this version's lock.
    List(RuntimesListArgs),
}

#[derive(Debug, Args)]
pub struct RuntimesInstallArgs {
    /// Print one JSON result object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RuntimesListArgs {
    /// Print one JSON result object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The project directory (as written by `apiforge generate -o DIR`); left unchanged
    /// unless `--fix` makes it pass.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// When a check fails, ask the configured LLM (APIFORGE_LLM_*) for patches, at most
    /// two rounds, each verified; the patched files are written only if the project then
    /// passes.
    #[arg(long)]
    pub fix: bool,
    /// With --fix: loopback LLM providers only.
    #[arg(long, env = crate::settings::ENV_OFFLINE)]
    pub offline: bool,
    /// Print one JSON result object instead of the report.
    #[arg(long)]
    pub json: bool,
}

// Like `sandbox run`, the port is taken as text and checked in `commands::preview`.
#[derive(Debug, Args)]
pub struct PreviewArgs {
    /// The project directory (as written by `apiforge generate -o DIR`); left unchanged.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// The local port of the preview (default 8000; 0 picks a free one and prints it).
    #[arg(long, value_name = "N")]
    pub port: Option<String>,
}

/// Where the server keeps its data.
#[derive(Debug, Args)]
pub struct StorageArgs {
    /// `postgres://…` or `sqlite://PATH` (default: SQLite in the data directory).
    #[arg(long, value_name = "URL", env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// The data directory (prepared runtimes, server key; the SQLite file by default).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Jobs this process runs at once (default 2: verification is CPU-bound).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Seconds a claimed job stays this worker's without a heartbeat: after a crash, another
    /// worker takes the job over once it expires (default 30, at least 3).
    #[arg(long, value_name = "SECONDS")]
    pub lease: Option<u64>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where to listen.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,
    #[command(flatten)]
    pub storage: StorageArgs,
    /// Do not run a worker in this process (run `apiforge worker` processes instead).
    #[arg(long)]
    pub no_worker: bool,
    /// The address users reach the server at, for sign-in links (default: the request's host).
    #[arg(long, value_name = "URL", env = "APIFORGE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Print the server's OpenAPI 3.1 document (what /api/openapi.json serves) and exit.
    #[arg(long)]
    pub openapi: bool,
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
}

#[derive(Debug, Args)]
pub struct PromptsArgs {
    #[command(subcommand)]
    pub command: PromptsCommand,
}

#[derive(Debug, Subcommand)]
pub enum PromptsCommand {
    /// Your prompts and the built-in ones: name, owner, current version, id.
    List(PromptsListArgs),
    /// One prompt: its template, variables and output rules.
    // `--version` is the prompt's version here, not the binary's.
    #[command(disable_version_flag = true)]
    Show(PromptsShowArgs),
    /// Execute a prompt and wait for its output (printed on stdout; provider, model,
    /// latency, tokens and cost on stderr). Exits 1 when the execution fails.
    #[command(disable_version_flag = true)]
    Run(PromptsRunArgs),
}

/// The running server of `apiforge prompts` and how to call it. The token is optional here
/// so that a missing one is reported in one line (exit 2), like every other bad input.
#[derive(Debug, Args)]
pub struct PromptsServerArgs {
    /// The server's base URL.
    #[arg(
        long,
        value_name = "URL",
        env = crate::settings::ENV_URL,
        default_value = "http://127.0.0.1:8080"
    )]
    pub url: String,
    /// A credential: an API token (`POST /api/auth/tokens`) or a session JWT.
    #[arg(
        long,
        value_name = "TOKEN",
        env = crate::settings::ENV_TOKEN,
        hide_env_values = true
    )]
    pub token: Option<String>,
    /// Print one JSON result object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PromptsListArgs {
    #[command(flatten)]
    pub server: PromptsServerArgs,
}

// Version numbers are taken as text and checked in `commands::prompts` (one-line errors).
#[derive(Debug, Args)]
pub struct PromptsShowArgs {
    /// The prompt's name or id.
    #[arg(value_name = "NAME|ID")]
    pub prompt: String,
    /// Show this version (default: the current one).
    #[arg(long, value_name = "N", conflicts_with = "versions")]
    pub version: Option<String>,
    /// List every version, oldest first.
    #[arg(long)]
    pub versions: bool,
    #[command(flatten)]
    pub server: PromptsServerArgs,
}

#[derive(Debug, Args)]
pub struct PromptsRunArgs {
    /// The prompt's name or id.
    #[arg(value_name = "NAME|ID")]
    pub prompt: String,
    /// A variable's value; converted to the variable's declared type (integer, number,
    /// boolean, json), else a string. Repeatable; overrides --inputs-json.
    #[arg(long = "input", value_name = "KEY=VALUE")]
    pub inputs: Vec<String>,
    /// A JSON object of inputs from a file, or `-` for standard input.
    #[arg(long, value_name = "FILE|-")]
    pub inputs_json: Option<PathBuf>,
    /// Run this version (default: the current one).
    #[arg(long, value_name = "N")]
    pub version: Option<String>,
    /// The job queue's order.
    #[arg(long, value_enum, default_value_t = PromptPriority::Normal)]
    pub priority: PromptPriority,
    /// Print the queued execution's id and return without waiting.
    #[arg(long)]
    pub no_wait: bool,
    #[command(flatten)]
    pub server: PromptsServerArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PromptPriority {
    Low,
    Normal,
    High,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Print one JSON object with every check.
    #[arg(long)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn flags_are_consistent() {
        super::Cli::command().debug_assert();
    }
}
