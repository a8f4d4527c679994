//! Validation against the official OpenAPI 3.1 JSON Schema, embedded in the binary.

use std::sync::LazyLock;

use serde_json::Value;

/// The official schema (see `schemas/README.md` for its source and version).
const OPENAPI_31_SCHEMA: &str = include_str!("../schemas/openapi-3.1.schema.json");

/// Compiled once: building the validator costs far more than running it.
static VALIDATOR: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    let schema: Value =
        serde_json::from_str(OPENAPI_31_SCHEMA).expect("the embedded OpenAPI schema is JSON");
    // Draft 2020-12 (the schema's `$schema`) and its meta-schemas are bundled with the crate,
    // and the `$dynamicRef`s point inside the document, so nothing is fetched. Formats stay
    // annotations, as 2020-12 specifies: this schema version declares `$ref` values
    // `format: uri`, which would wrongly reject every relative `#/components/...` reference.
    jsonschema::draft202012::options()
        .should_validate_formats(false)
        .build(&schema)
        .expect("the embedded OpenAPI schema compiles")
});

/// A document that breaks the OpenAPI 3.1 schema; each error reads `at /json/pointer: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", summary(.errors))]
pub struct InvalidSpec {
    /// Every violation, in the validator's order, duplicates removed.
    pub errors: Vec<String>,
}

fn summary(errors: &[String]) -> String {
    match errors {
        [] => "invalid OpenAPI document".to_owned(),
        [only] => format!("invalid OpenAPI document: {only}"),
        [first, rest @ ..] => format!(
            "invalid OpenAPI document: {first} (and {} more)",
            rest.len()
        ),
    }
}

/// Checks `document` against the official OpenAPI 3.1 JSON Schema.
pub fn validate(document: &Value) -> Result<(), InvalidSpec> {
    if VALIDATOR.is_valid(document) {
        return Ok(());
    }
    let mut errors: Vec<String> = Vec::new();
    for error in VALIDATOR.iter_errors(document) {
        let pointer = error.instance_path().to_string();
        // The root's JSON pointer is the empty string; "/" reads better in a message.
        let pointer = if pointer.is_empty() {
            "/".to_owned()
        } else {
            pointer
        };
        // Masked: the offending value can be a whole path item, too long for a message.
        let message = format!("at {pointer}: {}", error.masked());
        if !errors.contains(&message) {
            errors.push(message);
        }
    }
    if errors.is_empty() {
        errors.push("at /: the document does not match the OpenAPI 3.1 schema".to_owned());
    }
    Err(InvalidSpec { errors })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(document: Value, expect: Result<(), &str>) {
        let got = validate(&document).map_err(|error| error.to_string());
        match (got, expect) {
            (Ok(()), Ok(())) => {}
            (Err(message), Err(part)) => {
                assert!(
                    message.contains(part),
                    "{message:?} should contain {part:?}"
                );
            }
            (got, expect) => panic!("got {got:?}, expected {expect:?}"),
        }
    }

    #[test]
    fn accepts_minimal_and_rejects_broken_documents() {
        check(
            json!({ "openapi": "3.1.0", "info": { "title": "t", "version": "1" }, "paths": {} }),
            Ok(()),
        );
        check(
            json!({ "openapi": "3.1.0", "paths": {} }),
            Err("at /: \"info\" is a required property"),
        );
        check(
            json!({ "openapi": "3.0.3", "info": { "title": "t", "version": "1" }, "paths": {} }),
            Err("at /openapi"),
        );
        check(
            json!({ "openapi": "3.1.0", "info": { "title": "t", "version": "1" },
                    "paths": { "/a": { "get": { "responses": { "2000": { "description": "x" } } } } } }),
            Err("at /paths/~1a/get/responses"),
        );
    }

    #[test]
    fn display_counts_the_rest() {
        let error = InvalidSpec {
            errors: vec!["at /a: x".into(), "at /b: y".into(), "at /c: z".into()],
        };
        assert_eq!(
            error.to_string(),
            "invalid OpenAPI document: at /a: x (and 2 more)"
        );
    }
}
