//! `apiforge bench sandbox` and `bench generate` end to end (need root and user namespaces,
//! like the sandbox tests; `bench generate` also the prepared runtime, see `runtime.rs`): the
//! structure of their output, never the speed.

use std::path::Path;

use serde_json::Value;

use crate::{apiforge, run, shared_data_dir};

#[test]
fn bench_sandbox_json_reports_both_figures_for_true() {
    let (code, stdout, stderr) =
        run(apiforge().args(["bench", "sandbox", "--runs", "5", "--json"]));
    assert_eq!(code, 0, "stdout: {stdout}\nstderr: {stderr}");
    assert_eq!(stdout.lines().count(), 1, "one object: {stdout}");
    let v: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(v["ok"], true);
    assert_eq!(v["runs"], 5);
    let results = v["results"].as_array().expect("results");
    assert_eq!(results.len(), 2, "{v}");
    let names: Vec<_> = results.iter().map(|r| r["name"].as_str()).collect();
    assert_eq!(names, [Some("/bin/true"), Some("python3 -c pass")]);
    let bwrap = Path::new("/usr/bin/bwrap").exists();
    assert_eq!(v["bubblewrap"]["available"], bwrap, "{v}");
    let true_row = &results[0];
    for side in ["ours", "bubblewrap"] {
        if side == "bubblewrap" && !bwrap {
            assert!(true_row[side].is_null(), "{v}");
            continue;
        }
        for figure in ["median_ms", "p95_ms"] {
            let ms = true_row[side][figure].as_f64();
            assert!(ms.is_some_and(|ms| ms >= 0.0), "{side}.{figure}: {v}");
        }
    }
    if bwrap {
        assert!(true_row["ratio"]["median"].is_number(), "{v}");
        assert!(true_row["ratio"]["p95"].is_number(), "{v}");
    }
    assert!(v["budget"]["p95_met"].is_boolean(), "{v}");
}

#[test]
fn bench_sandbox_rejects_a_bad_run_count() {
    let (code, _, stderr) = run(apiforge().args(["bench", "sandbox", "--runs", "0"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--runs"), "{stderr}");
}

#[test]
fn bench_generate_rejects_bad_arguments() {
    let corpus = crate::corpus("prompts.jsonl");
    let corpus = corpus.to_str().expect("UTF-8 path");
    let missing = ["bench", "generate", "/nonexistent/corpus.jsonl"];
    let zero_runs = ["bench", "generate", corpus, "--runs", "0"];
    let word_runs = ["bench", "generate", corpus, "--runs", "many"];
    for (args, expect) in [
        (&["bench", "generate"][..], "CORPUS"),
        (&missing[..], "cannot read corpus"),
        (&zero_runs[..], "--runs"),
        (&word_runs[..], "--runs"),
    ] {
        let (code, stdout, stderr) = run(apiforge().args(args));
        assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
        assert!(stderr.contains(expect), "{args:?}: {stderr}");
    }
}

#[test]
fn bench_generate_one_case_prints_the_table() {
    let dir = tempfile::tempdir().expect("temp dir");
    let corpus = dir.path().join("one.jsonl");
    std::fs::write(
        &corpus,
        r#"{"id": "todo", "prompt": "a simple todo list api", "expect": {"entities": {"Todo": ["title"]}, "relations": []}}"#,
    )
    .expect("write corpus");
    let (code, stdout, stderr) = run(apiforge()
        .env("APIFORGE_DATA_DIR", shared_data_dir())
        .args(["bench", "generate"])
        .arg(&corpus));
    assert_eq!(code, 0, "stdout: {stdout}\nstderr: {stderr}");
    assert!(
        stdout.starts_with("prompt → verified fastapi project, 1 case × 1 run"),
        "{stdout}"
    );
    let row = stdout
        .lines()
        .find(|l| l.starts_with("todo "))
        .unwrap_or_else(|| panic!("a row for the case: {stdout}"));
    assert!(row.ends_with("yes"), "verified: {row}");
    assert!(stdout.lines().any(|l| l.starts_with("median ")), "{stdout}");
    assert!(stdout.contains("total over 1 run: median "), "{stdout}");
    assert!(stdout.contains("budget: P95 ≤ 10 s "), "{stdout}");
    assert!(stderr.contains("todo run 1: "), "{stderr}");
}
