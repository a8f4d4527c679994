//! The one place that turns an outcome into an exit code and an error line.
//!
//! 0 success; 1 the work ran and failed (e.g. the generated contract is invalid); 2 bad input
//! or environment, with a one-line reason on stderr.

use std::process::ExitCode;

use apiforge_manifest::ManifestError;
use apiforge_planner::PlanError;

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
        if cause.is::<BadInput>() || cause.is::<PlanError>() || cause.is::<ManifestError>() {
            return 2;
        }
        if cause.is::<Failed>() {
            return 1;
        }
    }
    1
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
    }
}
