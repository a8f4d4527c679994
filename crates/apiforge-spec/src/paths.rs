//! Paths and operations: CRUD and listing per entity, nested has-many listings, many-to-many
//! link management and, with auth, login and the current user.

use std::collections::BTreeMap;

use apiforge_manifest::Operation;
use serde_json::{Map, Value, json};

use crate::parameters::{key_parameter, list_parameters};
use crate::responses::Problem;
use crate::schemas::schema_ref;
use crate::shape::{AUTH_TAG, Api, EntityShape};

/// What one operation needs besides its parameters, body and responses.
struct Meta<'a> {
    tag: &'a str,
    summary: String,
    description: String,
    id: &'a str,
    roles: Option<&'a [String]>,
}

/// Responses of one operation: status → response, kept sorted by status.
type Responses = BTreeMap<String, Value>;

pub(crate) fn paths(api: &Api<'_>) -> Map<String, Value> {
    let mut paths = Map::new();
    for entity in &api.entities {
        entity_paths(api, entity, &mut paths);
    }
    if api.auth {
        auth_paths(api, &mut paths);
    }
    paths
}

fn json_body(schema: &str, description: String) -> Value {
    optional_json_body(schema, description, true)
}

fn optional_json_body(schema: &str, description: String, required: bool) -> Value {
    json!({
        "description": description,
        "required": required,
        "content": { "application/json": { "schema": schema_ref(schema) } }
    })
}

fn json_response(schema: &str, description: String) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": schema_ref(schema) } }
    })
}

fn operation(
    api: &Api<'_>,
    meta: Meta<'_>,
    parameters: Vec<Value>,
    body: Option<Value>,
    mut responses: Responses,
    problems: &[Problem],
) -> Value {
    let mut description = meta.description;
    let mut op = Map::new();
    op.insert("tags".into(), json!([meta.tag]));
    op.insert("summary".into(), json!(meta.summary));
    for problem in problems {
        responses.insert(problem.status().into(), problem.reference());
    }
    if api.auth {
        responses.insert(
            Problem::Unauthorized.status().into(),
            Problem::Unauthorized.reference(),
        );
    }
    if let Some(roles) = meta.roles {
        responses.insert(
            Problem::Forbidden.status().into(),
            Problem::Forbidden.reference(),
        );
        let names: Vec<String> = roles.iter().map(|role| format!("`{role}`")).collect();
        description.push_str(&format!(
            " Requires one of the roles: {}.",
            names.join(", ")
        ));
    }
    op.insert("description".into(), json!(description));
    op.insert("operationId".into(), json!(meta.id));
    if !parameters.is_empty() {
        op.insert("parameters".into(), Value::Array(parameters));
    }
    if let Some(body) = body {
        op.insert("requestBody".into(), body);
    }
    op.insert(
        "responses".into(),
        Value::Object(responses.into_iter().collect()),
    );
    if let Some(roles) = meta.roles {
        op.insert("x-required-roles".into(), json!(roles));
    }
    Value::Object(op)
}

fn responses<const N: usize>(entries: [(&str, Value); N]) -> Responses {
    entries
        .into_iter()
        .map(|(status, response)| (status.to_owned(), response))
        .collect()
}

fn entity_paths(api: &Api<'_>, entity: &EntityShape<'_>, paths: &mut Map<String, Value>) {
    let words = &entity.words;
    let a_words = &entity.a_words;
    let plural = &entity.plural_words;
    let names = &entity.schemas;
    let ids = &entity.operation_ids;
    let tag = entity.tag.as_str();
    let write_conflicts = entity.write_may_conflict();
    let collection = format!("/{}", entity.segment);
    let item = format!("{collection}/{{{}}}", entity.param);
    let key = key_parameter(entity, &entity.param, &format!("Key of the {words}."));

    let list = operation(
        api,
        Meta {
            tag,
            summary: format!("List {plural}"),
            description: format!(
                "Returns one page of {plural}, optionally filtered by equality on fields and \
                 sorted; `total` counts every match."
            ),
            id: &ids.list,
            roles: entity.roles(Operation::Read),
        },
        list_parameters(api, entity, None),
        None,
        responses([(
            "200",
            json_response(&names.page, format!("A page of {plural}.")),
        )]),
        &[Problem::BadRequest, Problem::UnprocessableEntity],
    );
    let mut created = json_response(&names.main, format!("The {words} was created."));
    created["headers"] = json!({
        "Location": {
            "description": format!("Path of the new {words}."),
            "schema": { "type": "string", "format": "uri-reference" }
        }
    });
    let mut create_problems = vec![Problem::BadRequest, Problem::UnprocessableEntity];
    if write_conflicts || !entity.key.server_assigned() {
        create_problems.push(Problem::Conflict);
    }
    let create = operation(
        api,
        Meta {
            tag,
            summary: format!("Create {a_words}"),
            description: format!("Creates {a_words} and returns it with its key."),
            id: &ids.create,
            roles: entity.roles(Operation::Create),
        },
        Vec::new(),
        Some(json_body(&names.create, format!("The new {words}."))),
        responses([("201", created)]),
        &create_problems,
    );
    paths.insert(collection, json!({ "get": list, "post": create }));

    let get = operation(
        api,
        Meta {
            tag,
            summary: format!("Get {a_words}"),
            description: format!("Returns the {words} with the given key."),
            id: &ids.get,
            roles: entity.roles(Operation::Read),
        },
        Vec::new(),
        None,
        responses([("200", json_response(&names.main, format!("The {words}.")))]),
        &[Problem::NotFound, Problem::UnprocessableEntity],
    );
    let mut update_problems = vec![
        Problem::BadRequest,
        Problem::NotFound,
        Problem::UnprocessableEntity,
    ];
    if write_conflicts {
        update_problems.push(Problem::Conflict);
    }
    let replace = operation(
        api,
        Meta {
            tag,
            summary: format!("Replace {a_words}"),
            description: if entity.key.server_assigned() {
                format!("Replaces every field of the {words}; omitted optional fields are reset.")
            } else {
                format!(
                    "Replaces every field of the {words}; omitted optional fields are reset. The \
                     body's `id` must equal the key in the path."
                )
            },
            id: &ids.replace,
            roles: entity.roles(Operation::Update),
        },
        Vec::new(),
        Some(json_body(
            &names.create,
            format!("Every field of the {words}."),
        )),
        responses([(
            "200",
            json_response(&names.main, format!("The replaced {words}.")),
        )]),
        &update_problems,
    );
    let update = operation(
        api,
        Meta {
            tag,
            summary: format!("Update {a_words}"),
            description: format!("Changes only the given fields of the {words} (at least one)."),
            id: &ids.update,
            roles: entity.roles(Operation::Update),
        },
        Vec::new(),
        Some(json_body(&names.update, "The fields to change.".to_owned())),
        responses([(
            "200",
            json_response(&names.main, format!("The updated {words}.")),
        )]),
        &update_problems,
    );
    let mut delete_problems = vec![Problem::NotFound, Problem::UnprocessableEntity];
    if entity.referenced {
        delete_problems.push(Problem::Conflict);
    }
    let delete = operation(
        api,
        Meta {
            tag,
            summary: format!("Delete {a_words}"),
            description: format!("Deletes the {words} with the given key."),
            id: &ids.delete,
            roles: entity.roles(Operation::Delete),
        },
        Vec::new(),
        None,
        responses([(
            "204",
            json!({ "description": format!("The {words} was deleted.") }),
        )]),
        &delete_problems,
    );
    paths.insert(
        item.clone(),
        json!({
            "parameters": [key.clone()],
            "get": get, "put": replace, "patch": update, "delete": delete
        }),
    );

    for child in &entity.children {
        let child_entity = &api.entities[child.child];
        let role_words = child.role.replace('_', " ");
        let description = if child.role
            == heck::ToSnakeCase::to_snake_case(entity.entity.name.as_str())
        {
            format!(
                "Returns one page of the {} that belong to the {words}, filtered and sorted like \
                 the {} listing.",
                child_entity.plural_words, child_entity.plural_words
            )
        } else {
            format!(
                "Returns one page of the {} whose {role_words} is the {words}, filtered and \
                 sorted like the {} listing.",
                child_entity.plural_words, child_entity.plural_words
            )
        };
        let nested = operation(
            api,
            Meta {
                tag,
                summary: format!(
                    "List the {} of {a_words}{}",
                    child_entity.plural_words,
                    if child.segment == child_entity.segment {
                        String::new()
                    } else {
                        format!(" (as {role_words})")
                    }
                ),
                description,
                id: &child.operation_id,
                roles: child_entity.roles(Operation::Read),
            },
            list_parameters(api, child_entity, Some(&child.foreign_key)),
            None,
            responses([(
                "200",
                json_response(
                    &child_entity.schemas.page,
                    format!("A page of {}.", child_entity.plural_words),
                ),
            )]),
            &[
                Problem::BadRequest,
                Problem::NotFound,
                Problem::UnprocessableEntity,
            ],
        );
        paths.insert(
            format!("{item}/{}", child.segment),
            json!({ "parameters": [key.clone()], "get": nested }),
        );
    }

    for link in &entity.links {
        let target = &api.entities[link.target];
        let role = &link.role_words;
        let list = operation(
            api,
            Meta {
                tag,
                summary: format!("List the {role} of {a_words}"),
                description: format!(
                    "Returns one page of the {words}'s links to {role}, each with the linked {} \
                     embedded.",
                    target.words
                ),
                id: &link.list_id,
                roles: entity.roles(Operation::Read),
            },
            vec![
                json!({ "$ref": "#/components/parameters/Limit" }),
                json!({ "$ref": "#/components/parameters/Offset" }),
            ],
            None,
            responses([(
                "200",
                json_response(&link.page_schema, format!("A page of {role} links.")),
            )]),
            &[
                Problem::BadRequest,
                Problem::NotFound,
                Problem::UnprocessableEntity,
            ],
        );
        paths.insert(
            format!("{item}/{}", link.segment),
            json!({ "parameters": [key.clone()], "get": list }),
        );
        let target_key = key_parameter(
            target,
            &link.target_key,
            &format!("Key of the {} to link.", target.words),
        );
        // When every link field may be omitted, so may the body.
        let body_required = link.fields.iter().any(crate::schemas::create_required);
        let body = (!link.fields.is_empty()).then(|| {
            optional_json_body(
                &link.input_schema,
                "Fields stored on the link.".to_owned(),
                body_required,
            )
        });
        let put = operation(
            api,
            Meta {
                tag,
                summary: format!("Link {} to {a_words}", target.a_words),
                description: format!(
                    "Links the {} to the {words}, or updates the stored link fields if they are \
                     already linked. Idempotent.",
                    target.words
                ),
                id: &link.put_id,
                roles: entity.roles(Operation::Update),
            },
            Vec::new(),
            body,
            responses([
                (
                    "200",
                    json_response(&link.schema, "The link was updated.".to_owned()),
                ),
                (
                    "201",
                    json_response(&link.schema, "The link was created.".to_owned()),
                ),
            ]),
            &[
                Problem::BadRequest,
                Problem::NotFound,
                Problem::UnprocessableEntity,
            ],
        );
        let delete = operation(
            api,
            Meta {
                tag,
                summary: format!("Unlink {} from {a_words}", target.a_words),
                description: format!(
                    "Removes the link between the {words} and the {}; neither record is deleted.",
                    target.words
                ),
                id: &link.delete_id,
                roles: entity.roles(Operation::Update),
            },
            Vec::new(),
            None,
            responses([("204", json!({ "description": "The link was removed." }))]),
            &[Problem::NotFound, Problem::UnprocessableEntity],
        );
        paths.insert(
            format!("{item}/{}/{{{}}}", link.segment, link.target_key),
            json!({ "parameters": [key.clone(), target_key], "put": put, "delete": delete }),
        );
    }
}

fn auth_paths(api: &Api<'_>, paths: &mut Map<String, Value>) {
    let mut login = operation(
        api,
        Meta {
            tag: AUTH_TAG,
            summary: "Log in".into(),
            description: "Exchanges a user name and password for a bearer token (JWT).".into(),
            id: &api.login_id,
            roles: None,
        },
        Vec::new(),
        Some(json_body(&api.login_request, "The credentials.".into())),
        responses([("200", json_response(&api.token, "A bearer token.".into()))]),
        &[Problem::BadRequest, Problem::UnprocessableEntity],
    );
    // Logging in is the one operation that needs no token.
    login["security"] = json!([]);
    if let Some(unauthorized) = login.pointer_mut("/responses/401") {
        *unauthorized = json!({
            "description": "The user name or password is wrong.",
            "content": {
                "application/problem+json": {
                    "schema": schema_ref(&api.problem),
                    "example": {
                        "type": "about:blank",
                        "title": "Unauthorized",
                        "status": 401,
                        "detail": "The user name or password is wrong.",
                        "instance": "/auth/login"
                    }
                }
            }
        });
    }
    paths.insert("/auth/login".into(), json!({ "post": login }));
    let me = operation(
        api,
        Meta {
            tag: AUTH_TAG,
            summary: "Get the current user".into(),
            description: "Returns the user the bearer token belongs to and their roles.".into(),
            id: &api.me_id,
            roles: None,
        },
        Vec::new(),
        None,
        responses([(
            "200",
            json_response(&api.current_user, "The current user.".into()),
        )]),
        &[],
    );
    paths.insert("/auth/me".into(), json!({ "get": me }));
}
