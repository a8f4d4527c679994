//! A scripted HTTP server on 127.0.0.1 that records what it receives.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apiforge_llm::ProviderSettings;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// One scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    status: u16,
    body: String,
    delay: Duration,
}

impl Reply {
    /// 200 with a JSON body.
    pub fn json(value: Value) -> Self {
        Self::raw(200, &value.to_string())
    }

    /// Any status with a raw body.
    pub fn raw(status: u16, body: &str) -> Self {
        Self {
            status,
            body: body.to_owned(),
            delay: Duration::ZERO,
        }
    }

    /// A server that accepts the request and never answers.
    pub fn hang() -> Self {
        Self {
            delay: Duration::from_secs(3600),
            ..Self::raw(200, "{}")
        }
    }
}

/// What the server received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Value,
}

#[derive(Debug, Default)]
struct Script {
    replies: Mutex<VecDeque<Reply>>,
    requests: Mutex<Vec<Recorded>>,
}

/// The server; it stops when dropped.
#[derive(Debug)]
pub struct MockServer {
    pub url: String,
    pub port: u16,
    script: Arc<Script>,
    task: tokio::task::JoinHandle<()>,
}

impl MockServer {
    /// Serves `replies` in order, repeating the last one.
    pub async fn start(replies: Vec<Reply>) -> Self {
        let script = Arc::new(Script {
            replies: Mutex::new(replies.into()),
            requests: Mutex::default(),
        });
        let router = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&script));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let port = listener.local_addr().expect("local address").port();
        let task = tokio::spawn(async move {
            axum::serve(listener, router).await.expect("serve");
        });
        Self {
            url: format!("http://127.0.0.1:{port}"),
            port,
            script,
            task,
        }
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.script.requests.lock().expect("lock").clone()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(
    State(script): State<Arc<Script>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    script.requests.lock().expect("lock").push(Recorded {
        method,
        path: uri.path().to_owned(),
        headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    let reply = {
        let mut replies = script.replies.lock().expect("lock");
        if replies.len() > 1 {
            replies.pop_front()
        } else {
            replies.front().cloned()
        }
    }
    .unwrap_or_else(|| Reply::raw(500, "no reply scripted"));
    tokio::time::sleep(reply.delay).await;
    (
        StatusCode::from_u16(reply.status).expect("a valid status"),
        [(header::CONTENT_TYPE, "application/json")],
        reply.body,
    )
        .into_response()
}

/// An Ollama `/api/chat` answer (`stream: false`).
pub fn ollama_answer(content: &str, prompt_tokens: u64, completion_tokens: u64) -> Value {
    json!({
        "model": "llama3.2:latest",
        "created_at": "2026-11-02T10:00:00.000000Z",
        "message": {"role": "assistant", "content": content},
        "done_reason": "stop",
        "done": true,
        "total_duration": 1_000_000_u64,
        "load_duration": 1000,
        "prompt_eval_count": prompt_tokens,
        "prompt_eval_duration": 1000,
        "eval_count": completion_tokens,
        "eval_duration": 1000,
    })
}

/// An OpenAI `/v1/chat/completions` answer.
pub fn openai_answer(content: &str, prompt_tokens: u64, completion_tokens: u64) -> Value {
    json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_793_000_000_u64,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": null},
            "logprobs": null,
            "finish_reason": "stop",
        }],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    })
}

/// Settings for tests: 5 s timeout, 2 retries from 10 ms.
pub fn settings(base_url: &str, model: &str) -> ProviderSettings {
    let mut settings = ProviderSettings::new(base_url, model);
    settings.timeout = Duration::from_secs(5);
    settings.backoff = Duration::from_millis(10);
    settings
}

/// A loopback port with nothing listening on it.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("local address").port()
}

/// The manifest-like schema the tests ask for.
pub fn schema() -> Value {
    json!({
        "type": "object",
        "properties": {"name": {"type": "string"}},
        "required": ["name"],
        "additionalProperties": false,
    })
}

/// The header's value, if present.
pub fn header_value(recorded: &Recorded, name: &str) -> Option<String> {
    recorded
        .headers
        .get(name)
        .map(|value| value.to_str().expect("an ASCII header").to_owned())
}
