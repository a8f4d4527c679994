//! The shared corpus: every prompt case is planned, turned into a spec, validated and
//! snapshotted under its case id.

use apiforge_manifest::ValidManifest;
use apiforge_planner::eval::{CaseInput, parse_corpus};
use apiforge_planner::{PlanError, plan_csv, plan_prompt};

const CORPUS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../corpus/prompts.jsonl"
));
const CORPUS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../corpus");

/// Every corpus case the planner can plan, by case id. Until the built-in planner lands it
/// answers `NothingToPlan` for every prompt; those cases are skipped (and reported) rather
/// than failed, because planning quality is the planner's own test suite's concern.
pub(crate) fn planned_cases() -> Vec<(String, ValidManifest)> {
    let cases = parse_corpus(CORPUS).expect("the corpus parses");
    let mut planned = Vec::new();
    for case in cases {
        let result = match &case.input {
            CaseInput::Prompt(prompt) => plan_prompt(prompt),
            CaseInput::Csv(file) => {
                let bytes = std::fs::read(format!("{CORPUS_DIR}/{file}"))
                    .unwrap_or_else(|e| panic!("{}: cannot read {file}: {e}", case.id));
                plan_csv(file, &bytes)
            }
        };
        match result {
            Ok(manifest) => planned.push((case.id, manifest)),
            Err(PlanError::NothingToPlan) => {
                eprintln!(
                    "corpus case {}: skipped, the planner planned nothing",
                    case.id
                );
            }
            Err(error) => panic!("corpus case {}: planning failed: {error}", case.id),
        }
    }
    planned
}

#[test]
fn corpus_cases_generate_valid_documents() {
    for (id, manifest) in planned_cases() {
        let yaml = crate::check_document(&id, &manifest);
        insta::assert_snapshot!(format!("corpus_{id}"), yaml);
    }
}
