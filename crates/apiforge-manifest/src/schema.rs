//! The JSON Schema of the manifest, derived from the types so it cannot drift from them.

use serde_json::Value;

use crate::Manifest;

/// JSON Schema (draft 2020-12) describing a manifest; printed by `apiforge plan --schema` and
/// used to validate LLM output.
pub fn json_schema() -> Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(Manifest))
        .expect("a schemars schema serialises to JSON");
    if let Value::Object(map) = &mut schema {
        map.insert(
            "$id".into(),
            Value::String("https://smartapiforge.dev/schemas/manifest.schema.json".into()),
        );
        map.insert(
            "title".into(),
            Value::String("SmartAPIForge manifest".into()),
        );
    }
    schema
}
