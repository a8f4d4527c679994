//! `apiforge bench sandbox`: start-to-exit wall time of `/bin/true` and `python3 -c pass` in
//! our sandbox and in bubblewrap with the same namespaces and mounts, median and P95.
//!
//! Each timed run is one `Sandbox::run` (fork to reaped exit, cgroups created and removed) or
//! one `bwrap` process (spawn to reaped exit). The two alternate run by run, so a slow patch
//! of the machine hits both alike; one untimed warm-up run of each comes first.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use apiforge_sandbox::{ExitStatus, NOBODY, Sandbox, SandboxConfig};
use serde_json::{Value, json};

use crate::cli::{BenchArgs, BenchCommand, BenchSandboxArgs};
use crate::exit::{BadInput, Failed};
use crate::output::print_line;

const DEFAULT_RUNS: usize = 200;
const MAX_RUNS: usize = 100_000;
const BWRAP: &str = "/usr/bin/bwrap";
const PYTHON: &str = "/usr/bin/python3";
/// The budget: P95 of `/bin/true` at most this, and within this factor of bubblewrap.
const BUDGET_P95: Duration = Duration::from_millis(20);
const BUDGET_RATIO: f64 = 1.5;

pub fn run(args: &BenchArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        BenchCommand::Sandbox(sandbox) => bench_sandbox(sandbox),
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
fn percentile(sorted: &[Duration], p: usize) -> Duration {
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

fn parse_runs(text: Option<&str>) -> Result<usize, BadInput> {
    let Some(text) = text else {
        return Ok(DEFAULT_RUNS);
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
    let runs = parse_runs(args.runs.as_deref())?;
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
        assert_eq!(parse_runs(None).ok(), Some(DEFAULT_RUNS));
        assert_eq!(parse_runs(Some("5")).ok(), Some(5));
        for bad in ["0", "-1", "x", "1e3", "100001"] {
            assert!(parse_runs(Some(bad)).is_err(), "{bad}");
        }
    }
}
