//! Deterministic text: pretty JSON, or block-style YAML from a small emitter of our own.
//!
//! The YAML emitter exists because general-purpose serialisers write strings such as
//! `2025-03-14`, `on` or `1_000` unquoted; YAML 1.2 readers take them as strings, but YAML 1.1
//! readers (PyYAML, used by openapi-spec-validator and many Python tools) turn them into dates,
//! booleans and numbers. Here every string that is not obviously plain text is double-quoted
//! with JSON escapes (valid YAML), so every reader gets back exactly the JSON value.

use std::path::Path;

use serde_json::Value;

/// Output syntax of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Pretty-printed JSON (two-space indent).
    Json,
    /// Block-style YAML.
    Yaml,
}

impl Format {
    /// The format a file name asks for: `.json`, or `.yaml` / `.yml` (case-insensitive).
    pub fn from_path(path: &Path) -> Option<Format> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "json" => Some(Format::Json),
            "yaml" | "yml" => Some(Format::Yaml),
            _ => None,
        }
    }
}

/// The document as text, ending with a newline; the same value always gives the same bytes.
pub fn render(document: &Value, format: Format) -> String {
    match format {
        Format::Json => {
            let mut text = serde_json::to_string_pretty(document)
                .expect("a JSON value with string keys always serialises");
            text.push('\n');
            text
        }
        Format::Yaml => {
            let mut out = String::new();
            match document {
                Value::Object(map) if !map.is_empty() => block(document, 0, &mut out),
                Value::Array(items) if !items.is_empty() => block(document, 0, &mut out),
                scalar => {
                    out.push_str(&inline(scalar));
                    out.push('\n');
                }
            }
            out
        }
    }
}

/// A non-empty mapping or sequence, one entry per line at `indent`.
fn block(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                out.push_str(&pad);
                out.push_str(&string(key));
                out.push(':');
                nested(value, indent + 2, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                out.push_str(&pad);
                out.push('-');
                match item {
                    // The first entry of a mapping shares the dash's line.
                    Value::Object(map) if !map.is_empty() => {
                        let mut inner = String::new();
                        block(item, indent + 2, &mut inner);
                        out.push(' ');
                        out.push_str(&inner[indent + 2..]);
                    }
                    _ => nested(item, indent + 2, out),
                }
            }
        }
        scalar => {
            out.push_str(&pad);
            out.push_str(&inline(scalar));
            out.push('\n');
        }
    }
}

/// The value after `key:` or `-`: inline if scalar or empty, else on the following lines.
fn nested(value: &Value, indent: usize, out: &mut String) {
    let is_block = match value {
        Value::Object(map) => !map.is_empty(),
        Value::Array(items) => !items.is_empty(),
        _ => false,
    };
    if is_block {
        out.push('\n');
        block(value, indent, out);
    } else {
        out.push(' ');
        out.push_str(&inline(value));
        out.push('\n');
    }
}

fn inline(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s),
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
    }
}

/// Plain if it can only be read back as this string under YAML 1.1 and 1.2; else
/// double-quoted with JSON escapes.
fn string(text: &str) -> String {
    if is_plain_safe(text) {
        text.to_owned()
    } else {
        serde_json::to_string(text).expect("a string always serialises")
    }
}

fn is_plain_safe(text: &str) -> bool {
    const WORDS: [&str; 14] = [
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", "nan", "inf", "none", "=",
    ];
    let Some(first) = text.chars().next() else {
        return false;
    };
    // Inside a block-context plain scalar only ": " and " #" end or break it; `:` and `#` are
    // excluded outright, and flow indicators ([]{}) too, for readers that are strict about them.
    (first.is_ascii_alphabetic() || first == '/' || first == '$' || first == '_')
        && text.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    ' ' | '_'
                        | '.'
                        | '/'
                        | '-'
                        | '$'
                        | ','
                        | ';'
                        | '('
                        | ')'
                        | '`'
                        | '\''
                        | '!'
                        | '?'
                        | '*'
                        | '&'
                        | '%'
                        | '@'
                        | '+'
                        | '='
                        | '<'
                        | '>'
                        | '|'
                        | '~'
                        | '^'
                )
        })
        && !text.ends_with(' ')
        && !text.contains("  ")
        && !WORDS.contains(&text.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(input: Value, expect: &str) {
        let yaml = render(&input, Format::Yaml);
        assert_eq!(yaml, expect);
        let back: Value = yaml_serde::from_str(&yaml).expect("rendered YAML parses");
        assert_eq!(back, input, "YAML reads back as the same value");
    }

    #[test]
    fn yaml_quotes_what_could_be_misread() {
        check(
            json!({
                "openapi": "3.1.0",
                "day": "2025-03-14",
                "flag": "on",
                "yes": "No",
                "200": { "description": "OK" },
                "path": "/books/{book_id}",
                "$ref": "#/components/schemas/Book",
                "text": "Line one.\nLine \"two\": done",
                "plain": "application/json",
                "n": 1.5,
                "i": -3,
                "empty": {},
                "none": [],
                "nothing": null,
                "list": [1, "a", { "k": "v", "l": [true] }, [2]]
            }),
            "openapi: \"3.1.0\"\nday: \"2025-03-14\"\nflag: \"on\"\n\"yes\": \"No\"\n\"200\":\n  description: OK\npath: \"/books/{book_id}\"\n$ref: \"#/components/schemas/Book\"\ntext: \"Line one.\\nLine \\\"two\\\": done\"\nplain: application/json\n\"n\": 1.5\ni: -3\nempty: {}\n\"none\": []\nnothing: null\nlist:\n  - 1\n  - a\n  - k: v\n    l:\n      - true\n  -\n    - 2\n",
        );
    }

    #[test]
    fn formats_from_paths() {
        assert_eq!(
            Format::from_path(Path::new("api/openapi.yaml")),
            Some(Format::Yaml)
        );
        assert_eq!(
            Format::from_path(Path::new("openapi.YML")),
            Some(Format::Yaml)
        );
        assert_eq!(
            Format::from_path(Path::new("openapi.json")),
            Some(Format::Json)
        );
        assert_eq!(Format::from_path(Path::new("openapi.txt")), None);
        assert_eq!(Format::from_path(Path::new("openapi")), None);
    }
}
