//! OpenAI-compatible servers (vLLM, llama.cpp server, LocalAI, TGI, OpenAI):
//! `POST /v1/chat/completions` with `response_format: json_schema`; `GET /v1/models` for
//! probes.

use async_trait::async_trait;
use reqwest::Method;
use serde_json::{Value, json};
use url::Url;

use crate::http::{Answer, PROBE_TIMEOUT, Transport, json_excerpt};
use crate::ollama::{list, messages_json};
use crate::{ChatRequest, ChatResponse, LlmError, Provider, ProviderSettings, Usage};

/// The name this provider reports.
const NAME: &str = "openai";

/// An OpenAI-compatible server. The base URL may end in `/v1` or not
/// (`http://127.0.0.1:8080` and `https://api.openai.com/v1` both work); the API key, when
/// set, is sent as `Authorization: Bearer`. The token limit is sent as `max_tokens`, which
/// every compatible server accepts.
#[derive(Debug)]
pub struct OpenAiProvider {
    transport: Transport,
    chat_url: Url,
    models_url: Url,
}

impl OpenAiProvider {
    /// Checks the settings and builds the HTTP client; nothing is sent yet.
    ///
    /// # Errors
    ///
    /// [`LlmError::Config`] for a bad URL, model, timeout or key; [`LlmError::Offline`] for
    /// a non-loopback URL in offline mode.
    pub fn new(settings: ProviderSettings) -> Result<Self, LlmError> {
        let transport = Transport::new(settings, NAME)?;
        Ok(Self {
            chat_url: transport.endpoint("/v1/chat/completions", true),
            models_url: transport.endpoint("/v1/models", true),
            transport,
        })
    }

    /// The chat endpoint, `{base}/v1/chat/completions`.
    pub fn chat_url(&self) -> &str {
        self.chat_url.as_str()
    }
}

#[async_trait]
impl Provider for OpenAiProvider {
    fn name(&self) -> &str {
        NAME
    }

    fn model(&self) -> &str {
        &self.transport.settings().model
    }

    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        let body = request_body(self.model(), request);
        self.transport
            .chat(NAME, &self.chat_url, &body, true, parse_answer)
            .await
    }

    async fn probe(&self) -> Result<String, LlmError> {
        let timeout = PROBE_TIMEOUT.min(self.transport.settings().timeout);
        let value = self
            .transport
            .send(Method::GET, &self.models_url, None, true, timeout)
            .await?;
        let ids: Vec<&str> = value
            .get("data")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                LlmError::malformed(format!(
                    "no `data` list from /v1/models: {}",
                    self.transport.excerpt(&value.to_string())
                ))
            })?
            .iter()
            .filter_map(|model| model.get("id").and_then(Value::as_str))
            .collect();
        let model = self.model();
        let base = self.transport.shown_base();
        // Some servers (llama.cpp) list a file name and answer under any model name, so an
        // unlisted model is reported, not refused.
        Ok(if ids.contains(&model) {
            format!("openai-compatible server at {base} answers; model {model} is listed")
        } else {
            format!(
                "openai-compatible server at {base} answers; model {model} is not listed (it lists: {})",
                list(&ids)
            )
        })
    }
}

fn request_body(model: &str, request: &ChatRequest) -> Value {
    let mut body = json!({
        "model": model,
        "messages": messages_json(request),
        "stream": false,
        "temperature": request.temperature_json(),
    });
    if let Some(max_tokens) = request.max_tokens {
        body["max_tokens"] = json!(max_tokens);
    }
    if let Some(schema) = &request.schema {
        body["response_format"] = json!({
            "type": "json_schema",
            "json_schema": {"name": schema.name, "schema": schema.schema, "strict": true},
        });
    }
    body
}

fn parse_answer(value: &Value) -> Result<Answer, LlmError> {
    let message = value.pointer("/choices/0/message");
    let content = message
        .and_then(|message| message.get("content"))
        .and_then(Value::as_str);
    let Some(content) = content else {
        if let Some(refusal) = message
            .and_then(|message| message.get("refusal"))
            .and_then(Value::as_str)
        {
            return Err(LlmError::InvalidOutput {
                reason: format!("the model refused: {refusal}"),
            });
        }
        return Err(LlmError::malformed(format!(
            "no choices[0].message.content in the chat completion: {}",
            json_excerpt(value)
        )));
    };
    let count = |key: &str| {
        value
            .get("usage")
            .and_then(|usage| usage.get(key))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    Ok(Answer {
        content: content.to_owned(),
        model: value
            .get("model")
            .and_then(Value::as_str)
            .map(str::to_owned),
        usage: Usage {
            prompt_tokens: count("prompt_tokens"),
            completion_tokens: count("completion_tokens"),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Message;

    #[test]
    fn request_body_has_response_format() {
        let request = ChatRequest::new(vec![Message::user("u")])
            .with_schema("manifest", json!({"type": "object"}))
            .with_max_tokens(100);
        assert_eq!(
            request_body("gpt-4o-mini", &request),
            json!({
                "model": "gpt-4o-mini",
                "messages": [{"role": "user", "content": "u"}],
                "stream": false,
                "temperature": 0.0,
                "max_tokens": 100,
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "manifest", "schema": {"type": "object"}, "strict": true},
                },
            })
        );
    }

    #[test]
    fn parse_answer_cases() {
        let answer = parse_answer(&json!({
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "{}"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10},
        }))
        .expect("a well-formed answer");
        assert_eq!(answer.content, "{}");
        assert_eq!(
            answer.usage,
            Usage {
                prompt_tokens: 7,
                completion_tokens: 3
            }
        );
        let refused = parse_answer(&json!({
            "choices": [{"message": {"role": "assistant", "content": null, "refusal": "no"}}],
        }))
        .expect_err("a refusal");
        assert_eq!(
            refused.to_string(),
            "the model's answer does not match the requested schema: the model refused: no"
        );
        let missing = parse_answer(&json!({"choices": []})).expect_err("no choice");
        assert!(matches!(missing, LlmError::Malformed { .. }), "{missing:?}");
    }
}
