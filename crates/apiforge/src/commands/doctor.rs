//! `apiforge doctor`: one line per check of this machine's set-up, each ok, warn or fail:
//! the data directory, the prepared Python runtime, the sandbox (`/bin/true` in it), the
//! database (the default SQLite file's presence, or which PostgreSQL is configured; no
//! server is contacted), the LLM configuration (`APIFORGE_LLM_*`, offline mode), each
//! provider of the chain (built, then probed), and the built-in planner.
//!
//! Exit 0 when nothing failed (warnings are fine), 1 when a check failed, 2 when the
//! settings themselves are bad (an `APIFORGE_LLM_*` value, no data directory): one line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use apiforge_llm::{Chain, LlmConfig, LlmError, ProviderKind};
use apiforge_runtime::PythonRuntime;
use apiforge_sandbox::{ExitStatus, NOBODY, Sandbox, SandboxConfig, SandboxError};
use serde_json::json;

use crate::cli::DoctorArgs;
use crate::exit::BadInput;
use crate::output::{eprint_line, print_line};
use crate::settings;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Ok,
    Warn,
    Fail,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// One check's outcome.
#[derive(Debug)]
struct Check {
    name: String,
    status: Status,
    detail: String,
}

fn check(name: impl Into<String>, status: Status, detail: impl Into<String>) -> Check {
    Check {
        name: name.into(),
        status,
        detail: one_line(&detail.into()),
    }
}

/// A message with its `hint:` line (and any other line) joined on: one line per check.
fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

pub fn run(args: &DoctorArgs) -> anyhow::Result<ExitCode> {
    // Bad settings are found before anything is checked: exit 2, one line.
    let data_dir = settings::data_dir()?;
    let llm = LlmConfig::from_env(settings::var).map_err(|e| BadInput(one_line(&e.to_string())))?;

    let mut checks = vec![
        data_dir_check(&data_dir),
        runtime_check(&data_dir),
        sandbox_check(),
        database_check(&data_dir, settings::var(settings::ENV_DATABASE_URL)),
        check("llm", Status::Ok, llm.to_string()),
    ];
    checks.extend(provider_checks(&llm)?);
    checks.push(check(
        "builtin",
        Status::Ok,
        "the built-in planner is always available (offline, deterministic; `--planner builtin`)",
    ));

    let failed = checks.iter().filter(|c| c.status == Status::Fail).count();
    let warnings = checks.iter().filter(|c| c.status == Status::Warn).count();
    if args.json {
        let list: Vec<_> = checks
            .iter()
            .map(|c| json!({ "name": c.name, "status": c.status.as_str(), "detail": c.detail }))
            .collect();
        print_line(
            &json!({
                "ok": failed == 0,
                "failed": failed,
                "warnings": warnings,
                "checks": list,
            })
            .to_string(),
        );
    } else {
        let width = checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
        for c in &checks {
            print_line(&format!(
                "{:<4}  {:<width$}  {}",
                c.status.as_str(),
                c.name,
                c.detail
            ));
        }
        eprint_line(&format!(
            "{} checks: {failed} failed, {warnings} warnings",
            checks.len()
        ));
    }
    Ok(if failed > 0 {
        crate::exit::work_failed()
    } else {
        ExitCode::SUCCESS
    })
}

/// The data directory exists and a file can be created in it (or, when it does not exist
/// yet, its nearest existing parent is writable so it can be created on first use).
fn data_dir_check(dir: &Path) -> Check {
    const NAME: &str = "data directory";
    if dir.is_dir() {
        return match tempfile::Builder::new()
            .prefix(".apiforge-doctor-")
            .tempfile_in(dir)
        {
            Ok(_) => check(NAME, Status::Ok, format!("{} (writable)", dir.display())),
            Err(e) => check(
                NAME,
                Status::Fail,
                format!(
                    "{} is not writable: {}; set {} to a directory you can write",
                    dir.display(),
                    crate::input::io_reason(&e),
                    settings::ENV_DATA_DIR
                ),
            ),
        };
    }
    if dir.exists() {
        return check(
            NAME,
            Status::Fail,
            format!("{} exists but is not a directory", dir.display()),
        );
    }
    let parent = dir.ancestors().skip(1).find(|p| p.is_dir());
    let writable = parent.is_some_and(|p| {
        tempfile::Builder::new()
            .prefix(".apiforge-doctor-")
            .tempfile_in(p)
            .is_ok()
    });
    if writable {
        check(
            NAME,
            Status::Warn,
            format!(
                "{} does not exist yet; it is created on first use",
                dir.display()
            ),
        )
    } else {
        check(
            NAME,
            Status::Fail,
            format!(
                "{} does not exist and cannot be created here; set {} to a directory you can write",
                dir.display(),
                settings::ENV_DATA_DIR
            ),
        )
    }
}

/// The prepared Python runtime of this binary's lock is installed.
fn runtime_check(data_dir: &Path) -> Check {
    const NAME: &str = "python runtime";
    let install = "run `apiforge runtimes install` (`generate` and `serve` install it on first use, with network access)";
    match PythonRuntime::list(data_dir) {
        Err(e) => check(NAME, Status::Fail, e.to_string()),
        Ok(entries) => {
            if let Some(runtime) = entries
                .iter()
                .filter(|e| e.current)
                .find_map(|e| e.runtime.as_ref())
            {
                check(
                    NAME,
                    Status::Ok,
                    format!(
                        "{} (Python {}, {} packages), current",
                        runtime.dir().display(),
                        runtime.python_version(),
                        runtime.packages().len()
                    ),
                )
            } else if entries.is_empty() {
                check(
                    NAME,
                    Status::Warn,
                    format!(
                        "not installed in {}; {install}",
                        PythonRuntime::runtimes_dir(data_dir).display()
                    ),
                )
            } else {
                check(
                    NAME,
                    Status::Warn,
                    format!(
                        "only runtimes of another lock (stale) or incomplete ones in {}; {install}",
                        PythonRuntime::runtimes_dir(data_dir).display()
                    ),
                )
            }
        }
    }
}

/// `/bin/true` in the sandbox, without an audit record; skipped with a warning when this
/// process is not root (the sandbox needs it).
fn sandbox_check() -> Check {
    const NAME: &str = "sandbox";
    match run_true() {
        Ok(detail) => check(NAME, Status::Ok, detail),
        Err(error) => {
            if let Some(SandboxError::NotRoot(_)) = error.downcast_ref::<SandboxError>() {
                check(
                    NAME,
                    Status::Warn,
                    "skipped: not root (the sandbox must be started by root; `verify`, `preview` and `sandbox run` need it)",
                )
            } else {
                let message = error
                    .chain()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(": ");
                check(NAME, Status::Fail, message)
            }
        }
    }
}

fn run_true() -> anyhow::Result<String> {
    let work = tempfile::Builder::new()
        .prefix("apiforge-doctor-")
        .tempdir()
        .context("creating a work directory")?;
    let config = SandboxConfig::new("/bin/true", Vec::<String>::new(), work.path());
    // The work directory belongs to the sandbox's user; only root can hand it over, and a
    // non-root process is refused by the sandbox itself (NotRoot) just below.
    let _ = std::os::unix::fs::chown(work.path(), Some(NOBODY), Some(NOBODY));
    let start = Instant::now();
    let result = Sandbox::run(&config)?;
    let elapsed = start.elapsed();
    if result.status != ExitStatus::Code(0) {
        anyhow::bail!(
            "/bin/true in the sandbox ended with {:?}: {}",
            result.status,
            result.stderr.text().trim()
        );
    }
    Ok(format!(
        "/bin/true ran in {:.1} ms (namespaces, seccomp, limits)",
        start_ms(elapsed)
    ))
}

fn start_ms(elapsed: std::time::Duration) -> f64 {
    (elapsed.as_secs_f64() * 10_000.0).round() / 10.0
}

/// The database `serve` would use: `DATABASE_URL` when set (PostgreSQL is not contacted),
/// else the SQLite file in the data directory, which `serve` creates.
fn database_check(data_dir: &Path, configured: Option<String>) -> Check {
    const NAME: &str = "database";
    let url = configured.clone().unwrap_or_else(|| {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        apiforge_server::ServerConfig::new(addr, data_dir.to_path_buf()).database_url()
    });
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let rest = url.split_once("://").map_or("", |(_, rest)| rest);
        // Never show credentials: only what follows `@`.
        let place = rest.rsplit_once('@').map_or(rest, |(_, place)| place);
        let place = place.split('?').next().unwrap_or_default();
        return check(
            NAME,
            Status::Ok,
            format!(
                "PostgreSQL at {place} ({}; not contacted)",
                settings::ENV_DATABASE_URL
            ),
        );
    }
    let Some(path) = url
        .strip_prefix("sqlite://")
        .or(url.strip_prefix("sqlite:"))
    else {
        return check(
            NAME,
            Status::Fail,
            format!(
                "{} must start with postgres://, postgresql:// or sqlite://",
                settings::ENV_DATABASE_URL
            ),
        );
    };
    let path = PathBuf::from(path.split('?').next().unwrap_or_default());
    let source = if configured.is_some() {
        settings::ENV_DATABASE_URL
    } else {
        "default"
    };
    match std::fs::metadata(&path) {
        Ok(meta) if meta.is_file() => check(
            NAME,
            Status::Ok,
            format!(
                "SQLite {} ({source}, {} KiB)",
                path.display(),
                meta.len() / 1024
            ),
        ),
        Ok(_) => check(
            NAME,
            Status::Fail,
            format!("SQLite {} ({source}) is not a file", path.display()),
        ),
        Err(_) => check(
            NAME,
            Status::Warn,
            format!(
                "no SQLite file yet at {} ({source}); `apiforge serve` creates it",
                path.display()
            ),
        ),
    }
}

/// Each provider of the configured chain: built (a bad URL or an offline refusal fails
/// here, without a connection), then probed with [`Chain::probe`].
fn provider_checks(config: &LlmConfig) -> anyhow::Result<Vec<Check>> {
    let kinds: Vec<ProviderKind> = config
        .chain_kinds()
        .into_iter()
        .filter(|k| *k != ProviderKind::Builtin)
        .collect();
    let mut built = Vec::new();
    let mut refused: Vec<(ProviderKind, LlmError)> = Vec::new();
    for kind in &kinds {
        match apiforge_llm::build_provider(config, *kind) {
            Ok(Some(provider)) => built.push((*kind, provider)),
            Ok(None) => {}
            Err(error) => refused.push((*kind, error)),
        }
    }
    let chain = Chain::new(
        built.iter().map(|(_, p)| Arc::clone(p)).collect(),
        config.chain_kinds().contains(&ProviderKind::Builtin),
    );
    let statuses = if chain.is_builtin_only() {
        Vec::new()
    } else {
        super::client::runtime()?.block_on(chain.probe())
    };
    let mut checks = Vec::new();
    for kind in &kinds {
        let name = format!("provider {kind}");
        if let Some((_, error)) = refused.iter().find(|(k, _)| k == kind) {
            checks.push(check(name, Status::Fail, error.to_string()));
            continue;
        }
        let Some(index) = built.iter().position(|(k, _)| k == kind) else {
            continue;
        };
        let Some(status) = statuses.get(index) else {
            continue;
        };
        checks.push(match &status.result {
            Ok(description) => check(
                name,
                Status::Ok,
                format!("{description} ({})", status.model),
            ),
            Err(error) => check(
                name,
                Status::Fail,
                format!("{} ({}): {error}", status.provider, status.model),
            ),
        });
    }
    Ok(checks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_are_one_line() {
        assert_eq!(
            one_line("could not reach x: refused\nhint: is it running?"),
            "could not reach x: refused; hint: is it running?"
        );
    }

    #[test]
    fn missing_data_dir_with_a_writable_parent_is_a_warning() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let fresh = data_dir_check(&dir.path().join("a/b"));
        assert_eq!(fresh.status, Status::Warn, "{fresh:?}");
        let existing = data_dir_check(dir.path());
        assert_eq!(existing.status, Status::Ok, "{existing:?}");
        let missing_db = database_check(dir.path(), None);
        assert_eq!(missing_db.status, Status::Warn, "{missing_db:?}");
        let postgres = database_check(
            dir.path(),
            Some("postgres://user:pw@db.example:5432/forge?sslmode=require".into()),
        );
        assert_eq!(postgres.status, Status::Ok, "{postgres:?}");
        assert_eq!(
            postgres.detail,
            "PostgreSQL at db.example:5432/forge (DATABASE_URL; not contacted)"
        );
    }
}
