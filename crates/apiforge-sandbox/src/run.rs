//! The privileged parent: forks, writes the uid/gid maps, enforces the wall-clock timeout,
//! reads stdout/stderr with a cap, collects the status and the cgroup figures.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::cgroup::Cgroups;
use crate::child::{self, ChildFds, RECORD, Stage};
use crate::plan::Plan;
use crate::workspace::{Snapshot, Workspace};
use crate::{
    AuditRecord, Captured, CopiedBack, Enforcement, ExitStatus, LimitHit, RunResult, SandboxConfig,
    SandboxError, SandboxId,
};

/// Runs commands in sandboxes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sandbox;

fn pipe() -> Result<(OwnedFd, OwnedFd), SandboxError> {
    let mut fds = [0; 2];
    // SAFETY: `fds` is a valid out-array of two ints.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(SandboxError::host(
            "creating a pipe",
            std::io::Error::last_os_error(),
        ));
    }
    // SAFETY: pipe2 just returned these two descriptors, owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

fn read_some(fd: &OwnedFd, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        // SAFETY: `buf` is valid for `buf.len()` bytes.
        let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n >= 0 {
            return Ok(n.unsigned_abs());
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

fn write_file(path: String, body: &str) -> Result<(), SandboxError> {
    std::fs::write(&path, body).map_err(|e| SandboxError::host(format!("writing {path}"), e))
}

/// Kills and reaps process A if the parent returns early.
#[derive(Debug)]
struct Reaper {
    pid: libc::pid_t,
    reaped: bool,
}

impl Reaper {
    fn wait(&mut self) -> i32 {
        let mut status = 0;
        // SAFETY: waiting for our own child.
        while unsafe { libc::waitpid(self.pid, &raw mut status, 0) } < 0
            && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
        {}
        self.reaped = true;
        status
    }
}

impl Drop for Reaper {
    fn drop(&mut self) {
        if !self.reaped {
            // SAFETY: `pid` is our unreaped child, so the pid cannot have been reused.
            unsafe { libc::kill(self.pid, libc::SIGKILL) };
            self.wait();
        }
    }
}

#[derive(Debug, Default)]
struct Stream {
    captured: Captured,
    cap: usize,
}

impl Stream {
    fn push(&mut self, bytes: &[u8]) {
        self.captured.total_bytes += bytes.len() as u64;
        let room = self.cap.saturating_sub(self.captured.bytes.len());
        self.captured
            .bytes
            .extend_from_slice(&bytes[..room.min(bytes.len())]);
        if bytes.len() > room {
            self.captured.truncated = true;
        }
    }
}

fn hint(stage: Stage, errno: i32) -> &'static str {
    match (stage, errno) {
        (Stage::Unshare, _) => "user namespaces must be enabled and allowed for root here",
        (Stage::Proc, libc::EPERM) => {
            "mounting /proc in a user namespace needs a fully visible host /proc (no masked paths)"
        }
        (Stage::OpenSource, _) => {
            "a mount source (work dir, read-only mount or system path) is missing"
        }
        (Stage::Landlock, _) => "the kernel refused the Landlock ruleset",
        (Stage::Cgroup, _) => {
            "the sandbox's cgroup directories (v1 `tasks`, v2 `cgroup.procs`) must be writable by root"
        }
        (Stage::Seccomp, _) => "seccomp filters must be enabled (CONFIG_SECCOMP_FILTER)",
        _ => "run with a kernel that supports user namespaces, or report this as a bug",
    }
}

/// Where the run is: between [`Sandbox::spawn`] and [`Running::wait`].
struct Pipes {
    out: OwnedFd,
    err: OwnedFd,
    status: OwnedFd,
    error: OwnedFd,
    stop: OwnedFd,
}

/// A sandbox whose command is running. [`Running::wait`] collects its result; a
/// [`Channel`] reaches it from other threads meanwhile.
#[derive(Debug)]
pub struct Running {
    id: SandboxId,
    config: SandboxConfig,
    reaper: Reaper,
    pipes: Pipes,
    cgroups: Cgroups,
    workspace: Arc<Workspace>,
    snapshot: Snapshot,
    channel: Channel,
    start: Instant,
    started_at: SystemTime,
    started: bool,
}

impl std::fmt::Debug for Pipes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pipes")
    }
}

/// A handle on a running sandbox that can be cloned and sent to other threads: connect to
/// the Unix socket its program listens on (previews), or stop it.
#[derive(Debug, Clone)]
pub struct Channel {
    id: SandboxId,
    workspace: Arc<Workspace>,
    stop: Arc<OwnedFd>,
}

impl Channel {
    /// The run's id.
    pub fn id(&self) -> &SandboxId {
        &self.id
    }

    /// Connects to the Unix socket `name` at the top of the sandbox's work directory (`/app`
    /// inside). A symbolic link or anything but a socket there is refused.
    ///
    /// # Errors
    /// `NotFound` until the program has created the socket; `InvalidInput` for a name with
    /// a `/` or an entry that is not a socket; `ConnectionRefused` when nothing listens.
    pub fn connect(&self, name: &str) -> std::io::Result<UnixStream> {
        self.workspace.connect(name)
    }

    /// Asks the run to end: its whole process tree is killed and [`Running::wait`] returns
    /// with [`RunResult::stopped`] set. Stopping an ended run does nothing.
    pub fn stop(&self) {
        // SAFETY: one byte from a valid buffer into our own non-blocking pipe; a full pipe
        // or a closed reader means a stop is already pending or the run is over.
        unsafe { libc::write(self.stop.as_raw_fd(), b"s".as_ptr().cast(), 1) };
    }
}

impl Sandbox {
    /// Runs `config.command` in a fresh sandbox and waits for it (and everything it started)
    /// to end or be killed.
    ///
    /// # Errors
    /// [`SandboxError`] when the sandbox cannot be set up; the command's own failure, a
    /// timeout or a limit is a [`RunResult`].
    pub fn run(config: &SandboxConfig) -> Result<RunResult, SandboxError> {
        Self::spawn(config)?.wait()
    }

    /// Starts `config.command` in a fresh sandbox and returns once it is running.
    ///
    /// # Errors
    /// [`SandboxError`] when the sandbox cannot be set up (recorded in the audit sink).
    /// Failures of the last set-up steps inside (the `execve` itself) come from
    /// [`Running::wait`].
    pub fn spawn(config: &SandboxConfig) -> Result<Running, SandboxError> {
        if let Some(audit) = &config.audit {
            audit.check()?;
        }
        let id = crate::id::new_id();
        let started_at = SystemTime::now();
        match start(config, id.clone(), started_at) {
            Ok(running) if running.started => Ok(running),
            // The children ended before the go-ahead: `wait` reads why and records it.
            Ok(running) => match running.wait() {
                Err(e) => Err(e),
                Ok(_) => Err(SandboxError::Setup {
                    stage: "start",
                    source: std::io::Error::other("the sandbox ended before it was set up"),
                    hint: "run with a kernel that supports user namespaces",
                }),
            },
            Err(e) => Err(record_failure(config, &id, e, started_at)),
        }
    }
}

/// Records `error` as the set-up failure of run `id` and returns it (or the audit error, if
/// the record itself could not be written).
fn record_failure(
    config: &SandboxConfig,
    id: &SandboxId,
    error: SandboxError,
    started_at: SystemTime,
) -> SandboxError {
    if let Some(audit) = &config.audit {
        let record = AuditRecord::failed(config, id, &error, started_at, SystemTime::now());
        if let Err(audit_error) = audit.record(&record) {
            return audit_error.into();
        }
    }
    error
}

fn start(
    config: &SandboxConfig,
    id: SandboxId,
    started_at: SystemTime,
) -> Result<Running, SandboxError> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err(SandboxError::NotRoot(config.host_uid));
    }
    if !std::fs::metadata(&config.work_dir).is_ok_and(|m| m.is_dir()) {
        return Err(SandboxError::WorkDir {
            path: config.work_dir.clone(),
            reason: "not a directory".to_owned(),
        });
    }
    let workspace = Workspace::create(
        config.limits.work_bytes,
        config.limits.work_inodes,
        config.host_uid,
        config.host_gid,
    )?;
    let snapshot = workspace.copy_in(&config.work_dir, config.host_uid, config.host_gid)?;
    let cgroups = Cgroups::create(id.as_str(), config.limits.memory_bytes, config.limits.pids);
    let plan = Plan::new(config, cgroups.has_pids())?;

    let (out_r, out_w) = pipe()?;
    let (err_r, err_w) = pipe()?;
    let (status_r, status_w) = pipe()?;
    let (error_r, error_w) = pipe()?;
    let (ready_r, ready_w) = pipe()?;
    let (go_r, go_w) = pipe()?;
    let (stop_r, stop_w) = pipe()?;
    for fd in [&stop_r, &stop_w] {
        // SAFETY: setting a status flag on our own descriptor.
        unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
    }
    let tasks = cgroups
        .open_tasks()
        .map_err(|e| SandboxError::host("opening the sandbox's cgroups", e))?;
    let task_fd = |i: usize| tasks[i].as_ref().map_or(-1, AsRawFd::as_raw_fd);
    let fds = ChildFds {
        stdout: out_w.as_raw_fd(),
        stderr: err_w.as_raw_fd(),
        status: status_w.as_raw_fd(),
        error: error_w.as_raw_fd(),
        ready: ready_w.as_raw_fd(),
        go: go_r.as_raw_fd(),
        cgroup_tasks: [task_fd(0), task_fd(1), task_fd(2)],
        workspace: workspace.fd(),
    };
    let mut keep = vec![
        fds.stdout,
        fds.stderr,
        fds.status,
        fds.error,
        fds.ready,
        fds.go,
        fds.workspace,
    ];
    keep.extend(fds.cgroup_tasks.iter().filter(|fd| **fd >= 0));
    keep.sort_unstable();
    let mut sources = vec![-1; plan.sources.len()];

    let start = Instant::now();
    // SAFETY: the child only runs `child::stage_a`, which uses async-signal-safe calls on
    // data prepared above and never returns (it `_exit`s or `execve`s).
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(SandboxError::host("fork", std::io::Error::last_os_error()));
    }
    if pid == 0 {
        child::stage_a(&plan, &fds, &keep, &mut sources);
    }
    let reaper = Reaper { pid, reaped: false };
    drop((out_w, err_w, status_w, error_w, ready_w, go_r, tasks));

    let setup = (|| -> Result<bool, SandboxError> {
        let mut byte = [0u8; 1];
        if read_some(&ready_r, &mut byte).unwrap_or(0) != 1 {
            return Ok(false);
        }
        write_file(format!("/proc/{pid}/setgroups"), "deny")?;
        write_file(
            format!("/proc/{pid}/uid_map"),
            &format!("0 {} 1\n", config.host_uid),
        )?;
        write_file(
            format!("/proc/{pid}/gid_map"),
            &format!("0 {} 1\n", config.host_gid),
        )?;
        // SAFETY: writing one byte from a valid buffer.
        let n = unsafe { libc::write(go_w.as_raw_fd(), b"g".as_ptr().cast(), 1) };
        Ok(n == 1)
    })();
    drop(go_w);
    let started = setup?;
    let workspace = Arc::new(workspace);
    Ok(Running {
        channel: Channel {
            id: id.clone(),
            workspace: Arc::clone(&workspace),
            stop: Arc::new(stop_w),
        },
        id,
        config: config.clone(),
        reaper,
        pipes: Pipes {
            out: out_r,
            err: err_r,
            status: status_r,
            error: error_r,
            stop: stop_r,
        },
        cgroups,
        workspace,
        snapshot,
        start,
        started_at,
        started,
    })
}

/// What the poll loop gathered.
struct Gathered {
    out: Stream,
    err: Stream,
    records: Vec<u8>,
    timed_out: bool,
    stopped: bool,
}

impl Running {
    /// The run's id.
    pub fn id(&self) -> &SandboxId {
        &self.id
    }

    /// A handle to connect to the run's Unix socket or stop it from another thread.
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    /// Waits for the command (and everything it started) to end or be killed, copies the
    /// results back and records the run in the audit sink.
    ///
    /// # Errors
    /// [`SandboxError`] when the sandbox could not be set up (the command never ran), the
    /// results could not be copied back, or the run could not be recorded.
    pub fn wait(self) -> Result<RunResult, SandboxError> {
        let config = self.config.clone();
        let (id, started_at) = (self.id.clone(), self.started_at);
        match self.finish() {
            Ok(result) => {
                if let Some(audit) = &config.audit {
                    audit.record(&AuditRecord::new(&config, &result, SystemTime::now()))?;
                }
                Ok(result)
            }
            Err(e) => Err(record_failure(&config, &id, e, started_at)),
        }
    }

    /// Reads stdout, stderr and the status records until every writer is gone, enforcing
    /// the wall-clock timeout and stop requests.
    fn gather(&self) -> Result<Gathered, SandboxError> {
        let limits = &self.config.limits;
        let mut got = Gathered {
            out: Stream {
                cap: limits.output_bytes,
                ..Stream::default()
            },
            err: Stream {
                cap: limits.output_bytes,
                ..Stream::default()
            },
            records: Vec::new(),
            timed_out: false,
            stopped: false,
        };
        if !self.started {
            return Ok(got);
        }
        let deadline = self.start + limits.timeout;
        let pipes = &self.pipes;
        let mut open = [Some(&pipes.out), Some(&pipes.err), Some(&pipes.status)];
        let mut buf = vec![0u8; 64 * 1024];
        let mut init_pid = None;
        let mut killed = false;
        loop {
            let mut polls: Vec<libc::pollfd> = Vec::with_capacity(4);
            let mut which = Vec::with_capacity(4);
            for (i, fd) in open.iter().enumerate() {
                if let Some(fd) = fd {
                    polls.push(libc::pollfd {
                        fd: fd.as_raw_fd(),
                        events: libc::POLLIN,
                        revents: 0,
                    });
                    which.push(i);
                }
            }
            if polls.is_empty() {
                break;
            }
            if !killed {
                polls.push(libc::pollfd {
                    fd: pipes.stop.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                });
                which.push(usize::MAX);
            }
            let timeout = if killed {
                -1
            } else {
                let left = deadline.saturating_duration_since(Instant::now());
                i32::try_from(left.as_millis().saturating_add(1)).unwrap_or(i32::MAX)
            };
            // SAFETY: `polls` is a valid array of `polls.len()` pollfds.
            let n = unsafe { libc::poll(polls.as_mut_ptr(), polls.len() as libc::nfds_t, timeout) };
            if n < 0 {
                let e = std::io::Error::last_os_error();
                if e.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(SandboxError::host("poll", e));
            }
            let stop_asked = polls
                .iter()
                .zip(&which)
                .any(|(p, &i)| i == usize::MAX && p.revents != 0);
            let out_of_time = n == 0 || Instant::now() >= deadline;
            if !killed && (stop_asked || out_of_time) {
                killed = true;
                got.stopped = stop_asked;
                got.timed_out = !stop_asked;
                // Killing pid 1 kills its whole namespace; before it exists, kill A (B
                // then dies of its parent-death signal).
                let target = init_pid.unwrap_or(self.reaper.pid);
                // SAFETY: B is alive until A reaps it and A is our unreaped child.
                unsafe { libc::kill(target, libc::SIGKILL) };
                continue;
            }
            for (p, &i) in polls.iter().zip(&which) {
                if p.revents == 0 || i == usize::MAX {
                    continue;
                }
                let Some(fd) = open[i] else { continue };
                let n = read_some(fd, &mut buf).unwrap_or(0);
                if n == 0 {
                    open[i] = None;
                    continue;
                }
                match i {
                    0 => got.out.push(&buf[..n]),
                    1 => got.err.push(&buf[..n]),
                    _ => {
                        got.records.extend_from_slice(&buf[..n]);
                        if init_pid.is_none() {
                            init_pid = got.records.chunks_exact(RECORD).find_map(|r| {
                                (tag(r) == child::TAG_INIT_PID).then(|| field_i32(r))
                            });
                        }
                    }
                }
            }
        }
        Ok(got)
    }

    fn finish(mut self) -> Result<RunResult, SandboxError> {
        let gathered = self.gather()?;
        self.reaper.wait();
        let wall_time = self.start.elapsed();
        let config = &self.config;

        let mut error = Vec::new();
        let mut buf = [0u8; 64];
        while let Ok(n @ 1..) = read_some(&self.pipes.error, &mut buf) {
            error.extend_from_slice(&buf[..n]);
        }
        if let Some(rec) = error.get(..8) {
            let stage_code = u32::from_le_bytes([rec[0], rec[1], rec[2], rec[3]]);
            let errno = i32::from_le_bytes([rec[4], rec[5], rec[6], rec[7]]);
            let source = std::io::Error::from_raw_os_error(errno);
            let stage = Stage::from_u32(stage_code).unwrap_or(Stage::Exec);
            return Err(match stage {
                Stage::Unshare | Stage::SetId => SandboxError::Namespaces(source),
                Stage::Exec => SandboxError::Exec {
                    command: config.command.clone(),
                    source,
                },
                _ => SandboxError::Setup {
                    stage: stage.name(),
                    source,
                    hint: hint(stage, errno),
                },
            });
        }
        if !self.started {
            return Err(SandboxError::Setup {
                stage: "start",
                source: std::io::Error::other("the sandbox ended before it was set up"),
                hint: "run with a kernel that supports user namespaces",
            });
        }

        let mut status = ExitStatus::Killed;
        let mut rusage_cpu = Duration::ZERO;
        let mut max_rss = None;
        let mut landlock_full = None;
        for r in gathered.records.chunks_exact(RECORD) {
            match tag(r) {
                child::TAG_STATUS => {
                    let raw = field_i32(r);
                    status = if libc::WIFEXITED(raw) {
                        ExitStatus::Code(libc::WEXITSTATUS(raw))
                    } else if libc::WIFSIGNALED(raw) {
                        ExitStatus::Signal(libc::WTERMSIG(raw))
                    } else {
                        ExitStatus::Killed
                    };
                    let micros = field_i64(r, 8).saturating_add(field_i64(r, 16));
                    rusage_cpu = Duration::from_micros(micros.unsigned_abs());
                    max_rss = Some(field_i64(r, 24).unsigned_abs() * 1024);
                }
                child::TAG_LANDLOCK => {
                    landlock_full = match field_i32(r) {
                        2 => Some(true),
                        1 => Some(false),
                        _ => None,
                    };
                }
                _ => {}
            }
        }
        let report = self.cgroups.report();
        let cpu_time = report.cpu_time.unwrap_or(rusage_cpu);
        let (out, err) = (gathered.out, gathered.err);
        let mut limits_hit = Vec::new();
        if gathered.timed_out {
            limits_hit.push(LimitHit::Timeout);
        }
        if report.oom_killed || (report.memory_limit_hit && !status.success()) {
            limits_hit.push(LimitHit::Memory);
        }
        if report.pids_limit_hit {
            limits_hit.push(LimitHit::Pids);
        }
        let cpu_limit = Duration::from_secs(config.limits.cpu_seconds);
        if status == ExitStatus::Signal(libc::SIGXCPU)
            || (status == ExitStatus::Signal(libc::SIGKILL) && rusage_cpu >= cpu_limit)
        {
            limits_hit.push(LimitHit::CpuTime);
        }
        if status == ExitStatus::Signal(libc::SIGXFSZ) {
            limits_hit.push(LimitHit::FileSize);
        }
        if out.captured.truncated || err.captured.truncated {
            limits_hit.push(LimitHit::Output);
        }
        if self.workspace.is_full() {
            limits_hit.push(LimitHit::Disk);
        }
        let copied_back = if config.copy_back {
            self.workspace
                .copy_back(&config.work_dir, &self.snapshot)
                .map_err(|e| {
                    SandboxError::host(
                        format!("copying results back to {}", config.work_dir.display()),
                        e,
                    )
                })?
        } else {
            CopiedBack::default()
        };
        Ok(RunResult {
            id: self.id.clone(),
            status,
            limits_hit,
            wall_time,
            cpu_time,
            peak_memory_bytes: report.peak_memory.or(max_rss),
            stdout: out.captured,
            stderr: err.captured,
            enforcement: Enforcement {
                memory_cgroup: self.cgroups.has_memory(),
                pids_cgroup: self.cgroups.has_pids(),
                landlock_full,
            },
            copied_back,
            stopped: gathered.stopped,
        })
    }
}

fn tag(r: &[u8]) -> u32 {
    u32::from_le_bytes([r[0], r[1], r[2], r[3]])
}

fn field_i32(r: &[u8]) -> i32 {
    i32::from_le_bytes([r[4], r[5], r[6], r[7]])
}

fn field_i64(r: &[u8], at: usize) -> i64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&r[at..at + 8]);
    i64::from_le_bytes(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_keep_the_cap_and_count_the_rest() {
        let mut s = Stream {
            cap: 4,
            ..Stream::default()
        };
        s.push(b"ab");
        s.push(b"cdef");
        s.push(b"gh");
        assert_eq!(s.captured.bytes, b"abcd");
        assert_eq!(s.captured.total_bytes, 8);
        assert!(s.captured.truncated);
    }

    #[test]
    fn records_round_trip() {
        let r = child::record(child::TAG_STATUS, -7, 1, -2, 3);
        assert_eq!(tag(&r), child::TAG_STATUS);
        assert_eq!(field_i32(&r), -7);
        assert_eq!(
            (field_i64(&r, 8), field_i64(&r, 16), field_i64(&r, 24)),
            (1, -2, 3)
        );
    }
}
