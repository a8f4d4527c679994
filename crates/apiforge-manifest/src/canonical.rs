//! Canonical JSON (sorted keys, no whitespace) and the manifest hash derived from it.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::Manifest;

/// The canonical JSON text of a manifest: object keys sorted, no insignificant whitespace.
/// Two manifests with the same meaning-bearing content have the same canonical text.
pub fn canonical_json(manifest: &Manifest) -> String {
    let value =
        serde_json::to_value(manifest).expect("a manifest serialises: its map keys are strings");
    sorted(value).to_string()
}

/// Lower-case hex sha256 of [`canonical_json`]: the manifest's identity for caching,
/// regeneration and diffs.
pub fn manifest_hash(manifest: &Manifest) -> String {
    hex::encode(Sha256::digest(canonical_json(manifest).as_bytes()))
}

fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(key, value)| (key, sorted(value)))
                    .collect::<Map<String, Value>>(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Entity, Field, FieldType};

    fn library() -> Manifest {
        let mut book = Entity::new("Book");
        book.fields.push(Field::new("title", FieldType::String));
        Manifest {
            name: "library".into(),
            title: "Library API".into(),
            description: String::new(),
            auth: crate::Auth::None,
            entities: vec![book],
        }
    }

    #[test]
    fn canonical_json_sorts_keys_and_is_compact() {
        let text = canonical_json(&library());
        assert_eq!(
            text,
            r#"{"auth":{"kind":"none"},"description":"","entities":[{"fields":[{"name":"title","required":true,"type":"string","unique":false}],"name":"Book","plural":"books"}],"name":"library","title":"Library API"}"#
        );
    }

    #[test]
    fn hash_is_stable_and_content_sensitive() {
        let a = manifest_hash(&library());
        assert_eq!(a.len(), 64);
        assert_eq!(a, manifest_hash(&library()));
        let mut changed = library();
        changed.title = "Library".into();
        assert_ne!(a, manifest_hash(&changed));
    }
}
