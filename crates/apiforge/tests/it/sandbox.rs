//! `apiforge sandbox run` and `apiforge sandbox audit` end to end (needs root, user
//! namespaces and /usr/bin/python3, like the sandbox crate's own tests). Every test uses its
//! own data directory and work directory.

use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use crate::{apiforge, run};

struct Env {
    data: TempDir,
    work: TempDir,
}

impl Env {
    fn new() -> Self {
        Self {
            data: tempfile::tempdir().expect("temp dir"),
            work: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// `apiforge sandbox ARGS` with this test's data directory, in its work directory.
    fn sandbox(&self, args: &[&str]) -> (i32, String, String) {
        let mut command = apiforge();
        command
            .env("APIFORGE_DATA_DIR", self.data.path())
            .env_remove("APIFORGE_AUDIT_RETENTION_DAYS")
            .current_dir(self.work.path())
            .arg("sandbox")
            .args(args);
        run(&mut command)
    }
}

fn json(stdout: &str) -> Value {
    assert_eq!(stdout.lines().count(), 1, "one JSON object: {stdout}");
    serde_json::from_str(stdout).expect("JSON")
}

#[test]
fn python_prints_and_exits_zero() {
    let env = Env::new();
    let (code, stdout, stderr) = env.sandbox(&["run", "--", "python3", "-c", "print(1)"]);
    assert_eq!((code, stdout.as_str()), (0, "1\n"), "{stderr}");
}

#[test]
fn host_secrets_are_unreadable() {
    let env = Env::new();
    let (code, stdout, stderr) = env.sandbox(&[
        "run",
        "--",
        "python3",
        "-c",
        "print(open('/etc/shadow').read())",
    ]);
    assert_ne!(code, 0, "{stdout}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("Error"), "{stderr}");
}

#[test]
fn timeout_kills_everything_and_is_reported() {
    let env = Env::new();
    // A duration no other test uses, to find leftovers by.
    let marker = "4.918273";
    let started = Instant::now();
    let (code, _, stderr) = env.sandbox(&["run", "--timeout", "1", "--", "sleep", marker]);
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
    assert_eq!(code, 137, "{stderr}");
    assert!(stderr.contains("timed out after 1 s"), "{stderr}");
    assert!(leftovers(marker).is_empty(), "{:?}", leftovers(marker));

    let (code, stdout, _) =
        env.sandbox(&["run", "--timeout", "1", "--json", "--", "sleep", marker]);
    assert_eq!(code, 137);
    let result = json(&stdout);
    assert_eq!(result["timed_out"], true);
    assert_eq!(result["limits_hit"][0], "timeout");
    assert!(leftovers(marker).is_empty());
}

fn leftovers(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if cmdline.contains(marker) && !cmdline.contains("--timeout") {
                found.push(cmdline);
            }
        }
    }
    found
}

#[test]
fn exit_codes_pass_through() {
    let env = Env::new();
    let (code, _, stderr) = env.sandbox(&["run", "--", "sh", "-c", "exit 7"]);
    assert_eq!(code, 7, "{stderr}");
    let (code, _, _) = env.sandbox(&["run", "--", "sh", "-c", "kill -TERM $$"]);
    assert_eq!(code, 128 + 15);
}

#[test]
fn json_result_has_the_id_and_limits() {
    let env = Env::new();
    let (code, stdout, _) = env.sandbox(&[
        "run",
        "--json",
        "--memory",
        "256",
        "--pids",
        "64",
        "--timeout",
        "10",
        "--",
        "sh",
        "-c",
        "echo out; echo err >&2",
    ]);
    assert_eq!(code, 0);
    let result = json(&stdout);
    assert_eq!(result["sandbox_id"].as_str().map(str::len), Some(36));
    assert_eq!(result["ok"], true);
    assert_eq!(result["exit_code"], 0);
    assert_eq!(result["limits"]["memory_mb"], 256);
    assert_eq!(result["limits"]["pids"], 64);
    assert_eq!(result["limits"]["timeout_s"], 10.0);
    assert_eq!(result["stdout"], "out\n");
    assert_eq!(result["stderr"], "err\n");
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let env = Env::new();
    let missing = env.work.path().join("missing");
    let missing = missing.to_str().expect("UTF-8 path");
    std::fs::write(env.work.path().join("big"), vec![0u8; 2 << 20]).expect("write");
    let cases: [(&[&str], &str); 8] = [
        (&["run", "--memory", "0", "--", "true"], "--memory"),
        (&["run", "--disk", "lots", "--", "true"], "--disk"),
        (&["run", "--disk", "1", "--", "true"], "does not fit"),
        (&["run", "--timeout", "abc", "--", "true"], "--timeout"),
        (&["run", "--timeout", "-1", "--", "true"], "--timeout"),
        (&["run"], "no command"),
        (&["run", "--dir", missing, "--", "true"], "--dir"),
        (&["audit", "--since", "yesterday"], "--since"),
    ];
    for (args, expect) in cases {
        let (code, stdout, stderr) = env.sandbox(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains(expect),
            "{stderr}"
        );
        assert!(stdout.is_empty());
    }
}

#[test]
fn results_are_copied_back_but_links_never_are() {
    let env = Env::new();
    std::fs::write(env.work.path().join("input.txt"), "in").expect("write");
    let (code, _, stderr) = env.sandbox(&[
        "run", "--", "sh", "-c",
        "cat input.txt > copy.txt && mkdir -p out && echo made > out/new.txt && ln -s /etc/shadow leak",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let dir = env.work.path();
    assert_eq!(
        std::fs::read_to_string(dir.join("copy.txt"))
            .ok()
            .as_deref(),
        Some("in")
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("out/new.txt"))
            .ok()
            .as_deref(),
        Some("made\n")
    );
    assert!(std::fs::symlink_metadata(dir.join("leak")).is_err());
    assert!(stderr.contains("not copied back: leak"), "{stderr}");
}

#[test]
fn audit_lists_runs_and_filters_by_id() {
    let env = Env::new();
    let (_, first, _) = env.sandbox(&["run", "--json", "--", "true"]);
    let (_, second, _) = env.sandbox(&["run", "--json", "--", "sh", "-c", "exit 3"]);
    let ids = [json(&first), json(&second)].map(|r| r["sandbox_id"].as_str().map(str::to_owned));

    let (code, stdout, _) = env.sandbox(&["audit", "--json"]);
    assert_eq!(code, 0);
    let records = json(&stdout)["records"].clone();
    let listed: Vec<_> = records
        .as_array()
        .expect("records")
        .iter()
        .map(|r| r["sandbox_id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(listed, ids);
    assert_eq!(records[1]["exit"]["code"], 3);
    assert_eq!(records[1]["args"][1], "exit 3");

    let id = ids[1].clone().expect("id");
    let (code, stdout, _) = env.sandbox(&["audit", "--json", "--id", &id]);
    assert_eq!(code, 0);
    let filtered = json(&stdout)["records"].clone();
    assert_eq!(filtered.as_array().map(Vec::len), Some(1));
    assert_eq!(filtered[0]["sandbox_id"], id.as_str());

    let (_, stdout, _) = env.sandbox(&["audit", "--since", "1h"]);
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    let (_, stdout, _) = env.sandbox(&["audit", "--since", "2999-01-01"]);
    assert!(stdout.is_empty(), "{stdout}");
}

#[test]
fn set_up_failures_are_audited_with_their_reason() {
    let env = Env::new();
    std::fs::write(env.work.path().join("big"), vec![0u8; 2 << 20]).expect("write");
    let (code, _, stderr) = env.sandbox(&["run", "--disk", "1", "--", "true"]);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, stderr) = env.sandbox(&["run", "--", "/no/such/program"]);
    assert_eq!(code, 2, "{stderr}");
    let (_, stdout, _) = env.sandbox(&["audit", "--json"]);
    let records = json(&stdout)["records"].clone();
    assert_eq!(records.as_array().map(Vec::len), Some(2), "{records}");
    for (record, says) in records
        .as_array()
        .into_iter()
        .flatten()
        .zip(["quota", "cannot execute"])
    {
        assert_eq!(record["exit"], "setup_failed");
        assert_eq!(record["sandbox_id"].as_str().map(str::len), Some(36));
        assert!(
            record["error"].as_str().is_some_and(|e| e.contains(says)),
            "{record}"
        );
    }
    let (_, stdout, _) = env.sandbox(&["audit"]);
    assert_eq!(stdout.matches("not set up").count(), 2, "{stdout}");
}
