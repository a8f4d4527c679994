//! Typed LLM configuration, and reading it from `APIFORGE_*` variables through a lookup
//! function (the binary passes `std::env::var`, tests pass a map; this crate never reads the
//! environment itself).
//!
//! Resolution for each provider kind of the chain (the primary and every fallback entry):
//! base URL = `APIFORGE_LLM_<KIND>_BASE_URL`, else `APIFORGE_LLM_BASE_URL`, else the kind's
//! default (`http://127.0.0.1:11434` for ollama, `http://127.0.0.1:8080` for openai); the
//! model likewise with `…_MODEL` (defaults `llama3.2` and `gpt-4o-mini`). The API key
//! (`APIFORGE_LLM_API_KEY`) is sent as a bearer token by the openai-compatible provider only;
//! Ollama's native API has no authentication.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::offline::{parse_base_url, redacted, shown};
use crate::{LlmError, Price, Secret};

/// The variable names [`LlmConfig::from_env`] reads; config file keys mirror them.
pub mod env {
    /// `builtin` (default), `ollama` or `openai`.
    pub const PROVIDER: &str = "APIFORGE_LLM_PROVIDER";
    /// Base URL of the providers (see the per-kind variables).
    pub const BASE_URL: &str = "APIFORGE_LLM_BASE_URL";
    /// Model name of the providers (see the per-kind variables).
    pub const MODEL: &str = "APIFORGE_LLM_MODEL";
    /// API key, sent as `Authorization: Bearer` by the openai-compatible provider.
    pub const API_KEY: &str = "APIFORGE_LLM_API_KEY";
    /// Timeout of one HTTP attempt, in seconds (default 60, fractions allowed).
    pub const TIMEOUT: &str = "APIFORGE_LLM_TIMEOUT";
    /// Comma list of provider kinds tried after the primary, e.g. `openai,builtin`.
    pub const FALLBACK: &str = "APIFORGE_LLM_FALLBACK";
    /// `1`/`true`/`yes`/`on`: only loopback providers are allowed.
    pub const OFFLINE: &str = "APIFORGE_OFFLINE";
    /// Price table: `model=input/output` USD per million tokens, comma separated.
    pub const PRICES: &str = "APIFORGE_LLM_PRICES";
    /// Base URL of the ollama provider only (overrides `APIFORGE_LLM_BASE_URL`).
    pub const OLLAMA_BASE_URL: &str = "APIFORGE_LLM_OLLAMA_BASE_URL";
    /// Model of the ollama provider only (overrides `APIFORGE_LLM_MODEL`).
    pub const OLLAMA_MODEL: &str = "APIFORGE_LLM_OLLAMA_MODEL";
    /// Base URL of the openai-compatible provider only (overrides `APIFORGE_LLM_BASE_URL`).
    pub const OPENAI_BASE_URL: &str = "APIFORGE_LLM_OPENAI_BASE_URL";
    /// Model of the openai-compatible provider only (overrides `APIFORGE_LLM_MODEL`).
    pub const OPENAI_MODEL: &str = "APIFORGE_LLM_OPENAI_MODEL";

    /// Every variable above.
    pub const ALL: [&str; 12] = [
        PROVIDER,
        BASE_URL,
        MODEL,
        API_KEY,
        TIMEOUT,
        FALLBACK,
        OFFLINE,
        PRICES,
        OLLAMA_BASE_URL,
        OLLAMA_MODEL,
        OPENAI_BASE_URL,
        OPENAI_MODEL,
    ];
}

/// Default timeout of one HTTP attempt.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default number of retries after the first attempt (transient errors only).
pub const DEFAULT_RETRIES: u32 = 2;
/// Default first backoff; each retry waits twice as long as the previous one.
pub const DEFAULT_BACKOFF: Duration = Duration::from_millis(200);

/// Which provider.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProviderKind {
    /// No LLM: the caller's built-in (deterministic) result.
    #[default]
    Builtin,
    /// Ollama's native API (`/api/chat`).
    Ollama,
    /// Any OpenAI-compatible server (`/v1/chat/completions`).
    Openai,
}

impl ProviderKind {
    /// Every kind, in the order of the names in messages.
    pub const ALL: [Self; 3] = [Self::Builtin, Self::Ollama, Self::Openai];

    /// The name used in configuration and as [`Provider::name`](crate::Provider::name).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Builtin => "builtin",
            Self::Ollama => "ollama",
            Self::Openai => "openai",
        }
    }

    /// The base URL used when none is configured (`None` for builtin).
    pub fn default_base_url(self) -> Option<&'static str> {
        match self {
            Self::Builtin => None,
            Self::Ollama => Some("http://127.0.0.1:11434"),
            Self::Openai => Some("http://127.0.0.1:8080"),
        }
    }

    /// The model used when none is configured (`None` for builtin).
    pub fn default_model(self) -> Option<&'static str> {
        match self {
            Self::Builtin => None,
            Self::Ollama => Some("llama3.2"),
            Self::Openai => Some("gpt-4o-mini"),
        }
    }

    fn base_url_variable(self) -> &'static str {
        match self {
            Self::Builtin => env::BASE_URL,
            Self::Ollama => env::OLLAMA_BASE_URL,
            Self::Openai => env::OPENAI_BASE_URL,
        }
    }

    fn model_variable(self) -> &'static str {
        match self {
            Self::Builtin => env::MODEL,
            Self::Ollama => env::OLLAMA_MODEL,
            Self::Openai => env::OPENAI_MODEL,
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProviderKind {
    type Err = LlmError;

    /// Case-insensitive `builtin`, `ollama` or `openai`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str().eq_ignore_ascii_case(text))
            .ok_or_else(|| {
                LlmError::config(format!(
                    "unknown LLM provider {text:?} (expected builtin, ollama or openai)"
                ))
            })
    }
}

/// Per-kind overrides of the shared base URL and model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KindOverrides {
    /// `APIFORGE_LLM_<KIND>_BASE_URL`.
    pub base_url: Option<String>,
    /// `APIFORGE_LLM_<KIND>_MODEL`.
    pub model: Option<String>,
}

/// The LLM configuration of a run: the primary provider, its fallbacks and their shared
/// settings. `Debug` shows the key as `Secret([redacted])`; `Display` is a one-line summary
/// for `apiforge doctor` that says only whether a key is set.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmConfig {
    /// The primary provider (`APIFORGE_LLM_PROVIDER`, default builtin).
    pub provider: ProviderKind,
    /// `APIFORGE_LLM_BASE_URL`; `None` means each kind's default.
    pub base_url: Option<String>,
    /// `APIFORGE_LLM_MODEL`; `None` means each kind's default.
    pub model: Option<String>,
    /// `APIFORGE_LLM_API_KEY`.
    pub api_key: Option<Secret>,
    /// Timeout of one HTTP attempt (`APIFORGE_LLM_TIMEOUT`, default 60 s).
    pub timeout: Duration,
    /// Retries after the first attempt, on transient errors only (default 2).
    pub retries: u32,
    /// The first backoff before a retry, doubled each time (default 200 ms).
    pub backoff: Duration,
    /// Providers tried in order when the primary fails (`APIFORGE_LLM_FALLBACK`); `builtin`
    /// ends the chain and means "use the built-in result".
    pub fallback: Vec<ProviderKind>,
    /// Only loopback providers (`APIFORGE_OFFLINE`, `--offline`).
    pub offline: bool,
    /// USD per million tokens by model name (`APIFORGE_LLM_PRICES`).
    pub prices: BTreeMap<String, Price>,
    /// `APIFORGE_LLM_OLLAMA_BASE_URL`, `APIFORGE_LLM_OLLAMA_MODEL`.
    pub ollama: KindOverrides,
    /// `APIFORGE_LLM_OPENAI_BASE_URL`, `APIFORGE_LLM_OPENAI_MODEL`.
    pub openai: KindOverrides,
}

impl Default for LlmConfig {
    fn default() -> Self {
        Self {
            provider: ProviderKind::Builtin,
            base_url: None,
            model: None,
            api_key: None,
            timeout: DEFAULT_TIMEOUT,
            retries: DEFAULT_RETRIES,
            backoff: DEFAULT_BACKOFF,
            fallback: Vec::new(),
            offline: false,
            prices: BTreeMap::new(),
            ollama: KindOverrides::default(),
            openai: KindOverrides::default(),
        }
    }
}

/// Everything one HTTP provider needs, resolved from an [`LlmConfig`] (or written directly).
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderSettings {
    /// The server's base URL (for openai-compatible servers with or without `/v1`).
    pub base_url: String,
    /// The model name sent with every request.
    pub model: String,
    /// Bearer token (openai-compatible provider only).
    pub api_key: Option<Secret>,
    /// Timeout of one HTTP attempt.
    pub timeout: Duration,
    /// Retries after the first attempt, on transient errors only.
    pub retries: u32,
    /// The first backoff, doubled on each retry.
    pub backoff: Duration,
    /// Refuse non-loopback URLs.
    pub offline: bool,
    /// USD per million tokens by model name.
    pub prices: BTreeMap<String, Price>,
}

impl ProviderSettings {
    /// Settings with the defaults: no key, 60 s, 2 retries from 200 ms, online, no prices.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            model: model.into(),
            api_key: None,
            timeout: DEFAULT_TIMEOUT,
            retries: DEFAULT_RETRIES,
            backoff: DEFAULT_BACKOFF,
            offline: false,
            prices: BTreeMap::new(),
        }
    }

    /// The cost of `usage` for the configured model, else for the model the server named.
    pub(crate) fn cost(&self, reported_model: &str, usage: crate::Usage) -> Option<f64> {
        self.prices
            .get(&self.model)
            .or_else(|| self.prices.get(reported_model))
            .map(|price| price.cost(usage))
    }
}

impl LlmConfig {
    /// The defaults overlaid with the `APIFORGE_*` variables that `get` returns (see
    /// [`env`](mod@env)); empty values count as unset.
    ///
    /// # Errors
    ///
    /// [`LlmError::Config`] with one line naming the variable and the bad value (never the
    /// key).
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Self, LlmError> {
        let mut config = Self::default();
        config.apply_env(get)?;
        Ok(config)
    }

    /// Overlays the variables that `get` returns onto this configuration (for example one
    /// read from a config file): each set variable replaces its field; prices are added to
    /// (and override entries of) the table.
    ///
    /// # Errors
    ///
    /// As [`LlmConfig::from_env`].
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), LlmError> {
        let var = |name: &str| {
            get(name)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        if let Some(value) = var(env::PROVIDER) {
            self.provider = value
                .parse()
                .map_err(|_| bad(env::PROVIDER, "builtin, ollama or openai", &value))?;
        }
        if let Some(value) = var(env::BASE_URL) {
            parse_base_url(&value, env::BASE_URL)?;
            self.base_url = Some(value);
        }
        if let Some(value) = var(env::MODEL) {
            self.model = Some(value);
        }
        if let Some(value) = var(env::API_KEY) {
            self.api_key = Some(Secret::new(value));
        }
        if let Some(value) = var(env::TIMEOUT) {
            self.timeout = parse_timeout(&value).ok_or_else(|| {
                bad(
                    env::TIMEOUT,
                    "a positive number of seconds, e.g. 60",
                    &value,
                )
            })?;
        }
        if let Some(value) = var(env::FALLBACK) {
            self.fallback = parse_fallback(&value)?;
        }
        if let Some(value) = var(env::OFFLINE) {
            self.offline = parse_bool(&value).ok_or_else(|| {
                bad(
                    env::OFFLINE,
                    "1, true, yes, on, 0, false, no or off",
                    &value,
                )
            })?;
        }
        if let Some(value) = var(env::PRICES) {
            self.prices.extend(parse_prices(&value)?);
        }
        for (kind, overrides) in [
            (ProviderKind::Ollama, &mut self.ollama),
            (ProviderKind::Openai, &mut self.openai),
        ] {
            if let Some(value) = var(kind.base_url_variable()) {
                parse_base_url(&value, kind.base_url_variable())?;
                overrides.base_url = Some(value);
            }
            if let Some(value) = var(kind.model_variable()) {
                overrides.model = Some(value);
            }
        }
        Ok(())
    }

    /// The chain's kinds in order: the primary, then the fallbacks, without repeats, ending at
    /// the first `builtin` (which always "succeeds", so nothing after it is reachable).
    pub fn chain_kinds(&self) -> Vec<ProviderKind> {
        let mut kinds = Vec::new();
        for kind in std::iter::once(self.provider).chain(self.fallback.iter().copied()) {
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
            if kind == ProviderKind::Builtin {
                break;
            }
        }
        kinds
    }

    /// The settings of one HTTP provider kind, resolved as the module documentation says, with
    /// the base URL checked (and refused in offline mode when not loopback).
    ///
    /// # Errors
    ///
    /// [`LlmError::Config`] for `builtin`, a bad URL, an empty model or a zero timeout;
    /// [`LlmError::Offline`] for a non-loopback URL in offline mode.
    pub fn settings_for(&self, kind: ProviderKind) -> Result<ProviderSettings, LlmError> {
        let (Some(default_url), Some(default_model)) =
            (kind.default_base_url(), kind.default_model())
        else {
            return Err(LlmError::config(
                "builtin is not an HTTP provider: it has no settings",
            ));
        };
        let overrides = self.overrides(kind);
        let (base_url, setting) = match (&overrides.base_url, &self.base_url) {
            (Some(url), _) => (url.as_str(), kind.base_url_variable()),
            (None, Some(url)) => (url.as_str(), env::BASE_URL),
            (None, None) => (default_url, "the default base URL"),
        };
        let url = parse_base_url(base_url, setting)?;
        crate::offline::check_offline_url(&url, self.offline)?;
        let (model, setting) = match (&overrides.model, &self.model) {
            (Some(model), _) => (model.trim(), kind.model_variable()),
            (None, Some(model)) => (model.trim(), env::MODEL),
            (None, None) => (default_model, "the default model"),
        };
        if model.is_empty() {
            return Err(LlmError::config(format!("{setting} is empty")));
        }
        if self.timeout.is_zero() {
            return Err(LlmError::config(format!(
                "{} must be positive",
                env::TIMEOUT
            )));
        }
        Ok(ProviderSettings {
            base_url: base_url.trim().to_owned(),
            model: model.to_owned(),
            api_key: self.api_key.clone(),
            timeout: self.timeout,
            retries: self.retries,
            backoff: self.backoff,
            offline: self.offline,
            prices: self.prices.clone(),
        })
    }

    fn overrides(&self, kind: ProviderKind) -> &KindOverrides {
        match kind {
            ProviderKind::Openai => &self.openai,
            ProviderKind::Builtin | ProviderKind::Ollama => &self.ollama,
        }
    }
}

impl fmt::Display for LlmConfig {
    /// `provider ollama (llama3.2 at http://127.0.0.1:11434/), then openai (…), then builtin;
    /// timeout 60 s, 2 retries; offline; API key set`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("provider ")?;
        for (i, kind) in self.chain_kinds().into_iter().enumerate() {
            if i > 0 {
                f.write_str(", then ")?;
            }
            f.write_str(kind.as_str())?;
            if kind == ProviderKind::Builtin {
                continue;
            }
            let overrides = self.overrides(kind);
            let url = overrides
                .base_url
                .as_deref()
                .or(self.base_url.as_deref())
                .or(kind.default_base_url())
                .unwrap_or_default();
            let url = url::Url::parse(url.trim()).map_or_else(|_| shown(url), |u| redacted(&u));
            let model = overrides
                .model
                .as_deref()
                .or(self.model.as_deref())
                .or(kind.default_model())
                .unwrap_or_default();
            write!(f, " ({model} at {url})")?;
        }
        write!(
            f,
            "; timeout {} s, {} retries",
            self.timeout.as_secs_f64(),
            self.retries
        )?;
        if self.offline {
            f.write_str("; offline")?;
        }
        if self.api_key.is_some() {
            f.write_str("; API key set")?;
        }
        Ok(())
    }
}

fn bad(variable: &str, expected: &str, value: &str) -> LlmError {
    LlmError::config(format!("{variable} must be {expected}, got {value:?}"))
}

fn parse_timeout(value: &str) -> Option<Duration> {
    let seconds: f64 = value.parse().ok()?;
    if seconds > 0.0 {
        Duration::try_from_secs_f64(seconds).ok()
    } else {
        None
    }
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn parse_fallback(value: &str) -> Result<Vec<ProviderKind>, LlmError> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse().map_err(|_| {
                LlmError::config(format!(
                    "{} must be a comma list of builtin, ollama and openai, got {item:?} in {value:?}",
                    env::FALLBACK
                ))
            })
        })
        .collect()
}

/// `model=input/output,…`; a model name may itself contain `/` or `:` (the last `=` splits).
fn parse_prices(value: &str) -> Result<BTreeMap<String, Price>, LlmError> {
    let mut prices = BTreeMap::new();
    for item in value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
    {
        let price = item.rsplit_once('=').and_then(|(model, price)| {
            let model = model.trim();
            let (input, output) = price.split_once('/')?;
            let number = |text: &str| {
                text.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite() && *n >= 0.0)
            };
            let price = Price {
                input_per_million: number(input)?,
                output_per_million: number(output)?,
            };
            (!model.is_empty()).then(|| (model.to_owned(), price))
        });
        let (model, price) = price.ok_or_else(|| {
            LlmError::config(format!(
                "{} must be a comma list of model=input/output USD per million tokens (e.g. gpt-4o-mini=0.15/0.6), got {item:?}",
                env::PRICES
            ))
        })?;
        prices.insert(model, price);
    }
    Ok(prices)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(value: &str, expect: Result<Vec<(&str, f64, f64)>, &str>) {
        let got = parse_prices(value)
            .map(|prices| {
                prices
                    .into_iter()
                    .map(|(m, p)| (m, p.input_per_million, p.output_per_million))
                    .collect::<Vec<_>>()
            })
            .map_err(|e| e.to_string());
        let expect = expect
            .map(|v| {
                v.into_iter()
                    .map(|(m, i, o)| (m.to_owned(), i, o))
                    .collect::<Vec<_>>()
            })
            .map_err(str::to_owned);
        assert_eq!(got, expect, "{value}");
    }

    #[test]
    fn prices() {
        check(
            "gpt-4o-mini=0.15/0.6, llama3.2:3b=0/0",
            Ok(vec![("gpt-4o-mini", 0.15, 0.6), ("llama3.2:3b", 0.0, 0.0)]),
        );
        check(
            "meta-llama/Llama-3-8B=1/2,",
            Ok(vec![("meta-llama/Llama-3-8B", 1.0, 2.0)]),
        );
        check(
            "gpt=0.15",
            Err(
                "APIFORGE_LLM_PRICES must be a comma list of model=input/output USD per million tokens (e.g. gpt-4o-mini=0.15/0.6), got \"gpt=0.15\"",
            ),
        );
        check(
            "gpt=-1/2",
            Err(
                "APIFORGE_LLM_PRICES must be a comma list of model=input/output USD per million tokens (e.g. gpt-4o-mini=0.15/0.6), got \"gpt=-1/2\"",
            ),
        );
        check(
            "=1/2",
            Err(
                "APIFORGE_LLM_PRICES must be a comma list of model=input/output USD per million tokens (e.g. gpt-4o-mini=0.15/0.6), got \"=1/2\"",
            ),
        );
    }

    #[test]
    fn chain_kinds_stop_at_builtin_and_skip_repeats() {
        let config = LlmConfig {
            provider: ProviderKind::Ollama,
            fallback: vec![
                ProviderKind::Ollama,
                ProviderKind::Openai,
                ProviderKind::Builtin,
                ProviderKind::Openai,
            ],
            ..LlmConfig::default()
        };
        assert_eq!(
            config.chain_kinds(),
            [
                ProviderKind::Ollama,
                ProviderKind::Openai,
                ProviderKind::Builtin
            ]
        );
        assert_eq!(LlmConfig::default().chain_kinds(), [ProviderKind::Builtin]);
    }
}
