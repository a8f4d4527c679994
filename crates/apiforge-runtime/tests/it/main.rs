//! Verification and preview of a small hand-written FastAPI project on the real runtime, in
//! the real sandbox (needs root, user namespaces and Debian's /usr/bin/python3 3.11).
//!
//! The runtime is installed ONCE per lock into a directory shared by every test process
//! (`$TMPDIR/apiforge-test-runtime-<lock hash>`, or `APIFORGE_TEST_RUNTIME_DIR`): the
//! install takes a file lock, so parallel tests wait for one download.

mod preview;
mod verify;

use std::path::{Path, PathBuf};

use apiforge_runtime::{PythonRuntime, lock_sha256};

/// The data directory holding the shared test runtime (also used by the binary's tests).
pub fn shared_data_dir() -> PathBuf {
    match std::env::var_os("APIFORGE_TEST_RUNTIME_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => std::env::temp_dir().join(format!("apiforge-test-runtime-{}", &lock_sha256()[..16])),
    }
}

/// The runtime, installed on first use (network needed once).
pub fn runtime() -> PythonRuntime {
    let installed = PythonRuntime::install(&shared_data_dir(), &mut |_| {})
        .expect("the test runtime installs (needs network access the first time)");
    installed.runtime
}

/// The fixture project.
pub fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fastapi-tiny")
}

/// A private copy of the fixture, to break.
pub fn fixture_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&fixture(), dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read fixture") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            if entry.file_name() == "__pycache__" {
                continue;
            }
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Replaces `from` by `to` in the project file `path`.
pub fn edit(dir: &Path, path: &str, from: &str, to: &str) {
    let file = dir.join(path);
    let text = std::fs::read_to_string(&file).expect("read");
    assert!(text.contains(from), "{path} contains {from:?}");
    std::fs::write(&file, text.replacen(from, to, 1)).expect("write");
}

#[test]
fn install_is_idempotent_and_listed() {
    let first = runtime();
    let again = PythonRuntime::install(&shared_data_dir(), &mut |_| {}).expect("install");
    assert!(again.already_installed);
    assert_eq!(again.runtime, first);
    assert!(first.site_packages().join("fastapi").is_dir());
    assert!(first.site_packages().join("bin/ruff").is_file());
    let listed = PythonRuntime::list(&shared_data_dir()).expect("list");
    assert!(listed.iter().any(|e| e.current && e.dir == first.dir()));
}
