//! `apiforge doctor`: one line per check, the provider probe against a local model server
//! (reachable, dead, refused by offline mode), `--json`'s shape and the exit codes (0 with
//! warnings, 1 when a check fails, 2 for a bad setting).

use serde_json::Value;

use crate::fake_llm::{FakeLlm, MODEL, dead_url};
use crate::{apiforge, run};

/// A local OpenAI-compatible server whose `/v1/models` (the probe) lists [`MODEL`].
fn models_server() -> String {
    FakeLlm::start(|_| String::new()).url
}

/// `apiforge doctor ARGS…` in a fresh data directory with only `env` as LLM settings.
fn doctor(env: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
    let data = tempfile::tempdir().expect("a temporary directory");
    let mut command = apiforge();
    for name in apiforge_llm::env::ALL {
        command.env_remove(name);
    }
    command
        .env("APIFORGE_DATA_DIR", data.path())
        .env_remove("DATABASE_URL")
        .envs(env.iter().copied())
        .arg("doctor")
        .args(args);
    run(&mut command)
}

/// The line of check `name`: (status, detail).
#[track_caller]
fn line<'a>(stdout: &'a str, name: &str) -> (&'a str, &'a str) {
    stdout
        .lines()
        .find_map(|l| {
            let (status, rest) = l.split_once(' ')?;
            let rest = rest.trim_start();
            let detail = rest.strip_prefix(name)?;
            detail
                .starts_with("  ")
                .then(|| (status, detail.trim_start()))
        })
        .unwrap_or_else(|| panic!("no {name:?} line in {stdout}"))
}

#[test]
fn doctor_reports_a_reachable_provider() {
    let url = models_server();
    let (code, stdout, stderr) = doctor(
        &[
            ("APIFORGE_LLM_PROVIDER", "openai"),
            ("APIFORGE_LLM_BASE_URL", &url),
            ("APIFORGE_LLM_MODEL", MODEL),
            ("APIFORGE_LLM_FALLBACK", "builtin"),
        ],
        &[],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let (status, detail) = line(&stdout, "data directory");
    assert_eq!(status, "ok", "{detail}");
    assert!(detail.ends_with("(writable)"), "{detail}");
    // A fresh data directory: no runtime, no database yet (warnings, not failures).
    assert_eq!(line(&stdout, "python runtime").0, "warn", "{stdout}");
    let (status, detail) = line(&stdout, "database");
    assert_eq!(status, "warn", "{detail}");
    assert!(detail.contains("apiforge.db"), "{detail}");
    assert_ne!(line(&stdout, "sandbox").0, "fail", "{stdout}");
    let (status, detail) = line(&stdout, "llm");
    assert_eq!(status, "ok");
    assert!(
        detail.starts_with(&format!("provider openai ({MODEL} at {url}"))
            && detail.contains("then builtin"),
        "{detail}"
    );
    let (status, detail) = line(&stdout, "provider openai");
    assert_eq!(status, "ok", "{detail}");
    assert!(
        detail.contains("answers") && detail.contains(&format!("model {MODEL} is listed")),
        "{detail}"
    );
    assert_eq!(line(&stdout, "builtin").0, "ok");
    assert!(stderr.contains("0 failed"), "{stderr}");
}

#[test]
fn doctor_fails_on_a_dead_provider() {
    let dead = dead_url();
    let (code, stdout, stderr) = doctor(
        &[
            ("APIFORGE_LLM_PROVIDER", "openai"),
            ("APIFORGE_LLM_BASE_URL", &dead),
            ("APIFORGE_LLM_TIMEOUT", "5"),
        ],
        &[],
    );
    assert_eq!(code, 1, "{stdout}{stderr}");
    let (status, detail) = line(&stdout, "provider openai");
    assert_eq!(status, "fail", "{detail}");
    assert!(detail.contains("could not reach"), "{detail}");
    // The built-in planner is there whatever the providers do.
    assert_eq!(line(&stdout, "builtin").0, "ok");
    assert!(stderr.contains("1 failed"), "{stderr}");
}

#[test]
fn doctor_reports_the_offline_refusal() {
    let (code, stdout, stderr) = doctor(
        &[
            ("APIFORGE_LLM_PROVIDER", "openai"),
            ("APIFORGE_LLM_BASE_URL", "https://api.example.com/v1"),
            ("APIFORGE_OFFLINE", "1"),
        ],
        &["--json"],
    );
    assert_eq!(code, 1, "{stdout}{stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(report["ok"], false, "{report}");
    assert_eq!(report["failed"], 1, "{report}");
    let checks = report["checks"].as_array().expect("checks");
    let names: Vec<&str> = checks.iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(
        names,
        [
            "data directory",
            "python runtime",
            "sandbox",
            "database",
            "llm",
            "provider openai",
            "builtin"
        ],
        "{report}"
    );
    for check in checks {
        assert!(
            matches!(check["status"].as_str(), Some("ok" | "warn" | "fail")),
            "{check}"
        );
        let detail = check["detail"].as_str().expect("a detail");
        assert!(!detail.is_empty() && !detail.contains('\n'), "{check}");
    }
    let llm = &checks[4];
    assert!(
        llm["detail"]
            .as_str()
            .is_some_and(|d| d.ends_with("; offline")),
        "{llm}"
    );
    let provider = &checks[5];
    assert_eq!(provider["status"], "fail", "{provider}");
    assert!(
        provider["detail"].as_str().is_some_and(|d| d
            .starts_with("offline mode refuses https://api.example.com/v1")
            && d.contains("api.example.com is not a loopback address")),
        "{provider}"
    );
}

#[test]
fn doctor_with_the_builtin_provider_passes_and_bad_settings_exit_2() {
    let (code, stdout, stderr) = doctor(&[], &["--json"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(report["ok"], true, "{report}");
    assert!(report["warnings"].as_u64().is_some(), "{report}");
    assert!(
        !report["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .any(|c| c["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("provider "))),
        "builtin only: no provider to probe: {report}"
    );

    for (name, value) in [
        ("APIFORGE_LLM_PROVIDER", "gpt"),
        ("APIFORGE_LLM_TIMEOUT", "soon"),
        ("APIFORGE_OFFLINE", "maybe"),
    ] {
        let (code, stdout, stderr) = doctor(&[(name, value)], &[]);
        assert_eq!(code, 2, "{name}: {stdout}{stderr}");
        assert!(stdout.is_empty(), "{stdout}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{stderr}");
        assert!(
            lines[0].starts_with("error: ") && lines[0].contains(name),
            "{stderr}"
        );
    }
}
