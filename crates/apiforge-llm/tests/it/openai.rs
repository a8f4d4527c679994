//! `OpenAiProvider` against a server speaking the OpenAI chat completions API.

use apiforge_llm::{
    ChatRequest, LlmError, Message, OpenAiProvider, Price, Provider, Secret, Usage,
};
use serde_json::json;

use crate::support::{MockServer, Reply, header_value, openai_answer, schema, settings};

fn request() -> ChatRequest {
    ChatRequest::new(vec![Message::user("a shop with orders")]).with_schema("manifest", schema())
}

#[tokio::test]
async fn chat_with_schema_and_key() {
    let server = MockServer::start(vec![Reply::json(openai_answer(
        r#"{"name":"shop"}"#,
        1000,
        500,
    ))])
    .await;
    for base in [
        server.url.clone(),
        format!("{}/", server.url),
        format!("{}/v1", server.url),
        format!("{}/v1/", server.url),
    ] {
        let mut settings = settings(&base, "gpt-4o-mini");
        settings.api_key = Some(Secret::new("sk-test-123"));
        settings.prices.insert(
            "gpt-4o-mini".into(),
            Price {
                input_per_million: 0.15,
                output_per_million: 0.6,
            },
        );
        let provider = OpenAiProvider::new(settings).expect("valid settings");
        assert_eq!(
            provider.chat_url(),
            format!("{}/v1/chat/completions", server.url),
            "{base}"
        );
        let response = provider.chat(&request()).await.expect("an answer");
        assert_eq!(response.content, r#"{"name":"shop"}"#);
        assert_eq!(response.provider, "openai");
        assert_eq!(response.model, "gpt-4o-mini-2024-07-18");
        assert_eq!(
            response.usage,
            Usage {
                prompt_tokens: 1000,
                completion_tokens: 500
            }
        );
        let cost = response.cost_usd.expect("priced");
        assert!((cost - 0.00045).abs() < 1e-12, "{cost}");
    }
    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    for received in &requests {
        assert_eq!(received.method, "POST");
        assert_eq!(received.path, "/v1/chat/completions");
        assert_eq!(
            header_value(received, "authorization").as_deref(),
            Some("Bearer sk-test-123")
        );
        assert_eq!(
            received.body,
            json!({
                "model": "gpt-4o-mini",
                "messages": [{"role": "user", "content": "a shop with orders"}],
                "stream": false,
                "temperature": 0.0,
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "manifest", "schema": schema(), "strict": true},
                },
            })
        );
    }
}

#[tokio::test]
async fn no_key_no_authorization_header_and_no_price_no_cost() {
    let server = MockServer::start(vec![Reply::json(openai_answer("{}", 3, 4))]).await;
    let provider =
        OpenAiProvider::new(settings(&server.url, "local-model")).expect("valid settings");
    let response = provider
        .chat(&ChatRequest::new(vec![Message::user("hi")]).with_max_tokens(32))
        .await
        .expect("an answer");
    assert_eq!(response.cost_usd, None);
    let received = &server.requests()[0];
    assert_eq!(header_value(received, "authorization"), None);
    assert_eq!(received.body.get("response_format"), None);
    assert_eq!(received.body["max_tokens"], 32);
}

#[tokio::test]
async fn a_path_prefix_is_kept() {
    let server = MockServer::start(vec![Reply::json(openai_answer("{}", 1, 1))]).await;
    let provider = OpenAiProvider::new(settings(&format!("{}/proxy/openai/v1", server.url), "m"))
        .expect("valid settings");
    provider.chat(&request()).await.expect("an answer");
    assert_eq!(
        server.requests()[0].path,
        "/proxy/openai/v1/chat/completions"
    );
}

#[tokio::test]
async fn server_errors_are_retried_and_client_errors_are_not() {
    let server = MockServer::start(vec![
        Reply::raw(502, "bad gateway"),
        Reply::json(openai_answer("{}", 1, 1)),
    ])
    .await;
    let provider = OpenAiProvider::new(settings(&server.url, "m")).expect("valid settings");
    assert_eq!(
        provider.chat(&request()).await.expect("retried").attempts,
        2
    );

    let server = MockServer::start(vec![Reply::raw(
        401,
        r#"{"error":{"message":"Incorrect API key provided: sk-wr***","type":"invalid_request_error","code":"invalid_api_key"}}"#,
    )])
    .await;
    let provider = OpenAiProvider::new(settings(&server.url, "m")).expect("valid settings");
    let error = provider.chat(&request()).await.expect_err("401");
    assert_eq!(
        error.to_string(),
        "the server answered HTTP 401: Incorrect API key provided: sk-wr***\nhint: check APIFORGE_LLM_API_KEY"
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn malformed_answers_are_errors() {
    for body in [
        "not json at all",
        r#"{"choices": []}"#,
        r#"{"choices": [{"message": {}}]}"#,
    ] {
        let server = MockServer::start(vec![Reply::raw(200, body)]).await;
        let provider = OpenAiProvider::new(settings(&server.url, "m")).expect("valid settings");
        let error = provider.chat(&request()).await.expect_err(body);
        assert!(
            matches!(error, LlmError::Malformed { .. }),
            "{body}: {error:?}"
        );
        assert_eq!(server.requests().len(), 1, "{body}");
    }
}

#[tokio::test]
async fn probe_reads_the_model_list_with_the_key() {
    let models = json!({"object": "list", "data": [
        {"id": "gpt-4o-mini", "object": "model", "owned_by": "system"},
        {"id": "text-embedding-3-small", "object": "model", "owned_by": "system"},
    ]});
    let server = MockServer::start(vec![Reply::json(models)]).await;
    let mut listed = settings(&format!("{}/v1", server.url), "gpt-4o-mini");
    listed.api_key = Some(Secret::new("sk-probe"));
    let message = OpenAiProvider::new(listed)
        .expect("valid settings")
        .probe()
        .await
        .expect("answers");
    assert_eq!(
        message,
        format!(
            "openai-compatible server at {}/v1 answers; model gpt-4o-mini is listed",
            server.url
        )
    );
    let unlisted = OpenAiProvider::new(settings(&server.url, "llama"))
        .expect("valid settings")
        .probe()
        .await
        .expect("answers");
    assert!(
        unlisted
            .ends_with("model llama is not listed (it lists: gpt-4o-mini, text-embedding-3-small)"),
        "{unlisted}"
    );
    let requests = server.requests();
    assert_eq!(
        (requests[0].method.as_str(), requests[0].path.as_str()),
        ("GET", "/v1/models")
    );
    assert_eq!(
        header_value(&requests[0], "authorization").as_deref(),
        Some("Bearer sk-probe")
    );
    assert_eq!(header_value(&requests[1], "authorization"), None);
}

/// https goes through rustls on the ring provider (reqwest has no provider of its own here):
/// building the client must not panic, and a server that does not speak TLS is a clean
/// connection error. On a machine without system CA certificates building is refused with a
/// hint instead.
#[tokio::test]
async fn https_uses_rustls_with_ring() {
    let server = MockServer::start(vec![Reply::json(openai_answer("{}", 1, 1))]).await;
    let mut tls = settings(&format!("https://127.0.0.1:{}", server.port), "m");
    tls.retries = 0;
    match OpenAiProvider::new(tls) {
        Ok(provider) => {
            let error = provider
                .chat(&request())
                .await
                .expect_err("plain http server");
            assert!(matches!(error, LlmError::Connect { .. }), "{error:?}");
        }
        Err(error) => assert!(
            error
                .to_string()
                .contains("hint: install the system's CA certificates"),
            "{error}"
        ),
    }
}
