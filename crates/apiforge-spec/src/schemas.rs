//! JSON Schemas: one per field (by purpose), and the component schemas of every entity (the
//! record, its create and partial-update bodies, a page), its many-to-many links, problem
//! details and the auth bodies. Every component carries an `examples` entry valid against it.

use apiforge_manifest::{Field, FieldType};
use serde_json::{Map, Value, json};

use crate::examples::{self, anchored, field_example, key_example};
use crate::shape::{Api, EntityShape, ForeignKey, KeyKind, Link};

/// Most items one page may hold, and the default page size.
pub(crate) const MAX_LIMIT: u64 = 100;
pub(crate) const DEFAULT_LIMIT: u64 = 20;

/// What a field schema is used for; decides nullability, defaults and constraints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// A property of a returned record.
    Response,
    /// A property of a create (or full replace) body.
    Create,
    /// A property of a PATCH body: absence means "unchanged", so no default is advertised.
    Update,
    /// An equality filter in the query: type and format only, since a filter value outside a
    /// field's constraints simply matches nothing.
    Filter,
}

pub(crate) fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// The schema of one field.
pub(crate) fn field_schema(field: &Field, purpose: Purpose, entity_plural: &str) -> Value {
    let nullable = !field.required && purpose != Purpose::Filter;
    let mut schema = Map::new();
    let (ty, format): (&str, Option<&str>) = match field.ty {
        FieldType::String | FieldType::Text | FieldType::Enum => ("string", None),
        FieldType::Integer => ("integer", Some("int64")),
        FieldType::Number => ("number", Some("double")),
        FieldType::Decimal => ("number", Some("decimal")),
        FieldType::Boolean => ("boolean", None),
        FieldType::Date => ("string", Some("date")),
        FieldType::Datetime => ("string", Some("date-time")),
        FieldType::Time => ("string", Some("time")),
        FieldType::Email => ("string", Some("email")),
        FieldType::Url => ("string", Some("uri")),
        FieldType::Uuid => ("string", Some("uuid")),
        FieldType::Json => ("object", None),
    };
    schema.insert(
        "type".into(),
        if nullable {
            json!([ty, "null"])
        } else {
            json!(ty)
        },
    );
    if let Some(format) = format {
        schema.insert("format".into(), json!(format));
    }
    if field.ty == FieldType::Enum {
        let mut values: Vec<Value> = field.values.iter().map(|v| json!(v)).collect();
        if nullable {
            // `enum` restricts the value independently of `type`, so null must be listed.
            values.push(Value::Null);
        }
        schema.insert("enum".into(), Value::Array(values));
    }
    if field.ty == FieldType::Json {
        schema.insert("additionalProperties".into(), json!(true));
    }
    if purpose != Purpose::Filter {
        add_constraints(field, &mut schema);
    }
    if matches!(purpose, Purpose::Response | Purpose::Create)
        && let Some(default) = &field.default
    {
        schema.insert("default".into(), default.clone());
    }
    if purpose != Purpose::Filter {
        let description = field_description(field, entity_plural);
        if !description.is_empty() {
            schema.insert("description".into(), json!(description));
        }
        if field.unique {
            schema.insert("x-unique".into(), json!(true));
        }
    }
    Value::Object(schema)
}

fn add_constraints(field: &Field, schema: &mut Map<String, Value>) {
    if field.ty == FieldType::Integer {
        if let Some(min) = field.min {
            schema.insert("minimum".into(), json!(min as i64));
        }
        if let Some(max) = field.max {
            schema.insert("maximum".into(), json!(max as i64));
        }
    } else if field.ty.is_numeric() {
        if let Some(min) = field.min {
            schema.insert("minimum".into(), json!(min));
        }
        if let Some(max) = field.max {
            schema.insert("maximum".into(), json!(max));
        }
    }
    if let Some(min) = field.min_length {
        schema.insert("minLength".into(), json!(min));
    }
    if let Some(max) = field.max_length {
        schema.insert("maxLength".into(), json!(max));
    }
    if let Some(pattern) = &field.pattern {
        schema.insert("pattern".into(), json!(anchored(pattern)));
    }
}

fn field_description(field: &Field, entity_plural: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(text) = &field.description
        && !text.trim().is_empty()
    {
        parts.push(sentence(text.trim()));
    }
    match field.ty {
        FieldType::Decimal => parts.push(
            "Exact decimal number (format `decimal`): stored without binary rounding.".into(),
        ),
        FieldType::Time => parts.push("Time of day (RFC 3339 `full-time`).".into()),
        FieldType::Json => parts.push("Free-form JSON object.".into()),
        _ => {}
    }
    if field.unique {
        parts.push(format!(
            "Unique: no two {} share this value (409 on conflict).",
            entity_plural.replace('_', " ")
        ));
    }
    parts.join(" ")
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn sentence(text: &str) -> String {
    if text.ends_with(['.', '!', '?']) {
        text.to_owned()
    } else {
        format!("{text}.")
    }
}

/// The schema of an entity's key (path parameters, foreign keys, `id`).
pub(crate) fn key_schema(entity: &EntityShape<'_>) -> Map<String, Value> {
    let mut schema = Map::new();
    match entity.key.kind {
        KeyKind::Integer => {
            schema.insert("type".into(), json!("integer"));
            schema.insert("format".into(), json!("int64"));
        }
        KeyKind::Uuid => {
            schema.insert("type".into(), json!("string"));
            schema.insert("format".into(), json!("uuid"));
        }
        KeyKind::ClientString => {
            schema.insert("type".into(), json!("string"));
            if let Some(field) = entity.key.field {
                add_constraints(field, &mut schema);
            }
        }
    }
    schema
}

pub(crate) fn foreign_key_schema(api: &Api<'_>, fk: &ForeignKey, purpose: Purpose) -> Value {
    let target = &api.entities[fk.target];
    let mut schema = key_schema(target);
    if !fk.required && purpose != Purpose::Filter {
        let ty = schema.get("type").cloned().unwrap_or(json!("string"));
        schema.insert("type".into(), json!([ty, "null"]));
    }
    if purpose != Purpose::Filter {
        let description =
            if fk.role == heck::ToSnakeCase::to_snake_case(target.entity.name.as_str()) {
                format!("Key of the related {}.", target.words)
            } else {
                format!(
                    "Key of the {} acting as {}.",
                    target.words,
                    fk.role.replace('_', " ")
                )
            };
        schema.insert("description".into(), json!(description));
    }
    Value::Object(schema)
}

/// Example of a foreign key: the target's key example.
fn foreign_key_example(api: &Api<'_>, fk: &ForeignKey) -> Option<Value> {
    key_example(&api.entities[fk.target])
}

fn id_property(entity: &EntityShape<'_>) -> Value {
    let mut schema = key_schema(entity);
    if entity.key.server_assigned() {
        schema.insert("readOnly".into(), json!(true));
        schema.insert(
            "description".into(),
            json!(format!(
                "Unique identifier of the {}, assigned by the server.",
                entity.words
            )),
        );
    } else {
        let mut description = format!(
            "Unique identifier of the {}, chosen by the client on create.",
            entity.words
        );
        if let Some(text) = entity.key.field.and_then(|f| f.description.as_deref()) {
            description = format!("{} {description}", sentence(text.trim()));
        }
        schema.insert("description".into(), json!(description));
    }
    Value::Object(schema)
}

/// The example of a whole record, also embedded in pages and link records.
pub(crate) fn record_example(api: &Api<'_>, entity: &EntityShape<'_>) -> Option<Value> {
    let mut entries: Vec<(&str, Option<Value>, bool)> = vec![("id", key_example(entity), true)];
    for field in entity.data_fields() {
        entries.push((
            &field.name,
            field_example(field, &entity.entity.name),
            field.required,
        ));
    }
    for fk in &entity.foreign_keys {
        entries.push((&fk.name, foreign_key_example(api, fk), fk.required));
    }
    examples::object(entries)
}

fn create_example(api: &Api<'_>, entity: &EntityShape<'_>) -> Option<Value> {
    let mut entries: Vec<(&str, Option<Value>, bool)> = Vec::new();
    if !entity.key.server_assigned() {
        entries.push(("id", key_example(entity), true));
    }
    for field in entity.data_fields() {
        entries.push((
            &field.name,
            field_example(field, &entity.entity.name),
            create_required(field),
        ));
    }
    for fk in &entity.foreign_keys {
        entries.push((&fk.name, foreign_key_example(api, fk), fk.required));
    }
    examples::object(entries)
}

pub(crate) fn create_required(field: &Field) -> bool {
    // A default stands in for an omitted value, so such a field may be left out.
    field.required && field.default.is_none()
}

/// Adds every component schema, in manifest order, then the shared ones.
pub(crate) fn add_component_schemas(api: &Api<'_>, components: &mut Map<String, Value>) {
    let mut schemas = Map::new();
    for entity in &api.entities {
        entity_schemas(api, entity, &mut schemas);
        for link in &entity.links {
            link_schemas(api, entity, link, &mut schemas);
        }
    }
    schemas.insert(api.problem.clone(), problem_schema(api));
    if api.auth {
        auth_schemas(api, &mut schemas);
    }
    components.insert("schemas".into(), Value::Object(schemas));
}

fn with_example(mut schema: Map<String, Value>, example: Option<Value>) -> Value {
    if let Some(example) = example {
        schema.insert("examples".into(), json!([example]));
    }
    Value::Object(schema)
}

/// The data fields, then the foreign keys, of an entity as schema properties for `purpose`
/// (the same order in the record, create and update schemas).
fn entity_properties(
    api: &Api<'_>,
    entity: &EntityShape<'_>,
    purpose: Purpose,
) -> Map<String, Value> {
    let plural = entity.entity.plural.as_str();
    let fields = entity
        .data_fields()
        .map(|field| (field.name.clone(), field_schema(field, purpose, plural)));
    let foreign_keys = entity
        .foreign_keys
        .iter()
        .map(|fk| (fk.name.clone(), foreign_key_schema(api, fk, purpose)));
    fields.chain(foreign_keys).collect()
}

/// Names of the data fields `field_required` selects, then of the required foreign keys.
fn required_names<'a>(
    entity: &'a EntityShape<'_>,
    field_required: impl Fn(&Field) -> bool + 'a,
) -> impl Iterator<Item = Value> + 'a {
    let fields = entity
        .data_fields()
        .filter(move |field| field_required(field))
        .map(|field| json!(field.name));
    let foreign_keys = entity
        .foreign_keys
        .iter()
        .filter(|fk| fk.required)
        .map(|fk| json!(fk.name));
    fields.chain(foreign_keys)
}

fn entity_schemas(api: &Api<'_>, entity: &EntityShape<'_>, schemas: &mut Map<String, Value>) {
    let names = &entity.schemas;

    // The record as returned.
    let mut properties = Map::new();
    properties.insert("id".into(), id_property(entity));
    properties.extend(entity_properties(api, entity, Purpose::Response));
    let required: Vec<Value> = std::iter::once(json!("id"))
        .chain(required_names(entity, |field| field.required))
        .collect();
    let description = match &entity.entity.description {
        Some(text) if !text.trim().is_empty() => sentence(text.trim()),
        _ => format!("{} record.", capitalized(&entity.a_words)),
    };
    let mut main = Map::new();
    main.insert("type".into(), json!("object"));
    main.insert("description".into(), json!(description));
    main.insert("required".into(), Value::Array(required));
    main.insert("properties".into(), Value::Object(properties));
    let record = record_example(api, entity);
    schemas.insert(names.main.clone(), with_example(main, record.clone()));

    // The create body (also the full-replace body of PUT).
    let client_key = !entity.key.server_assigned();
    let mut properties = Map::new();
    if client_key {
        properties.insert("id".into(), id_property(entity));
    }
    properties.extend(entity_properties(api, entity, Purpose::Create));
    let required: Vec<Value> = client_key
        .then(|| json!("id"))
        .into_iter()
        .chain(required_names(entity, create_required))
        .collect();
    let mut create = Map::new();
    create.insert("type".into(), json!("object"));
    create.insert(
        "description".into(),
        json!(format!(
            "Fields of a new {}; also the body of a full replace (PUT), where omitted optional \
             fields are reset to their defaults.",
            entity.words
        )),
    );
    if !required.is_empty() {
        create.insert("required".into(), Value::Array(required));
    }
    create.insert("properties".into(), Value::Object(properties));
    create.insert("additionalProperties".into(), json!(false));
    schemas.insert(
        names.create.clone(),
        with_example(create, create_example(api, entity)),
    );

    // The partial update (PATCH): every property optional, at least one present.
    let properties = entity_properties(api, entity, Purpose::Update);
    // The example changes one field: the first that has an example value.
    let update_example = entity
        .data_fields()
        .find_map(|field| {
            field_example(field, &entity.entity.name)
                .map(|value| json!({ field.name.clone(): value }))
        })
        .or_else(|| {
            entity.foreign_keys.iter().find_map(|fk| {
                foreign_key_example(api, fk).map(|value| json!({ fk.name.clone(): value }))
            })
        });
    let mut update = Map::new();
    update.insert("type".into(), json!("object"));
    update.insert(
        "description".into(),
        json!(format!(
            "A partial update of {}: only the given fields change; `null` clears an optional \
             field.",
            entity.a_words
        )),
    );
    update.insert("minProperties".into(), json!(1));
    update.insert("properties".into(), Value::Object(properties));
    update.insert("additionalProperties".into(), json!(false));
    schemas.insert(names.update.clone(), with_example(update, update_example));

    schemas.insert(
        names.page.clone(),
        page_schema(&names.main, &entity.plural_words, record),
    );
}

fn page_schema(item: &str, plural_words: &str, item_example: Option<Value>) -> Value {
    let mut page = Map::new();
    page.insert("type".into(), json!("object"));
    page.insert(
        "description".into(),
        json!(format!(
            "One page of {plural_words} and the total number that match."
        )),
    );
    page.insert(
        "required".into(),
        json!(["items", "total", "limit", "offset"]),
    );
    page.insert(
        "properties".into(),
        json!({
            "items": { "type": "array", "items": schema_ref(item), "description": "The records of this page." },
            "total": { "type": "integer", "format": "int64", "minimum": 0, "description": "How many records match, across all pages." },
            "limit": { "type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_LIMIT, "description": "The page size used." },
            "offset": { "type": "integer", "format": "int64", "minimum": 0, "description": "How many matching records precede this page." },
        }),
    );
    let example = item_example
        .map(|item| json!({ "items": [item], "total": 1, "limit": DEFAULT_LIMIT, "offset": 0 }));
    with_example(page, example)
}

fn link_schemas(
    api: &Api<'_>,
    owner: &EntityShape<'_>,
    link: &Link<'_>,
    schemas: &mut Map<String, Value>,
) {
    let target = &api.entities[link.target];
    let owner_plural = owner.entity.plural.as_str();
    let mut properties = Map::new();
    let mut required = vec![json!(link.target_key)];
    let mut key = key_schema(target);
    key.insert(
        "description".into(),
        json!(format!("Key of the linked {}.", target.words)),
    );
    properties.insert(link.target_key.clone(), Value::Object(key));
    let mut example_entries: Vec<(&str, Option<Value>, bool)> =
        vec![(&link.target_key, key_example(target), true)];
    let mut input_properties = Map::new();
    let mut input_required = Vec::new();
    let mut input_entries: Vec<(&str, Option<Value>, bool)> = Vec::new();
    for field in link.fields {
        properties.insert(
            field.name.clone(),
            field_schema(field, Purpose::Response, owner_plural),
        );
        input_properties.insert(
            field.name.clone(),
            field_schema(field, Purpose::Create, owner_plural),
        );
        if field.required {
            required.push(json!(field.name));
        }
        if create_required(field) {
            input_required.push(json!(field.name));
        }
        let example = field_example(field, &owner.entity.name);
        example_entries.push((&field.name, example.clone(), field.required));
        input_entries.push((&field.name, example, create_required(field)));
    }
    properties.insert(link.embedded.clone(), schema_ref(&target.schemas.main));
    required.push(json!(link.embedded));
    example_entries.push((&link.embedded, record_example(api, target), true));

    let mut record = Map::new();
    record.insert("type".into(), json!("object"));
    record.insert(
        "description".into(),
        json!(format!(
            "A link from {} to one of its {}, with the linked {} embedded.",
            owner.a_words, link.role_words, target.words
        )),
    );
    record.insert("required".into(), Value::Array(required));
    record.insert("properties".into(), Value::Object(properties));
    let example = examples::object(example_entries);
    schemas.insert(link.schema.clone(), with_example(record, example.clone()));
    schemas.insert(
        link.page_schema.clone(),
        page_schema(&link.schema, &format!("{} links", link.role_words), example),
    );
    if !link.fields.is_empty() {
        let mut input = Map::new();
        input.insert("type".into(), json!("object"));
        input.insert(
            "description".into(),
            json!(format!(
                "Fields stored on the link between {} and {}.",
                owner.a_words, target.a_words
            )),
        );
        if !input_required.is_empty() {
            input.insert("required".into(), Value::Array(input_required));
        }
        input.insert("properties".into(), Value::Object(input_properties));
        input.insert("additionalProperties".into(), json!(false));
        schemas.insert(
            link.input_schema.clone(),
            with_example(input, examples::object(input_entries)),
        );
    }
}

fn problem_schema(api: &Api<'_>) -> Value {
    let instance = crate::responses::example_instance(api);
    json!({
        "type": "object",
        "description": "Problem details (RFC 9457). Validation failures (422) list each offending input in `errors`.",
        "required": ["type", "title", "status"],
        "properties": {
            "type": { "type": "string", "format": "uri-reference", "default": "about:blank", "description": "URI reference identifying the problem type." },
            "title": { "type": "string", "description": "Short, human-readable summary of the problem type." },
            "status": { "type": "integer", "format": "int32", "minimum": 100, "maximum": 599, "description": "The HTTP status code." },
            "detail": { "type": "string", "description": "Explanation specific to this occurrence." },
            "instance": { "type": "string", "format": "uri-reference", "description": "URI reference of this occurrence (usually the request path)." },
            "errors": {
                "type": "array",
                "description": "Each input that failed validation (422 only).",
                "items": {
                    "type": "object",
                    "required": ["location", "message"],
                    "properties": {
                        "location": { "type": "string", "enum": ["body", "query", "path", "header"], "description": "Where the input was." },
                        "field": { "type": "string", "description": "Dotted name of the input within its location, e.g. `title` or `items.0.quantity`." },
                        "message": { "type": "string", "description": "What is wrong with it." }
                    }
                }
            }
        },
        "examples": [{
            "type": "about:blank",
            "title": "Unprocessable Content",
            "status": 422,
            "detail": "The request body is not valid.",
            "instance": instance,
            "errors": [{ "location": "query", "field": "limit", "message": "must be at most 100" }]
        }]
    })
}

fn auth_schemas(api: &Api<'_>, schemas: &mut Map<String, Value>) {
    let roles: Vec<Value> = api.manifest.auth.roles().iter().map(|r| json!(r)).collect();
    let role_item = if roles.is_empty() {
        json!({ "type": "string" })
    } else {
        json!({ "type": "string", "enum": roles })
    };
    let example_roles: Vec<Value> = roles.first().cloned().into_iter().collect();
    schemas.insert(
        api.login_request.clone(),
        json!({
            "type": "object",
            "description": "Credentials exchanged for a bearer token.",
            "required": ["username", "password"],
            "properties": {
                "username": { "type": "string", "minLength": 1, "description": "User name or e-mail address." },
                "password": { "type": "string", "format": "password", "minLength": 1, "writeOnly": true, "description": "The user's password." }
            },
            "additionalProperties": false,
            "examples": [{ "username": "jane.doe@example.com", "password": "correct-horse-battery-staple" }]
        }),
    );
    schemas.insert(
        api.token.clone(),
        json!({
            "type": "object",
            "description": "A bearer token (JWT) to send as `Authorization: Bearer <access_token>`.",
            "required": ["access_token", "token_type", "expires_in"],
            "properties": {
                "access_token": { "type": "string", "description": "The JWT." },
                "token_type": { "type": "string", "enum": ["bearer"], "description": "Always `bearer`." },
                "expires_in": { "type": "integer", "format": "int64", "minimum": 1, "description": "Seconds until the token expires." }
            },
            "examples": [{
                "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJqYW5lIn0.c2lnbmF0dXJl",
                "token_type": "bearer",
                "expires_in": 3600
            }]
        }),
    );
    schemas.insert(
        api.current_user.clone(),
        json!({
            "type": "object",
            "description": "The authenticated user and the roles the token grants.",
            "required": ["username", "roles"],
            "properties": {
                "username": { "type": "string", "description": "User name or e-mail address." },
                "roles": { "type": "array", "items": role_item, "description": "Roles held by the user." }
            },
            "examples": [{ "username": "jane.doe@example.com", "roles": example_roles }]
        }),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(field: Field, purpose: Purpose, expect: Value) {
        assert_eq!(field_schema(&field, purpose, "books"), expect);
    }

    #[test]
    fn field_types_map_to_schemas() {
        let mut title = Field::new("title", FieldType::String);
        title.min_length = Some(1);
        title.max_length = Some(200);
        title.pattern = Some("[A-Z].*".into());
        check(
            title,
            Purpose::Create,
            json!({ "type": "string", "minLength": 1, "maxLength": 200, "pattern": "^(?:[A-Z].*)$" }),
        );
        let mut year = Field::new("year", FieldType::Integer);
        year.min = Some(1450.0);
        year.required = false;
        check(
            year,
            Purpose::Response,
            json!({ "type": ["integer", "null"], "format": "int64", "minimum": 1450 }),
        );
        let mut price = Field::new("price", FieldType::Decimal);
        price.unique = true;
        check(
            price,
            Purpose::Update,
            json!({ "type": "number", "format": "decimal",
                "description": "Exact decimal number (format `decimal`): stored without binary rounding. Unique: no two books share this value (409 on conflict).",
                "x-unique": true }),
        );
        let mut status = Field::new("status", FieldType::Enum);
        status.values = vec!["draft".into(), "published".into()];
        status.required = false;
        status.default = Some(json!("draft"));
        check(
            status.clone(),
            Purpose::Create,
            json!({ "type": ["string", "null"], "enum": ["draft", "published", null], "default": "draft" }),
        );
        check(
            status,
            Purpose::Filter,
            json!({ "type": "string", "enum": ["draft", "published"] }),
        );
        check(
            Field::new("home", FieldType::Url),
            Purpose::Filter,
            json!({ "type": "string", "format": "uri" }),
        );
        check(
            Field::new("meta", FieldType::Json),
            Purpose::Create,
            json!({ "type": "object", "additionalProperties": true, "description": "Free-form JSON object." }),
        );
    }
}
