//! `OllamaProvider` against a server speaking Ollama's native API.

use std::time::{Duration, Instant};

use apiforge_llm::{
    ChatRequest, LlmError, Message, OllamaProvider, Price, Provider, Secret, Usage,
};
use serde_json::json;

use crate::support::{
    MockServer, Reply, closed_port, header_value, ollama_answer, schema, settings,
};

fn request() -> ChatRequest {
    ChatRequest::new(vec![
        Message::system("You turn API descriptions into manifests."),
        Message::user("a library with books"),
    ])
    .with_schema("manifest", schema())
}

#[tokio::test]
async fn chat_with_schema_sends_the_native_request_and_reads_usage_and_cost() {
    let server = MockServer::start(vec![Reply::json(ollama_answer(
        r#"{"name":"library"}"#,
        120,
        30,
    ))])
    .await;
    let mut settings = settings(&server.url, "llama3.2");
    settings.api_key = Some(Secret::new("sk-never-sent-to-ollama"));
    settings.prices.insert(
        "llama3.2".into(),
        Price {
            input_per_million: 1.0,
            output_per_million: 2.0,
        },
    );
    let provider = OllamaProvider::new(settings).expect("valid settings");
    assert_eq!(provider.chat_url(), format!("{}/api/chat", server.url));

    let response = provider.chat(&request()).await.expect("an answer");

    assert_eq!(response.content, r#"{"name":"library"}"#);
    assert_eq!(response.provider, "ollama");
    assert_eq!(response.model, "llama3.2:latest");
    assert_eq!(
        response.usage,
        Usage {
            prompt_tokens: 120,
            completion_tokens: 30
        }
    );
    assert_eq!(response.attempts, 1);
    let cost = response.cost_usd.expect("llama3.2 is in the price table");
    assert!((cost - (120.0 + 60.0) / 1e6).abs() < 1e-12, "{cost}");

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let received = &requests[0];
    assert_eq!(received.method, "POST");
    assert_eq!(received.path, "/api/chat");
    assert_eq!(header_value(received, "authorization"), None);
    assert_eq!(
        header_value(received, "content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(
        received.body,
        json!({
            "model": "llama3.2",
            "messages": [
                {"role": "system", "content": "You turn API descriptions into manifests."},
                {"role": "user", "content": "a library with books"},
            ],
            "stream": false,
            "options": {"temperature": 0.0},
            "format": schema(),
        })
    );
}

#[tokio::test]
async fn without_schema_there_is_no_format_and_max_tokens_is_num_predict() {
    let server = MockServer::start(vec![Reply::json(ollama_answer("hello", 1, 1))]).await;
    let provider = OllamaProvider::new(settings(&format!("{}/", server.url), "qwen2.5:0.5b"))
        .expect("valid settings");
    let plain = ChatRequest::new(vec![Message::user("hi")])
        .with_temperature(0.7)
        .with_max_tokens(64);
    provider.chat(&plain).await.expect("an answer");
    let body = &server.requests()[0].body;
    assert_eq!(body.get("format"), None);
    assert_eq!(body["model"], "qwen2.5:0.5b");
    assert_eq!(
        body["options"],
        json!({"temperature": 0.7, "num_predict": 64})
    );
}

#[tokio::test]
async fn server_errors_are_retried_until_success() {
    let server = MockServer::start(vec![
        Reply::raw(500, r#"{"error":"llama runner process has terminated"}"#),
        Reply::raw(503, "busy"),
        Reply::json(ollama_answer("{}", 5, 5)),
    ])
    .await;
    let provider = OllamaProvider::new(settings(&server.url, "llama3.2")).expect("valid settings");
    let response = provider
        .chat(&request())
        .await
        .expect("the third attempt answers");
    assert_eq!(response.attempts, 3);
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn retries_stop_after_the_configured_number() {
    let server = MockServer::start(vec![Reply::raw(500, r#"{"error":"out of memory"}"#)]).await;
    let provider = OllamaProvider::new(settings(&server.url, "llama3.2")).expect("valid settings");
    let error = provider.chat(&request()).await.expect_err("always 500");
    match &error {
        LlmError::Http { status: 500, body } => assert_eq!(body, "out of memory"),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(server.requests().len(), 3, "one attempt and two retries");
}

#[tokio::test]
async fn rate_limiting_is_retried() {
    let server = MockServer::start(vec![
        Reply::raw(429, "slow down"),
        Reply::json(ollama_answer("{}", 1, 1)),
    ])
    .await;
    let provider = OllamaProvider::new(settings(&server.url, "llama3.2")).expect("valid settings");
    let response = provider.chat(&request()).await.expect("the retry answers");
    assert_eq!(response.attempts, 2);
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let server = MockServer::start(vec![Reply::raw(
        404,
        r#"{"error":"model \"nope\" not found, try pulling it first"}"#,
    )])
    .await;
    let provider = OllamaProvider::new(settings(&server.url, "nope")).expect("valid settings");
    let error = provider.chat(&request()).await.expect_err("404");
    assert!(!error.is_transient());
    assert_eq!(
        error.to_string(),
        "the server answered HTTP 404: model \"nope\" not found, try pulling it first\nhint: check APIFORGE_LLM_BASE_URL and that the model APIFORGE_LLM_MODEL exists there (ollama: `ollama pull <model>`)"
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn malformed_answers_are_errors_and_not_retried() {
    for body in ["{\"message\": {\"content\": ", "[]", r#"{"done": true}"#] {
        let server = MockServer::start(vec![Reply::raw(200, body)]).await;
        let provider =
            OllamaProvider::new(settings(&server.url, "llama3.2")).expect("valid settings");
        let error = provider.chat(&request()).await.expect_err(body);
        assert!(
            matches!(error, LlmError::Malformed { .. }),
            "{body}: {error:?}"
        );
        assert_eq!(server.requests().len(), 1, "{body}");
    }
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let server = MockServer::start(vec![Reply::hang()]).await;
    let mut settings = settings(&server.url, "llama3.2");
    settings.timeout = Duration::from_millis(300);
    settings.retries = 1;
    let provider = OllamaProvider::new(settings).expect("valid settings");
    let started = Instant::now();
    let error = provider.chat(&request()).await.expect_err("no answer");
    let elapsed = started.elapsed();
    assert!(
        matches!(error, LlmError::Timeout { after } if after == Duration::from_millis(300)),
        "{error:?}"
    );
    assert!(error.is_transient());
    assert_eq!(server.requests().len(), 2, "timeouts are retried");
    assert!(
        elapsed >= Duration::from_millis(600) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn connection_refused_is_a_connect_error() {
    let url = format!("http://127.0.0.1:{}", closed_port());
    let mut settings = settings(&url, "llama3.2");
    settings.retries = 1;
    let provider = OllamaProvider::new(settings).expect("valid settings");
    let error = provider
        .chat(&request())
        .await
        .expect_err("nothing listens");
    match &error {
        LlmError::Connect { url: shown, reason } => {
            assert_eq!(shown, &format!("{url}/api/chat"));
            assert!(reason.to_lowercase().contains("refused"), "{reason}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        error
            .to_string()
            .contains("hint: is the server running there?")
    );
}

#[tokio::test]
async fn probe_lists_the_models() {
    let tags = json!({"models": [
        {"name": "llama3.2:latest", "model": "llama3.2:latest", "size": 2_019_393_189_u64},
        {"name": "qwen2.5:0.5b", "model": "qwen2.5:0.5b", "size": 397_821_319},
    ]});
    let server = MockServer::start(vec![Reply::json(tags)]).await;
    let found = OllamaProvider::new(settings(&server.url, "llama3.2"))
        .expect("valid settings")
        .probe()
        .await
        .expect("llama3.2 is there");
    assert_eq!(
        found,
        format!(
            "ollama at {}/ answers; model llama3.2 is available (2 models)",
            server.url
        )
    );
    let missing = OllamaProvider::new(settings(&server.url, "mistral"))
        .expect("valid settings")
        .probe()
        .await
        .expect_err("mistral is not pulled");
    assert!(
        missing
            .to_string()
            .contains("(it has: llama3.2:latest, qwen2.5:0.5b)\nhint: run `ollama pull mistral`"),
        "{missing}"
    );
    let requests = server.requests();
    assert_eq!(
        (requests[0].method.as_str(), requests[0].path.as_str()),
        ("GET", "/api/tags")
    );
}
