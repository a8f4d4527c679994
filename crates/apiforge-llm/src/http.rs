//! The HTTP transport both providers share: one reqwest client per provider (rustls with
//! the ring provider, no redirects), JSON in and out, error mapping, the offline check before
//! every request, retries with exponential backoff, and the one log line per call.

use std::future::Future;
use std::net::{Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::header::{ACCEPT, HeaderValue};
use serde_json::Value;
use url::Url;

use crate::offline::{check_offline_url, is_localhost_name, is_loopback, parse_base_url, redacted};
use crate::{ChatResponse, LlmError, ProviderSettings, Usage};

/// The timeout of a probe (`apiforge doctor`), or the provider's timeout when shorter.
pub(crate) const PROBE_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How much of a server's answer an error keeps.
const EXCERPT_CHARS: usize = 300;

/// What a provider extracted from a successful answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) content: String,
    pub(crate) model: Option<String>,
    pub(crate) usage: Usage,
}

#[derive(Debug)]
pub(crate) struct Transport {
    client: reqwest::Client,
    base: Url,
    settings: ProviderSettings,
}

impl Transport {
    /// Checks the settings (URL, offline rule, model, timeout, key) and builds the client.
    pub(crate) fn new(settings: ProviderSettings, provider: &str) -> Result<Self, LlmError> {
        let base = parse_base_url(&settings.base_url, &format!("the {provider} base URL"))?;
        check_offline_url(&base, settings.offline)?;
        if settings.model.trim().is_empty() {
            return Err(LlmError::config(format!(
                "the {provider} model name is empty"
            )));
        }
        if settings.timeout.is_zero() {
            return Err(LlmError::config(format!(
                "the {provider} timeout must be positive"
            )));
        }
        if let Some(key) = &settings.api_key
            && HeaderValue::from_str(&format!("Bearer {}", key.expose())).is_err()
        {
            return Err(LlmError::config(
                "APIFORGE_LLM_API_KEY contains characters that an HTTP header cannot carry",
            ));
        }
        let client = build_client(&base, settings.offline)?;
        Ok(Self {
            client,
            base,
            settings,
        })
    }

    pub(crate) fn settings(&self) -> &ProviderSettings {
        &self.settings
    }

    /// The base URL without credentials, for messages.
    pub(crate) fn shown_base(&self) -> String {
        redacted(&self.base)
    }

    /// `suffix` appended to the base path (without its trailing `/`, and without a final `/v1`
    /// when `strip_v1`), keeping any query.
    pub(crate) fn endpoint(&self, suffix: &str, strip_v1: bool) -> Url {
        let path = self.base.path().trim_end_matches('/');
        let path = if strip_v1 {
            path.strip_suffix("/v1").unwrap_or(path)
        } else {
            path
        };
        let mut url = self.base.clone();
        url.set_path(&format!("{path}{suffix}"));
        url
    }

    /// One chat call with retries: posts `body` to `url`, reads the answer with `parse`, and
    /// logs one line (never the prompt or the key).
    pub(crate) async fn chat(
        &self,
        provider: &str,
        url: &Url,
        body: &Value,
        bearer: bool,
        parse: fn(&Value) -> Result<Answer, LlmError>,
    ) -> Result<ChatResponse, LlmError> {
        let model = self.settings.model.as_str();
        let started = Instant::now();
        let (result, attempts) = self
            .with_retries(provider, || async {
                let value = self
                    .send(Method::POST, url, Some(body), bearer, self.settings.timeout)
                    .await?;
                parse(&value).map_err(|error| self.scrubbed(error))
            })
            .await;
        let latency = started.elapsed();
        let latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
        match result {
            Ok(answer) => {
                let reported = answer.model.unwrap_or_else(|| model.to_owned());
                let cost_usd = self.settings.cost(&reported, answer.usage);
                tracing::info!(
                    provider,
                    model = %reported,
                    latency_ms,
                    prompt_tokens = answer.usage.prompt_tokens,
                    completion_tokens = answer.usage.completion_tokens,
                    attempt = attempts,
                    cost_usd = ?cost_usd,
                    "LLM call answered"
                );
                Ok(ChatResponse {
                    content: answer.content,
                    provider: provider.to_owned(),
                    model: reported,
                    usage: answer.usage,
                    latency,
                    cost_usd,
                    attempts,
                })
            }
            Err(error) => {
                tracing::warn!(
                    provider,
                    model,
                    latency_ms,
                    attempt = attempts,
                    error = %error.summary(),
                    "LLM call failed"
                );
                Err(error)
            }
        }
    }

    /// Runs `call` until it succeeds, fails with a non-transient error, or the retries are
    /// used up; returns the result and the number of attempts.
    pub(crate) async fn with_retries<T, F, Fut>(
        &self,
        provider: &str,
        mut call: F,
    ) -> (Result<T, LlmError>, u32)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, LlmError>>,
    {
        let mut attempt = 0_u32;
        loop {
            attempt += 1;
            match call().await {
                Ok(value) => return (Ok(value), attempt),
                Err(error) if error.is_transient() && attempt <= self.settings.retries => {
                    let wait = backoff(self.settings.backoff, attempt);
                    tracing::debug!(
                        provider,
                        model = %self.settings.model,
                        attempt,
                        error = %error.summary(),
                        retry_in_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                        "LLM attempt failed; retrying"
                    );
                    tokio::time::sleep(wait).await;
                }
                Err(error) => return (Err(error), attempt),
            }
        }
    }

    /// One request: the offline check, then JSON in and out with `timeout` for the whole
    /// exchange. Non-2xx answers become [`LlmError::Http`] with the server's message.
    pub(crate) async fn send(
        &self,
        method: Method,
        url: &Url,
        body: Option<&Value>,
        bearer: bool,
        timeout: Duration,
    ) -> Result<Value, LlmError> {
        check_offline_url(url, self.settings.offline)?;
        let mut request = self
            .client
            .request(method, url.clone())
            .timeout(timeout)
            .header(ACCEPT, "application/json");
        if let Some(body) = body {
            request = request.json(body);
        }
        if bearer && let Some(key) = &self.settings.api_key {
            request = request.bearer_auth(key.expose());
        }
        let response = request
            .send()
            .await
            .map_err(|error| self.transport_error(&error, url, timeout))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|error| self.transport_error(&error, url, timeout))?;
        if !status.is_success() {
            return Err(LlmError::Http {
                status: status.as_u16(),
                body: self.excerpt(&error_text(&bytes)),
            });
        }
        serde_json::from_slice(&bytes).map_err(|error| {
            LlmError::malformed(format!(
                "not JSON ({error}): {:?}",
                self.excerpt(&String::from_utf8_lossy(&bytes))
            ))
        })
    }

    /// The first characters of `text` on one line, without the key.
    pub(crate) fn excerpt(&self, text: &str) -> String {
        let text = match &self.settings.api_key {
            Some(key) => key.scrub(text),
            None => text.to_owned(),
        };
        excerpt(&text)
    }

    /// `error` with the key removed from the texts that quote the server's answer.
    pub(crate) fn scrubbed(&self, error: LlmError) -> LlmError {
        let Some(key) = &self.settings.api_key else {
            return error;
        };
        match error {
            LlmError::Malformed { reason } => LlmError::Malformed {
                reason: key.scrub(&reason),
            },
            LlmError::InvalidOutput { reason } => LlmError::InvalidOutput {
                reason: key.scrub(&reason),
            },
            other => other,
        }
    }

    fn transport_error(&self, error: &reqwest::Error, url: &Url, timeout: Duration) -> LlmError {
        if error.is_timeout() {
            return LlmError::Timeout { after: timeout };
        }
        LlmError::Connect {
            url: redacted(url),
            reason: self.excerpt(&root_cause(error)),
        }
    }
}

/// `value` as an excerpt for [`LlmError::Malformed`] messages (the caller scrubs the key with
/// [`Transport::scrubbed`]).
pub(crate) fn json_excerpt(value: &Value) -> String {
    excerpt(&value.to_string())
}

fn excerpt(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > EXCERPT_CHARS {
        let mut cut: String = one_line.chars().take(EXCERPT_CHARS).collect();
        cut.push('…');
        cut
    } else {
        one_line
    }
}

/// The server's own error message when the body is JSON (`{"error": {"message": …}}` from
/// OpenAI-compatible servers, `{"error": "…"}` from Ollama), else the body text.
fn error_text(bytes: &[u8]) -> String {
    if let Ok(value) = serde_json::from_slice::<Value>(bytes) {
        let message = value
            .pointer("/error/message")
            .and_then(Value::as_str)
            .or_else(|| value.get("error").and_then(Value::as_str))
            .or_else(|| value.get("message").and_then(Value::as_str));
        if let Some(message) = message {
            return message.to_owned();
        }
    }
    String::from_utf8_lossy(bytes).into_owned()
}

/// The innermost cause, e.g. `Connection refused (os error 111)` rather than reqwest's
/// `error sending request for url (…)`.
fn root_cause(error: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

fn backoff(first: Duration, attempt: u32) -> Duration {
    let factor = 1_u32 << attempt.saturating_sub(1).min(16);
    first.saturating_mul(factor).min(MAX_BACKOFF)
}

/// A reqwest client for one base URL.
///
/// TLS is rustls with the ring provider, passed to reqwest as a finished `ClientConfig`
/// (reqwest is built with `rustls-no-provider`: its own default would be aws-lc-rs, which
/// needs cmake at build time, and installing a process-wide default provider is not a
/// library's business). https uses the platform verifier (the system's CA store, as reqwest
/// does by default); plain http gets an empty root store, since it never does TLS.
/// Redirects are not followed (an LLM API has no reason to redirect, and a redirect could
/// leave loopback in offline mode). Proxies from the environment are ignored for loopback
/// URLs and in offline mode; `localhost` is pinned to loopback addresses in offline mode.
fn build_client(base: &Url, offline: bool) -> Result<reqwest::Client, LlmError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|error| LlmError::config(format!("TLS set-up failed: {error}")))?;
    let tls = if base.scheme() == "https" {
        let verifier = rustls_platform_verifier::Verifier::new(provider).map_err(|error| {
            LlmError::config(format!(
                "cannot check certificates for {}: {error}\nhint: install the system's CA certificates (Debian: ca-certificates)",
                redacted(base)
            ))
        })?;
        tls.dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth()
    } else {
        tls.with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth()
    };
    let mut builder = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("apiforge/", env!("CARGO_PKG_VERSION")));
    if offline || is_loopback(base) {
        builder = builder.no_proxy();
    }
    if offline && is_localhost_name(base) {
        builder = builder.resolve_to_addrs(
            "localhost",
            &[
                SocketAddr::from(([127, 0, 0, 1], 0)),
                SocketAddr::from((Ipv6Addr::LOCALHOST, 0)),
            ],
        );
    }
    builder
        .build()
        .map_err(|error| LlmError::config(format!("cannot build the HTTP client: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let first = Duration::from_millis(200);
        let waits: Vec<u128> = (1..=4).map(|a| backoff(first, a).as_millis()).collect();
        assert_eq!(waits, [200, 400, 800, 1600]);
        assert_eq!(backoff(first, 40), MAX_BACKOFF);
    }

    #[test]
    fn error_text_prefers_the_servers_message() {
        assert_eq!(
            error_text(br#"{"error":{"message":"bad model","type":"x"}}"#),
            "bad model"
        );
        assert_eq!(
            error_text(br#"{"error":"model not found"}"#),
            "model not found"
        );
        assert_eq!(error_text(b"plain\ntext"), "plain\ntext");
        assert_eq!(excerpt("plain\ntext  here"), "plain text here");
        assert_eq!(excerpt(&"x".repeat(400)).chars().count(), EXCERPT_CHARS + 1);
    }
}
