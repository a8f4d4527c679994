//! Normalisation (inverse relations) and validation with precise, actionable errors.

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::sanitize::{is_entity_name, is_field_name};
use crate::{Entity, Field, FieldType, Manifest, Relation, RelationKind};

/// A manifest that passed [`Manifest::validate`]: every later stage takes this, so none of
/// them re-checks names, targets or constraints.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct ValidManifest(Manifest);

impl ValidManifest {
    /// The manifest itself.
    pub fn manifest(&self) -> &Manifest {
        &self.0
    }

    /// Gives the manifest back, e.g. to edit and validate again.
    pub fn into_inner(self) -> Manifest {
        self.0
    }

    /// Canonical JSON text (sorted keys, compact).
    pub fn canonical_json(&self) -> String {
        crate::canonical_json(&self.0)
    }

    /// sha256 of the canonical JSON, lower-case hex.
    pub fn hash(&self) -> String {
        crate::manifest_hash(&self.0)
    }

    /// Pretty JSON for people (keys in contract order).
    pub fn to_pretty_json(&self) -> String {
        serde_json::to_string_pretty(&self.0)
            .expect("a manifest serialises: its map keys are strings")
    }
}

impl std::ops::Deref for ValidManifest {
    type Target = Manifest;

    fn deref(&self) -> &Manifest {
        &self.0
    }
}

/// One broken rule, located by entity and field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// The manifest declares no entity.
    #[error("the manifest has no entities; describe at least one resource")]
    NoEntities,
    /// A name is not in its canonical identifier form.
    #[error("{location}: {kind} name `{name}` is not valid; use {expected} (e.g. `{suggestion}`)")]
    BadName {
        /// Where the name is.
        location: String,
        /// What is named (entity, field, plural, …).
        kind: &'static str,
        /// The offending name.
        name: String,
        /// The rule it breaks.
        expected: &'static str,
        /// The sanitised form.
        suggestion: String,
    },
    /// Two entities share a name or plural.
    #[error("entity `{name}` is declared twice (by name or plural); rename one of them")]
    DuplicateEntity {
        /// The repeated name.
        name: String,
    },
    /// Two fields (or a field and a foreign key) of one entity share a name.
    #[error("{location}: `{name}` is declared twice; field and foreign-key names must be unique")]
    DuplicateField {
        /// Entity (and link) holding the duplicates.
        location: String,
        /// The repeated name.
        name: String,
    },
    /// A relation points at no declared entity.
    #[error(
        "{location}: relation target `{target}` is not an entity of this manifest (entities: {known})"
    )]
    UnknownTarget {
        /// The relation's location.
        location: String,
        /// The missing target.
        target: String,
        /// The declared entity names.
        known: String,
    },
    /// An enum field without values.
    #[error("{location}: enum field has no `values`; list the allowed values")]
    EmptyEnum {
        /// The field.
        location: String,
    },
    /// A constraint that cannot hold or does not apply to the type.
    #[error("{location}: {detail}")]
    BadConstraint {
        /// The field.
        location: String,
        /// What is wrong.
        detail: String,
    },
    /// A relation that cannot be generated as written.
    #[error("{location}: {detail}")]
    BadRelation {
        /// The relation.
        location: String,
        /// What is wrong.
        detail: String,
    },
    /// Permissions that cannot be enforced.
    #[error("{location}: {detail}")]
    BadPermission {
        /// The entity.
        location: String,
        /// What is wrong.
        detail: String,
    },
}

/// Every problem found in one manifest, in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationErrors(pub Vec<ValidationError>);

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_slice() {
            [] => write!(f, "invalid manifest"),
            [only] => write!(f, "invalid manifest: {only}"),
            [first, rest @ ..] => write!(
                f,
                "invalid manifest: {first} (and {} more problem{})",
                rest.len(),
                if rest.len() == 1 { "" } else { "s" }
            ),
        }
    }
}

impl std::error::Error for ValidationErrors {}

impl Manifest {
    /// Adds what the manifest implies (a has_many for every belongs_to and back; one side per
    /// many-to-many link), then checks every rule. Idempotent.
    pub fn validate(mut self) -> Result<ValidManifest, ValidationErrors> {
        self.normalize();
        let errors = check(&self);
        if errors.is_empty() {
            Ok(ValidManifest(self))
        } else {
            Err(ValidationErrors(errors))
        }
    }

    /// Completes inverse relations so every consumer sees both directions:
    /// - a belongs_to gets its has_many on the target (nested listing),
    /// - a has_many whose target lacks the belongs_to gets it (optional when self-referencing),
    /// - a many-to-many declared on both sides is kept on the first side only.
    pub fn normalize(&mut self) {
        let entity_names: Vec<String> = self.entities.iter().map(|e| e.name.clone()).collect();
        // has_many → belongs_to
        let mut missing_belongs: Vec<(String, Relation)> = Vec::new();
        for entity in &self.entities {
            for relation in entity
                .relations
                .iter()
                .filter(|r| r.kind == RelationKind::HasMany)
            {
                let Some(child) = self.entity(&relation.target) else {
                    continue;
                };
                let role = relation
                    .name
                    .clone()
                    .unwrap_or_else(|| default_role(&entity.name));
                let exists = child.relations.iter().any(|r| {
                    r.kind == RelationKind::BelongsTo
                        && r.target == entity.name
                        && r.name.clone().unwrap_or_else(|| default_role(&r.target)) == role
                });
                if !exists {
                    let mut belongs = Relation::new(RelationKind::BelongsTo, entity.name.clone());
                    belongs.required = child.name != entity.name;
                    if role != default_role(&entity.name) {
                        belongs.name = Some(role);
                    }
                    missing_belongs.push((child.name.clone(), belongs));
                }
            }
        }
        for (child, relation) in missing_belongs {
            if let Some(entity) = self.entities.iter_mut().find(|e| e.name == child)
                && !entity.relations.contains(&relation)
            {
                entity.relations.push(relation);
            }
        }
        // belongs_to → has_many
        let mut missing_many: Vec<(String, Relation)> = Vec::new();
        for entity in &self.entities {
            for relation in entity
                .relations
                .iter()
                .filter(|r| r.kind == RelationKind::BelongsTo)
            {
                let Some(parent) = self.entity(&relation.target) else {
                    continue;
                };
                let role = relation
                    .name
                    .clone()
                    .unwrap_or_else(|| default_role(&parent.name));
                let exists = parent.relations.iter().any(|r| {
                    r.kind == RelationKind::HasMany
                        && r.target == entity.name
                        && r.name.clone().unwrap_or_else(|| default_role(&parent.name)) == role
                });
                if !exists {
                    let mut many = Relation::new(RelationKind::HasMany, entity.name.clone());
                    if role != default_role(&parent.name) {
                        many.name = Some(role);
                    }
                    missing_many.push((parent.name.clone(), many));
                }
            }
        }
        for (parent, relation) in missing_many {
            if let Some(entity) = self.entities.iter_mut().find(|e| e.name == parent)
                && !entity.relations.contains(&relation)
            {
                entity.relations.push(relation);
            }
        }
        // many_to_many declared on both sides → keep the first declaration.
        let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
        for name in &entity_names {
            let Some(entity) = self.entities.iter_mut().find(|e| &e.name == name) else {
                continue;
            };
            entity.relations.retain(|r| {
                if r.kind != RelationKind::ManyToMany || r.name.is_some() {
                    return true;
                }
                let pair = if entity.name <= r.target {
                    (entity.name.clone(), r.target.clone())
                } else {
                    (r.target.clone(), entity.name.clone())
                };
                seen.insert(pair)
            });
        }
    }
}

/// The default role name of a link to `target`: its snake_case name.
fn default_role(target: &str) -> String {
    heck::ToSnakeCase::to_snake_case(target)
}

fn check(manifest: &Manifest) -> Vec<ValidationError> {
    let mut errors = Vec::new();
    if !is_field_name(&manifest.name) {
        errors.push(bad_name("manifest", "API", &manifest.name, false));
    }
    if manifest.entities.is_empty() {
        errors.push(ValidationError::NoEntities);
    }
    let known: Vec<&str> = manifest.entities.iter().map(|e| e.name.as_str()).collect();
    let mut names = BTreeSet::new();
    for entity in &manifest.entities {
        if !names.insert(entity.name.to_lowercase())
            || !names.insert(format!("plural:{}", entity.plural))
        {
            errors.push(ValidationError::DuplicateEntity {
                name: entity.name.clone(),
            });
        }
    }
    let roles = manifest.auth.roles();
    let mut role_set = BTreeSet::new();
    for role in roles {
        if !is_field_name(role) {
            errors.push(bad_name("auth.roles", "role", role, false));
        }
        if !role_set.insert(role.as_str()) {
            errors.push(ValidationError::BadPermission {
                location: "auth.roles".into(),
                detail: format!("role `{role}` is listed twice"),
            });
        }
    }
    for entity in &manifest.entities {
        check_entity(manifest, entity, &known, &mut errors);
    }
    errors
}

fn check_entity(
    manifest: &Manifest,
    entity: &Entity,
    known: &[&str],
    errors: &mut Vec<ValidationError>,
) {
    let at = format!("entity `{}`", entity.name);
    if !is_entity_name(&entity.name) {
        errors.push(bad_name(&at, "entity", &entity.name, true));
    }
    if !is_field_name(&entity.plural) {
        errors.push(bad_name(&at, "plural", &entity.plural, false));
    }
    if crate::words::RESERVED_PLURALS.contains(&entity.plural.as_str()) {
        errors.push(ValidationError::BadConstraint {
            location: at.clone(),
            detail: format!(
                "plural `{}` is reserved: the generated API serves its documentation at /{}; choose another plural (e.g. `documents`)",
                entity.plural, entity.plural
            ),
        });
    }
    if entity.fields.is_empty()
        && !entity
            .relations
            .iter()
            .any(|r| r.kind == RelationKind::BelongsTo)
    {
        errors.push(ValidationError::BadConstraint {
            location: at.clone(),
            detail: "has no fields and no belongs_to relation; give it at least one field".into(),
        });
    }
    let mut columns = BTreeSet::new();
    for field in &entity.fields {
        let location = format!("{at}, field `{}`", field.name);
        check_field(field, &location, errors);
        if !columns.insert(field.name.clone()) {
            errors.push(ValidationError::DuplicateField {
                location: at.clone(),
                name: field.name.clone(),
            });
        }
        if field.name == "id"
            && !matches!(
                field.ty,
                FieldType::Integer | FieldType::Uuid | FieldType::String
            )
        {
            errors.push(ValidationError::BadConstraint {
                location,
                detail: format!(
                    "the primary key `id` must be integer, uuid or string, not {}",
                    field.ty.as_str()
                ),
            });
        }
    }
    let mut link_segments = BTreeSet::new();
    for relation in &entity.relations {
        let location = format!("{at}, relation to `{}`", relation.target);
        let Some(target) = manifest.entity(&relation.target) else {
            errors.push(ValidationError::UnknownTarget {
                location,
                target: relation.target.clone(),
                known: known.join(", "),
            });
            continue;
        };
        if let Some(name) = &relation.name
            && !is_field_name(name)
        {
            errors.push(bad_name(&location, "relation", name, false));
        }
        if relation.kind != RelationKind::ManyToMany && !relation.fields.is_empty() {
            errors.push(ValidationError::BadRelation {
                location: location.clone(),
                detail: "only many_to_many relations carry `fields`; move them to an entity".into(),
            });
        }
        match relation.kind {
            RelationKind::BelongsTo => {
                let column = format!("{}_id", relation.role_name(&target.plural));
                if !columns.insert(column.clone()) {
                    errors.push(ValidationError::DuplicateField {
                        location: at.clone(),
                        name: column,
                    });
                }
                if relation.required && target.name == entity.name {
                    errors.push(ValidationError::BadRelation {
                        location,
                        detail: "a required self-reference can never be satisfied by the first record; set `required: false`".into(),
                    });
                }
            }
            RelationKind::HasMany => {
                let role = relation
                    .name
                    .clone()
                    .unwrap_or_else(|| default_role(&entity.name));
                let mirrored = target.relations.iter().any(|r| {
                    r.kind == RelationKind::BelongsTo
                        && r.target == entity.name
                        && r.name.clone().unwrap_or_else(|| default_role(&r.target)) == role
                });
                if !mirrored {
                    errors.push(ValidationError::BadRelation {
                        location,
                        detail: format!(
                            "`{}` has no belongs_to `{role}` back to `{}`",
                            target.name, entity.name
                        ),
                    });
                }
            }
            RelationKind::ManyToMany => {
                if target.name == entity.name {
                    errors.push(ValidationError::BadRelation {
                        location: location.clone(),
                        detail: "a many-to-many link to the entity itself is not supported; use an entity with two belongs_to relations".into(),
                    });
                }
                if !link_segments.insert(relation.role_name(&target.plural)) {
                    errors.push(ValidationError::BadRelation {
                        location: location.clone(),
                        detail: "two many-to-many links share one name; give one of them a `name`"
                            .into(),
                    });
                }
                let mut link_columns: BTreeSet<String> = [
                    format!("{}_id", default_role(&entity.name)),
                    format!("{}_id", default_role(&target.name)),
                ]
                .into();
                for field in &relation.fields {
                    let field_at = format!("{location}, link field `{}`", field.name);
                    check_field(field, &field_at, errors);
                    if !link_columns.insert(field.name.clone()) {
                        errors.push(ValidationError::DuplicateField {
                            location: location.clone(),
                            name: field.name.clone(),
                        });
                    }
                }
            }
        }
    }
    for (operation, allowed) in &entity.permissions {
        let location = format!("{at}, permission `{}`", operation.as_str());
        if !manifest.auth.is_enabled() {
            errors.push(ValidationError::BadPermission {
                location,
                detail:
                    "permissions need `auth: {\"kind\": \"jwt\", …}`; turn auth on or drop them"
                        .into(),
            });
            continue;
        }
        if allowed.is_empty() {
            errors.push(ValidationError::BadPermission {
                location: location.clone(),
                detail: "lists no role, so nobody could perform it; name at least one role".into(),
            });
        }
        for role in allowed {
            if !manifest.auth.roles().contains(role) {
                errors.push(ValidationError::BadPermission {
                    location: location.clone(),
                    detail: format!(
                        "role `{role}` is not declared in `auth.roles` ({})",
                        manifest.auth.roles().join(", ")
                    ),
                });
            }
        }
    }
}

fn check_field(field: &Field, location: &str, errors: &mut Vec<ValidationError>) {
    let constraint = |detail: String| ValidationError::BadConstraint {
        location: location.to_owned(),
        detail,
    };
    if !is_field_name(&field.name) {
        errors.push(bad_name(location, "field", &field.name, false));
    }
    let ty = field.ty.as_str();
    if field.ty == FieldType::Enum {
        if field.values.is_empty() {
            errors.push(ValidationError::EmptyEnum {
                location: location.to_owned(),
            });
        }
        let mut seen = BTreeSet::new();
        for value in &field.values {
            if value.trim().is_empty() {
                errors.push(constraint("an enum value is empty".into()));
            } else if !seen.insert(value) {
                errors.push(constraint(format!("enum value `{value}` is listed twice")));
            }
        }
    } else if !field.values.is_empty() {
        errors.push(constraint(format!(
            "`values` only applies to enum fields, not {ty}; set `type: \"enum\"` or drop them"
        )));
    }
    if (field.min.is_some() || field.max.is_some()) && !field.ty.is_numeric() {
        errors.push(constraint(format!(
            "`min`/`max` apply to integer, number and decimal fields, not {ty}"
        )));
    }
    if let (Some(min), Some(max)) = (field.min, field.max)
        && min > max
    {
        errors.push(constraint(format!("min {min} is greater than max {max}")));
    }
    if field.ty == FieldType::Integer {
        for bound in [field.min, field.max].into_iter().flatten() {
            if bound.fract() != 0.0 {
                errors.push(constraint(format!(
                    "bound {bound} of an integer field must be a whole number"
                )));
            }
        }
    }
    if (field.min_length.is_some() || field.max_length.is_some()) && !field.ty.is_textual() {
        errors.push(constraint(format!(
            "`min_length`/`max_length` apply to text fields, not {ty}"
        )));
    }
    if let (Some(min), Some(max)) = (field.min_length, field.max_length)
        && min > max
    {
        errors.push(constraint(format!(
            "min_length {min} is greater than max_length {max}"
        )));
    }
    if field.max_length == Some(0) {
        errors.push(constraint(
            "max_length 0 allows no value at all; remove it or raise it".into(),
        ));
    }
    if let Some(pattern) = &field.pattern {
        if !matches!(field.ty, FieldType::String | FieldType::Text) {
            errors.push(constraint(format!(
                "`pattern` applies to string and text fields, not {ty}"
            )));
        }
        if let Err(error) = regex::Regex::new(pattern) {
            let first_line = error
                .to_string()
                .lines()
                .last()
                .unwrap_or_default()
                .trim()
                .to_owned();
            errors.push(constraint(format!(
                "pattern `{pattern}` is not a valid regular expression ({first_line})"
            )));
        }
    }
    if let Some(default) = &field.default
        && let Err(detail) = check_default(field, default)
    {
        errors.push(constraint(format!("default {default}: {detail}")));
    }
}

fn check_default(field: &Field, default: &Value) -> Result<(), String> {
    let in_bounds = |number: f64| {
        if field.min.is_some_and(|min| number < min) || field.max.is_some_and(|max| number > max) {
            Err("is outside min/max".to_owned())
        } else {
            Ok(())
        }
    };
    match (field.ty, default) {
        (FieldType::Json, _) => Ok(()),
        (FieldType::Boolean, Value::Bool(_)) => Ok(()),
        (FieldType::Integer, Value::Number(n)) if n.is_i64() || n.is_u64() => {
            in_bounds(n.as_f64().unwrap_or(0.0))
        }
        (FieldType::Number | FieldType::Decimal, Value::Number(n)) => {
            in_bounds(n.as_f64().unwrap_or(0.0))
        }
        (FieldType::Enum, Value::String(s)) if field.values.contains(s) => Ok(()),
        (FieldType::Enum, _) => Err(format!(
            "is not one of the values ({})",
            field.values.join(", ")
        )),
        (
            FieldType::String
            | FieldType::Text
            | FieldType::Email
            | FieldType::Url
            | FieldType::Uuid
            | FieldType::Date
            | FieldType::Datetime
            | FieldType::Time,
            Value::String(text),
        ) => {
            let chars = u32::try_from(text.chars().count()).unwrap_or(u32::MAX);
            if field.min_length.is_some_and(|min| chars < min)
                || field.max_length.is_some_and(|max| chars > max)
            {
                Err("length is outside min_length/max_length".into())
            } else {
                Ok(())
            }
        }
        _ => Err(format!("is not a valid {} value", field.ty.as_str())),
    }
}

fn bad_name(location: &str, kind: &'static str, name: &str, pascal: bool) -> ValidationError {
    let (expected, suggestion) = if pascal {
        (
            "PascalCase ASCII letters and digits",
            crate::sanitize::entity_name(name),
        )
    } else {
        (
            "snake_case ASCII (a-z, 0-9, _), starting with a letter",
            crate::sanitize::field_name(name),
        )
    };
    ValidationError::BadName {
        location: location.to_owned(),
        kind,
        name: name.to_owned(),
        expected,
        suggestion,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Auth, Operation};
    use serde_json::json;

    fn manifest(entities: Value) -> Manifest {
        serde_json::from_value(json!({ "name": "shop", "title": "Shop API", "entities": entities }))
            .expect("manifest JSON of the right shape")
    }

    /// Validates `entities`; `expect` is the list of error messages (empty: valid).
    fn check(entities: Value, expect: &[&str]) {
        let result = manifest(entities).validate();
        let messages: Vec<String> = match &result {
            Ok(_) => Vec::new(),
            Err(errors) => errors.0.iter().map(ToString::to_string).collect(),
        };
        assert_eq!(messages, expect);
    }

    fn book(extra_fields: Value) -> Value {
        let mut fields = vec![json!({ "name": "title", "type": "string" })];
        if let Value::Array(extra) = extra_fields {
            fields.extend(extra);
        }
        json!({ "name": "Book", "plural": "books", "fields": fields })
    }

    #[test]
    fn a_minimal_manifest_is_valid() {
        check(json!([book(json!([]))]), &[]);
    }

    #[test]
    fn names_must_be_canonical() {
        check(
            json!([{ "name": "book item", "plural": "Book Items", "fields": [{ "name": "Title", "type": "string" }] }]),
            &[
                "entity `book item`: entity name `book item` is not valid; use PascalCase ASCII letters and digits (e.g. `BookItem`)",
                "entity `book item`: plural name `Book Items` is not valid; use snake_case ASCII (a-z, 0-9, _), starting with a letter (e.g. `book_items`)",
                "entity `book item`, field `Title`: field name `Title` is not valid; use snake_case ASCII (a-z, 0-9, _), starting with a letter (e.g. `title`)",
            ],
        );
    }

    #[test]
    fn documentation_paths_are_reserved() {
        for plural in ["docs", "redoc"] {
            check(
                json!([{ "name": "Doc", "plural": plural, "fields": [{ "name": "title", "type": "string" }] }]),
                &[&format!(
                    "entity `Doc`: plural `{plural}` is reserved: the generated API serves its documentation at /{plural}; choose another plural (e.g. `documents`)"
                )],
            );
        }
    }

    #[test]
    fn duplicates() {
        check(
            json!([
                book(json!([{ "name": "title", "type": "text" }])),
                book(json!([]))
            ]),
            &[
                "entity `Book` is declared twice (by name or plural); rename one of them",
                "entity `Book`: `title` is declared twice; field and foreign-key names must be unique",
            ],
        );
        check(
            json!([
                { "name": "Author", "plural": "authors", "fields": [{ "name": "name", "type": "string" }] },
                { "name": "Book", "plural": "books", "fields": [{ "name": "author_id", "type": "integer" }],
                  "relations": [{ "kind": "belongs_to", "target": "Author" }] }
            ]),
            &[
                "entity `Book`: `author_id` is declared twice; field and foreign-key names must be unique",
            ],
        );
    }

    #[test]
    fn unknown_relation_target() {
        check(
            json!([{ "name": "Book", "plural": "books", "fields": [{ "name": "title", "type": "string" }],
                     "relations": [{ "kind": "belongs_to", "target": "Author" }] }]),
            &[
                "entity `Book`, relation to `Author`: relation target `Author` is not an entity of this manifest (entities: Book)",
            ],
        );
    }

    #[test]
    fn enums() {
        check(
            json!([book(json!([{ "name": "status", "type": "enum" }]))]),
            &["entity `Book`, field `status`: enum field has no `values`; list the allowed values"],
        );
        check(
            json!([book(
                json!([{ "name": "status", "type": "enum", "values": ["a", "a", " "] }])
            )]),
            &[
                "entity `Book`, field `status`: enum value `a` is listed twice",
                "entity `Book`, field `status`: an enum value is empty",
            ],
        );
        check(
            json!([book(
                json!([{ "name": "kind", "type": "string", "values": ["a"] }])
            )]),
            &[
                "entity `Book`, field `kind`: `values` only applies to enum fields, not string; set `type: \"enum\"` or drop them",
            ],
        );
    }

    #[test]
    fn constraints() {
        check(
            json!([book(json!([
                { "name": "pages", "type": "integer", "min": 10, "max": 1.5 },
                { "name": "isbn", "type": "string", "min_length": 13, "max_length": 10, "pattern": "([0-9]" },
                { "name": "price", "type": "decimal", "min_length": 1 },
                { "name": "ok", "type": "boolean", "min": 0 },
                { "name": "code", "type": "string", "max_length": 0 }
            ]))]),
            &[
                "entity `Book`, field `pages`: min 10 is greater than max 1.5",
                "entity `Book`, field `pages`: bound 1.5 of an integer field must be a whole number",
                "entity `Book`, field `isbn`: min_length 13 is greater than max_length 10",
                "entity `Book`, field `isbn`: pattern `([0-9]` is not a valid regular expression (error: unclosed group)",
                "entity `Book`, field `price`: `min_length`/`max_length` apply to text fields, not decimal",
                "entity `Book`, field `ok`: `min`/`max` apply to integer, number and decimal fields, not boolean",
                "entity `Book`, field `code`: max_length 0 allows no value at all; remove it or raise it",
            ],
        );
    }

    #[test]
    fn defaults_must_fit_the_field() {
        check(
            json!([book(json!([
                { "name": "pages", "type": "integer", "default": "ten" },
                { "name": "rating", "type": "integer", "min": 1, "max": 5, "default": 9 },
                { "name": "status", "type": "enum", "values": ["draft"], "default": "gone" },
                { "name": "published", "type": "boolean", "default": false },
                { "name": "meta", "type": "json", "default": { "a": 1 } }
            ]))]),
            &[
                "entity `Book`, field `pages`: default \"ten\": is not a valid integer value",
                "entity `Book`, field `rating`: default 9: is outside min/max",
                "entity `Book`, field `status`: default \"gone\": is not one of the values (draft)",
            ],
        );
    }

    #[test]
    fn primary_key_types() {
        check(
            json!([book(json!([{ "name": "id", "type": "uuid" }]))]),
            &[],
        );
        check(
            json!([book(json!([{ "name": "id", "type": "date" }]))]),
            &[
                "entity `Book`, field `id`: the primary key `id` must be integer, uuid or string, not date",
            ],
        );
    }

    #[test]
    fn self_reference_must_be_optional() {
        let employee = |required: bool| {
            json!([{ "name": "Employee", "plural": "employees", "fields": [{ "name": "name", "type": "string" }],
                     "relations": [{ "kind": "belongs_to", "target": "Employee", "name": "manager", "required": required }] }])
        };
        check(employee(false), &[]);
        check(
            employee(true),
            &[
                "entity `Employee`, relation to `Employee`: a required self-reference can never be satisfied by the first record; set `required: false`",
            ],
        );
    }

    #[test]
    fn normalisation_adds_inverses_once() {
        let valid = manifest(json!([
            { "name": "Author", "plural": "authors", "fields": [{ "name": "name", "type": "string" }],
              "relations": [{ "kind": "has_many", "target": "Review" }] },
            book(json!([])),
            { "name": "Review", "plural": "reviews", "fields": [{ "name": "body", "type": "text" }] },
            { "name": "Tag", "plural": "tags", "fields": [{ "name": "label", "type": "string" }],
              "relations": [{ "kind": "many_to_many", "target": "Book" }] }
        ]))
        .validate()
        .expect("valid");
        let review = valid.entity("Review").expect("Review");
        assert_eq!(
            review.relations,
            vec![Relation::new(RelationKind::BelongsTo, "Author")]
        );
        let author = valid.entity("Author").expect("Author");
        assert_eq!(
            author.relations,
            vec![Relation::new(RelationKind::HasMany, "Review")]
        );
        // Validating again changes nothing.
        let again = valid.clone().into_inner().validate().expect("still valid");
        assert_eq!(again, valid);
    }

    #[test]
    fn many_to_many_declared_twice_is_kept_once() {
        let valid = manifest(json!([
            { "name": "Task", "plural": "tasks", "fields": [{ "name": "title", "type": "string" }],
              "relations": [{ "kind": "many_to_many", "target": "Tag" }] },
            { "name": "Tag", "plural": "tags", "fields": [{ "name": "label", "type": "string" }],
              "relations": [{ "kind": "many_to_many", "target": "Task" }] }
        ]))
        .validate()
        .expect("valid");
        assert_eq!(valid.entity("Task").expect("Task").relations.len(), 1);
        assert!(valid.entity("Tag").expect("Tag").relations.is_empty());
    }

    #[test]
    fn permissions_need_auth_and_declared_roles() {
        let mut shop = manifest(json!([book(json!([]))]));
        shop.entities[0]
            .permissions
            .insert(Operation::Delete, vec!["admin".into()]);
        let errors = shop.clone().validate().expect_err("no auth");
        assert!(
            errors.to_string().contains("permissions need `auth"),
            "{errors}"
        );
        shop.auth = Auth::Jwt {
            roles: vec!["agent".into()],
        };
        let errors = shop.clone().validate().expect_err("unknown role");
        assert!(
            errors.to_string().contains("role `admin` is not declared"),
            "{errors}"
        );
        shop.auth = Auth::Jwt {
            roles: vec!["agent".into(), "admin".into()],
        };
        shop.validate().expect("valid with the role declared");
    }

    #[test]
    fn no_entities_and_error_summary() {
        let errors = manifest(json!([])).validate().expect_err("invalid");
        assert_eq!(
            errors.to_string(),
            "invalid manifest: the manifest has no entities; describe at least one resource"
        );
        let errors = manifest(json!([{ "name": "x", "plural": "x", "fields": [] }]))
            .validate()
            .expect_err("invalid");
        assert!(
            errors.to_string().ends_with("(and 1 more problem)"),
            "{errors}"
        );
    }

    #[test]
    fn unknown_keys_are_rejected_by_name() {
        let error = Manifest::parse_json(r#"{"name":"x","title":"X","entities":[],"colour":1}"#)
            .expect_err("unknown key");
        let cause = std::error::Error::source(&error)
            .map(ToString::to_string)
            .unwrap_or_default();
        assert_eq!(
            error.to_string(),
            "the manifest is not valid JSON of the manifest shape"
        );
        assert!(cause.contains("unknown field `colour`"), "{cause}");
    }
}
