//! The code that runs between `fork` and `execve`, in three processes:
//!
//! - **A** (forked by the caller): joins the run's cgroups, drops supplementary groups, unshares the user, mount, pid,
//!   net, ipc, uts and cgroup namespaces, opens the bind sources (still with host root's file
//!   access, in the new mount namespace), waits for the parent to write its uid/gid maps,
//!   becomes uid/gid 0 of the namespace (host 65534), forks B and waits for it.
//! - **B** (pid 1 of the new pid namespace): builds the new root on a tmpfs, brings `lo` up,
//!   `pivot_root`s, forks C, reaps every orphan until C ends, reports C's status. When B
//!   exits the kernel kills whatever is left in the namespace.
//! - **C**: stdio, rlimits, `no_new_privs`, Landlock, no capabilities, seccomp, `execve`.
//!
//! These functions never return; failures are written to the error pipe as
//! `(stage, errno)` and the process `_exit`s. They only use what [`Plan`] prepared, and
//! allocate nothing before Landlock (glibc makes `malloc` safe after `fork` anyway).

use std::ffi::CStr;

use crate::plan::{Plan, Step};

/// Declares the set-up stages once: the enum (numbered from 1, as reported over the pipe with
/// an errno) and the table that decodes a number back to its stage.
macro_rules! stages {
    ($first:ident, $($rest:ident),+ $(,)?) => {
        /// Set-up stages, reported with an errno when they fail.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(u32)]
        pub(crate) enum Stage {
            $first = 1,
            $($rest),+
        }

        impl Stage {
            const ALL: &'static [Stage] = &[Stage::$first, $(Stage::$rest),+];

            pub(crate) fn from_u32(v: u32) -> Option<Self> {
                Self::ALL.iter().copied().find(|s| *s as u32 == v)
            }
        }
    };
}

stages!(
    Setgroups,
    Unshare,
    OpenSource,
    WaitMaps,
    SetId,
    ForkInit,
    MountPrivate,
    MountRoot,
    Mkdir,
    WriteFile,
    Symlink,
    Bind,
    Tmpfs,
    Proc,
    Remount,
    Hostname,
    Loopback,
    PivotRoot,
    RemountRoot,
    ForkCommand,
    Stdio,
    Rlimit,
    NoNewPrivs,
    Landlock,
    Capabilities,
    Seccomp,
    Chdir,
    Exec,
    Cgroup,
    Attach,
);

impl Stage {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Setgroups => "setgroups",
            Self::Unshare => "unshare namespaces",
            Self::OpenSource => "open a mount source",
            Self::WaitMaps => "wait for the uid/gid maps",
            Self::SetId => "become uid 0 in the namespace",
            Self::ForkInit => "fork the namespace's pid 1",
            Self::MountPrivate => "make mounts private",
            Self::MountRoot => "mount the new root tmpfs",
            Self::Mkdir => "create a mount point",
            Self::WriteFile => "write a file in /etc",
            Self::Symlink => "create a symlink",
            Self::Bind => "bind mount",
            Self::Tmpfs => "mount a tmpfs",
            Self::Proc => "mount /proc",
            Self::Remount => "remount read-only",
            Self::Hostname => "set the hostname",
            Self::Loopback => "bring lo up",
            Self::PivotRoot => "pivot_root",
            Self::RemountRoot => "remount / read-only",
            Self::ForkCommand => "fork the command",
            Self::Stdio => "set up stdio",
            Self::Rlimit => "set rlimits",
            Self::NoNewPrivs => "set no_new_privs",
            Self::Landlock => "apply Landlock",
            Self::Capabilities => "drop capabilities",
            Self::Seccomp => "install seccomp",
            Self::Chdir => "chdir /app",
            Self::Exec => "execve",
            Self::Cgroup => "join the cgroups",
            Self::Attach => "attach the work directory at /app",
        }
    }
}

/// Descriptors the children use; every other descriptor is closed in A.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChildFds {
    pub stdout: i32,
    pub stderr: i32,
    /// Records to the parent: B's host pid, C's status, Landlock's status.
    pub status: i32,
    /// `(stage, errno)` of a failed set-up.
    pub error: i32,
    /// A writes one byte once it has unshared.
    pub ready: i32,
    /// The parent writes one byte once the maps are written.
    pub go: i32,
    /// The files that move a task into the run's cgroups, opened by the parent (-1 when
    /// absent): v1's `tasks` of memory, pids and cpuacct, or v2's one `cgroup.procs` in slot
    /// 0. A writes `0` to each to move itself in before it forks anything.
    pub cgroup_tasks: [i32; 3],
    /// The detached work-directory tmpfs (see [`crate::workspace`]), attached at `/app` by B.
    pub workspace: i32,
}

pub(crate) const TAG_INIT_PID: u32 = 1;
pub(crate) const TAG_STATUS: u32 = 2;
pub(crate) const TAG_LANDLOCK: u32 = 3;
pub(crate) const RECORD: usize = 32;

/// A 32-byte record: tag, value, three i64s.
pub(crate) fn record(tag: u32, value: i32, x: i64, y: i64, z: i64) -> [u8; RECORD] {
    let mut out = [0u8; RECORD];
    out[0..4].copy_from_slice(&tag.to_le_bytes());
    out[4..8].copy_from_slice(&value.to_le_bytes());
    out[8..16].copy_from_slice(&x.to_le_bytes());
    out[16..24].copy_from_slice(&y.to_le_bytes());
    out[24..32].copy_from_slice(&z.to_le_bytes());
    out
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn write_all(fd: i32, bytes: &[u8]) {
    let mut done = 0;
    while done < bytes.len() {
        // SAFETY: the pointer and length describe the rest of `bytes`.
        let n = unsafe { libc::write(fd, bytes[done..].as_ptr().cast(), bytes.len() - done) };
        if n <= 0 {
            if n < 0 && errno() == libc::EINTR {
                continue;
            }
            return;
        }
        done += n.unsigned_abs();
    }
}

/// Reports `stage` with the current errno and exits.
fn fail(fds: &ChildFds, stage: Stage) -> ! {
    fail_with(fds, stage, errno())
}

fn fail_with(fds: &ChildFds, stage: Stage, err: i32) -> ! {
    let mut buf = [0u8; 8];
    buf[0..4].copy_from_slice(&(stage as u32).to_le_bytes());
    buf[4..8].copy_from_slice(&err.to_le_bytes());
    write_all(fds.error, &buf);
    // SAFETY: `_exit` ends the process without running the parent's atexit handlers or
    // destructors, which must not run in a forked child.
    unsafe { libc::_exit(120) }
}

fn check(fds: &ChildFds, stage: Stage, ret: libc::c_int) {
    if ret < 0 {
        fail(fds, stage);
    }
}

/// Closes every descriptor except `keep` (sorted ascending).
fn close_others(keep: &[i32]) {
    let mut from: u32 = 3;
    for &fd in keep {
        let Ok(fd) = u32::try_from(fd) else { continue };
        if fd > from {
            // SAFETY: close_range only closes descriptors; none of them is used afterwards.
            unsafe { libc::syscall(libc::SYS_close_range, from, fd - 1, 0) };
        }
        from = from.max(fd + 1);
    }
    // SAFETY: as above.
    unsafe { libc::syscall(libc::SYS_close_range, from, u32::MAX, 0) };
}

/// Process A. `sources` has one slot per `plan.sources` and `keep` the sorted descriptors to
/// keep, both allocated by the parent.
pub(crate) fn stage_a(plan: &Plan, fds: &ChildFds, keep: &[i32], sources: &mut [i32]) -> ! {
    close_others(keep);
    // SAFETY: plain system calls on values owned by this function; see each comment.
    unsafe {
        // Join the cgroups first, so everything A forks is inside them and the cgroup
        // namespace unshared below is rooted at the run's own cgroup. `0` in `tasks` moves
        // just the calling thread (A has only one), which the kernel does without the global
        // threadgroup lock a `cgroup.procs` write by the parent takes: that lock costs an RCU
        // grace period (5-15 ms) on every run.
        for fd in fds.cgroup_tasks {
            if fd < 0 {
                continue;
            }
            if libc::write(fd, b"0".as_ptr().cast(), 1) != 1 {
                fail(fds, Stage::Cgroup);
            }
            libc::close(fd);
        }
        // Host root's supplementary groups must not follow it into the sandbox, and once
        // setgroups is denied they cannot be dropped inside.
        check(fds, Stage::Setgroups, libc::setgroups(0, std::ptr::null()));
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
        let mut flags = libc::CLONE_NEWUSER
            | libc::CLONE_NEWNS
            | libc::CLONE_NEWPID
            | libc::CLONE_NEWNET
            | libc::CLONE_NEWIPC
            | libc::CLONE_NEWUTS;
        if plan.cgroup_ns {
            flags |= libc::CLONE_NEWCGROUP;
        }
        check(fds, Stage::Unshare, libc::unshare(flags));
        // Still host uid 0 for permission checks on the host's files, now in the new mount
        // namespace: the descriptors can be bind-mounted by B, whatever the path's modes.
        for (slot, path) in sources.iter_mut().zip(&plan.sources) {
            let fd = libc::open(path.as_ptr(), libc::O_PATH | libc::O_CLOEXEC);
            if fd < 0 {
                fail(fds, Stage::OpenSource);
            }
            *slot = fd;
        }
        write_all(fds.ready, b"r");
        libc::close(fds.ready);
        let mut byte = 0u8;
        if libc::read(fds.go, (&raw mut byte).cast(), 1) != 1 {
            fail_with(fds, Stage::WaitMaps, libc::EPIPE);
        }
        libc::close(fds.go);
        check(fds, Stage::SetId, libc::setresgid(0, 0, 0));
        check(fds, Stage::SetId, libc::setresuid(0, 0, 0));
        let pid = libc::fork();
        if pid < 0 {
            fail(fds, Stage::ForkInit);
        }
        if pid == 0 {
            stage_b(plan, fds, sources);
        }
        libc::close(fds.stdout);
        libc::close(fds.stderr);
        write_all(fds.status, &record(TAG_INIT_PID, pid, 0, 0, 0));
        let mut status = 0;
        while libc::waitpid(pid, &raw mut status, 0) < 0 && errno() == libc::EINTR {}
        libc::_exit(0)
    }
}

/// Formats `/proc/self/fd/<fd>` into `buf` as a C string.
fn fd_path(buf: &mut [u8; 32], fd: i32) -> &CStr {
    const PREFIX: &[u8] = b"/proc/self/fd/";
    buf[..PREFIX.len()].copy_from_slice(PREFIX);
    let mut digits = [0u8; 10];
    let mut n = fd.unsigned_abs();
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for i in 0..len {
        buf[PREFIX.len() + i] = digits[len - 1 - i];
    }
    buf[PREFIX.len() + len] = 0;
    CStr::from_bytes_until_nul(&buf[..]).unwrap_or(c"/")
}

/// Flags of the mount at `target` that an unprivileged remount must keep.
fn locked_flags(target: &CStr) -> libc::c_ulong {
    // SAFETY: statvfs fills the zeroed struct it is given.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `target` is a valid C string and `st` a valid out-pointer.
    if unsafe { libc::statvfs(target.as_ptr(), &raw mut st) } != 0 {
        return 0;
    }
    let mut flags = 0;
    for (st_flag, ms_flag) in [
        (libc::ST_NOSUID, libc::MS_NOSUID),
        (libc::ST_NODEV, libc::MS_NODEV),
        (libc::ST_NOEXEC, libc::MS_NOEXEC),
        (libc::ST_NOATIME, libc::MS_NOATIME),
        (libc::ST_NODIRATIME, libc::MS_NODIRATIME),
        (libc::ST_RELATIME, libc::MS_RELATIME),
        (libc::ST_RDONLY, libc::MS_RDONLY),
    ] {
        if st.f_flag & st_flag != 0 {
            flags |= ms_flag;
        }
    }
    flags
}

fn mount(
    src: &CStr,
    target: &CStr,
    fstype: &CStr,
    flags: libc::c_ulong,
    data: Option<&CStr>,
) -> libc::c_int {
    // SAFETY: every pointer is a valid C string or null.
    unsafe {
        libc::mount(
            src.as_ptr(),
            target.as_ptr(),
            fstype.as_ptr(),
            flags,
            data.map_or(std::ptr::null(), |d| d.as_ptr().cast()),
        )
    }
}

fn loopback_up() -> libc::c_int {
    // SAFETY: a socket only used for the two ioctls below, on a zeroed ifreq naming "lo".
    unsafe {
        let sock = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if sock < 0 {
            return -1;
        }
        let mut ifr: libc::ifreq = std::mem::zeroed();
        ifr.ifr_name[0] = b'l' as libc::c_char;
        ifr.ifr_name[1] = b'o' as libc::c_char;
        let mut ret = libc::ioctl(sock, libc::SIOCGIFFLAGS, &raw mut ifr);
        if ret == 0 {
            ifr.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
            ret = libc::ioctl(sock, libc::SIOCSIFFLAGS, &raw const ifr);
        }
        libc::close(sock);
        ret
    }
}

/// Process B, pid 1 of the new pid namespace.
fn stage_b(plan: &Plan, fds: &ChildFds, sources: &[i32]) -> ! {
    // SAFETY: plain system calls on C strings prepared by the parent.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
        check(
            fds,
            Stage::MountPrivate,
            mount(c"none", c"/", c"", libc::MS_REC | libc::MS_PRIVATE, None),
        );
        check(
            fds,
            Stage::MountRoot,
            mount(
                c"tmpfs",
                &plan.stage,
                c"tmpfs",
                libc::MS_NOSUID | libc::MS_NODEV,
                Some(&plan.root_data),
            ),
        );
        for step in &plan.steps {
            match step {
                Step::Dir(path) => {
                    if libc::mkdir(path.as_ptr(), 0o755) < 0 && errno() != libc::EEXIST {
                        fail(fds, Stage::Mkdir);
                    }
                }
                Step::File(path, body) => {
                    let fd = libc::open(
                        path.as_ptr(),
                        libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC | libc::O_CLOEXEC,
                        0o644,
                    );
                    if fd < 0 {
                        fail(fds, Stage::WriteFile);
                    }
                    write_all(fd, body);
                    libc::close(fd);
                }
                Step::Symlink { target, link } => {
                    check(
                        fds,
                        Stage::Symlink,
                        libc::symlink(target.as_ptr(), link.as_ptr()),
                    );
                }
                Step::Bind { source, target } => {
                    let mut buf = [0u8; 32];
                    let src = fd_path(&mut buf, sources.get(*source).copied().unwrap_or(-1));
                    check(
                        fds,
                        Stage::Bind,
                        mount(src, target, c"", libc::MS_BIND | libc::MS_REC, None),
                    );
                }
                Step::Attach(target) => {
                    check(
                        fds,
                        Stage::Attach,
                        libc::syscall(
                            libc::SYS_move_mount,
                            fds.workspace,
                            c"".as_ptr(),
                            libc::AT_FDCWD,
                            target.as_ptr(),
                            libc::MOVE_MOUNT_F_EMPTY_PATH,
                        ) as libc::c_int,
                    );
                }
                Step::Tmpfs { target, data } => {
                    check(
                        fds,
                        Stage::Tmpfs,
                        mount(
                            c"tmpfs",
                            target,
                            c"tmpfs",
                            libc::MS_NOSUID | libc::MS_NODEV,
                            Some(data),
                        ),
                    );
                }
                Step::Proc(target) => {
                    check(
                        fds,
                        Stage::Proc,
                        mount(
                            c"proc",
                            target,
                            c"proc",
                            libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
                            None,
                        ),
                    );
                }
                Step::Remount { target, flags } => {
                    let all = libc::MS_REMOUNT | libc::MS_BIND | locked_flags(target) | flags;
                    check(fds, Stage::Remount, mount(c"none", target, c"", all, None));
                }
            }
        }
        let name = plan.hostname.as_bytes();
        check(
            fds,
            Stage::Hostname,
            libc::sethostname(name.as_ptr().cast(), name.len()),
        );
        check(fds, Stage::Loopback, loopback_up());
        check(fds, Stage::PivotRoot, libc::chdir(plan.stage.as_ptr()));
        check(
            fds,
            Stage::PivotRoot,
            libc::syscall(libc::SYS_pivot_root, c".".as_ptr(), c".".as_ptr()) as libc::c_int,
        );
        check(
            fds,
            Stage::PivotRoot,
            libc::umount2(c".".as_ptr(), libc::MNT_DETACH),
        );
        check(fds, Stage::PivotRoot, libc::chdir(c"/".as_ptr()));
        let flags = libc::MS_REMOUNT | libc::MS_BIND | libc::MS_RDONLY | locked_flags(c"/");
        check(
            fds,
            Stage::RemountRoot,
            mount(c"none", c"/", c"", flags, None),
        );

        let pid = libc::fork();
        if pid < 0 {
            fail(fds, Stage::ForkCommand);
        }
        if pid == 0 {
            stage_c(plan, fds);
        }
        libc::close(fds.stdout);
        libc::close(fds.stderr);
        // pid 1: reap everything until the command itself ends.
        let mut status = 0;
        let mut usage: libc::rusage = std::mem::zeroed();
        loop {
            let mut st = 0;
            let mut ru: libc::rusage = std::mem::zeroed();
            let got = libc::wait4(-1, &raw mut st, 0, &raw mut ru);
            if got == pid {
                status = st;
                usage = ru;
                break;
            }
            if got < 0 && errno() != libc::EINTR {
                break;
            }
        }
        let micros = |t: libc::timeval| t.tv_sec * 1_000_000 + t.tv_usec;
        write_all(
            fds.status,
            &record(
                TAG_STATUS,
                status,
                micros(usage.ru_utime),
                micros(usage.ru_stime),
                usage.ru_maxrss,
            ),
        );
        libc::_exit(0)
    }
}

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

const CAP_VERSION_3: u32 = 0x2008_0522;
const SECBIT_NOROOT: libc::c_ulong = 1;
const SECBIT_NOROOT_LOCKED: libc::c_ulong = 2;

fn drop_capabilities() -> libc::c_int {
    // SAFETY: prctl and capset with valid arguments; the cap structs live on the stack.
    unsafe {
        for cap in 0..64 {
            libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0);
        }
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL,
            0,
            0,
            0,
        );
        // uid 0 must not regain capabilities on execve.
        if libc::prctl(
            libc::PR_SET_SECUREBITS,
            SECBIT_NOROOT | SECBIT_NOROOT_LOCKED,
            0,
            0,
            0,
        ) < 0
        {
            return -1;
        }
        let header = CapHeader {
            version: CAP_VERSION_3,
            pid: 0,
        };
        let data = [CapData {
            effective: 0,
            permitted: 0,
            inheritable: 0,
        }; 2];
        libc::syscall(libc::SYS_capset, &raw const header, data.as_ptr()) as libc::c_int
    }
}

fn landlock() -> Result<u32, landlock::RulesetError> {
    use landlock::{
        ABI, Access, AccessFs, Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetStatus,
        path_beneath_rules,
    };
    let abi = ABI::V5;
    let read = AccessFs::from_read(abi);
    let all = AccessFs::from_all(abi);
    let status = Ruleset::default()
        .handle_access(all)?
        .create()?
        .add_rules(path_beneath_rules(["/"], read))?
        .add_rules(path_beneath_rules(["/app", "/tmp", "/dev/shm"], all))?
        .add_rules(path_beneath_rules(
            ["/dev", "/proc"],
            read | AccessFs::WriteFile,
        ))?
        .restrict_self()?;
    Ok(match status.ruleset {
        RulesetStatus::FullyEnforced => 2,
        RulesetStatus::PartiallyEnforced => 1,
        RulesetStatus::NotEnforced => 0,
    })
}

fn set_limit(resource: libc::__rlimit_resource_t, soft: u64, hard: u64) -> libc::c_int {
    let limit = libc::rlimit {
        rlim_cur: soft,
        rlim_max: hard,
    };
    // SAFETY: `limit` is a valid rlimit.
    unsafe { libc::setrlimit(resource, &raw const limit) }
}

/// Process C: becomes the command.
fn stage_c(plan: &Plan, fds: &ChildFds) -> ! {
    // SAFETY: plain system calls on descriptors and C strings prepared by the parent.
    unsafe {
        libc::setsid();
        // The caller may ignore or block signals (Rust ignores SIGPIPE): the command starts
        // with the defaults.
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&raw mut set);
        libc::sigprocmask(libc::SIG_SETMASK, &raw const set, std::ptr::null_mut());
        for sig in 1..32 {
            if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                libc::signal(sig, libc::SIG_DFL);
            }
        }
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY);
        if null < 0
            || libc::dup2(null, 0) < 0
            || libc::dup2(fds.stdout, 1) < 0
            || libc::dup2(fds.stderr, 2) < 0
        {
            fail(fds, Stage::Stdio);
        }
        libc::syscall(
            libc::SYS_close_range,
            3u32,
            u32::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        );
        // If the tree hits the memory limit, the command is the one the OOM killer picks.
        let oom = libc::open(
            c"/proc/self/oom_score_adj".as_ptr(),
            libc::O_WRONLY | libc::O_CLOEXEC,
        );
        if oom >= 0 {
            write_all(oom, b"1000");
            libc::close(oom);
        }
        let limits = &plan.limits;
        check(
            fds,
            Stage::Rlimit,
            set_limit(libc::RLIMIT_CPU, limits.cpu, limits.cpu + 1),
        );
        check(
            fds,
            Stage::Rlimit,
            set_limit(libc::RLIMIT_FSIZE, limits.fsize, limits.fsize),
        );
        check(
            fds,
            Stage::Rlimit,
            set_limit(libc::RLIMIT_NOFILE, limits.nofile, limits.nofile),
        );
        check(fds, Stage::Rlimit, set_limit(libc::RLIMIT_CORE, 0, 0));
        if let Some(n) = plan.nproc_fallback {
            check(fds, Stage::Rlimit, set_limit(libc::RLIMIT_NPROC, n, n));
        }
        check(
            fds,
            Stage::NoNewPrivs,
            libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0),
        );
        match landlock() {
            Ok(level) => write_all(
                fds.status,
                &record(TAG_LANDLOCK, level.cast_signed(), 0, 0, 0),
            ),
            Err(_) => fail_with(fds, Stage::Landlock, libc::EINVAL),
        }
        check(fds, Stage::Capabilities, drop_capabilities());
        for program in &plan.seccomp {
            if seccompiler::apply_filter(program).is_err() {
                fail_with(fds, Stage::Seccomp, libc::EINVAL);
            }
        }
        check(fds, Stage::Chdir, libc::chdir(c"/app".as_ptr()));
        let mut last = libc::ENOENT;
        for path in &plan.exec_paths {
            libc::execve(
                path.as_ptr(),
                plan.argv_ptrs.as_ptr(),
                plan.envp_ptrs.as_ptr(),
            );
            let e = errno();
            if e != libc::ENOENT || last == libc::ENOENT {
                last = e;
            }
        }
        fail_with(fds, Stage::Exec, last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_fd_paths() {
        let mut buf = [0u8; 32];
        assert_eq!(fd_path(&mut buf, 7), c"/proc/self/fd/7");
        assert_eq!(fd_path(&mut buf, 1234), c"/proc/self/fd/1234");
        assert_eq!(fd_path(&mut buf, 0), c"/proc/self/fd/0");
    }

    #[test]
    fn stages_round_trip() {
        for v in 1..=29 {
            let stage = Stage::from_u32(v).expect("every code has a stage");
            assert_eq!(stage as u32, v);
        }
        assert_eq!(Stage::from_u32(0), None);
        assert_eq!(Stage::from_u32(31), None);
    }
}
