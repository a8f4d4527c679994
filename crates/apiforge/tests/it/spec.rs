use serde_json::Value;

use crate::{LIBRARY, apiforge, corpus, run};

#[test]
fn writes_yaml_and_json_by_extension_with_the_same_content() {
    let dir = tempfile::tempdir().expect("temp dir");
    let yaml = dir.path().join("openapi.yaml");
    let json = dir.path().join("openapi.json");
    assert_eq!(
        run(apiforge().args(["spec", LIBRARY, "-o"]).arg(&yaml)).0,
        0
    );
    assert_eq!(
        run(apiforge().args(["spec", LIBRARY, "-o"]).arg(&json)).0,
        0
    );
    let from_yaml: Value =
        yaml_serde::from_str(&std::fs::read_to_string(&yaml).expect("yaml written")).expect("YAML");
    let from_json: Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json written")).expect("JSON");
    assert_eq!(from_yaml, from_json);
    assert_eq!(from_json["openapi"], "3.1.0");
    assert!(from_json["paths"]["/books"]["get"].is_object());
}

#[test]
fn yaml_on_stdout_by_default_and_byte_identical_across_runs() {
    let (code, first, stderr) = run(apiforge().args(["spec", LIBRARY]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        first.starts_with("openapi: \"3.1.0\"\n"),
        "{}",
        &first[..first.len().min(80)]
    );
    let (_, second, _) = run(apiforge().args(["spec", LIBRARY]));
    assert_eq!(first, second);
}

#[test]
fn csv_to_contract_and_postman_collection() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = dir.path().join("products.yaml");
    let postman = dir.path().join("products.postman.json");
    let (code, stdout, stderr) = run(apiforge()
        .arg("spec")
        .arg("--csv")
        .arg(corpus("products.csv"))
        .arg("-o")
        .arg(&spec)
        .arg("--postman")
        .arg(&postman)
        .arg("--json"));
    assert_eq!(code, 0, "{stderr}");
    let result: Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    assert_eq!(result["ok"], true);
    assert_eq!(result["format"], "yaml");
    assert!(result["operations"].as_u64().unwrap_or(0) >= 6, "{result}");
    let collection: Value =
        serde_json::from_str(&std::fs::read_to_string(&postman).expect("postman written"))
            .expect("JSON");
    assert_eq!(
        collection["info"]["schema"],
        "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
    );
}

#[test]
fn json_result_carries_the_spec_when_no_file_is_given() {
    let (code, stdout, _) = run(apiforge().args(["spec", "a simple todo list api", "--json"]));
    assert_eq!(code, 0);
    let result: Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    assert_eq!(result["spec"]["openapi"], "3.1.0");
    assert_eq!(result["manifest_hash"].as_str().map(str::len), Some(64));
}

#[test]
fn eval_scores_the_corpus() {
    let (code, stdout, stderr) = run(apiforge().arg("eval").arg(corpus("prompts.jsonl")));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let overall = stdout
        .lines()
        .find(|l| l.starts_with("OVERALL"))
        .expect("an OVERALL line");
    assert!(overall.contains("100.0%"), "{overall}");
}
