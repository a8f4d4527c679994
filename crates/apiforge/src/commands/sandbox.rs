//! `apiforge sandbox run` and `apiforge sandbox audit`.
//!
//! The runner copies the directory into the sandbox's private work tmpfs and copies new and
//! changed regular files back afterwards (see `apiforge_sandbox::CopiedBack`); it also
//! writes the audit record of every run, set-up failures included.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use apiforge_sandbox::{
    AuditExit, AuditFilter, AuditLog, AuditSink, LimitHit, RunResult, Sandbox, SandboxConfig,
    limit_name,
};
use serde_json::json;

use crate::cli::{SandboxArgs, SandboxAuditArgs, SandboxCommand, SandboxRunArgs};
use crate::exit::{BadInput, status_code};
use crate::output::{eprint_line, print_line, write_stderr, write_stdout};
use crate::settings;

/// The longest timeout accepted: a day. Longer runs are jobs, not sandboxed commands.
const MAX_TIMEOUT_SECS: f64 = 86_400.0;
/// The sandbox's own two supervisor processes count against the pids limit.
const MIN_PIDS: u32 = 3;

pub fn run(args: SandboxArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        SandboxCommand::Run(run) => run_command(&run),
        SandboxCommand::Audit(audit) => show_audit(&audit),
    }
}

/// The limits asked for, checked.
struct Asked {
    timeout: Option<Duration>,
    memory_mb: Option<u64>,
    pids: Option<u32>,
    disk_mb: Option<u64>,
}

/// `--memory`/`--disk`: whole megabytes, at least 1.
fn parse_mb(flag: &str, text: Option<&str>) -> Result<Option<u64>, BadInput> {
    text.map(|text| {
        text.trim()
            .parse::<u64>()
            .ok()
            .filter(|mb| (1..=1 << 20).contains(mb))
            .ok_or_else(|| {
                BadInput(format!(
                    "{flag} {text:?}: give whole megabytes, at least 1 (e.g. {flag} 512)"
                ))
            })
    })
    .transpose()
}

fn parse_limits(args: &SandboxRunArgs) -> Result<Asked, BadInput> {
    let timeout = args
        .timeout
        .as_deref()
        .map(|text| {
            text.trim()
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s > 0.0 && *s <= MAX_TIMEOUT_SECS)
                .map(Duration::from_secs_f64)
                .ok_or_else(|| {
                    BadInput(format!(
                        "--timeout {text:?}: give seconds, more than 0 and at most {MAX_TIMEOUT_SECS}"
                    ))
                })
        })
        .transpose()?;
    let memory_mb = parse_mb("--memory", args.memory.as_deref())?;
    let disk_mb = parse_mb("--disk", args.disk.as_deref())?;
    let pids = args
        .pids
        .as_deref()
        .map(|text| {
            text.trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (MIN_PIDS..=1 << 22).contains(n))
                .ok_or_else(|| {
                    BadInput(format!(
                        "--pids {text:?}: give a whole number of processes, at least {MIN_PIDS} (the sandbox's two supervisors count)"
                    ))
                })
        })
        .transpose()?;
    Ok(Asked {
        timeout,
        memory_mb,
        pids,
        disk_mb,
    })
}

/// `HOST` (mounted at the same path) or `HOST:INSIDE`.
fn parse_ro(text: &str) -> Result<(PathBuf, PathBuf), BadInput> {
    let (host, inside) = match text.split_once(':') {
        Some((host, inside)) => (host, Some(inside)),
        None => (text, None),
    };
    let host = fs::canonicalize(host).map_err(|e| BadInput(format!("--ro {text}: {host}: {e}")))?;
    let inside = inside.map_or_else(|| host.clone(), PathBuf::from);
    if !inside.is_absolute() {
        return Err(BadInput(format!(
            "--ro {text}: the path inside the sandbox must be absolute"
        )));
    }
    Ok((host, inside))
}

fn run_command(args: &SandboxRunArgs) -> anyhow::Result<ExitCode> {
    let Some((program, program_args)) = args.command.split_first() else {
        return Err(BadInput(
            "no command to run: give it after `--`, e.g. `apiforge sandbox run -- python3 app.py`"
                .into(),
        )
        .into());
    };
    let asked = parse_limits(args)?;
    let dir = match &args.dir {
        Some(dir) => dir.clone(),
        None => std::env::current_dir()
            .map_err(|e| BadInput(format!("cannot read the current directory: {e}")))?,
    };
    let dir =
        fs::canonicalize(&dir).map_err(|e| BadInput(format!("--dir {}: {e}", dir.display())))?;
    if !dir.is_dir() {
        return Err(BadInput(format!("--dir {}: not a directory", dir.display())).into());
    }
    let ro_mounts = args
        .ro
        .iter()
        .map(|text| parse_ro(text))
        .collect::<Result<Vec<_>, _>>()?;

    // The runner checks the log is writable before anything runs: a run that cannot be
    // audited must not happen.
    let audit = AuditLog::new(settings::audit_dir()?).with_retention(settings::audit_retention()?);
    check_writable(&audit)?;

    let mut config = SandboxConfig::new(program.clone(), program_args.iter().cloned(), &dir);
    config.ro_mounts = ro_mounts;
    config.audit = Some(Arc::new(audit));
    if let Some(timeout) = asked.timeout {
        config.limits.timeout = timeout;
    }
    if let Some(mb) = asked.memory_mb {
        config.limits.memory_bytes = mb << 20;
    }
    if let Some(pids) = asked.pids {
        config.limits.pids = pids;
    }
    if let Some(mb) = asked.disk_mb {
        config.limits.work_bytes = mb << 20;
    }
    let result = Sandbox::run(&config)?;

    let code = status_code(result.status);
    if args.json {
        print_line(&run_json(&config, &result, code, &dir).to_string());
    } else {
        write_stdout(&result.stdout.bytes);
        write_stderr(&result.stderr.bytes);
        for line in notes(&config, &result) {
            eprint_line(&line);
        }
    }
    Ok(ExitCode::from(code))
}

/// An unwritable audit log is the user's setting to fix (exit 2), said in one line.
fn check_writable(audit: &AuditLog) -> Result<(), BadInput> {
    audit.check().map_err(|e| {
        BadInput(format!(
            "cannot write the audit log {}: {}",
            audit.path().display(),
            e.to_string().lines().next().unwrap_or_default()
        ))
    })
}

fn describe(limit: LimitHit, config: &SandboxConfig) -> String {
    let l = &config.limits;
    match limit {
        LimitHit::Timeout => format!(
            "timed out after {} s; the whole process tree was killed",
            l.timeout.as_secs_f64()
        ),
        LimitHit::Memory => format!("reached the memory limit of {} MB", l.memory_bytes >> 20),
        LimitHit::Pids => format!("reached the limit of {} processes", l.pids),
        LimitHit::CpuTime => format!("used up its {} CPU seconds", l.cpu_seconds),
        LimitHit::FileSize => format!(
            "tried to write a file larger than {} MB",
            l.file_size_bytes >> 20
        ),
        LimitHit::Output => format!("output truncated at {} bytes per stream", l.output_bytes),
        LimitHit::Disk => format!(
            "filled its {} MB work directory (size or file count)",
            l.work_bytes >> 20
        ),
    }
}

/// Lines for stderr after the command's own output: limits reached, files not copied back.
fn notes(config: &SandboxConfig, result: &RunResult) -> Vec<String> {
    let mut lines: Vec<String> = result
        .limits_hit
        .iter()
        .map(|limit| {
            format!(
                "apiforge: sandbox {}: {}",
                result.id,
                describe(*limit, config)
            )
        })
        .collect();
    lines.extend(
        result
            .copied_back
            .skipped
            .iter()
            .map(|(path, why)| format!("apiforge: not copied back: {path}: {why}")),
    );
    lines
}

fn run_json(config: &SandboxConfig, result: &RunResult, code: u8, dir: &Path) -> serde_json::Value {
    let limits_hit: Vec<_> = result.limits_hit.iter().map(|l| limit_name(*l)).collect();
    let skipped: Vec<_> = result
        .copied_back
        .skipped
        .iter()
        .map(|(path, why)| json!({ "path": path, "reason": why }))
        .collect();
    json!({
        "ok": result.status.success() && result.limits_hit.is_empty(),
        "sandbox_id": result.id.as_str(),
        "exit_code": code,
        "status": AuditExit::from(result.status),
        "limits_hit": limits_hit,
        "timed_out": result.hit(LimitHit::Timeout),
        "limits": {
            "timeout_s": config.limits.timeout.as_secs_f64(),
            "memory_mb": config.limits.memory_bytes >> 20,
            "pids": config.limits.pids,
            "cpu_s": config.limits.cpu_seconds,
            "output_bytes": config.limits.output_bytes,
            "disk_mb": config.limits.work_bytes >> 20,
        },
        "wall_ms": u64::try_from(result.wall_time.as_millis()).unwrap_or(u64::MAX),
        "cpu_ms": u64::try_from(result.cpu_time.as_millis()).unwrap_or(u64::MAX),
        "peak_memory_bytes": result.peak_memory_bytes,
        "stdout": result.stdout.text(),
        "stderr": result.stderr.text(),
        "stdout_bytes": result.stdout.total_bytes,
        "stderr_bytes": result.stderr.total_bytes,
        "stdout_truncated": result.stdout.truncated,
        "stderr_truncated": result.stderr.truncated,
        "enforcement": {
            "memory_cgroup": result.enforcement.memory_cgroup,
            "pids_cgroup": result.enforcement.pids_cgroup,
            "landlock_full": result.enforcement.landlock_full,
        },
        "work_dir": dir.display().to_string(),
        "copied_back": result.copied_back.copied,
        "not_copied_back": skipped,
    })
}

/// `--since`: RFC 3339, a date, or an age such as `30m` counted back from `now`.
fn parse_since(text: &str, now: SystemTime) -> Option<SystemTime> {
    if let Some(time) = apiforge_sandbox::parse_rfc3339(text) {
        return Some(time);
    }
    let text = text.trim();
    let unit = match text.chars().last()? {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return None,
    };
    let count: u64 = text[..text.len() - 1].parse().ok()?;
    now.checked_sub(Duration::from_secs(count.checked_mul(unit)?))
}

fn show_audit(args: &SandboxAuditArgs) -> anyhow::Result<ExitCode> {
    let since = args
        .since
        .as_deref()
        .map(|text| {
            parse_since(text, SystemTime::now()).ok_or_else(|| {
                BadInput(format!(
                    "--since {text:?}: give an RFC 3339 time (2026-11-23T10:00:00Z), a date (2026-11-23) or an age (30m, 2h, 7d)"
                ))
            })
        })
        .transpose()?;
    let log = AuditLog::new(settings::audit_dir()?);
    let records = log.read(&AuditFilter {
        id: args.id.clone(),
        since,
    })?;
    if args.json {
        print_line(&json!({ "ok": true, "path": log.path(), "records": records }).to_string());
    } else {
        for r in &records {
            let exit = match r.exit {
                AuditExit::Code(code) => format!("exit {code}"),
                AuditExit::Signal(signal) => format!("signal {signal}"),
                AuditExit::Killed => "killed".to_owned(),
                AuditExit::SetupFailed => "not set up".to_owned(),
            };
            let limits = if let Some(error) = &r.error {
                error.clone()
            } else if r.limits_hit.is_empty() {
                "-".to_owned()
            } else {
                r.limits_hit.join(",")
            };
            print_line(&format!(
                "{}  {}  {:<9} {:>7}ms  {:<8} {} {}",
                r.sandbox_id,
                r.start,
                exit,
                r.wall_ms,
                limits,
                r.command,
                r.args.join(" ")
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_accepts_times_dates_and_ages() {
        let now = apiforge_sandbox::parse_rfc3339("2026-11-23T12:00:00Z").expect("time");
        let at = |t: &str| apiforge_sandbox::parse_rfc3339(t).expect("time");
        assert_eq!(parse_since("30m", now), Some(at("2026-11-23T11:30:00Z")));
        assert_eq!(parse_since("2d", now), Some(at("2026-11-21T12:00:00Z")));
        assert_eq!(
            parse_since("2026-11-01", now),
            Some(at("2026-11-01T00:00:00Z"))
        );
        for bad in ["", "m", "5w", "yesterday", "-3h"] {
            assert_eq!(parse_since(bad, now), None, "{bad}");
        }
    }

    #[test]
    fn read_only_mounts() {
        assert!(parse_ro("/usr").is_ok());
        assert_eq!(
            parse_ro("/usr:/opt/usr").ok().map(|(_, inside)| inside),
            Some(PathBuf::from("/opt/usr"))
        );
        assert!(parse_ro("/usr:relative").is_err());
        assert!(parse_ro("/does/not/exist").is_err());
    }
}
