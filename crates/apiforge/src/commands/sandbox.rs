//! `apiforge sandbox run` and `apiforge sandbox audit`.
//!
//! The runner needs a work directory owned by the sandbox's host uid (65534). A user's
//! directory is never chowned: the command runs on a private copy (owned by 65534, in a fresh
//! temporary directory) and afterwards new and changed regular files and directories are
//! copied back. The copy-back never follows or creates a symbolic link on either side, opens
//! every file with `O_NOFOLLOW`, strips set-id bits and gives new files the owner of the
//! user's directory, so nothing the sandbox left behind can make the host write outside the
//! directory or read a file it should not. Deletions inside the sandbox are not propagated.

use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use apiforge_sandbox::{
    AuditExit, AuditFilter, AuditLog, AuditRecord, LimitHit, NOBODY, RunResult, Sandbox,
    SandboxConfig, limit_name,
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
    let memory_mb = args
        .memory
        .as_deref()
        .map(|text| {
            text.trim()
                .parse::<u64>()
                .ok()
                .filter(|mb| (1..=1 << 20).contains(mb))
                .ok_or_else(|| {
                    BadInput(format!(
                        "--memory {text:?}: give whole megabytes, at least 1 (e.g. --memory 512)"
                    ))
                })
        })
        .transpose()?;
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

    // Find and check the audit log before running anything: a run that cannot be audited
    // must not happen.
    let audit = AuditLog::new(settings::audit_dir()?).with_retention(settings::audit_retention()?);
    check_writable(&audit)?;

    let stage = tempfile::Builder::new()
        .prefix("apiforge-sandbox-")
        .tempdir()
        .context("creating the sandbox's private work directory")?;
    std::os::unix::fs::chown(stage.path(), Some(NOBODY), Some(NOBODY)).map_err(|e| {
        BadInput(format!(
            "cannot hand the private work directory to uid {NOBODY}: {e} (the sandbox must be started by root)"
        ))
    })?;
    let mut snapshot = Snapshot::default();
    copy_in(&dir, stage.path(), Path::new(""), &mut snapshot)
        .with_context(|| format!("copying {} into the sandbox", dir.display()))?;

    let mut config =
        SandboxConfig::new(program.clone(), program_args.iter().cloned(), stage.path());
    config.ro_mounts = ro_mounts;
    if let Some(timeout) = asked.timeout {
        config.limits.timeout = timeout;
    }
    if let Some(mb) = asked.memory_mb {
        config.limits.memory_bytes = mb << 20;
    }
    if let Some(pids) = asked.pids {
        config.limits.pids = pids;
    }

    let result = Sandbox::run(&config)?;
    audit.append(&AuditRecord::new(&config, &result, SystemTime::now()))?;

    let owner = fs::metadata(&dir).with_context(|| dir.display().to_string())?;
    let mut back = CopyBack {
        owner: (owner.uid(), owner.gid()),
        snapshot: &snapshot,
        copied: Vec::new(),
        skipped: Vec::new(),
    };
    back.walk(stage.path(), &dir, Path::new(""))
        .with_context(|| format!("copying results back to {}", dir.display()))?;

    let code = status_code(result.status);
    if args.json {
        print_line(&run_json(&config, &result, code, &dir, &back).to_string());
    } else {
        write_stdout(&result.stdout.bytes);
        write_stderr(&result.stderr.bytes);
        for line in notes(&config, &result, &back) {
            eprint_line(&line);
        }
    }
    Ok(ExitCode::from(code))
}

fn check_writable(audit: &AuditLog) -> anyhow::Result<()> {
    let path = audit.path();
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| {
            BadInput(format!(
                "cannot create the audit directory {}: {e}",
                parent.display()
            ))
        })?;
    }
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| {
            BadInput(format!(
                "cannot write the audit log {}: {e}",
                path.display()
            ))
        })?;
    Ok(())
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
    }
}

/// Lines for stderr after the command's own output: limits reached, files not copied back.
fn notes(config: &SandboxConfig, result: &RunResult, back: &CopyBack<'_>) -> Vec<String> {
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
        back.skipped
            .iter()
            .map(|(path, why)| format!("apiforge: not copied back: {path}: {why}")),
    );
    lines
}

fn run_json(
    config: &SandboxConfig,
    result: &RunResult,
    code: u8,
    dir: &Path,
    back: &CopyBack<'_>,
) -> serde_json::Value {
    let limits_hit: Vec<_> = result.limits_hit.iter().map(|l| limit_name(*l)).collect();
    let skipped: Vec<_> = back
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
        "copied_back": back.copied,
        "not_copied_back": skipped,
    })
}

/// What a staged file looked like right after the copy in: unchanged files are not copied
/// back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    mtime: i64,
    mtime_nsec: i64,
    ino: u64,
}

impl Stamp {
    fn of(meta: &fs::Metadata) -> Self {
        Self {
            len: meta.len(),
            mtime: meta.mtime(),
            mtime_nsec: meta.mtime_nsec(),
            ino: meta.ino(),
        }
    }
}

type Snapshot = HashMap<PathBuf, Stamp>;

/// Permission bits without set-uid, set-gid and sticky.
fn plain_mode(meta: &fs::Metadata) -> u32 {
    meta.permissions().mode() & 0o777
}

fn copy_in(from: &Path, to: &Path, rel: &Path, snapshot: &mut Snapshot) -> io::Result<()> {
    for entry in fs::read_dir(from.join(rel))? {
        let entry = entry?;
        let rel = rel.join(entry.file_name());
        let (source, target) = (from.join(&rel), to.join(&rel));
        // `file_type` does not follow links: a link is copied as a link, and inside the
        // sandbox it can only resolve within the sandbox's own root.
        let kind = entry.file_type()?;
        if kind.is_dir() {
            fs::create_dir(&target)?;
            fs::set_permissions(
                &target,
                fs::Permissions::from_mode(0o700 | plain_mode(&entry.metadata()?)),
            )?;
            std::os::unix::fs::chown(&target, Some(NOBODY), Some(NOBODY))?;
            copy_in(from, to, &rel, snapshot)?;
        } else if kind.is_file() {
            let mut input = OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NOFOLLOW)
                .open(&source)?;
            let mode = plain_mode(&input.metadata()?);
            let mut output = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(mode)
                .open(&target)?;
            io::copy(&mut input, &mut output)?;
            std::os::unix::fs::fchown(&output, Some(NOBODY), Some(NOBODY))?;
            output.set_permissions(fs::Permissions::from_mode(mode))?;
            snapshot.insert(rel, Stamp::of(&output.metadata()?));
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&source)?, &target)?;
            std::os::unix::fs::lchown(&target, Some(NOBODY), Some(NOBODY))?;
            snapshot.insert(rel, Stamp::of(&fs::symlink_metadata(&target)?));
        }
        // Sockets, FIFOs and devices stay behind: the sandbox has no use for them.
    }
    Ok(())
}

struct CopyBack<'a> {
    owner: (u32, u32),
    snapshot: &'a Snapshot,
    copied: Vec<String>,
    skipped: Vec<(String, &'static str)>,
}

impl CopyBack<'_> {
    /// Copies new and changed entries of `stage/rel` into `dir/rel`. The sandbox has ended
    /// (its pid namespace died with it), so nothing changes the stage during the walk.
    fn walk(&mut self, stage: &Path, dir: &Path, rel: &Path) -> io::Result<()> {
        let mut entries = fs::read_dir(stage.join(rel))?.collect::<io::Result<Vec<_>>>()?;
        entries.sort_by_key(fs::DirEntry::file_name);
        for entry in entries {
            let rel = rel.join(entry.file_name());
            let (source, target) = (stage.join(&rel), dir.join(&rel));
            let shown = rel.display().to_string();
            let kind = entry.file_type()?;
            let existing = match fs::symlink_metadata(&target) {
                Ok(meta) => Some(meta.file_type()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                Err(e) => return Err(e),
            };
            if kind.is_dir() {
                match existing {
                    None => {
                        fs::create_dir(&target)?;
                        std::os::unix::fs::chown(&target, Some(self.owner.0), Some(self.owner.1))?;
                        fs::set_permissions(
                            &target,
                            fs::Permissions::from_mode(plain_mode(&entry.metadata()?)),
                        )?;
                    }
                    Some(t) if t.is_dir() => {}
                    Some(_) => {
                        self.skipped
                            .push((shown, "a file or link of that name is on the host"));
                        continue;
                    }
                }
                self.walk(stage, dir, &rel)?;
            } else if kind.is_file() {
                if self.snapshot.get(&rel) == Some(&Stamp::of(&entry.metadata()?)) {
                    continue;
                }
                if existing.is_some_and(|t| !t.is_file()) {
                    self.skipped
                        .push((shown, "a directory or link of that name is on the host"));
                    continue;
                }
                self.copy_file(&source, &target, existing.is_none())?;
                self.copied.push(shown);
            } else if kind.is_symlink() {
                // Following or recreating a link the sandbox made could point a later host
                // write or read anywhere; links are never copied back.
                if self.snapshot.get(&rel) != Some(&Stamp::of(&entry.metadata()?)) {
                    self.skipped
                        .push((shown, "symbolic links are not copied back"));
                }
            } else {
                self.skipped
                    .push((shown, "not a regular file or directory"));
            }
        }
        Ok(())
    }

    fn copy_file(&self, source: &Path, target: &Path, new: bool) -> io::Result<()> {
        let mut input = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(source)?;
        let meta = input.metadata()?;
        if !meta.is_file() {
            return Err(io::Error::other(format!(
                "{} is not a regular file",
                source.display()
            )));
        }
        let mode = plain_mode(&meta);
        let mut output = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .custom_flags(libc::O_NOFOLLOW)
            .open(target)?;
        io::copy(&mut input, &mut output)?;
        if new {
            std::os::unix::fs::fchown(&output, Some(self.owner.0), Some(self.owner.1))?;
        }
        output.set_permissions(fs::Permissions::from_mode(mode))
    }
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
            };
            let limits = if r.limits_hit.is_empty() {
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
