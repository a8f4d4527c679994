//! A prompt version's rules, checked without I/O: typed variables with defaults, the
//! template (minijinja, strict about undefined names), and the output rules (JSON Schema,
//! regular expression, maximum length).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// Largest template accepted.
pub const MAX_TEMPLATE_CHARS: usize = 100_000;

/// A variable a template uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    /// An identifier: letters, digits and `_`, not starting with a digit.
    pub name: String,
    /// `string` (default), `integer`, `number`, `boolean` or `json`.
    #[serde(rename = "type", default = "default_type")]
    pub kind: String,
    /// Whether a value must be given (ignored when there is a default).
    #[serde(default)]
    pub required: bool,
    /// Used when no value is given; must have the variable's type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// A secret (an API key, a password): used to render, redacted wherever it is stored.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub secret: bool,
}

fn default_type() -> String {
    "string".into()
}

/// What an output must satisfy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutputRules {
    /// A JSON Schema: the output must be JSON valid against it (and providers are asked
    /// for schema-constrained output).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_schema: Option<Value>,
    /// A regular expression the whole output must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// Most characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<i64>,
}

const TYPES: [&str; 5] = ["string", "integer", "number", "boolean", "json"];

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 64
}

fn has_type(kind: &str, value: &Value) -> bool {
    match kind {
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        _ => true,
    }
}

fn environment() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    // Prompts are text, not HTML.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env
}

/// Checks a prompt version: the template parses and names only declared variables,
/// variables are well-formed, the rules compile. The first problem, said plainly.
pub fn check_version(
    template: &str,
    variables: &[Variable],
    rules: &OutputRules,
) -> Result<(), String> {
    if template.trim().is_empty() {
        return Err("the template is empty".into());
    }
    if template.chars().count() > MAX_TEMPLATE_CHARS {
        return Err(format!(
            "the template is longer than {MAX_TEMPLATE_CHARS} characters"
        ));
    }
    let mut names = BTreeSet::new();
    for variable in variables {
        if !is_identifier(&variable.name) {
            return Err(format!(
                "variable name {:?} is not an identifier (letters, digits, _; not starting with a digit)",
                variable.name
            ));
        }
        if !names.insert(variable.name.as_str()) {
            return Err(format!("variable {:?} is declared twice", variable.name));
        }
        if !TYPES.contains(&variable.kind.as_str()) {
            return Err(format!(
                "variable {:?} has type {:?}: use one of {}",
                variable.name,
                variable.kind,
                TYPES.join(", ")
            ));
        }
        if let Some(default) = &variable.default
            && !has_type(&variable.kind, default)
        {
            return Err(format!(
                "the default of {:?} is not a {}",
                variable.name, variable.kind
            ));
        }
    }
    let env = environment();
    let parsed = env
        .template_from_str(template)
        .map_err(|e| format!("the template does not parse: {e}"))?;
    let used = parsed.undeclared_variables(false);
    let mut undeclared: Vec<&String> = used
        .iter()
        .filter(|name| !names.contains(name.as_str()))
        .collect();
    undeclared.sort();
    if let Some(first) = undeclared.first() {
        return Err(format!(
            "the template uses {first:?}, which is not a declared variable"
        ));
    }
    if let Some(schema) = &rules.json_schema {
        jsonschema::validator_for(schema)
            .map_err(|e| format!("output.json_schema is not a valid JSON Schema: {e}"))?;
    }
    if let Some(pattern) = &rules.regex {
        regex::Regex::new(pattern).map_err(|e| format!("output.regex does not compile: {e}"))?;
    }
    if let Some(max) = rules.max_length
        && max < 1
    {
        return Err("output.max_length must be at least 1".into());
    }
    Ok(())
}

/// The values to render with: the given inputs checked against the variables, defaults
/// filled in. Unknown names, missing required values and wrong types are refused.
pub fn resolve_inputs(
    variables: &[Variable],
    inputs: &Map<String, Value>,
) -> Result<BTreeMap<String, Value>, String> {
    if let Some(unknown) = inputs
        .keys()
        .find(|name| !variables.iter().any(|v| &v.name == *name))
    {
        return Err(format!(
            "input {unknown:?} is not a variable of this prompt (variables: {})",
            variables
                .iter()
                .map(|v| v.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut values = BTreeMap::new();
    for variable in variables {
        let value = match (inputs.get(&variable.name), &variable.default) {
            (Some(value), _) => value.clone(),
            (None, Some(default)) => default.clone(),
            (None, None) if variable.required => {
                return Err(format!("input {:?} is required", variable.name));
            }
            (None, None) => Value::Null,
        };
        if !value.is_null() && !has_type(&variable.kind, &value) {
            return Err(format!(
                "input {:?} must be a {}, got {value}",
                variable.name, variable.kind
            ));
        }
        values.insert(variable.name.clone(), value);
    }
    Ok(values)
}

/// Renders the template with resolved values.
pub fn render(template: &str, values: &BTreeMap<String, Value>) -> Result<String, String> {
    let env = environment();
    let parsed = env
        .template_from_str(template)
        .map_err(|e| format!("the template does not parse: {e}"))?;
    parsed
        .render(minijinja::value::Serde(values))
        .map_err(|e| format!("the template cannot be rendered: {e}"))
}

/// Checks an output against the rules; the first violation.
pub fn check_output(rules: &OutputRules, output: &str) -> Result<(), String> {
    if let Some(max) = rules.max_length
        && i64::try_from(output.chars().count()).unwrap_or(i64::MAX) > max
    {
        return Err(format!(
            "the output has {} characters; the limit is {max}",
            output.chars().count()
        ));
    }
    if let Some(pattern) = &rules.regex {
        let anchored = format!("^(?:{pattern})$");
        let regex = regex::Regex::new(&anchored).map_err(|e| e.to_string())?;
        if !regex.is_match(output) {
            return Err(format!("the output does not match the pattern {pattern:?}"));
        }
    }
    if let Some(schema) = &rules.json_schema {
        let value: Value =
            serde_json::from_str(output).map_err(|e| format!("the output is not JSON: {e}"))?;
        let validator = jsonschema::validator_for(schema).map_err(|e| e.to_string())?;
        if let Some(error) = validator.iter_errors(&value).next() {
            return Err(format!(
                "the output violates the schema at {:?}: {error}",
                error.instance_path().to_string()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn variable(name: &str, kind: &str) -> Variable {
        Variable {
            name: name.into(),
            kind: kind.into(),
            required: false,
            default: None,
            description: String::new(),
            secret: false,
        }
    }

    #[test]
    fn versions_are_checked() {
        let topic = variable("topic", "string");
        let rules = OutputRules::default();
        assert!(check_version("Say {{ topic }}", std::slice::from_ref(&topic), &rules).is_ok());
        let cases = [
            ("", vec![], "empty"),
            ("{{ topic", vec![], "does not parse"),
            (
                "{{ other }}",
                vec![topic.clone()],
                "\"other\", which is not a declared",
            ),
            ("x", vec![variable("1x", "string")], "not an identifier"),
            ("x", vec![topic.clone(), topic.clone()], "declared twice"),
            ("x", vec![variable("n", "float")], "use one of"),
            (
                "x",
                vec![Variable {
                    default: Some(json!("three")),
                    ..variable("n", "integer")
                }],
                "default of \"n\" is not a integer",
            ),
        ];
        for (template, variables, expect) in cases {
            let error = check_version(template, &variables, &rules).expect_err(template);
            assert!(error.contains(expect), "{error:?} lacks {expect:?}");
        }
        let bad_schema = OutputRules {
            json_schema: Some(json!({"type": 12})),
            ..OutputRules::default()
        };
        assert!(
            check_version("x", &[], &bad_schema)
                .expect_err("schema")
                .contains("not a valid JSON Schema")
        );
        let bad_regex = OutputRules {
            regex: Some("(".into()),
            ..OutputRules::default()
        };
        assert!(
            check_version("x", &[], &bad_regex)
                .expect_err("regex")
                .contains("does not compile")
        );
    }

    #[test]
    fn inputs_get_defaults_and_types_are_enforced() {
        let variables = vec![
            Variable {
                required: true,
                ..variable("topic", "string")
            },
            Variable {
                default: Some(json!(3)),
                ..variable("count", "integer")
            },
            variable("loud", "boolean"),
        ];
        let inputs = json!({"topic": "rust"});
        let values =
            resolve_inputs(&variables, inputs.as_object().expect("object")).expect("resolved");
        assert_eq!(values["count"], json!(3));
        assert_eq!(values["loud"], Value::Null);
        assert_eq!(
            render("{{ count }} facts about {{ topic }}", &values).expect("rendered"),
            "3 facts about rust"
        );
        for (inputs, expect) in [
            (json!({}), "\"topic\" is required"),
            (json!({"topic": 1}), "must be a string"),
            (json!({"topic": "x", "count": 1.5}), "must be a integer"),
            (json!({"topic": "x", "extra": 1}), "not a variable"),
        ] {
            let error = resolve_inputs(&variables, inputs.as_object().expect("object"))
                .expect_err("refused");
            assert!(error.contains(expect), "{error:?} lacks {expect:?}");
        }
    }

    #[test]
    fn outputs_are_checked_against_every_rule() {
        let rules = OutputRules {
            json_schema: Some(json!({
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string"}}
            })),
            regex: Some(r"\{.*\}".into()),
            max_length: Some(40),
        };
        assert!(check_output(&rules, r#"{"name":"Ada"}"#).is_ok());
        for (output, expect) in [
            (r#"{"name": 1}"#, "violates the schema"),
            ("{not json}", "not JSON"),
            ("[]", "does not match the pattern"),
            (
                r#"{"name":"a very long name indeed, too long"}"#,
                "the limit is 40",
            ),
        ] {
            let error = check_output(&rules, output).expect_err(output);
            assert!(error.contains(expect), "{error:?} lacks {expect:?}");
        }
    }
}
