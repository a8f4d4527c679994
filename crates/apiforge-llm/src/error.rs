//! Why an LLM call failed. Messages say what went wrong and, after `hint:`, what to do; none
//! of them ever contains an API key (keys are [`Secret`](crate::Secret)s, URLs with
//! credentials are refused, and server answers are scrubbed of the key before they are kept).

use std::fmt::Write as _;
use std::time::Duration;

/// An error from a provider, the chain or the configuration.
///
/// [`LlmError::is_transient`] says whether retrying the same provider may help; the chain
/// moves on to the next provider after any error (except a configuration error, which stops
/// everything before a request is made).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum LlmError {
    /// No complete answer within the configured timeout.
    #[error(
        "no answer within {}\nhint: raise APIFORGE_LLM_TIMEOUT, or use a smaller or already loaded model",
        fmt_duration(*after)
    )]
    Timeout {
        /// The timeout that expired.
        after: Duration,
    },
    /// The connection could not be made, or broke before an answer arrived.
    #[error(
        "could not reach {url}: {reason}\nhint: is the server running there? `apiforge doctor` checks every configured provider"
    )]
    Connect {
        /// The URL (never with credentials).
        url: String,
        /// The underlying cause, e.g. `Connection refused (os error 111)`.
        reason: String,
    },
    /// The server answered with a non-success status.
    #[error("{}", http_message(*status, body))]
    Http {
        /// The HTTP status code.
        status: u16,
        /// The server's error message or the first part of its body (scrubbed of the key).
        body: String,
    },
    /// The server's answer is not the JSON its API defines (unparsable, or a field is missing).
    #[error(
        "the server's answer is not what its API defines: {reason}\nhint: check that APIFORGE_LLM_PROVIDER matches the server (ollama or openai-compatible)"
    )]
    Malformed {
        /// What was wrong, with an excerpt of the answer.
        reason: String,
    },
    /// Offline mode refused a provider that is not on a loopback address; no connection (and
    /// no DNS lookup) was made.
    #[error(
        "offline mode refuses {url}: {host} is not a loopback address\nhint: use a server on 127.0.0.1, ::1 or localhost, or turn offline mode off (unset APIFORGE_OFFLINE / drop --offline)"
    )]
    Offline {
        /// The refused URL (never with credentials).
        url: String,
        /// Its host.
        host: String,
    },
    /// Bad configuration: an unknown provider, a bad URL, a bad variable value.
    #[error("{message}")]
    Config {
        /// One line naming the setting, then possibly a `hint:` line.
        message: String,
    },
    /// The model answered, but its content does not satisfy the caller's validation (the JSON
    /// schema or the manifest rules), even after a repair round.
    #[error("the model's answer does not match the requested schema: {reason}")]
    InvalidOutput {
        /// The validator's reason.
        reason: String,
    },
    /// Every provider of the chain failed; the caller falls back to its built-in result.
    #[error("{}", all_failed_message(attempts))]
    AllFailed {
        /// Each provider tried, in order, with its last error.
        attempts: Vec<(String, LlmError)>,
    },
}

impl LlmError {
    /// Whether retrying the same provider may help: timeouts, connection failures, HTTP 5xx,
    /// 429 and 408. Offline refusals, configuration errors, 4xx, malformed answers and
    /// invalid output are not transient.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Timeout { .. } | Self::Connect { .. } => true,
            Self::Http { status, .. } => *status >= 500 || *status == 429 || *status == 408,
            Self::Malformed { .. }
            | Self::Offline { .. }
            | Self::Config { .. }
            | Self::InvalidOutput { .. }
            | Self::AllFailed { .. } => false,
        }
    }

    /// The first line of the message (without the `hint:` line), for one-line summaries.
    pub fn summary(&self) -> String {
        let text = self.to_string();
        text.lines().next().unwrap_or_default().to_owned()
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Self::Config {
            message: message.into(),
        }
    }

    pub(crate) fn malformed(reason: impl Into<String>) -> Self {
        Self::Malformed {
            reason: reason.into(),
        }
    }
}

fn fmt_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

fn http_message(status: u16, body: &str) -> String {
    let mut text = format!("the server answered HTTP {status}");
    if body.is_empty() {
        text.push_str(" with an empty body");
    } else {
        let _ = write!(text, ": {body}");
    }
    let hint = match status {
        401 | 403 => "check APIFORGE_LLM_API_KEY",
        404 => {
            "check APIFORGE_LLM_BASE_URL and that the model APIFORGE_LLM_MODEL exists there (ollama: `ollama pull <model>`)"
        }
        400 | 422 => {
            "the server rejected the request; it may not support JSON-schema output for this model"
        }
        408 | 429 => "the server is busy or rate limiting; retry later",
        500.. => "the server failed; see its logs",
        _ => "",
    };
    if !hint.is_empty() {
        let _ = write!(text, "\nhint: {hint}");
    }
    text
}

fn all_failed_message(attempts: &[(String, LlmError)]) -> String {
    if attempts.is_empty() {
        return "no LLM provider was tried (the provider is builtin)".to_owned();
    }
    let mut text = String::from("every LLM provider failed: ");
    for (i, (provider, error)) in attempts.iter().enumerate() {
        if i > 0 {
            text.push_str("; ");
        }
        let _ = write!(text, "{provider}: {}", error.summary());
    }
    text.push_str("\nhint: `apiforge doctor` checks every configured provider");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(error: LlmError, transient: bool, expect: &str) {
        assert_eq!(error.is_transient(), transient, "{error:?}");
        assert_eq!(error.to_string(), expect);
    }

    #[test]
    fn messages_and_transience() {
        check(
            LlmError::Timeout {
                after: Duration::from_millis(300),
            },
            true,
            "no answer within 300 ms\nhint: raise APIFORGE_LLM_TIMEOUT, or use a smaller or already loaded model",
        );
        check(
            LlmError::Http {
                status: 503,
                body: "overloaded".into(),
            },
            true,
            "the server answered HTTP 503: overloaded\nhint: the server failed; see its logs",
        );
        check(
            LlmError::Http {
                status: 429,
                body: String::new(),
            },
            true,
            "the server answered HTTP 429 with an empty body\nhint: the server is busy or rate limiting; retry later",
        );
        check(
            LlmError::Http {
                status: 401,
                body: "bad key".into(),
            },
            false,
            "the server answered HTTP 401: bad key\nhint: check APIFORGE_LLM_API_KEY",
        );
        check(
            LlmError::AllFailed {
                attempts: vec![
                    (
                        "ollama".into(),
                        LlmError::Timeout {
                            after: Duration::from_secs(60),
                        },
                    ),
                    ("openai".into(), LlmError::malformed("not JSON")),
                ],
            },
            false,
            "every LLM provider failed: ollama: no answer within 60 s; openai: the server's answer is not what its API defines: not JSON\nhint: `apiforge doctor` checks every configured provider",
        );
    }
}
