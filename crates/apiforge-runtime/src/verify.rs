//! `verify`: lint, format check, byte-compile and tests of a project, in ONE sandbox run on a
//! private copy of it (nothing is written back), with the runtime mounted read-only and no
//! network. A small Python driver (`driver.py`) runs the four checks side by side and prints
//! one JSON line; pytest's JUnit XML comes back inside it and is read here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use apiforge_sandbox::{AuditSink, LimitHit, Limits, RunResult, Sandbox, SandboxConfig};
use serde_json::{Value, json};

use crate::junit::{FailedTest, TestCounts, parse_junit, truncate};
use crate::python::{SANDBOX_RUNTIME_DIR, SANDBOX_SITE_PACKAGES};
use crate::{PythonRuntime, RuntimeError};

const DRIVER: &str = include_str!("driver.py");
/// Prefix of the driver's result line.
const MARK: &str = "@@apiforge-verify@@";
/// Ruff findings kept in the report.
pub const MAX_FINDINGS: usize = 50;

/// One check of a verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// `ruff check .`
    RuffCheck,
    /// `ruff format --check .`
    RuffFormat,
    /// `python3 -m compileall -q .`
    Compile,
    /// `python3 -m pytest -q`
    Tests,
}

impl Step {
    /// Every step, in report order.
    pub const ALL: [Step; 4] = [
        Self::RuffCheck,
        Self::RuffFormat,
        Self::Compile,
        Self::Tests,
    ];

    /// Stable key (`ruff_check`, `ruff_format`, `compile`, `pytest`).
    pub fn key(self) -> &'static str {
        match self {
            Self::RuffCheck => "ruff_check",
            Self::RuffFormat => "ruff_format",
            Self::Compile => "compile",
            Self::Tests => "pytest",
        }
    }

    /// The command as a person would type it.
    pub fn command(self) -> &'static str {
        match self {
            Self::RuffCheck => "ruff check .",
            Self::RuffFormat => "ruff format --check .",
            Self::Compile => "python3 -m compileall -q .",
            Self::Tests => "python3 -m pytest -q",
        }
    }
}

/// How one step went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepResult {
    /// The step.
    pub step: Step,
    /// It passed.
    pub ok: bool,
    /// How long it ran (side by side with the others).
    pub duration: Duration,
    /// Its exit code.
    pub exit_code: i32,
    /// Its combined output (capped; the end for pytest, the start for the others).
    pub output: String,
}

/// The result of [`verify`]: green when [`VerifyReport::ok`].
#[derive(Debug, Clone)]
pub struct VerifyReport {
    /// The project directory verified.
    pub project_dir: PathBuf,
    /// The sandbox run (see `apiforge sandbox audit --id`).
    pub sandbox_id: String,
    /// Every step, in [`Step::ALL`] order; empty when the run was killed first.
    pub steps: Vec<StepResult>,
    /// Test counts from pytest's JUnit report.
    pub tests: TestCounts,
    /// Every test that failed or errored.
    pub failed_tests: Vec<FailedTest>,
    /// `ruff check` findings (`file:line:col: CODE message`), at most [`MAX_FINDINGS`].
    pub ruff_findings: Vec<String>,
    /// All `ruff check` findings, also those not kept.
    pub ruff_findings_total: usize,
    /// Files `ruff format` would change.
    pub unformatted: Vec<String>,
    /// A failure of the run as a whole (a limit reached), when there is one.
    pub problem: Option<String>,
    /// Wall-clock time of the sandbox run.
    pub wall_time: Duration,
}

impl VerifyReport {
    /// The report as one JSON object: what `apiforge verify --json` prints, `generate --json`
    /// embeds and the server stores with a version.
    pub fn to_json(&self) -> Value {
        let millis = |duration: Duration| u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        let steps: Vec<_> = self
            .steps
            .iter()
            .map(|s| {
                json!({
                    "step": s.step.key(),
                    "command": s.step.command(),
                    "ok": s.ok,
                    "exit_code": s.exit_code,
                    "duration_ms": millis(s.duration),
                    "output": s.output,
                })
            })
            .collect();
        let failed: Vec<_> = self
            .failed_tests
            .iter()
            .map(|f| {
                json!({
                    "id": f.id,
                    "file": f.file,
                    "line": f.line,
                    "location": f.location(),
                    "kind": f.kind.as_str(),
                    "message": f.message,
                })
            })
            .collect();
        let t = self.tests;
        json!({
            "ok": self.ok(),
            "exit_code": if self.ok() { 0 } else { 1 },
            "project_dir": self.project_dir,
            "sandbox_id": self.sandbox_id,
            "wall_ms": millis(self.wall_time),
            "problem": self.problem,
            "steps": steps,
            "tests": {
                "passed": t.passed, "failed": t.failed, "errors": t.errors, "skipped": t.skipped,
                "total": t.total(),
            },
            "failed_tests": failed,
            "ruff_findings": self.ruff_findings,
            "ruff_findings_total": self.ruff_findings_total,
            "unformatted": self.unformatted,
        })
    }

    /// A report of run `sandbox_id` on `project_dir` with nothing recorded yet.
    fn empty(project_dir: PathBuf, sandbox_id: String, wall_time: Duration) -> Self {
        Self {
            project_dir,
            sandbox_id,
            steps: Vec::new(),
            tests: TestCounts::default(),
            failed_tests: Vec::new(),
            ruff_findings: Vec::new(),
            ruff_findings_total: 0,
            unformatted: Vec::new(),
            problem: None,
            wall_time,
        }
    }

    /// Every step ran and passed.
    pub fn ok(&self) -> bool {
        self.problem.is_none()
            && self.steps.len() == Step::ALL.len()
            && self.steps.iter().all(|s| s.ok)
    }

    /// The result of `step`, if it ran.
    pub fn step(&self, step: Step) -> Option<&StepResult> {
        self.steps.iter().find(|s| s.step == step)
    }
}

/// Options of a verification beyond the project and the runtime.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// The sandbox limits (default: 10 minutes, 1 GiB, 600 CPU seconds).
    pub limits: Limits,
    /// Where the sandbox run is recorded.
    pub audit: Option<Arc<dyn AuditSink>>,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self {
            limits: Limits {
                timeout: Duration::from_secs(600),
                memory_bytes: 1 << 30,
                cpu_seconds: 600,
                output_bytes: 16 << 20,
                tmp_bytes: 256 << 20,
                ..Limits::default()
            },
            audit: None,
        }
    }
}

/// Checks that `dir` is a generated FastAPI project and returns its canonical path.
///
/// # Errors
/// [`RuntimeError::NotAProject`] naming what is missing.
pub fn check_project(dir: &Path) -> Result<PathBuf, RuntimeError> {
    let not = |reason: &str| RuntimeError::NotAProject {
        dir: dir.to_path_buf(),
        reason: reason.to_owned(),
    };
    let canonical = dir.canonicalize().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            not("it does not exist")
        } else {
            not(&e.to_string())
        }
    })?;
    if !canonical.is_dir() {
        return Err(not("it is not a directory"));
    }
    if !canonical.join("app/main.py").is_file() {
        return Err(not("it has no app/main.py"));
    }
    Ok(canonical)
}

/// The environment of every project run: the runtime on `PYTHONPATH`, a writable `HOME`.
pub(crate) fn python_env() -> BTreeMap<String, String> {
    [
        ("PATH", apiforge_sandbox::DEFAULT_PATH),
        ("PYTHONPATH", SANDBOX_SITE_PACKAGES),
        ("HOME", "/tmp"),
        ("PYTHONDONTWRITEBYTECODE", "1"),
        ("PYTHONUNBUFFERED", "1"),
        ("PYTHONHASHSEED", "0"),
        ("XDG_CACHE_HOME", "/tmp/.cache"),
        ("LANG", "C.UTF-8"),
        ("NO_COLOR", "1"),
        ("TZ", "UTC"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// The runtime mount of every project run.
pub(crate) fn runtime_mount(runtime: &PythonRuntime) -> (PathBuf, PathBuf) {
    (
        runtime.dir().to_path_buf(),
        PathBuf::from(SANDBOX_RUNTIME_DIR),
    )
}

/// Verifies the project in `project_dir` with default options.
///
/// # Errors
/// See [`verify_with`].
pub fn verify(
    project_dir: &Path,
    runtime: &PythonRuntime,
    audit: Option<Arc<dyn AuditSink>>,
) -> Result<VerifyReport, RuntimeError> {
    verify_with(
        project_dir,
        runtime,
        &VerifyOptions {
            audit,
            ..VerifyOptions::default()
        },
    )
}

/// Runs `ruff check`, `ruff format --check`, `compileall` and `pytest` on a private copy of
/// the project in one sandbox run. Failing checks are a report that is not
/// [`VerifyReport::ok`]; errors are for what kept the checks from running.
///
/// # Errors
/// [`RuntimeError::NotAProject`], [`RuntimeError::Sandbox`] when the sandbox cannot be set
/// up, [`RuntimeError::Driver`] when the checks could not run at all.
pub fn verify_with(
    project_dir: &Path,
    runtime: &PythonRuntime,
    options: &VerifyOptions,
) -> Result<VerifyReport, RuntimeError> {
    let dir = check_project(project_dir)?;
    let mut config = SandboxConfig::new("/usr/bin/python3", ["-c", DRIVER, MARK], &dir);
    config.copy_back = false;
    config.ro_mounts = vec![runtime_mount(runtime)];
    config.env = python_env();
    config.limits = options.limits.clone();
    config.audit = options.audit.clone();
    config.project = Some(dir.display().to_string());
    let result = Sandbox::run(&config)?;
    report_from(&dir, &config.limits, &result)
}

fn report_from(
    dir: &Path,
    limits: &Limits,
    result: &RunResult,
) -> Result<VerifyReport, RuntimeError> {
    let mut report =
        VerifyReport::empty(dir.to_path_buf(), result.id.to_string(), result.wall_time);
    let stdout = result.stdout.text();
    let line = stdout.lines().rev().find_map(|l| l.strip_prefix(MARK));
    let killed = result.limits_hit.iter().find(|l| {
        matches!(
            l,
            LimitHit::Timeout | LimitHit::Memory | LimitHit::Pids | LimitHit::Disk
        )
    });
    let Some(line) = line else {
        if let Some(limit) = killed {
            report.problem = Some(describe_limit(*limit, limits));
            return Ok(report);
        }
        let stderr = result.stderr.text();
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no output");
        return Err(RuntimeError::Driver(format!(
            "the driver exited with {:?} without a result: {}",
            result.status,
            truncate(last.trim(), 300)
        )));
    };
    let value: Value = serde_json::from_str(line)
        .map_err(|e| RuntimeError::Driver(format!("unreadable driver result: {e}")))?;
    fill(&mut report, &value)?;
    if let Some(limit) = killed {
        report.problem = Some(describe_limit(*limit, limits));
    }
    Ok(report)
}

fn describe_limit(limit: LimitHit, limits: &Limits) -> String {
    match limit {
        LimitHit::Timeout => format!("timed out after {} s", limits.timeout.as_secs()),
        LimitHit::Memory => format!(
            "reached the memory limit of {} MB",
            limits.memory_bytes >> 20
        ),
        LimitHit::Pids => format!("reached the limit of {} processes", limits.pids),
        LimitHit::Disk => "filled the sandbox's work directory".to_owned(),
        other => format!("reached a limit ({})", apiforge_sandbox::limit_name(other)),
    }
}

/// Fills the report from the driver's JSON result.
fn fill(report: &mut VerifyReport, value: &Value) -> Result<(), RuntimeError> {
    let bad = |what: &str| RuntimeError::Driver(format!("driver result without {what}"));
    let steps = value
        .get("steps")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("steps"))?;
    for (step, raw) in Step::ALL.into_iter().zip(steps) {
        let exit_code = raw
            .get("exit_code")
            .and_then(Value::as_i64)
            .and_then(|c| i32::try_from(c).ok())
            .ok_or_else(|| bad("an exit code"))?;
        let seconds = raw.get("seconds").and_then(Value::as_f64).unwrap_or(0.0);
        let output = raw
            .get("output")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        report.steps.push(StepResult {
            step,
            ok: exit_code == 0,
            duration: Duration::try_from_secs_f64(seconds).unwrap_or_default(),
            exit_code,
            output,
        });
    }
    if report.steps.len() != Step::ALL.len() {
        return Err(bad("every step"));
    }
    if let Some(ruff) = report.step(Step::RuffCheck) {
        let findings = ruff_findings(&ruff.output);
        report.ruff_findings_total = findings.len();
        report.ruff_findings = findings.into_iter().take(MAX_FINDINGS).collect();
    }
    if let Some(format) = report.step(Step::RuffFormat) {
        report.unformatted = unformatted(&format.output);
    }
    if let Some(xml) = value.get("junit").and_then(Value::as_str) {
        match parse_junit(xml) {
            Ok(junit) => {
                report.tests = junit.counts;
                report.failed_tests = junit.failed;
            }
            Err(reason) => {
                if let Some(tests) = report.steps.iter_mut().find(|s| s.step == Step::Tests) {
                    tests.ok = false;
                    tests.output.push_str(&format!("\n[apiforge: {reason}]"));
                }
            }
        }
    }
    Ok(())
}

/// Files `ruff format --check` would change: `path:line:col: unformatted: …` (concise
/// output of ruff ≥ 0.9) or `Would reformat: path` (older ruff).
fn unformatted(output: &str) -> Vec<String> {
    output
        .lines()
        .filter_map(|line| {
            if let Some(path) = line.strip_prefix("Would reformat: ") {
                return Some(path.trim().to_owned());
            }
            let (location, _) = line.split_once(": unformatted:")?;
            let mut parts = location.rsplitn(3, ':');
            let (_, _, path) = (parts.next()?, parts.next()?, parts.next()?);
            Some(path.to_owned())
        })
        .collect()
}

/// `ruff check --output-format=concise` lines: `path:line:col: CODE message`.
fn ruff_findings(output: &str) -> Vec<String> {
    output
        .lines()
        .filter(|line| {
            let mut parts = line.splitn(4, ':');
            let (Some(_), Some(row), Some(col), Some(_)) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return false;
            };
            row.parse::<u32>().is_ok() && col.parse::<u32>().is_ok()
        })
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(output: &str, expect: &[&str]) {
        assert_eq!(ruff_findings(output), expect);
    }

    #[test]
    fn ruff_concise_lines() {
        check(
            "app/main.py:1:8: F401 [*] `os` imported but unused\napp/x.py:3:1: E999 SyntaxError: bad\nFound 2 errors.\n[*] 1 fixable with the `--fix` option.\n",
            &[
                "app/main.py:1:8: F401 [*] `os` imported but unused",
                "app/x.py:3:1: E999 SyntaxError: bad",
            ],
        );
        check("All checks passed!\n", &[]);
    }

    #[test]
    fn ruff_format_files() {
        assert_eq!(
            unformatted(
                "app/__init__.py:1:3: unformatted: File would be reformatted\napp/b.py:1:7: invalid-syntax: x\nWould reformat: old.py\n1 file would be reformatted\n"
            ),
            ["app/__init__.py", "old.py"]
        );
    }

    fn report() -> VerifyReport {
        VerifyReport::empty(PathBuf::from("/p"), "id".into(), Duration::ZERO)
    }

    #[test]
    fn driver_result() {
        let value = serde_json::json!({
            "steps": [
                { "name": "ruff_check", "exit_code": 1, "seconds": 0.05,
                  "output": "app/main.py:1:8: F401 [*] `os` imported but unused\nFound 1 error.\n" },
                { "name": "ruff_format", "exit_code": 1, "seconds": 0.04,
                  "output": "app/main.py:1:1: unformatted: File would be reformatted\n1 file would be reformatted\n" },
                { "name": "compile", "exit_code": 0, "seconds": 0.1, "output": "" },
                { "name": "pytest", "exit_code": 0, "seconds": 1.5, "output": "1 passed" },
            ],
            "junit": "<testsuites><testsuite><testcase classname=\"t\" name=\"a\" file=\"t.py\" line=\"0\"/></testsuite></testsuites>",
        });
        let mut got = report();
        fill(&mut got, &value).expect("complete result");
        assert!(!got.ok());
        assert_eq!(got.ruff_findings.len(), 1);
        assert_eq!(got.unformatted, ["app/main.py"]);
        assert_eq!(got.tests.passed, 1);
        assert_eq!(got.step(Step::Tests).map(|s| s.ok), Some(true));
        assert_eq!(
            got.step(Step::Compile).map(|s| s.duration),
            Some(Duration::from_millis(100))
        );

        let mut short = report();
        assert!(fill(&mut short, &serde_json::json!({ "steps": [] })).is_err());
    }

    #[test]
    fn projects_need_app_main() {
        let dir = tempfile::tempdir().expect("temp dir");
        let err = check_project(dir.path()).expect_err("empty dir");
        assert!(err.to_string().contains("no app/main.py"), "{err}");
        let err = check_project(&dir.path().join("missing")).expect_err("missing");
        assert!(err.to_string().contains("does not exist"), "{err}");
        std::fs::create_dir(dir.path().join("app")).expect("mkdir");
        std::fs::write(dir.path().join("app/main.py"), "").expect("write");
        assert!(check_project(dir.path()).is_ok());
    }
}
