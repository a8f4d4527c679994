//! Data for the generated tests: valid records (a few distinct variants per entity, so
//! unique fields do not collide), invalid values with the constraint each one breaks, and
//! the values a request may give in another JSON spelling (`2099.0` for an integer).
//! Everything is derived from the manifest's constraints and checked here (patterns with the
//! same regex engine that validated the manifest), never random.

use apiforge_manifest::{Field, FieldType, RelationKind, ValidManifest};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::context::EntityCtx;
use crate::CodegenError;

/// How many distinct records a test creates at most.
const VARIANTS: usize = 3;

/// The generated tests' data of one entity (serialised into `tests/testdata.json`).
#[derive(Debug, Default, Serialize)]
pub(crate) struct EntityTests(pub Value);

/// Distinct valid values of a field, best first (the first is the contract's example when it
/// has one).
fn variants(field: &Field, example: Option<&Value>) -> Vec<Value> {
    let candidates: Vec<Value> = match field.ty {
        FieldType::Enum => {
            let mut values: Vec<Value> = Vec::new();
            if let Some(Value::String(first)) = example {
                values.push(json!(first));
            }
            values.extend(field.values.iter().map(|v| json!(v)));
            values
        }
        FieldType::Boolean => {
            let first = example.and_then(Value::as_bool).unwrap_or(true);
            vec![json!(first), json!(!first)]
        }
        FieldType::Integer => {
            let base = example.and_then(Value::as_i64).unwrap_or(1);
            [0, 1, 2, -1, -2, 3, 4]
                .iter()
                .filter_map(|d: &i64| base.checked_add(*d))
                .map(|v| json!(v))
                .collect()
        }
        FieldType::Number | FieldType::Decimal => {
            let base = example.and_then(Value::as_f64).unwrap_or(1.5);
            let mut values: Vec<f64> = [0.0, 1.0, 2.0, -1.0, -2.0]
                .iter()
                .map(|d| base + d)
                .collect();
            if let (Some(min), Some(max)) = (field.min, field.max) {
                values.extend([1.0, 2.0, 3.0].iter().map(|k| min + (max - min) * k / 4.0));
            }
            values
                .into_iter()
                .map(|v| (v * 100.0).round() / 100.0)
                .filter_map(|v| serde_json::Number::from_f64(v).map(Value::Number))
                .collect()
        }
        FieldType::Date => ["2025-03-14", "2025-03-15", "2025-03-16"]
            .iter()
            .map(|v| json!(v))
            .collect(),
        FieldType::Datetime => [
            "2025-03-14T09:30:00Z",
            "2025-03-15T10:30:00Z",
            "2025-03-16T11:30:00Z",
        ]
        .iter()
        .map(|v| json!(v))
        .collect(),
        FieldType::Time => ["09:30:00Z", "10:30:00Z", "11:30:00Z"]
            .iter()
            .map(|v| json!(v))
            .collect(),
        FieldType::Uuid => [
            "3fa85f64-5717-4562-b3fc-2c963f66afa6",
            "9b2f4c1e-8d3a-4f5b-a6c7-1e2d3f4a5b6c",
            "c0ffee00-1234-4abc-8def-0123456789ab",
        ]
        .iter()
        .map(|v| json!(v))
        .collect(),
        FieldType::Json => vec![
            example.cloned().unwrap_or(json!({ "source": "web" })),
            json!({ "variant": 2 }),
            json!({ "variant": 3 }),
        ],
        FieldType::String | FieldType::Text | FieldType::Email | FieldType::Url => {
            text_candidates(field, example)
        }
    };
    let mut out: Vec<Value> = Vec::new();
    for candidate in candidates {
        if valid(field, &candidate) && !out.contains(&candidate) {
            out.push(candidate);
        }
        if out.len() == VARIANTS {
            break;
        }
    }
    out
}

fn text_candidates(field: &Field, example: Option<&Value>) -> Vec<Value> {
    let mut texts: Vec<String> = Vec::new();
    let base = example.and_then(Value::as_str).map(str::to_owned);
    let fallback = match field.ty {
        FieldType::Email => "user@example.com".to_owned(),
        FieldType::Url => "https://example.com/".to_owned(),
        _ => field.name.replace('_', " "),
    };
    for seed in base.iter().chain(std::iter::once(&fallback)) {
        texts.push(seed.clone());
        for k in 1..10 {
            texts.push(shift(seed, k));
        }
        match field.ty {
            FieldType::Email => {
                for k in 1..4 {
                    texts.push(format!("user{k}@example.com"));
                }
            }
            FieldType::Url => {
                for k in 1..4 {
                    texts.push(format!("https://example.com/{k}"));
                }
            }
            _ => {
                for k in 1..4 {
                    texts.push(fit(&format!("{seed} {k}"), field));
                }
            }
        }
    }
    texts.into_iter().map(Value::String).collect()
}

/// Shifts every digit and letter by `k` (keeps length and character classes).
fn shift(text: &str, k: u32) -> String {
    text.chars()
        .map(|c| match c {
            '0'..='9' => char::from(b'0' + ((c as u8 - b'0') as u32 + k) as u8 % 10),
            'a'..='z' => char::from(b'a' + ((c as u8 - b'a') as u32 + k) as u8 % 26),
            'A'..='Z' => char::from(b'A' + ((c as u8 - b'A') as u32 + k) as u8 % 26),
            other => other,
        })
        .collect()
}

/// `text` fitted to the field's lengths, keeping its end (where variants differ).
fn fit(text: &str, field: &Field) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    if let Some(max) = field.max_length {
        let max = max as usize;
        if chars.len() > max {
            chars = chars[chars.len() - max..].to_vec();
        }
    }
    if let Some(min) = field.min_length {
        while chars.len() < min as usize {
            chars.insert(0, 'x');
        }
    }
    chars.into_iter().collect()
}

/// Whether `value` satisfies the field's type and constraints (as far as tests need).
fn valid(field: &Field, value: &Value) -> bool {
    match (field.ty, value) {
        (FieldType::Integer, Value::Number(n)) => {
            let Some(v) = n.as_i64() else { return false };
            field.min.is_none_or(|min| v as f64 >= min)
                && field.max.is_none_or(|max| v as f64 <= max)
        }
        (FieldType::Number | FieldType::Decimal, Value::Number(n)) => {
            let v = n.as_f64().unwrap_or(f64::NAN);
            v.is_finite()
                && field.min.is_none_or(|min| v >= min)
                && field.max.is_none_or(|max| v <= max)
        }
        (FieldType::Enum, Value::String(s)) => field.values.contains(s),
        (
            FieldType::String | FieldType::Text | FieldType::Email | FieldType::Url,
            Value::String(s),
        ) => {
            text_fits(field, s)
                && match field.ty {
                    FieldType::Email => {
                        let mut parts = s.splitn(2, '@');
                        matches!((parts.next(), parts.next()), (Some(a), Some(b)) if !a.is_empty() && b.contains('.') && !s.contains(char::is_whitespace))
                    }
                    FieldType::Url => s.starts_with("http") && !s.contains(char::is_whitespace),
                    _ => true,
                }
        }
        (FieldType::Boolean, Value::Bool(_)) => true,
        (FieldType::Json, Value::Object(_)) => true,
        (
            FieldType::Date | FieldType::Datetime | FieldType::Time | FieldType::Uuid,
            Value::String(_),
        ) => true,
        _ => false,
    }
}

fn text_fits(field: &Field, text: &str) -> bool {
    let length = text.chars().count() as u64;
    let long_enough = field.min_length.is_none_or(|min| length >= u64::from(min));
    let short_enough = field.max_length.is_none_or(|max| length <= u64::from(max));
    long_enough && short_enough && pattern_matches(field, text)
}

fn pattern_matches(field: &Field, text: &str) -> bool {
    match &field.pattern {
        None => true,
        Some(pattern) => {
            regex::Regex::new(&apiforge_spec::anchored(pattern)).is_ok_and(|re| re.is_match(text))
        }
    }
}

/// Invalid values of a field: `(value, what it breaks)`; `None` as value means "omit it".
fn invalid_cases(
    field: &Field,
    nullable: bool,
    create_required: bool,
) -> Vec<(Option<Value>, String)> {
    let mut cases: Vec<(Option<Value>, String)> = Vec::new();
    if create_required {
        cases.push((None, "required".into()));
    }
    if !nullable {
        cases.push((Some(Value::Null), "null for a non-nullable field".into()));
    }
    let mut add = |value: Value, why: &str| cases.push((Some(value), why.to_owned()));
    match field.ty {
        FieldType::Integer => {
            add(json!("1965"), "a string is not an integer");
            add(json!(true), "a boolean is not an integer");
            add(json!(1.5), "a fraction is not an integer");
            if let Some(min) = field.min {
                add(json!(min as i64 - 1), "below minimum");
            }
            if let Some(max) = field.max {
                add(json!(max as i64 + 1), "above maximum");
            }
        }
        FieldType::Number | FieldType::Decimal => {
            add(json!("1.5"), "a string is not a number");
            add(json!(true), "a boolean is not a number");
            if let Some(min) = field.min {
                add(json!(min - 1.0), "below minimum");
            }
            if let Some(max) = field.max {
                add(json!(max + 1.0), "above maximum");
            }
        }
        FieldType::Boolean => {
            add(json!("true"), "a string is not a boolean");
            add(json!(1), "a number is not a boolean");
        }
        FieldType::Json => {
            add(json!([1, 2]), "an array is not an object");
            add(json!("text"), "a string is not an object");
        }
        FieldType::Enum => {
            add(json!(12345), "a number is not a string");
            let mut bogus = "not-a-listed-value".to_owned();
            while field.values.contains(&bogus) {
                bogus.push('x');
            }
            add(json!(bogus), "not one of the enum values");
        }
        FieldType::Date => {
            add(json!(12345), "a number is not a date");
            add(json!("2025-13-45"), "not a date");
        }
        FieldType::Datetime => {
            add(json!(12345), "a number is not a date-time");
            add(json!("not-a-date-time"), "not a date-time");
        }
        FieldType::Time => {
            add(json!(12345), "a number is not a time");
            add(json!("25:99"), "not a time");
        }
        FieldType::Uuid => {
            add(json!(12345), "a number is not a UUID");
            add(json!("not-a-uuid"), "not a UUID");
        }
        FieldType::String | FieldType::Text | FieldType::Email | FieldType::Url => {
            add(json!(12345), "a number is not a string");
            if let Some(min) = field.min_length.filter(|m| *m > 0) {
                add(
                    json!("x".repeat(min as usize - 1)),
                    "shorter than minLength",
                );
            }
            if let Some(max) = field.max_length {
                add(json!("x".repeat(max as usize + 1)), "longer than maxLength");
            }
            if field.pattern.is_some() {
                let bad = ["!", "!!!!!!!!", "#", " ", "?x?", "~"]
                    .iter()
                    .map(|s| fit(s, field))
                    .find(|s| !pattern_matches(field, s));
                if let Some(bad) = bad {
                    add(json!(bad), "does not match the pattern");
                }
            }
            match field.ty {
                FieldType::Email => {
                    let bad = fit("not-an-email", field);
                    if !bad.contains('@') {
                        add(json!(bad), "not an e-mail address");
                    }
                }
                FieldType::Url => {
                    let bad = fit("not a url", field);
                    if !bad.contains(':') {
                        add(json!(bad), "not a URL");
                    }
                }
                _ => {}
            }
        }
    }
    cases
}

fn example_of(spec: &Value, schema: &str, field: &str) -> Option<Value> {
    spec.pointer(&format!("/components/schemas/{schema}/examples/0"))
        .and_then(|example| example.get(field))
        .cloned()
        .or_else(|| {
            spec.pointer(&format!(
                "/components/schemas/{schema}/properties/{field}/default"
            ))
            .cloned()
        })
}

/// The test data of every entity, in manifest order.
pub(crate) fn entity_tests(
    manifest: &ValidManifest,
    spec: &Value,
    entities: &[EntityCtx],
) -> Result<Vec<EntityTests>, CodegenError> {
    let mut out = Vec::new();
    for (index, (entity, ctx)) in manifest.entities.iter().zip(entities).enumerate() {
        let mut capacity = VARIANTS;
        let mut samples: Vec<Map<String, Value>> = vec![Map::new(); VARIANTS];
        let mut testable = true;
        let mut invalid = Vec::new();
        let mut whole_floats = Vec::new();
        let mut patch = Value::Null;
        let mut filter = Value::Null;
        let mut unique = Vec::new();
        let mut client_keys: Vec<Value> = Vec::new();
        if let Some(id) = entity.id_field().filter(|f| f.ty == FieldType::String) {
            let example = example_of(spec, &ctx.create_schema, "id");
            client_keys = variants(id, example.as_ref());
            capacity = capacity.min(client_keys.len());
            if client_keys.is_empty() {
                testable = false;
            }
        }
        for field in entity.data_fields() {
            let example = example_of(spec, &ctx.create_schema, &field.name);
            let values = variants(field, example.as_ref());
            let create_required = field.required && field.default.is_none();
            if values.is_empty() {
                if create_required {
                    testable = false;
                }
                continue;
            }
            if field.unique {
                capacity = capacity.min(values.len());
                unique.push(json!(field.name));
            }
            for (n, sample) in samples.iter_mut().enumerate() {
                sample.insert(field.name.clone(), values[n % values.len()].clone());
            }
            if patch.is_null() && values.len() > 1 {
                patch = json!({ "field": field.name, "value": values[1] });
            }
            if filter.is_null()
                && values.len() > 1
                && field.ty.is_filterable()
                && !matches!(field.name.as_str(), "limit" | "offset" | "sort")
                && field.required
            {
                filter = json!({ "name": field.name, "type": field.ty.as_str() });
            }
            for (value, why) in invalid_cases(field, !field.required, create_required) {
                let mut case = json!({ "field": field.name, "why": why });
                match value {
                    Some(value) => case["value"] = value,
                    None => case["omit"] = json!(true),
                }
                invalid.push(case);
            }
            if field.ty == FieldType::Integer
                && let Some(v) = values[0].as_i64()
                && (v as f64) as i64 == v
            {
                whole_floats.push(json!({ "field": field.name, "value": v as f64, "stored": v }));
            }
        }
        if capacity == 0 {
            testable = false;
        }
        let samples: Vec<Value> = samples.into_iter().map(Value::Object).collect();
        let fks: Vec<Value> = ctx
            .fks
            .iter()
            .map(|fk| {
                json!({
                    "name": fk.name,
                    "target": manifest.entities[fk.target].name,
                    "required": fk.required,
                })
            })
            .collect();
        let children: Vec<Value> = ctx
            .children
            .iter()
            .map(|child| {
                json!({
                    "path": child.path,
                    "child": manifest.entities[child.child].name,
                    "fk": child.fk_name,
                })
            })
            .collect();
        let mut links = Vec::new();
        for (link, relation) in ctx.links.iter().zip(
            entity
                .relations
                .iter()
                .filter(|r| r.kind == RelationKind::ManyToMany && !r.inverse),
        ) {
            let mut body = Map::new();
            let mut link_invalid = Vec::new();
            for field in &relation.fields {
                let values = variants(field, None);
                if let Some(first) = values.first() {
                    body.insert(field.name.clone(), first.clone());
                } else if field.required && field.default.is_none() {
                    testable = false;
                }
                for (value, why) in invalid_cases(
                    field,
                    !field.required,
                    field.required && field.default.is_none(),
                ) {
                    if let Some(value) = value {
                        link_invalid
                            .push(json!({ "field": field.name, "why": why, "value": value }));
                    }
                }
            }
            links.push(json!({
                "path": link.path,
                "target": manifest.entities[link.target].name,
                "target_key": link.target_column,
                "embedded": link.embedded,
                "has_body": !relation.fields.is_empty(),
                "body_required": link.body_required,
                "body": body,
                "invalid": link_invalid,
            }));
        }
        let sort: Vec<Value> = ctx
            .sort
            .iter()
            .flat_map(|s| [json!(s.name), json!(format!("-{}", s.name))])
            .collect();
        let roles: Map<String, Value> = ctx
            .roles
            .raw
            .iter()
            .map(|(op, roles)| ((*op).to_owned(), json!(roles)))
            .collect();
        let missing_key = match ctx.key.kind {
            "uuid" => json!("00000000-0000-4000-8000-000000000000"),
            "string" => client_keys.last().cloned().unwrap_or(json!("missing")),
            _ => json!(2_147_483_000_i64),
        };
        out.push(EntityTests(json!({
            "index": index,
            "name": entity.name,
            "path": ctx.path,
            "param": ctx.param,
            "key": ctx.key.kind,
            "missing_key": missing_key,
            "testable": testable,
            "capacity": capacity,
            "samples": samples,
            "client_keys": client_keys,
            "fks": fks,
            "unique": unique,
            "invalid": invalid,
            "whole_floats": whole_floats,
            "patch": patch,
            "filter": filter,
            "sort": sort,
            "children": children,
            "links": links,
            "roles": roles,
            "schema": spec
                .pointer(&format!("/paths/{}/post/responses/201/content/application~1json/schema/$ref", pointer_escape(&ctx.path)))
                .cloned()
                .unwrap_or(Value::Null),
        })));
    }
    // A record whose required parents cannot be made (a cycle of required foreign keys,
    // or a parent without valid data) cannot be made either.
    let requires = |i: usize| -> Vec<usize> {
        entities[i]
            .fks
            .iter()
            .filter(|fk| fk.required)
            .map(|fk| fk.target)
            .collect()
    };
    for start in 0..entities.len() {
        let mut seen = vec![false; entities.len()];
        let mut stack = requires(start);
        let mut ok = true;
        while let Some(next) = stack.pop() {
            if next == start || out[next].0["testable"] == json!(false) {
                ok = false;
                break;
            }
            if !seen[next] {
                seen[next] = true;
                stack.extend(requires(next));
            }
        }
        if !ok {
            out[start].0["testable"] = json!(false);
        }
    }
    Ok(out)
}

fn pointer_escape(path: &str) -> String {
    path.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(field: Field, expect: &[Value]) {
        assert_eq!(variants(&field, None), expect);
    }

    #[test]
    fn variants_respect_constraints() {
        let mut code = Field::new("code", FieldType::String);
        code.pattern = Some("^[A-Z]{2}$".into());
        let mut code_with_example = code.clone();
        code_with_example.unique = true;
        assert_eq!(
            variants(&code_with_example, Some(&json!("US"))),
            [json!("US"), json!("VT"), json!("WU")]
        );
        code.max_length = Some(2);
        check(code, &[]);
        let mut rating = Field::new("rating", FieldType::Integer);
        rating.min = Some(1.0);
        rating.max = Some(2.0);
        check(rating, &[json!(1), json!(2)]);
        let flag = Field::new("done", FieldType::Boolean);
        check(flag, &[json!(true), json!(false)]);
    }

    #[test]
    fn shifting_keeps_character_classes() {
        assert_eq!(shift("AZ-09z", 1), "BA-10a");
    }
}
