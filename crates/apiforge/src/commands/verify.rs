//! `apiforge verify DIR`: ruff, compileall and pytest of a project, in the sandbox, on a
//! private copy (the directory is left as it was), with the prepared runtime and no network.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use apiforge_runtime::{PythonRuntime, Step, VerifyReport, check_project, verify};
use apiforge_sandbox::{AuditLog, AuditSink};
use indicatif::ProgressBar;

use crate::cli::VerifyArgs;
use crate::exit::{self, BadInput};
use crate::output::{eprint_line, print_line};
use crate::settings;

/// Failing lines of a step's output shown without `--json`.
const OUTPUT_LINES: usize = 20;

pub fn run(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let dir = check_project(&args.dir)?;
    // The providers are checked before anything runs (a refused one is exit 2 at once).
    let chain = if args.fix {
        Some(crate::input::llm_chain(args.offline)?)
    } else {
        None
    };
    let data_dir = settings::data_dir()?;
    let runtime = PythonRuntime::find(&data_dir)?;
    let audit = audit_log()?;

    let spinner = (!args.json && std::io::stderr().is_terminal()).then(|| {
        let spinner = ProgressBar::new_spinner();
        spinner.set_message(format!("verifying {} in the sandbox", dir.display()));
        spinner.enable_steady_tick(Duration::from_millis(100));
        spinner
    });
    if spinner.is_none() && !args.json {
        eprint_line(&format!(
            "verifying {} in the sandbox (ruff, compileall, pytest)",
            dir.display()
        ));
    }
    let report = verify(&dir, &runtime, Some(Arc::clone(&audit)));
    if let Some(spinner) = spinner {
        spinner.finish_and_clear();
    }
    let report = report?;
    if let Some(chain) = chain.filter(|_| !report.ok()) {
        return super::fix::run(&dir, &chain, &runtime, audit, report, args.json);
    }
    if args.json {
        print_line(&report.to_json().to_string());
    } else {
        for line in report_lines(&report) {
            print_line(&line);
        }
    }
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        exit::work_failed()
    })
}

/// The sandbox audit log, checked writable (a run that cannot be audited must not happen).
pub(crate) fn audit_log() -> Result<Arc<dyn AuditSink>, BadInput> {
    let audit = AuditLog::new(settings::audit_dir()?).with_retention(settings::audit_retention()?);
    audit.check().map_err(|e| {
        BadInput(format!(
            "cannot write the audit log {}: {}",
            audit.path().display(),
            e.to_string().lines().next().unwrap_or_default()
        ))
    })?;
    Ok(Arc::new(audit))
}

fn first_lines(text: &str, count: usize) -> impl Iterator<Item = String> + '_ {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .take(count)
        .map(|l| format!("    {l}"))
}

fn last_lines(text: &str, count: usize) -> Vec<String> {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(count)..]
        .iter()
        .map(|l| format!("    {l}"))
        .collect()
}

/// The human-readable report.
pub(crate) fn report_lines(report: &VerifyReport) -> Vec<String> {
    let mut lines = vec![format!(
        "verify {}  (sandbox {})",
        report.project_dir.display(),
        report.sandbox_id
    )];
    for step in &report.steps {
        let mut line = format!(
            "  {:<7} {:<28} {:>6.2} s",
            if step.ok { "ok" } else { "FAILED" },
            step.step.command(),
            step.duration.as_secs_f64()
        );
        if step.step == Step::Tests {
            let t = report.tests;
            line.push_str(&format!(
                "   {} passed, {} failed, {} errors, {} skipped",
                t.passed, t.failed, t.errors, t.skipped
            ));
        }
        lines.push(line);
    }
    if !report.ruff_findings.is_empty() {
        lines.push(format!("ruff findings ({}):", report.ruff_findings_total));
        lines.extend(report.ruff_findings.iter().map(|f| format!("    {f}")));
        if report.ruff_findings_total > report.ruff_findings.len() {
            lines.push(format!(
                "    … {} more",
                report.ruff_findings_total - report.ruff_findings.len()
            ));
        }
    }
    if !report.unformatted.is_empty() {
        lines.push("would be reformatted by `ruff format`:".to_owned());
        lines.extend(report.unformatted.iter().map(|f| format!("    {f}")));
    }
    if let Some(compile) = report.step(Step::Compile).filter(|s| !s.ok) {
        lines.push("compileall:".to_owned());
        lines.extend(first_lines(&compile.output, OUTPUT_LINES));
    }
    if !report.failed_tests.is_empty() {
        lines.push("failed tests:".to_owned());
        for test in &report.failed_tests {
            lines.push(format!(
                "    {} {}  ({})  {}",
                test.kind.as_str(),
                test.id,
                test.location(),
                test.message
            ));
        }
    } else if let Some(tests) = report.step(Step::Tests).filter(|s| !s.ok) {
        lines.push("pytest:".to_owned());
        lines.extend(last_lines(&tests.output, OUTPUT_LINES));
    }
    if let Some(problem) = &report.problem {
        lines.push(format!("the sandbox run {problem}"));
    }
    lines.push(format!(
        "result: {} in {:.1} s",
        if report.ok() { "ok" } else { "FAILED" },
        report.wall_time.as_secs_f64()
    ));
    lines
}
