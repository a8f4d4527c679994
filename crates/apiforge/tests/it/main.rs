//! End-to-end tests of the `apiforge` binary: real processes, real files, real exit codes.

mod bench;
mod docs;
mod doctor;
mod e2e;
mod errors;
mod fake_llm;
mod generate;
mod llm;
mod plan;
mod prompts_cli;
mod registry;
mod runtime;
mod sandbox;
mod server;
mod spec;
mod ui;
mod workers;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub const LIBRARY: &str = "A library API. Books have a title, an ISBN and a publication year. \
    Authors have a name. Each book belongs to an author.";

/// The binary under test, with a clean environment for the variables it reads.
pub fn apiforge() -> Command {
    let mut command = Command::cargo_bin("apiforge").expect("the apiforge binary is built");
    command.env_remove("APIFORGE_OFFLINE");
    command
}

pub fn corpus(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../corpus")
        .join(file)
}

/// Runs the command and returns (exit code, stdout, stderr).
pub fn run(command: &mut Command) -> (i32, String, String) {
    let output = command.output().expect("the binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The data directory of the prepared runtime shared by every test process (and by
/// `apiforge-runtime`'s tests): `APIFORGE_TEST_RUNTIME_DIR`, else
/// `$TMPDIR/apiforge-test-runtime-<first 16 hex of the lock's sha256>`.
pub fn shared_data_dir() -> PathBuf {
    match std::env::var_os("APIFORGE_TEST_RUNTIME_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => std::env::temp_dir().join(format!(
            "apiforge-test-runtime-{}",
            &apiforge_runtime::lock_sha256()[..16]
        )),
    }
}

/// Installs the runtime into [`shared_data_dir`] unless it is there (the first time needs
/// network access); the install holds a file lock, so parallel test processes share one.
pub fn installed() {
    let (code, stdout, stderr) = run(apiforge()
        .env("APIFORGE_DATA_DIR", shared_data_dir())
        .args(["runtimes", "install", "--json"]));
    assert_eq!(code, 0, "{stdout}{stderr}");
}
