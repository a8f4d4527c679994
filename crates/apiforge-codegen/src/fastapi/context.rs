//! The template context of a FastAPI project: every name, type and Python expression the
//! templates print, computed once from the manifest and checked against the contract so the
//! routes the app serves are exactly the operations the contract lists.

use std::collections::{BTreeMap, BTreeSet};

use apiforge_manifest::{Entity, Field, FieldType, Operation, RelationKind, ValidManifest};
use heck::{ToKebabCase, ToPascalCase, ToSnakeCase};
use serde::Serialize;
use serde_json::Value;

use super::python;
use super::samples::{self, EntityTests};
use crate::CodegenError;

/// Query parameter names owned by paging and sorting (the contract gives such fields no
/// filter).
const RESERVED_QUERY: [&str; 3] = ["limit", "offset", "sort"];

/// Everything the templates see.
#[derive(Debug, Serialize)]
pub(crate) struct ApiCtx {
    /// Machine name of the API.
    pub name: String,
    /// Human title.
    pub title: String,
    /// Whether JWT auth is on.
    pub auth: bool,
    /// Declared roles.
    pub roles: Vec<String>,
    /// Python class name of the login body.
    pub login_schema: String,
    /// Entities in manifest order.
    pub entities: Vec<EntityCtx>,
    /// Every table (entities, then links) in an order where referenced tables come first
    /// when possible.
    pub tables: Vec<TableCtx>,
    /// Enum type aliases of `app/schemas.py`.
    pub enums: Vec<EnumCtx>,
    /// Which optional imports `app/schemas.py` needs.
    pub schemas_use_literal: bool,
    /// A role that is allowed every restricted operation in tests (the first declared role),
    /// and a role allowed none of them, when one exists.
    pub test_roles: TestRoles,
}

/// Roles the generated tests log in with.
#[derive(Debug, Serialize)]
pub(crate) struct TestRoles {
    /// Every declared role: the all-powerful test user holds them all.
    pub all: Vec<String>,
}

/// A `Literal[...]` alias for an enum field.
#[derive(Debug, Serialize)]
pub(crate) struct EnumCtx {
    /// Alias name.
    pub name: String,
    /// Python string literals of the values.
    pub values: Vec<String>,
}

/// One table and its columns, for `app/models.py` and the initial migration.
#[derive(Debug, Serialize)]
pub(crate) struct TableCtx {
    /// Python class name of the mapped class.
    pub class: String,
    /// SQL table name.
    pub table: String,
    /// Columns in order.
    pub columns: Vec<ColumnCtx>,
    /// Composite primary key columns of a link table (empty for entities).
    pub link_keys: Vec<String>,
    /// Documentation line.
    pub doc: String,
}

/// One column.
#[derive(Debug, Serialize)]
pub(crate) struct ColumnCtx {
    /// SQL column name.
    pub name: String,
    /// Python attribute name.
    pub attr: String,
    /// Arguments of `mapped_column` / `sa.Column` after the name: type, foreign key, flags.
    pub args: Vec<String>,
}

/// The primary key of an entity.
#[derive(Debug, Serialize)]
pub(crate) struct KeyCtx {
    /// `integer`, `uuid` or `string`.
    pub kind: &'static str,
    /// Python annotation of the path parameter (without `Path(...)`).
    pub path_type: String,
    /// Arguments of `Path(...)`.
    pub path_args: Vec<String>,
    /// Pydantic annotation of a body property holding this key.
    pub body_type: String,
    /// Pydantic `Field` constraint arguments of such a property.
    pub body_args: Vec<String>,
    /// Python expression turning a key value `{}` into JSON.
    pub dump: String,
    /// Python annotation of a query filter on this key (optional).
    pub query_type: String,
    /// Arguments of `Query(...)` for such a filter.
    pub query_args: Vec<String>,
}

/// A data field.
#[derive(Debug, Serialize)]
pub(crate) struct FieldCtx {
    /// Wire and column name.
    pub name: String,
    /// Python attribute name.
    pub attr: String,
    /// Manifest type.
    pub ty: &'static str,
    /// Whether the record always has a value.
    pub required: bool,
    /// Whether create may omit it.
    pub create_required: bool,
    /// Unique constraint.
    pub unique: bool,
    /// Pydantic annotation of the create property.
    pub create_type: String,
    /// `Field(...)` arguments of the create property.
    pub create_args: Vec<String>,
    /// Pydantic annotation of the PATCH property.
    pub update_type: String,
    /// `Field(...)` arguments of the PATCH property.
    pub update_args: Vec<String>,
    /// Python expression dumping `record.<attr>` to JSON.
    pub dump: String,
}

/// A filter query parameter.
#[derive(Debug, Serialize)]
pub(crate) struct FilterCtx {
    /// Query parameter name.
    pub name: String,
    /// Python parameter name.
    pub param: String,
    /// Python attribute of the model column.
    pub attr: String,
    /// Annotation of the (optional) value, e.g. `apitypes.QueryDate`.
    pub ty: String,
    /// `Query(alias=…)` when the Python name differs from the query name.
    pub alias: Option<String>,
}

/// A sort key.
#[derive(Debug, Serialize)]
pub(crate) struct SortCtx {
    /// Name on the wire.
    pub name: String,
    /// Python attribute of the column.
    pub attr: String,
}

/// A `<role>_id` foreign key.
#[derive(Debug, Serialize)]
pub(crate) struct ForeignKeyCtx {
    /// Column / wire name.
    pub name: String,
    /// Python attribute.
    pub attr: String,
    /// Target entity index.
    pub target: usize,
    /// Target model class.
    pub target_class: String,
    /// Whether it must be set.
    pub required: bool,
    /// Create property annotation and args.
    pub create_type: String,
    /// `Field(...)` arguments on create.
    pub create_args: Vec<String>,
    /// PATCH property annotation.
    pub update_type: String,
    /// `Field(...)` arguments on PATCH.
    pub update_args: Vec<String>,
    /// Dump expression of `record.<attr>`.
    pub dump: String,
}

/// A nested has-many listing.
#[derive(Debug, Serialize)]
pub(crate) struct ChildCtx {
    /// Child entity index.
    pub child: usize,
    /// Child's foreign-key attribute fixed by the path.
    pub fk_attr: String,
    /// Child's foreign-key name.
    pub fk_name: String,
    /// URL path.
    pub path: String,
    /// Python function name.
    pub function: String,
    /// Filters of the child listing without the fixed key.
    pub filters: Vec<FilterCtx>,
}

/// A many-to-many link managed from this entity.
#[derive(Debug, Serialize)]
pub(crate) struct LinkCtx {
    /// Target entity index.
    pub target: usize,
    /// Target model class.
    pub target_class: String,
    /// Link model class (the contract's link schema name).
    pub class: String,
    /// Link table name.
    pub table: String,
    /// Owner key column / attribute.
    pub owner_column: String,
    /// Target key column / attribute (also the path parameter and wire property).
    pub target_column: String,
    /// Property of the link record embedding the target.
    pub embedded: String,
    /// Link fields.
    pub fields: Vec<FieldCtx>,
    /// Pydantic input class, when the link has fields.
    pub input_schema: Option<String>,
    /// Whether the PUT body is required.
    pub body_required: bool,
    /// Collection path of the links.
    pub path: String,
    /// Path of one link.
    pub item_path: String,
    /// Python function-name stem.
    pub function: String,
    /// Dump function name.
    pub dump_function: String,
    /// Columns of the link fields.
    pub field_columns: Vec<ColumnCtx>,
}

/// Roles allowed per operation (`None`: any caller).
#[derive(Debug, Serialize)]
pub(crate) struct RolesCtx {
    /// Python literal for reading.
    pub read: String,
    /// Python literal for creating.
    pub create: String,
    /// Python literal for updating.
    pub update: String,
    /// Python literal for deleting.
    pub delete: String,
    /// The raw lists, for tests.
    pub raw: BTreeMap<&'static str, Vec<String>>,
}

/// One entity.
#[derive(Debug, Serialize)]
pub(crate) struct EntityCtx {
    /// Entity name (tag).
    pub name: String,
    /// Model class.
    pub class: String,
    /// snake_case name.
    pub snake: String,
    /// Python module name of its router and hooks.
    pub module: String,
    /// Table name.
    pub table: String,
    /// Collection path.
    pub path: String,
    /// Item path.
    pub item_path: String,
    /// Path parameter of one record.
    pub param: String,
    /// Human words.
    pub words: String,
    /// Human plural.
    pub plural_words: String,
    /// Key.
    pub key: KeyCtx,
    /// Data fields.
    pub fields: Vec<FieldCtx>,
    /// Foreign keys.
    pub fks: Vec<ForeignKeyCtx>,
    /// Filters of the top-level listing.
    pub filters: Vec<FilterCtx>,
    /// Sort keys.
    pub sort: Vec<SortCtx>,
    /// Nested listings.
    pub children: Vec<ChildCtx>,
    /// Many-to-many links.
    pub links: Vec<LinkCtx>,
    /// Create schema class.
    pub create_schema: String,
    /// PATCH schema class.
    pub update_schema: String,
    /// Dump function name.
    pub dump_function: String,
    /// `Literal` alias of the sort values in `app/schemas.py`.
    pub sort_alias: String,
    /// Python literals of the sort values.
    pub sort_values: Vec<String>,
    /// Roles.
    pub roles: RolesCtx,
    /// Generated-test data.
    pub tests: EntityTests,
    /// Whether the router needs `Literal` (enum filters).
    pub uses_literal: bool,
    /// Whether the router module needs `datetime`.
    pub uses_datetime: bool,
    /// Whether the router module needs `decimal`.
    pub uses_decimal: bool,
    /// Whether the router module needs `uuid`.
    pub uses_uuid: bool,
}

/// Unique names within one Python namespace.
#[derive(Debug, Default)]
struct Names(BTreeSet<String>);

impl Names {
    fn claim(&mut self, base: &str) -> String {
        let mut candidate = base.to_owned();
        let mut n = 2;
        while self.0.contains(&candidate) {
            candidate = format!("{base}{n}");
            n += 1;
        }
        self.0.insert(candidate.clone());
        candidate
    }
}

fn contract_error(detail: String) -> CodegenError {
    CodegenError::Contract { detail }
}

/// `#/components/schemas/Name` → `Name`.
fn ref_name(value: Option<&Value>) -> Option<String> {
    value
        .and_then(Value::as_str)
        .and_then(|reference| reference.strip_prefix("#/components/schemas/"))
        .map(str::to_owned)
}

fn operation<'a>(spec: &'a Value, path: &str, method: &str) -> Result<&'a Value, CodegenError> {
    spec.get("paths")
        .and_then(|paths| paths.get(path))
        .and_then(|item| item.get(method))
        .ok_or_else(|| contract_error(format!("the contract has no {method} {path}")))
}

fn body_schema(op: &Value) -> Option<String> {
    ref_name(op.pointer("/requestBody/content/application~1json/schema/$ref"))
}

fn key_ctx(entity: &Entity) -> KeyCtx {
    match entity.id_field().map(|field| field.ty) {
        Some(FieldType::Uuid) => KeyKind::Uuid,
        Some(FieldType::String) => KeyKind::String,
        _ => KeyKind::Integer,
    }
    .ctx(entity.id_field())
}

#[derive(Debug, Clone, Copy)]
enum KeyKind {
    Integer,
    Uuid,
    String,
}

impl KeyKind {
    fn ctx(self, field: Option<&Field>) -> KeyCtx {
        match self {
            KeyKind::Integer => KeyCtx {
                kind: "integer",
                path_type: "int".into(),
                path_args: vec![
                    "ge=apitypes.INT64_MIN".into(),
                    "le=apitypes.INT64_MAX".into(),
                ],
                body_type: "apitypes.Integer".into(),
                body_args: Vec::new(),
                dump: "{}".into(),
                query_type: "apitypes.QueryInteger".into(),
                query_args: Vec::new(),
            },
            KeyKind::Uuid => KeyCtx {
                kind: "uuid",
                path_type: "apitypes.Uuid".into(),
                path_args: Vec::new(),
                body_type: "apitypes.Uuid".into(),
                body_args: Vec::new(),
                dump: "apitypes.dump_uuid({})".into(),
                query_type: "apitypes.QueryUuid".into(),
                query_args: Vec::new(),
            },
            KeyKind::String => {
                let constraints = field.map(text_constraints).unwrap_or_default();
                KeyCtx {
                    kind: "string",
                    path_type: "str".into(),
                    path_args: constraints.clone(),
                    body_type: "apitypes.Text".into(),
                    body_args: constraints,
                    dump: "{}".into(),
                    query_type: "apitypes.QueryText".into(),
                    query_args: Vec::new(),
                }
            }
        }
    }
}

/// `min_length`, `max_length` and the anchored `pattern` of a text field.
fn text_constraints(field: &Field) -> Vec<String> {
    let mut args = Vec::new();
    if let Some(min) = field.min_length {
        args.push(format!("min_length={min}"));
    }
    if let Some(max) = field.max_length {
        args.push(format!("max_length={max}"));
    }
    if let Some(pattern) = &field.pattern {
        args.push(format!(
            "pattern={}",
            python::string(&apiforge_spec::anchored(pattern))
        ));
    }
    args
}

fn number_literal(value: f64, integer: bool) -> String {
    if integer {
        format!("{}", value as i64)
    } else {
        let text = format!("{value}");
        if text.contains(['.', 'e', 'E', 'i', 'N']) {
            text
        } else {
            format!("{text}.0")
        }
    }
}

/// Constraint arguments of a field's `Field(...)`.
fn constraints(field: &Field) -> Vec<String> {
    let mut args = Vec::new();
    if field.ty.is_numeric() {
        let integer = field.ty == FieldType::Integer;
        if let Some(min) = field.min {
            args.push(format!("ge={}", number_literal(min, integer)));
        }
        if let Some(max) = field.max {
            args.push(format!("le={}", number_literal(max, integer)));
        }
    }
    if field.ty.is_textual() || field.pattern.is_some() {
        args.extend(text_constraints(field));
    }
    args
}

/// The Pydantic type of a field's value (without `| None`).
fn base_type(field: &Field, enum_alias: Option<&str>) -> String {
    match field.ty {
        FieldType::String | FieldType::Text => "apitypes.Text".into(),
        FieldType::Integer => "apitypes.Integer".into(),
        FieldType::Number => "apitypes.Number".into(),
        FieldType::Decimal => "apitypes.Decimal".into(),
        FieldType::Boolean => "apitypes.Boolean".into(),
        FieldType::Date => "apitypes.Date".into(),
        FieldType::Datetime => "apitypes.DateTime".into(),
        FieldType::Time => "apitypes.Time".into(),
        FieldType::Email => "apitypes.Email".into(),
        FieldType::Url => "apitypes.Url".into(),
        FieldType::Uuid => "apitypes.Uuid".into(),
        FieldType::Enum => enum_alias.unwrap_or("apitypes.Text").to_owned(),
        FieldType::Json => "apitypes.JsonObject".into(),
    }
}

fn dump_expr(ty: FieldType, value: &str) -> String {
    match ty {
        FieldType::Decimal => format!("apitypes.dump_decimal({value})"),
        FieldType::Date => format!("apitypes.dump_date({value})"),
        FieldType::Datetime => format!("apitypes.dump_datetime({value})"),
        FieldType::Uuid => format!("apitypes.dump_uuid({value})"),
        _ => value.to_owned(),
    }
}

/// SQLAlchemy type expression of a field.
fn column_type(field: &Field) -> String {
    match field.ty {
        FieldType::String | FieldType::Email | FieldType::Url => match field.max_length {
            Some(max) => format!("sa.String({max})"),
            None => "sa.String()".into(),
        },
        FieldType::Text => "sa.Text()".into(),
        FieldType::Integer => "sa.BigInteger()".into(),
        FieldType::Number => "sa.Double()".into(),
        FieldType::Decimal => "sa.Numeric()".into(),
        FieldType::Boolean => "sa.Boolean()".into(),
        FieldType::Date => "sa.Date()".into(),
        FieldType::Datetime => "sa.DateTime()".into(),
        FieldType::Time => "sa.String(64)".into(),
        FieldType::Uuid => "sa.Uuid()".into(),
        FieldType::Enum => {
            let longest = field.values.iter().map(|v| v.chars().count()).max();
            format!("sa.String({})", longest.unwrap_or(1).max(1))
        }
        FieldType::Json => "sa.JSON()".into(),
    }
}

fn key_column_type(kind: &str, field: Option<&Field>) -> String {
    match kind {
        "uuid" => "sa.Uuid()".into(),
        "string" => match field.and_then(|f| f.max_length) {
            Some(max) => format!("sa.String({max})"),
            None => "sa.String(255)".into(),
        },
        _ => "apitypes.BIG_INT".into(),
    }
}

/// Create and update declarations of a field: `(create_type, create_args, update_type,
/// update_args)`.
fn field_declarations(
    field: &Field,
    attr: &str,
    base: &str,
) -> (String, Vec<String>, String, Vec<String>) {
    let nullable = !field.required;
    let ty = if nullable {
        format!("{base} | None")
    } else {
        base.to_owned()
    };
    let alias = (attr != field.name).then(|| format!("alias={}", python::string(&field.name)));
    let constraints = constraints(field);
    let mut create_args = Vec::new();
    match (&field.default, nullable) {
        (Some(default), _) => {
            create_args.push(format!("default={}", python::literal(default)));
            create_args.push("validate_default=True".into());
        }
        (None, true) => create_args.push("default=None".into()),
        (None, false) => {}
    }
    create_args.extend(alias.clone());
    create_args.extend(constraints.iter().cloned());
    let mut update_args = vec!["default=None".to_owned()];
    update_args.extend(alias);
    update_args.extend(constraints);
    (ty.clone(), create_args, ty, update_args)
}

fn filter_type(field: &Field, enum_alias: Option<&str>) -> String {
    match field.ty {
        FieldType::Integer => "apitypes.QueryInteger".to_owned(),
        FieldType::Number => "apitypes.QueryNumber".to_owned(),
        FieldType::Decimal => "apitypes.QueryDecimal".to_owned(),
        FieldType::Boolean => "apitypes.QueryBoolean".to_owned(),
        FieldType::Date => "apitypes.QueryDate".to_owned(),
        FieldType::Datetime => "apitypes.QueryDateTime".to_owned(),
        FieldType::Time => "apitypes.QueryTime".to_owned(),
        FieldType::Email => "apitypes.QueryEmail".to_owned(),
        FieldType::Url => "apitypes.QueryUrl".to_owned(),
        FieldType::Uuid => "apitypes.QueryUuid".to_owned(),
        FieldType::Enum => format!("schemas.{} | None", enum_alias.unwrap_or("str")),
        _ => "apitypes.QueryText".to_owned(),
    }
}

fn roles_literal(roles: Option<&[String]>) -> String {
    match roles {
        None => "None".into(),
        Some(roles) => {
            let items: Vec<String> = roles.iter().map(|r| python::string(r)).collect();
            if items.len() == 1 {
                format!("({},)", items.join(", "))
            } else {
                format!("({})", items.join(", "))
            }
        }
    }
}

/// Builds the context; fails only when the contract and the manifest disagree (a bug).
pub(crate) fn build(manifest: &ValidManifest, spec: &Value) -> Result<ApiCtx, CodegenError> {
    let mut schema_names = Names::default();
    let mut enums = Vec::new();
    let mut enum_alias: BTreeMap<(usize, String), String> = BTreeMap::new();
    let mut link_enum_alias: BTreeMap<(usize, usize, String), String> = BTreeMap::new();
    // Reserve the contract's body schema names first.
    let mut shells = Vec::new();
    for entity in &manifest.entities {
        let segment = entity.plural.to_kebab_case();
        let snake = entity.name.to_snake_case();
        let param = format!("{snake}_id");
        let path = format!("/{segment}");
        let item_path = format!("{path}/{{{param}}}");
        let create = body_schema(operation(spec, &path, "post")?)
            .ok_or_else(|| contract_error(format!("POST {path} has no body schema")))?;
        let update = body_schema(operation(spec, &item_path, "patch")?)
            .ok_or_else(|| contract_error(format!("PATCH {item_path} has no body schema")))?;
        schema_names.claim(&create);
        schema_names.claim(&update);
        shells.push((segment, snake, param, path, item_path, create, update));
    }
    let login_schema = if manifest.auth.is_enabled() {
        let name = body_schema(operation(spec, "/auth/login", "post")?)
            .ok_or_else(|| contract_error("POST /auth/login has no body schema".into()))?;
        schema_names.claim(&name);
        name
    } else {
        String::new()
    };
    // Link input schemas are claimed while walking links below; enum aliases last.
    let mut module_names = Names::default();
    for taken in ["auth", "routers", "hooks"] {
        module_names.claim(taken);
    }

    let index_of = |name: &str| manifest.entities.iter().position(|e| e.name == name);
    let keys: Vec<KeyCtx> = manifest.entities.iter().map(key_ctx).collect();
    let classes: Vec<String> = manifest
        .entities
        .iter()
        .map(|e| python::class_name(&e.name))
        .collect();

    // Enum aliases for entity fields.
    for (index, entity) in manifest.entities.iter().enumerate() {
        for field in entity.data_fields().filter(|f| f.ty == FieldType::Enum) {
            let alias =
                schema_names.claim(&format!("{}{}", entity.name, field.name.to_pascal_case()));
            enums.push(EnumCtx {
                name: alias.clone(),
                values: field.values.iter().map(|v| python::string(v)).collect(),
            });
            enum_alias.insert((index, field.name.clone()), alias);
        }
        for (r, relation) in entity.relations.iter().enumerate() {
            if relation.kind != RelationKind::ManyToMany || relation.inverse {
                continue;
            }
            for field in relation.fields.iter().filter(|f| f.ty == FieldType::Enum) {
                let alias = schema_names.claim(&format!(
                    "{}{}{}",
                    entity.name,
                    relation.target,
                    field.name.to_pascal_case()
                ));
                enums.push(EnumCtx {
                    name: alias.clone(),
                    values: field.values.iter().map(|v| python::string(v)).collect(),
                });
                link_enum_alias.insert((index, r, field.name.clone()), alias);
            }
        }
    }

    let mut table_names: Names = Names::default();
    for entity in &manifest.entities {
        table_names.claim(&entity.plural);
    }

    let mut entities: Vec<EntityCtx> = Vec::new();
    for (index, entity) in manifest.entities.iter().enumerate() {
        let (_segment, snake, param, path, item_path, create, update) = shells[index].clone();
        let fields: Vec<FieldCtx> = entity
            .data_fields()
            .map(|field| {
                field_ctx(
                    field,
                    enum_alias
                        .get(&(index, field.name.clone()))
                        .map(String::as_str),
                )
            })
            .collect();
        let mut fks = Vec::new();
        for relation in entity
            .relations
            .iter()
            .filter(|r| r.kind == RelationKind::BelongsTo)
        {
            let Some(target) = index_of(&relation.target) else {
                continue;
            };
            let target_entity = &manifest.entities[target];
            let role = relation.role_name(&target_entity.plural);
            let name = format!("{role}_id");
            let attr = python::identifier(&name);
            let key = &keys[target];
            let base = key.body_type.clone();
            let mut args_common: Vec<String> = Vec::new();
            if attr != name {
                args_common.push(format!("alias={}", python::string(&name)));
            }
            args_common.extend(key.body_args.iter().cloned());
            let (ty, mut create_args) = if relation.required {
                (base.clone(), Vec::new())
            } else {
                (format!("{base} | None"), vec!["default=None".to_owned()])
            };
            create_args.extend(args_common.iter().cloned());
            let mut update_args = vec!["default=None".to_owned()];
            update_args.extend(args_common);
            fks.push(ForeignKeyCtx {
                dump: key.dump.replace("{}", &format!("record.{attr}")),
                name,
                attr,
                target,
                target_class: classes[target].clone(),
                required: relation.required,
                create_type: ty.clone(),
                create_args,
                update_type: ty,
                update_args,
            });
        }
        let filters = filters_of(
            entity,
            &fields,
            &fks,
            &keys,
            &enum_alias,
            index,
            None,
            &param,
        );
        let mut sort = vec![SortCtx {
            name: "id".into(),
            attr: "id".into(),
        }];
        for field in entity.data_fields().filter(|f| f.ty.is_filterable()) {
            sort.push(SortCtx {
                name: field.name.clone(),
                attr: python::identifier(&field.name),
            });
        }
        for fk in &fks {
            sort.push(SortCtx {
                name: fk.name.clone(),
                attr: fk.attr.clone(),
            });
        }
        let module = module_names.claim(&python::identifier(&snake));
        let roles_of = |op: Operation| entity.allowed_roles(op);
        let mut raw = BTreeMap::new();
        for op in Operation::ALL {
            if let Some(roles) = roles_of(op) {
                raw.insert(op.as_str(), roles.to_vec());
            }
        }
        let sort_alias = schema_names.claim(&format!("{}Sort", entity.name));
        let sort_values = sort
            .iter()
            .flat_map(|s| {
                [
                    python::string(&s.name),
                    python::string(&format!("-{}", s.name)),
                ]
            })
            .collect();
        entities.push(EntityCtx {
            sort_alias,
            sort_values,
            name: entity.name.clone(),
            class: classes[index].clone(),
            dump_function: format!("dump_{snake}"),
            module,
            snake,
            table: entity.plural.clone(),
            path,
            item_path,
            param,
            words: entity.name.to_snake_case().replace('_', " "),
            plural_words: entity.plural.replace('_', " "),
            key: key_ctx(entity),
            fields,
            fks,
            filters,
            sort,
            children: Vec::new(),
            links: Vec::new(),
            create_schema: create,
            update_schema: update,
            roles: RolesCtx {
                read: roles_literal(roles_of(Operation::Read)),
                create: roles_literal(roles_of(Operation::Create)),
                update: roles_literal(roles_of(Operation::Update)),
                delete: roles_literal(roles_of(Operation::Delete)),
                raw,
            },
            tests: EntityTests::default(),
            uses_literal: false,
            uses_datetime: false,
            uses_decimal: false,
            uses_uuid: false,
        });
    }

    // Children and links.
    for (index, entity) in manifest.entities.iter().enumerate() {
        for (r, relation) in entity.relations.iter().enumerate() {
            let Some(target) = index_of(&relation.target) else {
                continue;
            };
            let target_entity = &manifest.entities[target];
            match relation.kind {
                RelationKind::HasMany => {
                    let default_role = entity.name.to_snake_case();
                    let role = relation.name.clone().unwrap_or(default_role.clone());
                    let child_segment = target_entity.plural.to_kebab_case();
                    let segment = if role == default_role {
                        child_segment
                    } else {
                        format!("{child_segment}-by-{}", role.to_kebab_case())
                    };
                    let fk_name = format!("{role}_id");
                    let path = format!("{}/{segment}", entities[index].item_path);
                    operation(spec, &path, "get")?;
                    let child = &entities[target];
                    let filters = filters_of(
                        target_entity,
                        &child.fields,
                        &child.fks,
                        &keys,
                        &enum_alias,
                        target,
                        Some(&fk_name),
                        &entities[index].param,
                    );
                    let function = format!("list_{}", segment.to_snake_case());
                    let fk_attr = python::identifier(&fk_name);
                    entities[index].children.push(ChildCtx {
                        child: target,
                        fk_attr,
                        fk_name,
                        path,
                        function,
                        filters,
                    });
                }
                RelationKind::ManyToMany if !relation.inverse => {
                    let role = relation.role_name(&target_entity.plural);
                    let segment = role.to_kebab_case();
                    let path = format!("{}/{segment}", entities[index].item_path);
                    let list = operation(spec, &path, "get")?;
                    let class = ref_name(
                        list.pointer("/responses/200/content/application~1json/schema/$ref"),
                    )
                    .and_then(|page| {
                        spec.pointer(&format!(
                            "/components/schemas/{page}/properties/items/items/$ref"
                        ))
                        .and_then(Value::as_str)
                        .and_then(|r| r.strip_prefix("#/components/schemas/"))
                        .map(str::to_owned)
                    })
                    .ok_or_else(|| contract_error(format!("GET {path} has no link schema")))?;
                    let target_snake = target_entity.name.to_snake_case();
                    let target_column = format!("{target_snake}_id");
                    let item_path = format!("{path}/{{{target_column}}}");
                    let put = operation(spec, &item_path, "put")?;
                    operation(spec, &item_path, "delete")?;
                    let input_schema = body_schema(put);
                    if let Some(input) = &input_schema {
                        schema_names.claim(input);
                    }
                    let body_required = put
                        .pointer("/requestBody/required")
                        .and_then(Value::as_bool)
                        .unwrap_or(false);
                    let fields: Vec<FieldCtx> = relation
                        .fields
                        .iter()
                        .map(|field| {
                            field_ctx(
                                field,
                                link_enum_alias
                                    .get(&(index, r, field.name.clone()))
                                    .map(String::as_str),
                            )
                        })
                        .collect();
                    let field_columns = relation
                        .fields
                        .iter()
                        .zip(&fields)
                        .map(|(field, ctx)| field_column(field, &ctx.attr))
                        .collect();
                    let table = table_names.claim(&format!("{}_{role}_links", entity.plural));
                    let stem = format!("{}_{}", entities[index].snake, role);
                    let owner_column = format!("{}_id", entities[index].snake);
                    entities[index].links.push(LinkCtx {
                        target,
                        target_class: classes[target].clone(),
                        class: python::class_name(&class),
                        table,
                        owner_column,
                        target_column,
                        embedded: target_snake,
                        fields,
                        input_schema,
                        body_required,
                        path,
                        item_path,
                        dump_function: format!("dump_{stem}_link"),
                        function: stem,
                        field_columns,
                    });
                }
                _ => {}
            }
        }
    }

    // What each router imports.
    for entity in &mut entities {
        let mut tys: Vec<&str> = entity.filters.iter().map(|f| f.ty.as_str()).collect();
        for child in &entity.children {
            tys.extend(child.filters.iter().map(|f| f.ty.as_str()));
        }
        tys.push(entity.key.path_type.as_str());
        let mut link_tys: Vec<String> = Vec::new();
        for link in &entity.links {
            link_tys.push(keys[link.target].path_type.clone());
        }
        let all: Vec<&str> = tys
            .iter()
            .copied()
            .chain(link_tys.iter().map(String::as_str))
            .collect();
        entity.uses_literal = false;
        entity.uses_datetime = all.iter().any(|t| t.contains("datetime."));
        entity.uses_decimal = all.iter().any(|t| t.contains("decimal."));
        entity.uses_uuid = all.iter().any(|t| t.contains("uuid."));
    }

    let tables = tables_of(manifest, &entities, &keys);
    let tests = samples::entity_tests(manifest, spec, &entities)?;
    for (entity, tests) in entities.iter_mut().zip(tests) {
        entity.tests = tests;
    }
    check_coverage(spec, &entities, manifest.auth.is_enabled())?;
    Ok(ApiCtx {
        name: manifest.name.clone(),
        title: manifest.title.clone(),
        auth: manifest.auth.is_enabled(),
        roles: manifest.auth.roles().to_vec(),
        login_schema,
        schemas_use_literal: !enums.is_empty(),
        enums,
        entities,
        tables,
        test_roles: TestRoles {
            all: manifest.auth.roles().to_vec(),
        },
    })
}

fn field_ctx(field: &Field, enum_alias: Option<&str>) -> FieldCtx {
    let attr = python::identifier(&field.name);
    let base = base_type(field, enum_alias);
    let (create_type, create_args, update_type, update_args) =
        field_declarations(field, &attr, &base);
    FieldCtx {
        dump: dump_expr(field.ty, &format!("record.{attr}")),
        name: field.name.clone(),
        attr,
        ty: field.ty.as_str(),
        required: field.required,
        create_required: field.required && field.default.is_none(),
        unique: field.unique,
        create_type,
        create_args,
        update_type,
        update_args,
    }
}

/// Local names of the listing functions a filter parameter must not take.
const LISTING_LOCALS: [&str; 4] = ["columns", "filters", "apitypes", "crud"];

/// Python parameter name of a filter: never one of the route function's own parameters.
fn filter_param(name: &str, path_param: &str) -> String {
    let ident = python::identifier(name);
    if ident == path_param || LISTING_LOCALS.contains(&ident.as_str()) {
        format!("{ident}_")
    } else {
        ident
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "one call site per listing kind; a struct would only rename the arguments"
)]
fn filters_of(
    entity: &Entity,
    fields: &[FieldCtx],
    fks: &[ForeignKeyCtx],
    keys: &[KeyCtx],
    enum_alias: &BTreeMap<(usize, String), String>,
    index: usize,
    fixed: Option<&str>,
    path_param: &str,
) -> Vec<FilterCtx> {
    let mut filters = Vec::new();
    for (field, ctx) in entity.data_fields().zip(fields) {
        if !field.ty.is_filterable() || RESERVED_QUERY.contains(&field.name.as_str()) {
            continue;
        }
        let alias = enum_alias
            .get(&(index, field.name.clone()))
            .map(String::as_str);
        let param = filter_param(&field.name, path_param);
        filters.push(FilterCtx {
            alias: (param != field.name).then(|| python::string(&field.name)),
            name: field.name.clone(),
            param,
            attr: ctx.attr.clone(),
            ty: filter_type(field, alias),
        });
    }
    for fk in fks {
        if fixed == Some(fk.name.as_str()) || RESERVED_QUERY.contains(&fk.name.as_str()) {
            continue;
        }
        let param = filter_param(&fk.name, path_param);
        filters.push(FilterCtx {
            alias: (param != fk.name).then(|| python::string(&fk.name)),
            name: fk.name.clone(),
            param,
            attr: fk.attr.clone(),
            ty: keys[fk.target].query_type.clone(),
        });
    }
    filters
}

fn tables_of(manifest: &ValidManifest, entities: &[EntityCtx], keys: &[KeyCtx]) -> Vec<TableCtx> {
    // Referenced tables first where the references allow it (a cycle keeps manifest order).
    let mut order: Vec<usize> = Vec::new();
    let mut placed = vec![false; entities.len()];
    while order.len() < entities.len() {
        let ready = (0..entities.len()).find(|&i| {
            !placed[i]
                && entities[i]
                    .fks
                    .iter()
                    .all(|fk| fk.target == i || placed[fk.target])
        });
        let next = ready.unwrap_or_else(|| (0..entities.len()).find(|&i| !placed[i]).unwrap_or(0));
        placed[next] = true;
        order.push(next);
    }
    let mut tables = Vec::new();
    for &i in &order {
        let entity = &entities[i];
        let manifest_entity = &manifest.entities[i];
        let mut columns = Vec::new();
        let mut id_args = vec![key_column_type(keys[i].kind, manifest_entity.id_field())];
        id_args.push("primary_key=True".into());
        if keys[i].kind == "uuid" {
            id_args.push("default=uuid.uuid4".into());
        }
        columns.push(ColumnCtx {
            name: "id".into(),
            attr: "id".into(),
            args: id_args,
        });
        for (field, ctx) in manifest_entity.data_fields().zip(&entity.fields) {
            columns.push(field_column(field, &ctx.attr));
        }
        for fk in &entity.fks {
            let target = &entities[fk.target];
            let mut args = vec![key_column_type(
                keys[fk.target].kind,
                manifest.entities[fk.target].id_field(),
            )];
            args.push(format!(
                "sa.ForeignKey({})",
                python::string(&format!("{}.id", target.table))
            ));
            args.push(format!("nullable={}", python_bool(!fk.required)));
            args.push("index=True".into());
            columns.push(ColumnCtx {
                name: fk.name.clone(),
                attr: fk.attr.clone(),
                args,
            });
        }
        tables.push(TableCtx {
            class: entity.class.clone(),
            table: entity.table.clone(),
            columns,
            link_keys: Vec::new(),
            doc: format!("A row of `{}`: one {}.", entity.table, entity.words),
        });
    }
    for (i, entity) in entities.iter().enumerate() {
        for link in &entity.links {
            let target = &entities[link.target];
            let mut columns = vec![
                ColumnCtx {
                    name: link.owner_column.clone(),
                    attr: python::identifier(&link.owner_column),
                    args: vec![
                        key_column_type(keys[i].kind, manifest.entities[i].id_field()),
                        format!(
                            "sa.ForeignKey({}, ondelete=\"CASCADE\")",
                            python::string(&format!("{}.id", entity.table))
                        ),
                        "primary_key=True".into(),
                    ],
                },
                ColumnCtx {
                    name: link.target_column.clone(),
                    attr: python::identifier(&link.target_column),
                    args: vec![
                        key_column_type(
                            keys[link.target].kind,
                            manifest.entities[link.target].id_field(),
                        ),
                        format!(
                            "sa.ForeignKey({}, ondelete=\"CASCADE\")",
                            python::string(&format!("{}.id", target.table))
                        ),
                        "primary_key=True".into(),
                        "index=True".into(),
                    ],
                },
            ];
            columns.extend(link.field_columns.iter().map(|c| ColumnCtx {
                name: c.name.clone(),
                attr: c.attr.clone(),
                args: c.args.clone(),
            }));
            tables.push(TableCtx {
                class: link.class.clone(),
                table: link.table.clone(),
                link_keys: vec![link.owner_column.clone(), link.target_column.clone()],
                columns,
                doc: format!(
                    "A row of `{}`: links one {} to one {}.",
                    link.table, entity.words, target.words
                ),
            });
        }
    }
    tables
}

fn field_column(field: &Field, attr: &str) -> ColumnCtx {
    let mut args = vec![column_type(field)];
    args.push(format!("nullable={}", python_bool(!field.required)));
    if field.unique {
        args.push("unique=True".into());
    }
    ColumnCtx {
        name: field.name.clone(),
        attr: attr.to_owned(),
        args,
    }
}

fn python_bool(value: bool) -> &'static str {
    if value { "True" } else { "False" }
}

/// Every operation of the contract is served by exactly one generated route.
fn check_coverage(spec: &Value, entities: &[EntityCtx], auth: bool) -> Result<(), CodegenError> {
    let mut served: BTreeSet<(String, &str)> = BTreeSet::new();
    for entity in entities {
        served.insert((entity.path.clone(), "get"));
        served.insert((entity.path.clone(), "post"));
        for method in ["get", "put", "patch", "delete"] {
            served.insert((entity.item_path.clone(), method));
        }
        for child in &entity.children {
            served.insert((child.path.clone(), "get"));
        }
        for link in &entity.links {
            served.insert((link.path.clone(), "get"));
            served.insert((link.item_path.clone(), "put"));
            served.insert((link.item_path.clone(), "delete"));
        }
    }
    if auth {
        served.insert(("/auth/login".into(), "post"));
        served.insert(("/auth/me".into(), "get"));
    }
    let mut listed: BTreeSet<(String, &str)> = BTreeSet::new();
    if let Some(paths) = spec.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for method in [
                "get", "put", "post", "delete", "patch", "head", "options", "trace",
            ] {
                if item.get(method).is_some() {
                    listed.insert((path.clone(), method));
                }
            }
        }
    }
    if served != listed {
        let missing: Vec<String> = listed
            .difference(&served)
            .map(|(p, m)| format!("{m} {p}"))
            .collect();
        let extra: Vec<String> = served
            .difference(&listed)
            .map(|(p, m)| format!("{m} {p}"))
            .collect();
        return Err(contract_error(format!(
            "routes and contract differ: not served {missing:?}, not in the contract {extra:?}"
        )));
    }
    // Query parameters of every listing must be the ones the contract declares.
    for entity in entities {
        check_query(spec, &entity.path, &entity.filters)?;
        for child in &entity.children {
            check_query(spec, &child.path, &child.filters)?;
        }
    }
    Ok(())
}

fn check_query(spec: &Value, path: &str, filters: &[FilterCtx]) -> Result<(), CodegenError> {
    let op = operation(spec, path, "get")?;
    let declared: Vec<String> = op
        .get("parameters")
        .and_then(Value::as_array)
        .map(|params| {
            params
                .iter()
                .filter_map(|p| p.get("name").and_then(Value::as_str))
                .filter(|name| *name != "sort")
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let ours: Vec<String> = filters.iter().map(|f| f.name.clone()).collect();
    if declared != ours {
        return Err(contract_error(format!(
            "GET {path}: filters {ours:?} differ from the contract's {declared:?}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use apiforge_manifest::Manifest;

    /// Builds the context of manifest JSON.
    fn context(manifest: &str) -> ApiCtx {
        let manifest = Manifest::parse_json(manifest).expect("a valid manifest");
        let spec = apiforge_spec::generate(&manifest);
        build(&manifest, &spec).expect("the context builds")
    }

    fn check(actual: &[String], expect: &[&str]) {
        assert_eq!(actual, expect);
    }

    #[test]
    fn reserved_names_keep_their_wire_names() {
        let api = context(
            r#"{ "name": "school", "title": "School", "entities": [
                 { "name": "Class", "plural": "classes", "fields": [
                   { "name": "from", "type": "date" },
                   { "name": "session", "type": "string", "unique": true },
                   { "name": "limit", "type": "integer" } ] },
                 { "name": "Import", "plural": "imports",
                   "fields": [ { "name": "metadata", "type": "json", "required": false } ],
                   "relations": [ { "kind": "belongs_to", "target": "Class" } ] } ] }"#,
        );
        let class = &api.entities[0];
        assert_eq!(
            (class.class.as_str(), class.module.as_str()),
            ("Class", "class_")
        );
        let attrs: Vec<String> = class.fields.iter().map(|f| f.attr.clone()).collect();
        check(&attrs, &["from_", "session_", "limit_"]);
        // `limit` is paging's: no filter; the others keep their query names via an alias.
        let filters: Vec<String> = class
            .filters
            .iter()
            .map(|f| format!("{}={}:{:?}", f.param, f.ty, f.alias))
            .collect();
        check(
            &filters,
            &[
                "from_=apitypes.QueryDate:Some(\"\\\"from\\\"\")",
                "session_=apitypes.QueryText:Some(\"\\\"session\\\"\")",
            ],
        );
        assert_eq!(class.fields[0].create_args, ["alias=\"from\""]);
        assert_eq!(class.children.len(), 1);
        assert_eq!(class.children[0].path, "/classes/{class_id}/imports");
        let import = &api.entities[1];
        assert_eq!(import.fks[0].name, "class_id");
        assert_eq!(import.fields[0].attr, "metadata_");
        assert_eq!(import.fields[0].create_type, "apitypes.JsonObject | None");
        check(
            &import.sort_values,
            &["\"id\"", "\"-id\"", "\"class_id\"", "\"-class_id\""],
        );
        // Referenced tables come first.
        let tables: Vec<String> = api.tables.iter().map(|t| t.table.clone()).collect();
        check(&tables, &["classes", "imports"]);
    }

    #[test]
    fn links_roles_and_keys() {
        let api = context(
            r#"{ "name": "shop", "title": "Shop", "auth": { "kind": "jwt", "roles": ["admin", "clerk"] },
                 "entities": [
                   { "name": "Order", "plural": "orders", "fields": [ { "name": "code", "type": "string" } ],
                     "relations": [ { "kind": "many_to_many", "target": "Product",
                                      "fields": [ { "name": "quantity", "type": "integer", "min": 1 } ] } ],
                     "permissions": { "delete": ["admin"], "update": ["admin", "clerk"] } },
                   { "name": "Product", "plural": "products", "fields": [
                     { "name": "id", "type": "uuid" }, { "name": "name", "type": "string" } ] } ] }"#,
        );
        let order = &api.entities[0];
        assert_eq!(order.roles.delete, "(\"admin\",)");
        assert_eq!(order.roles.update, "(\"admin\", \"clerk\")");
        assert_eq!(order.roles.read, "None");
        let link = &order.links[0];
        assert_eq!(link.path, "/orders/{order_id}/products");
        assert_eq!(link.item_path, "/orders/{order_id}/products/{product_id}");
        assert_eq!(link.table, "orders_products_links");
        assert!(link.body_required);
        assert_eq!(link.fields[0].create_args, ["ge=1"]);
        assert_eq!(api.entities[1].key.kind, "uuid");
        assert_eq!(api.entities[1].key.dump, "apitypes.dump_uuid({})");
        assert_eq!(api.tables.last().map(|t| t.link_keys.len()), Some(2));
        assert_eq!(api.login_schema, "LoginRequest");
    }
}
