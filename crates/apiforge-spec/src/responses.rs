//! Shared components: RFC 9457 problem responses, the paging parameters and the bearer
//! security scheme; and pruning of components no operation refers to (linters flag them).

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::schemas::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::shape::Api;

/// Name of the bearer security scheme.
pub(crate) const BEARER_SCHEME: &str = "bearerAuth";

/// The problem responses an operation can declare, in status order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Problem {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    UnprocessableEntity,
}

impl Problem {
    pub fn status(self) -> &'static str {
        match self {
            Problem::BadRequest => "400",
            Problem::Unauthorized => "401",
            Problem::Forbidden => "403",
            Problem::NotFound => "404",
            Problem::Conflict => "409",
            Problem::UnprocessableEntity => "422",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Problem::BadRequest => "BadRequest",
            Problem::Unauthorized => "Unauthorized",
            Problem::Forbidden => "Forbidden",
            Problem::NotFound => "NotFound",
            Problem::Conflict => "Conflict",
            Problem::UnprocessableEntity => "UnprocessableEntity",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Problem::BadRequest => "Bad Request",
            Problem::Unauthorized => "Unauthorized",
            Problem::Forbidden => "Forbidden",
            Problem::NotFound => "Not Found",
            Problem::Conflict => "Conflict",
            Problem::UnprocessableEntity => "Unprocessable Content",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Problem::BadRequest => "The request is malformed (e.g. the body is not JSON).",
            Problem::Unauthorized => "The bearer token is missing, expired or invalid.",
            Problem::Forbidden => "The caller's roles do not allow this operation.",
            Problem::NotFound => "No record has the given key.",
            Problem::Conflict => {
                "The change conflicts with existing data: a unique value is taken, a referenced \
                 record does not exist, or other records still refer to this one."
            }
            Problem::UnprocessableEntity => {
                "A parameter or the body is invalid; `errors` lists each offending input."
            }
        }
    }

    fn example(self, instance: &str) -> Value {
        let mut example = json!({
            "type": "about:blank",
            "title": self.title(),
            "status": self.status().parse::<u16>().unwrap_or(400),
            "detail": self.description(),
            "instance": instance,
        });
        if self == Problem::UnprocessableEntity {
            example["errors"] = json!([
                { "location": "query", "field": "limit", "message": "must be at most 100" }
            ]);
        }
        example
    }

    pub fn reference(self) -> Value {
        json!({ "$ref": format!("#/components/responses/{}", self.name()) })
    }
}

/// `components` with `schemas` first (filled by the schemas module), then responses,
/// parameters and, with auth, the security scheme.
pub(crate) fn components(api: &Api<'_>) -> Map<String, Value> {
    let instance = example_instance(api);
    let mut components = Map::new();
    components.insert("schemas".into(), json!({}));
    let mut responses = Map::new();
    for problem in [
        Problem::BadRequest,
        Problem::Unauthorized,
        Problem::Forbidden,
        Problem::NotFound,
        Problem::Conflict,
        Problem::UnprocessableEntity,
    ] {
        responses.insert(
            problem.name().into(),
            json!({
                "description": problem.description(),
                "content": {
                    "application/problem+json": {
                        "schema": { "$ref": format!("#/components/schemas/{}", api.problem) },
                        "example": problem.example(&instance),
                    }
                }
            }),
        );
    }
    components.insert("responses".into(), Value::Object(responses));
    components.insert(
        "parameters".into(),
        json!({
            "Limit": {
                "name": "limit",
                "in": "query",
                "required": false,
                "description": format!("Page size: how many records to return (1 to {MAX_LIMIT})."),
                "schema": { "type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT },
                "example": DEFAULT_LIMIT,
            },
            "Offset": {
                "name": "offset",
                "in": "query",
                "required": false,
                "description": "How many matching records to skip before the page starts.",
                "schema": { "type": "integer", "format": "int64", "minimum": 0, "default": 0 },
                "example": 0,
            }
        }),
    );
    if api.auth {
        components.insert(
            "securitySchemes".into(),
            json!({
                BEARER_SCHEME: {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "A JWT from `POST /auth/login`, sent as `Authorization: Bearer <token>`.",
                }
            }),
        );
    }
    components
}

/// A request path of this API for problem examples: the first entity's first record.
pub(crate) fn example_instance(api: &Api<'_>) -> String {
    match api.entities.first() {
        Some(entity) => {
            let key = match crate::examples::key_example(entity) {
                Some(Value::String(text)) => text,
                Some(other) => other.to_string(),
                None => "1".to_owned(),
            };
            format!("/{}/{key}", entity.segment)
        }
        None => "/".to_owned(),
    }
}

/// Drops component schemas, responses and parameters that nothing reaches from `document`
/// (unused components are lint warnings, and e.g. `Conflict` is only needed by some APIs).
pub(crate) fn prune_unused(document: &Value, components: &mut Map<String, Value>) {
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut pending: Vec<String> = Vec::new();
    collect_refs(document, &mut pending);
    while let Some(reference) = pending.pop() {
        if !used.insert(reference.clone()) {
            continue;
        }
        let mut parts = reference
            .strip_prefix("#/components/")
            .unwrap_or_default()
            .splitn(2, '/');
        if let (Some(kind), Some(name)) = (parts.next(), parts.next())
            && let Some(component) = components.get(kind).and_then(|group| group.get(name))
        {
            collect_refs(component, &mut pending);
        }
    }
    for kind in ["schemas", "responses", "parameters"] {
        if let Some(Value::Object(group)) = components.get_mut(kind) {
            group.retain(|name, _| used.contains(&format!("#/components/{kind}/{name}")));
        }
    }
    components.retain(|_, group| group.as_object().is_none_or(|group| !group.is_empty()));
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(reference)) => out.push(reference.clone()),
                    _ => collect_refs(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_refs(item, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(document: Value, components: Value, expect: Value) {
        let Value::Object(mut components) = components else {
            panic!("components must be an object");
        };
        prune_unused(&document, &mut components);
        assert_eq!(Value::Object(components), expect);
    }

    #[test]
    fn pruning_follows_references_transitively() {
        check(
            json!({ "paths": { "/a": { "get": { "responses": { "404": { "$ref": "#/components/responses/NotFound" } } } } } }),
            json!({
                "schemas": { "Problem": { "type": "object" }, "Unused": { "type": "string" } },
                "responses": {
                    "NotFound": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Problem" } } } },
                    "Conflict": { "description": "x" }
                },
                "parameters": { "Limit": {} },
                "securitySchemes": { "bearerAuth": {} }
            }),
            json!({
                "schemas": { "Problem": { "type": "object" } },
                "responses": {
                    "NotFound": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }
                },
                "securitySchemes": { "bearerAuth": {} }
            }),
        );
    }
}
