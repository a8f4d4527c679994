//! Every bad input: exit 2, exactly one line on stderr saying what was wrong, nothing written.

use crate::{apiforge, corpus, run};

/// Runs a failing invocation; returns its single stderr line.
fn check(command: &mut assert_cmd::Command, expect_code: i32, expect_in_message: &str) -> String {
    let (code, stdout, stderr) = run(command);
    assert_eq!(code, expect_code, "stdout: {stdout}\nstderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    if expect_code == 2
        && !stderr.starts_with("error: a value is required")
        && !stderr.contains("cannot be used with")
    {
        assert_eq!(stderr.lines().count(), 1, "one line expected: {stderr:?}");
    }
    assert!(
        stderr.contains(expect_in_message),
        "{stderr:?} should contain {expect_in_message:?}"
    );
    stderr.lines().next().unwrap_or_default().to_owned()
}

#[test]
fn bad_prompts() {
    let long = "books have a title. ".repeat(1001);
    let cases: [(&[&str], &[u8], &str); 8] = [
        (&["plan", ""], b"", "prompt is empty"),
        (&["plan", "  \n\t "], b"", "prompt is empty"),
        (&["plan", "-"], b"", "prompt is empty"),
        (&["spec", &long], b"", "limit is 20000"),
        (&["plan", "-"], b"books\0\x01\x02", "binary"),
        (&["plan", "-"], b"\xff\xfe\x00b", "not UTF-8"),
        (
            &["plan", "--planner", "llm", "books"],
            b"",
            "--planner llm needs a provider",
        ),
        (&["plan"], b"", "no input"),
    ];
    let lines: Vec<String> = cases
        .iter()
        .map(|(args, stdin, expect)| check(apiforge().args(*args).write_stdin(*stdin), 2, expect))
        .collect();
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn bad_csv_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "").expect("write");
    let ragged = dir.path().join("ragged.csv");
    std::fs::write(&ragged, "a,b\n1,2,3\n").expect("write");
    let binary = dir.path().join("sheet.csv");
    std::fs::write(&binary, b"PK\x03\x04\xff\xfe\x00\x00").expect("write");
    check(
        apiforge()
            .arg("plan")
            .arg("--csv")
            .arg(dir.path().join("missing.csv")),
        2,
        "cannot read CSV file",
    );
    check(
        apiforge().arg("plan").arg("--csv").arg(&empty),
        2,
        "CSV file is empty",
    );
    check(
        apiforge().arg("plan").arg("--csv").arg(&ragged),
        2,
        "line 2: a row has 3 values",
    );
    check(
        apiforge().arg("plan").arg("--csv").arg(&binary),
        2,
        "not UTF-8",
    );
    check(
        apiforge().arg("plan").arg("--csv").arg(dir.path()),
        2,
        "is a directory",
    );
}

#[test]
fn bad_manifests() {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        path
    };
    let not_json = write("a.json", "{ not json");
    let unknown_key = write(
        "b.json",
        r#"{"name":"x","title":"X","entities":[],"colour":"red"}"#,
    );
    let duplicate = write(
        "c.json",
        r#"{"name":"x","title":"X","entities":[
            {"name":"Book","plural":"books","fields":[{"name":"title","type":"string"}]},
            {"name":"Book","plural":"books","fields":[{"name":"title","type":"string"}]}]}"#,
    );
    let unknown_target = write(
        "d.json",
        r#"{"name":"x","title":"X","entities":[
            {"name":"Book","plural":"books","fields":[{"name":"title","type":"string"}],
             "relations":[{"kind":"belongs_to","target":"Author"}]}]}"#,
    );
    let empty_enum = write(
        "e.json",
        r#"{"name":"x","title":"X","entities":[
            {"name":"Book","plural":"books","fields":[{"name":"status","type":"enum","values":[]}]}]}"#,
    );
    let bad_bounds = write(
        "f.json",
        r#"{"name":"x","title":"X","entities":[
            {"name":"Book","plural":"books","fields":[{"name":"title","type":"string","min_length":5,"max_length":2}]}]}"#,
    );
    let cases = [
        (
            "plan",
            &not_json,
            "not valid JSON of the manifest shape: key must be a string",
        ),
        ("plan", &unknown_key, "unknown field `colour`"),
        ("spec", &duplicate, "declared twice"),
        ("spec", &unknown_target, "`Author` is not an entity"),
        ("spec", &empty_enum, "enum field has no `values`"),
        (
            "spec",
            &bad_bounds,
            "min_length 5 is greater than max_length 2",
        ),
    ];
    let lines: Vec<String> = cases
        .iter()
        .map(|(command, path, expect)| {
            check(
                apiforge().arg(command).arg("--manifest").arg(path),
                2,
                expect,
            )
        })
        .collect();
    let redacted: Vec<String> = lines
        .iter()
        .map(|line| line.replace(&dir.path().display().to_string(), "[TMP]"))
        .collect();
    insta::assert_snapshot!(redacted.join("\n"));
}

#[test]
fn bad_outputs_write_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let txt = dir.path().join("openapi.txt");
    check(
        apiforge()
            .args(["spec", "books with a title", "-o"])
            .arg(&txt),
        2,
        ".yaml, .yml or .json",
    );
    assert!(!txt.exists());
    let postman = dir.path().join("collection.yaml");
    check(
        apiforge()
            .args(["spec", "books with a title", "--postman"])
            .arg(&postman),
        2,
        "Postman collection is JSON",
    );
    let nowhere = dir.path().join("missing-dir/openapi.yaml");
    check(
        apiforge()
            .args(["spec", "books with a title", "-o"])
            .arg(&nowhere),
        2,
        "does not exist",
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("list").count(),
        0,
        "nothing written"
    );
}

#[test]
fn conflicting_inputs_are_usage_errors() {
    check(
        apiforge()
            .args(["plan", "books"])
            .arg("--csv")
            .arg(corpus("people.csv")),
        2,
        "cannot be used with",
    );
}

#[test]
fn json_mode_reports_errors_as_one_object() {
    let (code, stdout, _) = run(apiforge().args(["spec", "", "--json"]));
    assert_eq!(code, 2);
    let result: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    assert_eq!(result["ok"], false);
    assert_eq!(result["exit_code"], 2);
}

#[test]
fn bad_server_settings_are_refused_before_anything_starts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().to_str().expect("utf-8 path");
    let cases: [(&[&str], &str); 6] = [
        (&["serve", "--addr", "localhost"], "is not an address"),
        (
            &["serve", "--database-url", "mysql://db/x"],
            "must start with postgres://",
        ),
        (&["serve", "--concurrency", "0"], "at least 1"),
        (&["serve", "--lease", "1"], "give 3 to 3600 seconds"),
        (&["worker", "--lease", "99999"], "give 3 to 3600 seconds"),
        (&["worker", "--concurrency", "0"], "at least 1"),
    ];
    for (args, expect) in cases {
        check(apiforge().args(args).args(["--data-dir", data]), 2, expect);
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("listable").count(),
        0,
        "nothing was written to the data directory"
    );
}
