//! The manifest types. Field order and serde attributes are the wire contract of DESIGN.md.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

fn yes() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// A whole API: its name, how callers authenticate, and its entities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Machine name of the API, snake_case (e.g. `library`).
    pub name: String,
    /// Human title (e.g. `Library API`).
    pub title: String,
    /// What the API is for, in a sentence or two.
    #[serde(default)]
    pub description: String,
    /// How callers authenticate.
    #[serde(default)]
    pub auth: Auth,
    /// The resources of the API, in the order the user named them.
    pub entities: Vec<Entity>,
}

/// Authentication of the generated API.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Auth {
    /// Open API: no login, no bearer token.
    #[default]
    None,
    /// Login endpoint issuing JWTs; every operation requires a bearer token.
    Jwt {
        /// Role names users can hold (e.g. `agent`, `admin`); referenced by permissions.
        #[serde(default)]
        roles: Vec<String>,
    },
}

impl Auth {
    /// Whether operations need a bearer token.
    pub fn is_enabled(&self) -> bool {
        matches!(self, Auth::Jwt { .. })
    }

    /// The declared roles (empty without auth).
    pub fn roles(&self) -> &[String] {
        match self {
            Auth::None => &[],
            Auth::Jwt { roles } => roles,
        }
    }
}

/// One resource: a table, a schema, a set of CRUD endpoints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Entity {
    /// PascalCase singular (e.g. `OrderItem`).
    pub name: String,
    /// snake_case plural used for tables and paths (e.g. `order_items`).
    pub plural: String,
    /// What one record represents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The entity's own fields. A field named `id` declares the primary key's type
    /// (integer, uuid or string); without one the key is a server-assigned integer.
    pub fields: Vec<Field>,
    /// Links to other entities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relations: Vec<Relation>,
    /// Operations restricted to roles; an operation not listed is open to any caller
    /// (any authenticated caller when auth is on).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub permissions: Permissions,
}

/// Operation → roles allowed to perform it.
pub type Permissions = BTreeMap<Operation, Vec<String>>;

/// The operations permissions can restrict.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// POST on the collection.
    Create,
    /// GET of one record, the collection and nested listings.
    Read,
    /// PUT and PATCH.
    Update,
    /// DELETE.
    Delete,
}

impl Operation {
    /// Every operation, in CRUD order.
    pub const ALL: [Operation; 4] = [
        Operation::Create,
        Operation::Read,
        Operation::Update,
        Operation::Delete,
    ];

    /// The lower-case name used in the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Read => "read",
            Operation::Update => "update",
            Operation::Delete => "delete",
        }
    }
}

/// One column / property.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// snake_case name.
    pub name: String,
    /// Value type.
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// Whether a value must be given on create (defaults to true).
    #[serde(default = "yes")]
    pub required: bool,
    /// Whether two records may not share a value (409 on conflict).
    #[serde(default)]
    pub unique: bool,
    /// Smallest allowed value (integer, number, decimal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Largest allowed value (integer, number, decimal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Shortest allowed text (string, text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u32>,
    /// Longest allowed text (string, text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// Regular expression the whole text must match (string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Allowed values (enum only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// Value used when the caller gives none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<serde_json::Value>,
    /// What the field means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Field {
    /// A required, non-unique field with no constraints.
    pub fn new(name: impl Into<String>, ty: FieldType) -> Self {
        Field {
            name: name.into(),
            ty,
            required: true,
            unique: false,
            min: None,
            max: None,
            min_length: None,
            max_length: None,
            pattern: None,
            values: Vec::new(),
            default: None,
            description: None,
        }
    }
}

/// Value types of fields.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// Short text (names, titles, codes).
    String,
    /// Long text (bodies, descriptions).
    Text,
    /// Whole number.
    Integer,
    /// Floating-point number (measurements).
    Number,
    /// Exact decimal (money).
    Decimal,
    /// true / false.
    Boolean,
    /// Calendar date (RFC 3339 full-date).
    Date,
    /// Date and time (RFC 3339 date-time).
    Datetime,
    /// Time of day (RFC 3339 partial-time).
    Time,
    /// E-mail address.
    Email,
    /// Absolute URL.
    Url,
    /// UUID.
    Uuid,
    /// One of `values`.
    Enum,
    /// Any JSON object.
    Json,
}

impl FieldType {
    /// Every type, in declaration order.
    pub const ALL: [FieldType; 14] = [
        FieldType::String,
        FieldType::Text,
        FieldType::Integer,
        FieldType::Number,
        FieldType::Decimal,
        FieldType::Boolean,
        FieldType::Date,
        FieldType::Datetime,
        FieldType::Time,
        FieldType::Email,
        FieldType::Url,
        FieldType::Uuid,
        FieldType::Enum,
        FieldType::Json,
    ];

    /// The lower-case name used in the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Text => "text",
            FieldType::Integer => "integer",
            FieldType::Number => "number",
            FieldType::Decimal => "decimal",
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
            FieldType::Datetime => "datetime",
            FieldType::Time => "time",
            FieldType::Email => "email",
            FieldType::Url => "url",
            FieldType::Uuid => "uuid",
            FieldType::Enum => "enum",
            FieldType::Json => "json",
        }
    }

    /// Numeric types accept `min`/`max`.
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            FieldType::Integer | FieldType::Number | FieldType::Decimal
        )
    }

    /// Textual types accept `min_length`/`max_length`.
    pub fn is_textual(self) -> bool {
        matches!(
            self,
            FieldType::String | FieldType::Text | FieldType::Email | FieldType::Url
        )
    }

    /// Scalar types can be filtered on by equality and sorted.
    pub fn is_filterable(self) -> bool {
        !matches!(self, FieldType::Text | FieldType::Json)
    }
}

/// A link from this entity to another (or itself).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Relation {
    /// What kind of link.
    pub kind: RelationKind,
    /// The other entity's `name`.
    pub target: String,
    /// belongs_to: whether the foreign key must be set (defaults to true).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub required: bool,
    /// Role name, snake_case. belongs_to: the foreign key is `<name>_id` (default: the
    /// target in snake_case, e.g. `manager` for a self-reference). has_many: the name of
    /// the target's belongs_to it mirrors. many_to_many: the path segment (default: the
    /// target's plural).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// many_to_many only: fields stored on the link (e.g. a quantity).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Field>,
    /// many_to_many only: set on the inverse side that a normaliser added, so the link is
    /// generated once.
    #[serde(default, skip_serializing_if = "is_false")]
    pub inverse: bool,
}

impl Relation {
    /// A required link with the default role name.
    pub fn new(kind: RelationKind, target: impl Into<String>) -> Self {
        Relation {
            kind,
            target: target.into(),
            required: true,
            name: None,
            fields: Vec::new(),
            inverse: false,
        }
    }

    /// The role name: explicit, or derived from the target.
    pub fn role_name(&self, target_plural: &str) -> String {
        match (&self.name, self.kind) {
            (Some(name), _) => name.clone(),
            (None, RelationKind::ManyToMany) => target_plural.to_owned(),
            (None, _) => heck::ToSnakeCase::to_snake_case(self.target.as_str()),
        }
    }
}

/// Relation kinds of DESIGN.md.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RelationKind {
    /// This entity holds `<name>_id` pointing at the target.
    BelongsTo,
    /// Inverse of a belongs_to on the target (nested listing).
    HasMany,
    /// A link table between this entity and the target.
    ManyToMany,
}

impl Manifest {
    /// The entity with this name, if any.
    pub fn entity(&self, name: &str) -> Option<&Entity> {
        self.entities.iter().find(|entity| entity.name == name)
    }
}

impl Entity {
    /// An entity with no fields yet; the plural is derived from the name.
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        let plural = crate::words::table_name(&name);
        Entity {
            name,
            plural,
            description: None,
            fields: Vec::new(),
            relations: Vec::new(),
            permissions: Permissions::new(),
        }
    }

    /// The field with this name, if any.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|field| field.name == name)
    }

    /// The explicit primary-key field, if the entity declares one.
    pub fn id_field(&self) -> Option<&Field> {
        self.field("id")
    }

    /// Fields other than the primary key.
    pub fn data_fields(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|field| field.name != "id")
    }

    /// Roles allowed to perform `operation`; `None` when it is not restricted.
    pub fn allowed_roles(&self, operation: Operation) -> Option<&[String]> {
        self.permissions.get(&operation).map(Vec::as_slice)
    }
}
