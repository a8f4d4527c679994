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

/// 512 cases, or `PROPTEST_CASES` for a longer local run.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(512)
}

fn corpus_like() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 0..40).prop_map(|words| words.join(" "))
}

const NOUNS: &[&str] = &[
    "books",
    "an author",
    "order items",
    "a customer",
    "the Class",
    "employees",
    "a manager",
    "tags",
    "a status",
    "the price",
    "users",
    "posts",
    "loans",
    "a venue",
    "readings",
    "an optional parent category",
    "Import records",
    "a location",
    "work email",
];
const VERBS: &[&str] = &[
    "have",
    "has",
    "belong to",
    "belongs to",
    "has many",
    "contains",
    "references",
    "is assigned to",
    "are many-to-many with",
    "log",
    "send",
    "can borrow",
    "register for",
    "with",
    "records which",
    "uses many",
    ":",
    "(",
];

/// Sentence-shaped prompts: subject, verb, a list of objects, a full stop.
fn sentence_like() -> impl Strategy<Value = String> {
    let sentence = (
        prop::sample::select(NOUNS),
        prop::sample::select(VERBS),
        prop::collection::vec(prop::sample::select(NOUNS), 1..5),
    )
        .prop_map(|(subject, verb, objects)| format!("{subject} {verb} {}.", objects.join(", ")));
    prop::collection::vec(sentence, 1..6).prop_map(|sentences| sentences.join(" "))
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
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn any_text_plans_validly_or_fails_cleanly(prompt in any::<String>()) {
        assert_plans_validly(&prompt)?;
    }

    #[test]
    fn sentence_like_text_plans_validly_or_fails_cleanly(prompt in sentence_like()) {
        assert_plans_validly(&prompt)?;
    }

    #[test]
    fn corpus_like_text_plans_validly_or_fails_cleanly(prompt in corpus_like()) {
        assert_plans_validly(&prompt)?;
    }
}
