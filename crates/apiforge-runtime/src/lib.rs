//! Prepared runtimes and what runs on them: the pinned Python package set
//! (`runtimes/python/requirements.lock`, embedded) installed once into the data directory,
//! and, inside the sandbox with that runtime mounted read-only and no network, the
//! verification of a generated project (ruff, compileall, pytest → [`VerifyReport`]) and its
//! live preview (uvicorn on a Unix socket behind a host-side TCP proxy → [`Preview`]).
//!
//! Installing ([`PythonRuntime::install`]) is the only step that touches the network and
//! the only process this crate starts on the host (the host's `python3 -m pip`, with
//! `--require-hashes`); everything the project's code does runs through `apiforge-sandbox`.
//! It reads no environment variables: callers pass the data directory and options.

mod error;
mod junit;
mod lock;
mod preview;
mod python;
mod verify;

pub use error::RuntimeError;
pub use junit::{FailedTest, FailureKind, JunitReport, TestCounts, parse_junit};
pub use lock::{LOCK, PYTHON_VERSION, Pin, lock_sha256, parse_lock, runtime_dir_name, sha256_hex};
pub use preview::{AppExit, PREVIEW_DATABASE_URL, Preview, PreviewOptions, SOCKET};
pub use python::{
    InstallProgress, Installed, PythonRuntime, RUNTIME_JSON, RuntimeEntry, SANDBOX_RUNTIME_DIR,
    SANDBOX_SITE_PACKAGES,
};
pub use verify::{
    MAX_FINDINGS, Step, StepResult, VerifyOptions, VerifyReport, check_project, verify, verify_with,
};
