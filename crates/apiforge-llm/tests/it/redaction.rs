//! The API key never appears in Debug or Display output, errors or logs.

use std::io::Write;
use std::sync::{Arc, Mutex};

use apiforge_llm::{
    Chain, ChatRequest, KindOverrides, LlmConfig, LlmError, Message, OpenAiProvider, Provider,
    ProviderKind, Secret, env,
};
use serde_json::json;

use crate::support::{MockServer, Reply, closed_port, ollama_answer, openai_answer, settings};

const KEY: &str = "sk-live-SUPERSECRET-0123456789";
const PROMPT: &str = "PRIVATE-PROMPT-TEXT about payroll";

fn assert_clean(what: &str, text: &str) {
    assert!(!text.contains(KEY), "{what} shows the key: {text}");
    assert!(
        !text.contains("SUPERSECRET"),
        "{what} shows part of the key: {text}"
    );
}

#[test]
fn config_debug_and_display_hide_the_key() {
    let config = LlmConfig::from_env(|name| match name {
        n if n == env::PROVIDER => Some("openai".into()),
        n if n == env::API_KEY => Some(KEY.into()),
        _ => None,
    })
    .expect("valid");
    assert_clean("Debug", &format!("{config:?}"));
    assert_clean("alternate Debug", &format!("{config:#?}"));
    assert_clean("Display", &config.to_string());
    assert!(format!("{config:?}").contains("Secret([redacted])"));
    let settings = config.settings_for(ProviderKind::Openai).expect("valid");
    assert_clean("settings Debug", &format!("{settings:?}"));
    let provider = OpenAiProvider::new(settings).expect("valid");
    assert_clean("provider Debug", &format!("{provider:?}"));
    let chain = Chain::from_config(&config).expect("valid");
    assert_clean("chain Debug", &format!("{chain:?}"));
    assert_clean("secret Debug", &format!("{:?}", Secret::new(KEY)));
}

#[tokio::test]
async fn errors_hide_the_key_even_when_the_server_echoes_it() {
    let echo = json!({"error": {"message": format!("Incorrect API key provided: {KEY}")}});
    let server = MockServer::start(vec![Reply::raw(401, &echo.to_string())]).await;
    let mut settings = settings(&server.url, "gpt-4o-mini");
    settings.api_key = Some(Secret::new(KEY));
    let error = OpenAiProvider::new(settings.clone())
        .expect("valid")
        .chat(&ChatRequest::new(vec![Message::user(PROMPT)]))
        .await
        .expect_err("401");
    assert_eq!(
        error.to_string(),
        "the server answered HTTP 401: Incorrect API key provided: [redacted]\nhint: check APIFORGE_LLM_API_KEY"
    );
    assert_clean("error Debug", &format!("{error:?}"));

    settings.base_url = format!("http://127.0.0.1:{}", closed_port());
    settings.retries = 0;
    let connect = OpenAiProvider::new(settings)
        .expect("valid")
        .chat(&ChatRequest::new(vec![Message::user(PROMPT)]))
        .await
        .expect_err("refused");
    let all = LlmError::AllFailed {
        attempts: vec![("openai".into(), error), ("openai".into(), connect)],
    };
    assert_clean("AllFailed Display", &all.to_string());
    assert_clean("AllFailed Debug", &format!("{all:?}"));
}

#[tokio::test]
async fn malformed_answers_echoing_the_key_are_scrubbed() {
    let echo = json!({"unexpected": KEY});
    let server = MockServer::start(vec![Reply::json(echo)]).await;
    let mut settings = settings(&server.url, "m");
    settings.api_key = Some(Secret::new(KEY));
    let provider = OpenAiProvider::new(settings).expect("valid");
    let error = provider
        .chat(&ChatRequest::new(vec![Message::user(PROMPT)]))
        .await
        .expect_err("no choices");
    assert!(matches!(error, LlmError::Malformed { .. }), "{error:?}");
    assert!(error.to_string().contains("[redacted]"), "{error}");
    assert_clean("malformed error", &format!("{error} {error:?}"));
    let probe = provider.probe().await.expect_err("no data list");
    assert_clean("probe error", &format!("{probe} {probe:?}"));
}

#[test]
fn config_errors_hide_the_key() {
    let error = LlmConfig::from_env(|name| {
        (name == env::BASE_URL).then(|| format!("http://me:{KEY}@127.0.0.1:8080"))
    })
    .expect_err("credentials in the URL");
    assert_clean("config error", &error.to_string());
    let error =
        LlmConfig::from_env(|name| (name == env::BASE_URL).then(|| format!("not a url {KEY}@")))
            .expect_err("unparsable");
    assert_clean("config error", &error.to_string());
    let mut bad = settings("http://127.0.0.1:8080", "m");
    bad.api_key = Some(Secret::new(format!("{KEY}\n")));
    let error = OpenAiProvider::new(bad).expect_err("a newline cannot be sent in a header");
    assert_clean("header error", &error.to_string());
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn logs_show_the_call_but_never_the_key_or_the_prompt() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let ok = MockServer::start(vec![
        Reply::raw(500, &format!("boom {KEY}")),
        Reply::json(ollama_answer("{}", 11, 7)),
    ])
    .await;
    let config = LlmConfig {
        provider: ProviderKind::Openai,
        fallback: vec![ProviderKind::Ollama],
        api_key: Some(Secret::new(KEY)),
        backoff: std::time::Duration::from_millis(5),
        retries: 1,
        openai: KindOverrides {
            base_url: Some(format!("http://127.0.0.1:{}", closed_port())),
            model: None,
        },
        ollama: KindOverrides {
            base_url: Some(ok.url.clone()),
            model: None,
        },
        ..LlmConfig::default()
    };
    // openai is refused; ollama answers after a 500 that echoes the key.
    let chain = Chain::from_config(&config).expect("valid");
    let answer = chain
        .chat(&ChatRequest::new(vec![Message::user(PROMPT)]))
        .await
        .expect("ollama answers");
    assert_eq!(answer.response.provider, "ollama");
    let logs = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("UTF-8 logs");
    assert!(logs.contains("LLM call failed"), "{logs}");
    assert!(
        logs.contains("LLM provider failed; trying the next one"),
        "{logs}"
    );
    assert_clean("logs", &logs);
    assert!(
        !logs.contains("PRIVATE-PROMPT"),
        "logs show the prompt: {logs}"
    );

    // A successful call logs provider, model, latency, tokens and attempts.
    captured.0.lock().expect("lock").clear();
    let ok = MockServer::start(vec![Reply::json(openai_answer("{}", 11, 7))]).await;
    let mut good = settings(&ok.url, "gpt-4o-mini");
    good.api_key = Some(Secret::new(KEY));
    OpenAiProvider::new(good)
        .expect("valid")
        .chat(&ChatRequest::new(vec![Message::user(PROMPT)]))
        .await
        .expect("an answer");
    let logs = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("UTF-8 logs");
    assert!(logs.contains("LLM call answered"), "{logs}");
    for field in [
        "provider=\"openai\"",
        "model=gpt-4o-mini-2024-07-18",
        "latency_ms=",
        "prompt_tokens=11",
        "completion_tokens=7",
        "attempt=1",
    ] {
        assert!(logs.contains(field), "{field} missing: {logs}");
    }
    assert_clean("logs", &logs);
    assert!(
        !logs.contains("PRIVATE-PROMPT"),
        "logs show the prompt: {logs}"
    );
}
