//! The manifest seen from the contract's side: for every entity its key, path segment,
//! foreign keys, nested listings, many-to-many links and component names, computed once so
//! that schemas, paths and examples agree on every name.

use apiforge_manifest::{Entity, Field, FieldType, Manifest, Operation, RelationKind, words};
use heck::{ToKebabCase, ToPascalCase, ToSnakeCase};

use crate::names::Names;

/// Tag of the login and current-user operations.
pub(crate) const AUTH_TAG: &str = "auth";

/// Everything the document generators need, in manifest order.
#[derive(Debug)]
pub(crate) struct Api<'m> {
    pub manifest: &'m Manifest,
    pub auth: bool,
    pub entities: Vec<EntityShape<'m>>,
    /// Component names of the built-in schemas (renamed if an entity already took the name).
    pub problem: String,
    pub login_request: String,
    pub token: String,
    pub current_user: String,
    /// Operation ids of login and the current user (suffixed if an entity took them).
    pub login_id: String,
    pub me_id: String,
}

/// How the primary key is typed and who assigns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    /// Server-assigned integer (the default, or an explicit integer `id`).
    Integer,
    /// Server-assigned UUID.
    Uuid,
    /// Client-supplied text, given on create.
    ClientString,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Key<'m> {
    pub kind: KeyKind,
    /// The declared `id` field, whose constraints apply to a client-supplied key.
    pub field: Option<&'m Field>,
}

impl Key<'_> {
    pub fn server_assigned(&self) -> bool {
        self.kind != KeyKind::ClientString
    }
}

/// A `<role>_id` column added by a belongs_to.
#[derive(Debug, Clone)]
pub(crate) struct ForeignKey {
    pub name: String,
    pub role: String,
    /// Index of the target in [`Api::entities`].
    pub target: usize,
    pub required: bool,
}

/// A nested listing `GET /parents/{parent_id}/children` for a has_many.
#[derive(Debug, Clone)]
pub(crate) struct Child {
    pub child: usize,
    /// The child's foreign key that points back here (fixed by the path).
    pub foreign_key: String,
    pub role: String,
    pub segment: String,
    pub operation_id: String,
}

/// A many-to-many link declared on this entity.
#[derive(Debug, Clone)]
pub(crate) struct Link<'m> {
    pub target: usize,
    pub segment: String,
    pub fields: &'m [Field],
    /// Path parameter and link-record property naming the target's key.
    pub target_key: String,
    /// Property of the link record embedding the target.
    pub embedded: String,
    pub schema: String,
    pub page_schema: String,
    pub input_schema: String,
    pub list_id: String,
    pub put_id: String,
    pub delete_id: String,
    pub role_words: String,
}

/// Component names of one entity's schemas.
#[derive(Debug, Clone)]
pub(crate) struct EntityNames {
    pub main: String,
    pub create: String,
    pub update: String,
    pub page: String,
}

/// Operation ids of one entity's CRUD operations.
#[derive(Debug, Clone)]
pub(crate) struct OperationIds {
    pub list: String,
    pub create: String,
    pub get: String,
    pub replace: String,
    pub update: String,
    pub delete: String,
}

#[derive(Debug)]
pub(crate) struct EntityShape<'m> {
    pub entity: &'m Entity,
    pub key: Key<'m>,
    /// Path parameter of one record, e.g. `order_item_id`.
    pub param: String,
    /// Path segment of the collection, e.g. `order-items`.
    pub segment: String,
    /// Human singular and plural, e.g. "order item", "order items".
    pub words: String,
    pub plural_words: String,
    /// The singular with its indefinite article, e.g. "an order item".
    pub a_words: String,
    pub tag: String,
    pub foreign_keys: Vec<ForeignKey>,
    pub children: Vec<Child>,
    pub links: Vec<Link<'m>>,
    pub schemas: EntityNames,
    pub operation_ids: OperationIds,
    /// Whether some foreign key or link points here (deleting may conflict).
    pub referenced: bool,
}

impl EntityShape<'_> {
    pub fn tag_description(&self) -> String {
        match &self.entity.description {
            Some(text) if !text.trim().is_empty() => text.trim().to_owned(),
            _ => format!(
                "Create, read, update, delete and list {}.",
                self.plural_words
            ),
        }
    }

    /// Fields other than the key, in manifest order.
    pub fn data_fields(&self) -> impl Iterator<Item = &Field> {
        self.entity.data_fields()
    }

    /// Whether writing a record can conflict with another (unique values, dangling keys).
    pub fn write_may_conflict(&self) -> bool {
        self.entity.fields.iter().any(|field| field.unique) || !self.foreign_keys.is_empty()
    }

    pub fn roles(&self, operation: Operation) -> Option<&[String]> {
        self.entity.allowed_roles(operation)
    }
}

impl<'m> Api<'m> {
    pub fn new(manifest: &'m Manifest) -> Self {
        let mut schema_names = Names::default();
        // Entity names come first: they are the user's words; built-ins yield to them.
        let mains: Vec<String> = manifest
            .entities
            .iter()
            .map(|entity| schema_names.claim(&entity.name))
            .collect();
        let mut operation_ids = Names::default();
        let mut entities: Vec<EntityShape<'m>> = manifest
            .entities
            .iter()
            .zip(mains)
            .map(|(entity, main)| {
                let singular_pascal = entity.name.to_pascal_case();
                let plural_pascal = entity.plural.to_pascal_case();
                EntityShape {
                    entity,
                    key: key_of(entity),
                    param: format!("{}_id", entity.name.to_snake_case()),
                    segment: entity.plural.to_kebab_case(),
                    words: entity.name.to_snake_case().replace('_', " "),
                    a_words: with_article(&entity.name.to_snake_case().replace('_', " ")),
                    plural_words: entity.plural.replace('_', " "),
                    tag: entity.name.clone(),
                    foreign_keys: Vec::new(),
                    children: Vec::new(),
                    links: Vec::new(),
                    schemas: EntityNames {
                        create: schema_names.claim(&format!("{main}Create")),
                        update: schema_names.claim(&format!("{main}Update")),
                        page: schema_names.claim(&format!("{main}Page")),
                        main,
                    },
                    operation_ids: OperationIds {
                        list: operation_ids.claim(&format!("list{plural_pascal}")),
                        create: operation_ids.claim(&format!("create{singular_pascal}")),
                        get: operation_ids.claim(&format!("get{singular_pascal}")),
                        replace: operation_ids.claim(&format!("replace{singular_pascal}")),
                        update: operation_ids.claim(&format!("update{singular_pascal}")),
                        delete: operation_ids.claim(&format!("delete{singular_pascal}")),
                    },
                    referenced: false,
                }
            })
            .collect();
        let index_of = |name: &str| manifest.entities.iter().position(|e| e.name == name);
        for (index, entity) in manifest.entities.iter().enumerate() {
            for relation in &entity.relations {
                // Validation guarantees every target exists; a missing one is skipped.
                let Some(target) = index_of(&relation.target) else {
                    continue;
                };
                let target_entity = &manifest.entities[target];
                match relation.kind {
                    RelationKind::BelongsTo => {
                        let role = relation.role_name(&target_entity.plural);
                        entities[index].foreign_keys.push(ForeignKey {
                            name: format!("{role}_id"),
                            role,
                            target,
                            required: relation.required,
                        });
                        entities[target].referenced = true;
                    }
                    RelationKind::HasMany => {
                        let default_role = entity.name.to_snake_case();
                        let role = relation.name.clone().unwrap_or(default_role.clone());
                        let child_segment = target_entity.plural.to_kebab_case();
                        let plural_pascal = target_entity.plural.to_pascal_case();
                        let (segment, id) = if role == default_role {
                            (child_segment, format!("list{}{plural_pascal}", entity.name))
                        } else {
                            (
                                format!("{child_segment}-by-{}", role.to_kebab_case()),
                                format!(
                                    "list{}{plural_pascal}By{}",
                                    entity.name,
                                    role.to_pascal_case()
                                ),
                            )
                        };
                        entities[index].children.push(Child {
                            child: target,
                            foreign_key: format!("{role}_id"),
                            role,
                            segment,
                            operation_id: operation_ids.claim(&id),
                        });
                    }
                    RelationKind::ManyToMany if !relation.inverse => {
                        let role = relation.role_name(&target_entity.plural);
                        let role_pascal = role.to_pascal_case();
                        let singular_role = singular_phrase(&role).to_pascal_case();
                        let owner = &entity.name;
                        let schema = schema_names.claim(&format!("{owner}{role_pascal}Link"));
                        let target_snake = target_entity.name.to_snake_case();
                        entities[index].links.push(Link {
                            target,
                            segment: role.to_kebab_case(),
                            fields: &relation.fields,
                            target_key: format!("{target_snake}_id"),
                            embedded: target_snake,
                            page_schema: schema_names.claim(&format!("{schema}Page")),
                            input_schema: schema_names.claim(&format!("{schema}Input")),
                            schema,
                            list_id: operation_ids.claim(&format!("list{owner}{role_pascal}")),
                            put_id: operation_ids.claim(&format!("add{owner}{singular_role}")),
                            delete_id: operation_ids
                                .claim(&format!("remove{owner}{singular_role}")),
                            role_words: role.replace('_', " "),
                        });
                        entities[target].referenced = true;
                        entities[index].referenced = true;
                    }
                    RelationKind::ManyToMany => {}
                }
            }
        }
        Api {
            manifest,
            auth: manifest.auth.is_enabled(),
            entities,
            problem: schema_names.claim("Problem"),
            login_request: schema_names.claim("LoginRequest"),
            token: schema_names.claim("Token"),
            current_user: schema_names.claim("CurrentUser"),
            login_id: operation_ids.claim("login"),
            me_id: operation_ids.claim("getCurrentUser"),
        }
    }
}

fn key_of(entity: &Entity) -> Key<'_> {
    let field = entity.id_field();
    let kind = match field.map(|field| field.ty) {
        Some(FieldType::Uuid) => KeyKind::Uuid,
        Some(FieldType::String) => KeyKind::ClientString,
        // Validation allows only integer, uuid and string keys; integer is the default.
        _ => KeyKind::Integer,
    };
    Key { kind, field }
}

/// "a book", "an author", "a user", "an hour": by the sound of the first word, approximated
/// from its spelling.
pub(crate) fn with_article(words: &str) -> String {
    let lower = words.to_ascii_lowercase();
    let vowel = lower.starts_with(['a', 'e', 'i', 'o', 'u']);
    let sounds_like_you = ["uni", "use", "usu", "ura", "uti", "eu", "one", "once"]
        .iter()
        .any(|prefix| lower.starts_with(prefix));
    let silent_h = ["hour", "honest", "honor", "honour", "heir"]
        .iter()
        .any(|prefix| lower.starts_with(prefix));
    if (vowel && !sounds_like_you) || silent_h {
        format!("an {words}")
    } else {
        format!("a {words}")
    }
}

/// "order_items" → "order_item": the last word made singular.
fn singular_phrase(snake: &str) -> String {
    let mut parts: Vec<String> = snake.split('_').map(str::to_owned).collect();
    if let Some(last) = parts.last_mut() {
        *last = words::singular(last);
    }
    parts.join("_")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: &str) {
        assert_eq!(singular_phrase(input), expect, "singular of {input:?}");
    }

    #[test]
    fn articles() {
        for (words, expect) in [
            ("book", "a book"),
            ("author", "an author"),
            ("order item", "an order item"),
            ("user", "a user"),
            ("hour log", "an hour log"),
            ("unit", "a unit"),
            ("umbrella", "an umbrella"),
        ] {
            assert_eq!(with_article(words), expect);
        }
    }

    #[test]
    fn singular_phrases() {
        check("tags", "tag");
        check("order_items", "order_item");
        check("categories", "category");
        check("status", "status");
    }
}
