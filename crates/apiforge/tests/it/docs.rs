//! The docs of a generated project in a real browser: `apiforge preview` serves the project
//! from the sandbox (which has no network), and headless Chromium, whose every non-loopback
//! request goes to a dead proxy, loads `/docs` (Swagger UI) and `/redoc` (ReDoc) and must
//! render every operation of the contract: proof that the pages need nothing from a CDN.
//! "Try it out" calls the server of the document the page loads, `/docs/openapi.json`,
//! whose one server must be relative (the page's own host, port and prefix).
//!
//! Needs what `runtime.rs` needs (root, user namespaces, the prepared runtime) and Debian's
//! Chromium (`apt-get install -y chromium`; `.ci/run` installs it). Without Chromium the test
//! fails and says so: it never skips.

use std::path::{Path, PathBuf};
use std::process::{Child, Command as HostCommand};

use serde_json::Value;

use crate::runtime::{http_get, start_preview};
use crate::{LIBRARY, apiforge, installed, run, shared_data_dir};

/// The flags every Chromium run gets. `--proxy-server` sends every request that is not for
/// loopback (which Chromium never proxies) to a closed port, so nothing from the network can
/// reach the page; `--virtual-time-budget` lets the page's scripts fetch and render before
/// `--dump-dom` prints the DOM.
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--proxy-server=http://127.0.0.1:9",
    "--virtual-time-budget=10000",
    "--dump-dom",
];

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
        "this test needs Chromium to render /docs in a real browser, and none is installed: \
         run `apt-get update && apt-get install -y chromium` (Debian; .ci/run does this)"
    );
    found
}

/// The DOM of `url` after Chromium ran its scripts, with no network beyond loopback.
fn dump_dom(url: &str) -> String {
    let profile = tempfile::tempdir().expect("temp dir");
    let mut user_data_dir = std::ffi::OsString::from("--user-data-dir=");
    user_data_dir.push(profile.path());
    let output = HostCommand::new("timeout")
        .arg("120")
        .arg(chromium())
        .args(CHROMIUM_FLAGS)
        .arg(user_data_dir)
        .arg(url)
        .env("HOME", profile.path())
        .output()
        .expect("timeout(1) runs chromium");
    let dom = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success() && dom.contains("</html>"),
        "chromium {url} failed ({}): {}\n{dom}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    dom
}

/// A running preview, stopped when dropped (also when an assertion fails).
struct RunningPreview {
    child: Child,
    url: String,
}

impl Drop for RunningPreview {
    fn drop(&mut self) {
        let _ = HostCommand::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// The body of a `200` response to `GET path`.
fn get_ok(url: &str, path: &str) -> String {
    let response = http_get(url, path);
    let (head, body) = response
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("GET {path}: no HTTP response: {response}"));
    assert!(head.starts_with("HTTP/1.1 200"), "GET {path}: {head}");
    body.to_owned()
}

/// Text as React writes it into the DOM.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn generate_library(dir: &Path) {
    let (code, stdout, stderr) = run(apiforge()
        .env("APIFORGE_DATA_DIR", shared_data_dir())
        .args([
            "generate",
            LIBRARY,
            "--target",
            "fastapi",
            "--no-verify",
            "-o",
        ])
        .arg(dir));
    assert_eq!(code, 0, "{stdout}{stderr}");
}

#[test]
fn generated_docs_render_in_a_browser_without_network() {
    let browser = chromium();
    installed();
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("library");
    generate_library(&dir);
    let committed = std::fs::read_to_string(dir.join("openapi.json")).expect("openapi.json");
    let contract: Value = serde_json::from_str(&committed).expect("contract JSON");
    let title = contract["info"]["title"]
        .as_str()
        .expect("title")
        .to_owned();
    let paths: Vec<&String> = contract["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .collect();
    let operations = contract["paths"]
        .as_object()
        .expect("paths")
        .values()
        .flat_map(|item| item.as_object().expect("path item").keys())
        .filter(|key| ["get", "put", "post", "delete", "patch"].contains(&key.as_str()))
        .count();
    assert!(paths.len() >= 4 && operations >= 10, "{paths:?}");

    let (child, url, _stdout) = start_preview(&dir);
    let preview = RunningPreview { child, url };
    let url = preview.url.as_str();

    // /openapi.json is the committed contract, byte for byte; the docs read a copy whose
    // one server is relative, so "Try it out" calls the preview's own host and port.
    assert_eq!(get_ok(url, "/openapi.json"), committed);
    let docs_contract: Value =
        serde_json::from_str(&get_ok(url, "/docs/openapi.json")).expect("docs contract JSON");
    assert_eq!(
        docs_contract["servers"],
        serde_json::json!([{ "url": "/" }])
    );
    let mut expected = contract.clone();
    expected["servers"] = docs_contract["servers"].clone();
    assert_eq!(docs_contract, expected, "the docs contract is the contract");

    // Swagger UI renders every operation, the title and the relative server.
    let dom = dump_dom(&format!("{url}/docs"));
    let context = || format!("/docs in {}:\n{dom}", browser.display());
    assert!(
        !dom.contains("Failed to load API definition"),
        "{}",
        context()
    );
    assert!(
        dom.contains(&format!("<h1 class=\"title\">{}", escape(&title))),
        "the title {title:?} is rendered: {}",
        context()
    );
    for path in &paths {
        assert!(
            dom.contains(&format!("data-path=\"{path}\"")),
            "the operations of {path} are rendered: {}",
            context()
        );
    }
    let rendered = dom.matches("class=\"opblock opblock-").count();
    assert_eq!(
        rendered,
        operations,
        "one opblock per operation: {}",
        context()
    );
    assert!(
        dom.contains("<select id=\"servers\"><option value=\"/\">/</option></select>"),
        "the one server is the relative `/`: {}",
        context()
    );
    assert!(!dom.contains("127.0.0.1:8000"), "{}", context());

    // ReDoc renders from its local bundle too.
    let dom = dump_dom(&format!("{url}/redoc"));
    assert!(
        dom.contains(&escape(&title)) && paths.iter().all(|path| dom.contains(path.as_str())),
        "/redoc renders the title and every path:\n{dom}"
    );
}
