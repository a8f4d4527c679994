//! Per-run cgroup directories named `apiforge/<id>`, on either cgroup layout (found once per
//! process, see [`Layout`]):
//! - **v1** (also the hybrid layout, whose cgroup2 mount holds no controllers): one directory
//!   per controller, `/sys/fs/cgroup/{memory,pids,cpuacct}/apiforge/<id>`;
//! - **v2** (unified): one leaf `apiforge/<id>` under the forge's own cgroup, with the memory
//!   and pids controllers enabled on the way down.
//!
//! A controller that is not available or not writable is skipped and reported in
//! [`crate::Enforcement`].

use std::ffi::CString;
use std::fs;
use std::io::{self, Write};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

const ROOT: &str = "/sys/fs/cgroup";

/// `statfs` magic of a cgroup2 file system (`CGROUP2_SUPER_MAGIC`).
const CGROUP2_SUPER_MAGIC: u64 = 0x6367_7270;

/// How the host's cgroups are mounted.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Layout {
    /// One hierarchy per controller at `<root>/<controller>`. Also the hybrid layout: its
    /// cgroup2 mount (`<root>/unified`) holds no controllers.
    V1,
    /// The unified hierarchy at `<root>`; `own` is the forge's cgroup relative to it (empty
    /// for the root cgroup).
    V2 { own: PathBuf },
    /// `<root>` is cgroup2 but the forge's own cgroup is unknown: no cgroups.
    Unknown,
}

/// The host's layout, detected on first use.
fn layout() -> &'static Layout {
    static LAYOUT: OnceLock<Layout> = OnceLock::new();
    LAYOUT.get_or_init(|| {
        if !is_cgroup2(Path::new(ROOT)) {
            return Layout::V1;
        }
        fs::read_to_string("/proc/self/cgroup")
            .ok()
            .and_then(|text| own_cgroup(&text))
            .map_or(Layout::Unknown, |own| Layout::V2 { own })
    })
}

/// Whether `path` is on a cgroup2 file system.
fn is_cgroup2(path: &Path) -> bool {
    let Ok(path) = CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `statfs` is plain old data, for which all zeroes is a valid value.
    let mut stat: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `path` is NUL-terminated and outlives the call; `stat` is a valid, writable
    // `statfs` owned by this frame.
    if unsafe { libc::statfs(path.as_ptr(), &raw mut stat) } != 0 {
        return false;
    }
    // `f_type`'s integer type differs between targets.
    u64::try_from(stat.f_type).is_ok_and(|magic| magic == CGROUP2_SUPER_MAGIC)
}

/// The forge's cgroup in the unified hierarchy, relative to its root, from the text of
/// `/proc/self/cgroup` (the `0::/path` line). `None` without that line or when the path leaves
/// the visible hierarchy (a cgroup namespace shows an outside cgroup as `/../..`).
fn own_cgroup(text: &str) -> Option<PathBuf> {
    let path = text.lines().find_map(|line| line.strip_prefix("0::"))?;
    let relative = Path::new(path.strip_prefix('/')?);
    relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then(|| relative.to_path_buf())
}

/// The cgroup directories of one run; removed on drop.
#[derive(Debug, Default)]
pub(crate) struct Cgroups {
    memory: Option<PathBuf>,
    pids: Option<PathBuf>,
    cpuacct: Option<PathBuf>,
    /// cgroup v2: the run's leaf (the v1 directories above are then `None`).
    unified: Option<Unified>,
}

/// The run's cgroup v2 leaf and the limits written to it.
#[derive(Debug)]
struct Unified {
    dir: PathBuf,
    memory: bool,
    pids: bool,
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

fn create(root: &Path, controller: &str, id: &str) -> Option<PathBuf> {
    let base = root.join(controller);
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
        Self::create_in(Path::new(ROOT), layout(), id, memory_bytes, pids)
    }

    /// [`Self::create`] with the cgroup file systems mounted at `root` in `layout`.
    fn create_in(root: &Path, layout: &Layout, id: &str, memory_bytes: u64, pids: u32) -> Self {
        match layout {
            Layout::V1 => Self::create_v1(root, id, memory_bytes, pids),
            Layout::V2 { own } => Self {
                memory: None,
                pids: None,
                cpuacct: None,
                unified: Unified::create(&root.join(own), id, memory_bytes, pids),
            },
            Layout::Unknown => Self::default(),
        }
    }

    fn create_v1(root: &Path, id: &str, memory_bytes: u64, pids: u32) -> Self {
        let mut groups = Self {
            memory: create(root, "memory", id),
            pids: create(root, "pids", id),
            cpuacct: create(root, "cpuacct", id),
            unified: None,
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
        self.memory.is_some() || self.unified.as_ref().is_some_and(|u| u.memory)
    }

    pub(crate) fn has_pids(&self) -> bool {
        self.pids.is_some() || self.unified.as_ref().is_some_and(|u| u.pids)
    }

    /// Opens for writing the files the sandbox's first process writes `0` to, to move itself
    /// in (see `child::stage_a`). On v1 the `tasks` file of every controller, in the order
    /// memory, pids, cpuacct (`None` for a controller left out); on v2 the leaf's
    /// `cgroup.procs` first and `None` after it. The files are opened here, by root, so the
    /// write is allowed whatever the child has dropped.
    pub(crate) fn open_tasks(&self) -> io::Result<[Option<OwnedFd>; 3]> {
        let open = |path: PathBuf| {
            fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map(OwnedFd::from)
        };
        if let Some(unified) = &self.unified {
            return Ok([Some(open(unified.dir.join("cgroup.procs"))?), None, None]);
        }
        let tasks =
            |dir: &Option<PathBuf>| dir.as_ref().map(|dir| open(dir.join("tasks"))).transpose();
        Ok([
            tasks(&self.memory)?,
            tasks(&self.pids)?,
            tasks(&self.cpuacct)?,
        ])
    }

    pub(crate) fn report(&self) -> CgroupReport {
        if let Some(unified) = &self.unified {
            return unified.report();
        }
        let mut report = CgroupReport::default();
        if let Some(dir) = &self.memory {
            report.peak_memory = read_u64(&dir.join("memory.max_usage_in_bytes"));
            report.memory_limit_hit = read_u64(&dir.join("memory.failcnt")).unwrap_or(0) > 0;
            report.oom_killed = read_keyed(&dir.join("memory.oom_control"), "oom_kill") > 0;
        }
        if let Some(dir) = &self.pids {
            report.pids_limit_hit = read_keyed(&dir.join("pids.events"), "max") > 0;
        }
        if let Some(dir) = &self.cpuacct {
            report.cpu_time = read_u64(&dir.join("cpuacct.usage")).map(Duration::from_nanos);
        }
        report
    }
}

impl Unified {
    /// Creates `<own>/apiforge/<id>` and writes the limits. `None` when the leaf cannot be
    /// made; a leaf without the memory or pids controller still gives the CPU time.
    fn create(own: &Path, id: &str, memory_bytes: u64, pids: u32) -> Option<Self> {
        // The forge's cgroup must pass memory and pids down to `apiforge`. Unless it is the
        // root, the kernel refuses while it holds processes (no internal processes), as it
        // does while the forge is in it: the run then goes without them, as on v1 without
        // a controller. cpu is not needed for `cpu.stat`, so it is not pushed up here.
        enable(own, &["memory", "pids"]);
        let parent = own.join("apiforge");
        make_dir(&parent).ok()?;
        enable(&parent, &["memory", "pids", "cpu"]);
        let dir = parent.join(id);
        make_dir(&dir).ok()?;
        // The interface files exist only for the controllers enabled above.
        let memory = write_existing(&dir.join("memory.max"), &memory_bytes.to_string()).is_ok();
        if memory {
            // Absent without swap accounting; with it, swap must not be a way out.
            let _ = write_existing(&dir.join("memory.swap.max"), "0");
        }
        let pids = write_existing(&dir.join("pids.max"), &pids.to_string()).is_ok();
        Some(Self { dir, memory, pids })
    }

    fn report(&self) -> CgroupReport {
        let mut report = CgroupReport::default();
        if self.memory {
            // `memory.peak` is absent before Linux 5.19; the caller falls back to the RSS.
            report.peak_memory = read_u64(&self.dir.join("memory.peak"));
            let events = fs::read_to_string(self.dir.join("memory.events")).unwrap_or_default();
            report.memory_limit_hit = keyed(&events, "max").unwrap_or(0) > 0;
            report.oom_killed = keyed(&events, "oom_kill").unwrap_or(0) > 0;
        }
        if self.pids {
            report.pids_limit_hit = read_keyed(&self.dir.join("pids.events"), "max") > 0;
        }
        // A core file of every v2 cgroup, with or without the cpu controller.
        report.cpu_time = fs::read_to_string(self.dir.join("cpu.stat"))
            .ok()
            .and_then(|s| keyed(&s, "usage_usec"))
            .map(Duration::from_micros);
        report
    }
}

/// Enables for the children of the v2 cgroup `dir` those of `wanted` it offers and has not
/// enabled yet: in one write, else one at a time so a controller the kernel refuses does not
/// keep out the others. Best effort: the leaf's interface files show what worked.
fn enable(dir: &Path, wanted: &[&str]) {
    let offered = fs::read_to_string(dir.join("cgroup.controllers")).unwrap_or_default();
    let enabled = fs::read_to_string(dir.join("cgroup.subtree_control")).unwrap_or_default();
    let has = |text: &str, controller: &str| text.split_whitespace().any(|c| c == controller);
    let missing: Vec<String> = wanted
        .iter()
        .filter(|c| has(&offered, c) && !has(&enabled, c))
        .map(|c| format!("+{c}"))
        .collect();
    if missing.is_empty() {
        return;
    }
    let control = dir.join("cgroup.subtree_control");
    if write_existing(&control, &missing.join(" ")).is_err() && missing.len() > 1 {
        for token in &missing {
            let _ = write_existing(&control, token);
        }
    }
}

/// `mkdir`, where an existing directory is fine but missing parents are not.
fn make_dir(dir: &Path) -> io::Result<()> {
    match fs::create_dir(dir) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        result => result,
    }
}

/// Writes `value` to the existing file `path` (a cgroup interface file; never creates one).
fn write_existing(path: &Path, value: &str) -> io::Result<()> {
    fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)?
        .write_all(value.as_bytes())
}

impl Drop for Cgroups {
    fn drop(&mut self) {
        let unified = self.unified.as_ref().map(|u| &u.dir);
        for dir in [
            self.memory.as_ref(),
            self.pids.as_ref(),
            self.cpuacct.as_ref(),
            unified,
        ]
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

/// The value of `key` in the "key value" file `path`, 0 when absent.
fn read_keyed(path: &Path, key: &str) -> u64 {
    fs::read_to_string(path)
        .ok()
        .and_then(|s| keyed(&s, key))
        .unwrap_or(0)
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
    use std::os::fd::AsRawFd;

    #[test]
    fn reads_keyed_files() {
        let oom = "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n";
        assert_eq!(keyed(oom, "oom_kill"), Some(3));
        assert_eq!(keyed("max 0\n", "max"), Some(0));
        assert_eq!(keyed("max 0\n", "oom_kill"), None);
        let events = "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n";
        assert_eq!(keyed(events, "max"), Some(12));
        assert_eq!(keyed(events, "oom_kill"), Some(1));
        assert_eq!(keyed("max 0\nmax.imposed 4\n", "max"), Some(0));
    }

    #[test]
    fn finds_the_own_cgroup() {
        let own = |text: &str| own_cgroup(text).map(|p| p.to_string_lossy().into_owned());
        assert_eq!(own("0::/\n").as_deref(), Some(""));
        assert_eq!(
            own("0::/user.slice/user-0.slice/session-1.scope\n").as_deref(),
            Some("user.slice/user-0.slice/session-1.scope")
        );
        // Hybrid: the v1 lines come first and are not the unified path.
        let hybrid = "9:name=systemd:/\n4:memory:/process_api/b6ae\n2:cpuacct:/\n0::/svc\n";
        assert_eq!(own(hybrid).as_deref(), Some("svc"));
        // A colon belongs to the path.
        assert_eq!(own("0::/a:b/c\n").as_deref(), Some("a:b/c"));
        // v1 only, empty, relative or outside the namespace's root: unknown.
        assert_eq!(own("4:memory:/x\n2:cpuacct:/\n"), None);
        assert_eq!(own(""), None);
        assert_eq!(own("0::x\n"), None);
        assert_eq!(own("0::/../../outside\n"), None);
        assert_eq!(own("0::/a/../../b\n"), None);
    }

    #[test]
    fn detects_cgroup2_by_its_magic() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!is_cgroup2(dir.path()));
        assert!(!is_cgroup2(&dir.path().join("missing")));
        // Every cgroup mount this host has (the unified one on v2, `unified` on hybrid); the
        // last mount on a path is the one visible there.
        let mounts = fs::read_to_string("/proc/self/mountinfo").unwrap();
        let mut types = std::collections::BTreeMap::new();
        for line in mounts.lines() {
            let fields: Vec<&str> = line.split(' ').collect();
            if let Some(dash) = fields.iter().position(|f| *f == "-") {
                types.insert(fields[4], fields[dash + 1]);
            }
        }
        for (path, fs_type) in types {
            match fs_type {
                "cgroup2" => assert!(is_cgroup2(Path::new(path)), "{path}"),
                "cgroup" | "tmpfs" => assert!(!is_cgroup2(Path::new(path)), "{path}"),
                _ => {}
            }
        }
        assert_eq!(*layout() == Layout::V1, !is_cgroup2(Path::new(ROOT)));
    }

    /// Writes `files` (name, content) into `dir`, creating it.
    fn fill(dir: &Path, files: &[(&str, &str)]) {
        fs::create_dir_all(dir).unwrap();
        for (name, content) in files {
            fs::write(dir.join(name), content).unwrap();
        }
    }

    fn read(path: &Path) -> String {
        fs::read_to_string(path).unwrap()
    }

    /// The interface files the kernel gives a leaf with memory and pids enabled.
    const FULL_LEAF: &[(&str, &str)] = &[
        ("cgroup.controllers", "cpu memory pids"),
        ("cgroup.procs", ""),
        ("cpu.stat", "usage_usec 0\nuser_usec 0\nsystem_usec 0\n"),
        ("memory.max", "max\n"),
        ("memory.swap.max", "max\n"),
        ("memory.peak", "0\n"),
        (
            "memory.events",
            "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n",
        ),
        ("pids.max", "max\n"),
        ("pids.events", "max 0\n"),
    ];

    #[test]
    fn v2_enables_controllers_and_writes_limits() {
        let root = tempfile::tempdir().unwrap();
        let own = Path::new("system.slice/forge.service");
        let forge = root.path().join(own);
        // The forge's cgroup offers memory and pids but has not enabled them yet; `apiforge`
        // offers them once they are (a fake tree cannot, so it offers them from the start).
        fill(
            &forge,
            &[
                ("cgroup.controllers", "cpuset cpu io memory pids"),
                ("cgroup.subtree_control", ""),
            ],
        );
        let parent = forge.join("apiforge");
        fill(
            &parent,
            &[
                ("cgroup.controllers", "cpu io memory pids"),
                ("cgroup.subtree_control", ""),
            ],
        );
        let leaf = parent.join("run1");
        fill(&leaf, FULL_LEAF);

        let layout = Layout::V2 {
            own: own.to_path_buf(),
        };
        let groups = Cgroups::create_in(root.path(), &layout, "run1", 256 << 20, 64);
        assert!(groups.has_memory());
        assert!(groups.has_pids());
        assert_eq!(read(&forge.join("cgroup.subtree_control")), "+memory +pids");
        assert_eq!(
            read(&parent.join("cgroup.subtree_control")),
            "+memory +pids +cpu"
        );
        assert_eq!(read(&leaf.join("memory.max")), (256u64 << 20).to_string());
        assert_eq!(read(&leaf.join("memory.swap.max")), "0");
        assert_eq!(read(&leaf.join("pids.max")), "64");
        // No v1 directories were looked for.
        assert!(!root.path().join("memory").exists());

        // One descriptor, on the leaf's cgroup.procs.
        let [procs, pids, cpuacct] = groups.open_tasks().unwrap();
        assert!(pids.is_none() && cpuacct.is_none());
        let mut procs = fs::File::from(procs.unwrap());
        procs.write_all(b"0").unwrap();
        drop(procs);
        assert_eq!(read(&leaf.join("cgroup.procs")), "0");

        // Nothing happened yet.
        let report = groups.report();
        assert_eq!(report.peak_memory, Some(0));
        assert!(!report.memory_limit_hit && !report.oom_killed && !report.pids_limit_hit);
        assert_eq!(report.cpu_time, Some(Duration::ZERO));

        // The run hit every limit.
        fill(
            &leaf,
            &[
                ("memory.peak", "268435456\n"),
                (
                    "memory.events",
                    "low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\noom_group_kill 0\n",
                ),
                ("pids.events", "max 3\n"),
                (
                    "cpu.stat",
                    "usage_usec 1500250\nuser_usec 1000000\nsystem_usec 500250\n",
                ),
            ],
        );
        let report = groups.report();
        assert_eq!(report.peak_memory, Some(256 << 20));
        assert!(report.memory_limit_hit);
        assert!(report.oom_killed);
        assert!(report.pids_limit_hit);
        assert_eq!(report.cpu_time, Some(Duration::from_micros(1_500_250)));

        // Reclaim without an OOM kill is a limit hit only.
        fill(
            &leaf,
            &[("memory.events", "low 0\nhigh 0\nmax 2\noom 0\noom_kill 0\n")],
        );
        let report = groups.report();
        assert!(report.memory_limit_hit && !report.oom_killed);

        // The leaf is removed on drop (once the kernel's files are gone, as on cgroupfs).
        for (name, _) in FULL_LEAF {
            fs::remove_file(leaf.join(name)).unwrap();
        }
        drop(groups);
        assert!(!leaf.exists());
        assert!(parent.exists());
    }

    #[test]
    fn v2_keeps_enabled_controllers_and_skips_swap_without_accounting() {
        let root = tempfile::tempdir().unwrap();
        // The forge in the root cgroup, everything already enabled.
        fill(
            root.path(),
            &[
                ("cgroup.controllers", "cpu memory pids"),
                ("cgroup.subtree_control", "cpu memory pids\n"),
            ],
        );
        let parent = root.path().join("apiforge");
        fill(
            &parent,
            &[
                ("cgroup.controllers", "cpu memory pids"),
                ("cgroup.subtree_control", "cpu memory pids\n"),
            ],
        );
        let leaf = parent.join("run2");
        let no_swap: Vec<_> = FULL_LEAF
            .iter()
            .copied()
            .filter(|(name, _)| *name != "memory.swap.max" && *name != "memory.peak")
            .collect();
        fill(&leaf, &no_swap);
        let layout = Layout::V2 {
            own: PathBuf::new(),
        };
        let groups = Cgroups::create_in(root.path(), &layout, "run2", 1 << 30, 10);
        assert!(groups.has_memory() && groups.has_pids());
        // Nothing rewritten, no file made up.
        assert_eq!(
            read(&root.path().join("cgroup.subtree_control")),
            "cpu memory pids\n"
        );
        assert_eq!(
            read(&parent.join("cgroup.subtree_control")),
            "cpu memory pids\n"
        );
        assert!(!leaf.join("memory.swap.max").exists());
        assert_eq!(read(&leaf.join("memory.max")), (1u64 << 30).to_string());
        assert_eq!(read(&leaf.join("pids.max")), "10");
        // Without memory.peak (before Linux 5.19) there is no peak.
        assert_eq!(groups.report().peak_memory, None);
    }

    #[test]
    fn v2_without_controllers_falls_back() {
        let root = tempfile::tempdir().unwrap();
        let own = Path::new("user.slice/session-1.scope");
        let forge = root.path().join(own);
        // The forge's cgroup holds processes, so the kernel refuses to enable controllers in
        // it (EBUSY; here the write fails because cgroup.subtree_control is a directory), and
        // `apiforge` is offered none.
        fill(&forge, &[("cgroup.controllers", "memory pids")]);
        fs::create_dir(forge.join("cgroup.subtree_control")).unwrap();
        let parent = forge.join("apiforge");
        fill(
            &parent,
            &[("cgroup.controllers", ""), ("cgroup.subtree_control", "")],
        );
        let leaf = parent.join("run3");
        fill(
            &leaf,
            &[
                ("cgroup.procs", ""),
                ("cpu.stat", "usage_usec 42\nuser_usec 40\nsystem_usec 2\n"),
            ],
        );
        let layout = Layout::V2 {
            own: own.to_path_buf(),
        };
        let groups = Cgroups::create_in(root.path(), &layout, "run3", 1 << 30, 10);
        assert!(!groups.has_memory());
        assert!(!groups.has_pids());
        assert!(!leaf.join("memory.max").exists());
        assert!(!leaf.join("pids.max").exists());
        assert_eq!(read(&parent.join("cgroup.subtree_control")), "");
        // The leaf still holds the tree, for the CPU time.
        let tasks = groups.open_tasks().unwrap();
        assert!(tasks[0].is_some() && tasks[1].is_none() && tasks[2].is_none());
        let report = groups.report();
        assert_eq!(report.peak_memory, None);
        assert!(!report.memory_limit_hit && !report.oom_killed && !report.pids_limit_hit);
        assert_eq!(report.cpu_time, Some(Duration::from_micros(42)));
    }

    #[test]
    fn v2_without_the_forge_cgroup_has_no_cgroups() {
        let root = tempfile::tempdir().unwrap();
        // /proc/self/cgroup names a cgroup this mount does not have: nothing is created.
        let layout = Layout::V2 {
            own: PathBuf::from("gone"),
        };
        let groups = Cgroups::create_in(root.path(), &layout, "run4", 1 << 30, 10);
        assert!(!groups.has_memory() && !groups.has_pids());
        assert!(groups.open_tasks().unwrap().iter().all(Option::is_none));
        assert!(!root.path().join("gone").exists());
        assert_eq!(groups.report().cpu_time, None);

        let groups = Cgroups::create_in(root.path(), &Layout::Unknown, "run4", 1 << 30, 10);
        assert!(!groups.has_memory() && !groups.has_pids());
        assert!(groups.open_tasks().unwrap().iter().all(Option::is_none));
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 0);
    }

    #[test]
    fn v1_writes_limits_per_controller() {
        let root = tempfile::tempdir().unwrap();
        for controller in ["memory", "pids", "cpuacct"] {
            fill(&root.path().join(controller), &[("cgroup.procs", "")]);
        }
        let memory = root.path().join("memory/apiforge/run5");
        fill(&memory, &[("memory.memsw.limit_in_bytes", "")]);
        let groups = Cgroups::create_in(root.path(), &Layout::V1, "run5", 1 << 20, 32);
        assert!(groups.has_memory() && groups.has_pids());
        assert_eq!(read(&memory.join("memory.limit_in_bytes")), "1048576");
        assert_eq!(read(&memory.join("memory.memsw.limit_in_bytes")), "1048576");
        assert_eq!(read(&root.path().join("pids/apiforge/run5/pids.max")), "32");
        assert!(root.path().join("cpuacct/apiforge/run5").is_dir());
        // No tasks files in a fake tree: opening them fails as it would on a broken host.
        assert!(groups.open_tasks().is_err());
        fs::write(memory.join("tasks"), "").unwrap();
        fs::write(root.path().join("pids/apiforge/run5/tasks"), "").unwrap();
        fs::write(root.path().join("cpuacct/apiforge/run5/tasks"), "").unwrap();
        assert!(groups.open_tasks().unwrap().iter().all(Option::is_some));
        fill(
            &memory,
            &[
                ("memory.max_usage_in_bytes", "4096\n"),
                ("memory.failcnt", "2\n"),
                (
                    "memory.oom_control",
                    "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n",
                ),
            ],
        );
        fill(
            &root.path().join("pids/apiforge/run5"),
            &[("pids.events", "max 1\n")],
        );
        fill(
            &root.path().join("cpuacct/apiforge/run5"),
            &[("cpuacct.usage", "2000000\n")],
        );
        let report = groups.report();
        assert_eq!(report.peak_memory, Some(4096));
        assert!(report.memory_limit_hit && report.oom_killed && report.pids_limit_hit);
        assert_eq!(report.cpu_time, Some(Duration::from_millis(2)));

        // A controller that is not mounted is left out.
        let bare = tempfile::tempdir().unwrap();
        fill(&bare.path().join("cpuacct"), &[("cgroup.procs", "")]);
        let groups = Cgroups::create_in(bare.path(), &Layout::V1, "run6", 1 << 20, 32);
        assert!(!groups.has_memory() && !groups.has_pids());
        assert!(!bare.path().join("memory").exists());
    }

    /// The v2 code on a real cgroup2 mount: the hybrid layout's `unified` hierarchy (this
    /// host's) has no controllers, so this covers the leaf, the join through `cgroup.procs`,
    /// `cpu.stat` and removal, not the limits. Skipped unless root on such a host.
    #[test]
    fn v2_leaf_on_a_real_cgroup2_mount() {
        let root = Path::new("/sys/fs/cgroup/unified");
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 || !is_cgroup2(root) || is_cgroup2(Path::new(ROOT)) {
            eprintln!("skipped: needs root and a hybrid cgroup layout");
            return;
        }
        let own = own_cgroup(&read(Path::new("/proc/self/cgroup"))).unwrap();
        let layout = Layout::V2 { own: own.clone() };
        let id = format!("test-{}", std::process::id());
        let groups = Cgroups::create_in(root, &layout, &id, 1 << 30, 10);
        let leaf = root.join(&own).join("apiforge").join(&id);
        assert!(leaf.is_dir());
        let offered = read(&root.join(&own).join("cgroup.controllers"));
        assert_eq!(groups.has_memory(), offered.contains("memory"));
        let [procs, none1, none2] = groups.open_tasks().unwrap();
        assert!(none1.is_none() && none2.is_none());
        let procs = procs.unwrap();
        // SAFETY: the child only makes async-signal-safe calls and `_exit`s.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0);
        if pid == 0 {
            // SAFETY: as above; `procs` is open in the child.
            unsafe {
                let ok = libc::write(procs.as_raw_fd(), b"0".as_ptr().cast(), 1) == 1;
                let mut spin = 0u64;
                for i in 0..20_000_000u64 {
                    spin = std::hint::black_box(spin.wrapping_add(i));
                }
                libc::_exit(if ok { 0 } else { 1 });
            }
        }
        drop(procs);
        let mut status = 0;
        // SAFETY: `pid` is our child; `status` is writable.
        assert_eq!(unsafe { libc::waitpid(pid, &raw mut status, 0) }, pid);
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
        let report = groups.report();
        assert!(
            report.cpu_time.is_some_and(|t| t > Duration::ZERO),
            "{report:?}"
        );
        drop(groups);
        assert!(!leaf.exists());
        let _ = fs::remove_dir(root.join(&own).join("apiforge"));
    }
}
