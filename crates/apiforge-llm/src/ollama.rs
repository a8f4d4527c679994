//! Ollama's native API: `POST /api/chat` with `stream: false` and the JSON schema as
//! `format`; `GET /api/tags` for probes.

use async_trait::async_trait;
use reqwest::Method;
use serde_json::{Value, json};
use url::Url;

use crate::http::{Answer, PROBE_TIMEOUT, Transport, json_excerpt};
use crate::{ChatRequest, ChatResponse, LlmError, Provider, ProviderSettings, Usage};

/// The name this provider reports.
const NAME: &str = "ollama";

/// An Ollama server (`ollama serve`, default `http://127.0.0.1:11434`). The API key is not
/// sent: Ollama's native API has no authentication.
#[derive(Debug)]
pub struct OllamaProvider {
    transport: Transport,
    chat_url: Url,
    tags_url: Url,
}

impl OllamaProvider {
    /// Checks the settings and builds the HTTP client; nothing is sent yet.
    ///
    /// # Errors
    ///
    /// [`LlmError::Config`] for a bad URL, model or timeout; [`LlmError::Offline`] for a
    /// non-loopback URL in offline mode.
    pub fn new(settings: ProviderSettings) -> Result<Self, LlmError> {
        let transport = Transport::new(settings, NAME)?;
        Ok(Self {
            chat_url: transport.endpoint("/api/chat", false),
            tags_url: transport.endpoint("/api/tags", false),
            transport,
        })
    }

    /// The chat endpoint, `{base}/api/chat`.
    pub fn chat_url(&self) -> &str {
        self.chat_url.as_str()
    }
}

#[async_trait]
impl Provider for OllamaProvider {
    fn name(&self) -> &str {
        NAME
    }

    fn model(&self) -> &str {
        &self.transport.settings().model
    }

    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        let body = request_body(self.model(), request);
        self.transport
            .chat(NAME, &self.chat_url, &body, false, parse_answer)
            .await
    }

    async fn probe(&self) -> Result<String, LlmError> {
        let timeout = PROBE_TIMEOUT.min(self.transport.settings().timeout);
        let value = self
            .transport
            .send(Method::GET, &self.tags_url, None, false, timeout)
            .await?;
        let names: Vec<&str> = value
            .get("models")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                LlmError::malformed(format!(
                    "no `models` list from /api/tags: {}",
                    self.transport.excerpt(&value.to_string())
                ))
            })?
            .iter()
            .filter_map(|model| model.get("name").and_then(Value::as_str))
            .collect();
        let model = self.model();
        let base = self.transport.shown_base();
        if names
            .iter()
            .any(|name| *name == model || name.strip_suffix(":latest") == Some(model))
        {
            Ok(format!(
                "ollama at {base} answers; model {model} is available ({} models)",
                names.len()
            ))
        } else {
            Err(LlmError::config(format!(
                "model {model} is not available on the ollama server at {base} (it has: {})\nhint: run `ollama pull {model}`, or set APIFORGE_LLM_MODEL to one it has",
                list(&names)
            )))
        }
    }
}

pub(crate) fn list(names: &[&str]) -> String {
    if names.is_empty() {
        return "none".to_owned();
    }
    let mut text = names
        .iter()
        .take(10)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > 10 {
        text.push_str(", …");
    }
    text
}

pub(crate) fn messages_json(request: &ChatRequest) -> Value {
    request
        .messages
        .iter()
        .map(|message| json!({"role": message.role.as_str(), "content": message.content}))
        .collect()
}

fn request_body(model: &str, request: &ChatRequest) -> Value {
    let mut options = json!({ "temperature": request.temperature_json() });
    if let Some(max_tokens) = request.max_tokens {
        options["num_predict"] = json!(max_tokens);
    }
    let mut body = json!({
        "model": model,
        "messages": messages_json(request),
        "stream": false,
        "options": options,
    });
    if let Some(schema) = &request.schema {
        body["format"] = schema.schema.clone();
    }
    body
}

fn parse_answer(value: &Value) -> Result<Answer, LlmError> {
    let content = value
        .pointer("/message/content")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            LlmError::malformed(format!(
                "no message.content in the /api/chat answer: {}",
                json_excerpt(value)
            ))
        })?;
    let count = |key: &str| value.get(key).and_then(Value::as_u64).unwrap_or(0);
    Ok(Answer {
        content: content.to_owned(),
        model: value
            .get("model")
            .and_then(Value::as_str)
            .map(str::to_owned),
        usage: Usage {
            prompt_tokens: count("prompt_eval_count"),
            completion_tokens: count("eval_count"),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Message;

    #[test]
    fn request_body_has_format_options_and_stream_false() {
        let request = ChatRequest::new(vec![Message::system("s"), Message::user("u")])
            .with_schema("manifest", json!({"type": "object"}))
            .with_temperature(0.2)
            .with_max_tokens(512);
        assert_eq!(
            request_body("llama3.2", &request),
            json!({
                "model": "llama3.2",
                "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}],
                "stream": false,
                "options": {"temperature": 0.2, "num_predict": 512},
                "format": {"type": "object"},
            })
        );
        let plain = request_body("m", &ChatRequest::new(vec![Message::user("u")]));
        assert_eq!(plain.get("format"), None);
        assert_eq!(plain["options"], json!({"temperature": 0.0}));
    }

    #[test]
    fn parse_answer_reads_content_and_counts() {
        let answer = parse_answer(&json!({
            "model": "llama3.2:latest",
            "message": {"role": "assistant", "content": "{}"},
            "done": true,
            "prompt_eval_count": 12,
            "eval_count": 5,
        }))
        .expect("a well-formed answer");
        assert_eq!(answer.content, "{}");
        assert_eq!(answer.model.as_deref(), Some("llama3.2:latest"));
        assert_eq!(
            answer.usage,
            Usage {
                prompt_tokens: 12,
                completion_tokens: 5
            }
        );
        let missing = parse_answer(&json!({"done": true})).expect_err("no message");
        assert!(matches!(missing, LlmError::Malformed { .. }), "{missing:?}");
    }
}
