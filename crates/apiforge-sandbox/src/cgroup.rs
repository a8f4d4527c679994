//! Per-run cgroup v1 directories (memory, pids, cpuacct) under `apiforge/<id>`; a controller
//! that is not mounted or not writable is skipped and reported in [`crate::Enforcement`].
//! cgroup v2 (unified) is not handled yet.

use std::fs;
use std::io;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

const ROOT: &str = "/sys/fs/cgroup";

/// The cgroup directories of one run; removed on drop.
#[derive(Debug, Default)]
pub(crate) struct Cgroups {
    memory: Option<PathBuf>,
    pids: Option<PathBuf>,
    cpuacct: Option<PathBuf>,
}

/// What the cgroups observed after the run.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct CgroupReport {
    pub peak_memory: Option<u64>,
    pub memory_limit_hit: bool,
    pub oom_killed: bool,
    pub pids_limit_hit: bool,
    pub cpu_time: Option<Duration>,
}

fn create(controller: &str, id: &str) -> Option<PathBuf> {
    let base = Path::new(ROOT).join(controller);
    if !base.join("cgroup.procs").exists() {
        return None;
    }
    let dir = base.join("apiforge").join(id);
    fs::create_dir_all(&dir).ok()?;
    Some(dir)
}

impl Cgroups {
    /// Creates the directories and writes the limits. A controller that cannot be set up is
    /// left out.
    pub(crate) fn create(id: &str, memory_bytes: u64, pids: u32) -> Self {
        let mut groups = Self {
            memory: create("memory", id),
            pids: create("pids", id),
            cpuacct: create("cpuacct", id),
        };
        if let Some(dir) = &groups.memory {
            let limit = memory_bytes.to_string();
            let ok = fs::write(dir.join("memory.limit_in_bytes"), &limit).is_ok();
            // Without swap accounting the file is absent; with it, swap must not be a way out.
            let memsw = dir.join("memory.memsw.limit_in_bytes");
            if memsw.exists() {
                let _ = fs::write(&memsw, &limit);
            }
            if !ok {
                groups.memory = None;
            }
        }
        if let Some(dir) = &groups.pids
            && fs::write(dir.join("pids.max"), pids.to_string()).is_err()
        {
            groups.pids = None;
        }
        groups
    }

    pub(crate) fn has_memory(&self) -> bool {
        self.memory.is_some()
    }

    pub(crate) fn has_pids(&self) -> bool {
        self.pids.is_some()
    }

    /// Opens the `tasks` file of every controller for writing, in the order memory, pids,
    /// cpuacct (`None` for a controller left out). The sandbox's first process writes `0` to
    /// each to move itself in (see `child::stage_a`); the files are opened here, by root, so
    /// the write is allowed whatever the child has dropped.
    pub(crate) fn open_tasks(&self) -> io::Result<[Option<OwnedFd>; 3]> {
        let open = |dir: &Option<PathBuf>| {
            dir.as_ref()
                .map(|dir| {
                    fs::OpenOptions::new()
                        .write(true)
                        .open(dir.join("tasks"))
                        .map(OwnedFd::from)
                })
                .transpose()
        };
        Ok([open(&self.memory)?, open(&self.pids)?, open(&self.cpuacct)?])
    }

    pub(crate) fn report(&self) -> CgroupReport {
        let mut report = CgroupReport::default();
        if let Some(dir) = &self.memory {
            report.peak_memory = read_u64(&dir.join("memory.max_usage_in_bytes"));
            report.memory_limit_hit = read_u64(&dir.join("memory.failcnt")).unwrap_or(0) > 0;
            report.oom_killed = fs::read_to_string(dir.join("memory.oom_control"))
                .ok()
                .and_then(|s| keyed(&s, "oom_kill"))
                .unwrap_or(0)
                > 0;
        }
        if let Some(dir) = &self.pids {
            report.pids_limit_hit = fs::read_to_string(dir.join("pids.events"))
                .ok()
                .and_then(|s| keyed(&s, "max"))
                .unwrap_or(0)
                > 0;
        }
        if let Some(dir) = &self.cpuacct {
            report.cpu_time = read_u64(&dir.join("cpuacct.usage")).map(Duration::from_nanos);
        }
        report
    }
}

impl Drop for Cgroups {
    fn drop(&mut self) {
        for dir in [&self.memory, &self.pids, &self.cpuacct]
            .into_iter()
            .flatten()
        {
            // Every process has been reaped when this runs; the kernel may still be tearing
            // the last one down, so retry briefly.
            for _ in 0..50 {
                match fs::remove_dir(dir) {
                    Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
                        std::thread::sleep(Duration::from_millis(2));
                    }
                    _ => break,
                }
            }
        }
    }
}

fn read_u64(path: &Path) -> Option<u64> {
    fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// The value of `key` in a "key value" per line file.
fn keyed(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let (k, v) = line.split_once(' ')?;
        (k == key).then(|| v.trim().parse().ok())?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_keyed_files() {
        let oom = "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n";
        assert_eq!(keyed(oom, "oom_kill"), Some(3));
        assert_eq!(keyed("max 0\n", "max"), Some(0));
        assert_eq!(keyed("max 0\n", "oom_kill"), None);
    }
}
