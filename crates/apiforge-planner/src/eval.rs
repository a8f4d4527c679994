//! Scoring a planner against the corpus format of `shared/corpus/prompts.jsonl`: each line
//! names the entities, fields and relations a good manifest contains. Used by the corpus
//! tests and by `apiforge eval`. Pure: callers read files and pass text.

use std::collections::BTreeMap;

use apiforge_manifest::{Manifest, RelationKind};
use serde_json::Value;

/// One corpus line.
#[derive(Debug, Clone, PartialEq)]
pub struct CorpusCase {
    /// The case's id.
    pub id: String,
    /// What to plan from.
    pub input: CaseInput,
    /// What a good manifest contains.
    pub expect: Expectation,
}

/// A prompt, or a CSV file named relative to the corpus file (`@csv:NAME`).
#[derive(Debug, Clone, PartialEq)]
pub enum CaseInput {
    /// Plain-language prompt.
    Prompt(String),
    /// CSV file name, relative to the corpus file's directory.
    Csv(String),
}

/// Expected entities (name → field names) and relations (entity pairs).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Expectation {
    /// Entity name → expected field names (may be empty: the entity only has to exist).
    pub entities: BTreeMap<String, Vec<String>>,
    /// `(from, to)`: `from` belongs to `to`, or the two are linked many-to-many.
    pub relations: Vec<(String, String)>,
}

/// Parses a JSON-lines corpus; blank lines are skipped. Errors name the line.
pub fn parse_corpus(text: &str) -> Result<Vec<CorpusCase>, String> {
    let mut cases = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let line_no = index + 1;
        let value: Value =
            serde_json::from_str(line).map_err(|e| format!("line {line_no}: not JSON: {e}"))?;
        let field = |key: &str| {
            value
                .get(key)
                .ok_or_else(|| format!("line {line_no}: missing `{key}`"))
        };
        let id = field("id")?
            .as_str()
            .ok_or_else(|| format!("line {line_no}: `id` is not a string"))?;
        let prompt = field("prompt")?
            .as_str()
            .ok_or_else(|| format!("line {line_no}: `prompt` is not a string"))?;
        let input = match prompt.strip_prefix("@csv:") {
            Some(file) => CaseInput::Csv(file.to_owned()),
            None => CaseInput::Prompt(prompt.to_owned()),
        };
        let expect = field("expect")?;
        let mut entities = BTreeMap::new();
        if let Some(map) = expect.get("entities").and_then(Value::as_object) {
            for (name, fields) in map {
                let fields = fields
                    .as_array()
                    .map(|items| {
                        items
                            .iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                entities.insert(name.clone(), fields);
            }
        }
        let relations = expect
            .get("relations")
            .and_then(Value::as_array)
            .map(|pairs| {
                pairs
                    .iter()
                    .filter_map(|pair| match pair.as_array().map(Vec::as_slice) {
                        Some([Value::String(a), Value::String(b)]) => Some((a.clone(), b.clone())),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        cases.push(CorpusCase {
            id: id.to_owned(),
            input,
            expect: Expectation {
                entities,
                relations,
            },
        });
    }
    Ok(cases)
}

/// Recall and precision of one manifest against one expectation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Score {
    /// Expected entities found.
    pub entities_found: usize,
    /// Expected entities.
    pub entities_expected: usize,
    /// Entities in the manifest.
    pub entities_planned: usize,
    /// Expected fields found (in found entities).
    pub fields_found: usize,
    /// Expected fields.
    pub fields_expected: usize,
    /// Fields planned in entities whose expectation lists fields (precision's denominator).
    pub fields_planned: usize,
    /// Expected relations found.
    pub relations_found: usize,
    /// Expected relations.
    pub relations_expected: usize,
    /// What was expected but not found, for people to read.
    pub missing: Vec<String>,
}

impl Score {
    /// Share of expected entities found (1.0 when none expected).
    pub fn entity_recall(&self) -> f64 {
        ratio(self.entities_found, self.entities_expected)
    }
    /// Share of expected fields found.
    pub fn field_recall(&self) -> f64 {
        ratio(self.fields_found, self.fields_expected)
    }
    /// Share of expected relations found.
    pub fn relation_recall(&self) -> f64 {
        ratio(self.relations_found, self.relations_expected)
    }
    /// Share of planned entities that were expected.
    pub fn entity_precision(&self) -> f64 {
        ratio(self.entities_found, self.entities_planned)
    }
    /// Share of planned fields (in entities with listed fields) that were expected.
    pub fn field_precision(&self) -> f64 {
        ratio(self.fields_found, self.fields_planned)
    }

    /// Adds another score's counts (for an overall figure).
    pub fn add(&mut self, other: &Score) {
        self.entities_found += other.entities_found;
        self.entities_expected += other.entities_expected;
        self.entities_planned += other.entities_planned;
        self.fields_found += other.fields_found;
        self.fields_expected += other.fields_expected;
        self.fields_planned += other.fields_planned;
        self.relations_found += other.relations_found;
        self.relations_expected += other.relations_expected;
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}

/// Field names are compared lower-case without `_` ("publication_year" = "publicationyear").
fn comparable(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Scores `manifest` against `expect`.
pub fn score(manifest: &Manifest, expect: &Expectation) -> Score {
    let mut score = Score {
        entities_expected: expect.entities.len(),
        entities_planned: manifest.entities.len(),
        relations_expected: expect.relations.len(),
        ..Score::default()
    };
    for (name, fields) in &expect.entities {
        score.fields_expected += fields.len();
        let Some(entity) = manifest.entity(name) else {
            score.missing.push(format!("entity {name}"));
            continue;
        };
        score.entities_found += 1;
        let planned: Vec<String> = entity.fields.iter().map(|f| comparable(&f.name)).collect();
        if !fields.is_empty() {
            score.fields_planned += planned.len();
        }
        for field in fields {
            if planned.contains(&comparable(field)) {
                score.fields_found += 1;
            } else {
                score.missing.push(format!("field {name}.{field}"));
            }
        }
    }
    for (from, to) in &expect.relations {
        let linked = |a: &str, b: &str, kinds: &[RelationKind]| {
            manifest.entity(a).is_some_and(|e| {
                e.relations
                    .iter()
                    .any(|r| r.target == b && kinds.contains(&r.kind))
            })
        };
        if linked(
            from,
            to,
            &[RelationKind::BelongsTo, RelationKind::ManyToMany],
        ) || linked(to, from, &[RelationKind::ManyToMany])
        {
            score.relations_found += 1;
        } else {
            score.missing.push(format!("relation {from} → {to}"));
        }
    }
    score
}

#[cfg(test)]
mod tests {
    use super::*;
    use apiforge_manifest::{Entity, Field, FieldType, Relation};

    #[test]
    fn parses_prompts_and_csv_cases() {
        let text = r#"{"id": "a", "prompt": "Books have a title", "expect": {"entities": {"Book": ["title"]}, "relations": [["Book", "Author"]]}}

{"id": "b", "prompt": "@csv:people.csv", "expect": {"entities": {"Person": []}, "relations": []}}"#;
        let cases = parse_corpus(text).expect("valid corpus");
        assert_eq!(cases.len(), 2);
        assert_eq!(
            cases[0].input,
            CaseInput::Prompt("Books have a title".into())
        );
        assert_eq!(
            cases[0].expect.relations,
            vec![("Book".into(), "Author".into())]
        );
        assert_eq!(cases[1].input, CaseInput::Csv("people.csv".into()));
        assert!(parse_corpus("{").is_err_and(|e| e.starts_with("line 1")));
    }

    #[test]
    fn scores_recall_and_precision() {
        let mut book = Entity::new("Book");
        book.fields.push(Field::new("title", FieldType::String));
        book.fields
            .push(Field::new("publicationYear", FieldType::Integer));
        book.fields.push(Field::new("extra", FieldType::Integer));
        book.relations
            .push(Relation::new(RelationKind::BelongsTo, "Author"));
        let manifest = Manifest {
            name: "x".into(),
            title: "X".into(),
            description: String::new(),
            auth: Default::default(),
            entities: vec![book],
        };
        let expect = Expectation {
            entities: [
                (
                    "Book".to_owned(),
                    vec![
                        "title".to_owned(),
                        "publication_year".to_owned(),
                        "isbn".to_owned(),
                    ],
                ),
                ("Author".to_owned(), vec![]),
            ]
            .into(),
            relations: vec![("Book".into(), "Author".into())],
        };
        let score = score(&manifest, &expect);
        assert_eq!((score.entities_found, score.entities_expected), (1, 2));
        assert_eq!(
            (
                score.fields_found,
                score.fields_expected,
                score.fields_planned
            ),
            (2, 3, 3)
        );
        assert_eq!(score.relations_found, 1);
        assert_eq!(score.missing, vec!["entity Author", "field Book.isbn"]);
    }
}
