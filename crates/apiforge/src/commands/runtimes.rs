//! `apiforge runtimes install` and `apiforge runtimes list`: the prepared Python runtime
//! built from the lock embedded in the binary (`runtimes/python/requirements.lock`).

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use apiforge_runtime::{InstallProgress, PythonRuntime, RuntimeEntry, lock_sha256};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use crate::cli::{RuntimesArgs, RuntimesCommand, RuntimesInstallArgs, RuntimesListArgs};
use crate::output::{eprint_line, print_line};
use crate::settings;

pub fn run(args: &RuntimesArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        RuntimesCommand::Install(install) => install_command(install),
        RuntimesCommand::List(list) => list_command(list),
    }
}

/// Shows install progress: a bar on a terminal, plain lines otherwise (never with `--json`,
/// whose stdout is one object; the lines go to stderr).
struct Progress {
    bar: Option<ProgressBar>,
    quiet: bool,
}

impl Progress {
    fn new(quiet: bool) -> Self {
        Self { bar: None, quiet }
    }

    fn show(&mut self, step: &InstallProgress) {
        if self.quiet {
            return;
        }
        let terminal = std::io::stderr().is_terminal();
        match step {
            InstallProgress::Started {
                python,
                version,
                packages,
            } => {
                let line = format!(
                    "installing {packages} pinned packages with {python} (Python {version}) -m pip"
                );
                if terminal {
                    let bar = ProgressBar::new(u64::try_from(*packages).unwrap_or(0));
                    if let Ok(style) =
                        ProgressStyle::with_template("{bar:30} {pos}/{len} {wide_msg}")
                    {
                        bar.set_style(style);
                    }
                    bar.println(line);
                    self.bar = Some(bar);
                } else {
                    eprint_line(&line);
                }
            }
            InstallProgress::Collecting { name, done, total } => match &self.bar {
                Some(bar) => {
                    bar.set_position(u64::try_from(*done).unwrap_or(0));
                    bar.set_message(name.clone());
                }
                None => eprint_line(&format!("  [{done}/{total}] {name}")),
            },
            InstallProgress::Installing => match &self.bar {
                Some(bar) => bar.set_message("unpacking"),
                None => eprint_line("  unpacking"),
            },
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// The current runtime, installed first when it is missing (`generate` installs on first
/// use), with progress on stderr unless `quiet`.
pub(crate) fn ensure(quiet: bool) -> anyhow::Result<PythonRuntime> {
    ensure_in(&settings::data_dir()?, quiet)
}

/// [`ensure`] in a given data directory (the server's `--data-dir`).
pub(crate) fn ensure_in(data_dir: &std::path::Path, quiet: bool) -> anyhow::Result<PythonRuntime> {
    let data_dir = data_dir.to_path_buf();
    if let Ok(runtime) = PythonRuntime::find(&data_dir) {
        return Ok(runtime);
    }
    let mut progress = Progress::new(quiet);
    let installed = PythonRuntime::install(&data_dir, &mut |step| progress.show(&step));
    progress.finish();
    Ok(installed?.runtime)
}

fn install_command(args: &RuntimesInstallArgs) -> anyhow::Result<ExitCode> {
    let data_dir = settings::data_dir()?;
    let mut progress = Progress::new(args.json);
    let installed = PythonRuntime::install(&data_dir, &mut |step| progress.show(&step));
    progress.finish();
    let installed = installed?;
    let runtime = &installed.runtime;
    if args.json {
        print_line(
            &json!({
                "ok": true,
                "already_installed": installed.already_installed,
                "runtime": runtime_json(runtime, true),
                "seconds": installed.elapsed.as_secs_f64(),
            })
            .to_string(),
        );
    } else if installed.already_installed {
        print_line(&format!(
            "already installed: {} ({} packages)",
            runtime.dir().display(),
            runtime.packages().len()
        ));
    } else {
        print_line(&format!(
            "installed {} ({} packages, Python {}) in {:.1} s",
            runtime.dir().display(),
            runtime.packages().len(),
            runtime.python_version(),
            installed.elapsed.as_secs_f64()
        ));
    }
    Ok(ExitCode::SUCCESS)
}

fn runtime_json(runtime: &PythonRuntime, current: bool) -> serde_json::Value {
    let packages: Vec<_> = runtime
        .packages()
        .iter()
        .map(|(name, version)| json!({ "name": name, "version": version }))
        .collect();
    json!({
        "dir": runtime.dir(),
        "name": dir_name(runtime.dir()),
        "current": current,
        "complete": true,
        "lock_sha256": runtime.lock_sha256(),
        "python_version": runtime.python_version(),
        "installed_at": runtime.installed_at(),
        "packages": packages,
    })
}

fn dir_name(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn entry_json(entry: &RuntimeEntry) -> serde_json::Value {
    match &entry.runtime {
        Some(runtime) => runtime_json(runtime, entry.current),
        None => json!({
            "dir": entry.dir,
            "name": dir_name(&entry.dir),
            "current": false,
            "complete": false,
        }),
    }
}

fn list_command(args: &RuntimesListArgs) -> anyhow::Result<ExitCode> {
    let data_dir = settings::data_dir()?;
    let entries = PythonRuntime::list(&data_dir)?;
    if args.json {
        let runtimes: Vec<_> = entries.iter().map(entry_json).collect();
        print_line(
            &json!({
                "ok": true,
                "runtimes_dir": PythonRuntime::runtimes_dir(&data_dir),
                "lock_sha256": lock_sha256(),
                "current_installed": entries.iter().any(|e| e.current),
                "runtimes": runtimes,
            })
            .to_string(),
        );
        return Ok(ExitCode::SUCCESS);
    }
    for entry in &entries {
        let line = match &entry.runtime {
            Some(runtime) => format!(
                "{}  {}  Python {}  {} packages  installed {}  {}",
                dir_name(&entry.dir),
                if entry.current {
                    "current"
                } else {
                    "stale (another lock)"
                },
                runtime.python_version(),
                runtime.packages().len(),
                runtime.installed_at(),
                entry.dir.display()
            ),
            None => format!(
                "{}  incomplete (no runtime.json)  {}",
                dir_name(&entry.dir),
                entry.dir.display()
            ),
        };
        print_line(&line);
    }
    if !entries.iter().any(|e| e.current) {
        print_line(&format!(
            "the runtime for this version's lock is not installed in {}; run `apiforge runtimes install`",
            PythonRuntime::runtimes_dir(&data_dir).display()
        ));
    }
    Ok(ExitCode::SUCCESS)
}
