//! Everything the forked processes need, prepared in the parent: C strings, argv/envp
//! pointer arrays, the mount steps and the seccomp programs. After `fork` the children only
//! read this (and write fd numbers into the pre-sized `fds`), so they do not allocate until
//! Landlock.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use seccompiler::BpfProgram;

use crate::{SandboxConfig, SandboxError};

/// The host directory the new root tmpfs is mounted on inside the private mount namespace.
/// Mounting over it hides nothing we need: every bind source is opened before.
pub(crate) const STAGE: &str = "/tmp";

/// System directories bound read-only (or recreated as the same symlink) when present.
const SYSTEM_DIRS: &[&str] = &[
    "/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32",
];

/// Host files and directories under /etc a runtime needs; nothing secret.
const ETC_BINDS: &[&str] = &[
    "/etc/ld.so.cache",
    "/etc/ssl/certs",
    "/etc/alternatives",
    "/etc/localtime",
];

/// Device nodes bound individually into the read-only /dev.
const DEVICES: &[&str] = &["null", "zero", "random", "urandom", "tty"];

/// Size and inodes of the private `/dev/shm` tmpfs.
pub(crate) const SHM_BYTES: u64 = 16 << 20;
pub(crate) const SHM_INODES: u64 = 256;

const PASSWD: &[u8] = b"root:x:0:0:sandbox:/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
const GROUP: &[u8] = b"root:x:0:\nnogroup:x:65534:\n";
const HOSTS: &[u8] = b"127.0.0.1\tlocalhost sandbox\n::1\tlocalhost ip6-localhost ip6-loopback\n";
const NSSWITCH: &[u8] = b"passwd: files\ngroup: files\nhosts: files\n";

/// One step of building the new root, run by the sandbox's pid 1 before `pivot_root`.
#[derive(Debug)]
pub(crate) enum Step {
    /// Create a directory (an existing one is fine).
    Dir(CString),
    /// Create a file with these contents.
    File(CString, &'static [u8]),
    /// Create a symlink `link` → `target`.
    Symlink { target: CString, link: CString },
    /// Bind-mount the source opened as `sources[source]` (recursively) on `target`.
    Bind { source: usize, target: CString },
    /// Attach the detached work-directory tmpfs here (`move_mount`).
    Attach(CString),
    /// Mount a tmpfs with these options.
    Tmpfs { target: CString, data: CString },
    /// Mount a fresh proc.
    Proc(CString),
    /// Remount a mount point with extra flags (read-only, nosuid, nodev), keeping the flags
    /// the kernel locks.
    Remount {
        target: CString,
        flags: libc::c_ulong,
    },
}

/// Per-process rlimits of the command.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RLimits {
    pub cpu: u64,
    pub fsize: u64,
    pub nofile: u64,
}

fn pointers(strings: &[CString]) -> Vec<*const libc::c_char> {
    strings
        .iter()
        .map(|s| s.as_ptr())
        .chain(std::iter::once(std::ptr::null()))
        .collect()
}

/// The prepared run.
#[derive(Debug)]
pub(crate) struct Plan {
    /// Host paths opened `O_PATH` by the first child after it entered the new mount
    /// namespace (while it still has host root's file access).
    pub sources: Vec<CString>,
    pub steps: Vec<Step>,
    pub hostname: CString,
    /// Candidate paths of the program, tried in order.
    pub exec_paths: Vec<CString>,
    pub argv: Vec<CString>,
    pub envp: Vec<CString>,
    /// Null-terminated pointer arrays into `argv` and `envp` (their heap buffers do not move).
    pub argv_ptrs: Vec<*const libc::c_char>,
    pub envp_ptrs: Vec<*const libc::c_char>,
    pub limits: RLimits,
    pub seccomp: Vec<BpfProgram>,
    pub root_data: CString,
    pub stage: CString,
    pub cgroup_ns: bool,
    pub nproc_fallback: Option<u64>,
}

fn cstring(bytes: impl Into<Vec<u8>>) -> Result<CString, SandboxError> {
    CString::new(bytes).map_err(|e| SandboxError::Config(format!("a NUL byte in {e}")))
}

fn path_cstring(path: &Path) -> Result<CString, SandboxError> {
    cstring(path.as_os_str().as_bytes())
}

/// `inner` (absolute, inside the sandbox) as a path under the staging root.
fn staged(inner: &str) -> Result<CString, SandboxError> {
    cstring(format!("{STAGE}{inner}"))
}

/// Checks that `path` is absolute and has no `..`, returning it normalised.
fn sandbox_path(path: &Path) -> Result<String, SandboxError> {
    let mut out = String::new();
    for part in path.components() {
        match part {
            Component::RootDir => {}
            Component::Normal(p) => {
                out.push('/');
                out.push_str(p.to_str().ok_or_else(|| {
                    SandboxError::Config(format!("{} is not UTF-8", path.display()))
                })?);
            }
            Component::CurDir => {}
            Component::ParentDir | Component::Prefix(_) => {
                return Err(SandboxError::Config(format!(
                    "sandbox path {} must be absolute without `..`",
                    path.display()
                )));
            }
        }
    }
    if !path.is_absolute() || out.is_empty() {
        return Err(SandboxError::Config(format!(
            "sandbox path {} must be absolute and not `/`",
            path.display()
        )));
    }
    Ok(out)
}

impl Plan {
    pub(crate) fn new(config: &SandboxConfig, pids_cgroup: bool) -> Result<Self, SandboxError> {
        let mut plan = Self {
            sources: Vec::new(),
            steps: Vec::new(),
            hostname: cstring("sandbox")?,
            exec_paths: exec_paths(config)?,
            argv: std::iter::once(config.command.as_str())
                .chain(config.args.iter().map(String::as_str))
                .map(cstring)
                .collect::<Result<_, _>>()?,
            envp: config
                .env
                .iter()
                .map(|(k, v)| {
                    if k.is_empty() || k.contains('=') {
                        return Err(SandboxError::Config(format!("bad variable name {k:?}")));
                    }
                    cstring(format!("{k}={v}"))
                })
                .collect::<Result<_, _>>()?,
            argv_ptrs: Vec::new(),
            envp_ptrs: Vec::new(),
            limits: RLimits {
                cpu: config.limits.cpu_seconds,
                fsize: config.limits.file_size_bytes,
                nofile: config.limits.open_files,
            },
            seccomp: crate::seccomp::programs()?,
            root_data: cstring("mode=0755,size=4194304,nr_inodes=4096")?,
            stage: cstring(STAGE)?,
            cgroup_ns: Path::new("/proc/self/ns/cgroup").exists(),
            nproc_fallback: (!pids_cgroup).then_some(u64::from(config.limits.pids)),
        };
        plan.argv_ptrs = pointers(&plan.argv);
        plan.envp_ptrs = pointers(&plan.envp);
        plan.system_dirs()?;
        plan.etc()?;
        plan.steps.push(Step::Dir(staged("/app")?));
        plan.steps.push(Step::Attach(staged("/app")?));
        plan.steps.push(Step::Dir(staged("/tmp")?));
        plan.steps.push(Step::Tmpfs {
            target: staged("/tmp")?,
            data: cstring(format!(
                "mode=1777,size={},nr_inodes={}",
                config.limits.tmp_bytes, config.limits.tmp_inodes
            ))?,
        });
        plan.steps.push(Step::Dir(staged("/proc")?));
        plan.steps.push(Step::Proc(staged("/proc")?));
        plan.dev()?;
        for (host, inner) in &config.ro_mounts {
            let inner = sandbox_path(inner)?;
            if ["/app", "/tmp", "/proc", "/dev"]
                .iter()
                .any(|p| inner == *p || inner.starts_with(&format!("{p}/")))
            {
                return Err(SandboxError::Config(format!(
                    "read-only mount target {inner} would hide or enter /app, /tmp, /proc or /dev"
                )));
            }
            let meta = std::fs::metadata(host).map_err(|e| {
                SandboxError::host(format!("read-only mount source {}", host.display()), e)
            })?;
            plan.parents(&inner)?;
            let ro = libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV;
            if meta.is_dir() {
                plan.bind_dir(host, &inner, ro)?;
            } else {
                plan.bind_file(host, &inner, ro)?;
            }
        }
        Ok(plan)
    }

    fn source(&mut self, host: &Path) -> Result<usize, SandboxError> {
        self.sources.push(path_cstring(host)?);
        Ok(self.sources.len() - 1)
    }

    /// Creates every missing ancestor directory of `inner`.
    fn parents(&mut self, inner: &str) -> Result<(), SandboxError> {
        let mut at = 0;
        while let Some(i) = inner[at + 1..].find('/') {
            at += i + 1;
            self.steps.push(Step::Dir(staged(&inner[..at])?));
        }
        Ok(())
    }

    fn bind_dir(
        &mut self,
        host: &Path,
        inner: &str,
        flags: libc::c_ulong,
    ) -> Result<(), SandboxError> {
        let source = self.source(host)?;
        let target = staged(inner)?;
        self.steps.push(Step::Dir(target.clone()));
        self.steps.push(Step::Bind {
            source,
            target: target.clone(),
        });
        self.steps.push(Step::Remount { target, flags });
        Ok(())
    }

    fn bind_file(
        &mut self,
        host: &Path,
        inner: &str,
        flags: libc::c_ulong,
    ) -> Result<(), SandboxError> {
        let source = self.source(host)?;
        let target = staged(inner)?;
        self.steps.push(Step::File(target.clone(), b""));
        self.steps.push(Step::Bind {
            source,
            target: target.clone(),
        });
        self.steps.push(Step::Remount { target, flags });
        Ok(())
    }

    fn system_dirs(&mut self) -> Result<(), SandboxError> {
        let ro = libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV;
        for dir in SYSTEM_DIRS {
            let Ok(meta) = std::fs::symlink_metadata(dir) else {
                continue;
            };
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(dir)
                    .map_err(|e| SandboxError::host(format!("reading the link {dir}"), e))?;
                self.steps.push(Step::Symlink {
                    target: path_cstring(&target)?,
                    link: staged(dir)?,
                });
            } else if meta.is_dir() {
                self.bind_dir(Path::new(dir), dir, ro)?;
            }
        }
        Ok(())
    }

    fn etc(&mut self) -> Result<(), SandboxError> {
        let ro = libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV;
        self.steps.push(Step::Dir(staged("/etc")?));
        for (name, body) in [
            ("passwd", PASSWD),
            ("group", GROUP),
            ("hosts", HOSTS),
            ("nsswitch.conf", NSSWITCH),
        ] {
            self.steps
                .push(Step::File(staged(&format!("/etc/{name}"))?, body));
        }
        for path in ETC_BINDS {
            let Ok(meta) = std::fs::metadata(path) else {
                continue;
            };
            self.parents(path)?;
            if meta.is_dir() {
                self.bind_dir(Path::new(path), path, ro)?;
            } else {
                self.bind_file(Path::new(path), path, ro)?;
            }
        }
        Ok(())
    }

    fn dev(&mut self) -> Result<(), SandboxError> {
        self.steps.push(Step::Dir(staged("/dev")?));
        self.steps.push(Step::Tmpfs {
            target: staged("/dev")?,
            data: cstring("mode=0755,size=65536,nr_inodes=64")?,
        });
        for name in DEVICES {
            let host = PathBuf::from("/dev").join(name);
            if host.exists() {
                // Device nodes must keep working: read-only and nosuid, but not nodev.
                self.bind_file(
                    &host,
                    &format!("/dev/{name}"),
                    libc::MS_RDONLY | libc::MS_NOSUID,
                )?;
            }
        }
        // POSIX shared memory and semaphores (python's multiprocessing) need a writable
        // /dev/shm; its own small tmpfs keeps it inside the sandbox's quota.
        self.steps.push(Step::Dir(staged("/dev/shm")?));
        self.steps.push(Step::Tmpfs {
            target: staged("/dev/shm")?,
            data: cstring(format!("mode=1777,size={SHM_BYTES},nr_inodes={SHM_INODES}"))?,
        });
        for (link, target) in [
            ("fd", "/proc/self/fd"),
            ("stdin", "/proc/self/fd/0"),
            ("stdout", "/proc/self/fd/1"),
            ("stderr", "/proc/self/fd/2"),
        ] {
            self.steps.push(Step::Symlink {
                target: cstring(target)?,
                link: staged(&format!("/dev/{link}"))?,
            });
        }
        self.steps.push(Step::Remount {
            target: staged("/dev")?,
            flags: libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NOEXEC,
        });
        Ok(())
    }
}

fn exec_paths(config: &SandboxConfig) -> Result<Vec<CString>, SandboxError> {
    let command = &config.command;
    if command.is_empty() {
        return Err(SandboxError::Config("the command is empty".to_owned()));
    }
    if command.contains('/') {
        return Ok(vec![cstring(command.as_str())?]);
    }
    let path = config
        .env
        .get("PATH")
        .map_or(crate::config::DEFAULT_PATH, String::as_str);
    path.split(':')
        .filter(|dir| dir.starts_with('/'))
        .map(|dir| cstring(format!("{}/{command}", dir.trim_end_matches('/'))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(path: &str, expect: Option<&str>) {
        assert_eq!(
            sandbox_path(Path::new(path)).ok().as_deref(),
            expect,
            "{path}"
        );
    }

    #[test]
    fn sandbox_paths_are_absolute_without_dotdot() {
        check("/opt/python", Some("/opt/python"));
        check("/opt//python/./x", Some("/opt/python/x"));
        check("opt/python", None);
        check("/opt/../etc", None);
        check("/", None);
    }

    #[test]
    fn commands_are_looked_up_in_the_given_path() {
        let mut config = SandboxConfig::new("python3", ["-c", "pass"], "/tmp");
        config
            .env
            .insert("PATH".into(), "/opt/py/bin:relative:/usr/bin/".into());
        let paths = exec_paths(&config).expect("valid");
        assert_eq!(paths, [c"/opt/py/bin/python3", c"/usr/bin/python3"]);
        let config = SandboxConfig::new("/bin/true", Vec::<String>::new(), "/tmp");
        assert_eq!(exec_paths(&config).expect("valid"), [c"/bin/true"]);
    }

    #[test]
    fn parents_are_created_in_order() {
        let mut plan = Plan {
            sources: vec![],
            steps: vec![],
            hostname: c"x".into(),
            exec_paths: vec![],
            argv: vec![],
            envp: vec![],
            argv_ptrs: vec![],
            envp_ptrs: vec![],
            limits: RLimits::default(),
            seccomp: vec![],
            root_data: c"".into(),
            stage: c"/tmp".into(),
            cgroup_ns: false,
            nproc_fallback: None,
        };
        plan.parents("/opt/runtimes/python").expect("valid");
        let dirs: Vec<_> = plan
            .steps
            .iter()
            .map(|s| match s {
                Step::Dir(d) => d.to_str().expect("utf-8").to_owned(),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(dirs, ["/tmp/opt", "/tmp/opt/runtimes"]);
    }
}
