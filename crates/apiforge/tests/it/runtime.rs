//! `apiforge runtimes`, `verify` and `preview` end to end (needs root, user namespaces,
//! Debian's /usr/bin/python3 3.11 and, the first time, network access to install the
//! runtime). The runtime is installed once into a data directory shared with
//! `apiforge-runtime`'s tests (`$TMPDIR/apiforge-test-runtime-<lock hash>`, or
//! `APIFORGE_TEST_RUNTIME_DIR`); the install holds a file lock, so parallel tests share it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{apiforge, installed, run, shared_data_dir};

/// `apiforge ARGS` with the shared runtime's data directory.
fn with_runtime(args: &[&str]) -> (i32, String, String) {
    let mut command = apiforge();
    command
        .env("APIFORGE_DATA_DIR", shared_data_dir())
        .args(args);
    run(&mut command)
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../apiforge-runtime/tests/fixtures/fastapi-tiny")
}

fn fixture_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for path in [
        "app/__init__.py",
        "app/main.py",
        "tests/__init__.py",
        "tests/test_books.py",
        "pyproject.toml",
    ] {
        let target = dir.path().join(path);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::copy(fixture().join(path), target).expect("copy");
    }
    dir
}

fn edit(dir: &Path, path: &str, from: &str, to: &str) {
    let file = dir.join(path);
    let text = std::fs::read_to_string(&file).expect("read");
    assert!(text.contains(from), "{path} contains {from:?}");
    std::fs::write(&file, text.replacen(from, to, 1)).expect("write");
}

fn json(stdout: &str) -> Value {
    assert_eq!(stdout.lines().count(), 1, "one JSON object: {stdout}");
    serde_json::from_str(stdout).expect("JSON")
}

#[test]
fn install_twice_and_list() {
    installed();
    let (code, stdout, _) = with_runtime(&["runtimes", "install", "--json"]);
    assert_eq!(code, 0);
    let result = json(&stdout);
    assert_eq!(result["already_installed"], true);
    assert_eq!(
        result["runtime"]["lock_sha256"],
        apiforge_runtime::lock_sha256()
    );
    let (code, stdout, _) = with_runtime(&["runtimes", "install"]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("already installed: "), "{stdout}");

    let (code, stdout, _) = with_runtime(&["runtimes", "list", "--json"]);
    assert_eq!(code, 0);
    let list = json(&stdout);
    assert_eq!(list["current_installed"], true);
    assert!(
        list["runtimes"]
            .as_array()
            .is_some_and(|r| r.iter().any(|r| r["current"] == true))
    );
    let (code, stdout, _) = with_runtime(&["runtimes", "list"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("current"), "{stdout}");
}

#[test]
fn list_with_nothing_installed() {
    let data = tempfile::tempdir().expect("temp dir");
    let mut command = apiforge();
    command
        .env("APIFORGE_DATA_DIR", data.path())
        .args(["runtimes", "list"]);
    let (code, stdout, _) = run(&mut command);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("run `apiforge runtimes install`"),
        "{stdout}"
    );
}

#[test]
fn install_without_network_exits_2_in_one_line() {
    let data = tempfile::tempdir().expect("temp dir");
    let mut command = apiforge();
    command
        .env("APIFORGE_DATA_DIR", data.path())
        .env("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env("PIP_NO_CACHE_DIR", "1")
        .args(["runtimes", "install"]);
    let (code, stdout, stderr) = run(&mut command);
    assert_eq!(code, 2, "{stdout}{stderr}");
    let error: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(error.len(), 1, "{stderr}");
    assert!(
        error[0].contains("cannot reach the package index"),
        "{stderr}"
    );
    // Nothing that looks like a runtime is left behind.
    let (_, stdout, _) = run(apiforge()
        .env("APIFORGE_DATA_DIR", data.path())
        .args(["runtimes", "list", "--json"]));
    assert_eq!(json(&stdout)["runtimes"], serde_json::json!([]));
}

#[test]
fn verify_green_project() {
    installed();
    let dir = fixture();
    let dir = dir.to_str().expect("utf-8 path");
    let (code, stdout, stderr) = with_runtime(&["verify", dir]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("3 passed, 0 failed"), "{stdout}");
    assert!(stdout.trim_end().ends_with('s'), "{stdout}");
    let (code, stdout, _) = with_runtime(&["verify", dir, "--json"]);
    assert_eq!(code, 0);
    let report = json(&stdout);
    assert_eq!(report["ok"], true);
    assert_eq!(report["tests"]["passed"], 3);
    assert_eq!(report["steps"].as_array().map(Vec::len), Some(4));
}

#[test]
fn verify_failing_test_exits_1_with_name_and_line() {
    installed();
    let project = fixture_copy();
    edit(project.path(), "tests/test_books.py", "== 404", "== 410");
    edit(
        project.path(),
        "app/main.py",
        "from fastapi import",
        "import os\nfrom fastapi import",
    );
    let before = std::fs::read_dir(project.path()).expect("dir").count();
    let dir = project.path().to_str().expect("utf-8 path");
    let (code, stdout, stderr) = with_runtime(&["verify", dir]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("tests/test_books.py::test_missing_book_is_404")
            && stdout.contains("(tests/test_books.py:18)"),
        "{stdout}"
    );
    assert!(stdout.contains("F401"), "{stdout}");
    let (code, stdout, _) = with_runtime(&["verify", dir, "--json"]);
    assert_eq!(code, 1);
    let report = json(&stdout);
    assert_eq!(report["ok"], false);
    assert_eq!(report["failed_tests"][0]["line"], 18);
    // The user's directory stays clean.
    assert_eq!(
        std::fs::read_dir(project.path()).expect("dir").count(),
        before
    );
    assert!(!project.path().join("app/__pycache__").exists());
}

#[test]
fn verify_bad_input_exits_2_in_one_line() {
    let empty = tempfile::tempdir().expect("temp dir");
    let not_a_project = empty.path().to_str().expect("utf-8 path");
    let fixture = fixture();
    let cases: [(&[&str], &Path, &str); 3] = [
        (
            &["verify", "/does/not/exist"],
            empty.path(),
            "does not exist",
        ),
        (&["verify", not_a_project], empty.path(), "no app/main.py"),
        (
            &["verify", fixture.to_str().expect("utf-8 path")],
            empty.path(),
            "apiforge runtimes install",
        ),
    ];
    for (args, data, expect) in cases {
        let mut command = apiforge();
        command.env("APIFORGE_DATA_DIR", data).args(args);
        let (code, stdout, stderr) = run(&mut command);
        assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(expect), "{args:?}: {stderr}");
    }
}

/// Starts `apiforge preview DIR --port 0` and returns it with the URL it printed.
pub(crate) fn start_preview(dir: &Path) -> (Child, String, BufReader<std::process::ChildStdout>) {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("apiforge"))
        .env("APIFORGE_DATA_DIR", shared_data_dir())
        .args(["preview", dir.to_str().expect("utf-8 path"), "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("apiforge preview starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        line.clear();
        if stdout.read_line(&mut line).expect("read") == 0 {
            break;
        }
        if let Some(url) = line.trim().strip_prefix("url:") {
            return (child, url.trim().to_owned(), stdout);
        }
    }
    let mut stderr = String::new();
    let _ = child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr);
    let _ = child.kill();
    let _ = child.wait();
    panic!("no URL printed: {line} {stderr}");
}

/// `GET path` on `url` (`http://host:port`) over HTTP/1.1; the whole response, head included.
pub(crate) fn http_get(url: &str, path: &str) -> String {
    let host = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    response
}

#[test]
fn preview_serves_the_contract_until_sigterm() {
    installed();
    let (mut child, url, _stdout) = start_preview(&fixture());
    let response = http_get(&url, "/openapi.json");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"title\":\"Fixture API\""), "{response}");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let exit = child.wait().expect("preview exits");
    assert_eq!(exit.code(), Some(0));
    assert!(
        TcpStream::connect(url.trim_start_matches("http://")).is_err(),
        "the port is closed"
    );
}

#[test]
fn preview_of_an_app_that_dies_exits_1_with_its_stderr() {
    installed();
    let project = fixture_copy();
    edit(
        project.path(),
        "app/main.py",
        "app = FastAPI(",
        "raise RuntimeError('boom at import')\napp = FastAPI(",
    );
    let mut command = apiforge();
    command.env("APIFORGE_DATA_DIR", shared_data_dir()).args([
        "preview",
        project.path().to_str().expect("utf-8 path"),
        "--port",
        "0",
    ]);
    let (code, stdout, stderr) = run(&mut command);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stderr.contains("boom at import"), "{stderr}");
    assert!(
        stderr.contains("error: the app exited before it was ready"),
        "{stderr}"
    );
}

#[test]
fn preview_bad_port_exits_2() {
    let (code, _, stderr) = with_runtime(&["preview", "/nowhere", "--port", "http"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--port"), "{stderr}");
}
