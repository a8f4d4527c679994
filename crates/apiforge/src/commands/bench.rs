//! `apiforge bench sandbox`: start-to-exit wall time of `/bin/true` and `python3 -c pass` in
//! our sandbox and in bubblewrap with the same namespaces and mounts, median and P95.
//!
//! Each timed run is one `Sandbox::run` (fork to reaped exit, cgroups created and removed) or
//! one `bwrap` process (spawn to reaped exit). The two alternate run by run, so a slow patch
//! of the machine hits both alike; one untimed warm-up run of each comes first.
//!
//! `apiforge bench generate CORPUS`: prompt → verified FastAPI project for every corpus case,
//! each run `generate`'s own pipeline into a fresh temporary directory with verification on.
//! The runtime is installed (when missing) before the first timed run, so the figures are
//! those of a forge that has been used once. A total is the pipeline's wall time, plan to the
//! end of verify; the verify stage's checks (ruff, compile, pytest) run side by side in one
//! sandbox, so their times overlap and do not add up to the stage.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use apiforge_codegen::Target;
use apiforge_planner::eval::{CaseInput, parse_corpus};
use apiforge_sandbox::{ExitStatus, NOBODY, Sandbox, SandboxConfig};
use serde_json::{Value, json};

use super::generate::{Generated, Stages, Verify, check_dir, pipeline};
use crate::cli::{
    BenchArgs, BenchCommand, BenchGenerateArgs, BenchSandboxArgs, InputArgs, PlannerKind,
};
use crate::exit::{BadInput, Failed};
use crate::output::{eprint_line, print_line};

const DEFAULT_RUNS: usize = 200;
const MAX_RUNS: usize = 100_000;
const BWRAP: &str = "/usr/bin/bwrap";
const PYTHON: &str = "/usr/bin/python3";
/// The budget: P95 of `/bin/true` at most this, and within this factor of bubblewrap.
const BUDGET_P95: Duration = Duration::from_millis(20);
const BUDGET_RATIO: f64 = 1.5;
/// `bench generate`: timed runs per case when `--runs` is not given.
const DEFAULT_GENERATE_RUNS: usize = 1;
/// The budget for prompt → verified project: P95 at most this.
const BUDGET_GENERATE_P95: Duration = Duration::from_secs(10);

pub fn run(args: &BenchArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        BenchCommand::Sandbox(sandbox) => bench_sandbox(sandbox),
        BenchCommand::Generate(generate) => bench_generate(generate),
        BenchCommand::Api(api) => super::bench_http::bench_api(api),
        BenchCommand::Jobs(jobs) => super::bench_http::bench_jobs(jobs),
    }
}

/// Median and 95th percentile of a set of samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Figures {
    median: Duration,
    p95: Duration,
}

/// Nearest-rank percentile (`p` in 0..=100) of sorted samples: the smallest sample with at
/// least `p` % of the samples at or below it.
pub(super) fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted[rank.min(sorted.len()) - 1]
}

fn figures(mut samples: Vec<Duration>) -> Figures {
    samples.sort_unstable();
    Figures {
        median: percentile(&samples, 50),
        p95: percentile(&samples, 95),
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}

fn ratio(ours: Duration, theirs: Duration) -> Option<f64> {
    let theirs = theirs.as_secs_f64();
    (theirs > 0.0).then(|| (ours.as_secs_f64() / theirs * 100.0).round() / 100.0)
}

fn parse_runs(text: Option<&str>, default: usize) -> Result<usize, BadInput> {
    let Some(text) = text else {
        return Ok(default);
    };
    text.trim()
        .parse::<usize>()
        .ok()
        .filter(|n| (1..=MAX_RUNS).contains(n))
        .ok_or_else(|| {
            BadInput(format!(
                "--runs {text:?}: give a whole number of runs, from 1 to {MAX_RUNS}"
            ))
        })
}

/// The bubblewrap command line equivalent to our sandbox: user, pid, net, ipc and uts
/// namespaces, read-only `/usr` with this host's merged-`/usr` links, fresh `/proc`, `/dev`
/// and `/tmp`, the work directory read-write at `/app`.
fn bwrap_command(work: &Path, program: &str, args: &[&str]) -> Command {
    let mut command = Command::new(BWRAP);
    command.args([
        "--unshare-user",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-uts",
        "--die-with-parent",
        "--ro-bind",
        "/usr",
        "/usr",
    ]);
    for top in ["bin", "lib", "lib32", "lib64", "libx32", "sbin"] {
        if Path::new("/usr").join(top).is_dir() {
            command.args(["--symlink", &format!("usr/{top}"), &format!("/{top}")]);
        }
    }
    command
        .args([
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--bind",
        ])
        .arg(work)
        .args(["/app", "--chdir", "/app", program])
        .args(args)
        .env_clear()
        .env("PATH", apiforge_sandbox::DEFAULT_PATH)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// One timed bubblewrap run; an error names why it did not run or did not exit 0.
fn time_bwrap(work: &Path, program: &str, args: &[&str]) -> Result<Duration, String> {
    let start = Instant::now();
    let status = bwrap_command(work, program, args)
        .status()
        .map_err(|e| format!("{BWRAP}: {e}"))?;
    let elapsed = start.elapsed();
    if status.success() {
        Ok(elapsed)
    } else {
        Err(format!("{BWRAP} … {program} ended with {status}"))
    }
}

fn time_ours(config: &SandboxConfig) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let result = Sandbox::run(config).context("starting the sandbox")?;
    let elapsed = start.elapsed();
    if result.status != ExitStatus::Code(0) {
        return Err(Failed(format!(
            "{} in the sandbox ended with {:?}: {}",
            config.command,
            result.status,
            result.stderr.text().trim()
        ))
        .into());
    }
    Ok(elapsed)
}

/// The figures of one command.
struct Row {
    name: &'static str,
    argv: Vec<&'static str>,
    ours: Figures,
    bwrap: Option<Figures>,
}

fn bench_sandbox(args: &BenchSandboxArgs) -> anyhow::Result<ExitCode> {
    let runs = parse_runs(args.runs.as_deref(), DEFAULT_RUNS)?;
    let work = tempfile::Builder::new()
        .prefix("apiforge-bench-")
        .tempdir()
        .context("creating the benchmark's work directory")?;
    std::os::unix::fs::chown(work.path(), Some(NOBODY), Some(NOBODY)).map_err(|e| {
        BadInput(format!(
            "cannot hand the work directory to uid {NOBODY}: {e} (the sandbox must be started by root)"
        ))
    })?;

    // Whether bubblewrap can be compared, or why not.
    let mut bwrap: Result<PathBuf, String> = if Path::new(BWRAP).exists() {
        Ok(PathBuf::from(BWRAP))
    } else {
        Err(format!(
            "{BWRAP} is not installed (Debian: apt-get install bubblewrap)"
        ))
    };

    let commands: [(&'static str, &'static str, Vec<&'static str>); 2] = [
        ("/bin/true", "/bin/true", vec![]),
        ("python3 -c pass", PYTHON, vec!["-c", "pass"]),
    ];
    let mut rows = Vec::new();
    for (name, program, program_args) in commands {
        let config = SandboxConfig::new(program, program_args.iter().copied(), work.path());
        time_ours(&config)?;
        let mut compare = bwrap.is_ok();
        if compare && let Err(why) = time_bwrap(work.path(), program, &program_args) {
            bwrap = Err(why);
            compare = false;
        }
        let mut ours = Vec::with_capacity(runs);
        let mut theirs = Vec::with_capacity(runs);
        for _ in 0..runs {
            ours.push(time_ours(&config)?);
            if compare {
                match time_bwrap(work.path(), program, &program_args) {
                    Ok(d) => theirs.push(d),
                    Err(why) => {
                        bwrap = Err(why);
                        compare = false;
                    }
                }
            }
        }
        let mut argv = vec![program];
        argv.extend(program_args);
        rows.push(Row {
            name,
            argv,
            ours: figures(ours),
            bwrap: compare.then(|| figures(theirs)),
        });
    }
    // A comparison dropped part-way is dropped for every command.
    if bwrap.is_err() {
        for row in &mut rows {
            row.bwrap = None;
        }
    }

    let budget = rows.first().map(|row| {
        let p95_ok = row.ours.p95 <= BUDGET_P95;
        let ratio_ok = row
            .bwrap
            .and_then(|b| ratio(row.ours.p95, b.p95))
            .map(|r| r <= BUDGET_RATIO);
        (p95_ok, ratio_ok)
    });

    if args.json {
        print_line(&to_json(runs, &rows, &bwrap, budget).to_string());
    } else {
        for line in table(runs, &rows, &bwrap, budget) {
            print_line(&line);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn figures_json(f: Figures) -> Value {
    json!({ "median_ms": ms(f.median), "p95_ms": ms(f.p95) })
}

fn to_json(
    runs: usize,
    rows: &[Row],
    bwrap: &Result<PathBuf, String>,
    budget: Option<(bool, Option<bool>)>,
) -> Value {
    let results: Vec<Value> = rows
        .iter()
        .map(|row| {
            json!({
                "name": row.name,
                "command": row.argv,
                "ours": figures_json(row.ours),
                "bubblewrap": row.bwrap.map(figures_json),
                "ratio": row.bwrap.map(|b| json!({
                    "median": ratio(row.ours.median, b.median),
                    "p95": ratio(row.ours.p95, b.p95),
                })),
            })
        })
        .collect();
    json!({
        "ok": true,
        "runs": runs,
        "bubblewrap": match bwrap {
            Ok(path) => json!({ "available": true, "path": path }),
            Err(why) => json!({ "available": false, "reason": why }),
        },
        "results": results,
        "budget": {
            "p95_ms": ms(BUDGET_P95),
            "ratio": BUDGET_RATIO,
            "p95_met": budget.map(|b| b.0),
            "ratio_met": budget.and_then(|b| b.1),
        },
    })
}

fn table(
    runs: usize,
    rows: &[Row],
    bwrap: &Result<PathBuf, String>,
    budget: Option<(bool, Option<bool>)>,
) -> Vec<String> {
    let mut lines = vec![format!(
        "sandbox start-to-exit, {runs} runs each, milliseconds"
    )];
    if let Err(why) = bwrap {
        lines.push(format!("bubblewrap not compared: {why}"));
    }
    lines.push(format!(
        "{:<16} {:>11} {:>9} {:>12} {:>10} {:>12} {:>9}",
        "command",
        "ours median",
        "ours p95",
        "bwrap median",
        "bwrap p95",
        "ratio median",
        "ratio p95"
    ));
    let cell = |v: Option<f64>, digits: usize| {
        v.map_or_else(|| "-".to_owned(), |v| format!("{v:.digits$}"))
    };
    for row in rows {
        let b = row.bwrap;
        lines.push(format!(
            "{:<16} {:>11.1} {:>9.1} {:>12} {:>10} {:>12} {:>9}",
            row.name,
            ms(row.ours.median),
            ms(row.ours.p95),
            cell(b.map(|b| ms(b.median)), 1),
            cell(b.map(|b| ms(b.p95)), 1),
            cell(b.and_then(|b| ratio(row.ours.median, b.median)), 2),
            cell(b.and_then(|b| ratio(row.ours.p95, b.p95)), 2),
        ));
    }
    if let Some((p95_ok, ratio_ok)) = budget {
        let word = |ok: bool| if ok { "met" } else { "MISSED" };
        lines.push(format!(
            "budget for /bin/true: P95 ≤ {} ms {}; P95 within {BUDGET_RATIO}× of bubblewrap {}",
            ms(BUDGET_P95),
            word(p95_ok),
            ratio_ok.map_or("not compared", word)
        ));
    }
    lines
}

/// One timed prompt → verified project run.
struct Sample {
    id: String,
    run: usize,
    total: Duration,
    /// `generate`'s stages in order (plan, spec, codegen, write, runtime, verify).
    stages: Vec<(&'static str, Duration)>,
    /// The verify stage's checks (`ruff_check`, `ruff_format`, `compile`, `pytest`).
    checks: Vec<(&'static str, Duration)>,
    /// Verification passed.
    ok: bool,
    /// Tests pytest ran.
    tests: u32,
}

/// The input of one corpus case, as `generate` takes it (offline, built-in planner).
fn case_input(input: &CaseInput, directory: &Path) -> InputArgs {
    let (prompt, csv) = match input {
        CaseInput::Prompt(prompt) => (Some(prompt.clone()), None),
        CaseInput::Csv(file) => (None, Some(directory.join(file))),
    };
    InputArgs {
        prompt,
        csv,
        manifest: None,
        planner: PlannerKind::Builtin,
        offline: true,
    }
}

/// One run of `generate`'s pipeline into a fresh temporary directory, verify on.
fn time_generate(id: &str, run: usize, input: &InputArgs) -> anyhow::Result<Sample> {
    let work = tempfile::Builder::new()
        .prefix("apiforge-bench-generate-")
        .tempdir()
        .context("creating the benchmark's project directory")?;
    let dir = work.path().join("project");
    let target = Target::FastApi;
    let mut stages = Stages::new(false);
    let start = Instant::now();
    let state = check_dir(&dir, target, false)?;
    let Generated { verify, .. } = pipeline(input, target, &dir, &state, false, true, &mut stages)
        .with_context(|| format!("case {id}"))?;
    let total = start.elapsed();
    let (checks, tests) = match &verify {
        Verify::Ran(report) => (
            report
                .steps
                .iter()
                .map(|s| (s.step.key(), s.duration))
                .collect(),
            report.tests.total(),
        ),
        Verify::Skipped => (Vec::new(), 0),
    };
    Ok(Sample {
        id: id.to_owned(),
        run,
        total,
        stages: stages.done().to_vec(),
        checks,
        ok: verify.ok(),
        tests,
    })
}

/// Median of each named time across the samples, in the order the names first appear.
fn medians<'a>(
    samples: impl Iterator<Item = &'a [(&'static str, Duration)]>,
) -> Vec<(&'static str, Duration)> {
    let mut order = Vec::new();
    let mut by_name: BTreeMap<&'static str, Vec<Duration>> = BTreeMap::new();
    for times in samples {
        for &(name, d) in times {
            if !by_name.contains_key(name) {
                order.push(name);
            }
            by_name.entry(name).or_default().push(d);
        }
    }
    order
        .into_iter()
        .map(|name| {
            let times = by_name.remove(name).unwrap_or_default();
            (name, figures(times).median)
        })
        .collect()
}

/// The summary of every sample.
struct GenerateSummary {
    total: Figures,
    stages: Vec<(&'static str, Duration)>,
    checks: Vec<(&'static str, Duration)>,
    budget_met: bool,
    failed: Vec<String>,
}

fn summarize(samples: &[Sample]) -> GenerateSummary {
    let total = figures(samples.iter().map(|s| s.total).collect());
    GenerateSummary {
        total,
        stages: medians(samples.iter().map(|s| s.stages.as_slice())),
        checks: medians(samples.iter().map(|s| s.checks.as_slice())),
        budget_met: total.p95 <= BUDGET_GENERATE_P95,
        failed: samples
            .iter()
            .filter(|s| !s.ok)
            .map(|s| format!("{} (run {})", s.id, s.run))
            .collect(),
    }
}

fn bench_generate(args: &BenchGenerateArgs) -> anyhow::Result<ExitCode> {
    let runs = parse_runs(args.runs.as_deref(), DEFAULT_GENERATE_RUNS)?;
    let text = fs_err::read_to_string(&args.corpus)
        .map_err(|e| BadInput(format!("cannot read corpus: {e}")))?;
    let cases = parse_corpus(&text)
        .map_err(|e| BadInput(format!("corpus {}: {e}", args.corpus.display())))?;
    if cases.is_empty() {
        return Err(BadInput(format!("corpus {} has no case", args.corpus.display())).into());
    }
    let directory = args.corpus.parent().unwrap_or(Path::new("."));

    // Installed once, untimed: the benchmark measures a forge that has been used before.
    super::runtimes::ensure(args.json)?;
    let mut samples = Vec::with_capacity(cases.len() * runs);
    for case in &cases {
        let input = case_input(&case.input, directory);
        for run in 1..=runs {
            let sample = time_generate(&case.id, run, &input)?;
            if !args.json {
                eprint_line(&format!(
                    "{} run {run}: {:.2} s{}",
                    case.id,
                    sample.total.as_secs_f64(),
                    if sample.ok {
                        ""
                    } else {
                        " (verification FAILED)"
                    }
                ));
            }
            samples.push(sample);
        }
    }
    let summary = summarize(&samples);
    let failed = (!summary.failed.is_empty()).then(|| {
        format!(
            "verification failed for {}; `apiforge generate … --target fastapi` shows the report",
            summary.failed.join(", ")
        )
    });
    if args.json {
        let mut result = generate_json(runs, &samples, &summary);
        if let Some(message) = &failed {
            result["ok"] = Value::Bool(false);
            result["error"] = Value::String(message.clone());
        }
        print_line(&result.to_string());
        return Ok(if failed.is_some() {
            crate::exit::work_failed()
        } else {
            ExitCode::SUCCESS
        });
    }
    for line in generate_table(cases.len(), runs, &samples, &summary) {
        print_line(&line);
    }
    match failed {
        Some(message) => Err(Failed(message).into()),
        None => Ok(ExitCode::SUCCESS),
    }
}

fn times_json(times: &[(&'static str, Duration)]) -> Value {
    Value::Object(
        times
            .iter()
            .map(|(name, d)| ((*name).to_owned(), json!(ms(*d))))
            .collect(),
    )
}

fn generate_json(runs: usize, samples: &[Sample], summary: &GenerateSummary) -> Value {
    let results: Vec<Value> = samples
        .iter()
        .map(|s| {
            json!({
                "id": s.id,
                "run": s.run,
                "ok": s.ok,
                "tests": s.tests,
                "total_ms": ms(s.total),
                "stages_ms": times_json(&s.stages),
                "verify_checks_ms": times_json(&s.checks),
            })
        })
        .collect();
    json!({
        "ok": true,
        "target": Target::FastApi.name(),
        "runs": runs,
        "results": results,
        "total": figures_json(summary.total),
        "stage_medians_ms": times_json(&summary.stages),
        "verify_check_medians_ms": times_json(&summary.checks),
        "budget": {
            "p95_ms": ms(BUDGET_GENERATE_P95),
            "p95_met": summary.budget_met,
        },
    })
}

/// Stage columns of the table, in pipeline order.
const STAGE_COLUMNS: [&str; 6] = ["plan", "spec", "codegen", "write", "runtime", "verify"];
/// Verify check columns, with their headings.
const CHECK_COLUMNS: [(&str, &str); 4] = [
    ("ruff_check", "ruff"),
    ("ruff_format", "format"),
    ("compile", "compile"),
    ("pytest", "pytest"),
];

fn generate_table(
    cases: usize,
    runs: usize,
    samples: &[Sample],
    summary: &GenerateSummary,
) -> Vec<String> {
    let time = |times: &[(&'static str, Duration)], name: &str| {
        times
            .iter()
            .find(|(n, _)| *n == name)
            .map_or_else(|| "-".to_owned(), |(_, d)| format!("{:.1}", ms(*d)))
    };
    let mut lines = vec![format!(
        "prompt → verified {} project, {cases} case{} × {runs} run{}, milliseconds (verify's checks run side by side)",
        Target::FastApi.name(),
        if cases == 1 { "" } else { "s" },
        if runs == 1 { "" } else { "s" },
    )];
    let mut header = format!("{:<22} {:>3} {:>9}", "case", "run", "total");
    for name in STAGE_COLUMNS {
        header.push_str(&format!(" {name:>8}"));
    }
    for (_, heading) in CHECK_COLUMNS {
        header.push_str(&format!(" {heading:>8}"));
    }
    header.push_str(&format!(" {:>5}  {}", "tests", "verified"));
    lines.push(header);
    for s in samples {
        let mut line = format!("{:<22} {:>3} {:>9.1}", s.id, s.run, ms(s.total));
        for name in STAGE_COLUMNS {
            line.push_str(&format!(" {:>8}", time(&s.stages, name)));
        }
        for (key, _) in CHECK_COLUMNS {
            line.push_str(&format!(" {:>8}", time(&s.checks, key)));
        }
        line.push_str(&format!(
            " {:>5}  {}",
            s.tests,
            if s.ok { "yes" } else { "FAILED" }
        ));
        lines.push(line);
    }
    let mut median = format!(
        "{:<22} {:>3} {:>9.1}",
        "median",
        "",
        ms(summary.total.median)
    );
    for name in STAGE_COLUMNS {
        median.push_str(&format!(" {:>8}", time(&summary.stages, name)));
    }
    for (key, _) in CHECK_COLUMNS {
        median.push_str(&format!(" {:>8}", time(&summary.checks, key)));
    }
    lines.push(median);
    lines.push(format!(
        "total over {} run{}: median {:.2} s, P95 {:.2} s (nearest rank)",
        samples.len(),
        if samples.len() == 1 { "" } else { "s" },
        summary.total.median.as_secs_f64(),
        summary.total.p95.as_secs_f64()
    ));
    lines.push(format!(
        "budget: P95 ≤ {} s {}",
        BUDGET_GENERATE_P95.as_secs(),
        if summary.budget_met { "met" } else { "MISSED" }
    ));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|&v| Duration::from_millis(v)).collect()
    }

    #[test]
    fn nearest_rank_percentiles() {
        let f = figures(millis(&(1..=100).rev().collect::<Vec<_>>()));
        assert_eq!(f.median, Duration::from_millis(50));
        assert_eq!(f.p95, Duration::from_millis(95));
        let f = figures(millis(&[5]));
        assert_eq!(
            (f.median, f.p95),
            (Duration::from_millis(5), Duration::from_millis(5))
        );
        let f = figures(millis(&[1, 2, 3, 4, 100]));
        assert_eq!(f.median, Duration::from_millis(3));
        assert_eq!(f.p95, Duration::from_millis(100));
        assert_eq!(percentile(&[], 50), Duration::ZERO);
    }

    #[test]
    fn ratios_and_milliseconds() {
        assert_eq!(ms(Duration::from_micros(13_149)), 13.1);
        assert_eq!(
            ratio(Duration::from_millis(15), Duration::from_millis(10)),
            Some(1.5)
        );
        assert_eq!(ratio(Duration::from_millis(1), Duration::ZERO), None);
    }

    #[test]
    fn runs_are_checked() {
        assert_eq!(parse_runs(None, DEFAULT_RUNS).ok(), Some(DEFAULT_RUNS));
        assert_eq!(parse_runs(None, 1).ok(), Some(1));
        assert_eq!(parse_runs(Some("5"), DEFAULT_RUNS).ok(), Some(5));
        for bad in ["0", "-1", "x", "1e3", "100001"] {
            assert!(parse_runs(Some(bad), DEFAULT_RUNS).is_err(), "{bad}");
        }
    }
}
