//! OpenAPI document → Postman Collection v2.1.0: a folder per tag, a request per operation.
//!
//! It reads only the document (not the manifest), so a collection can be made for any spec
//! this crate produced, including one a user edited.

use serde_json::{Map, Value, json};

/// The collection format's schema identifier.
pub const POSTMAN_SCHEMA: &str =
    "https://schema.getpostman.com/json/collection/v2.1.0/collection.json";

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The Postman Collection v2.1.0 of an OpenAPI document.
pub fn postman(document: &Value) -> Value {
    let info = &document["info"];
    let mut folders: Vec<(String, Option<String>, Vec<Value>)> = document["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|tag| {
            let name = tag["name"].as_str()?.to_owned();
            Some((
                name,
                tag["description"].as_str().map(str::to_owned),
                Vec::new(),
            ))
        })
        .collect();
    let bearer = uses_bearer(document);
    let empty = Map::new();
    let paths = document["paths"].as_object().unwrap_or(&empty);
    for (path, item) in paths {
        let shared: Vec<Value> = item["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| resolve(document, p).clone())
            .collect();
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, operation) in item.iter().filter(|(m, _)| METHODS.contains(&m.as_str())) {
            let request = request(document, path, method, operation, &shared, bearer);
            let tag = operation["tags"][0]
                .as_str()
                .unwrap_or("default")
                .to_owned();
            match folders.iter_mut().find(|(name, _, _)| *name == tag) {
                Some((_, _, items)) => items.push(request),
                None => folders.push((tag, None, vec![request])),
            }
        }
    }
    let mut collection = Map::new();
    collection.insert(
        "info".into(),
        json!({
            "name": info["title"].as_str().unwrap_or("API"),
            "description": info["description"].as_str().unwrap_or_default(),
            "schema": POSTMAN_SCHEMA,
        }),
    );
    collection.insert(
        "item".into(),
        Value::Array(
            folders
                .into_iter()
                .filter(|(_, _, items)| !items.is_empty())
                .map(|(name, description, items)| {
                    let mut folder = json!({ "name": name, "item": items });
                    if let Some(description) = description {
                        folder["description"] = json!(description);
                    }
                    folder
                })
                .collect(),
        ),
    );
    if bearer {
        collection.insert("auth".into(), bearer_auth());
    }
    let base_url = document["servers"][0]["url"]
        .as_str()
        .unwrap_or(crate::LOCAL_SERVER);
    collection.insert(
        "variable".into(),
        json!([
            { "key": "baseUrl", "value": base_url, "type": "string" },
            { "key": "token", "value": "", "type": "string" }
        ]),
    );
    Value::Object(collection)
}

fn bearer_auth() -> Value {
    json!({
        "type": "bearer",
        "bearer": [{ "key": "token", "value": "{{token}}", "type": "string" }]
    })
}

/// Whether the document requires an HTTP bearer scheme at the top level.
fn uses_bearer(document: &Value) -> bool {
    let schemes = &document["components"]["securitySchemes"];
    document["security"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .flat_map(|requirement| requirement.keys())
        .any(|name| {
            let scheme = &schemes[name];
            scheme["type"] == "http"
                && scheme["scheme"]
                    .as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case("bearer"))
        })
}

/// Follows a local `$ref` (one level is all this crate emits).
fn resolve<'a>(document: &'a Value, value: &'a Value) -> &'a Value {
    match value["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => document.pointer(pointer).unwrap_or(value),
        None => value,
    }
}

fn request(
    document: &Value,
    path: &str,
    method: &str,
    operation: &Value,
    shared: &[Value],
    bearer: bool,
) -> Value {
    let mut parameters: Vec<Value> = shared.to_vec();
    parameters.extend(
        operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| resolve(document, p).clone()),
    );
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(
            |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => format!(":{name}"),
                None => segment.to_owned(),
            },
        )
        .collect();
    let mut variables = Vec::new();
    let mut query = Vec::new();
    for parameter in &parameters {
        let name = parameter["name"].as_str().unwrap_or_default();
        let description = parameter["description"].as_str().unwrap_or_default();
        match parameter["in"].as_str() {
            Some("path") => variables.push(json!({
                "key": name,
                "value": sample_text(parameter),
                "description": description,
            })),
            Some("query") => query.push(json!({
                "key": name,
                "value": sample_text(parameter),
                "description": description,
                "disabled": true,
            })),
            _ => {}
        }
    }
    let mut url = Map::new();
    url.insert(
        "raw".into(),
        json!(format!("{{{{baseUrl}}}}/{}", segments.join("/"))),
    );
    url.insert("host".into(), json!(["{{baseUrl}}"]));
    url.insert("path".into(), json!(segments));
    if !query.is_empty() {
        url.insert("query".into(), Value::Array(query));
    }
    if !variables.is_empty() {
        url.insert("variable".into(), Value::Array(variables));
    }
    let mut headers = vec![json!({ "key": "Accept", "value": "application/json" })];
    let mut request = Map::new();
    request.insert("method".into(), json!(method.to_ascii_uppercase()));
    let body = operation["requestBody"]["content"]["application/json"]["schema"].clone();
    let body = (!body.is_null()).then(|| {
        let schema = resolve(document, &body);
        let example = schema["examples"][0].clone();
        let example = if example.is_null() {
            json!({})
        } else {
            example
        };
        json!({
            "mode": "raw",
            "raw": serde_json::to_string_pretty(&example).expect("a JSON value serialises"),
            "options": { "raw": { "language": "json" } }
        })
    });
    if body.is_some() {
        headers.push(json!({ "key": "Content-Type", "value": "application/json" }));
    }
    request.insert("header".into(), Value::Array(headers));
    if let Some(body) = body {
        request.insert("body".into(), body);
    }
    request.insert("url".into(), Value::Object(url));
    if let Some(description) = operation["description"].as_str() {
        request.insert("description".into(), json!(description));
    }
    // An operation that opts out of the top-level security must not inherit the token.
    if bearer && operation["security"].as_array().is_some_and(Vec::is_empty) {
        request.insert("auth".into(), json!({ "type": "noauth" }));
    }
    let name = operation["summary"]
        .as_str()
        .or_else(|| operation["operationId"].as_str())
        .unwrap_or(path);
    json!({ "name": name, "request": Value::Object(request), "response": [] })
}

/// A value to prefill: the parameter's example, else its default, else a placeholder.
fn sample_text(parameter: &Value) -> String {
    let value = [&parameter["example"], &parameter["schema"]["default"]]
        .into_iter()
        .find(|v| !v.is_null())
        .cloned()
        .unwrap_or(Value::Null);
    match value {
        Value::Null => String::new(),
        Value::String(text) => text,
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(document: Value, expect: Value) {
        assert_eq!(postman(&document), expect);
    }

    #[test]
    fn one_request_per_operation_with_path_variables_and_bearer_auth() {
        check(
            json!({
                "openapi": "3.1.0",
                "info": { "title": "T", "version": "1", "description": "D" },
                "servers": [{ "url": "http://localhost:8000" }],
                "security": [{ "bearerAuth": [] }],
                "tags": [{ "name": "Book", "description": "Books." }],
                "paths": {
                    "/books/{book_id}": {
                        "parameters": [{ "name": "book_id", "in": "path", "required": true, "schema": { "type": "integer" }, "example": 1 }],
                        "patch": {
                            "tags": ["Book"], "summary": "Update a book", "operationId": "updateBook",
                            "requestBody": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/BookUpdate" } } } },
                            "responses": {}
                        }
                    },
                    "/auth/login": { "post": { "tags": ["auth"], "summary": "Log in", "security": [], "responses": {} } }
                },
                "components": {
                    "schemas": { "BookUpdate": { "type": "object", "examples": [{ "title": "X" }] } },
                    "securitySchemes": { "bearerAuth": { "type": "http", "scheme": "bearer" } }
                }
            }),
            json!({
                "info": { "name": "T", "description": "D", "schema": POSTMAN_SCHEMA },
                "item": [
                    { "name": "Book", "item": [{
                        "name": "Update a book",
                        "request": {
                            "method": "PATCH",
                            "header": [
                                { "key": "Accept", "value": "application/json" },
                                { "key": "Content-Type", "value": "application/json" }
                            ],
                            "body": { "mode": "raw", "raw": "{\n  \"title\": \"X\"\n}", "options": { "raw": { "language": "json" } } },
                            "url": {
                                "raw": "{{baseUrl}}/books/:book_id",
                                "host": ["{{baseUrl}}"],
                                "path": ["books", ":book_id"],
                                "variable": [{ "key": "book_id", "value": "1", "description": "" }]
                            }
                        },
                        "response": []
                    }], "description": "Books." },
                    { "name": "auth", "item": [{
                        "name": "Log in",
                        "request": {
                            "method": "POST",
                            "header": [{ "key": "Accept", "value": "application/json" }],
                            "url": { "raw": "{{baseUrl}}/auth/login", "host": ["{{baseUrl}}"], "path": ["auth", "login"] },
                            "auth": { "type": "noauth" }
                        },
                        "response": []
                    }] }
                ],
                "auth": { "type": "bearer", "bearer": [{ "key": "token", "value": "{{token}}", "type": "string" }] },
                "variable": [
                    { "key": "baseUrl", "value": "http://localhost:8000", "type": "string" },
                    { "key": "token", "value": "", "type": "string" }
                ]
            }),
        );
    }
}
