//! A small HTTP/1.1 client for a running `apiforge serve`, shared by the commands that talk
//! to one (`bench api`, `bench jobs`, `prompts`): a base URL, a bearer credential and one
//! pooled hyper client.
//!
//! Errors are chosen for the CLI's exit codes: a bad URL, an empty token, an unreachable
//! server and a 4xx answer (or 503: the server is not set up for the request) are the
//! user's to fix ([`BadInput`], exit 2), said in one line with the problem's `detail`; any
//! other non-2xx answer is a failure (exit 1).

use std::time::Duration;

use anyhow::Context;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use crate::exit::{BadInput, Failed};

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// How long one request may take before it is given up (the load of `bench` never comes
/// near it; it only keeps a hung server from hanging the command).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// A server to call: base URL, credential and one pooled client.
pub(crate) struct Target {
    base: String,
    token: String,
    client: HttpClient,
}

impl Target {
    /// A client of the server at `url` (an `http://` URL) using `token`, keeping up to
    /// `connections` idle connections.
    ///
    /// # Errors
    ///
    /// [`BadInput`] for a URL that is not `http://…` or an empty token.
    pub(crate) fn new(url: &str, token: &str, connections: usize) -> Result<Target, BadInput> {
        let base = url.trim().trim_end_matches('/').to_owned();
        if !base.starts_with("http://") || base.parse::<hyper::Uri>().is_err() {
            return Err(BadInput(format!(
                "--url {url:?} is not an http:// URL of a running `apiforge serve`"
            )));
        }
        if token.trim().is_empty() {
            return Err(BadInput(
                "--token is empty: give an API token or session JWT".into(),
            ));
        }
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(connections)
            .build(connector);
        Ok(Target {
            base,
            token: token.trim().to_owned(),
            client,
        })
    }

    /// The server's base URL, without a trailing `/`.
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// One request; the status and the whole body. A server that cannot be reached is
    /// [`BadInput`] (is it running at `--url`?).
    pub(crate) async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<(u16, Bytes)> {
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {}", self.token));
        let body = match body {
            Some(json) => {
                request = request.header("content-type", "application/json");
                Full::new(Bytes::from(json.to_string()))
            }
            None => Full::new(Bytes::new()),
        };
        let request = request.body(body).context("building the request")?;
        let response = match tokio::time::timeout(REQUEST_TIMEOUT, self.client.request(request))
            .await
        {
            Ok(Ok(response)) => response,
            Ok(Err(error)) if error.is_connect() => {
                return Err(BadInput(format!(
                    "cannot reach the server at {}: {}; is `apiforge serve` running there? (--url or APIFORGE_URL)",
                    self.base,
                    root_cause(&error)
                ))
                .into());
            }
            Ok(Err(error)) => {
                return Err(anyhow::anyhow!(
                    "{method} {}{path}: {}",
                    self.base,
                    causes(&error)
                ));
            }
            Err(_) => {
                return Err(Failed(format!(
                    "{method} {}{path}: no answer within {} s",
                    self.base,
                    REQUEST_TIMEOUT.as_secs()
                ))
                .into());
            }
        };
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .with_context(|| format!("reading the answer to {method} {path}"))?
            .to_bytes();
        Ok((status, body))
    }

    /// A request whose answer must be 2xx JSON; otherwise an error naming the request and
    /// the problem's detail in one line ([`check`]).
    pub(crate) async fn json(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Value> {
        let (status, bytes) = self.call(method, path, body).await?;
        check(method, path, status, &bytes)?;
        serde_json::from_slice(&bytes).with_context(|| format!("{method} {path}: not JSON"))
    }

    /// `GET path` as JSON (see [`Target::json`]).
    pub(crate) async fn get_json(&self, path: &str) -> anyhow::Result<Value> {
        self.json("GET", path, None).await
    }
}

/// An error's message and its causes, on one line (hyper's own message is only "client
/// error (Connect)"; the cause says "Connection refused").
fn causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The innermost cause (for a refused connection: "Connection refused (os error 111)").
fn root_cause(error: &dyn std::error::Error) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

/// Accepts a 2xx status; otherwise one line, `METHOD PATH answered STATUS TITLE: DETAIL`, from
/// the server's problem+json (or the start of the body). 4xx and 503 are [`BadInput`] (exit 2),
/// other statuses [`Failed`] (exit 1).
pub(crate) fn check(method: &str, path: &str, status: u16, body: &[u8]) -> anyhow::Result<()> {
    if (200..300).contains(&status) {
        return Ok(());
    }
    let message = format!("{method} {path} answered {}", problem_line(status, body));
    if (400..500).contains(&status) || status == 503 {
        Err(BadInput(message).into())
    } else {
        Err(Failed(message).into())
    }
}

/// `STATUS TITLE: DETAIL` of a problem+json body, else `STATUS: <start of the body>`.
pub(crate) fn problem_line(status: u16, body: &[u8]) -> String {
    let problem: Option<Value> = serde_json::from_slice(body).ok();
    let detail = problem
        .as_ref()
        .and_then(|p| p.get("detail"))
        .and_then(Value::as_str);
    let line = match detail {
        Some(detail) => {
            let title = problem
                .as_ref()
                .and_then(|p| p.get("title"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            format!("{status} {title}: {detail}")
        }
        None => format!(
            "{status}: {}",
            String::from_utf8_lossy(body)
                .chars()
                .take(200)
                .collect::<String>()
        ),
    };
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A multi-threaded Tokio runtime for one command.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_line(status: u16, body: &str, expect: &str) {
        assert_eq!(problem_line(status, body.as_bytes()), expect);
    }

    #[test]
    fn problems_are_one_line() {
        check_line(
            404,
            r#"{"type":"about:blank","title":"Not Found","status":404,"detail":"no prompt \"x\""}"#,
            r#"404 Not Found: no prompt "x""#,
        );
        check_line(502, "bad\ngateway", "502: bad gateway");
        let error = check("GET", "/api/prompts", 401, b"{}").expect_err("401 fails");
        assert_eq!(crate::exit::code_for(&error), 2);
        let error = check("GET", "/api/prompts", 500, b"{}").expect_err("500 fails");
        assert_eq!(crate::exit::code_for(&error), 1);
        assert!(check("GET", "/", 204, b"").is_ok());
    }

    #[test]
    fn urls_and_tokens_are_checked() {
        assert!(Target::new("https://example.com", "t", 1).is_err());
        assert!(Target::new("http://127.0.0.1:8080", " ", 1).is_err());
        let target = Target::new("http://127.0.0.1:8080/", " t ", 1).expect("valid");
        assert_eq!(target.base(), "http://127.0.0.1:8080");
    }
}
