use serde_json::Value;

use crate::{LIBRARY, apiforge, corpus, run};

fn entity_names(manifest: &Value) -> Vec<&str> {
    manifest["entities"]
        .as_array()
        .expect("entities array")
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect()
}

#[test]
fn plans_a_prompt_argument() {
    let (code, stdout, stderr) = run(apiforge().args(["plan", LIBRARY]));
    assert_eq!(code, 0, "{stderr}");
    let manifest: Value = serde_json::from_str(&stdout).expect("manifest JSON");
    let names = entity_names(&manifest);
    assert!(
        names.contains(&"Book") && names.contains(&"Author"),
        "{names:?}"
    );
}

#[test]
fn plans_a_prompt_from_stdin_identically() {
    let (_, from_arg, _) = run(apiforge().args(["plan", LIBRARY]));
    let (code, from_stdin, stderr) = run(apiforge().args(["plan", "-"]).write_stdin(LIBRARY));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(from_arg, from_stdin);
}

#[test]
fn plans_a_csv_file() {
    let (code, stdout, stderr) = run(apiforge()
        .arg("plan")
        .arg("--csv")
        .arg(corpus("people.csv")));
    assert_eq!(code, 0, "{stderr}");
    let manifest: Value = serde_json::from_str(&stdout).expect("manifest JSON");
    assert_eq!(entity_names(&manifest), ["Person"]);
}

#[test]
fn a_printed_manifest_reads_back_unchanged() {
    let (_, printed, _) = run(apiforge().args(["plan", LIBRARY]));
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("manifest.json");
    std::fs::write(&path, &printed).expect("write manifest");
    let (code, again, stderr) = run(apiforge().arg("plan").arg("--manifest").arg(&path));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(printed, again);
}

#[test]
fn schema_is_the_committed_one() {
    let (code, stdout, _) = run(apiforge().args(["plan", "--schema"]));
    assert_eq!(code, 0);
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../schemas/manifest.schema.json"
    ))
    .expect("schemas/manifest.schema.json is committed (cargo xtask codegen)");
    assert_eq!(stdout, committed, "run `cargo xtask codegen`");
    let schema: Value = serde_json::from_str(&stdout).expect("schema JSON");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
}

/// `/docs` and `/redoc` are the generated API's documentation: "Docs" become a
/// `documents` collection, and a manifest that insists on `docs` is refused with a hint.
#[test]
fn documentation_paths_are_never_collections() {
    let (code, stdout, stderr) = run(apiforge().args(["plan", "Docs have a title and a body."]));
    assert_eq!(code, 0, "{stderr}");
    let manifest: Value = serde_json::from_str(&stdout).expect("manifest JSON");
    assert_eq!(manifest["entities"][0]["name"], "Doc");
    assert_eq!(manifest["entities"][0]["plural"], "documents");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("manifest.json");
    let mut insisting = manifest.clone();
    insisting["entities"][0]["plural"] = Value::String("docs".into());
    std::fs::write(&path, insisting.to_string()).expect("written");
    let (code, _, stderr) = run(apiforge().arg("spec").arg("--manifest").arg(&path));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("plural `docs` is reserved"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}
