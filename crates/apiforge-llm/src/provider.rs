//! The provider trait.

use async_trait::async_trait;

use crate::{ChatRequest, ChatResponse, LlmError};

/// An LLM behind some API. Implementations retry transient errors themselves (the
/// [`ChatResponse::attempts`] says how often) and never log the prompt or a key.
#[async_trait]
pub trait Provider: Send + Sync {
    /// `ollama`, `openai`, or a test double's name.
    fn name(&self) -> &str;

    /// The configured model name.
    fn model(&self) -> &str;

    /// One chat completion.
    ///
    /// # Errors
    ///
    /// The last attempt's [`LlmError`].
    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError>;

    /// Checks that the server answers and knows the model (for `apiforge doctor`), with a
    /// short timeout and no retries; returns a one-line description.
    ///
    /// # Errors
    ///
    /// Why the provider cannot be used.
    async fn probe(&self) -> Result<String, LlmError> {
        Ok(format!("{} cannot be probed", self.name()))
    }
}
