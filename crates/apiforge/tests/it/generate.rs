//! `apiforge generate`: a project on disk with its lock, regeneration that keeps edits, and
//! every bad input as one line with exit 2.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use serde_json::Value;

use crate::{apiforge, corpus, run};

/// The prompt of a corpus entry.
fn corpus_prompt(id: &str) -> String {
    let text = std::fs::read_to_string(corpus("prompts.jsonl")).expect("corpus readable");
    text.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|entry| entry["id"] == id)
        .and_then(|entry| entry["prompt"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("corpus entry {id}"))
}

fn generate(args: &[&str], dir: &Path) -> (i32, String, String) {
    run(apiforge()
        .arg("generate")
        .args(args)
        .args(["--target", "fastapi", "-o"])
        .arg(dir))
}

fn lock(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join(".apiforge/lock.json")).expect("lock written");
    serde_json::from_str(&text).expect("lock is JSON")
}

fn sha256(bytes: &[u8]) -> String {
    apiforge_project::sha256_hex(bytes)
}

/// Every file under `dir` with (inode, mtime): both stay the same when nothing is rewritten.
fn stamps(dir: &Path) -> BTreeMap<String, (u64, i64, i64)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).expect("list") {
            let path = entry.expect("entry").path();
            let metadata = std::fs::symlink_metadata(&path).expect("stat");
            if metadata.is_dir() {
                stack.push(path);
            } else {
                let relative = path
                    .strip_prefix(dir)
                    .expect("inside")
                    .display()
                    .to_string();
                out.insert(
                    relative,
                    (metadata.ino(), metadata.mtime(), metadata.mtime_nsec()),
                );
            }
        }
    }
    out
}

#[test]
fn generates_a_corpus_prompt_with_a_lock_that_matches_the_files() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("library");
    let (code, stdout, stderr) = generate(&[&corpus_prompt("library"), "--no-verify"], &dir);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    // One line per stage, with its time, on stderr; no verify stage with --no-verify.
    let stages: Vec<&str> = stderr
        .lines()
        .map(|line| line.split(' ').next().unwrap_or_default())
        .collect();
    assert_eq!(stages, ["plan", "spec", "codegen", "write"], "{stderr}");
    assert!(stderr.lines().all(|line| line.ends_with(" ms")), "{stderr}");
    assert!(
        stdout.starts_with(&format!("generated fastapi project in {}", dir.display())),
        "{stdout}"
    );
    assert!(stdout.contains("  created     openapi.yaml\n"), "{stdout}");

    let lock = lock(&dir);
    assert_eq!(lock["target"], "fastapi");
    assert_eq!(lock["manifest_sha256"].as_str().map(str::len), Some(64));
    assert!(
        lock["generator"]
            .as_str()
            .is_some_and(|g| g.starts_with("apiforge "))
    );
    let files = lock["files"].as_object().expect("files");
    for path in ["openapi.yaml", "openapi.json", ".apiforge/manifest.json"] {
        assert!(files.contains_key(path), "{path} in {files:?}");
    }
    for (path, sha) in files {
        let bytes = std::fs::read(dir.join(path)).expect("listed file exists");
        assert_eq!(Some(sha256(&bytes).as_str()), sha.as_str(), "{path}");
    }
    // The manifest file reads back through --manifest as the same manifest.
    let (code, again, _) = run(apiforge()
        .args(["plan", "--manifest"])
        .arg(dir.join(".apiforge/manifest.json")));
    assert_eq!(code, 0);
    assert_eq!(
        again,
        std::fs::read_to_string(dir.join(".apiforge/manifest.json")).expect("read")
    );
}

#[test]
fn json_result_has_the_documented_shape() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("todo");
    let (code, stdout, stderr) = generate(&[&corpus_prompt("todo"), "--no-verify", "--json"], &dir);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr, "", "nothing but the object in --json mode");
    assert_eq!(stdout.lines().count(), 1);
    let result: Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(result["ok"], true);
    assert_eq!(result["dir"], dir.display().to_string());
    assert_eq!(result["target"], "fastapi");
    assert_eq!(result["manifest_sha256"], lock(&dir)["manifest_sha256"]);
    assert_eq!(result["regenerated"], false);
    assert_eq!(result["verify"], Value::Null);
    assert_eq!(result["conflicts"], serde_json::json!([]));
    let stages: Vec<&str> = result["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .map(|s| {
            assert!(s["ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{s}");
            s["name"].as_str().unwrap_or_default()
        })
        .collect();
    assert_eq!(stages, ["plan", "spec", "codegen", "write"]);
    let files = result["files"].as_array().expect("files");
    assert!(!files.is_empty());
    for file in files {
        assert_eq!(file["action"], "created", "{file}");
        assert!(
            file["ownership"] == "generated" || file["ownership"] == "user",
            "{file}"
        );
        let path = file["path"].as_str().expect("path");
        let bytes = std::fs::read(dir.join(path)).expect("written");
        assert_eq!(file["sha256"], sha256(&bytes), "{path}");
    }
}

#[test]
fn verification_is_a_stage_with_its_report() {
    crate::installed();
    let temp = tempfile::tempdir().expect("temp dir");
    let (code, stdout, stderr) = run(apiforge()
        .env("APIFORGE_DATA_DIR", crate::shared_data_dir())
        .args([
            "generate",
            "books with a title",
            "--target",
            "fastapi",
            "-o",
        ])
        .arg(temp.path().join("a")));
    assert_eq!(code, 0, "{stdout}{stderr}");
    for stage in ["plan", "spec", "codegen", "write", "runtime", "verify"] {
        assert!(
            stderr
                .lines()
                .any(|l| l.starts_with(&format!("{stage} ")) && l.ends_with(" ms")),
            "no `{stage}` stage line: {stderr}"
        );
    }
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("python3 -m pytest -q") && l.contains(" passed, 0 failed")),
        "{stdout}"
    );
}

#[test]
fn a_non_empty_directory_is_refused_unless_forced() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    std::fs::write(dir.join("notes.txt"), "mine\n").expect("write");
    let (code, stdout, stderr) = generate(&["books with a title", "--no-verify"], dir);
    assert_eq!(code, 2, "{stdout}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("is not empty") && stderr.contains("--force"),
        "{stderr}"
    );
    assert!(!dir.join(".apiforge").exists(), "nothing written");

    let (code, _, stderr) = generate(&["books with a title", "--no-verify", "--force"], dir);
    assert_eq!(code, 0, "{stderr}");
    assert!(dir.join(".apiforge/lock.json").is_file());
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).expect("kept"),
        "mine\n"
    );
}

#[test]
fn regenerating_the_same_manifest_rewrites_nothing() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("blog");
    let prompt = corpus_prompt("blog");
    assert_eq!(generate(&[&prompt, "--no-verify"], &dir).0, 0);
    let before = stamps(&dir);
    let (code, stdout, stderr) = generate(&[&prompt, "--no-verify"], &dir);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with("regenerated fastapi project"),
        "{stdout}"
    );
    assert!(stdout.contains(" files unchanged\n"), "{stdout}");
    assert!(!stdout.contains("--- a/"), "no diff: {stdout}");
    assert_eq!(stamps(&dir), before, "no file rewritten, the lock included");

    let (code, stdout, _) = generate(&[&prompt, "--no-verify", "--json"], &dir);
    assert_eq!(code, 0);
    let result: Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(result["regenerated"], true);
    assert_eq!(result["lock_written"], false);
    let files = result["files"].as_array().expect("files");
    assert!(files.iter().all(|f| f["action"] == "unchanged"), "{result}");
}

/// Issue 4: plan a manifest, generate, edit a generated file (and a user module when the
/// target has one), add a field to the manifest, regenerate.
#[test]
fn regeneration_after_a_manifest_change_keeps_edits_and_shows_the_diff() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("project");
    let manifest_path = temp.path().join("manifest.json");
    let (code, manifest, _) = run(apiforge().args(["plan", &corpus_prompt("library")]));
    assert_eq!(code, 0);
    std::fs::write(&manifest_path, &manifest).expect("write manifest");
    let manifest_arg = manifest_path.display().to_string();
    let (code, stdout, stderr) = generate(
        &["--manifest", &manifest_arg, "--no-verify", "--json"],
        &dir,
    );
    assert_eq!(code, 0, "{stderr}");
    let first: Value = serde_json::from_str(&stdout).expect("one JSON object");

    // Hand edits: a generated file, and a user-owned file when the project has one.
    let edited_yaml = format!(
        "{}# my note\n",
        std::fs::read_to_string(dir.join("openapi.yaml")).expect("read")
    );
    std::fs::write(dir.join("openapi.yaml"), &edited_yaml).expect("edit");
    let user_file = first["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["ownership"] == "user")
        .and_then(|f| f["path"].as_str())
        .map(str::to_owned);
    if let Some(path) = &user_file {
        std::fs::write(dir.join(path), "# my hook\n").expect("edit user file");
    }

    // The manifest gains a field.
    let mut value: Value = serde_json::from_str(&manifest).expect("manifest JSON");
    value["entities"][0]["fields"]
        .as_array_mut()
        .expect("fields")
        .push(serde_json::json!({ "name": "shelf_code", "type": "string" }));
    std::fs::write(&manifest_path, value.to_string()).expect("write manifest");
    let json_before = std::fs::read_to_string(dir.join("openapi.json")).expect("read");

    let (code, stdout, stderr) = generate(&["--manifest", &manifest_arg, "--no-verify"], &dir);
    assert_eq!(code, 1, "conflicts exit 1\n{stdout}\n{stderr}");
    assert!(
        stdout.starts_with("regenerated fastapi project"),
        "{stdout}"
    );
    assert!(stdout.contains("  conflict    openapi.yaml (+"), "{stdout}");
    assert!(stdout.contains("  updated     openapi.json (+"), "{stdout}");
    assert!(stdout.contains("+++ b/openapi.json\n"), "{stdout}");
    assert!(
        stdout.contains("shelf_code"),
        "the diff shows the new field"
    );
    let error = stderr.lines().last().unwrap_or_default();
    assert!(
        error.starts_with("error: 1 file was left alone because the regeneration changes it: openapi.yaml (edited since it was generated)")
            && error.contains("--force"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("openapi.yaml")).expect("read"),
        edited_yaml,
        "the edited file is left alone"
    );
    let json_after = std::fs::read_to_string(dir.join("openapi.json")).expect("read");
    assert_ne!(json_before, json_after);
    assert!(json_after.contains("shelf_code"));
    if let Some(path) = &user_file {
        assert_eq!(
            std::fs::read_to_string(dir.join(path)).expect("read"),
            "# my hook\n"
        );
    }
    // The lock matches the regenerated files, and keeps the edited file's old entry.
    let lock = lock(&dir);
    let files = lock["files"].as_object().expect("files");
    let json_sha = sha256(json_after.as_bytes());
    assert_eq!(files["openapi.json"].as_str(), Some(json_sha.as_str()));
    assert_eq!(files["openapi.yaml"], first_sha(&first, "openapi.yaml"));

    // --json reports the conflict, exit 1.
    let (code, stdout, _) = generate(
        &["--manifest", &manifest_arg, "--no-verify", "--json"],
        &dir,
    );
    assert_eq!(code, 1);
    let result: Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(result["ok"], false);
    assert_eq!(result["conflicts"][0]["path"], "openapi.yaml");
    assert!(
        result["error"]
            .as_str()
            .is_some_and(|e| e.contains("--force"))
    );

    // --force overwrites the edited generated file, never the user's.
    let (code, _, stderr) = generate(
        &["--manifest", &manifest_arg, "--no-verify", "--force"],
        &dir,
    );
    assert_eq!(code, 0, "{stderr}");
    let yaml = std::fs::read_to_string(dir.join("openapi.yaml")).expect("read");
    assert!(yaml.contains("shelf_code") && !yaml.contains("# my note"));
    if let Some(path) = &user_file {
        assert_eq!(
            std::fs::read_to_string(dir.join(path)).expect("read"),
            "# my hook\n"
        );
    }
}

fn first_sha(result: &Value, path: &str) -> Value {
    result["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["path"] == path)
        .map(|f| f["sha256"].clone())
        .unwrap_or(Value::Null)
}

/// Runs a failing invocation; returns its single stderr line.
fn one_line(command: &mut assert_cmd::Command, expect_in_message: &str) -> String {
    let (code, stdout, stderr) = run(command);
    assert_eq!(code, 2, "stdout: {stdout}\nstderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line expected: {stderr:?}");
    assert!(
        stderr.contains(expect_in_message),
        "{stderr:?} should contain {expect_in_message:?}"
    );
    stderr.trim_end().to_owned()
}

#[test]
fn bad_inputs_are_one_line_with_exit_2() {
    let temp = tempfile::tempdir().expect("temp dir");
    let root = temp.path();
    let file = root.join("file");
    std::fs::write(&file, "x").expect("write");
    let full = root.join("full");
    std::fs::create_dir(&full).expect("mkdir");
    std::fs::write(full.join("notes.txt"), "mine").expect("write");
    let broken = root.join("broken");
    std::fs::create_dir_all(broken.join(".apiforge")).expect("mkdir");
    std::fs::write(broken.join(".apiforge/lock.json"), "{ not json").expect("write");
    let express = root.join("express");
    std::fs::create_dir_all(express.join(".apiforge")).expect("mkdir");
    std::fs::write(
        express.join(".apiforge/lock.json"),
        r#"{"generator":"apiforge 0.1.0","target":"express","manifest_sha256":"","files":{}}"#,
    )
    .expect("write");
    let linked = root.join("linked");
    std::fs::create_dir(&linked).expect("mkdir");
    std::os::unix::fs::symlink(root, linked.join(".apiforge")).expect("symlink");
    let duplicate = root.join("duplicate.json");
    std::fs::write(
        &duplicate,
        r#"{"name":"x","title":"X","entities":[
            {"name":"Book","plural":"books","fields":[{"name":"title","type":"string"}]},
            {"name":"Book","plural":"books","fields":[{"name":"title","type":"string"}]}]}"#,
    )
    .expect("write");
    let fresh = root.join("fresh");

    let gen_cmd = |args: &[&str], dir: &Path| {
        let mut command = apiforge();
        command.arg("generate").args(args).arg("-o").arg(dir);
        command
    };
    let cases: Vec<(assert_cmd::Command, &str)> = vec![
        (
            gen_cmd(&["books", "--target", "express"], &fresh),
            "not available yet: only fastapi",
        ),
        (
            gen_cmd(&["books", "--target", "fastapi"], &file),
            "is not a directory",
        ),
        (
            gen_cmd(&["books", "--target", "fastapi"], &file.join("sub")),
            "is not a directory",
        ),
        (
            gen_cmd(&["books", "--target", "fastapi"], &full),
            "is not empty",
        ),
        (
            gen_cmd(&["books", "--target", "fastapi"], &broken),
            "is unusable",
        ),
        (
            gen_cmd(&["books", "--target", "fastapi"], &express),
            "was generated for express, not fastapi",
        ),
        (
            gen_cmd(&["books", "--target", "fastapi"], &linked),
            "refusing to write through it",
        ),
        (
            gen_cmd(&["", "--target", "fastapi"], &fresh),
            "prompt is empty",
        ),
        (gen_cmd(&["--target", "fastapi"], &fresh), "no input"),
        (
            gen_cmd(
                &[
                    "--manifest",
                    &duplicate.display().to_string(),
                    "--target",
                    "fastapi",
                ],
                &fresh,
            ),
            "declared twice",
        ),
    ];
    let lines: Vec<String> = cases
        .into_iter()
        .map(|(mut command, expect)| one_line(&mut command, expect))
        .collect();
    assert!(!fresh.exists(), "nothing written for a bad input");
    assert_eq!(
        std::fs::read_dir(&full).expect("list").count(),
        1,
        "nothing written into the non-empty directory"
    );
    let redacted = lines
        .join("\n")
        .replace(&root.display().to_string(), "[TMP]");
    insta::assert_snapshot!(redacted);
}

#[test]
fn json_mode_reports_a_bad_directory_as_one_object() {
    let temp = tempfile::tempdir().expect("temp dir");
    std::fs::write(temp.path().join("x"), "x").expect("write");
    let (code, stdout, stderr) = generate(&["books", "--json"], temp.path());
    assert_eq!(code, 2);
    assert_eq!(stderr, "");
    let result: Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    assert_eq!(result["ok"], false);
    assert_eq!(result["exit_code"], 2);
    assert!(
        result["error"]
            .as_str()
            .is_some_and(|e| e.contains("is not empty"))
    );
}
