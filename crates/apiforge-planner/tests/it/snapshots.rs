//! The planned manifest of every corpus prompt, snapshotted: the product's first impression,
//! reviewed by eye for sensible types and constraints.

use apiforge_planner::plan_prompt;

#[test]
fn corpus_manifests() {
    for (id, prompt, _) in crate::prompt_cases() {
        let manifest = plan_prompt(&prompt).unwrap_or_else(|e| panic!("{id}: {e}"));
        insta::with_settings!({ description => prompt.as_str(), omit_expression => true }, {
            insta::assert_json_snapshot!(id.as_str(), manifest.manifest());
        });
    }
}
