//! Every prompt of the corpus: all expected entities and relations found, ≥ 95 % of the
//! expected fields per case and overall. Prints a per-case table so a failure is readable.

use apiforge_planner::eval::{Score, score};
use apiforge_planner::plan_prompt;

#[test]
fn corpus_prompts_meet_the_recall_targets() {
    let cases = crate::prompt_cases();
    assert!(cases.len() >= 14, "the corpus has its prompt cases");
    let mut total = Score::default();
    let mut failures = Vec::new();
    let mut table = format!(
        "{:<20} {:>7} {:>7} {:>7} {:>7} {:>7}\n",
        "case", "ent.R", "fld.R", "rel.R", "ent.P", "fld.P"
    );
    for (id, prompt, expect) in &cases {
        let manifest = match plan_prompt(prompt) {
            Ok(manifest) => manifest,
            Err(error) => {
                failures.push(format!("{id}: planning failed: {error}"));
                continue;
            }
        };
        let case = score(&manifest, expect);
        table.push_str(&format!(
            "{:<20} {:>6.0}% {:>6.0}% {:>6.0}% {:>6.0}% {:>6.0}%\n",
            id,
            case.entity_recall() * 100.0,
            case.field_recall() * 100.0,
            case.relation_recall() * 100.0,
            case.entity_precision() * 100.0,
            case.field_precision() * 100.0,
        ));
        if case.entity_recall() < 1.0 || case.field_recall() < 0.95 || case.relation_recall() < 1.0
        {
            failures.push(format!("{id}: missing {}", case.missing.join(", ")));
        }
        total.add(&case);
    }
    table.push_str(&format!(
        "{:<20} {:>6.1}% {:>6.1}% {:>6.1}% {:>6.1}% {:>6.1}%\n",
        "overall",
        total.entity_recall() * 100.0,
        total.field_recall() * 100.0,
        total.relation_recall() * 100.0,
        total.entity_precision() * 100.0,
        total.field_precision() * 100.0,
    ));
    eprintln!("{table}");
    assert!(
        total.field_recall() >= 0.95,
        "overall field recall\n{table}"
    );
    assert!(failures.is_empty(), "{}\n{table}", failures.join("\n"));
}
