//! The prepared Python runtime: the lock's wheels installed once, with the host's pip, into
//! `<data dir>/runtimes/python-<lock hash>/site-packages`, then mounted read-only into every
//! sandbox that verifies or previews a project. Installing is the only step that uses the
//! network; it builds into a temporary directory beside the final one and renames it into
//! place, so a crash never leaves a half runtime that looks ready.

use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};

use crate::RuntimeError;
use crate::lock::{self, LOCK, PYTHON_VERSION, Pin};

/// Where a runtime is mounted inside the sandbox.
pub const SANDBOX_RUNTIME_DIR: &str = "/opt/apiforge/python";
/// Its packages inside the sandbox (the sandbox's `PYTHONPATH`).
pub const SANDBOX_SITE_PACKAGES: &str = "/opt/apiforge/python/site-packages";
/// The runtime's description, written last before the rename.
pub const RUNTIME_JSON: &str = "runtime.json";

/// The host interpreters tried, in order, to run pip.
const HOST_PYTHONS: [&str; 2] = ["python3", "/usr/bin/python3"];

/// An installed, complete runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PythonRuntime {
    dir: PathBuf,
    lock_sha256: String,
    python_version: String,
    packages: Vec<(String, String)>,
    installed_at: String,
}

/// The result of [`PythonRuntime::install`].
#[derive(Debug, Clone)]
pub struct Installed {
    /// The runtime.
    pub runtime: PythonRuntime,
    /// It was there already: nothing was downloaded.
    pub already_installed: bool,
    /// How long the call took.
    pub elapsed: Duration,
}

/// Steps of an install, for a progress bar or log lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstallProgress {
    /// pip is starting with this interpreter.
    Started {
        /// The host interpreter.
        python: String,
        /// Its version.
        version: String,
        /// How many packages the lock pins.
        packages: usize,
    },
    /// pip is fetching (or taking from its cache) the `done`-th package.
    Collecting {
        /// The package.
        name: String,
        /// Packages collected so far, this one included.
        done: usize,
        /// All packages.
        total: usize,
    },
    /// Every wheel is fetched and checked; pip is unpacking them.
    Installing,
}

/// One runtime directory found by [`PythonRuntime::list`].
#[derive(Debug, Clone)]
pub struct RuntimeEntry {
    /// The directory.
    pub dir: PathBuf,
    /// Its description, `None` when `runtime.json` is missing or unreadable.
    pub runtime: Option<PythonRuntime>,
    /// Whether it was built from the lock this binary embeds.
    pub current: bool,
}

impl PythonRuntime {
    /// The runtime's directory on the host.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Its packages directory on the host.
    pub fn site_packages(&self) -> PathBuf {
        self.dir.join("site-packages")
    }

    /// sha256 of the lock it was built from.
    pub fn lock_sha256(&self) -> &str {
        &self.lock_sha256
    }

    /// Version of the Python that installed it.
    pub fn python_version(&self) -> &str {
        &self.python_version
    }

    /// `(name, version)` of every package, sorted by name.
    pub fn packages(&self) -> &[(String, String)] {
        &self.packages
    }

    /// When it was installed (RFC 3339, UTC).
    pub fn installed_at(&self) -> &str {
        &self.installed_at
    }

    /// The directory holding every runtime under `data_dir`.
    pub fn runtimes_dir(data_dir: &Path) -> PathBuf {
        data_dir.join("runtimes")
    }

    /// Where the runtime of the embedded lock lives under `data_dir`.
    pub fn expected_dir(data_dir: &Path) -> PathBuf {
        Self::runtimes_dir(data_dir).join(lock::runtime_dir_name(&lock::lock_sha256()))
    }

    /// The installed runtime of the embedded lock.
    ///
    /// # Errors
    /// [`RuntimeError::NotInstalled`] when it is missing or incomplete.
    pub fn find(data_dir: &Path) -> Result<Self, RuntimeError> {
        let dir = Self::expected_dir(data_dir);
        match Self::read(&dir) {
            Some(runtime) if runtime.lock_sha256 == lock::lock_sha256() => Ok(runtime),
            _ => Err(RuntimeError::NotInstalled { dir }),
        }
    }

    /// Reads a runtime directory's `runtime.json`; `None` if it is not a complete runtime.
    fn read(dir: &Path) -> Option<Self> {
        let text = fs::read_to_string(dir.join(RUNTIME_JSON)).ok()?;
        let value: Value = serde_json::from_str(&text).ok()?;
        let text_of = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
        let packages = value
            .get("packages")?
            .as_array()?
            .iter()
            .map(|p| {
                Some((
                    p.get("name")?.as_str()?.to_owned(),
                    p.get("version")?.as_str()?.to_owned(),
                ))
            })
            .collect::<Option<Vec<_>>>()?;
        if !dir.join("site-packages").is_dir() {
            return None;
        }
        Some(Self {
            dir: dir.to_path_buf(),
            lock_sha256: text_of("lock_sha256")?,
            python_version: text_of("python_version")?,
            packages,
            installed_at: text_of("installed_at")?,
        })
    }

    /// Every runtime directory under `data_dir`, sorted by name.
    ///
    /// # Errors
    /// [`RuntimeError::Io`] when the runtimes directory exists but cannot be read.
    pub fn list(data_dir: &Path) -> Result<Vec<RuntimeEntry>, RuntimeError> {
        let root = Self::runtimes_dir(data_dir);
        let entries = match fs::read_dir(&root) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(RuntimeError::io("reading", root, e)),
        };
        let current = lock::lock_sha256();
        let mut found = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| RuntimeError::io("reading", &root, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with("python-") || !entry.path().is_dir() {
                continue;
            }
            let runtime = Self::read(&entry.path());
            let is_current = runtime.as_ref().is_some_and(|r| r.lock_sha256 == current);
            found.push(RuntimeEntry {
                dir: entry.path(),
                runtime,
                current: is_current,
            });
        }
        found.sort_by(|a, b| a.dir.cmp(&b.dir));
        Ok(found)
    }

    /// Installs the runtime of the embedded lock under `data_dir` unless it is there already.
    /// Concurrent installs (several processes) wait for each other on a file lock; only one
    /// downloads.
    ///
    /// # Errors
    /// [`RuntimeError::NoPython`] without a usable host Python, [`RuntimeError::Install`]
    /// when pip fails (no network), [`RuntimeError::Io`] for the data directory.
    pub fn install(
        data_dir: &Path,
        progress: &mut dyn FnMut(InstallProgress),
    ) -> Result<Installed, RuntimeError> {
        let start = Instant::now();
        let root = Self::runtimes_dir(data_dir);
        fs::create_dir_all(&root).map_err(|e| RuntimeError::io("creating", &root, e))?;
        let lock_path = root.join(".install.lock");
        let guard = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| RuntimeError::io("opening", &lock_path, e))?;
        guard
            .lock()
            .map_err(|e| RuntimeError::io("locking", &lock_path, e))?;

        if let Ok(runtime) = Self::find(data_dir) {
            return Ok(Installed {
                runtime,
                already_installed: true,
                elapsed: start.elapsed(),
            });
        }
        let final_dir = Self::expected_dir(data_dir);
        remove_leftovers(&root, &final_dir)?;

        let pins = lock::parse_lock(LOCK).map_err(|reason| RuntimeError::Install {
            reason: format!("the embedded lock is invalid: {reason}"),
        })?;
        let host = find_host_python()?;
        progress(InstallProgress::Started {
            python: host.program.clone(),
            version: host.version.clone(),
            packages: pins.len(),
        });

        let partial = root.join(format!(
            ".{}.partial-{}",
            lock::runtime_dir_name(&lock::lock_sha256()),
            std::process::id()
        ));
        let built = build(&host, &pins, &partial, progress).and_then(|()| {
            fs::rename(&partial, &final_dir)
                .map_err(|e| RuntimeError::io("renaming into place", &final_dir, e))
        });
        if let Err(e) = built {
            let _ = fs::remove_dir_all(&partial);
            return Err(e);
        }
        drop(guard);
        let runtime = Self::find(data_dir)?;
        Ok(Installed {
            runtime,
            already_installed: false,
            elapsed: start.elapsed(),
        })
    }
}

/// Removes partial builds of crashed installs and an incomplete final directory (one
/// without a readable `runtime.json`, e.g. edited by hand). Called under the install lock.
fn remove_leftovers(root: &Path, final_dir: &Path) -> Result<(), RuntimeError> {
    let entries = fs::read_dir(root).map_err(|e| RuntimeError::io("reading", root, e))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(".python-") && name.contains(".partial-") {
            fs::remove_dir_all(entry.path())
                .map_err(|e| RuntimeError::io("removing", entry.path(), e))?;
        }
    }
    if final_dir.exists() {
        fs::remove_dir_all(final_dir).map_err(|e| RuntimeError::io("removing", final_dir, e))?;
    }
    Ok(())
}

/// A host interpreter with pip.
#[derive(Debug)]
struct HostPython {
    program: String,
    version: String,
    pip_version: String,
}

fn find_host_python() -> Result<HostPython, RuntimeError> {
    let mut tried = Vec::new();
    for program in HOST_PYTHONS {
        let output = Command::new(program)
            .args([
                "-c",
                "import sys, pip; print('%d.%d.%d' % sys.version_info[:3]); print(pip.__version__)",
            ])
            .stdin(Stdio::null())
            .output();
        match output {
            Err(e) => tried.push(format!("{program}: {e}")),
            Ok(out) if !out.status.success() => tried.push(format!("{program}: no pip")),
            Ok(out) => {
                let text = String::from_utf8_lossy(&out.stdout).into_owned();
                let mut lines = text.lines();
                let version = lines.next().unwrap_or_default().trim().to_owned();
                let pip_version = lines.next().unwrap_or_default().trim().to_owned();
                let minor = version.splitn(3, '.').take(2).collect::<Vec<_>>().join(".");
                if minor == PYTHON_VERSION {
                    return Ok(HostPython {
                        program: program.to_owned(),
                        version,
                        pip_version,
                    });
                }
                tried.push(format!("{program}: Python {version}"));
            }
        }
    }
    Err(RuntimeError::NoPython {
        wanted: PYTHON_VERSION,
        tried: tried.join("; "),
    })
}

/// Installs the lock into `partial` and describes it there.
fn build(
    host: &HostPython,
    pins: &[Pin],
    partial: &Path,
    progress: &mut dyn FnMut(InstallProgress),
) -> Result<(), RuntimeError> {
    fs::create_dir_all(partial).map_err(|e| RuntimeError::io("creating", partial, e))?;
    let lock_copy = partial.join("requirements.lock");
    fs::write(&lock_copy, LOCK).map_err(|e| RuntimeError::io("writing", &lock_copy, e))?;
    let site = partial.join("site-packages");
    run_pip(host, &lock_copy, &site, pins.len(), progress)?;
    make_readable(partial)?;
    let packages: Vec<Value> = pins
        .iter()
        .map(|p| json!({ "name": p.name, "version": p.version }))
        .collect();
    let description = json!({
        "kind": "python",
        "lock_sha256": lock::lock_sha256(),
        "python_version": host.version,
        "python": host.program,
        "pip_version": host.pip_version,
        "packages": packages,
        "installed_at": apiforge_sandbox::format_rfc3339(SystemTime::now()),
    });
    let path = partial.join(RUNTIME_JSON);
    let text = serde_json::to_string_pretty(&description).unwrap_or_default() + "\n";
    fs::write(&path, text).map_err(|e| RuntimeError::io("writing", &path, e))?;
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644))
        .map_err(|e| RuntimeError::io("setting permissions of", &path, e))
}

fn run_pip(
    host: &HostPython,
    lock_file: &Path,
    site: &Path,
    total: usize,
    progress: &mut dyn FnMut(InstallProgress),
) -> Result<(), RuntimeError> {
    let mut child = Command::new(&host.program)
        .args(["-m", "pip", "install", "--require-hashes", "--no-deps"])
        .args(["--only-binary=:all:", "--no-input", "--progress-bar", "off"])
        .args([
            "--no-warn-script-location",
            "--timeout",
            "20",
            "--retries",
            "2",
        ])
        .arg("--target")
        .arg(site)
        .arg("-r")
        .arg(lock_file)
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .env("PIP_ROOT_USER_ACTION", "ignore")
        .env("PIP_REQUIRE_VIRTUALENV", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| RuntimeError::Install {
            reason: format!("cannot start {} -m pip: {e}", host.program),
        })?;
    let stderr = child.stderr.take();
    let errors = std::thread::spawn(move || {
        stderr
            .map(|s| {
                BufReader::new(s)
                    .lines()
                    .map_while(Result::ok)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    });
    let mut done = 0;
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("Collecting ") {
                done += 1;
                let name = rest
                    .split(|c: char| c == '=' || c.is_whitespace())
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                progress(InstallProgress::Collecting {
                    name,
                    done: done.min(total),
                    total,
                });
            } else if line.starts_with("Installing collected packages") {
                progress(InstallProgress::Installing);
            }
        }
    }
    let status = child.wait().map_err(|e| RuntimeError::Install {
        reason: format!("waiting for pip: {e}"),
    })?;
    let errors = errors.join().unwrap_or_default();
    if status.success() {
        return Ok(());
    }
    Err(RuntimeError::Install {
        reason: pip_failure(&errors),
    })
}

/// One line saying why pip failed, from its stderr.
pub(crate) fn pip_failure(stderr: &[String]) -> String {
    let last_error = stderr
        .iter()
        .rev()
        .find_map(|l| l.trim().strip_prefix("ERROR: "))
        .or_else(|| {
            stderr
                .iter()
                .rev()
                .map(|l| l.trim())
                .find(|l| !l.is_empty())
        })
        .unwrap_or("pip failed without a message")
        .to_owned();
    const NETWORK: [&str; 6] = [
        "Failed to establish a new connection: ",
        "Temporary failure in name resolution",
        "Name or service not known",
        "Network is unreachable",
        "Read timed out",
        "ProxyError",
    ];
    let network = stderr.iter().find_map(|line| {
        NETWORK.iter().find_map(|marker| {
            let at = line.find(marker)?;
            let detail = &line[at + marker.len()..];
            let detail = detail
                .split(['\'', '"', ')'])
                .next()
                .filter(|d| !d.trim().is_empty())
                .unwrap_or(marker.trim_end_matches(": "));
            Some(detail.trim().to_owned())
        })
    });
    match network {
        Some(detail) => format!("cannot reach the package index ({detail}); pip: {last_error}"),
        None => format!("pip: {last_error}"),
    }
}

/// Makes every file and directory readable (and directories and executables traversable or
/// runnable) by the unprivileged user the sandbox maps to, whatever the host's umask was.
fn make_readable(dir: &Path) -> Result<(), RuntimeError> {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        let meta =
            fs::symlink_metadata(&path).map_err(|e| RuntimeError::io("reading", &path, e))?;
        if meta.file_type().is_symlink() {
            continue;
        }
        let mode = meta.permissions().mode();
        let wanted = if meta.is_dir() || mode & 0o111 != 0 {
            mode | 0o555
        } else {
            mode | 0o444
        };
        if wanted != mode {
            fs::set_permissions(&path, fs::Permissions::from_mode(wanted))
                .map_err(|e| RuntimeError::io("setting permissions of", &path, e))?;
        }
        if meta.is_dir() {
            let entries = fs::read_dir(&path).map_err(|e| RuntimeError::io("reading", &path, e))?;
            stack.extend(entries.flatten().map(|entry| entry.path()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(stderr: &[&str], expect: &str) {
        let lines: Vec<String> = stderr.iter().map(|l| (*l).to_owned()).collect();
        assert_eq!(pip_failure(&lines), expect);
    }

    #[test]
    fn pip_failures_in_one_line() {
        check(
            &[
                "WARNING: Retrying (Retry(total=1, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f>: Failed to establish a new connection: [Errno 111] Connection refused')': /simple/alembic/",
                "ERROR: Could not find a version that satisfies the requirement alembic==1.20.1 (from versions: none)",
                "ERROR: No matching distribution found for alembic==1.20.1",
            ],
            "cannot reach the package index ([Errno 111] Connection refused); pip: No matching distribution found for alembic==1.20.1",
        );
        check(
            &["ERROR: THESE PACKAGES DO NOT MATCH THE HASHES", "  x"],
            "pip: THESE PACKAGES DO NOT MATCH THE HASHES",
        );
        check(&["Traceback", "OSError: boom", ""], "pip: OSError: boom");
        check(&[], "pip: pip failed without a message");
    }

    #[test]
    fn missing_runtime_is_reported_with_its_dir() {
        let data = tempfile::tempdir().expect("temp dir");
        let err = PythonRuntime::find(data.path()).expect_err("nothing installed");
        assert!(
            err.to_string().contains("apiforge runtimes install"),
            "{err}"
        );
        assert!(
            PythonRuntime::list(data.path())
                .expect("empty list")
                .is_empty()
        );
    }

    #[test]
    fn a_directory_without_runtime_json_is_not_ready() {
        let data = tempfile::tempdir().expect("temp dir");
        let dir = PythonRuntime::expected_dir(data.path());
        fs::create_dir_all(dir.join("site-packages")).expect("mkdir");
        assert!(PythonRuntime::find(data.path()).is_err());
        let listed = PythonRuntime::list(data.path()).expect("list");
        assert_eq!(listed.len(), 1);
        assert!(listed[0].runtime.is_none() && !listed[0].current);
        fs::write(
            dir.join(RUNTIME_JSON),
            json!({ "lock_sha256": lock::lock_sha256(), "python_version": "3.11.2",
                    "installed_at": "2026-11-24T00:00:00Z",
                    "packages": [{ "name": "x", "version": "1" }] })
            .to_string(),
        )
        .expect("write");
        let found = PythonRuntime::find(data.path()).expect("complete now");
        assert_eq!(found.packages(), &[("x".to_owned(), "1".to_owned())]);
    }
}
