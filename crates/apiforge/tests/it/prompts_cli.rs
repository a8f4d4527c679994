//! `apiforge prompts list|show|run` as processes against a running server whose prompt
//! executions go to a local fake OpenAI-compatible model: tables and JSON, versions, typed
//! `--input` conversion, `--inputs-json`, `--no-wait`, and the exit codes (1 for a failed
//! execution, 2 for an unknown prompt, bad input, a 4xx answer or no token).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::fake_llm::{FakeLlm, MODEL};
use crate::server::{Server, assert_ok};
use crate::{apiforge, run};

/// Echoes the rendered prompt as `{"summary": …}`, or violates the schema when the prompt
/// says "fail" (every time, so the repair round fails too).
fn echo() -> FakeLlm {
    FakeLlm::start(|asked| {
        if asked.prompt.contains("fail") {
            json!({ "wrong": true }).to_string()
        } else {
            json!({ "summary": asked.prompt }).to_string()
        }
    })
}

fn prompt_body(template: &str) -> Value {
    json!({
        "name": "digest",
        "description": "Typed digest",
        "template": template,
        "variables": [
            { "name": "topic", "type": "string", "required": true },
            { "name": "words", "type": "integer", "default": 20 },
            { "name": "ratio", "type": "number", "default": 0.5 },
            { "name": "strict", "type": "boolean", "default": false },
            { "name": "extra", "type": "json", "default": { "tag": "none" } }
        ],
        "output": {
            "json_schema": {
                "type": "object",
                "required": ["summary"],
                "properties": { "summary": { "type": "string" } }
            },
            "max_length": 2000
        }
    })
}

const V1: &str = "Digest {{ topic }} in {{ words }} words at {{ ratio }}{% if strict %}, strictly{% endif %}; tag {{ extra.tag }}.";
const V2: &str = "V2 digest of {{ topic }} in {{ words }} words at {{ ratio }}{% if strict %}, strictly{% endif %}; tag {{ extra.tag }}.";

/// `apiforge prompts ARGS…` against the server with the JWT.
fn prompts(server: &Server, jwt: &str, args: &[&str]) -> (i32, String, String) {
    run(apiforge()
        .env("APIFORGE_URL", format!("http://{}", server.addr))
        .env("APIFORGE_TOKEN", jwt)
        .arg("prompts")
        .args(args))
}

#[track_caller]
fn one_error_line(stderr: &str, contains: &str) {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line expected: {stderr}");
    assert!(
        lines[0].starts_with("error: ") && lines[0].contains(contains),
        "expected an error with {contains:?}: {stderr}"
    );
}

#[test]
fn prompts_list_show_run() {
    let fake = echo();
    let server = Server::start_with(
        None,
        &[],
        &[
            ("APIFORGE_LLM_PROVIDER", "openai"),
            ("APIFORGE_LLM_BASE_URL", &fake.url),
            ("APIFORGE_LLM_MODEL", MODEL),
            ("APIFORGE_LLM_PRICES", "fake-model=2/4"),
            ("APIFORGE_LLM_TIMEOUT", "10"),
            ("APIFORGE_IP_RATE", "off"),
            ("APIFORGE_USER_RATE", "off"),
        ],
    );
    let jwt = server.sign_in("cli@example.com");
    let created = server.post_json("/api/prompts", Some(&jwt), &prompt_body(V1));
    assert_eq!(created.status, 201, "{}", created.describe());
    let id = created.json()["id"].as_str().expect("an id").to_owned();
    let updated = server.call(
        "PUT",
        &format!("/api/prompts/{id}"),
        Some(&jwt),
        &[("Content-Type", "application/json")],
        prompt_body(V2).to_string().as_bytes(),
    );
    assert_ok("update", &updated);

    // list: a table, and JSON.
    let (code, stdout, stderr) = prompts(&server, &jwt, &["list"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("NAME") && lines[0].contains("OWNER"),
        "{stdout}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("digest ")
            && l.contains("yours")
            && l.contains(" 2 ")
            && l.ends_with(&id)),
        "{stdout}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("planner ") && l.contains("built-in")),
        "{stdout}"
    );
    let (code, stdout, stderr) = prompts(&server, &jwt, &["list", "--json"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let listed: Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(listed["ok"], true);
    let names: Vec<&str> = listed["prompts"]
        .as_array()
        .expect("prompts")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(
        names.contains(&"digest") && names.contains(&"fixer"),
        "{listed}"
    );

    // show: current version, an older one, every one.
    let (code, stdout, stderr) = prompts(&server, &jwt, &["show", "digest"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    for expected in [
        "digest (yours, id ",
        "description: Typed digest",
        "version 2 (current)",
        "  topic: string, required",
        "  words: integer, default 20",
        "  strict: boolean, default false",
        "  JSON Schema: {",
        "  at most 2000 characters",
        "  V2 digest of {{ topic }}",
    ] {
        assert!(stdout.contains(expected), "{expected:?} in {stdout}");
    }
    let (code, stdout, stderr) = prompts(&server, &jwt, &["show", &id, "--version", "1", "--json"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let shown: Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(shown["prompt"]["name"], "digest", "{shown}");
    assert_eq!(shown["prompt"]["current_version"], 2, "{shown}");
    assert_eq!(shown["version"]["version"], 1, "{shown}");
    assert_eq!(shown["version"]["template"], V1, "{shown}");
    assert_eq!(shown["version"]["variables"][1]["type"], "integer");
    let (code, stdout, stderr) = prompts(&server, &jwt, &["show", "digest", "--versions"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("versions: 2 (current 2)")
            && stdout.contains("version 1\n")
            && stdout.contains("version 2 (current)"),
        "{stdout}"
    );
    let (code, _, stderr) = prompts(&server, &jwt, &["show", "digest", "--version", "9"]);
    assert_eq!(code, 2, "{stderr}");
    one_error_line(&stderr, "has no version 9");

    // run: typed inputs, output on stdout, metrics on stderr.
    let (code, stdout, stderr) = prompts(
        &server,
        &jwt,
        &[
            "run",
            "digest",
            "--input",
            "topic=rust = fast",
            "--input",
            "words=7",
            "--input",
            "ratio=0.25",
            "--input",
            "strict=true",
            "--input",
            r#"extra={"tag":"t1"}"#,
            "--priority",
            "high",
        ],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let output: Value =
        serde_json::from_str(stdout.trim()).expect("the output is the model's JSON");
    assert_eq!(
        output["summary"],
        "V2 digest of rust = fast in 7 words at 0.25, strictly; tag t1."
    );
    let metrics: Vec<&str> = stderr.lines().collect();
    assert_eq!(metrics.len(), 1, "{stderr}");
    for expected in [
        "provider openai",
        "model fake-model",
        " ms",
        "12 in + 7 out tokens",
        "$0.000052",
    ] {
        assert!(metrics[0].contains(expected), "{expected:?} in {stderr}");
    }

    // --json, an older version, inputs from standard input, by id.
    let (code, stdout, stderr) = run(apiforge()
        .env("APIFORGE_URL", format!("http://{}", server.addr))
        .env("APIFORGE_TOKEN", &jwt)
        .args(["prompts", "run", &id, "--version", "1", "--json"])
        .args(["--inputs-json", "-", "--input", "words=3"])
        .write_stdin(r#"{"topic": "sqlite", "words": 99, "extra": {"tag": "std"}}"#));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let result: Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(result["ok"], true, "{result}");
    let execution = &result["execution"];
    assert_eq!(execution["status"], "succeeded");
    assert_eq!(execution["version"], 1);
    assert_eq!(execution["priority"], "NORMAL");
    assert_eq!(
        execution["input"],
        json!({ "topic": "sqlite", "words": 3, "extra": { "tag": "std" } })
    );
    assert_eq!(
        serde_json::from_str::<Value>(execution["output"].as_str().unwrap_or_default())
            .expect("JSON output")["summary"],
        "Digest sqlite in 3 words at 0.5; tag std."
    );

    // --no-wait: the id now, the execution finishes on its own.
    let (code, stdout, stderr) = prompts(
        &server,
        &jwt,
        &["run", "digest", "--input", "topic=later", "--no-wait"],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let queued = stdout.trim().to_owned();
    assert!(!queued.is_empty() && !queued.contains(' '), "{stdout}");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let execution = server.get(&format!("/api/executions/{queued}"), Some(&jwt));
        assert_ok("queued execution", &execution);
        if execution.json()["status"] == "succeeded" {
            break;
        }
        assert!(Instant::now() < deadline, "{}", execution.describe());
        std::thread::sleep(Duration::from_millis(100));
    }

    // Exit 1: the model's output violates the prompt's schema.
    let (code, stdout, stderr) =
        prompts(&server, &jwt, &["run", "digest", "--input", "topic=fail"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    one_error_line(&stderr, "failed: ");
    assert!(stderr.contains("schema"), "{stderr}");
    let (code, stdout, _) = prompts(
        &server,
        &jwt,
        &["run", "digest", "--input", "topic=fail", "--json"],
    );
    assert_eq!(code, 1, "{stdout}");
    let result: Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(result["ok"], false, "{result}");
    assert_eq!(result["execution"]["status"], "failed", "{result}");
    assert!(result["execution"]["error"].is_string(), "{result}");

    // Exit 2: bad input of every kind, one line each.
    let bad: [(&[&str], &str); 8] = [
        (
            &["run", "nope", "--input", "topic=x"],
            "no prompt named \"nope\"",
        ),
        (&["show", "nope"], "no prompt named \"nope\""),
        (
            &["run", "digest", "--input", "words=seven"],
            "is an integer",
        ),
        (
            &[
                "run",
                "digest",
                "--input",
                "topic=x",
                "--input",
                "strict=maybe",
            ],
            "boolean",
        ),
        (&["run", "digest", "--input", "extra={"], "JSON"),
        (&["run", "digest", "--input", "topic"], "not KEY=VALUE"),
        // The server's 422: the required variable is missing.
        (
            &["run", "digest", "--input", "words=1"],
            "422 Unprocessable Entity",
        ),
        (
            &["run", "digest", "--input", "topic=x", "--version", "0"],
            "not a version number",
        ),
    ];
    for (args, expected) in bad {
        let (code, stdout, stderr) = prompts(&server, &jwt, args);
        assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
        one_error_line(&stderr, expected);
    }
    let (code, _, stderr) = prompts(&server, "not-a-token", &["list"]);
    assert_eq!(code, 2, "{stderr}");
    one_error_line(&stderr, "401 Unauthorized");
    let (code, stdout, stderr) = run(apiforge()
        .env("APIFORGE_URL", format!("http://{}", server.addr))
        .env_remove("APIFORGE_TOKEN")
        .args(["prompts", "list", "--json"]));
    assert_eq!(code, 2, "{stdout}{stderr}");
    let error: Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(error["ok"], false);
    assert!(
        error["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("no token")),
        "{error}"
    );
    let (code, _, stderr) = run(apiforge().env("APIFORGE_TOKEN", &jwt).args([
        "prompts",
        "list",
        "--url",
        &crate::fake_llm::dead_url(),
    ]));
    assert_eq!(code, 2, "{stderr}");
    one_error_line(&stderr, "cannot reach the server");
}
