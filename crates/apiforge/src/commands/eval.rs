//! `apiforge eval`: the built-in planner scored against a corpus, per prompt and overall.

use std::process::ExitCode;

use apiforge_planner::eval::{CaseInput, Score, parse_corpus, score};
use serde_json::json;

use crate::cli::EvalArgs;
use crate::exit::{BadInput, Failed};
use crate::output::print_line;

/// The acceptance bar: every expected entity, ≥ 95 % of expected fields.
const MIN_FIELD_RECALL: f64 = 0.95;

pub fn run(args: &EvalArgs) -> anyhow::Result<ExitCode> {
    let text = fs_err::read_to_string(&args.corpus)
        .map_err(|e| BadInput(format!("cannot read corpus: {e}")))?;
    let cases = parse_corpus(&text)
        .map_err(|e| BadInput(format!("corpus {}: {e}", args.corpus.display())))?;
    let directory = args.corpus.parent().unwrap_or(std::path::Path::new("."));

    let mut overall = Score::default();
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for case in &cases {
        let planned = match &case.input {
            CaseInput::Prompt(prompt) => apiforge_planner::plan_prompt(prompt),
            CaseInput::Csv(file) => {
                let path = directory.join(file);
                let bytes =
                    fs_err::read(&path).map_err(|e| BadInput(format!("case {}: {e}", case.id)))?;
                apiforge_planner::plan_csv(file, &bytes)
            }
        };
        let case_score = match planned {
            Ok(manifest) => score(&manifest, &case.expect),
            Err(error) => {
                let mut failed = score(&empty_manifest(), &case.expect);
                failed.missing.insert(0, format!("planner error: {error}"));
                failed
            }
        };
        if case_score.entity_recall() < 1.0 || case_score.field_recall() < MIN_FIELD_RECALL {
            failures.push(case.id.clone());
        }
        overall.add(&case_score);
        rows.push((case.id.clone(), case_score));
    }

    if args.json {
        let cases: Vec<_> = rows.iter().map(|(id, s)| score_json(Some(id), s)).collect();
        print_line(&json!({ "ok": failures.is_empty(), "cases": cases, "overall": score_json(None, &overall) }).to_string());
    } else {
        print_line(&format!(
            "{:<22} {:>8} {:>8} {:>8} {:>9} {:>9}",
            "case", "entity", "field", "relation", "entity", "field"
        ));
        print_line(&format!(
            "{:<22} {:>8} {:>8} {:>8} {:>9} {:>9}",
            "", "recall", "recall", "recall", "precision", "precision"
        ));
        for (id, s) in rows
            .iter()
            .map(|(id, s)| (id.as_str(), s))
            .chain([("OVERALL", &overall)])
        {
            print_line(&format!(
                "{:<22} {:>7.1}% {:>7.1}% {:>7.1}% {:>8.1}% {:>8.1}%",
                id,
                s.entity_recall() * 100.0,
                s.field_recall() * 100.0,
                s.relation_recall() * 100.0,
                s.entity_precision() * 100.0,
                s.field_precision() * 100.0
            ));
            for missing in &s.missing {
                print_line(&format!("    missing: {missing}"));
            }
        }
    }
    if failures.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(Failed(format!(
            "{} case(s) below the bar (100 % entities, {:.0} % fields): {}",
            failures.len(),
            MIN_FIELD_RECALL * 100.0,
            failures.join(", ")
        ))
        .into())
    }
}

fn empty_manifest() -> apiforge_manifest::Manifest {
    apiforge_manifest::Manifest {
        name: "none".into(),
        title: String::new(),
        description: String::new(),
        auth: apiforge_manifest::Auth::None,
        entities: Vec::new(),
    }
}

fn score_json(id: Option<&str>, s: &Score) -> serde_json::Value {
    json!({
        "id": id,
        "entity_recall": s.entity_recall(),
        "field_recall": s.field_recall(),
        "relation_recall": s.relation_recall(),
        "entity_precision": s.entity_precision(),
        "field_precision": s.field_precision(),
        "missing": s.missing,
    })
}
