//! The audit log (US-07): one JSON line per run in `<dir>/audit.jsonl`, appended under an
//! exclusive lock, with lines older than the retention dropped on write.
//!
//! The runner records every run itself, set-up failures included, into the
//! [`AuditSink`] the caller puts in [`crate::SandboxConfig::audit`]: no caller can forget a
//! record, and a failure before the command started still gets its sandbox id. [`AuditLog`]
//! is the file sink; the server will implement the trait over its database. The directory
//! is passed in; this crate never reads the environment.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::{ExitStatus, LimitHit, RunResult, SandboxConfig, SandboxId};

/// Name of the log file inside the audit directory.
pub const AUDIT_FILE: &str = "audit.jsonl";
/// How long lines are kept unless the caller says otherwise: 30 days.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(30 * 24 * 60 * 60);

const LOCK_FILE: &str = "audit.jsonl.lock";
const TEMP_FILE: &str = "audit.jsonl.tmp";

/// Why the audit log could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// A file operation on the log failed.
    #[error("audit log {path}: {what}: {source}\nhint: check that the data directory is writable")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A record could not be turned into JSON.
    #[error("cannot encode an audit record: {0}")]
    Encode(#[from] serde_json::Error),
    /// Another sink (the server's database) could not store the record.
    #[error("audit sink: {0}")]
    Sink(String),
}

/// How a run ended, as logged: `{"code": 0}`, `{"signal": 9}` or `"killed"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditExit {
    /// Exited with this code.
    Code(i32),
    /// Killed by this signal.
    Signal(i32),
    /// The sandbox was killed before the status was known (timeout).
    Killed,
    /// The sandbox could not be set up; the command never ran (see the record's `error`).
    SetupFailed,
}

impl From<ExitStatus> for AuditExit {
    fn from(status: ExitStatus) -> Self {
        match status {
            ExitStatus::Code(code) => Self::Code(code),
            ExitStatus::Signal(signal) => Self::Signal(signal),
            ExitStatus::Killed => Self::Killed,
        }
    }
}

/// One line of the audit log: one finished run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// The run's unique id.
    pub sandbox_id: String,
    /// The project the run belonged to, if the caller named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// The program.
    pub command: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// When the run started (RFC 3339, UTC, milliseconds).
    pub start: String,
    /// When it ended (RFC 3339, UTC, milliseconds).
    pub end: String,
    /// How the command ended.
    pub exit: AuditExit,
    /// Limits reached (`timeout`, `memory`, `pids`, `cpu_time`, `file_size`, `output`, `disk`).
    pub limits_hit: Vec<String>,
    /// Bytes the command wrote to stdout (including any discarded beyond the cap).
    pub stdout_bytes: u64,
    /// Bytes the command wrote to stderr.
    pub stderr_bytes: u64,
    /// Wall-clock time of the whole run in milliseconds.
    pub wall_ms: u64,
    /// CPU time of the tree in milliseconds.
    pub cpu_ms: u64,
    /// Peak memory of the tree in bytes, when known.
    pub peak_memory_bytes: Option<u64>,
    /// Why the sandbox could not be set up (only with [`AuditExit::SetupFailed`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Where the runner records runs: the file [`AuditLog`] here, the database in the server.
pub trait AuditSink: std::fmt::Debug + Send + Sync {
    /// Fails when a record could not be written now, before anything runs: a run that
    /// cannot be audited must not happen.
    ///
    /// # Errors
    /// [`AuditError`] naming what is not writable.
    fn check(&self) -> Result<(), AuditError>;

    /// Stores one record.
    ///
    /// # Errors
    /// [`AuditError`] when it could not be stored.
    fn record(&self, record: &AuditRecord) -> Result<(), AuditError>;
}

impl AuditSink for AuditLog {
    fn check(&self) -> Result<(), AuditError> {
        self.create_dir()?;
        let path = self.path();
        OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&path)
            .map(drop)
            .map_err(|e| self.io("opening", &path, e))
    }

    fn record(&self, record: &AuditRecord) -> Result<(), AuditError> {
        self.append(record)
    }
}

/// The name of a limit as logged and printed.
pub fn limit_name(limit: LimitHit) -> &'static str {
    match limit {
        LimitHit::Timeout => "timeout",
        LimitHit::Memory => "memory",
        LimitHit::Pids => "pids",
        LimitHit::CpuTime => "cpu_time",
        LimitHit::FileSize => "file_size",
        LimitHit::Output => "output",
        LimitHit::Disk => "disk",
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl AuditRecord {
    /// The record of `result`, a run of `config` that ended at `ended` (its start is `ended`
    /// minus the run's wall time, so the caller needs only one clock reading).
    pub fn new(config: &SandboxConfig, result: &RunResult, ended: SystemTime) -> Self {
        let started = ended.checked_sub(result.wall_time).unwrap_or(UNIX_EPOCH);
        Self {
            sandbox_id: result.id.to_string(),
            project: config.project.clone(),
            command: config.command.clone(),
            args: config.args.clone(),
            start: format_rfc3339(started),
            end: format_rfc3339(ended),
            exit: result.status.into(),
            limits_hit: result
                .limits_hit
                .iter()
                .map(|l| limit_name(*l).to_owned())
                .collect(),
            stdout_bytes: result.stdout.total_bytes,
            stderr_bytes: result.stderr.total_bytes,
            wall_ms: millis(result.wall_time),
            cpu_ms: millis(result.cpu_time),
            peak_memory_bytes: result.peak_memory_bytes,
            error: None,
        }
    }

    /// The record of a run of `config` whose set-up failed with `error` between `started`
    /// and `ended`: the command never ran.
    pub fn failed(
        config: &SandboxConfig,
        id: &SandboxId,
        error: &crate::SandboxError,
        started: SystemTime,
        ended: SystemTime,
    ) -> Self {
        Self {
            sandbox_id: id.to_string(),
            project: config.project.clone(),
            command: config.command.clone(),
            args: config.args.clone(),
            start: format_rfc3339(started),
            end: format_rfc3339(ended),
            exit: AuditExit::SetupFailed,
            limits_hit: Vec::new(),
            stdout_bytes: 0,
            stderr_bytes: 0,
            wall_ms: millis(ended.duration_since(started).unwrap_or_default()),
            cpu_ms: 0,
            peak_memory_bytes: None,
            // One line: the hint after the first line is for people, not the log.
            error: Some(
                error
                    .to_string()
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            ),
        }
    }

    fn end_time(&self) -> Option<SystemTime> {
        parse_rfc3339(&self.end)
    }
}

/// Which records [`AuditLog::read`] returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only the run with this sandbox id.
    pub id: Option<String>,
    /// Only runs that ended at or after this time.
    pub since: Option<SystemTime>,
}

impl AuditFilter {
    fn matches(&self, record: &AuditRecord) -> bool {
        if self.id.as_deref().is_some_and(|id| id != record.sandbox_id) {
            return false;
        }
        match (self.since, record.end_time()) {
            (Some(since), Some(end)) => end >= since,
            // A record whose time cannot be read cannot be shown to be recent enough.
            (Some(_), None) => false,
            (None, _) => true,
        }
    }
}

/// The append-only audit log in one directory.
#[derive(Debug, Clone)]
pub struct AuditLog {
    dir: PathBuf,
    retention: Duration,
}

impl AuditLog {
    /// The log in `dir` (created on the first write), keeping lines for
    /// [`DEFAULT_RETENTION`].
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            retention: DEFAULT_RETENTION,
        }
    }

    /// Keeps lines for `retention` instead.
    #[must_use]
    pub fn with_retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// The log file.
    pub fn path(&self) -> PathBuf {
        self.dir.join(AUDIT_FILE)
    }

    /// Appends `record`, first dropping lines that ended more than the retention ago.
    ///
    /// # Errors
    /// [`AuditError`] when the directory or file cannot be created, locked or written.
    pub fn append(&self, record: &AuditRecord) -> Result<(), AuditError> {
        self.append_at(record, SystemTime::now())
    }

    /// [`AuditLog::append`] with the current time given (tests inject it).
    ///
    /// # Errors
    /// As [`AuditLog::append`].
    pub fn append_at(&self, record: &AuditRecord, now: SystemTime) -> Result<(), AuditError> {
        let mut line = serde_json::to_string(record)?;
        line.push('\n');
        self.create_dir()?;
        // Writers hold this lock across the retention rewrite and the append: without it an
        // append to the old file during the rename would be lost.
        let lock_path = self.dir.join(LOCK_FILE);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&lock_path)
            .map_err(|e| self.io("opening the lock file", &lock_path, e))?;
        lock.lock().map_err(|e| self.io("locking", &lock_path, e))?;

        let path = self.path();
        if let Some(cutoff) = now.checked_sub(self.retention)
            && self.first_record_expired(&path, cutoff)?
        {
            self.drop_expired(&path, cutoff)?;
        }

        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| self.io("opening", &path, e))?;
        // A writer that died mid-line left no newline: start on a fresh line so the torn
        // line stays one (unreadable) line instead of swallowing this record.
        if !ends_with_newline(&mut file).map_err(|e| self.io("reading", &path, e))? {
            line.insert(0, '\n');
        }
        file.write_all(line.as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(|e| self.io("appending", &path, e))
    }

    /// Records matching `filter`, oldest first. Lines that are not records (a torn last
    /// line) are skipped.
    ///
    /// # Errors
    /// [`AuditError`] when the file exists but cannot be read.
    pub fn read(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>, AuditError> {
        let path = self.path();
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.io("opening", &path, e)),
        };
        let mut records = Vec::new();
        for line in BufReader::new(file).lines() {
            let line = line.map_err(|e| self.io("reading", &path, e))?;
            if let Ok(record) = serde_json::from_str::<AuditRecord>(&line)
                && filter.matches(&record)
            {
                records.push(record);
            }
        }
        Ok(records)
    }

    /// Whether the oldest readable record has expired. Lines are appended as runs end, so
    /// when the first one is still fresh there is nothing to drop and the file is not
    /// rewritten on every append.
    fn first_record_expired(&self, path: &Path, cutoff: SystemTime) -> Result<bool, AuditError> {
        let file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(self.io("opening", path, e)),
        };
        for line in BufReader::new(file).lines() {
            let line = line.map_err(|e| self.io("reading", path, e))?;
            if let Some(end) = serde_json::from_str::<AuditRecord>(&line)
                .ok()
                .and_then(|r| r.end_time())
            {
                return Ok(end < cutoff);
            }
        }
        Ok(false)
    }

    /// Rewrites the log without expired lines: a temporary file beside it, synced, then
    /// renamed over it, so a crash leaves either the old or the new file, never half of one.
    /// Lines whose time cannot be read are kept: only a line known to be expired is dropped.
    fn drop_expired(&self, path: &Path, cutoff: SystemTime) -> Result<(), AuditError> {
        let mut text = String::new();
        File::open(path)
            .and_then(|mut f| f.read_to_string(&mut text))
            .map_err(|e| self.io("reading", path, e))?;
        let mut kept = String::with_capacity(text.len());
        for line in text.lines() {
            let expired = serde_json::from_str::<AuditRecord>(line)
                .ok()
                .and_then(|r| r.end_time())
                .is_some_and(|end| end < cutoff);
            if !expired && !line.is_empty() {
                kept.push_str(line);
                kept.push('\n');
            }
        }
        let temp = self.dir.join(TEMP_FILE);
        let mut file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .mode(0o600)
            .open(&temp)
            .map_err(|e| self.io("creating", &temp, e))?;
        file.write_all(kept.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| self.io("writing", &temp, e))?;
        std::fs::rename(&temp, path).map_err(|e| self.io("replacing", path, e))?;
        // The rename is durable only once the directory entry is.
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| self.io("syncing", &self.dir, e))
    }

    fn create_dir(&self) -> Result<(), AuditError> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .map_err(|e| self.io("creating the directory", &self.dir, e))
    }

    fn io(&self, what: &'static str, path: &Path, source: std::io::Error) -> AuditError {
        AuditError::Io {
            what,
            path: path.to_path_buf(),
            source,
        }
    }
}

fn ends_with_newline(file: &mut File) -> std::io::Result<bool> {
    let len = file.seek(SeekFrom::End(0))?;
    if len == 0 {
        return Ok(true);
    }
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

const SECS_PER_DAY: i64 = 86_400;

/// `time` as RFC 3339 in UTC with milliseconds: `2026-11-23T22:39:19.123Z`. Times before
/// 1970 are written as the epoch (a run cannot have happened then).
pub fn format_rfc3339(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = i64::try_from(since.as_secs()).unwrap_or(i64::MAX);
    let (days, rem) = (secs.div_euclid(SECS_PER_DAY), secs.rem_euclid(SECS_PER_DAY));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_millis()
    )
}

/// Parses RFC 3339 (`2026-11-23T22:39:19Z`, optional fraction, `Z` or `±HH:MM`; `t`/space
/// for `T` accepted) or a plain date `2026-11-23` (midnight UTC). `None` when malformed or
/// before 1970.
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    let b = text.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if b.len() == 10 {
        return at(days * SECS_PER_DAY, 0);
    }
    if b.len() < 20 || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &text[19..];
    let mut nanos = 0u32;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        for (i, c) in fraction.bytes().take(9).take(digits).enumerate() {
            nanos += u32::from(c - b'0') * 10u32.pow(8 - u32::try_from(i).ok()?);
        }
        rest = &fraction[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let r = rest.as_bytes();
            if r.len() != 6 || r[3] != b':' {
                return None;
            }
            let digits = |s: &str| {
                s.bytes()
                    .all(|c| c.is_ascii_digit())
                    .then(|| s.parse::<i64>().ok())
                    .flatten()
            };
            let (h, m) = (digits(&rest[1..3])?, digits(&rest[4..6])?);
            if h > 23 || m > 59 {
                return None;
            }
            sign * (h * 3600 + m * 60)
        }
    };
    at(
        days * SECS_PER_DAY + hour * 3600 + minute * 60 + second.min(59) - offset,
        nanos,
    )
}

fn at(secs: i64, nanos: u32) -> Option<SystemTime> {
    let secs = u64::try_from(secs).ok()?;
    UNIX_EPOCH.checked_add(Duration::new(secs, nanos))
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's `days_from_civil` / `civil_from_days`: exact for the proleptic Gregorian
// calendar, no date crate needed.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(86_400);

    fn record(id: &str, end: SystemTime) -> AuditRecord {
        AuditRecord {
            sandbox_id: id.to_owned(),
            project: None,
            command: "/bin/true".to_owned(),
            args: vec![],
            start: format_rfc3339(end),
            end: format_rfc3339(end),
            exit: AuditExit::Code(0),
            limits_hit: vec![],
            stdout_bytes: 0,
            stderr_bytes: 0,
            wall_ms: 1,
            cpu_ms: 0,
            peak_memory_bytes: None,
            error: None,
        }
    }

    fn time(text: &str) -> SystemTime {
        parse_rfc3339(text).expect("valid time")
    }

    #[test]
    fn rfc3339_round_trips() {
        for text in [
            "1970-01-01T00:00:00.000Z",
            "2000-02-29T23:59:59.999Z",
            "2026-11-23T22:39:19.123Z",
            "2100-12-31T00:00:00.000Z",
        ] {
            assert_eq!(format_rfc3339(time(text)), text);
        }
        assert_eq!(
            format_rfc3339(time("2026-11-24T00:30:00+01:00")),
            "2026-11-23T23:30:00.000Z"
        );
        assert_eq!(
            format_rfc3339(time("2026-11-23")),
            "2026-11-23T00:00:00.000Z"
        );
        assert_eq!(
            format_rfc3339(time("2026-11-23T22:39:19.5Z")),
            "2026-11-23T22:39:19.500Z"
        );
        for bad in [
            "",
            "yesterday",
            "2026-13-01",
            "2026-02-30",
            "2026-11-23T25:00:00Z",
            "2026-11-23T22:39:19",
            "2026-11-23T22:39:19.Z",
            "1969-12-31T23:59:59Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn appends_and_filters() {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = AuditLog::new(dir.path().join("audit"));
        let now = time("2026-11-23T12:00:00Z");
        log.append_at(&record("a", now - DAY), now).expect("append");
        log.append_at(&record("b", now), now).expect("append");
        let all = log.read(&AuditFilter::default()).expect("read");
        assert_eq!(all.len(), 2);
        let one = AuditFilter {
            id: Some("b".into()),
            since: None,
        };
        assert_eq!(log.read(&one).expect("read")[0].sandbox_id, "b");
        let recent = AuditFilter {
            id: None,
            since: Some(now - DAY / 2),
        };
        let recent = log.read(&recent).expect("read");
        assert_eq!(recent.len(), 1);
        assert_eq!(recent[0].sandbox_id, "b");
    }

    #[test]
    fn retention_drops_expired_lines_and_keeps_the_rest() {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = AuditLog::new(dir.path()).with_retention(30 * DAY);
        let start = time("2026-10-01T00:00:00Z");
        log.append_at(&record("old", start), start).expect("append");
        log.append_at(&record("kept", start + 10 * DAY), start + 10 * DAY)
            .expect("append");
        // A line of unknown age is never dropped.
        let mut file = OpenOptions::new()
            .append(true)
            .open(log.path())
            .expect("open");
        file.write_all(b"{\"not\": \"a record\"}\n").expect("write");
        drop(file);
        let now = start + 31 * DAY;
        log.append_at(&record("new", now), now).expect("append");

        let ids: Vec<_> = log
            .read(&AuditFilter::default())
            .expect("read")
            .into_iter()
            .map(|r| r.sandbox_id)
            .collect();
        assert_eq!(ids, ["kept", "new"]);
        let text = std::fs::read_to_string(log.path()).expect("read");
        assert_eq!(text.lines().count(), 3, "{text}");
        assert!(text.contains("not"));
        assert!(!dir.path().join(TEMP_FILE).exists());
    }

    #[test]
    fn a_torn_last_line_does_not_swallow_the_next_record() {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = AuditLog::new(dir.path());
        std::fs::write(log.path(), b"{\"sandbox_id\": \"tor").expect("write");
        let now = time("2026-11-23T12:00:00Z");
        log.append_at(&record("next", now), now).expect("append");
        let records = log.read(&AuditFilter::default()).expect("read");
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].sandbox_id, "next");
    }

    #[test]
    fn exit_is_tagged() {
        let json = |e: AuditExit| serde_json::to_string(&e).expect("json");
        assert_eq!(json(AuditExit::Code(7)), r#"{"code":7}"#);
        assert_eq!(json(AuditExit::Signal(9)), r#"{"signal":9}"#);
        assert_eq!(json(AuditExit::Killed), r#""killed""#);
    }
}
