//! Base URLs: parsing them, and offline mode's loopback-only rule (US-06).
//!
//! The rule looks only at the URL's text: an IPv4 literal in `127.0.0.0/8`, the IPv6 literal
//! `::1` (or an IPv4-mapped loopback address), or the host name `localhost`. Nothing is
//! resolved, so a refused URL never causes a DNS lookup or a connection. (`url` canonicalises
//! numeric hosts first, so `http://2130706433/` and `http://127.1/` are read as `127.0.0.1`.)
//! In offline mode the HTTP client also pins `localhost` to `127.0.0.1`/`::1`, so a hosts
//! file cannot send it elsewhere.

use url::{Host, Url};

use crate::LlmError;

/// Refuses `url` when `offline` is set and its host is not loopback, without resolving or
/// connecting. A URL that does not parse is a [`LlmError::Config`] error.
///
/// # Errors
///
/// [`LlmError::Offline`] naming the host, or [`LlmError::Config`] for a bad URL.
pub fn check_offline(url: &str, offline: bool) -> Result<(), LlmError> {
    let parsed = Url::parse(url)
        .map_err(|error| LlmError::config(format!("{} is not a valid URL: {error}", shown(url))))?;
    check_offline_url(&parsed, offline)
}

pub(crate) fn check_offline_url(url: &Url, offline: bool) -> Result<(), LlmError> {
    if !offline || is_loopback(url) {
        return Ok(());
    }
    Err(LlmError::Offline {
        url: redacted(url),
        host: url.host_str().unwrap_or_default().to_owned(),
    })
}

/// Whether the URL's host is a loopback literal or `localhost`, by its text alone.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Whether the host is the name `localhost` (pinned to loopback addresses in offline mode).
pub(crate) fn is_localhost_name(url: &Url) -> bool {
    matches!(url.host(), Some(Host::Domain(name)) if name.eq_ignore_ascii_case("localhost"))
}

/// Parses a provider base URL from `setting` (named in errors): `http` or `https`, a host, and
/// no user name or password (keys go in `APIFORGE_LLM_API_KEY`, never in a URL that could
/// be logged).
pub(crate) fn parse_base_url(raw: &str, setting: &str) -> Result<Url, LlmError> {
    let url = Url::parse(raw.trim()).map_err(|error| {
        LlmError::config(format!(
            "{setting} is not a valid URL ({error}): {}\nhint: write it like http://127.0.0.1:11434",
            shown(raw)
        ))
    })?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(LlmError::config(format!(
            "{setting} must be an http:// or https:// URL, got {}",
            redacted(&url)
        )));
    }
    if url.host().is_none() {
        return Err(LlmError::config(format!(
            "{setting} has no host: {}",
            redacted(&url)
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(LlmError::config(format!(
            "{setting} must not contain a user name or password: {}\nhint: give the key in APIFORGE_LLM_API_KEY",
            redacted(&url)
        )));
    }
    Ok(url)
}

/// The URL without user name and password.
pub(crate) fn redacted(url: &Url) -> String {
    let mut url = url.clone();
    // Both only fail for URLs that cannot have credentials, which then have none to remove.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.to_string()
}

/// An unparsable URL is shown only when it cannot hold credentials.
pub(crate) fn shown(raw: &str) -> String {
    if raw.contains('@') {
        "(a URL containing '@', not shown)".to_owned()
    } else {
        format!("{raw:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(url: &str, allowed: bool) {
        let result = check_offline(url, true);
        assert_eq!(result.is_ok(), allowed, "{url}: {result:?}");
        if !allowed {
            assert!(
                matches!(result, Err(LlmError::Offline { .. })),
                "{result:?}"
            );
        }
        assert!(check_offline(url, false).is_ok());
    }

    #[test]
    fn loopback_rule() {
        check("http://127.0.0.1:11434", true);
        check("http://127.8.9.10/", true);
        check("http://127.1:8080", true);
        check("http://2130706433/", true);
        check("http://[::1]:8080/v1", true);
        check("http://[::ffff:127.0.0.1]/", true);
        check("http://localhost:11434", true);
        check("https://LOCALHOST/", true);
        check("http://example.com", false);
        check("http://10.0.0.1:11434", false);
        check("http://0.0.0.0:11434", false);
        check("http://[::]/", false);
        check("http://localhost.example.com/", false);
        check("http://127.0.0.1.nip.io/", false);
        check("https://api.openai.com/v1", false);
    }

    #[test]
    fn offline_error_names_host_without_credentials() {
        let error = check_offline("http://user:pw@example.com:8080/v1", true)
            .expect_err("example.com is not loopback");
        let text = error.to_string();
        assert!(text.starts_with("offline mode refuses http://example.com:8080/v1: example.com is not a loopback address\nhint: "), "{text}");
        assert!(!text.contains("pw"), "{text}");
    }

    #[test]
    fn base_urls() {
        assert!(parse_base_url("http://127.0.0.1:11434", "X").is_ok());
        let bad = |raw: &str| {
            parse_base_url(raw, "APIFORGE_LLM_BASE_URL")
                .expect_err(raw)
                .to_string()
        };
        assert_eq!(
            bad("localhost:11434"),
            "APIFORGE_LLM_BASE_URL must be an http:// or https:// URL, got localhost:11434"
        );
        assert_eq!(
            bad("not a url"),
            "APIFORGE_LLM_BASE_URL is not a valid URL (relative URL without a base): \"not a url\"\nhint: write it like http://127.0.0.1:11434"
        );
        let creds = bad("http://me:sk-secret@127.0.0.1/");
        assert!(!creds.contains("sk-secret"), "{creds}");
        assert!(
            creds.contains("must not contain a user name or password"),
            "{creds}"
        );
        assert!(!bad("ht tp://me:sk-secret@x/").contains("sk-secret"));
    }
}
