//! The prompt registry over real HTTP, on SQLite and on PostgreSQL: built-in prompts,
//! versioning, validation, executions queued with a priority and run against a local
//! server that speaks the OpenAI wire format (usage, cost, the repair round, failures,
//! retry), secrets redacted, and another user seeing nothing.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::fake_llm::{FakeLlm, MODEL};
use crate::server::{PgDatabase, Server, assert_ok, assert_problem};

const SECRET: &str = "sk-abcdefghijklmnopqrstuvwx";

/// An OpenAI-compatible fake whose answer depends on the user message: "fail" → output
/// violating the schema, always; "repair" → invalid first, valid once the repair round
/// sends the reason back; else a valid summary.
fn summariser() -> FakeLlm {
    FakeLlm::start(|asked| {
        if asked.prompt.contains("fail") {
            json!({ "wrong": true }).to_string()
        } else if asked.prompt.contains("repair") && asked.messages == 1 {
            "not even JSON".to_owned()
        } else {
            json!({ "summary": format!("{} words", asked.prompt.split_whitespace().count()) })
                .to_string()
        }
    })
}

fn start_with_llm(database_url: Option<&str>, fake: &FakeLlm) -> Server {
    Server::start_with(
        database_url,
        &[],
        &[
            ("APIFORGE_LLM_PROVIDER", "openai"),
            ("APIFORGE_LLM_BASE_URL", &fake.url),
            ("APIFORGE_LLM_MODEL", MODEL),
            ("APIFORGE_LLM_PRICES", "fake-model=2/4"),
            ("APIFORGE_LLM_TIMEOUT", "10"),
        ],
    )
}

fn send(
    server: &Server,
    method: &str,
    path: &str,
    jwt: &str,
    body: &Value,
) -> crate::server::Response {
    server.call(
        method,
        path,
        Some(jwt),
        &[("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    )
}

fn summary_prompt(name: &str) -> Value {
    json!({
        "name": name,
        "description": "Summaries",
        "template": "Summarise {{ topic }} in {{ words }} words. Key: {{ api_key }}",
        "variables": [
            { "name": "topic", "type": "string", "required": true },
            { "name": "words", "type": "integer", "default": 20 },
            { "name": "api_key", "type": "string", "secret": true }
        ],
        "output": {
            "json_schema": {
                "type": "object",
                "required": ["summary"],
                "properties": { "summary": { "type": "string" } }
            },
            "max_length": 500
        }
    })
}

/// Polls an execution until it is final.
fn finished(server: &Server, jwt: &str, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let execution = server.get(&format!("/api/executions/{id}"), Some(jwt));
        assert_ok("execution", &execution);
        let execution = execution.json();
        if matches!(execution["status"].as_str(), Some("succeeded" | "failed")) {
            return execution;
        }
        assert!(Instant::now() < deadline, "not finished: {execution:#}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn registry_flow(server: &Server, fake: &FakeLlm) {
    let ada = server.sign_in("ada@example.com");
    let bob = server.sign_in("bob@example.com");

    // Built-in prompts are there for everyone, read-only.
    let listed = server.get("/api/prompts", Some(&bob));
    assert_ok("prompts", &listed);
    let listed = listed.json();
    let builtin: Vec<(&str, bool)> = listed
        .as_array()
        .expect("a list")
        .iter()
        .map(|p| (p["name"].as_str().unwrap_or("?"), p["builtin"] == true))
        .collect();
    assert_eq!(builtin, [("fixer", true), ("planner", true)], "{listed}");
    let planner_id = listed[1]["id"].as_str().expect("id").to_owned();
    let planner = server.get(&format!("/api/prompts/{planner_id}"), Some(&ada));
    assert_ok("planner", &planner);
    let planner = planner.json();
    assert!(
        planner["version"]["template"]
            .as_str()
            .is_some_and(|t| t.contains("{{ prompt }}")),
        "{planner}"
    );
    assert_eq!(
        planner["version"]["output"]["json_schema"]["title"],
        "SmartAPIForge manifest"
    );
    assert_problem(
        "update a built-in prompt",
        &send(
            server,
            "PUT",
            &format!("/api/prompts/{planner_id}"),
            &ada,
            &summary_prompt("x"),
        ),
        &[403],
    );
    assert_problem(
        "delete a built-in prompt",
        &send(
            server,
            "DELETE",
            &format!("/api/prompts/{planner_id}"),
            &ada,
            &Value::Null,
        ),
        &[403],
    );

    // Create, validate, version.
    let created = send(
        server,
        "POST",
        "/api/prompts",
        &ada,
        &summary_prompt("summary"),
    );
    assert_eq!(created.status, 201, "{}", created.describe());
    let created = created.json();
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(created["current_version"], 1, "{created}");
    assert_eq!(created["builtin"], false);
    assert_eq!(
        created["version"]["variables"][2]["secret"], true,
        "{created}"
    );
    let mut undeclared = summary_prompt("other");
    undeclared["template"] = json!("Hello {{ stranger }}");
    let mut bad_schema = summary_prompt("other");
    bad_schema["output"]["json_schema"] = json!({ "type": 42 });
    let mut bad_default = summary_prompt("other");
    bad_default["variables"][1]["default"] = json!("twenty");
    let mut bad_regex = summary_prompt("other");
    bad_regex["output"]["regex"] = json!("(");
    for (what, body, status, detail) in [
        (
            "undeclared variable",
            undeclared,
            422,
            "not a declared variable",
        ),
        ("invalid schema", bad_schema, 422, "not a valid JSON Schema"),
        ("mistyped default", bad_default, 422, "is not a integer"),
        ("bad regex", bad_regex, 422, "does not compile"),
        (
            "duplicate name",
            summary_prompt("summary"),
            409,
            "already have a prompt",
        ),
        (
            "unknown field",
            json!({ "name": "x", "template": "t", "colour": 1 }),
            422,
            "unknown field",
        ),
        (
            "empty template",
            json!({ "name": "x", "template": " " }),
            422,
            "empty",
        ),
    ] {
        let problem = assert_problem(
            what,
            &send(server, "POST", "/api/prompts", &ada, &body),
            &[status],
        );
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|d| d.contains(detail)),
            "{what}: {problem}"
        );
    }
    let mut revised = summary_prompt("summary");
    revised["template"] =
        json!("Summarise {{ topic }} in at most {{ words }} words. Key: {{ api_key }}");
    let updated = send(server, "PUT", &format!("/api/prompts/{id}"), &ada, &revised);
    assert_ok("update", &updated);
    assert_eq!(updated.json()["current_version"], 2);
    let versions = server.get(&format!("/api/prompts/{id}/versions"), Some(&ada));
    assert_ok("versions", &versions);
    let numbers: Vec<i64> = versions
        .json()
        .as_array()
        .expect("versions")
        .iter()
        .filter_map(|v| v["version"].as_i64())
        .collect();
    assert_eq!(numbers, [1, 2]);

    // Execute: queued with its priority, run against the provider, usage and cost kept,
    // secrets redacted.
    let calls_before = fake.calls();
    let queued = send(
        server,
        "POST",
        &format!("/api/prompts/{id}/execute"),
        &ada,
        &json!({ "inputs": { "topic": "rust", "api_key": SECRET }, "priority": "HIGH" }),
    );
    assert_eq!(queued.status, 202, "{}", queued.describe());
    let queued = queued.json();
    assert_eq!(queued["priority"], "HIGH");
    assert_eq!(queued["version"], 2);
    assert!(matches!(
        queued["status"].as_str(),
        Some("queued" | "running" | "succeeded")
    ));
    let done = finished(server, &ada, queued["id"].as_str().expect("id"));
    assert_eq!(done["status"], "succeeded", "{done:#}");
    assert_eq!(done["provider"], "openai");
    assert_eq!(done["model"], MODEL);
    assert_eq!(
        (done["tokens_in"].as_i64(), done["tokens_out"].as_i64()),
        (Some(12), Some(7))
    );
    // 12 × 2 + 7 × 4 USD per million tokens.
    assert!(
        (done["cost_usd"].as_f64().unwrap_or(0.0) - 0.000052).abs() < 1e-9,
        "{done}"
    );
    assert!(done["latency_ms"].as_i64().is_some(), "{done}");
    let output: Value =
        serde_json::from_str(done["output"].as_str().expect("output")).expect("JSON");
    assert!(output["summary"].is_string(), "{output}");
    assert_eq!(done["input"]["api_key"], "[REDACTED]", "{done}");
    assert_eq!(done["input"]["topic"], "rust");
    let rendered = done["rendered"].as_str().expect("rendered");
    assert!(
        rendered.starts_with("Summarise rust in at most 20 words."),
        "{rendered}"
    );
    assert!(
        !done.to_string().contains(SECRET),
        "the secret is stored nowhere: {done}"
    );
    assert!(fake.calls() > calls_before);

    // A schema-violating first answer is repaired in a second round.
    let repaired = send(
        server,
        "POST",
        &format!("/api/prompts/{id}/execute"),
        &ada,
        &json!({ "inputs": { "topic": "repair" } }),
    );
    assert_eq!(repaired.status, 202, "{}", repaired.describe());
    let repaired = finished(server, &ada, repaired.json()["id"].as_str().expect("id"));
    assert_eq!(repaired["status"], "succeeded", "{repaired:#}");
    assert_eq!(repaired["priority"], "NORMAL");
    assert_eq!(repaired["tokens_in"], 24, "both rounds counted: {repaired}");

    // Inputs are checked before anything is queued.
    for (what, body, detail) in [
        (
            "missing input",
            json!({ "inputs": {} }),
            "\"topic\" is required",
        ),
        (
            "wrong type",
            json!({ "inputs": { "topic": 3 } }),
            "must be a string",
        ),
        (
            "unknown input",
            json!({ "inputs": { "topic": "x", "colour": "red" } }),
            "not a variable",
        ),
        (
            "unknown priority",
            json!({ "inputs": { "topic": "x" }, "priority": "URGENT" }),
            "LOW, NORMAL or HIGH",
        ),
        (
            "missing version",
            json!({ "inputs": { "topic": "x" }, "version": 9 }),
            "no version 9",
        ),
    ] {
        let problem = assert_problem(
            what,
            &send(
                server,
                "POST",
                &format!("/api/prompts/{id}/execute"),
                &ada,
                &body,
            ),
            &[404, 422],
        );
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|d| d.contains(detail)),
            "{what}: {problem}"
        );
    }

    // An output that keeps violating the rules fails; the retry needs the secret again.
    let failing = send(
        server,
        "POST",
        &format!("/api/prompts/{id}/execute"),
        &ada,
        &json!({ "inputs": { "topic": "fail", "api_key": SECRET }, "priority": "low", "version": 1 }),
    );
    assert_eq!(failing.status, 202, "{}", failing.describe());
    let failed = finished(server, &ada, failing.json()["id"].as_str().expect("id"));
    assert_eq!(failed["status"], "failed", "{failed:#}");
    assert_eq!(failed["version"], 1);
    assert!(
        failed["error"]
            .as_str()
            .is_some_and(|e| e.contains("schema") || e.contains("invalid")),
        "{failed}"
    );
    let failed_id = failed["id"].as_str().expect("id").to_owned();
    let retry = format!("/api/executions/{failed_id}/retry");
    // `api_key` is optional, so the retry runs without it unless it is given again.
    let retried = send(
        server,
        "POST",
        &retry,
        &ada,
        &json!({ "inputs": { "api_key": SECRET } }),
    );
    assert_eq!(retried.status, 202, "{}", retried.describe());
    let retried = retried.json();
    assert_eq!(retried["retry_of"], failed_id.as_str());
    assert_eq!(retried["priority"], "LOW");
    assert_eq!(
        retried["input"]["topic"], "fail",
        "stored inputs are reused"
    );
    let done_id = done["id"].as_str().expect("id");
    assert_problem(
        "retry a success",
        &send(
            server,
            "POST",
            &format!("/api/executions/{done_id}/retry"),
            &ada,
            &json!({}),
        ),
        &[409],
    );

    // Listing and filtering.
    let all = server.get("/api/executions", Some(&ada));
    assert_ok("executions", &all);
    assert_eq!(
        all.json().as_array().map(Vec::len),
        Some(4),
        "{}",
        all.describe()
    );
    let one = server.get(
        &format!("/api/executions?prompt_id={id}&limit=1"),
        Some(&ada),
    );
    assert_eq!(one.json().as_array().map(Vec::len), Some(1));
    assert_problem(
        "bad limit",
        &server.get("/api/executions?limit=0", Some(&ada)),
        &[400],
    );

    // Another user sees none of it.
    for path in [
        format!("/api/prompts/{id}"),
        format!("/api/prompts/{id}/versions"),
        format!("/api/executions/{done_id}"),
    ] {
        assert_problem(
            &format!("bob GET {path}"),
            &server.get(&path, Some(&bob)),
            &[404],
        );
        assert_problem(
            &format!("anonymous GET {path}"),
            &server.get(&path, None),
            &[401],
        );
    }
    for (method, path) in [
        ("PUT", format!("/api/prompts/{id}")),
        ("DELETE", format!("/api/prompts/{id}")),
        ("POST", format!("/api/prompts/{id}/execute")),
        ("POST", format!("/api/executions/{failed_id}/retry")),
    ] {
        let body = if method == "PUT" {
            summary_prompt("summary")
        } else {
            json!({ "inputs": { "topic": "x" } })
        };
        assert_problem(
            &format!("bob {method} {path}"),
            &send(server, method, &path, &bob, &body),
            &[404],
        );
    }
    assert_eq!(server.get("/api/executions", Some(&bob)).json(), json!([]));
    let bobs = server.get("/api/prompts", Some(&bob)).json();
    assert_eq!(
        bobs.as_array().map(Vec::len),
        Some(2),
        "built-in only: {bobs}"
    );

    // Deleting keeps the executions.
    let deleted = send(
        server,
        "DELETE",
        &format!("/api/prompts/{id}"),
        &ada,
        &Value::Null,
    );
    assert_eq!(deleted.status, 204, "{}", deleted.describe());
    assert_problem(
        "deleted prompt",
        &server.get(&format!("/api/prompts/{id}"), Some(&ada)),
        &[404],
    );
    assert_ok(
        "its execution",
        &server.get(&format!("/api/executions/{done_id}"), Some(&ada)),
    );
}

#[test]
fn prompt_registry_on_sqlite() {
    let fake = summariser();
    let server = start_with_llm(None, &fake);
    registry_flow(&server, &fake);
}

#[test]
fn prompt_registry_on_postgres() {
    let fake = summariser();
    let database = PgDatabase::create();
    let server = start_with_llm(Some(&database.url), &fake);
    registry_flow(&server, &fake);
    drop(server);
}

/// Without a provider, executing is refused up front (the registry itself still works).
#[test]
fn executing_without_a_provider_is_refused() {
    let server = Server::start(None);
    let ada = server.sign_in("ada@example.com");
    let created = send(
        &server,
        "POST",
        "/api/prompts",
        &ada,
        &summary_prompt("summary"),
    );
    assert_eq!(created.status, 201, "{}", created.describe());
    let id = created.json()["id"].as_str().expect("id").to_owned();
    let refused = send(
        &server,
        "POST",
        &format!("/api/prompts/{id}/execute"),
        &ada,
        &json!({ "inputs": { "topic": "x" } }),
    );
    let problem = assert_problem("no provider", &refused, &[503]);
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("APIFORGE_LLM_PROVIDER")),
        "{problem}"
    );
}
