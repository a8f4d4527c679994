//! Issue 4 acceptance, end to end (needs root, user namespaces and the prepared runtime in
//! the shared data directory, installed once per machine; the outside-the-sandbox test needs
//! the host's `python3` with `venv` and network access to PyPI):
//! - every corpus case generates a FastAPI project that passes its own verification;
//! - a regeneration after a manifest change keeps the user's module and hand edits,
//!   reports the edited generated file as a conflict, updates the rest, and stays green;
//! - a generated project passes outside the sandbox with the commands its README gives.

use std::path::{Path, PathBuf};
use std::process::Command as HostCommand;

use serde_json::Value;

use crate::{apiforge, corpus, installed, run, shared_data_dir};

/// One `#[test]` per corpus id (`e2e::corpus_case::<id>`), and `CASE_IDS` listing them, which
/// `the_case_list_is_the_corpus` compares with the corpus.
macro_rules! corpus_cases {
    ($($id:ident),* $(,)?) => {
        const CASE_IDS: &[&str] = &[$(stringify!($id)),*];

        mod corpus_case {
            $(
                #[test]
                fn $id() {
                    super::generates_and_verifies(stringify!($id));
                }
            )*
        }
    };
}

corpus_cases!(
    library,
    blog,
    todo,
    shop,
    bullets,
    parenthesized,
    auth_roles,
    events,
    single_entity_rich,
    recipes,
    fitness,
    iot,
    german_style_terse,
    reserved_words,
    csv_products,
    csv_people,
);

/// Every corpus entry as (id, prompt).
fn corpus_entries() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(corpus("prompts.jsonl")).expect("corpus readable");
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let entry: Value = serde_json::from_str(line).expect("corpus line is JSON");
            let field = |name: &str| {
                entry[name]
                    .as_str()
                    .unwrap_or_else(|| panic!("corpus entry without {name}: {line}"))
                    .to_owned()
            };
            (field("id"), field("prompt"))
        })
        .collect()
}

/// The input arguments of a corpus case: its prompt, or `--csv corpus/FILE` for `@csv:FILE`.
fn input_args(id: &str) -> Vec<String> {
    let (_, prompt) = corpus_entries()
        .into_iter()
        .find(|(entry, _)| entry == id)
        .unwrap_or_else(|| panic!("no corpus entry {id}"));
    match prompt.strip_prefix("@csv:") {
        Some(file) => vec!["--csv".into(), corpus(file).display().to_string()],
        None => vec![prompt],
    }
}

#[test]
fn the_case_list_is_the_corpus() {
    let ids: Vec<String> = corpus_entries().into_iter().map(|(id, _)| id).collect();
    assert_eq!(
        ids, CASE_IDS,
        "the corpus_cases! list in tests/it/e2e.rs must name every corpus id, in corpus order"
    );
}

/// `apiforge ARGS` with the shared runtime's data directory.
fn with_runtime(args: &[&str]) -> (i32, String, String) {
    run(apiforge()
        .env("APIFORGE_DATA_DIR", shared_data_dir())
        .args(args))
}

/// `apiforge generate ARGS --target fastapi -o DIR --json` with the shared runtime.
fn generate(args: &[String], dir: &Path, extra: &[&str]) -> (i32, Value, String) {
    let (code, stdout, stderr) = run(apiforge()
        .env("APIFORGE_DATA_DIR", shared_data_dir())
        .arg("generate")
        .args(args)
        .args(["--target", "fastapi", "--json", "-o"])
        .arg(dir)
        .args(extra));
    assert_eq!(
        stdout.lines().count(),
        1,
        "one JSON object on stdout (exit {code}):\n{stdout}\n{stderr}"
    );
    let result = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is JSON ({e}): {stdout}\n{stderr}"));
    (code, result, stderr)
}

/// What a verify report says, for failure messages: each step, the failing tests, the ruff
/// findings, and the output of the failed steps.
fn describe(report: &Value) -> String {
    let mut out = format!(
        "ok={} tests={} problem={}\n",
        report["ok"], report["tests"], report["problem"]
    );
    for step in report["steps"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "  step {} ok={} exit={}\n",
            step["command"], step["ok"], step["exit_code"]
        ));
        if step["ok"] != true {
            out.push_str(step["output"].as_str().unwrap_or_default());
            out.push('\n');
        }
    }
    for test in report["failed_tests"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "  FAILED {} ({}) {}\n",
            test["id"], test["location"], test["message"]
        ));
    }
    for finding in report["ruff_findings"].as_array().into_iter().flatten() {
        out.push_str(&format!("  ruff {finding}\n"));
    }
    for file in report["unformatted"].as_array().into_iter().flatten() {
        out.push_str(&format!("  unformatted {file}\n"));
    }
    out
}

/// A green verify report: every step ok, tests passed, none failed or errored.
fn assert_green(report: &Value, what: &str) {
    let detail = describe(report);
    assert_eq!(report["ok"], true, "{what}: verify failed\n{detail}");
    let steps = report["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 4, "{what}: four steps\n{detail}");
    assert!(
        steps.iter().all(|s| s["ok"] == true),
        "{what}: a step failed\n{detail}"
    );
    let tests = &report["tests"];
    assert!(
        tests["passed"].as_u64().is_some_and(|n| n > 0),
        "{what}: no test passed\n{detail}"
    );
    assert_eq!(tests["failed"], 0, "{what}\n{detail}");
    assert_eq!(tests["errors"], 0, "{what}\n{detail}");
}

/// Issue 4: `generate --target fastapi` with verify on (the default) succeeds for a corpus case.
fn generates_and_verifies(id: &str) {
    installed();
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join(id);
    let (code, result, stderr) = generate(&input_args(id), &dir, &[]);
    let detail = describe(&result["verify"]);
    assert_eq!(code, 0, "{id}: exit {code}\n{result}\n{stderr}\n{detail}");
    assert_eq!(result["ok"], true, "{id}: {result}");
    assert_eq!(result["regenerated"], false, "{id}");
    let stages: Vec<&str> = result["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(
        stages,
        ["plan", "spec", "codegen", "write", "runtime", "verify"],
        "{id}"
    );
    assert_green(&result["verify"], id);
    assert!(dir.join("app/main.py").is_file(), "{id}: app/main.py");
}

/// The `files` entry of `path` in a generate result.
fn file_entry<'a>(result: &'a Value, path: &str) -> &'a Value {
    result["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("{path} not in {result}"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Issue 4's regeneration acceptance: generate (verified) from a manifest file, edit the
/// user module and a generated file, add a field to the manifest, regenerate into the same
/// directory, then verify again.
#[test]
fn regeneration_keeps_user_code_and_edits_and_stays_green() {
    installed();
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("project");
    let manifest_path = temp.path().join("m.json");
    let manifest_arg = manifest_path.display().to_string();

    // apiforge plan PROMPT > m.json
    let (code, manifest, stderr) = run(apiforge().arg("plan").args(input_args("library")));
    assert_eq!(code, 0, "{stderr}");
    std::fs::write(&manifest_path, &manifest).expect("write m.json");

    let manifest_args = ["--manifest".to_owned(), manifest_arg.clone()];
    let (code, first, stderr) = generate(&manifest_args, &dir, &[]);
    assert_eq!(code, 0, "{first}\n{stderr}\n{}", describe(&first["verify"]));
    assert_green(&first["verify"], "first generation");

    let mut value: Value = serde_json::from_str(&manifest).expect("manifest JSON");
    let entity = value["entities"][0]["name"]
        .as_str()
        .expect("entity name")
        .to_owned();
    assert_eq!(entity, "Book", "the library manifest starts with Book");
    // The user module of Book, which gains the field, and the router of Author, which
    // changes with it (its nested `/authors/{id}/books` listing filters and sorts by every
    // Book field). Not Book's own router: a stale copy of that one would make
    // `GET /books?sort=shelf_code` fail (its sort columns lack the field the schemas now
    // allow), which is what the conflict's diff is there to merge.
    let hook = "app/hooks/book.py";
    let router = "app/routers/author.py";
    assert_eq!(file_entry(&first, hook)["ownership"], "user");
    assert_eq!(file_entry(&first, router)["ownership"], "generated");

    // Edits: a harmless function in the user's module, a comment in a generated file.
    let edited_hook = format!(
        "{}\n\ndef shelf_label(code: str) -> str:\n    \"\"\"A label for a shelf code.\"\"\"\n    return code.upper()\n",
        read(&dir.join(hook))
    );
    std::fs::write(dir.join(hook), &edited_hook).expect("edit hook");
    let edited_router = format!("{}\n\n# note: reviewed by hand\n", read(&dir.join(router)));
    std::fs::write(dir.join(router), &edited_router).expect("edit router");
    let before: Vec<(String, String)> = [
        "app/models.py",
        "app/schemas.py",
        "app/routers/book.py",
        "openapi.json",
        "tests/testdata.json",
    ]
    .iter()
    .map(|path| ((*path).to_owned(), read(&dir.join(path))))
    .collect();

    // The manifest gains a string field on Book.
    value["entities"][0]["fields"]
        .as_array_mut()
        .expect("fields")
        .push(serde_json::json!({ "name": "shelf_code", "type": "string" }));
    std::fs::write(
        &manifest_path,
        serde_json::to_string_pretty(&value).expect("JSON"),
    )
    .expect("write m.json");

    let (code, second, stderr) = generate(&manifest_args, &dir, &[]);
    assert_eq!(
        code,
        1,
        "conflicts exit 1: {second}\n{stderr}\n{}",
        describe(&second["verify"])
    );
    assert_eq!(second["ok"], false);
    assert_eq!(second["regenerated"], true);
    let conflicts: Vec<&str> = second["conflicts"]
        .as_array()
        .expect("conflicts")
        .iter()
        .filter_map(|c| c["path"].as_str())
        .collect();
    assert_eq!(conflicts, [router], "{second}");
    assert!(
        second["error"]
            .as_str()
            .is_some_and(|e| e.contains(router) && e.contains("--force")),
        "{second}"
    );

    // The user's module is byte-identical; the edited generated file is left alone.
    assert_eq!(
        read(&dir.join(hook)),
        edited_hook,
        "the user module is kept"
    );
    assert_eq!(
        read(&dir.join(router)),
        edited_router,
        "the conflicting file is left alone"
    );
    // The other changed generated files are updated with the new field.
    for (path, old) in &before {
        assert_eq!(file_entry(&second, path)["action"], "updated", "{path}");
        let new = read(&dir.join(path));
        assert_ne!(&new, old, "{path} changed");
        assert!(new.contains("shelf_code"), "{path} has the new field");
    }
    assert_eq!(file_entry(&second, hook)["action"], "kept", "{second}");
    // The regeneration's own verification ran on the mixed project, and is green.
    assert_green(&second["verify"], "regeneration");

    // And `apiforge verify DIR` is still green.
    let (code, stdout, stderr) = with_runtime(&["verify", &dir.display().to_string(), "--json"]);
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("verify --json ({e}): {stdout}\n{stderr}"));
    assert_eq!(code, 0, "{}\n{stderr}", describe(&report));
    assert_green(&report, "apiforge verify after the regeneration");
}

/// `python3` from `PATH`, checked to have `venv` (no silent skip).
fn host_python() -> PathBuf {
    let probe = HostCommand::new("python3")
        .args(["-c", "import venv, ensurepip, sys; print(sys.executable)"])
        .output()
        .unwrap_or_else(|e| {
            panic!("this test needs python3 (with venv) on PATH; running it failed: {e}")
        });
    assert!(
        probe.status.success(),
        "this test needs python3 with the venv and ensurepip modules (Debian: apt-get install python3-venv): {}",
        String::from_utf8_lossy(&probe.stderr)
    );
    PathBuf::from("python3")
}

/// Runs a host command in `dir`; returns (success, stdout + stderr).
fn host_run(command: &mut HostCommand, dir: &Path) -> (bool, String) {
    let output = command
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{command:?} could not start: {e}"));
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

/// Issue 4: "the generated project also passes outside the sandbox with the commands its
/// README gives": a venv from the host's python3, `pip install -r requirements.txt`, pytest.
#[test]
fn generated_project_passes_outside_the_sandbox_as_its_readme_says() {
    let python = host_python();
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("library");
    let (code, result, stderr) = generate(&input_args("library"), &dir, &["--no-verify"]);
    assert_eq!(code, 0, "{result}\n{stderr}");
    assert_eq!(result["verify"], Value::Null);

    let readme = read(&dir.join("README.md"));
    assert!(
        readme.contains("pip install -r requirements.txt"),
        "the README gives the install command:\n{readme}"
    );
    assert!(
        readme.contains("python -m pytest -q"),
        "the README gives the test command:\n{readme}"
    );

    let venv = temp.path().join("venv");
    let (ok, output) = host_run(
        HostCommand::new(&python).arg("-m").arg("venv").arg(&venv),
        temp.path(),
    );
    assert!(ok, "python3 -m venv failed:\n{output}");
    let (ok, output) = host_run(
        HostCommand::new(venv.join("bin/pip"))
            .args(["install", "--disable-pip-version-check", "-r"])
            .arg("requirements.txt"),
        &dir,
    );
    assert!(ok, "pip install -r requirements.txt failed:\n{output}");
    let (ok, output) = host_run(
        HostCommand::new(venv.join("bin/python"))
            .args(["-m", "pytest", "-q"])
            .env_remove("DATABASE_URL")
            .env_remove("PYTHONPATH"),
        &dir,
    );
    assert!(ok, "python -m pytest -q failed:\n{output}");
    let summary = output
        .lines()
        .rev()
        .find(|l| l.contains(" passed"))
        .unwrap_or_else(|| panic!("no pytest summary:\n{output}"));
    let passed: u64 = summary
        .split_whitespace()
        .zip(summary.split_whitespace().skip(1))
        .find(|(_, word)| word.trim_end_matches(',') == "passed")
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {summary:?}"));
    assert!(passed > 0, "{summary}");
    assert!(
        !summary.contains("failed") && !summary.contains("error"),
        "{summary}"
    );
}

/// `psql` against the local PostgreSQL (127.0.0.1:5432, trust auth, database `test`).
fn psql(sql: &str) {
    let (ok, output) = host_run(
        HostCommand::new("psql").args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "test",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ]),
        Path::new("/"),
    );
    assert!(
        ok,
        "psql {sql}: {output} (PostgreSQL must run on 127.0.0.1:5432)"
    );
}

/// "SQLite by default, PostgreSQL through `DATABASE_URL`": the generated suite, run with the
/// prepared runtime on the host (the sandbox has no network, so no PostgreSQL), against a
/// fresh PostgreSQL database; the shop case has many-to-many links and unique fields.
#[test]
fn generated_suite_passes_on_postgresql() {
    installed();
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("shop");
    let args = input_args("shop");
    let (code, result, stderr) = generate(&args, &dir, &["--no-verify"]);
    assert_eq!(code, 0, "{result}\n{stderr}");
    let site_packages = std::fs::read_dir(shared_data_dir().join("runtimes"))
        .expect("runtimes dir")
        .flatten()
        .map(|e| e.path().join("site-packages"))
        .find(|p| p.is_dir())
        .expect("an installed runtime");
    let database = format!("apiforge_e2e_{}", std::process::id());
    psql(&format!("DROP DATABASE IF EXISTS {database}"));
    psql(&format!("CREATE DATABASE {database}"));
    let (ok, output) = host_run(
        HostCommand::new("/usr/bin/python3")
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
            .env("PYTHONPATH", &site_packages)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env(
                "TEST_DATABASE_URL",
                format!("postgresql+psycopg://postgres@127.0.0.1:5432/{database}"),
            ),
        &dir,
    );
    psql(&format!("DROP DATABASE IF EXISTS {database}"));
    assert!(ok, "pytest on PostgreSQL failed:\n{output}");
    let summary = output.lines().last().unwrap_or_default();
    assert!(
        summary.contains(" passed") && !summary.contains("failed") && !summary.contains("error"),
        "{summary}"
    );
}
