//! LLM providers for the planner and the prompt registry: a [`Provider`] trait, Ollama's
//! native API ([`OllamaProvider`]), any OpenAI-compatible server ([`OpenAiProvider`]:
//! vLLM, llama.cpp server, LocalAI, TGI, OpenAI), retries on transient errors, a fallback
//! [`Chain`] ending in the caller's built-in result, offline mode (loopback only, checked on
//! the URL text before anything is resolved or connected: [`check_offline`]), token usage and
//! cost per call from a price table, and probes for `apiforge doctor`.
//!
//! It owns every outgoing HTTP request of the forge to a model server and nothing else: it
//! depends on no other workspace crate, never reads the environment (the binary passes a
//! lookup function to [`LlmConfig::from_env`]), never logs a prompt, and never lets an API key
//! reach a log, an error or `Debug` output ([`Secret`]). Validating what a model says is the
//! caller's (the planner validates manifests); [`Chain::chat_validated`] only runs its
//! validator and the repair round.
//!
//! Design choices: the two wire formats are small, so they are spoken directly with reqwest
//! (as CRATES.md recommends) rather than through async-openai (every API opt-in, far more
//! than we use) or ollama-rs (pulls an older reqwest). reqwest is built with
//! `rustls-no-provider` and given a rustls configuration on the ring provider, because its
//! default provider, aws-lc-rs, needs cmake and a C toolchain at build time (see
//! `http::build_client`). Providers are behind `Arc<dyn Provider>` so the planner's tests can
//! put doubles in a [`Chain`].

mod chain;
mod config;
mod error;
mod http;
mod offline;
mod ollama;
mod openai;
mod provider;
mod secret;
mod types;

pub use chain::{Chain, ChainSuccess, ProviderFailure, ProviderStatus, build_provider};
pub use config::{
    DEFAULT_BACKOFF, DEFAULT_RETRIES, DEFAULT_TIMEOUT, KindOverrides, LlmConfig, ProviderKind,
    ProviderSettings, env,
};
pub use error::LlmError;
pub use offline::check_offline;
pub use ollama::OllamaProvider;
pub use openai::OpenAiProvider;
pub use provider::Provider;
pub use secret::Secret;
pub use types::{ChatRequest, ChatResponse, JsonSchemaSpec, Message, Price, Role, Usage};
