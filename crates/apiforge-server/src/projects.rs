//! Projects: create one from a prompt or a CSV (→ a generation job), read what it became
//! (status, versions, files, contract, Postman collection) and its live preview. Every
//! handler goes through the caller's tenant view of the store, so another user's project is
//! simply not there (404).

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use apiforge_jobs::NewJob;
use apiforge_store::{NewProject, Project, ProjectSummary, Role, SourceKind, Target, Tenant};

use crate::auth::CurrentUser;
use crate::config::{MAX_CSV_BYTES, MAX_PROMPT_CHARS};
use crate::extract::{ApiJson, ApiPath, ApiQuery, project_id};
use crate::generation::{GENERATE, GenerateJob};
use crate::pipeline::Source;
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_projects, create_project))
        .routes(routes!(get_project, delete_project))
        .routes(routes!(plan_only))
        .routes(routes!(regenerate_project))
        .routes(routes!(project_status))
        .routes(routes!(list_versions))
        .routes(routes!(list_files))
        .routes(routes!(file_content))
        .routes(routes!(project_spec))
        .routes(routes!(project_postman))
        .routes(routes!(project_preview))
        .routes(routes!(project_report))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateProject {
    /// The API described in plain language (at most 20,000 characters).
    pub prompt: String,
    /// `fastapi` (default).
    #[serde(default = "default_target")]
    pub target: String,
    /// A display name (default: derived from the prompt).
    pub name: Option<String>,
    /// `builtin` (default: deterministic, offline) or `llm` (the server's configured LLM
    /// providers, falling back to the built-in planner).
    pub planner: Option<String>,
}

fn default_target() -> String {
    "fastapi".into()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectInfo {
    pub id: String,
    pub name: String,
    pub target: String,
    /// `prompt` or `csv`.
    pub source_kind: String,
    /// queued, running, ready or failed.
    pub status: String,
    /// Your role: owner, editor or viewer.
    pub role: String,
    pub current_version: Option<i64>,
    pub last_job_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The description it is generated from (prompt projects, one project's page only;
    /// not in listings).
    pub prompt: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    pub project: ProjectInfo,
    /// The generation job: follow it at `/api/jobs/{id}/events`.
    pub job_id: String,
}

fn info(project: Project, role: Role) -> ProjectInfo {
    let prompt = (project.source_kind == SourceKind::Prompt).then(|| project.source.clone());
    ProjectInfo {
        id: project.id.to_string(),
        name: project.name,
        target: project.target.as_str().to_owned(),
        source_kind: project.source_kind.as_str().to_owned(),
        status: project.status.as_str().to_owned(),
        role: role.as_str().to_owned(),
        current_version: project.current_version,
        last_job_id: project.last_job_id,
        created_at: project.created_at,
        updated_at: project.updated_at,
        prompt,
    }
}

/// Create a project from a prompt (JSON) or a CSV file (multipart field `file`, optional
/// fields `target`, `name`); generation starts at once.
#[utoipa::path(post, path = "/api/projects", tag = "projects",
    request_body(content(
        (CreateProject = "application/json"),
        (CsvUpload = "multipart/form-data"),
    )),
    responses(
        (status = 202, description = "Created; the generation job is queued", body = Created),
        (status = 400, description = "Malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Prompt or CSV too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither JSON nor a multipart form", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty or unusable input", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn create_project(
    State(state): State<AppState>,
    user: CurrentUser,
    request: Request,
) -> ApiResult<(StatusCode, axum::Json<Created>)> {
    let input = read_input(&state, request).await?;
    crate::pipeline::parse_target(&input.target)
        .map_err(|e| Problem::unprocessable(e.to_string()))?;
    let name = input
        .name
        .clone()
        .unwrap_or_else(|| default_name(&input.source));
    let (source_kind, source_text) = match &input.source {
        Source::Prompt { text } => (SourceKind::Prompt, text.clone()),
        Source::Csv { text, .. } => (SourceKind::Csv, text.clone()),
    };
    let target = Target::parse(&input.target).ok_or_else(|| {
        Problem::unprocessable(format!(
            "target {:?} is not available: use \"fastapi\"",
            input.target
        ))
    })?;
    let tenant = state.db.tenant(&user.id);
    let project = tenant
        .create_project(&NewProject {
            name,
            description: String::new(),
            target,
            source_kind,
            source: source_text,
        })
        .await?;
    let job_id = enqueue_generation(
        &state,
        &user,
        &project.id,
        input.target,
        input.source,
        input.planner,
    )
    .await?;
    let (project, role) = tenant
        .project(&project.id)
        .await?
        .ok_or_else(|| Problem::internal(&"the new project is not visible to its owner"))?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(Created {
            project: info(project, role),
            job_id: job_id.to_string(),
        }),
    ))
}

/// Queues a generation of `project` from `source` and records the job on the project.
async fn enqueue_generation(
    state: &AppState,
    user: &CurrentUser,
    project: &apiforge_store::ProjectId,
    target: String,
    source: Source,
    planner: String,
) -> Result<String, Problem> {
    let payload = serde_json::to_value(GenerateJob {
        project_id: project.to_string(),
        user_id: user.id.to_string(),
        target,
        source,
        planner,
    })
    .map_err(|e| Problem::internal(&e))?;
    let job_id = state
        .queue
        .enqueue(NewJob {
            kind: GENERATE.to_owned(),
            payload,
            user_id: Some(user.id.to_string()),
            project_id: Some(project.to_string()),
            priority: 0,
            max_attempts: state.config.worker.max_attempts,
            run_at: None,
        })
        .await?
        .to_string();
    state.db.set_project_job(project, &job_id).await?;
    Ok(job_id)
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RegenerateRequest {
    /// A revised description (prompt projects only; default: the current one).
    pub prompt: Option<String>,
    /// `builtin` or `llm` (default: the planner of the last generation).
    pub planner: Option<String>,
}

/// Generate a new version: from a revised description, or again from the current source
/// (after a failed verification, say). Editors and owners.
#[utoipa::path(post, path = "/api/projects/{id}/regenerate", tag = "projects",
    params(("id" = String, Path, description = "Project id")),
    request_body = RegenerateRequest,
    responses(
        (status = 202, description = "The generation job is queued", body = Created),
        (status = 400, description = "Malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Viewers cannot regenerate", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project that you can see", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A generation is already queued or running", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Prompt too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty prompt, or a prompt for a CSV project", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn regenerate_project(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<RegenerateRequest>,
) -> ApiResult<(StatusCode, axum::Json<Created>)> {
    let tenant = state.db.tenant(&user.id);
    let (project, role) = visible(&tenant, &id).await?;
    if role < Role::Editor {
        return Err(Problem::forbidden(
            "viewers cannot regenerate a project: ask an owner for the editor role",
        ));
    }
    // The last job's payload holds the source as generated (with a CSV's file name).
    let last = match &project.last_job_id {
        Some(job) => state.queue.job(&crate::extract::job_id(job)?).await?,
        None => None,
    };
    if let Some(job) = &last
        && !job.state.is_final()
    {
        return Err(Problem::conflict(format!(
            "a generation is already {}: follow job {} or wait for it to finish",
            job.state.as_str(),
            job.id
        )));
    }
    let last_payload = last
        .as_ref()
        .and_then(|job| serde_json::from_value::<GenerateJob>(job.payload.clone()).ok());
    let planner = match request.planner {
        Some(planner) => check_planner(&state, &planner)?,
        None => last_payload
            .as_ref()
            .map_or_else(|| "builtin".to_owned(), |job| job.planner.clone()),
    };
    let source = match request.prompt {
        Some(prompt) => {
            if project.source_kind != SourceKind::Prompt {
                return Err(Problem::unprocessable(
                    "this project is generated from a CSV file: create a new project to describe the API in words",
                ));
            }
            check_prompt(&prompt)?;
            tenant.set_source(&project.id, &prompt).await?;
            Source::Prompt { text: prompt }
        }
        None => last_payload
            .map(|job| job.source)
            .unwrap_or_else(|| match project.source_kind {
                SourceKind::Csv => Source::Csv {
                    file_name: project.name.clone(),
                    text: project.source.clone(),
                },
                SourceKind::Prompt => Source::Prompt {
                    text: project.source.clone(),
                },
            }),
    };
    let job_id = enqueue_generation(
        &state,
        &user,
        &project.id,
        project.target.as_str().to_owned(),
        source,
        planner,
    )
    .await?;
    let (project, role) = visible(&tenant, &id).await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(Created {
            project: info(project, role),
            job_id,
        }),
    ))
}

/// A planner choice: `builtin`, or `llm` when the server has a provider.
fn check_planner(state: &AppState, planner: &str) -> Result<String, Problem> {
    match planner {
        "builtin" => Ok(planner.to_owned()),
        "llm" if state.llm.is_builtin_only() => Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the LLM planner needs a provider: start the server with APIFORGE_LLM_PROVIDER=ollama or openai (or use planner \"builtin\")",
        )),
        "llm" => Ok(planner.to_owned()),
        other => Err(Problem::unprocessable(format!(
            "planner {other:?} is not known: use \"builtin\" or \"llm\""
        ))),
    }
}

/// The prompt limits: not blank, at most [`MAX_PROMPT_CHARS`], no NUL.
fn check_prompt(prompt: &str) -> Result<(), Problem> {
    if prompt.trim().is_empty() {
        return Err(Problem::unprocessable(
            "the prompt is empty: describe the API you want",
        ));
    }
    let chars = prompt.chars().count();
    if chars > MAX_PROMPT_CHARS {
        return Err(Problem::payload_too_large(format!(
            "the prompt has {chars} characters; the limit is {MAX_PROMPT_CHARS}"
        )));
    }
    if prompt.contains('\0') {
        return Err(Problem::unprocessable(
            "the prompt contains a NUL character; send plain text",
        ));
    }
    Ok(())
}

/// The multipart form of a CSV upload (documentation only).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
struct CsvUpload {
    /// The CSV file (at most 5 MB, UTF-8).
    #[schema(format = Binary, content_media_type = "text/csv")]
    file: String,
    /// `fastapi` (default).
    target: Option<String>,
    name: Option<String>,
}

struct Input {
    source: Source,
    target: String,
    name: Option<String>,
    planner: String,
}

async fn read_input(state: &AppState, request: Request) -> Result<Input, Problem> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let multipart = Multipart::from_request(request, state).await.map_err(|e| {
            Problem::bad_request(format!(
                "the multipart form is malformed: {}",
                e.body_text()
            ))
        })?;
        return read_csv_form(multipart).await;
    }
    let ApiJson(body) = ApiJson::<CreateProject>::from_request(request, state).await?;
    check_prompt(&body.prompt)?;
    let planner = check_planner(state, body.planner.as_deref().unwrap_or("builtin"))?;
    Ok(Input {
        source: Source::Prompt { text: body.prompt },
        target: body.target,
        name: clean_name(body.name)?,
        planner,
    })
}

async fn read_csv_form(mut multipart: Multipart) -> Result<Input, Problem> {
    let mut csv: Option<(String, Vec<u8>)> = None;
    let mut target = default_target();
    let mut name = None;
    while let Some(field) = multipart.next_field().await.map_err(|e| {
        Problem::bad_request(format!(
            "the multipart form is malformed: {}",
            e.body_text()
        ))
    })? {
        let field_name = field.name().unwrap_or("").to_owned();
        match field_name.as_str() {
            "file" => {
                let file_name = field.file_name().unwrap_or("upload.csv").to_owned();
                let bytes = field.bytes().await.map_err(|e| {
                    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        Problem::payload_too_large(format!(
                            "the CSV is larger than {MAX_CSV_BYTES} bytes"
                        ))
                    } else {
                        Problem::bad_request(format!(
                            "the file could not be read: {}",
                            e.body_text()
                        ))
                    }
                })?;
                csv = Some((file_name, bytes.to_vec()));
            }
            "target" | "name" => {
                let value = field.text().await.map_err(|e| {
                    Problem::bad_request(format!("field {field_name}: {}", e.body_text()))
                })?;
                if field_name == "target" {
                    target = value;
                } else {
                    name = Some(value);
                }
            }
            other => {
                return Err(Problem::unprocessable(format!(
                    "unexpected form field {other:?}: send `file` (the CSV), optionally `target` and `name`"
                )));
            }
        }
    }
    let (file_name, bytes) =
        csv.ok_or_else(|| Problem::unprocessable("the form has no `file` field with the CSV"))?;
    if bytes.len() > MAX_CSV_BYTES {
        return Err(Problem::payload_too_large(format!(
            "the CSV has {} bytes; the limit is {MAX_CSV_BYTES}",
            bytes.len()
        )));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Problem::unprocessable(
            "the CSV file is empty: it needs a header row and some rows",
        ));
    }
    let text = String::from_utf8(bytes).map_err(|_| {
        Problem::unprocessable(
            "the CSV is not UTF-8 text (binary or another encoding): export it as UTF-8 CSV",
        )
    })?;
    if text.contains('\0') {
        return Err(Problem::unprocessable(
            "the CSV contains NUL bytes: it looks binary, not CSV",
        ));
    }
    // The planner's own checks (header, columns) decide now, not in the job, so the caller
    // hears about a bad file in this response.
    apiforge_planner::plan_csv(&file_name, text.as_bytes())
        .map_err(|e| Problem::unprocessable(format!("the CSV cannot be used: {e}")))?;
    Ok(Input {
        source: Source::Csv { file_name, text },
        target,
        name: clean_name(name)?,
        // A CSV's header and rows say everything; the built-in planner reads them exactly.
        planner: "builtin".to_owned(),
    })
}

fn clean_name(name: Option<String>) -> Result<Option<String>, Problem> {
    match name.map(|n| n.trim().to_owned()) {
        Some(n) if n.is_empty() => Ok(None),
        Some(n) if n.chars().count() > 120 || n.chars().any(char::is_control) => {
            Err(Problem::unprocessable(
                "the name must be at most 120 characters without control characters",
            ))
        }
        other => Ok(other),
    }
}

fn default_name(source: &Source) -> String {
    match source {
        Source::Prompt { text } => {
            let first: String = text
                .split_whitespace()
                .take(8)
                .collect::<Vec<_>>()
                .join(" ");
            first.chars().take(80).collect()
        }
        Source::Csv { file_name, .. } => file_name.clone(),
    }
}

/// Your projects (and those shared with you), newest first.
#[utoipa::path(get, path = "/api/projects", tag = "projects",
    responses(
        (status = 200, description = "Projects you can see", body = Vec<ProjectInfo>),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn list_projects(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<axum::Json<Vec<ProjectInfo>>> {
    let projects = state.db.tenant(&user.id).projects().await?;
    Ok(axum::Json(projects.into_iter().map(summary_info).collect()))
}

fn summary_info(project: ProjectSummary) -> ProjectInfo {
    ProjectInfo {
        id: project.id.to_string(),
        name: project.name,
        target: project.target.as_str().to_owned(),
        source_kind: project.source_kind.as_str().to_owned(),
        status: project.status.as_str().to_owned(),
        role: project.role.as_str().to_owned(),
        current_version: project.current_version,
        last_job_id: project.last_job_id,
        created_at: project.created_at,
        updated_at: project.updated_at,
        prompt: None,
    }
}

async fn visible(tenant: &Tenant, id: &str) -> Result<(Project, Role), Problem> {
    tenant
        .project(&project_id(id)?)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no project {id:?} that you can see")))
}

/// One project.
#[utoipa::path(get, path = "/api/projects/{id}", tag = "projects",
    params(("id" = String, Path, description = "Project id")),
    responses(
        (status = 200, description = "The project", body = ProjectInfo),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project that you can see", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn get_project(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<axum::Json<ProjectInfo>> {
    let (project, role) = visible(&state.db.tenant(&user.id), &id).await?;
    Ok(axum::Json(info(project, role)))
}

/// Delete a project with its versions and files. Owners only.
#[utoipa::path(delete, path = "/api/projects/{id}", tag = "projects",
    params(("id" = String, Path, description = "Project id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the owner deletes", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project that you can see", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn delete_project(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let project = project_id(&id)?;
    state.db.tenant(&user.id).delete_project(&project).await?;
    state.previews.stop(&id).await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanOnly {
    /// The manifest the planner makes of the input (entities, fields, relations).
    pub manifest: serde_json::Value,
    pub manifest_sha256: String,
    /// How it was planned (with `planner: "llm"`: provider, tokens, or why the built-in
    /// planner's result was used).
    pub planner: Option<serde_json::Value>,
}

/// Plan a prompt or CSV without creating a project: what the generation would build
/// (the web app previews a CSV's inferred fields with it).
#[utoipa::path(post, path = "/api/plan", tag = "projects",
    request_body(content(
        (CreateProject = "application/json"),
        (CsvUpload = "multipart/form-data"),
    )),
    responses(
        (status = 200, description = "The manifest", body = PlanOnly),
        (status = 400, description = "Malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Prompt or CSV too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither JSON nor a multipart form", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty or unusable input", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn plan_only(
    State(state): State<AppState>,
    _user: CurrentUser,
    request: Request,
) -> ApiResult<axum::Json<PlanOnly>> {
    let input = read_input(&state, request).await?;
    let planned = match &input.source {
        Source::Prompt { text } if input.planner == "llm" => {
            crate::llm_plan::planned(&state.db, &state.llm, text)
                .await
                .map_err(|e| match e {
                    crate::pipeline::PipelineError::Input(message) => {
                        Problem::unprocessable(message)
                    }
                    internal => Problem::internal(&internal),
                })?
        }
        source => {
            crate::pipeline::plan(source).map_err(|e| Problem::unprocessable(e.to_string()))?
        }
    };
    Ok(axum::Json(PlanOnly {
        manifest: planned.manifest,
        manifest_sha256: planned.manifest_sha256,
        planner: planned
            .note
            .map(|note| serde_json::to_value(note).unwrap_or_default()),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectStatus {
    pub status: String,
    pub current_version: Option<i64>,
    /// The latest generation job and its steps.
    pub job: Option<serde_json::Value>,
}

/// Where the project's generation stands.
#[utoipa::path(get, path = "/api/projects/{id}/status", tag = "projects",
    params(("id" = String, Path, description = "Project id")),
    responses(
        (status = 200, description = "Status and the latest job's steps", body = ProjectStatus),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project that you can see", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn project_status(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<axum::Json<ProjectStatus>> {
    let (project, _) = visible(&state.db.tenant(&user.id), &id).await?;
    let job = match &project.last_job_id {
        Some(job_id) => crate::system::job_json(&state, &crate::extract::job_id(job_id)?).await?,
        None => None,
    };
    Ok(axum::Json(ProjectStatus {
        status: project.status.as_str().to_owned(),
        current_version: project.current_version,
        job,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionInfo {
    pub number: i64,
    pub manifest_sha256: String,
    /// Whether lint, format, compile and the generated tests all passed.
    pub verified: bool,
    /// The report is at `/api/projects/{id}/report?version=N`.
    pub has_test_report: bool,
    pub created_at: i64,
    pub job_id: Option<String>,
}

/// The project's versions, newest first.
#[utoipa::path(get, path = "/api/projects/{id}/versions", tag = "projects",
    params(("id" = String, Path, description = "Project id")),
    responses(
        (status = 200, description = "Versions", body = Vec<VersionInfo>),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project that you can see", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn list_versions(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<axum::Json<Vec<VersionInfo>>> {
    let tenant = state.db.tenant(&user.id);
    let (project, _) = visible(&tenant, &id).await?;
    let versions = tenant.versions(&project.id).await?;
    Ok(axum::Json(
        versions
            .into_iter()
            .map(|v| VersionInfo {
                number: v.number,
                manifest_sha256: v.manifest_sha256,
                verified: v.verified,
                has_test_report: v.has_test_report,
                created_at: v.created_at,
                job_id: v.job_id,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionQuery {
    /// Version number (default: the current one).
    pub version: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FileQuery {
    /// Version number (default: the current one).
    pub version: Option<i64>,
    /// The file's path in the project.
    pub path: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FileInfo {
    pub path: String,
    pub sha256: String,
    pub size: i64,
    /// `generated` or `user`.
    pub ownership: String,
}

pub(crate) async fn chosen_version(
    tenant: &Tenant,
    id: &str,
    version: Option<i64>,
) -> Result<apiforge_store::Version, Problem> {
    let (project, _) = visible(tenant, id).await?;
    let number = version.or(project.current_version).ok_or_else(|| {
        Problem::conflict("the project has no version yet: wait for its generation job to finish")
    })?;
    tenant
        .version(&project.id, number)
        .await?
        .ok_or_else(|| Problem::not_found(format!("the project has no version {number}")))
}

/// The files of a version.
#[utoipa::path(get, path = "/api/projects/{id}/files", tag = "projects",
    params(("id" = String, Path, description = "Project id"), VersionQuery),
    responses(
        (status = 200, description = "Files with their sha256", body = Vec<FileInfo>),
        (status = 400, description = "Bad query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project or version", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No version yet", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn list_files(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<VersionQuery>,
) -> ApiResult<axum::Json<Vec<FileInfo>>> {
    let tenant = state.db.tenant(&user.id);
    let version = chosen_version(&tenant, &id, query.version).await?;
    let files = tenant.files(&version.project_id, version.number).await?;
    Ok(axum::Json(
        files
            .into_iter()
            .map(|f| FileInfo {
                path: f.path,
                sha256: f.sha256,
                size: f.size,
                ownership: f.ownership.as_str().to_owned(),
            })
            .collect(),
    ))
}

/// One file's content.
#[utoipa::path(get, path = "/api/projects/{id}/files/content", tag = "projects",
    params(("id" = String, Path, description = "Project id"), FileQuery),
    responses(
        (status = 200, description = "The file", content_type = "text/plain"),
        (status = 400, description = "Bad query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project, version or file", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No version yet", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn file_content(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<FileQuery>,
) -> ApiResult<Response> {
    let tenant = state.db.tenant(&user.id);
    let version = chosen_version(&tenant, &id, query.version).await?;
    let content = tenant
        .file_content(&version.project_id, version.number, &query.path)
        .await?
        .ok_or_else(|| {
            Problem::not_found(format!(
                "version {} has no file {:?}",
                version.number, query.path
            ))
        })?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        Body::from(content),
    )
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SpecQuery {
    /// `yaml` (default) or `json`.
    pub format: Option<String>,
    /// Version number (default: the current one).
    pub version: Option<i64>,
}

/// The OpenAPI 3.1 contract of a version.
#[utoipa::path(get, path = "/api/projects/{id}/spec", tag = "projects",
    params(("id" = String, Path, description = "Project id"), SpecQuery),
    responses(
        (status = 200, description = "The contract", content(("application/yaml"), ("application/json"))),
        (status = 400, description = "Bad query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project or version", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No version yet", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn project_spec(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<SpecQuery>,
) -> ApiResult<Response> {
    let version = chosen_version(&state.db.tenant(&user.id), &id, query.version).await?;
    match query.format.as_deref().unwrap_or("yaml") {
        "yaml" => Ok((
            [(header::CONTENT_TYPE, "application/yaml")],
            version.spec_yaml,
        )
            .into_response()),
        "json" => Ok((
            [(header::CONTENT_TYPE, "application/json")],
            version.spec_json,
        )
            .into_response()),
        other => Err(Problem::bad_request(format!(
            "format {other:?} is not offered: use yaml or json"
        ))),
    }
}

/// The Postman v2.1 collection of a version.
#[utoipa::path(get, path = "/api/projects/{id}/postman", tag = "projects",
    params(("id" = String, Path, description = "Project id"), VersionQuery),
    responses(
        (status = 200, description = "The collection", content_type = "application/json"),
        (status = 400, description = "Bad query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project or version", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No version yet", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn project_postman(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<VersionQuery>,
) -> ApiResult<Response> {
    let version = chosen_version(&state.db.tenant(&user.id), &id, query.version).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        version.postman,
    )
        .into_response())
}

/// The verification report of a version (`apiforge verify --json`'s object): steps, test
/// counts, failing tests with file:line.
#[utoipa::path(get, path = "/api/projects/{id}/report", tag = "projects",
    params(("id" = String, Path, description = "Project id"), VersionQuery),
    responses(
        (status = 200, description = "The report", body = serde_json::Value),
        (status = 400, description = "Bad query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project or version, or no report", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No version yet", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn project_report(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<VersionQuery>,
) -> ApiResult<axum::Json<serde_json::Value>> {
    let version = chosen_version(&state.db.tenant(&user.id), &id, query.version).await?;
    let report = version
        .test_report
        .and_then(|r| serde_json::from_str(&r).ok())
        .ok_or_else(|| {
            Problem::not_found(format!("version {} has no test report", version.number))
        })?;
    Ok(axum::Json(report))
}

/// Start (or find) the live preview of the current verified version.
#[utoipa::path(get, path = "/api/projects/{id}/preview", tag = "projects",
    params(("id" = String, Path, description = "Project id")),
    responses(
        (status = 200, description = "The preview's paths, and a token when the API has auth", body = crate::previews::PreviewInfo),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project that you can see", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No verified version yet", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The preview could not start", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn project_preview(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<axum::Json<crate::previews::PreviewInfo>> {
    let info = start_preview(&state, &user, &id).await?;
    Ok(axum::Json(info))
}

/// The running preview of `id` for `user`, started from the current verified version.
pub async fn start_preview(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<crate::previews::PreviewInfo, Problem> {
    let tenant = state.db.tenant(&user.id);
    let version = chosen_version(&tenant, id, None).await?;
    if !version.verified {
        return Err(Problem::conflict(
            "the current version failed verification, so it is not previewed: see its test report",
        ));
    }
    let files = async {
        let stored = state.db.version_files_system(&version.id).await?;
        Ok::<_, apiforge_store::StoreError>(
            stored
                .into_iter()
                .map(|(file, content)| crate::pipeline::FileOut {
                    path: file.path,
                    contents: String::from_utf8_lossy(&content).into_owned(),
                    ownership: file.ownership.as_str().to_owned(),
                })
                .collect(),
        )
    };
    let manifest: serde_json::Value = serde_json::from_str(&version.manifest).unwrap_or_default();
    let roles = if manifest["auth"]["kind"] == "jwt" {
        manifest["auth"]["roles"]
            .as_array()
            .map(|roles| {
                roles
                    .iter()
                    .filter_map(|r| r.as_str().map(str::to_owned))
                    .collect()
            })
            .filter(|roles: &Vec<String>| !roles.is_empty())
            .unwrap_or_else(|| vec!["user".to_owned()])
    } else {
        Vec::new()
    };
    state
        .previews
        .ensure(id, version.number, roles, files)
        .await
        .map_err(|e| Problem::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string()))
}
