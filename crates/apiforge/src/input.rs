//! Resolving where the API description comes from (prompt, stdin, CSV, manifest file) into
//! one validated manifest. Every failure here is the user's input: exit 2.

use std::io::Read;
use std::path::Path;

use anyhow::Context;
use apiforge_manifest::{Manifest, ValidManifest};

use crate::cli::{InputArgs, PlannerKind};
use crate::exit::BadInput;

/// Largest CSV or manifest file read, in bytes: far beyond any real schema, small enough
/// that a wrong path to a disk image fails fast.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Plans (or loads) the manifest the arguments describe.
pub fn manifest(args: &InputArgs) -> anyhow::Result<ValidManifest> {
    // The providers are checked (offline mode included) before any input is read, so a
    // refused provider is the first thing the user hears about.
    let chain = match args.planner {
        PlannerKind::Llm => Some(llm_chain(args.offline)?),
        PlannerKind::Builtin => None,
    };
    if let Some(path) = &args.manifest {
        let text = read_text(path, "manifest")?;
        return Manifest::parse_json(&text).with_context(|| path.display().to_string());
    }
    if let Some(path) = &args.csv {
        let bytes = read_bytes(path, "CSV")?;
        let name = path
            .file_name()
            .map_or_else(|| path.to_string_lossy(), |n| n.to_string_lossy());
        return apiforge_planner::plan_csv(&name, &bytes)
            .with_context(|| path.display().to_string());
    }
    let prompt = match args.prompt.as_deref() {
        Some("-") => read_stdin()?,
        Some(prompt) => prompt.to_owned(),
        None => {
            return Err(BadInput(
                "no input: give a prompt (or `-` for standard input), --csv FILE or --manifest FILE".into(),
            )
            .into());
        }
    };
    match chain {
        Some(chain) => plan_with_llm(&chain, &prompt),
        None => Ok(apiforge_planner::plan_prompt(&prompt)?),
    }
}

/// The configured providers (`APIFORGE_LLM_*`; `--offline` or `APIFORGE_OFFLINE` allows
/// loopback ones only). A bad or refused provider, or none, is the user's to fix (exit 2).
pub(crate) fn llm_chain(offline: bool) -> anyhow::Result<apiforge_llm::Chain> {
    let mut config = apiforge_llm::LlmConfig::from_env(crate::settings::var)
        .map_err(|e| BadInput(e.to_string()))?;
    config.offline |= offline;
    let chain = apiforge_llm::Chain::from_config(&config).map_err(|e| BadInput(e.to_string()))?;
    if chain.is_builtin_only() {
        return Err(BadInput(format!(
            "--planner llm needs a provider: set {}=ollama or openai (and {} if it is not on its default port)",
            apiforge_llm::env::PROVIDER,
            apiforge_llm::env::BASE_URL
        ))
        .into());
    }
    Ok(chain)
}

/// The LLM planner (the built-in planner's result when no provider gives a valid manifest);
/// how it went is one line on stderr.
fn plan_with_llm(chain: &apiforge_llm::Chain, prompt: &str) -> anyhow::Result<ValidManifest> {
    apiforge_planner::check_prompt(prompt)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let (manifest, note) = runtime.block_on(apiforge_server::plan_with_llm(
        chain,
        apiforge_planner::llm::PLANNER_TEMPLATE,
        prompt,
    ))?;
    crate::output::eprint_line(&note.describe());
    Ok(manifest)
}

fn read_stdin() -> anyhow::Result<String> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_FILE_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| BadInput(format!("cannot read the prompt from standard input: {e}")))?;
    String::from_utf8(bytes).map_err(|_| {
        BadInput("the prompt on standard input is not UTF-8 text; pass plain text".into()).into()
    })
}

fn read_bytes(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    let unreadable = |e: std::io::Error| {
        BadInput(format!(
            "cannot read {what} file {}: {}",
            path.display(),
            io_reason(&e)
        ))
    };
    let metadata = std::fs::metadata(path).map_err(unreadable)?;
    if metadata.is_dir() {
        return Err(BadInput(format!(
            "{what} file {} is a directory; give a file",
            path.display()
        ))
        .into());
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(BadInput(format!(
            "{what} file {} is {} MiB; the limit is {} MiB",
            path.display(),
            metadata.len() / (1024 * 1024),
            MAX_FILE_BYTES / (1024 * 1024)
        ))
        .into());
    }
    std::fs::read(path).map_err(|e| unreadable(e).into())
}

/// The reason of an I/O error in words, without the OS error number.
pub fn io_reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::IsADirectory => "it is a directory".into(),
        _ => error.to_string(),
    }
}

fn read_text(path: &Path, what: &str) -> anyhow::Result<String> {
    let bytes = read_bytes(path, what)?;
    String::from_utf8(bytes)
        .map_err(|_| BadInput(format!("{what} file {} is not UTF-8 text", path.display())).into())
}
