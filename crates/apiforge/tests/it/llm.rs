//! `--planner llm` end to end against local servers that speak the Ollama and OpenAI wire
//! formats: a valid manifest, the repair round, the fallback chain (a dead Ollama, then an
//! OpenAI-compatible server), the built-in planner when no provider gives a valid manifest,
//! offline mode refusing a remote provider before any connection, and bad settings.
//! The test with a real model is `llm_real` (opt-in: `cargo xtask test-llm`).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::fake_llm::{FakeLlm, dead_url};
use crate::{LIBRARY, apiforge, run};

/// A manifest a model could answer for the library prompt.
fn library_manifest() -> Value {
    json!({
        "name": "library",
        "title": "Library API",
        "description": "Books and their authors.",
        "auth": { "kind": "none" },
        "entities": [
            { "name": "Book", "plural": "books", "fields": [
                { "name": "title", "type": "string", "required": true },
                { "name": "isbn", "type": "string", "required": true, "unique": true },
                { "name": "publication_year", "type": "integer" },
                { "name": "page_count", "type": "integer" }
            ], "relations": [{ "kind": "belongs_to", "target": "Author" }] },
            { "name": "Author", "plural": "authors", "fields": [
                { "name": "name", "type": "string", "required": true }
            ] }
        ]
    })
}

fn plan_llm(envs: &[(&str, &str)], extra: &[&str]) -> (i32, String, String) {
    let mut command = apiforge();
    command
        .args(["plan", "--planner", "llm"])
        .args(extra)
        .arg(LIBRARY);
    for name in [
        "APIFORGE_LLM_PROVIDER",
        "APIFORGE_LLM_BASE_URL",
        "APIFORGE_LLM_MODEL",
        "APIFORGE_LLM_FALLBACK",
        "APIFORGE_LLM_OLLAMA_BASE_URL",
        "APIFORGE_LLM_OPENAI_BASE_URL",
        "APIFORGE_LLM_TIMEOUT",
    ] {
        command.env_remove(name);
    }
    command.envs(envs.iter().copied());
    run(&mut command)
}

fn entity_names(manifest: &str) -> Vec<String> {
    let manifest: Value = serde_json::from_str(manifest).expect("manifest JSON");
    manifest["entities"]
        .as_array()
        .expect("entities")
        .iter()
        .map(|e| e["name"].as_str().unwrap_or("?").to_owned())
        .collect()
}

#[test]
fn an_openai_compatible_provider_plans_with_the_manifest_schema() {
    let fake = FakeLlm::start(|asked| {
        // The request carries the manifest schema as the output constraint and the
        // description inside the planner template.
        assert_eq!(
            asked.body["response_format"]["json_schema"]["schema"]["title"],
            "SmartAPIForge manifest"
        );
        assert!(asked.prompt.contains("Each book belongs to an author"));
        library_manifest().to_string()
    });
    let (code, stdout, stderr) = plan_llm(
        &[
            ("APIFORGE_LLM_PROVIDER", "openai"),
            ("APIFORGE_LLM_BASE_URL", &fake.url),
        ],
        &[],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stderr.contains("planned by openai (fake-model)"),
        "{stderr}"
    );
    assert_eq!(entity_names(&stdout), ["Book", "Author"]);
    assert!(
        stdout.contains("page_count"),
        "the model's field, not the built-in planner's"
    );
    assert_eq!(fake.calls(), 1);
}

#[test]
fn an_invalid_answer_is_repaired_once_then_the_builtin_planner_is_used() {
    // First answer invalid (no entities), the repair round valid.
    let repairable = FakeLlm::start(|asked| {
        if asked.messages == 1 {
            json!({ "name": "library", "title": "Library API", "entities": [] }).to_string()
        } else {
            assert!(
                asked.body["messages"].to_string().contains("not valid"),
                "the reason is sent back"
            );
            library_manifest().to_string()
        }
    });
    let (code, stdout, stderr) = plan_llm(
        &[
            ("APIFORGE_LLM_PROVIDER", "openai"),
            ("APIFORGE_LLM_BASE_URL", &repairable.url),
        ],
        &[],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stderr.contains("after one repair"), "{stderr}");
    assert_eq!(repairable.calls(), 2);

    // Never valid: two attempts, then the built-in planner's manifest.
    let hopeless = FakeLlm::start(|_| "I cannot do that".to_owned());
    let (code, stdout, stderr) = plan_llm(
        &[
            ("APIFORGE_LLM_PROVIDER", "openai"),
            ("APIFORGE_LLM_BASE_URL", &hopeless.url),
        ],
        &[],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stderr.contains("used the built-in planner"), "{stderr}");
    assert_eq!(hopeless.calls(), 2, "at most two attempts");
    let (_, builtin, _) = run(apiforge().args(["plan", LIBRARY]));
    assert_eq!(stdout, builtin, "exactly the built-in planner's manifest");
}

#[test]
fn a_dead_ollama_falls_back_to_an_openai_compatible_server() {
    let openai = FakeLlm::start(|_| library_manifest().to_string());
    let ollama = FakeLlm::start(|asked| {
        assert_eq!(asked.body["stream"], false);
        assert_eq!(asked.body["format"]["title"], "SmartAPIForge manifest");
        library_manifest().to_string()
    });
    // Ollama answers over its native API.
    let (code, _, stderr) = plan_llm(
        &[
            ("APIFORGE_LLM_PROVIDER", "ollama"),
            ("APIFORGE_LLM_BASE_URL", &ollama.url),
        ],
        &[],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("planned by ollama"), "{stderr}");
    // A dead Ollama: the chain moves on.
    let (code, stdout, stderr) = plan_llm(
        &[
            ("APIFORGE_LLM_PROVIDER", "ollama"),
            ("APIFORGE_LLM_OLLAMA_BASE_URL", &dead_url()),
            ("APIFORGE_LLM_FALLBACK", "openai,builtin"),
            ("APIFORGE_LLM_OPENAI_BASE_URL", &openai.url),
            ("APIFORGE_LLM_TIMEOUT", "2"),
        ],
        &[],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stderr.contains("planned by openai"), "{stderr}");
    assert!(stdout.contains("page_count"), "{stdout}");
}

#[test]
fn offline_mode_refuses_a_remote_provider_before_connecting() {
    // 10.255.255.1 would hang a connection attempt for the whole timeout; a refusal is
    // immediate, with exit 2 and one line.
    for (url, flag) in [
        ("http://10.255.255.1:11434", "--offline"),
        ("http://example.com", "--offline"),
    ] {
        let started = Instant::now();
        let (code, stdout, stderr) = plan_llm(
            &[
                ("APIFORGE_LLM_PROVIDER", "ollama"),
                ("APIFORGE_LLM_BASE_URL", url),
                ("APIFORGE_LLM_TIMEOUT", "30"),
            ],
            &[flag],
        );
        assert_eq!(code, 2, "{url}: {stdout}{stderr}");
        assert!(stdout.is_empty(), "{stdout}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("offline"), "{stderr}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "refused without trying to connect"
        );
    }
    // APIFORGE_OFFLINE does the same; a loopback provider is allowed.
    let (code, _, stderr) = plan_llm(
        &[
            ("APIFORGE_LLM_PROVIDER", "openai"),
            ("APIFORGE_LLM_BASE_URL", "http://example.com"),
            ("APIFORGE_OFFLINE", "1"),
        ],
        &[],
    );
    assert_eq!(code, 2, "{stderr}");
    let local = FakeLlm::start(|_| library_manifest().to_string());
    let (code, _, stderr) = plan_llm(
        &[
            ("APIFORGE_LLM_PROVIDER", "openai"),
            ("APIFORGE_LLM_BASE_URL", &local.url),
        ],
        &["--offline"],
    );
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn llm_settings_are_checked_before_planning() {
    for (envs, expect) in [
        (vec![], "needs a provider"),
        (
            vec![("APIFORGE_LLM_PROVIDER", "gpt")],
            "APIFORGE_LLM_PROVIDER",
        ),
        (
            vec![
                ("APIFORGE_LLM_PROVIDER", "openai"),
                ("APIFORGE_LLM_TIMEOUT", "soon"),
            ],
            "APIFORGE_LLM_TIMEOUT",
        ),
        (
            vec![
                ("APIFORGE_LLM_PROVIDER", "openai"),
                ("APIFORGE_LLM_BASE_URL", "not a url"),
            ],
            "APIFORGE_LLM",
        ),
    ] {
        let (code, stdout, stderr) = plan_llm(&envs, &[]);
        assert_eq!(code, 2, "{envs:?}: {stdout}{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(expect), "{envs:?}: {stderr}");
    }
}

#[test]
fn generate_and_spec_take_the_llm_planner_too() {
    let fake = FakeLlm::start(|_| library_manifest().to_string());
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("api");
    let envs = [
        ("APIFORGE_LLM_PROVIDER", "openai"),
        ("APIFORGE_LLM_BASE_URL", fake.url.as_str()),
    ];
    let (code, stdout, stderr) = run(apiforge()
        .args([
            "generate",
            "--planner",
            "llm",
            "--no-verify",
            "--target",
            "fastapi",
            "-o",
        ])
        .arg(&out)
        .arg(LIBRARY)
        .envs(envs));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let models = std::fs::read_to_string(out.join("app/models.py")).expect("models written");
    assert!(
        models.contains("page_count"),
        "the model's manifest was generated"
    );
    let (code, stdout, stderr) = run(apiforge()
        .args(["spec", "--planner", "llm", LIBRARY])
        .envs(envs));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("page_count"), "{stdout}");
}

/// Projects created with `planner: "llm"` are planned by the server's providers (the job's
/// result says how); without a provider the choice is refused up front.
#[test]
fn the_server_plans_projects_with_the_llm_planner() {
    use crate::server::{Server, assert_ok, assert_problem};
    let fake = FakeLlm::start(|_| library_manifest().to_string());
    let server = Server::start_with(
        None,
        &[],
        &[
            ("APIFORGE_LLM_PROVIDER", "openai"),
            ("APIFORGE_LLM_BASE_URL", &fake.url),
        ],
    );
    let ada = server.sign_in("ada@example.com");
    let planned = server.post_json(
        "/api/plan",
        Some(&ada),
        &json!({ "prompt": LIBRARY, "planner": "llm" }),
    );
    assert_ok("plan with the LLM", &planned);
    let planned = planned.json();
    assert_eq!(planned["planner"]["provider"], "openai", "{planned}");
    assert!(planned["manifest"].to_string().contains("page_count"));
    let created = server.post_json(
        "/api/projects",
        Some(&ada),
        &json!({ "prompt": LIBRARY, "planner": "llm" }),
    );
    assert_eq!(created.status, 202, "{}", created.describe());
    let job = created.json()["job_id"].as_str().expect("job").to_owned();
    let deadline = Instant::now() + Duration::from_secs(120);
    let done = loop {
        let current = server.get(&format!("/api/jobs/{job}"), Some(&ada)).json();
        if matches!(current["state"].as_str(), Some("succeeded" | "dead")) {
            break current;
        }
        assert!(Instant::now() < deadline, "{current:#}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(done["state"], "succeeded", "{done:#}");
    assert_eq!(done["result"]["planner"]["planner"], "llm", "{done:#}");
    assert_eq!(done["result"]["planner"]["model"], "fake-model", "{done:#}");
    assert_problem(
        "unknown planner",
        &server.post_json(
            "/api/projects",
            Some(&ada),
            &json!({ "prompt": LIBRARY, "planner": "gpt" }),
        ),
        &[422],
    );
    drop(server);

    let plain = Server::start(None);
    let bob = plain.sign_in("bob@example.com");
    assert_problem(
        "llm without a provider",
        &plain.post_json(
            "/api/projects",
            Some(&bob),
            &json!({ "prompt": LIBRARY, "planner": "llm" }),
        ),
        &[503],
    );
}
