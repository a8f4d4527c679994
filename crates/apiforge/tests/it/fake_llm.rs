//! Local HTTP servers that speak the LLM wire formats (OpenAI-compatible
//! `/v1/chat/completions` and Ollama's `/api/chat`), answering with what a test's responder
//! says, and listing [`MODEL`] at `/v1/models` and `/api/tags` (the probes): the only
//! stand-in for a model in the end-to-end tests (the real one is opt-in).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

/// The model name the fakes report.
pub const MODEL: &str = "fake-model";

/// What a responder sees: the request body and the first user message's text.
pub struct Asked {
    pub body: Value,
    pub prompt: String,
    /// Messages in the request (2 or more: a repair round).
    pub messages: usize,
}

type Responder = dyn Fn(&Asked) -> String + Send + Sync;

/// A running fake; it lives as long as the test process.
pub struct FakeLlm {
    pub url: String,
    pub calls: Arc<AtomicUsize>,
}

impl FakeLlm {
    /// Starts a fake whose answer content is `respond(asked)`, in the wire format of the
    /// path asked (`/v1/chat/completions` or `/api/chat`).
    pub fn start(respond: impl Fn(&Asked) -> String + Send + Sync + 'static) -> FakeLlm {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let url = format!("http://{}", listener.local_addr().expect("a local address"));
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let respond: Arc<Responder> = Arc::new(respond);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (counter, respond) = (counter.clone(), respond.clone());
                std::thread::spawn(move || serve(stream, &counter, respond.as_ref()));
            }
        });
        FakeLlm { url, calls }
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

fn serve(stream: std::net::TcpStream, calls: &AtomicUsize, respond: &Responder) {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let listing = if request_line.starts_with("GET /v1/models") {
        Some(json!({ "object": "list", "data": [{ "id": MODEL, "object": "model" }] }))
    } else if request_line.starts_with("GET /api/tags") {
        Some(json!({ "models": [{ "name": MODEL }] }))
    } else {
        None
    };
    if let Some(listing) = listing {
        respond_json(reader.into_inner(), &listing.to_string());
        return;
    }
    calls.fetch_add(1, Ordering::SeqCst);
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let asked = Asked {
        prompt: messages
            .iter()
            .find(|m| m["role"] == "user")
            .and_then(|m| m["content"].as_str())
            .unwrap_or_default()
            .to_owned(),
        messages: messages.len(),
        body,
    };
    let content = respond(&asked);
    let response = if request_line.contains("/api/chat") {
        json!({
            "model": MODEL,
            "created_at": "2026-11-24T00:00:00Z",
            "message": { "role": "assistant", "content": content },
            "done": true,
            "prompt_eval_count": 12,
            "eval_count": 7
        })
    } else {
        json!({
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": MODEL,
            "choices": [{
                "index": 0,
                "message": { "role": "assistant", "content": content },
                "finish_reason": "stop"
            }],
            "usage": { "prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19 }
        })
    }
    .to_string();
    respond_json(reader.into_inner(), &response);
}

fn respond_json(mut stream: std::net::TcpStream, body: &str) {
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// A port nothing listens on (connection refused).
pub fn dead_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let addr = listener.local_addr().expect("a local address");
    drop(listener);
    format!("http://{addr}")
}
