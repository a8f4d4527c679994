//! The one place that turns an outcome into an exit code and an error line.
//!
//! 0 success; 1 the work ran and failed (e.g. the generated contract is invalid); 2 bad input
//! or environment, with a one-line reason on stderr. `sandbox run` exits with the sandboxed
//! command's own code (128 + signal when it was killed), so there 2 is ambiguous by nature:
//! a set-up failure is told apart by its `error:` line (or `"ok": false` with `--json`).
//! `generate` exits 1 when a regeneration leaves conflicts (generated files edited by hand
//! that the new generation would change: left alone, listed, `--force` overwrites them) or
//! when verification fails.

use std::process::ExitCode;

use apiforge_manifest::ManifestError;
use apiforge_planner::PlanError;
use apiforge_project::ProjectError;
use apiforge_runtime::RuntimeError;
use apiforge_sandbox::{AuditError, ExitStatus, SandboxError};

/// An error caused by what the user gave us (arguments, files, environment): exit 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

/// The work ran and its result is a failure (exit 1), already explained by the message.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Failed(pub String);

/// Exit code for an error, from the first classified cause in its chain.
pub fn code_for(error: &anyhow::Error) -> u8 {
    for cause in error.chain() {
        // The project directory is the user's (not empty, a file, a link inside, unwritable):
        // exit 2; an unsafe path from the generator is our bug: exit 1.
        if let Some(project) = cause.downcast_ref::<ProjectError>() {
            return if project.is_internal() { 1 } else { 2 };
        }
        // The previewed app died (the project's failure): 1; a missing runtime, no
        // network while installing, not a project, no sandbox: 2.
        if let Some(runtime) = cause.downcast_ref::<RuntimeError>() {
            return if runtime.is_project_failure() { 1 } else { 2 };
        }
        if cause.is::<BadInput>()
            || cause.is::<PlanError>()
            || cause.is::<ManifestError>()
            // The sandbox could not be set up, or its run could not be audited: environment.
            || cause.is::<SandboxError>()
            || cause.is::<AuditError>()
        {
            return 2;
        }
        if cause.is::<Failed>() {
            return 1;
        }
    }
    1
}

/// The work ran and failed, and the command already printed why (e.g. `generate --json` with
/// conflicts: its result object says so).
pub fn work_failed() -> ExitCode {
    ExitCode::from(1)
}

/// The exit code of a sandboxed command: its own code, or 128 + the signal that killed it as
/// shells report it.
pub fn status_code(status: ExitStatus) -> u8 {
    let code = match status {
        ExitStatus::Code(code) => code,
        ExitStatus::Signal(signal) => 128 + signal,
        // Killed at the timeout: by SIGKILL, 9 on every Linux architecture.
        ExitStatus::Killed => 128 + 9,
    };
    u8::try_from(code & 0xff).unwrap_or(1)
}

/// Prints the error (one line, or one JSON object with `--json`) and returns its exit code.
pub fn report(error: &anyhow::Error, json: bool) -> ExitCode {
    let code = code_for(error);
    // One line: the context chain joined, newlines flattened.
    let message = error
        .chain()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
        .replace('\n', " ");
    if json {
        let object = serde_json::json!({ "ok": false, "exit_code": code, "error": message });
        crate::output::print_line(&object.to_string());
    } else {
        crate::output::eprint_line(&format!("error: {message}"));
    }
    ExitCode::from(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(error: anyhow::Error, expect: u8) {
        assert_eq!(code_for(&error), expect, "{error:#}");
    }

    #[test]
    fn codes() {
        check(anyhow::Error::new(BadInput("x".into())), 2);
        check(
            anyhow::Error::new(PlanError::EmptyPrompt).context("planning"),
            2,
        );
        check(anyhow::Error::new(Failed("tests failed".into())), 1);
        check(anyhow::anyhow!("unexpected"), 1);
        check(
            anyhow::Error::new(SandboxError::NotRoot(65534)).context("sandbox"),
            2,
        );
        check(
            anyhow::Error::new(ProjectError::NotEmpty {
                dir: "/tmp/x".into(),
            })
            .context("writing the project"),
            2,
        );
        check(
            anyhow::Error::new(ProjectError::InvalidPath {
                path: "../x".into(),
                reason: "it leaves the project directory (`..`)",
            }),
            1,
        );
    }

    #[test]
    fn command_status() {
        assert_eq!(status_code(ExitStatus::Code(7)), 7);
        assert_eq!(status_code(ExitStatus::Signal(15)), 143);
        assert_eq!(status_code(ExitStatus::Killed), 137);
    }
}
