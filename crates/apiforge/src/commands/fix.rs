//! `apiforge verify DIR --fix`: the auto-fix loop on a project on disk. The project's text
//! files are read, the loop runs on them in memory (each round verified in the sandbox on a
//! private copy), and the patched files are written back only when the project then passes:
//! a failed fix leaves DIR exactly as it was and shows what was tried.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use apiforge_runtime::{PythonRuntime, VerifyReport};
use apiforge_sandbox::AuditSink;
use apiforge_server::fix::{self, Fixed};
use apiforge_server::pipeline::{self, FileOut, Generated, Verified};

use crate::exit::{self, BadInput};
use crate::output::{eprint_line, print_line};

/// Directories never read: caches and environments, not the project.
const SKIPPED_DIRS: [&str; 8] = [
    ".git",
    "__pycache__",
    ".venv",
    "venv",
    "node_modules",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
];
/// Files larger than this are not offered (nor read).
const MAX_FILE_BYTES: u64 = 512 * 1024;

pub fn run(
    dir: &Path,
    chain: &apiforge_llm::Chain,
    runtime: &PythonRuntime,
    audit: Arc<dyn AuditSink>,
    report: VerifyReport,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let files = read_project(dir)?;
    if !json {
        for line in super::verify::report_lines(&report) {
            print_line(&line);
        }
        eprint_line("asking the LLM for a fix (at most two rounds, each verified)");
    }
    let failed = Verified {
        ok: false,
        report: report.to_json(),
    };
    let verify = |files: Vec<FileOut>| {
        let (runtime, audit) = (runtime.clone(), Arc::clone(&audit));
        async move {
            let generated = Generated {
                target: "fastapi".to_owned(),
                files,
            };
            pipeline::verify(&generated, &runtime, Some(audit)).map_err(|e| e.to_string())
        }
    };
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let fixed: Fixed = tokio.block_on(fix::fix(
        chain,
        apiforge_planner::llm::FIXER_TEMPLATE,
        "fastapi",
        files.clone(),
        failed,
        verify,
    ));
    let written = if fixed.verified.ok {
        write_changed(dir, &files, &fixed.files)?
    } else {
        Vec::new()
    };
    if json {
        let mut out = fixed.verified.report.clone();
        if let serde_json::Value::Object(map) = &mut out {
            map.insert("fixes".into(), serde_json::to_value(&fixed.attempts)?);
            map.insert("written".into(), serde_json::to_value(&written)?);
        }
        print_line(&out.to_string());
    } else {
        for attempt in &fixed.attempts {
            print_line(&format!(
                "fix attempt {} ({} {}): {}",
                attempt.attempt,
                attempt.provider.as_deref().unwrap_or("no provider"),
                attempt.model.as_deref().unwrap_or(""),
                attempt
                    .error
                    .as_deref()
                    .unwrap_or(attempt.explanation.as_str())
            ));
            for diff in &attempt.diffs {
                print_line(diff.diff.trim_end());
            }
            print_line(&format!(
                "  verified after the fix: {}",
                if attempt.verified { "ok" } else { "FAILED" }
            ));
        }
        if fixed.verified.ok {
            print_line(&format!("fixed: wrote {}", written.join(", ")));
        } else {
            print_line(&format!("not fixed: {} is unchanged", dir.display()));
        }
    }
    Ok(if fixed.verified.ok {
        ExitCode::SUCCESS
    } else {
        exit::work_failed()
    })
}

/// The project's text files (relative `/` paths), caches and large or binary files skipped.
fn read_project(dir: &Path) -> anyhow::Result<Vec<FileOut>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries = fs_err::read_dir(&current).map_err(|e| BadInput(e.to_string()))?;
        for entry in entries {
            let entry = entry.map_err(|e| BadInput(e.to_string()))?;
            let path = entry.path();
            // Never follow a link: the project is what is inside DIR.
            let kind = entry.file_type().map_err(|e| BadInput(e.to_string()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if kind.is_dir() {
                if !SKIPPED_DIRS.contains(&name.as_str()) {
                    pending.push(path);
                }
                continue;
            }
            if !kind.is_file() || entry.metadata().map_or(true, |m| m.len() > MAX_FILE_BYTES) {
                continue;
            }
            let Ok(contents) = String::from_utf8(fs_err::read(&path)?) else {
                continue;
            };
            let relative = path
                .strip_prefix(dir)
                .context("a file outside the project")?
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            files.push(FileOut {
                path: relative,
                contents,
                ownership: "generated".into(),
            });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// Writes the files whose content the fix changed (regular files only, never through a
/// link); the paths written.
fn write_changed(dir: &Path, before: &[FileOut], after: &[FileOut]) -> anyhow::Result<Vec<String>> {
    let mut written = Vec::new();
    for file in after {
        let unchanged = before
            .iter()
            .any(|b| b.path == file.path && b.contents == file.contents);
        if unchanged {
            continue;
        }
        let path = dir.join(&file.path);
        let metadata = fs_err::symlink_metadata(&path)?;
        if !metadata.file_type().is_file() {
            return Err(BadInput(format!(
                "{} is no longer a regular file; the fix was not written",
                path.display()
            ))
            .into());
        }
        fs_err::write(&path, &file.contents)?;
        written.push(file.path.clone());
    }
    Ok(written)
}
