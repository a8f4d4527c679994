//! The LLM planner's part that needs no I/O (the call itself is the caller's, through
//! `apiforge-llm`): the prompt templates of the planner and of the code fixer, their typed
//! variables and output schemas (registered as built-in prompts of the prompt registry),
//! and turning a model's answer into a validated manifest, or into the reason to send back
//! for repair.

use apiforge_manifest::{Manifest, ValidManifest};
use serde_json::{Value, json};

/// The planner's name in the prompt registry.
pub const PLANNER_PROMPT: &str = "planner";
/// The planner's template (minijinja); its one variable is `prompt`.
pub const PLANNER_TEMPLATE: &str = include_str!("../prompts/planner.j2");
/// The fixer's name in the prompt registry.
pub const FIXER_PROMPT: &str = "fixer";
/// The fixer's template: variables `target`, `failures`, `files` (path, sha256, content).
pub const FIXER_TEMPLATE: &str = include_str!("../prompts/fixer.j2");

/// The planner template's variables, in the registry's format.
pub fn planner_variables() -> Value {
    json!([{
        "name": "prompt",
        "type": "string",
        "required": true,
        "description": "The API described in plain language"
    }])
}

/// The planner's output schema: the manifest's JSON Schema.
pub fn planner_output_schema() -> Value {
    apiforge_manifest::json_schema()
}

/// The fixer template's variables, in the registry's format.
pub fn fixer_variables() -> Value {
    json!([
        { "name": "target", "type": "string", "required": true,
          "description": "The generated project's target (fastapi)" },
        { "name": "failures", "type": "string", "required": true,
          "description": "The failing checks' output" },
        { "name": "files", "type": "json", "required": true,
          "description": "The implicated files: [{path, sha256, content}]" }
    ])
}

/// The fixer's output: an explanation and whole-file patches, each naming the sha256 of the
/// file it replaces.
pub fn fixer_output_schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["explanation", "patches"],
        "properties": {
            "explanation": { "type": "string" },
            "patches": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["path", "sha", "content"],
                    "properties": {
                        "path": { "type": "string" },
                        "sha": { "type": "string" },
                        "content": { "type": "string" }
                    }
                }
            }
        }
    })
}

/// A model's answer as a validated manifest, or what was wrong with it in words a model
/// can act on (sent back for repair). Fields a relation already implies (the foreign key
/// `author_id` of a `belongs_to` Author, which models like to spell out) are dropped first:
/// they say the same thing twice, and the relation is the one the generators read.
pub fn parse_answer(answer: &str) -> Result<ValidManifest, String> {
    let trimmed = answer
        .trim()
        .trim_start_matches("```json")
        .trim_start_matches("```")
        .trim_end_matches("```")
        .trim();
    let mut manifest: Manifest =
        serde_json::from_str(trimmed).map_err(|e| format!("the manifest is not valid: {e}"))?;
    drop_implied_foreign_keys(&mut manifest);
    manifest
        .validate()
        .map_err(|e| format!("the manifest is not valid: {e}"))
}

fn drop_implied_foreign_keys(manifest: &mut Manifest) {
    let plurals: std::collections::BTreeMap<String, String> = manifest
        .entities
        .iter()
        .map(|e| (e.name.clone(), e.plural.clone()))
        .collect();
    for entity in &mut manifest.entities {
        let implied: Vec<String> = entity
            .relations
            .iter()
            .filter(|r| r.kind == apiforge_manifest::RelationKind::BelongsTo)
            .filter_map(|r| {
                let plural = plurals.get(&r.target)?;
                Some(format!("{}_id", r.role_name(plural)))
            })
            .collect();
        entity.fields.retain(|f| !implied.contains(&f.name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_answer_becomes_a_manifest_and_an_invalid_one_a_reason() {
        let answer = r#"{"name":"library","title":"Library API","auth":{"kind":"none"},
            "entities":[{"name":"Book","plural":"books",
            "fields":[{"name":"title","type":"string","required":true}]}]}"#;
        let manifest = parse_answer(answer).expect("valid");
        assert_eq!(manifest.entities[0].name, "Book");
        assert_eq!(
            parse_answer(&format!("```json\n{answer}\n```"))
                .expect("fenced")
                .hash(),
            manifest.hash()
        );
        let with_foreign_key = answer
            .replace(
                r#""fields":[{"name":"title""#,
                r#""fields":[{"name":"author_id","type":"integer"},{"name":"title""#,
            )
            .replace(
                r#""required":true}]}]}"#,
                r#""required":true}],"relations":[{"kind":"belongs_to","target":"Author"}]},
               {"name":"Author","plural":"authors","fields":[{"name":"name","type":"string"}]}]}"#,
            );
        let planned = parse_answer(&with_foreign_key).expect("the implied key is dropped");
        let fields: Vec<&str> = planned.entities[0]
            .fields
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(fields, ["title"], "{with_foreign_key}");
        let reason = parse_answer(r#"{"name":"x","entities":[]}"#).expect_err("invalid");
        assert!(reason.starts_with("the manifest is not valid"), "{reason}");
        assert!(parse_answer("not json").is_err());
    }

    #[test]
    fn templates_name_their_variables() {
        assert!(PLANNER_TEMPLATE.contains("{{ prompt }}"));
        for name in ["target", "failures", "files"] {
            assert!(FIXER_TEMPLATE.contains(name), "{name}");
        }
        assert_eq!(planner_output_schema()["title"], "SmartAPIForge manifest");
    }
}
