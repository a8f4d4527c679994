//! The fallback chain, built from configuration, against both wire formats.

use std::time::Duration;

use apiforge_llm::{
    Chain, ChatRequest, KindOverrides, LlmConfig, LlmError, Message, ProviderKind, Role, Usage,
};
use serde_json::Value;

use crate::support::{MockServer, Reply, closed_port, ollama_answer, openai_answer, schema};

fn config(ollama_url: &str, openai_url: &str) -> LlmConfig {
    LlmConfig {
        provider: ProviderKind::Ollama,
        fallback: vec![ProviderKind::Openai, ProviderKind::Builtin],
        retries: 1,
        backoff: Duration::from_millis(10),
        timeout: Duration::from_secs(5),
        ollama: KindOverrides {
            base_url: Some(ollama_url.to_owned()),
            model: Some("llama3.2".into()),
        },
        openai: KindOverrides {
            base_url: Some(openai_url.to_owned()),
            model: Some("gpt-4o-mini".into()),
        },
        ..LlmConfig::default()
    }
}

fn request() -> ChatRequest {
    ChatRequest::new(vec![Message::user("a blog with posts")]).with_schema("manifest", schema())
}

/// The test's "manifest validation": a JSON object with a string `name`.
fn validate(content: &str) -> Result<String, String> {
    let value: Value = serde_json::from_str(content).map_err(|e| format!("not JSON: {e}"))?;
    value
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| "`name` is required".to_owned())
}

#[tokio::test]
async fn falls_back_from_ollama_to_openai() {
    let ollama = MockServer::start(vec![Reply::raw(500, r#"{"error":"runner crashed"}"#)]).await;
    let openai = MockServer::start(vec![Reply::json(openai_answer(
        r#"{"name":"blog"}"#,
        10,
        5,
    ))])
    .await;
    let chain = Chain::from_config(&config(&ollama.url, &openai.url)).expect("valid config");
    assert!(chain.builtin_fallback());
    assert_eq!(
        chain
            .providers()
            .iter()
            .map(|p| p.name())
            .collect::<Vec<_>>(),
        ["ollama", "openai"]
    );

    let answer = chain.chat(&request()).await.expect("openai answers");

    assert_eq!(answer.response.provider, "openai");
    assert_eq!(answer.response.content, r#"{"name":"blog"}"#);
    assert!(!answer.repaired);
    assert_eq!(answer.failures.len(), 1);
    let failure = &answer.failures[0];
    assert_eq!(
        (failure.provider.as_str(), failure.model.as_str()),
        ("ollama", "llama3.2")
    );
    assert!(
        matches!(&failure.error, LlmError::Http { status: 500, body } if body == "runner crashed"),
        "{:?}",
        failure.error
    );
    assert_eq!(ollama.requests().len(), 2, "ollama was retried once");
    assert_eq!(openai.requests().len(), 1);
}

#[tokio::test]
async fn all_failed_lists_every_failure_in_order() {
    let ollama = MockServer::start(vec![Reply::hang()]).await;
    let openai_url = format!("http://127.0.0.1:{}", closed_port());
    let mut config = config(&ollama.url, &openai_url);
    config.timeout = Duration::from_millis(300);
    config.retries = 0;
    let chain = Chain::from_config(&config).expect("valid config");

    let error = chain.chat(&request()).await.expect_err("nobody answers");

    let LlmError::AllFailed { attempts } = &error else {
        panic!("unexpected {error:?}");
    };
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[0].0, "ollama");
    assert!(
        matches!(attempts[0].1, LlmError::Timeout { .. }),
        "{:?}",
        attempts[0].1
    );
    assert_eq!(attempts[1].0, "openai");
    assert!(
        matches!(attempts[1].1, LlmError::Connect { .. }),
        "{:?}",
        attempts[1].1
    );
    let text = error.to_string();
    assert!(
        text.starts_with(
            "every LLM provider failed: ollama: no answer within 300 ms; openai: could not reach"
        ),
        "{text}"
    );
    assert!(
        text.ends_with("\nhint: `apiforge doctor` checks every configured provider"),
        "{text}"
    );
}

#[tokio::test]
async fn without_builtin_in_the_fallback_the_caller_knows_failure_is_final() {
    let mut config = config("http://127.0.0.1:1", "http://127.0.0.1:1");
    config.fallback = vec![ProviderKind::Openai];
    assert!(
        !Chain::from_config(&config)
            .expect("valid config")
            .builtin_fallback()
    );
}

#[tokio::test]
async fn the_builtin_provider_means_no_request_at_all() {
    let chain = Chain::from_config(&LlmConfig::default()).expect("the default config");
    assert!(chain.is_builtin_only());
    assert!(chain.builtin_fallback());
    let error = chain.chat(&request()).await.expect_err("builtin only");
    assert!(matches!(&error, LlmError::AllFailed { attempts } if attempts.is_empty()));
    assert_eq!(
        error.to_string(),
        "no LLM provider was tried (the provider is builtin)"
    );
    assert!(chain.probe().await.is_empty());
}

#[tokio::test]
async fn an_invalid_answer_is_repaired_by_the_same_provider() {
    let ollama = MockServer::start(vec![
        Reply::json(ollama_answer(r#"{"title":"blog"}"#, 100, 10)),
        Reply::json(ollama_answer(r#"{"name":"blog"}"#, 130, 12)),
    ])
    .await;
    let chain =
        Chain::from_config(&config(&ollama.url, "http://127.0.0.1:1")).expect("valid config");

    let answer = chain
        .chat_validated(&request(), validate)
        .await
        .expect("repaired");

    assert_eq!(answer.value, "blog");
    assert!(answer.repaired);
    assert!(answer.failures.is_empty());
    assert_eq!(answer.response.provider, "ollama");
    assert_eq!(
        answer.response.usage,
        Usage {
            prompt_tokens: 230,
            completion_tokens: 22
        }
    );
    assert_eq!(answer.response.attempts, 2);
    let requests = ollama.requests();
    assert_eq!(requests.len(), 2);
    let messages = requests[1].body["messages"]
        .as_array()
        .expect("messages")
        .clone();
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[1]["role"], Role::Assistant.as_str());
    assert_eq!(messages[1]["content"], r#"{"title":"blog"}"#);
    assert_eq!(messages[2]["role"], "user");
    assert_eq!(
        messages[2]["content"],
        "Your previous answer is not valid: `name` is required\nAnswer again with only the corrected JSON document, following the schema exactly."
    );
    assert_eq!(
        requests[1].body["format"],
        schema(),
        "the repair keeps the schema"
    );
}

#[tokio::test]
async fn an_answer_still_invalid_after_repair_falls_back() {
    let ollama = MockServer::start(vec![Reply::json(ollama_answer("not json", 1, 1))]).await;
    let openai =
        MockServer::start(vec![Reply::json(openai_answer(r#"{"name":"blog"}"#, 1, 1))]).await;
    let chain = Chain::from_config(&config(&ollama.url, &openai.url)).expect("valid config");

    let answer = chain
        .chat_validated(&request(), validate)
        .await
        .expect("openai answers");

    assert_eq!(answer.response.provider, "openai");
    assert_eq!(answer.value, "blog");
    assert!(!answer.repaired);
    assert_eq!(
        ollama.requests().len(),
        2,
        "the answer and one repair round"
    );
    let failure = &answer.failures[0];
    assert_eq!(failure.provider, "ollama");
    assert!(
        matches!(&failure.error, LlmError::InvalidOutput { reason } if reason.starts_with("not JSON")),
        "{:?}",
        failure.error
    );
}

#[test]
fn chain_futures_can_be_spawned() {
    fn assert_send<T: Send>(_: &T) {}
    let chain = Chain::from_config(&LlmConfig::default()).expect("the default config");
    let request = request();
    assert_send(&chain.chat(&request));
    assert_send(&chain.chat_validated(&request, validate));
    assert_send(&chain.probe());
}

#[tokio::test]
async fn probe_reports_each_provider() {
    let ollama = MockServer::start(vec![Reply::json(
        serde_json::json!({"models": [{"name": "llama3.2:latest"}]}),
    )])
    .await;
    let openai_url = format!("http://127.0.0.1:{}", closed_port());
    let chain = Chain::from_config(&config(&ollama.url, &openai_url)).expect("valid config");
    let statuses = chain.probe().await;
    assert_eq!(statuses.len(), 2);
    assert_eq!(statuses[0].provider, "ollama");
    assert!(statuses[0].result.is_ok(), "{:?}", statuses[0].result);
    assert_eq!(
        (statuses[1].provider.as_str(), statuses[1].model.as_str()),
        ("openai", "gpt-4o-mini")
    );
    assert!(
        matches!(statuses[1].result, Err(LlmError::Connect { .. })),
        "{:?}",
        statuses[1].result
    );
}
