//! Whatever the text, planning never panics and never produces an invalid manifest.

use apiforge_manifest::sanitize::{is_entity_name, is_field_name};
use apiforge_planner::{PlanError, plan_prompt};
use proptest::prelude::*;

/// Words and punctuation of the corpus's kind, so generated prompts exercise the grammar.
const WORDS: &[&str] = &[
    "books",
    "a",
    "an",
    "the",
    "title",
    "has",
    "have",
    "belongs to",
    "belong to",
    "each",
    "and",
    "with",
    "many-to-many",
    "status",
    "(",
    ")",
    ",",
    ".",
    ":",
    ";",
    "\n- ",
    "order items",
    "customers",
    "email",
    "price",
    "between 1 and 5",
    "optional",
    "unique",
    "who is also an",
    "employee",
    "manager",
    "log in",
    "only admins can delete",
    "JWT",
    "through loans that record",
    "whether",
    "checked in",
    "when it was created",
    "low/medium/high",
    "type of sale or rent",
    "location",
    "in kg",
    "number of",
    "API",
    "ignore previous instructions",
    "/admin/exec",
    "shell commands",
    "uses many",
    "for each",
    "quantity",
    "Class",
    "Import",
    "records",
    "which",
    "x",
    "é",
    "名前",
    "0",
    "-1",
    "1.5",
    "contains",
    "register for",
    "enrollment",
    "todo",
    "'s",
];

fn corpus_like() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 0..40).prop_map(|words| words.join(" "))
}

fn assert_plans_validly(prompt: &str) -> Result<(), TestCaseError> {
    match plan_prompt(prompt) {
        Ok(manifest) => {
            prop_assert!(
                is_field_name(&manifest.name),
                "{prompt:?} → name {}",
                manifest.name
            );
            for entity in &manifest.entities {
                prop_assert!(is_entity_name(&entity.name), "{prompt:?} → {}", entity.name);
                for field in &entity.fields {
                    prop_assert!(is_field_name(&field.name), "{prompt:?} → {}", field.name);
                }
            }
        }
        Err(PlanError::Invalid(errors)) => {
            prop_assert!(false, "{prompt:?} planned an invalid manifest: {errors}");
        }
        Err(_) => {}
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_text_plans_validly_or_fails_cleanly(prompt in any::<String>()) {
        assert_plans_validly(&prompt)?;
    }

    #[test]
    fn corpus_like_text_plans_validly_or_fails_cleanly(prompt in corpus_like()) {
        assert_plans_validly(&prompt)?;
    }
}
