//! Path and query parameters: record keys, paging, sorting and equality filters.

use serde_json::{Value, json};

use crate::examples::key_example;
use crate::schemas::{Purpose, field_schema, foreign_key_schema, key_schema};
use crate::shape::{Api, EntityShape};

/// Query parameter names owned by paging and sorting; a field with one of these names gets no
/// filter (it would be ambiguous).
const RESERVED: [&str; 3] = ["limit", "offset", "sort"];

/// The path parameter naming one record of `entity`.
pub(crate) fn key_parameter(entity: &EntityShape<'_>, name: &str, description: &str) -> Value {
    let mut parameter = json!({
        "name": name,
        "in": "path",
        "required": true,
        "description": description,
        "schema": Value::Object(key_schema(entity)),
    });
    if let Some(example) = key_example(entity) {
        parameter["example"] = example;
    }
    parameter
}

/// Paging, sorting and filters of a listing of `entity`; `fixed` names the foreign key the
/// path already fixes (nested listings), which gets no filter.
pub(crate) fn list_parameters(
    api: &Api<'_>,
    entity: &EntityShape<'_>,
    fixed: Option<&str>,
) -> Vec<Value> {
    let mut parameters = vec![
        json!({ "$ref": "#/components/parameters/Limit" }),
        json!({ "$ref": "#/components/parameters/Offset" }),
    ];
    let plural = entity.entity.plural.as_str();
    let mut sortable: Vec<&str> = vec!["id"];
    let mut filters: Vec<Value> = Vec::new();
    for field in entity.data_fields().filter(|f| f.ty.is_filterable()) {
        sortable.push(&field.name);
        if !RESERVED.contains(&field.name.as_str()) {
            filters.push(json!({
                "name": field.name,
                "in": "query",
                "required": false,
                "description": format!("Only {} whose `{}` equals this value.", entity.plural_words, field.name),
                "schema": field_schema(field, Purpose::Filter, plural),
            }));
        }
    }
    for fk in &entity.foreign_keys {
        sortable.push(&fk.name);
        if fixed != Some(fk.name.as_str()) && !RESERVED.contains(&fk.name.as_str()) {
            filters.push(json!({
                "name": fk.name,
                "in": "query",
                "required": false,
                "description": format!("Only {} whose `{}` equals this value.", entity.plural_words, fk.name),
                "schema": foreign_key_schema(api, fk, Purpose::Filter),
            }));
        }
    }
    let values: Vec<Value> = sortable
        .iter()
        .flat_map(|name| [json!(name), json!(format!("-{name}"))])
        .collect();
    parameters.push(json!({
        "name": "sort",
        "in": "query",
        "required": false,
        "description": "Field to sort by; a leading `-` sorts in descending order.",
        "schema": { "type": "string", "enum": values, "default": "id" },
    }));
    parameters.extend(filters);
    parameters
}
