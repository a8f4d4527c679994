//! Runs real commands in real sandboxes (needs root, user namespaces and /usr/bin/python3).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

use apiforge_sandbox::{ExitStatus, LimitHit, RunResult, Sandbox, SandboxConfig, SandboxError};

mod battery;

const PYTHON: &str = "/usr/bin/python3";

/// A work directory owned by the sandbox's host uid.
fn work_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::os::unix::fs::chown(dir.path(), Some(65534), Some(65534)).expect("chown work dir");
    dir
}

fn config(dir: &Path, command: &str, args: &[&str]) -> SandboxConfig {
    let mut c = SandboxConfig::new(command, args.iter().copied(), dir);
    c.limits.timeout = Duration::from_secs(20);
    c
}

fn run(c: &SandboxConfig) -> RunResult {
    Sandbox::run(c).expect("the sandbox sets up")
}

fn python(dir: &Path, code: &str) -> RunResult {
    run(&config(dir, PYTHON, &["-c", code]))
}

/// Processes on the host whose command line contains `marker`.
fn processes_with(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if cmdline.contains(marker) {
                found.push(format!(
                    "{}: {cmdline}",
                    entry.file_name().to_string_lossy()
                ));
            }
        }
    }
    found
}

#[test]
fn true_exits_zero() {
    let dir = work_dir();
    let r = run(&config(dir.path(), "/bin/true", &[]));
    assert_eq!(r.status, ExitStatus::Code(0));
    assert!(r.limits_hit.is_empty(), "{:?}", r.limits_hit);
    assert_eq!(r.id.as_str().len(), 36);
}

#[test]
fn false_exit_code_is_reported() {
    let dir = work_dir();
    let r = run(&config(dir.path(), "false", &[]));
    assert_eq!(r.status, ExitStatus::Code(1));
}

#[test]
fn python_prints_one() {
    let dir = work_dir();
    let r = python(dir.path(), "print(1)");
    assert_eq!(r.stdout.text(), "1\n", "stderr: {}", r.stderr.text());
    assert_eq!(r.status, ExitStatus::Code(0));
}

#[test]
fn missing_command_is_an_exec_error() {
    let dir = work_dir();
    let err = Sandbox::run(&config(dir.path(), "/no/such/program", &[])).expect_err("fails");
    assert!(matches!(err, SandboxError::Exec { .. }), "{err}");
}

#[test]
fn a_missing_work_dir_is_a_set_up_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let err =
        Sandbox::run(&config(&dir.path().join("missing"), "/bin/true", &[])).expect_err("refused");
    assert!(matches!(err, SandboxError::WorkDir { .. }), "{err}");
}

#[test]
fn etc_shadow_is_absent_and_unreadable_through_a_bind() {
    let dir = work_dir();
    let mut c = config(
        dir.path(),
        PYTHON,
        &[
            "-c",
            "import os\nfor p in ('/etc/shadow', '/host-etc/shadow'):\n  try: open(p).read(); print('read')\n  except OSError as e: print(e.errno)",
        ],
    );
    c.ro_mounts.push(("/etc".into(), "/host-etc".into()));
    let r = run(&c);
    // ENOENT in the minimal /etc; EACCES through a bind of the real one.
    assert_eq!(r.stdout.text(), "2\n13\n", "stderr: {}", r.stderr.text());
}

#[test]
fn root_only_file_in_the_work_dir_is_unreadable() {
    let dir = work_dir();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "top secret").expect("write");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let r = python(
        dir.path(),
        "try: open('/app/secret').read(); print('read')\nexcept OSError as e: print(e.errno)",
    );
    assert_eq!(r.stdout.text(), "13\n", "stderr: {}", r.stderr.text());
}

#[test]
fn writes_outside_app_and_tmp_fail() {
    let dir = work_dir();
    let code = "import os\nfor p in ('/x', '/usr/x', '/etc/x', '/dev/x', '/proc/x', '/tmp/x', '/app/x'):\n  try: open(p, 'w').write('x'); print(p, 'ok')\n  except OSError as e: print(p, e.errno)";
    let r = python(dir.path(), code);
    assert_eq!(
        r.stdout.text(),
        "/x 30\n/usr/x 30\n/etc/x 30\n/dev/x 30\n/proc/x 2\n/tmp/x ok\n/app/x ok\n",
        "stderr: {}",
        r.stderr.text()
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("x")).expect("written"),
        "x"
    );
}

#[test]
fn uid_is_zero_inside_and_65534_on_the_host() {
    let dir = work_dir();
    let r = run(&config(
        dir.path(),
        "/bin/sh",
        &["-c", "id -u; id -g; touch /app/made"],
    ));
    assert_eq!(r.stdout.text(), "0\n0\n", "stderr: {}", r.stderr.text());
    let meta = std::fs::metadata(dir.path().join("made")).expect("created");
    assert_eq!((meta.uid(), meta.gid()), (65534, 65534));
}

#[test]
fn no_capabilities_and_no_new_privs() {
    let dir = work_dir();
    let r = run(&config(
        dir.path(),
        "/bin/grep",
        &[
            "-E",
            "^(Cap(Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):",
            "/proc/self/status",
        ],
    ));
    assert_eq!(
        r.stdout.text(),
        "CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t0000000000000000\nCapAmb:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t2\n",
        "stderr: {}",
        r.stderr.text()
    );
    assert_eq!(r.enforcement.landlock_full, Some(true));
}

#[test]
fn host_loopback_is_unreachable_but_sandbox_loopback_works() {
    let dir = work_dir();
    let code = "import socket\n\
s = socket.socket(); \n\
try: s.connect(('127.0.0.1', 5432)); print('connected')\n\
except OSError as e: print(e.errno)\n\
srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(1)\n\
c = socket.create_connection(srv.getsockname()); a, _ = srv.accept()\n\
c.sendall(b'ping'); print(a.recv(4).decode())\n\
try: socket.create_connection(('1.1.1.1', 53), timeout=2); print('outside')\n\
except OSError as e: print(e.errno)";
    let r = python(dir.path(), code);
    // ECONNREFUSED on the sandbox's own loopback; ENETUNREACH outside.
    assert_eq!(
        r.stdout.text(),
        "111\nping\n101\n",
        "stderr: {}",
        r.stderr.text()
    );
}

#[test]
fn host_environment_is_not_visible() {
    let dir = work_dir();
    assert!(
        std::env::var_os("PATH").is_some(),
        "the test process has an environment"
    );
    let mut c = config(dir.path(), "/usr/bin/env", &[]);
    c.env.insert("GREETING".into(), "hello".into());
    let r = run(&c);
    assert_eq!(
        r.stdout.text(),
        "GREETING=hello\nPATH=/usr/local/bin:/usr/bin:/bin\n"
    );
}

#[test]
fn timeout_kills_the_whole_tree() {
    let dir = work_dir();
    let marker = "31.4159";
    let mut c = config(
        dir.path(),
        "/bin/sh",
        &["-c", &format!("sleep {marker} & sleep {marker} & sleep 5")],
    );
    c.limits.timeout = Duration::from_secs(1);
    let start = Instant::now();
    let r = run(&c);
    let took = start.elapsed();
    assert_eq!(r.limits_hit, [LimitHit::Timeout]);
    assert_eq!(r.status, ExitStatus::Killed);
    // The point is that the 1 s timeout, not the 5 s sleep, ended the run; the upper bound
    // leaves room for a loaded CI machine while staying well below the sleep.
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(3),
        "{took:?}"
    );
    assert_eq!(processes_with(marker), Vec::<String>::new());
}

#[test]
fn exiting_command_leaves_no_background_process() {
    let dir = work_dir();
    let marker = "27.1828";
    let r = run(&config(
        dir.path(),
        "/bin/sh",
        &["-c", &format!("sleep {marker} & echo started")],
    ));
    assert_eq!(r.stdout.text(), "started\n");
    assert_eq!(r.status, ExitStatus::Code(0));
    assert_eq!(processes_with(marker), Vec::<String>::new());
}

#[test]
fn fork_bomb_hits_the_pids_limit() {
    let dir = work_dir();
    let code = "import os, time\nn = 0\ntry:\n  while True:\n    if os.fork() == 0:\n      time.sleep(30); os._exit(0)\n    n += 1\nexcept OSError as e: print(n < 32, e.errno)";
    let mut c = config(dir.path(), PYTHON, &["-c", code]);
    c.limits.pids = 32;
    let r = run(&c);
    assert_eq!(r.stdout.text(), "True 11\n", "stderr: {}", r.stderr.text());
    assert!(r.hit(LimitHit::Pids), "{:?}", r.limits_hit);
    assert_eq!(processes_with("time.sleep(30)"), Vec::<String>::new());
}

#[test]
fn memory_hog_hits_the_memory_limit() {
    let dir = work_dir();
    let mut c = config(
        dir.path(),
        PYTHON,
        &["-c", "b = b'x' * (512 << 20)\nprint(len(b))"],
    );
    c.limits.memory_bytes = 64 << 20;
    let r = run(&c);
    assert!(r.hit(LimitHit::Memory), "{:?} {:?}", r.limits_hit, r.status);
    assert_eq!(r.stdout.text(), "");
    let peak = r.peak_memory_bytes.expect("measured");
    assert!(peak <= 64 << 20 && peak > 32 << 20, "{peak}");
}

#[test]
fn huge_output_is_truncated_and_flagged() {
    let dir = work_dir();
    let mut c = config(
        dir.path(),
        "/usr/bin/head",
        &["-c", "10000000", "/dev/zero"],
    );
    c.limits.output_bytes = 65536;
    let r = run(&c);
    assert_eq!(r.status, ExitStatus::Code(0));
    assert_eq!(r.stdout.bytes.len(), 65536);
    assert_eq!(r.stdout.total_bytes, 10_000_000);
    assert!(r.stdout.truncated && !r.stderr.truncated);
    assert_eq!(r.limits_hit, [LimitHit::Output]);
}

#[test]
fn file_size_limit_kills_the_writer() {
    let dir = work_dir();
    let mut c = config(
        dir.path(),
        "/bin/dd",
        &["if=/dev/zero", "of=/app/big", "bs=1M", "count=10"],
    );
    c.limits.file_size_bytes = 1 << 20;
    let r = run(&c);
    assert_eq!(r.status, ExitStatus::Signal(libc_sigxfsz()));
    assert_eq!(r.limits_hit, [LimitHit::FileSize]);
    assert_eq!(
        std::fs::metadata(dir.path().join("big"))
            .expect("written")
            .len(),
        1 << 20
    );
}

fn libc_sigxfsz() -> i32 {
    25
}

#[test]
fn cpu_limit_stops_a_busy_loop() {
    let dir = work_dir();
    let mut c = config(dir.path(), PYTHON, &["-c", "while True: pass"]);
    c.limits.cpu_seconds = 1;
    let r = run(&c);
    assert!(
        r.hit(LimitHit::CpuTime),
        "{:?} {:?}",
        r.limits_hit,
        r.status
    );
    assert!(r.cpu_time >= Duration::from_millis(900), "{:?}", r.cpu_time);
}

#[test]
fn escape_syscalls_fail_with_eperm() {
    let dir = work_dir();
    let code = "import ctypes, os\n\
libc = ctypes.CDLL(None, use_errno=True)\n\
def check(name, r):\n  print(name, r, ctypes.get_errno())\n\
check('unshare', libc.unshare(0x10000000))\n\
check('mount', libc.mount(b'none', b'/tmp', b'tmpfs', 0, None))\n\
check('ptrace', libc.ptrace(16, 1, 0, 0))\n\
check('setns', libc.setns(0, 0))\n\
check('keyctl', libc.syscall(250, 0, 0, 0, 0, 0))\n\
check('bpf', libc.syscall(321, 0, 0, 0))\n\
check('clone-newuser', libc.syscall(56, 0x10000000 | 17, 0, 0, 0, 0))\n";
    let r = python(dir.path(), code);
    assert_eq!(
        r.stdout.text(),
        "unshare -1 1\nmount -1 1\nptrace -1 1\nsetns -1 1\nkeyctl -1 1\nbpf -1 1\nclone-newuser -1 1\n",
        "stderr: {}",
        r.stderr.text()
    );
}

#[test]
fn concurrent_sandboxes_do_not_interfere() {
    let handles: Vec<_> = (0..4)
        .map(|i| {
            std::thread::spawn(move || {
                let dir = work_dir();
                let r = python(dir.path(), &format!("print({i} * 2)"));
                (i, r.stdout.text(), r.id)
            })
        })
        .collect();
    let mut ids = std::collections::BTreeSet::new();
    for h in handles {
        let (i, out, id) = h.join().expect("thread");
        assert_eq!(out, format!("{}\n", i * 2));
        ids.insert(id);
    }
    assert_eq!(ids.len(), 4);
}

#[test]
fn the_work_dir_is_copied_in_and_results_copied_back() {
    // Any owner works: the host directory is never mounted or chowned.
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("keep"), "unchanged").expect("write");
    std::fs::write(dir.path().join("edit"), "before").expect("write");
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
    let r = run(&config(
        dir.path(),
        "/bin/sh",
        &[
            "-c",
            "cat keep && echo after > edit && echo new > sub/made && rm keep && ls /app | wc -l",
        ],
    ));
    assert_eq!(
        r.stdout.text(),
        "unchanged2\n",
        "stderr: {}",
        r.stderr.text()
    );
    assert_eq!(r.copied_back.copied, ["edit", "sub/made"]);
    let read = |p: &str| std::fs::read_to_string(dir.path().join(p)).expect(p);
    assert_eq!(read("edit"), "after\n");
    assert_eq!(read("sub/made"), "new\n");
    // Deletions are not propagated: the host copy is never lost.
    assert_eq!(read("keep"), "unchanged");
    let made = std::fs::metadata(dir.path().join("sub/made")).expect("made");
    assert_eq!(made.uid(), 0, "new files belong to the directory's owner");
}

#[test]
fn a_work_dir_over_the_quota_is_refused_before_running() {
    let dir = work_dir();
    std::fs::write(dir.path().join("big"), vec![0u8; 2 << 20]).expect("write");
    let mut c = config(dir.path(), "/bin/true", &[]);
    c.limits.work_bytes = 1 << 20;
    let err = Sandbox::run(&c).expect_err("too big");
    assert!(matches!(err, SandboxError::WorkDirFull { .. }), "{err}");
}

#[test]
fn every_run_and_every_set_up_failure_is_audited_with_an_id() {
    use apiforge_sandbox::{AuditExit, AuditFilter, AuditLog};
    use std::sync::Arc;
    let dir = work_dir();
    let audit_dir = tempfile::tempdir().expect("audit dir");
    let log = AuditLog::new(audit_dir.path());
    let mut ok = config(dir.path(), "/bin/true", &[]);
    ok.audit = Some(Arc::new(log.clone()));
    ok.project = Some("p1".to_owned());
    let r = run(&ok);
    let mut missing = ok.clone();
    missing.command = "/no/such/program".to_owned();
    let err = Sandbox::run(&missing).expect_err("exec fails");
    assert!(matches!(err, SandboxError::Exec { .. }), "{err}");
    let mut too_big = ok.clone();
    too_big.limits.work_bytes = 4096;
    std::fs::write(dir.path().join("big"), vec![0u8; 1 << 20]).expect("write");
    Sandbox::run(&too_big).expect_err("quota");

    let records = log.read(&AuditFilter::default()).expect("read");
    assert_eq!(records.len(), 3, "{records:?}");
    assert_eq!(records[0].sandbox_id, r.id.as_str());
    assert_eq!(records[0].exit, AuditExit::Code(0));
    assert_eq!(records[0].error, None);
    for (record, says) in records[1..].iter().zip(["cannot execute", "quota"]) {
        assert_eq!(record.exit, AuditExit::SetupFailed);
        assert_eq!(record.sandbox_id.len(), 36);
        assert_eq!(record.project.as_deref(), Some("p1"));
        let error = record.error.as_deref().expect("an error");
        assert!(error.contains(says) && !error.contains('\n'), "{error}");
    }
    assert_ne!(records[1].sandbox_id, records[2].sandbox_id);
}

#[test]
fn an_unwritable_audit_log_stops_the_run_before_it_starts() {
    use apiforge_sandbox::AuditLog;
    use std::sync::Arc;
    let dir = work_dir();
    let blocker = tempfile::NamedTempFile::new().expect("file");
    let mut c = config(dir.path(), "/bin/sh", &["-c", "echo ran > /app/ran"]);
    // A file where the audit directory should be.
    c.audit = Some(Arc::new(AuditLog::new(blocker.path().join("audit"))));
    let err = Sandbox::run(&c).expect_err("no audit, no run");
    assert!(matches!(err, SandboxError::Audit(_)), "{err}");
    assert!(!dir.path().join("ran").exists());
}
