//! The fallback chain: the primary provider, then the fallbacks, each with its own retries;
//! `builtin` ends the chain and means "use the caller's built-in result".

use std::fmt;
use std::sync::Arc;

use crate::{
    ChatRequest, ChatResponse, LlmConfig, LlmError, Message, OllamaProvider, OpenAiProvider,
    Provider, ProviderKind,
};

/// The message of the repair round; `{reason}` is the validator's reason.
const REPAIR_PROMPT: &str = "Your previous answer is not valid: {reason}\nAnswer again with only the corrected JSON document, following the schema exactly.";
/// The longest validator reason quoted back to the model.
const REPAIR_REASON_CHARS: usize = 1_000;

/// A provider that failed before another answered (for recording fallbacks).
#[derive(Debug, Clone)]
pub struct ProviderFailure {
    /// The provider's name.
    pub provider: String,
    /// Its model.
    pub model: String,
    /// Its last error.
    pub error: LlmError,
}

/// The chain's answer: the value the validator made of it (`()` for [`Chain::chat`]), the
/// response of the provider that answered, and the failures before it.
#[derive(Debug, Clone)]
pub struct ChainSuccess<T = ()> {
    /// What the validator returned.
    pub value: T,
    /// The answer. After a repair round, `usage`, `cost_usd`, `latency` and `attempts` are
    /// totals over both calls and `content` is the repaired answer.
    pub response: ChatResponse,
    /// The providers that failed first, in order.
    pub failures: Vec<ProviderFailure>,
    /// Whether the answer needed the repair round.
    pub repaired: bool,
}

/// One provider's probe result, for `apiforge doctor`.
#[derive(Debug, Clone)]
pub struct ProviderStatus {
    /// The provider's name.
    pub provider: String,
    /// Its model.
    pub model: String,
    /// A one-line description, or why it cannot be used.
    pub result: Result<String, LlmError>,
}

/// Providers tried in order. Built from an [`LlmConfig`] with [`Chain::from_config`], or from
/// any providers with [`Chain::new`].
pub struct Chain {
    providers: Vec<Arc<dyn Provider>>,
    builtin_fallback: bool,
}

impl fmt::Debug for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let providers: Vec<String> = self
            .providers
            .iter()
            .map(|p| format!("{} ({})", p.name(), p.model()))
            .collect();
        f.debug_struct("Chain")
            .field("providers", &providers)
            .field("builtin_fallback", &self.builtin_fallback)
            .finish()
    }
}

impl Chain {
    /// The chain of `config` ([`LlmConfig::chain_kinds`]): every HTTP provider is built and
    /// checked now, so a bad or (in offline mode) refused provider is an error before the run
    /// starts, without any connection.
    ///
    /// # Errors
    ///
    /// The first provider's [`LlmError::Config`] or [`LlmError::Offline`].
    pub fn from_config(config: &LlmConfig) -> Result<Self, LlmError> {
        let mut providers = Vec::new();
        let mut builtin_fallback = false;
        for kind in config.chain_kinds() {
            match build_provider(config, kind)? {
                Some(provider) => providers.push(provider),
                None => builtin_fallback = true,
            }
        }
        Ok(Self {
            providers,
            builtin_fallback,
        })
    }

    /// A chain of the given providers; `builtin_fallback` records whether the configuration
    /// ends in `builtin` (see [`Chain::builtin_fallback`]).
    pub fn new(providers: Vec<Arc<dyn Provider>>, builtin_fallback: bool) -> Self {
        Self {
            providers,
            builtin_fallback,
        }
    }

    /// The providers, in order.
    pub fn providers(&self) -> &[Arc<dyn Provider>] {
        &self.providers
    }

    /// No HTTP provider: the configured provider is `builtin`. [`Chain::chat`] then returns
    /// [`LlmError::AllFailed`] with no attempts at once.
    pub fn is_builtin_only(&self) -> bool {
        self.providers.is_empty()
    }

    /// Whether the chain ends in `builtin`: when every provider fails, the caller uses its
    /// built-in result (and records the failures) rather than failing the run.
    pub fn builtin_fallback(&self) -> bool {
        self.builtin_fallback
    }

    /// Asks each provider in turn and returns the first answer with the failures before it.
    ///
    /// # Errors
    ///
    /// [`LlmError::AllFailed`] listing every provider's last error (empty when the chain is
    /// builtin only).
    pub async fn chat(&self, request: &ChatRequest) -> Result<ChainSuccess, LlmError> {
        self.chat_validated(request, |_| Ok(())).await
    }

    /// As [`Chain::chat`], but each answer must pass `validate` (for example parsing and
    /// validating a manifest). An invalid answer gets one repair round with the same provider
    /// (its answer and the reason are sent back); if that is invalid too, the provider fails
    /// with [`LlmError::InvalidOutput`] and the next one is asked.
    ///
    /// # Errors
    ///
    /// As [`Chain::chat`].
    pub async fn chat_validated<T, F>(
        &self,
        request: &ChatRequest,
        validate: F,
    ) -> Result<ChainSuccess<T>, LlmError>
    where
        F: Fn(&str) -> Result<T, String> + Sync,
        T: Send,
    {
        let mut failures: Vec<ProviderFailure> = Vec::new();
        for provider in &self.providers {
            match ask(provider.as_ref(), request, &validate).await {
                Ok((value, response, repaired)) => {
                    return Ok(ChainSuccess {
                        value,
                        response,
                        failures,
                        repaired,
                    });
                }
                Err(error) => {
                    tracing::warn!(
                        provider = provider.name(),
                        model = provider.model(),
                        error = %error.summary(),
                        "LLM provider failed; trying the next one"
                    );
                    failures.push(ProviderFailure {
                        provider: provider.name().to_owned(),
                        model: provider.model().to_owned(),
                        error,
                    });
                }
            }
        }
        Err(LlmError::AllFailed {
            attempts: failures
                .into_iter()
                .map(|failure| (failure.provider, failure.error))
                .collect(),
        })
    }

    /// Probes every provider (for `apiforge doctor`).
    pub async fn probe(&self) -> Vec<ProviderStatus> {
        let mut statuses = Vec::with_capacity(self.providers.len());
        for provider in &self.providers {
            statuses.push(ProviderStatus {
                provider: provider.name().to_owned(),
                model: provider.model().to_owned(),
                result: provider.probe().await,
            });
        }
        statuses
    }
}

/// The provider of `kind` built from `config`, or `None` for builtin.
///
/// # Errors
///
/// As [`LlmConfig::settings_for`] and the providers' constructors.
pub fn build_provider(
    config: &LlmConfig,
    kind: ProviderKind,
) -> Result<Option<Arc<dyn Provider>>, LlmError> {
    Ok(match kind {
        ProviderKind::Builtin => None,
        ProviderKind::Ollama => Some(Arc::new(OllamaProvider::new(config.settings_for(kind)?)?)),
        ProviderKind::Openai => Some(Arc::new(OpenAiProvider::new(config.settings_for(kind)?)?)),
    })
}

/// One provider: the call, validation, and at most one repair round.
async fn ask<T, F>(
    provider: &dyn Provider,
    request: &ChatRequest,
    validate: &F,
) -> Result<(T, ChatResponse, bool), LlmError>
where
    F: Fn(&str) -> Result<T, String> + Sync,
{
    let first = provider.chat(request).await?;
    let reason = match validate(&first.content) {
        Ok(value) => return Ok((value, first, false)),
        Err(reason) => reason,
    };
    tracing::info!(
        provider = provider.name(),
        model = provider.model(),
        "LLM answer is invalid; asking for a repair"
    );
    let quoted: String = reason.chars().take(REPAIR_REASON_CHARS).collect();
    let mut repair = request.clone();
    repair
        .messages
        .push(Message::assistant(first.content.clone()));
    repair
        .messages
        .push(Message::user(REPAIR_PROMPT.replace("{reason}", &quoted)));
    let second = provider.chat(&repair).await?;
    let total = ChatResponse {
        usage: first.usage + second.usage,
        cost_usd: first.cost_usd.zip(second.cost_usd).map(|(a, b)| a + b),
        latency: first.latency + second.latency,
        attempts: first.attempts + second.attempts,
        ..second
    };
    match validate(&total.content) {
        Ok(value) => Ok((value, total, true)),
        Err(reason) => Err(LlmError::InvalidOutput { reason }),
    }
}
