//! Secrets out of everything the registry stores or logs: well-known key formats,
//! `key = value` assignments of secret-looking names, bearer tokens, JWTs, passwords in
//! URLs, and the values of variables declared secret.

use std::sync::LazyLock;

use regex::Regex;

/// What a secret becomes.
pub const REDACTED: &str = "[REDACTED]";

struct Rule {
    pattern: Regex,
    /// `$name` groups kept around the secret.
    replacement: &'static str,
}

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let rule = |pattern: &str, replacement: &'static str| {
        Regex::new(pattern).map(|pattern| Rule {
            pattern,
            replacement,
        })
    };
    [
        // Passwords in URLs: scheme://user:password@host.
        rule(r"(?P<pre>[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+:)[^@\s/]+(?P<post>@)", "$pre[REDACTED]$post"),
        // `api_key = …`, `"password": "…"`, `token: …` (the name and separator stay).
        rule(
            r#"(?i)(?P<pre>["']?\b(?:api[_-]?key|apikey|secret(?:[_-]?key)?|client[_-]?secret|access[_-]?key|auth[_-]?token|access[_-]?token|token|password|passwd|pwd)\b["']?\s*[:=]\s*)(?:"[^"]*"|'[^']*'|[^\s,;}]+)"#,
            "$pre[REDACTED]",
        ),
        rule(r"(?i)(?P<pre>\bbearer\s+)[A-Za-z0-9._~+/-]{8,}=*", "$pre[REDACTED]"),
        rule(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}", REDACTED),
        rule(r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}", REDACTED),
        rule(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}|\bgithub_pat_[A-Za-z0-9_]{20,}", REDACTED),
        rule(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", REDACTED),
        rule(r"\bxox[abprs]-[A-Za-z0-9-]{10,}", REDACTED),
        rule(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}", REDACTED),
        // The forge's own API tokens (`tokens::API_TOKEN_PREFIX`).
        rule(r"\bafk_[A-Za-z0-9_-]{16,}", REDACTED),
    ]
    .into_iter()
    // The patterns are constants: one that fails to compile is dropped (and tested).
    .filter_map(Result::ok)
    .collect()
});

/// `text` with every secret replaced by [`REDACTED`]; `known` are exact secret values
/// (variables declared secret), replaced wherever they occur.
pub fn redact(text: &str, known: &[&str]) -> String {
    let mut out = text.to_owned();
    for secret in known.iter().filter(|s| s.chars().count() >= 4) {
        out = out.replace(secret, REDACTED);
    }
    for rule in RULES.iter() {
        out = rule
            .pattern
            .replace_all(&out, rule.replacement)
            .into_owned();
    }
    out
}

/// Redacts every string inside a JSON value, and the whole value of keys that name a
/// secret.
pub fn redact_json(value: &serde_json::Value, known: &[&str]) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(text) => Value::String(redact(text, known)),
        Value::Array(items) => Value::Array(items.iter().map(|v| redact_json(v, known)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, v)| {
                    let secret_key = is_secret_key(key) && !v.is_null();
                    let v = if secret_key {
                        Value::String(REDACTED.to_owned())
                    } else {
                        redact_json(v, known)
                    };
                    (key.clone(), v)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Keys whose whole value is a secret (`None` only if the constant failed to compile,
/// which the tests rule out).
static SECRET_KEY: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:api[_-]?key|apikey|secret(?:[_-]?key)?|client[_-]?secret|access[_-]?key|auth[_-]?token|access[_-]?token|token|password|passwd|pwd)$").ok()
});

fn is_secret_key(key: &str) -> bool {
    SECRET_KEY.as_ref().is_some_and(|r| r.is_match(key))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_rule_compiles() {
        assert_eq!(RULES.len(), 10);
        assert!(is_secret_key("api_key"));
    }

    #[test]
    fn secrets_are_redacted_and_the_rest_kept() {
        let cases = [
            (
                "use key sk-abcdefghijklmnopqrstuv now",
                "use key [REDACTED] now",
            ),
            ("api_key=abc123xyz and more", "api_key=[REDACTED] and more"),
            (r#"{"password": "hunter22"}"#, r#"{"password": [REDACTED]}"#),
            (
                "Authorization: Bearer abcdefghijkl.mnop",
                "Authorization: Bearer [REDACTED]",
            ),
            (
                "postgres://app:s3cret@db:5432/x",
                "postgres://app:[REDACTED]@db:5432/x",
            ),
            (
                "token: ghp_abcdefghijklmnopqrstuvwxyz012345",
                "token: [REDACTED]",
            ),
            ("AKIAABCDEFGHIJKLMNOP is aws", "[REDACTED] is aws"),
            (
                "jwt eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl end",
                "jwt [REDACTED] end",
            ),
            (
                "Books have a title and a price",
                "Books have a title and a price",
            ),
            ("the token count is high", "the token count is high"),
        ];
        for (text, expect) in cases {
            assert_eq!(redact(text, &[]), expect, "{text}");
        }
        assert_eq!(
            redact("my pin is 123456789", &["123456789"]),
            "my pin is [REDACTED]"
        );
    }

    #[test]
    fn json_values_are_redacted_by_key_and_content() {
        let input = json!({"topic": "rust", "api_key": "plain", "nested": ["sk-abcdefghijklmnopqrstuv"], "token": null});
        assert_eq!(
            redact_json(&input, &[]),
            json!({"topic": "rust", "api_key": "[REDACTED]", "nested": ["[REDACTED]"], "token": null})
        );
    }
}
