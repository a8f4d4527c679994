//! What the caller asks for: the command, the filesystem view and the limits.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::AuditSink;

/// One run of one command inside a fresh sandbox.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// The program: an absolute path inside the sandbox, or a name looked up in the `PATH`
    /// given in [`SandboxConfig::env`] (default `/usr/local/bin:/usr/bin:/bin`).
    pub command: String,
    /// Arguments after the program name.
    pub args: Vec<String>,
    /// Host directory whose contents the sandbox sees at `/app` (the current directory
    /// inside): copied into a private tmpfs of [`Limits::work_bytes`] before the run and, when
    /// [`SandboxConfig::copy_back`] is set, new and changed files copied back after it. The
    /// host directory itself is never mounted, chowned or written during the run.
    pub work_dir: PathBuf,
    /// Copy new and changed regular files back into [`SandboxConfig::work_dir`] after the run
    /// (default true).
    pub copy_back: bool,
    /// Extra read-only mounts: host path → absolute sandbox path (prepared runtimes).
    pub ro_mounts: Vec<(PathBuf, PathBuf)>,
    /// The whole environment of the command: nothing is inherited from the host.
    pub env: BTreeMap<String, String>,
    /// The limits.
    pub limits: Limits,
    /// Host uid the sandbox's uid 0 is mapped to (default 65534, `nobody`).
    pub host_uid: u32,
    /// Host gid the sandbox's gid 0 is mapped to (default 65534, `nogroup`).
    pub host_gid: u32,
    /// The project the run belongs to, recorded in the audit log only (default none).
    pub project: Option<String>,
    /// Where every run, set-up failures included, is recorded (default none). When set, a
    /// run that cannot be recorded does not start.
    pub audit: Option<Arc<dyn AuditSink>>,
}

/// Resource limits of one run. The network is always loopback-only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time after which the whole process tree is killed.
    pub timeout: Duration,
    /// Memory of the whole tree (memory cgroup), in bytes.
    pub memory_bytes: u64,
    /// Processes and threads of the whole tree (pids cgroup; `RLIMIT_NPROC` without it).
    /// The sandbox's own two supervisor processes count.
    pub pids: u32,
    /// CPU seconds per process (`RLIMIT_CPU`).
    pub cpu_seconds: u64,
    /// Largest file a process may write (`RLIMIT_FSIZE`), in bytes.
    pub file_size_bytes: u64,
    /// Open files per process (`RLIMIT_NOFILE`).
    pub open_files: u64,
    /// Bytes kept of stdout and of stderr each; the rest is read and discarded.
    pub output_bytes: usize,
    /// Size of the private `/tmp` tmpfs, in bytes.
    pub tmp_bytes: u64,
    /// Inodes of the private `/tmp` tmpfs.
    pub tmp_inodes: u64,
    /// Size of the work-directory tmpfs at `/app`, in bytes (its copied-in contents count).
    pub work_bytes: u64,
    /// Inodes of the work-directory tmpfs.
    pub work_inodes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            memory_bytes: 512 << 20,
            pids: 256,
            cpu_seconds: 60,
            file_size_bytes: 64 << 20,
            open_files: 1024,
            output_bytes: 1 << 20,
            tmp_bytes: 64 << 20,
            tmp_inodes: 16_384,
            work_bytes: 256 << 20,
            work_inodes: 65_536,
        }
    }
}

impl SandboxConfig {
    /// A run of `command` with `args` in `work_dir`, default limits, `PATH` set and nothing
    /// else in the environment.
    pub fn new(
        command: impl Into<String>,
        args: impl IntoIterator<Item = impl Into<String>>,
        work_dir: impl Into<PathBuf>,
    ) -> Self {
        let mut env = BTreeMap::new();
        env.insert("PATH".to_owned(), DEFAULT_PATH.to_owned());
        Self {
            command: command.into(),
            args: args.into_iter().map(Into::into).collect(),
            work_dir: work_dir.into(),
            copy_back: true,
            ro_mounts: Vec::new(),
            env,
            limits: Limits::default(),
            host_uid: NOBODY,
            host_gid: NOBODY,
            project: None,
            audit: None,
        }
    }
}

/// `PATH` used to find the command when the caller's environment names none.
pub const DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";
/// The host uid and gid of `nobody`/`nogroup` on Debian.
pub const NOBODY: u32 = 65534;
