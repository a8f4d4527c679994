//! What a run produced.

use std::time::Duration;

use crate::CopiedBack;

/// A unique id of one run: a UUIDv7-shaped string (time-ordered, random, never reused in
/// one process).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SandboxId(pub(crate) String);

impl SandboxId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SandboxId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How the command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// It exited with this code.
    Code(i32),
    /// It was killed by this signal number.
    Signal(i32),
    /// The sandbox was killed before the command's status was known (timeout).
    Killed,
}

impl ExitStatus {
    /// Exited with code 0.
    pub fn success(self) -> bool {
        self == Self::Code(0)
    }
}

/// A limit the run reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitHit {
    /// The wall-clock timeout: the whole tree was killed.
    Timeout,
    /// The memory cgroup limit was reached.
    Memory,
    /// The pids cgroup limit refused a fork.
    Pids,
    /// A process used up its CPU seconds.
    CpuTime,
    /// A process tried to write a file larger than allowed.
    FileSize,
    /// stdout or stderr was longer than the cap and was truncated.
    Output,
    /// The work directory's size or inode quota was used up.
    Disk,
}

/// Captured bytes of one stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Captured {
    /// The first bytes, up to the cap.
    pub bytes: Vec<u8>,
    /// Everything the stream carried, including what was discarded.
    pub total_bytes: u64,
    /// More was written than the cap.
    pub truncated: bool,
}

impl Captured {
    /// The kept bytes as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// Which protections were in force for the run, as detected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enforcement {
    /// A memory cgroup held the tree.
    pub memory_cgroup: bool,
    /// A pids cgroup held the tree.
    pub pids_cgroup: bool,
    /// Landlock was fully (`Some(true)`), partly (`Some(false)`) or not (`None`) enforced.
    pub landlock_full: Option<bool>,
}

/// Everything known about a finished run.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// Unique id of this run.
    pub id: SandboxId,
    /// How the command ended.
    pub status: ExitStatus,
    /// Limits reached, most decisive first.
    pub limits_hit: Vec<LimitHit>,
    /// Start to end of the whole run, set-up included.
    pub wall_time: Duration,
    /// CPU time of the tree (cpuacct cgroup, else the reaped processes' rusage).
    pub cpu_time: Duration,
    /// Peak memory of the tree in bytes (memory cgroup), else the largest process's RSS.
    pub peak_memory_bytes: Option<u64>,
    /// Standard output.
    pub stdout: Captured,
    /// Standard error.
    pub stderr: Captured,
    /// Which protections were in force.
    pub enforcement: Enforcement,
    /// What was copied back into the work directory (empty without
    /// [`crate::SandboxConfig::copy_back`]).
    pub copied_back: CopiedBack,
    /// The run was ended by [`crate::Channel::stop`].
    pub stopped: bool,
}

impl RunResult {
    /// Whether `limit` was reached.
    pub fn hit(&self, limit: LimitHit) -> bool {
        self.limits_hit.contains(&limit)
    }
}
