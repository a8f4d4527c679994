//! What a caller sends to a provider and what comes back.

use std::time::Duration;

/// Who says a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Instructions.
    System,
    /// The user's input.
    User,
    /// The model's earlier answer (used by the repair round).
    Assistant,
}

impl Role {
    /// The wire name shared by Ollama and the OpenAI API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::User => "user",
            Self::Assistant => "assistant",
        }
    }
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Who says it.
    pub role: Role,
    /// The text.
    pub content: String,
}

impl Message {
    /// A system message.
    pub fn system(content: impl Into<String>) -> Self {
        Self {
            role: Role::System,
            content: content.into(),
        }
    }

    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            content: content.into(),
        }
    }

    /// An assistant message.
    pub fn assistant(content: impl Into<String>) -> Self {
        Self {
            role: Role::Assistant,
            content: content.into(),
        }
    }
}

/// A JSON Schema the answer must follow: Ollama's `format`, OpenAI's
/// `response_format.json_schema` (sent with `strict: true`, so OpenAI itself wants every
/// property listed in `required` and `additionalProperties: false`).
#[derive(Debug, Clone, PartialEq)]
pub struct JsonSchemaSpec {
    /// A short name (`[a-zA-Z0-9_-]`, OpenAI requires one), e.g. `manifest`.
    pub name: String,
    /// The schema document.
    pub schema: serde_json::Value,
}

/// One chat completion request.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    /// The conversation, in order.
    pub messages: Vec<Message>,
    /// The schema the answer must follow, if any.
    pub schema: Option<JsonSchemaSpec>,
    /// Sampling temperature; 0 (the default) for the most deterministic answer.
    pub temperature: f32,
    /// The most tokens to generate (Ollama `num_predict`, OpenAI `max_tokens`).
    pub max_tokens: Option<u32>,
}

impl ChatRequest {
    /// A request with temperature 0, no schema and no token limit.
    pub fn new(messages: Vec<Message>) -> Self {
        Self {
            messages,
            schema: None,
            temperature: 0.0,
            max_tokens: None,
        }
    }

    /// Asks for JSON following `schema`.
    #[must_use]
    pub fn with_schema(mut self, name: impl Into<String>, schema: serde_json::Value) -> Self {
        self.schema = Some(JsonSchemaSpec {
            name: name.into(),
            schema,
        });
        self
    }

    /// Sets the temperature.
    #[must_use]
    pub fn with_temperature(mut self, temperature: f32) -> Self {
        self.temperature = temperature;
        self
    }

    /// Sets the token limit.
    #[must_use]
    pub fn with_max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = Some(max_tokens);
        self
    }

    /// The temperature as the JSON number a person would write (`0.2`, not
    /// `0.20000000298023224`).
    pub(crate) fn temperature_json(&self) -> serde_json::Value {
        let shortest: f64 = self
            .temperature
            .to_string()
            .parse()
            .unwrap_or(f64::from(self.temperature));
        serde_json::Number::from_f64(shortest).map_or(serde_json::Value::from(0), Into::into)
    }
}

/// Tokens used by one answer, as the server reports them (0 when it does not).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Tokens of the prompt (Ollama `prompt_eval_count`, OpenAI `usage.prompt_tokens`).
    pub prompt_tokens: u64,
    /// Tokens generated (Ollama `eval_count`, OpenAI `usage.completion_tokens`).
    pub completion_tokens: u64,
}

impl Usage {
    /// Prompt plus completion tokens.
    pub fn total(&self) -> u64 {
        self.prompt_tokens + self.completion_tokens
    }
}

impl std::ops::Add for Usage {
    type Output = Self;

    fn add(self, other: Self) -> Self {
        Self {
            prompt_tokens: self.prompt_tokens + other.prompt_tokens,
            completion_tokens: self.completion_tokens + other.completion_tokens,
        }
    }
}

/// A model's price in US dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    /// USD per million prompt tokens.
    pub input_per_million: f64,
    /// USD per million completion tokens.
    pub output_per_million: f64,
}

impl Price {
    /// The cost of `usage` in USD.
    pub fn cost(&self, usage: Usage) -> f64 {
        // Token counts stay far below 2^52, so the conversions are exact.
        let (input, output) = (usage.prompt_tokens as f64, usage.completion_tokens as f64);
        (input * self.input_per_million + output * self.output_per_million) / 1_000_000.0
    }
}

/// A successful answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatResponse {
    /// The answer's text (JSON when a schema was given).
    pub content: String,
    /// The provider that answered (`ollama`, `openai`).
    pub provider: String,
    /// The model that answered, as the server names it (else as configured).
    pub model: String,
    /// Tokens used.
    pub usage: Usage,
    /// Wall time from the first attempt to the answer, retries and backoff included.
    pub latency: Duration,
    /// `usage × price` when the model is in the price table.
    pub cost_usd: Option<f64>,
    /// HTTP attempts made (1 without retries).
    pub attempts: u32,
}
