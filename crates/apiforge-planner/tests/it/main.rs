//! The planner's one integration test binary: the corpus, snapshots of planned manifests
//! and property tests.

mod corpus;
mod properties;
mod snapshots;

use apiforge_planner::eval::{CaseInput, CorpusCase, parse_corpus};

/// The shared corpus, read once per test that needs it.
pub fn corpus_cases() -> Vec<CorpusCase> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../corpus/prompts.jsonl");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    parse_corpus(&text).unwrap_or_else(|e| panic!("parsing {path}: {e}"))
}

/// The prompt cases of the corpus (CSV cases belong to the CSV importer).
pub fn prompt_cases() -> Vec<(String, String, apiforge_planner::eval::Expectation)> {
    corpus_cases()
        .into_iter()
        .filter_map(|case| match case.input {
            CaseInput::Prompt(prompt) => Some((case.id, prompt, case.expect)),
            CaseInput::Csv(_) => None,
        })
        .collect()
}
