//! Python spelling: identifiers that never clash with keywords or with the names a generated
//! module imports, and literals for JSON values.

use serde_json::Value;

/// Python keywords (soft keywords such as `match` are valid identifiers).
const KEYWORDS: [&str; 35] = [
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// Names a generated module binds itself (imports, SQLAlchemy and Pydantic class attributes,
/// route-function parameters): a field, parameter or module with one of these names gets a
/// trailing underscore in Python while its wire and column names stay as they are.
const TAKEN: [&str; 38] = [
    "annotations",
    "apitypes",
    "app",
    "auth",
    "body",
    "construct",
    "copy",
    "crud",
    "datetime",
    "db",
    "decimal",
    "dict",
    "fastapi",
    "from_orm",
    "hooks",
    "json",
    "limit",
    "metadata",
    "models",
    "offset",
    "orm",
    "parse_file",
    "parse_obj",
    "parse_raw",
    "pydantic",
    "registry",
    "request",
    "response",
    "routers",
    "sa",
    "schema",
    "schema_json",
    "schemas",
    "session",
    "sort",
    "typing",
    "update_forward_refs",
    "uuid",
];

/// More names a class attribute must avoid (Pydantic's and SQLAlchemy's own).
const CLASS_TAKEN: [&str; 3] = ["validate", "type_annotation_map", "fields"];

/// `name` as a Python identifier: unchanged unless it is a keyword or a name the generated
/// modules bind, then with a trailing underscore (sanitised names never end in one, so the
/// result cannot clash with another field).
pub(crate) fn identifier(name: &str) -> String {
    if KEYWORDS.contains(&name)
        || TAKEN.contains(&name)
        || CLASS_TAKEN.contains(&name)
        || name.starts_with("model_")
    {
        format!("{name}_")
    } else {
        name.to_owned()
    }
}

/// `name` as a Python class name (entity names are PascalCase; only `None`, `True` and
/// `False` are keywords among those).
pub(crate) fn class_name(name: &str) -> String {
    if KEYWORDS.contains(&name) {
        format!("{name}_")
    } else {
        name.to_owned()
    }
}

/// A Python string literal in double quotes (JSON escapes are valid Python escapes).
pub(crate) fn string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

/// A Python literal for a JSON value (objects become dicts, `null` becomes `None`).
pub(crate) fn literal(value: &Value) -> String {
    match value {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Number(number) => number.to_string(),
        Value::String(text) => string(text),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(literal).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let items: Vec<String> = map
                .iter()
                .map(|(key, value)| format!("{}: {}", string(key), literal(value)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(name: &str, expect: &str) {
        assert_eq!(identifier(name), expect, "identifier of {name:?}");
    }

    #[test]
    fn reserved_names_get_an_underscore() {
        check("title", "title");
        check("from", "from_");
        check("class", "class_");
        check("metadata", "metadata_");
        check("model_year", "model_year_");
        check("session", "session_");
        check("order", "order");
        assert_eq!(class_name("None"), "None_");
        assert_eq!(class_name("Class"), "Class");
    }

    #[test]
    fn literals() {
        assert_eq!(
            literal(&json!({ "a": [true, null, 1.5, "x\"y"] })),
            r#"{"a": [True, None, 1.5, "x\"y"]}"#
        );
    }
}
