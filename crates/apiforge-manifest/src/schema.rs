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
    close_permissions(&mut schema);
    schema
}

/// schemars describes `permissions` (a map keyed by [`crate::Operation`]) as an object with
/// any keys; only the four operations are valid, and a schema that says so lets a
/// schema-constrained model (grammar-based decoding) produce nothing else.
fn close_permissions(schema: &mut Value) {
    let Some(permissions) = schema
        .pointer_mut("/$defs/Entity/properties/permissions")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let Some(roles) = permissions.remove("additionalProperties") else {
        return;
    };
    let properties: serde_json::Map<String, Value> = crate::Operation::ALL
        .iter()
        .map(|op| (op.as_str().to_owned(), roles.clone()))
        .collect();
    permissions.insert("properties".into(), Value::Object(properties));
    permissions.insert("additionalProperties".into(), Value::Bool(false));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(instance: Value, expect_valid: bool) {
        let validator = jsonschema::validator_for(&json_schema()).expect("the schema compiles");
        assert_eq!(validator.is_valid(&instance), expect_valid, "{instance}");
    }

    #[test]
    fn schema_accepts_manifests_and_rejects_wrong_shapes() {
        let manifest = json!({
            "name": "helpdesk", "title": "Helpdesk API",
            "auth": { "kind": "jwt", "roles": ["agent", "admin"] },
            "entities": [
                { "name": "Agent", "plural": "agents", "fields": [{ "name": "name", "type": "string" }] },
                { "name": "Ticket", "plural": "tickets",
                  "fields": [
                    { "name": "subject", "type": "string", "min_length": 1, "max_length": 200 },
                    { "name": "status", "type": "enum", "values": ["open", "closed"], "default": "open" }
                  ],
                  "relations": [{ "kind": "belongs_to", "target": "Agent", "required": false }],
                  "permissions": { "delete": ["admin"] } }
            ]
        });
        check(manifest.clone(), true);
        let mut unknown_operation = manifest.clone();
        unknown_operation["entities"][1]["permissions"] = json!({ "sign-in": ["admin"] });
        check(unknown_operation, false);
        let mut unknown_key = manifest.clone();
        unknown_key["entities"][0]["colour"] = json!("red");
        check(unknown_key, false);
        let mut bad_type = manifest.clone();
        bad_type["entities"][0]["fields"][0]["type"] = json!("varchar");
        check(bad_type, false);
        let mut bad_auth = manifest;
        bad_auth["auth"] = json!({ "kind": "oauth" });
        check(bad_auth, false);
    }
}
