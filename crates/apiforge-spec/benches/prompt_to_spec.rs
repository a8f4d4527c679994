//! Budget: prompt → valid OpenAPI 3.1 with the built-in planner in ≤ 50 ms (DESIGN.md).
//! One benchmark per corpus prompt, measuring plan + generate + validate + render (YAML).

use std::hint::black_box;

use apiforge_planner::eval::{CaseInput, parse_corpus};
use apiforge_planner::plan_prompt;
use apiforge_spec::{Format, generate, render, validate};
use criterion::{Criterion, criterion_group, criterion_main};

const CORPUS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../corpus/prompts.jsonl"
));

fn prompt_to_spec(c: &mut Criterion) {
    let cases = parse_corpus(CORPUS).expect("the corpus parses");
    let mut group = c.benchmark_group("prompt_to_spec");
    for case in cases {
        let CaseInput::Prompt(prompt) = case.input else {
            continue;
        };
        // Skip prompts the planner cannot plan (yet) rather than benchmark an error path.
        let Ok(manifest) = plan_prompt(&prompt) else {
            continue;
        };
        // The first validation compiles the embedded schema once per process; keep that
        // one-off cost out of the per-prompt numbers.
        validate(&generate(&manifest)).expect("the corpus spec is valid");
        group.bench_function(case.id.as_str(), |b| {
            b.iter(|| {
                let manifest = plan_prompt(black_box(&prompt)).expect("planned above");
                let document = generate(&manifest);
                validate(&document).expect("valid");
                black_box(render(&document, Format::Yaml))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, prompt_to_spec);
criterion_main!(benches);
