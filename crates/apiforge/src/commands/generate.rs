//! `apiforge generate`: input → manifest → contract (validated) → project files → written
//! into DIR (a new project, or a regeneration when DIR has `.apiforge/lock.json`) → verify.
//!
//! Each stage's time is shown on stderr as it ends (`plan 1.2 ms`); the files written, the
//! diffs and the conflicts go to stdout; `--json` prints one result object instead of both.
//! The directory is checked before any work, so a bad one is reported in one line with
//! nothing else printed. Exit codes: 0 ok; 1 an invalid contract (nothing written), conflicts
//! left by a regeneration (generated files edited by hand that the new generation changes:
//! left alone and listed; `--force` overwrites them) or a failed verification; 2 bad input.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use apiforge_codegen::{Ownership, Project, Target};
use apiforge_manifest::ValidManifest;
use apiforge_project::{Action, DirState, ProjectError, Report};
use apiforge_runtime::VerifyReport;
use serde_json::{Value, json};

use crate::cli::{GenerateArgs, InputArgs, ProjectTarget};
use crate::exit::{BadInput, Failed};
use crate::output::{eprint_line, print_line, print_raw};

pub fn run(args: &GenerateArgs) -> anyhow::Result<ExitCode> {
    let target = target(args.target)?;
    let dir = args.output.as_path();
    let state = check_dir(dir, target, args.force)?;
    let mut stages = Stages::new(!args.json);
    let Generated {
        project,
        report,
        verify,
    } = pipeline(
        &args.input,
        target,
        dir,
        &state,
        args.force,
        !args.no_verify,
        &mut stages,
    )?;

    let conflicts = conflicts_message(&report);
    let verify_failed = (!verify.ok()).then(|| {
        format!(
            "the generated project failed verification in {}; the report above says which check failed (`apiforge verify {}` reruns it)",
            dir.display(),
            dir.display()
        )
    });
    if args.json {
        let mut result = result_json(&project, &report, &stages, &verify);
        if let Some(message) = conflicts.as_ref().or(verify_failed.as_ref()) {
            result["ok"] = Value::Bool(false);
            result["error"] = Value::String(message.clone());
        }
        print_line(&result.to_string());
        return Ok(if conflicts.is_some() || verify_failed.is_some() {
            crate::exit::work_failed()
        } else {
            ExitCode::SUCCESS
        });
    }
    print_report(&project, &report);
    if let Verify::Ran(report) = &verify {
        for line in super::verify::report_lines(report) {
            print_line(&line);
        }
    }
    match conflicts.or(verify_failed) {
        Some(message) => Err(Failed(message).into()),
        None => Ok(ExitCode::SUCCESS),
    }
}

/// What [`pipeline`] produced.
pub(crate) struct Generated {
    pub project: Project,
    pub report: Report,
    pub verify: Verify,
}

/// The stages in order (plan, spec, codegen, write, then runtime and verify unless `verify`
/// is false) into `dir`, whose `state` [`check_dir`] found; each stage's time goes into
/// `stages`. A failed verification is in the result, not an error.
pub(crate) fn pipeline(
    input: &InputArgs,
    target: Target,
    dir: &Path,
    state: &DirState,
    force: bool,
    verify: bool,
    stages: &mut Stages,
) -> anyhow::Result<Generated> {
    let manifest = stages.time("plan", || crate::input::manifest(input))?;
    stages.time("spec", || validate_contract(&manifest))?;
    let project = stages.time("codegen", || codegen(&manifest, target))?;
    let report = stages.time("write", || write(dir, state, &project, force))?;
    let verify = run_verify(dir, verify, stages)?;
    Ok(Generated {
        project,
        report,
        verify,
    })
}

fn target(target: ProjectTarget) -> Result<Target, BadInput> {
    match target {
        ProjectTarget::Fastapi => Ok(Target::FastApi),
        ProjectTarget::Express => Err(BadInput(
            "target express is not available yet: only fastapi; use --target fastapi".into(),
        )),
    }
}

/// What DIR holds, refusing before any work what the write would refuse after it.
pub(crate) fn check_dir(dir: &Path, target: Target, force: bool) -> Result<DirState, ProjectError> {
    let state = apiforge_project::inspect(dir)?;
    match &state {
        DirState::NotEmpty if !force => Err(ProjectError::NotEmpty { dir: dir.into() }),
        DirState::Project(lock) if lock.target != target.name() => {
            Err(ProjectError::TargetMismatch {
                dir: dir.into(),
                found: lock.target.clone(),
                wanted: target.name().to_owned(),
            })
        }
        _ => Ok(state),
    }
}

/// The contract must be valid OpenAPI 3.1 before anything is written.
fn validate_contract(manifest: &ValidManifest) -> anyhow::Result<()> {
    let document = apiforge_spec::generate(manifest);
    apiforge_spec::validate(&document).map_err(|invalid| {
        Failed(format!(
            "the generated contract is not valid OpenAPI 3.1, so nothing was written ({invalid}); please report the input"
        ))
        .into()
    })
}

fn codegen(manifest: &ValidManifest, target: Target) -> anyhow::Result<Project> {
    let mut project =
        apiforge_codegen::generate(manifest, target).context("generating the project")?;
    apiforge_project::add_manifest(&mut project, manifest);
    Ok(project)
}

fn write(
    dir: &Path,
    state: &DirState,
    project: &Project,
    force: bool,
) -> Result<Report, ProjectError> {
    match state {
        DirState::Project(_) => apiforge_project::regenerate(dir, project, force),
        DirState::Missing | DirState::Empty | DirState::NotEmpty => {
            apiforge_project::write_new(dir, project, force)
        }
    }
}

/// The verify stage's outcome.
#[derive(Debug)]
pub(crate) enum Verify {
    /// `--no-verify`.
    Skipped,
    /// The sandboxed ruff, compileall and pytest report.
    Ran(Box<VerifyReport>),
}

impl Verify {
    pub(crate) fn ok(&self) -> bool {
        match self {
            Self::Skipped => true,
            Self::Ran(report) => report.ok(),
        }
    }
}

/// Runs the verify stage: the prepared runtime (installed on first use), then ruff,
/// compileall and pytest of the written project in the sandbox.
fn run_verify(dir: &Path, verify: bool, stages: &mut Stages) -> anyhow::Result<Verify> {
    if !verify {
        return Ok(Verify::Skipped);
    }
    let quiet = !stages.human;
    let runtime = stages.time("runtime", || super::runtimes::ensure(quiet))?;
    let audit = super::verify::audit_log()?;
    let report = stages.time("verify", || {
        apiforge_runtime::verify(dir, &runtime, Some(audit))
    })?;
    Ok(Verify::Ran(Box::new(report)))
}

fn verify_json(verify: &Verify) -> Value {
    match verify {
        Verify::Skipped => Value::Null,
        Verify::Ran(report) => report.to_json(),
    }
}

/// Stage timings, printed on stderr as each stage ends (human mode).
pub(crate) struct Stages {
    human: bool,
    done: Vec<(&'static str, Duration)>,
}

impl Stages {
    pub(crate) fn new(human: bool) -> Self {
        Self {
            human,
            done: Vec::new(),
        }
    }

    /// Runs one stage; a stage that fails is not listed (its error says what happened).
    fn time<T, E>(
        &mut self,
        name: &'static str,
        stage: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        let start = Instant::now();
        let result = stage()?;
        let elapsed = start.elapsed();
        if self.human {
            eprint_line(&format!("{name} {} ms", millis(elapsed)));
        }
        self.done.push((name, elapsed));
        Ok(result)
    }

    /// The stages that completed, in order, with their times.
    pub(crate) fn done(&self) -> &[(&'static str, Duration)] {
        &self.done
    }

    fn to_json(&self) -> Value {
        self.done
            .iter()
            .map(|(name, d)| json!({ "name": name, "ms": millis(*d) }))
            .collect()
    }
}

/// Milliseconds with one decimal: the fast stages take well under one.
fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}

/// One line, or `None` when the regeneration left no conflict.
fn conflicts_message(report: &Report) -> Option<String> {
    let conflicts = report.conflicts();
    if conflicts.is_empty() {
        return None;
    }
    let list = conflicts
        .iter()
        .map(|f| format!("{} ({})", f.path, f.action.reason().unwrap_or("conflict")))
        .collect::<Vec<_>>()
        .join(", ");
    let (count, verb) = match conflicts.len() {
        1 => ("1 file was".to_owned(), "changes it"),
        n => (format!("{n} files were"), "changes them"),
    };
    Some(format!(
        "{count} left alone because the regeneration {verb}: {list}; merge the diff shown above by hand, or rerun with --force to overwrite"
    ))
}

fn ownership(ownership: Ownership) -> &'static str {
    match ownership {
        Ownership::Generated => "generated",
        Ownership::User => "user",
    }
}

fn result_json(project: &Project, report: &Report, stages: &Stages, verify: &Verify) -> Value {
    let files: Vec<Value> = report
        .files
        .iter()
        .map(|f| {
            json!({
                "path": f.path,
                "ownership": ownership(f.ownership),
                "action": f.action.as_str(),
                "sha256": f.sha256,
            })
        })
        .collect();
    let conflicts: Vec<Value> = report
        .conflicts()
        .iter()
        .map(|f| json!({ "path": f.path, "reason": f.action.reason() }))
        .collect();
    let diffs: Vec<Value> = report
        .diffs
        .iter()
        .map(|d| {
            json!({
                "path": d.path,
                "action": d.action.as_str(),
                "added": d.added,
                "removed": d.removed,
                "diff": d.unified,
            })
        })
        .collect();
    json!({
        "ok": true,
        "dir": report.dir.display().to_string(),
        "target": project.target.name(),
        "manifest_sha256": project.manifest_sha256,
        "regenerated": report.regenerated,
        "stages": stages.to_json(),
        "files": files,
        "conflicts": conflicts,
        "diffs": diffs,
        "lock_written": report.lock_written,
        "verify": verify_json(verify),
    })
}

/// The files written (and, on regeneration, the diff and the conflicts) on stdout.
fn print_report(project: &Project, report: &Report) {
    let verb = if report.regenerated {
        "regenerated"
    } else {
        "generated"
    };
    let hash = project.manifest_sha256.get(..12).unwrap_or_default();
    print_line(&format!(
        "{verb} {} project in {} (manifest {hash})",
        project.target.name(),
        report.dir.display()
    ));
    let mut unchanged = 0;
    for file in &report.files {
        if file.action == Action::Unchanged {
            unchanged += 1;
            continue;
        }
        let mut line = format!("  {:<11} {}", file.action.as_str(), file.path);
        if let Some(diff) = report.diffs.iter().find(|d| d.path == file.path) {
            line.push_str(&format!(" (+{} -{})", diff.added, diff.removed));
        }
        if let Some(reason) = file.action.reason() {
            line.push_str(&format!(": {reason}"));
        }
        print_line(&line);
    }
    if unchanged > 0 {
        print_line(&format!(
            "  {unchanged} file{} unchanged",
            if unchanged == 1 { "" } else { "s" }
        ));
    }
    for diff in &report.diffs {
        print_raw(&diff.unified);
        if !diff.unified.ends_with('\n') {
            print_line("");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use apiforge_project::FileOutcome;

    fn outcome(path: &str, action: Action) -> FileOutcome {
        FileOutcome {
            path: path.into(),
            ownership: Ownership::Generated,
            action,
            sha256: None,
        }
    }

    fn check(files: Vec<FileOutcome>, expect: Option<&str>) {
        let report = Report {
            dir: "/p".into(),
            regenerated: true,
            files,
            diffs: Vec::new(),
            lock_written: true,
        };
        assert_eq!(conflicts_message(&report).as_deref(), expect);
    }

    #[test]
    fn conflict_lines() {
        check(vec![outcome("a.py", Action::Updated)], None);
        check(
            vec![outcome("a.py", Action::ConflictEdited)],
            Some(
                "1 file was left alone because the regeneration changes it: a.py (edited since it was generated); merge the diff shown above by hand, or rerun with --force to overwrite",
            ),
        );
        check(
            vec![
                outcome("a.py", Action::ConflictEdited),
                outcome("b.md", Action::ConflictUntracked),
            ],
            Some(
                "2 files were left alone because the regeneration changes them: a.py (edited since it was generated), b.md (exists but was not written by apiforge); merge the diff shown above by hand, or rerun with --force to overwrite",
            ),
        );
    }

    #[test]
    fn express_is_not_available_yet() {
        assert!(target(ProjectTarget::Fastapi).is_ok());
        let error = target(ProjectTarget::Express)
            .map(|_| ())
            .expect_err("express is refused");
        assert!(error.0.contains("not available yet: only fastapi"));
    }
}
