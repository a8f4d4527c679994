//! `apiforge bench sandbox` end to end (needs root and user namespaces, like the sandbox
//! tests): the structure of its JSON object, never the speed.

use std::path::Path;

use serde_json::Value;

use crate::{apiforge, run};

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
