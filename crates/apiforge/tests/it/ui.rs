//! The web app in a real browser (issue 6): `apiforge serve` on a fresh SQLite database, and
//! `tests/ui/ui-test.mjs` (playwright-core driving Debian's headless Chromium, axe-core for
//! accessibility) doing what a user does: sign in (a wrong code first, then the code, then
//! the magic link), the empty dashboard, a new project from the library corpus prompt with
//! its progress to the end over a dropped and resumed event stream, every tab ("Try it out"
//! on the live API answers 2xx, the zip holds the project), the description edited and the
//! project regenerated (progress to the end again, then the Versions tab's diff of v1 and
//! v2 lists `openapi.yaml` as changed with the added `price`), sharing with a viewer (who
//! then sees no controls to change anything) and with an editor who is removed again,
//! Regenerate on a version that failed its checks (with the automatic fixes its report
//! lists, faked), the planner choice (the LLM planner disabled on this server, which has no
//! provider; enabled with a faked one, and the project page's "Planned by" line), a
//! dead-lettered job and deleting it after a confirmation, a narrow screen. It fails on any serious or critical axe violation, any
//! browser error and any request to a host other than the server's. Screenshots (and axe's
//! findings, `axe.json`) go to `<target dir>/ui-screenshots/`.
//!
//! Needs Node.js, the test's npm packages (`npm ci` in `crates/apiforge/tests/ui`; `cargo
//! xtask test` runs it) and Chromium (`apt-get install -y chromium`; `.ci/run` installs
//! it). Without them the test fails and says how to install them: it never skips.

use std::path::{Path, PathBuf};
use std::process::Command as HostCommand;
use std::time::Instant;

use crate::server::Server;

/// The browser test's Node package.
fn ui_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui")
}

/// `chromium` from `PATH`, else Debian's `/usr/bin/chromium`; a clear failure without it.
fn chromium() -> PathBuf {
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("chromium"))
            .find(|candidate| candidate.is_file())
    });
    let found = on_path.unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        found.is_file(),
        "the web app test needs Chromium, and none is installed: run \
         `apt-get update && apt-get install -y chromium` (Debian; .ci/run does this)"
    );
    found
}

/// Node.js, with the test's packages installed.
fn node_with_packages() -> PathBuf {
    let node = std::env::var_os("PATH")
        .and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join("node"))
                .find(|candidate| candidate.is_file())
        })
        .unwrap_or_else(|| {
            panic!("the web app test needs Node.js (20 or later) on PATH: install it (Debian: apt-get install -y nodejs npm)")
        });
    let modules = ui_dir().join("node_modules");
    for package in ["playwright-core", "axe-core"] {
        assert!(
            modules.join(package).join("package.json").is_file(),
            "the web app test needs the npm package {package} in {}: run `npm ci` in \
             crates/apiforge/tests/ui (`cargo xtask test` does this before the tests)",
            modules.display()
        );
    }
    node
}

/// `<target dir>/ui-screenshots`: `CARGO_TARGET_DIR`, else the directory the binary under
/// test was built in.
fn screenshot_dir() -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => {
            let binary = assert_cmd::cargo::cargo_bin("apiforge");
            binary
                .parent()
                .and_then(Path::parent)
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from("target"))
        }
    };
    target.join("ui-screenshots")
}

#[test]
fn web_app_works_in_a_browser() {
    let chromium = chromium();
    let node = node_with_packages();
    let server = Server::start(None);
    let shots = screenshot_dir();
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).expect("the screenshot directory is created");

    let started = Instant::now();
    let output = HostCommand::new("timeout")
        .arg("900")
        .arg(node)
        .arg(ui_dir().join("ui-test.mjs"))
        .arg("--url")
        .arg(format!("http://{}", server.addr))
        .arg("--log")
        .arg(&server.log)
        .arg("--screenshots")
        .arg(&shots)
        .arg("--chromium")
        .arg(&chromium)
        .current_dir(ui_dir())
        .output()
        .expect("timeout(1) runs node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!(
        "browser test took {:.1} s:\n{stdout}{stderr}",
        started.elapsed().as_secs_f64()
    );
    if !output.status.success() {
        let log = server.log_text();
        let tail: Vec<&str> = log.lines().rev().take(40).collect();
        panic!(
            "the web app's browser test failed ({}); screenshots in {}:\n{stdout}{stderr}\n\
             --- the server's log, last lines ---\n{}",
            output.status,
            shots.display(),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    let pngs = std::fs::read_dir(&shots)
        .expect("the screenshot directory is readable")
        .filter_map(Result::ok)
        .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "png"))
        .count();
    assert!(
        pngs >= 30 && shots.join("axe.json").is_file(),
        "expected a screenshot of every page and axe.json in {}, found {pngs} screenshots",
        shots.display()
    );
}
