//! The prompt registry over HTTP (seeds/003, FormaOps): prompts with versions and typed
//! variables, executions queued as jobs with a priority and run against the configured LLM
//! providers, with latency, token usage and cost recorded and the output checked against the
//! version's rules. The planner's and fixer's own templates are built-in prompts, seeded at
//! start. Secrets are redacted from everything stored; inputs reach the worker sealed.

pub mod redact;
pub mod seal;
pub mod template;

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use apiforge_jobs::{Handler, JobCtx, JobError, NewJob};
use apiforge_store::{
    Db, Execution, ExecutionId, ExecutionOutcome, NewExecution, NewPrompt, NewPromptVersion,
    Priority, Prompt, PromptId, PromptVersion, Tenant,
};

use crate::auth::CurrentUser;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;
use template::{OutputRules, Variable};

/// The job kind of an execution.
pub const EXECUTE: &str = "prompt_execution";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_prompts, create_prompt))
        .routes(routes!(get_prompt, update_prompt, delete_prompt))
        .routes(routes!(prompt_versions))
        .routes(routes!(execute_prompt))
        .routes(routes!(list_executions))
        .routes(routes!(get_execution))
        .routes(routes!(retry_execution))
}

/// A prompt as written by its author: every update sends the whole prompt and makes a new
/// version.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromptBody {
    /// Unique among your prompts, at most 120 characters.
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// A minijinja template: `{{ variable }}`, `{% if … %}`, filters.
    pub template: String,
    #[serde(default)]
    pub variables: Vec<Variable>,
    #[serde(default)]
    pub output: OutputRules,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PromptInfo {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Built in (the planner's and fixer's templates): read-only.
    pub builtin: bool,
    pub current_version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionInfo {
    pub version: i64,
    pub template: String,
    pub variables: Vec<Variable>,
    pub output: OutputRules,
    pub created_at: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PromptDetail {
    #[serde(flatten)]
    pub prompt: PromptInfo,
    /// The current version.
    pub version: VersionInfo,
}

fn prompt_info(prompt: &Prompt) -> PromptInfo {
    PromptInfo {
        id: prompt.id.to_string(),
        name: prompt.name.clone(),
        description: prompt.description.clone(),
        builtin: prompt.owner_id.is_none(),
        current_version: prompt.current_version,
        created_at: prompt.created_at,
        updated_at: prompt.updated_at,
    }
}

/// A stored version's variables and rules (stored by this module, so parseable).
fn parts(version: &PromptVersion) -> (Vec<Variable>, OutputRules) {
    let variables = serde_json::from_str(&version.variables).unwrap_or_default();
    let rules = OutputRules {
        json_schema: version
            .output_schema
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok()),
        regex: version.output_regex.clone(),
        max_length: version.max_length,
    };
    (variables, rules)
}

fn version_info(version: &PromptVersion) -> VersionInfo {
    let (variables, output) = parts(version);
    VersionInfo {
        version: version.version,
        template: version.template.clone(),
        variables,
        output,
        created_at: version.created_at,
    }
}

/// Checks a prompt body and turns it into what the store keeps (the template redacted).
fn new_prompt(body: PromptBody) -> Result<NewPrompt, Problem> {
    let name = body.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 120 || name.chars().any(char::is_control) {
        return Err(Problem::unprocessable(
            "the name must be 1 to 120 characters without control characters",
        ));
    }
    if body.description.chars().count() > 2_000 {
        return Err(Problem::unprocessable(
            "the description must be at most 2,000 characters",
        ));
    }
    template::check_version(&body.template, &body.variables, &body.output)
        .map_err(Problem::unprocessable)?;
    let template = redact::redact(&body.template, &[]);
    let to_json = |value: &Value| serde_json::to_string(value).map_err(|e| Problem::internal(&e));
    Ok(NewPrompt {
        name,
        description: body.description,
        version: NewPromptVersion {
            template,
            variables: serde_json::to_string(&body.variables).map_err(|e| Problem::internal(&e))?,
            output_schema: body.output.json_schema.as_ref().map(to_json).transpose()?,
            output_regex: body.output.regex,
            max_length: body.output.max_length,
        },
    })
}

fn prompt_id(id: &str) -> Result<PromptId, Problem> {
    PromptId::parse(id).ok_or_else(|| Problem::not_found(format!("no prompt {id:?}")))
}

async fn detail(tenant: &Tenant, id: &PromptId) -> Result<PromptDetail, Problem> {
    let (prompt, version) = tenant
        .prompt(id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no prompt {id} that you can see")))?;
    Ok(PromptDetail {
        prompt: prompt_info(&prompt),
        version: version_info(&version),
    })
}

/// Your prompts and the built-in ones.
#[utoipa::path(get, path = "/api/prompts", tag = "prompts",
    responses(
        (status = 200, description = "Prompts, built-in first", body = Vec<PromptInfo>),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn list_prompts(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<axum::Json<Vec<PromptInfo>>> {
    let prompts = state.db.tenant(&user.id).prompts().await?;
    Ok(axum::Json(prompts.iter().map(prompt_info).collect()))
}

/// Create a prompt (version 1).
#[utoipa::path(post, path = "/api/prompts", tag = "prompts", request_body = PromptBody,
    responses(
        (status = 201, description = "Created", body = PromptDetail),
        (status = 400, description = "Malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "You have a prompt with that name", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid template, variables or rules", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn create_prompt(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<PromptBody>,
) -> ApiResult<(StatusCode, axum::Json<PromptDetail>)> {
    let tenant = state.db.tenant(&user.id);
    let created = tenant.create_prompt(&new_prompt(body)?).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(detail(&tenant, &created.id).await?),
    ))
}

/// A prompt with its current version.
#[utoipa::path(get, path = "/api/prompts/{id}", tag = "prompts",
    params(("id" = String, Path, description = "Prompt id")),
    responses(
        (status = 200, description = "The prompt", body = PromptDetail),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such prompt that you can see", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn get_prompt(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<axum::Json<PromptDetail>> {
    Ok(axum::Json(
        detail(&state.db.tenant(&user.id), &prompt_id(&id)?).await?,
    ))
}

/// Update a prompt: the template, variables and rules become a new version.
#[utoipa::path(put, path = "/api/prompts/{id}", tag = "prompts", request_body = PromptBody,
    params(("id" = String, Path, description = "Prompt id")),
    responses(
        (status = 200, description = "Updated (a new version)", body = PromptDetail),
        (status = 400, description = "Malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Built-in prompts are read-only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such prompt that you can see", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "You have another prompt with that name", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid template, variables or rules", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn update_prompt(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<PromptBody>,
) -> ApiResult<axum::Json<PromptDetail>> {
    let id = prompt_id(&id)?;
    let tenant = state.db.tenant(&user.id);
    tenant.update_prompt(&id, &new_prompt(body)?).await?;
    Ok(axum::Json(detail(&tenant, &id).await?))
}

/// Delete a prompt (its executions stay readable).
#[utoipa::path(delete, path = "/api/prompts/{id}", tag = "prompts",
    params(("id" = String, Path, description = "Prompt id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Built-in prompts are read-only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such prompt that you can see", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn delete_prompt(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    state
        .db
        .tenant(&user.id)
        .delete_prompt(&prompt_id(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every version of a prompt, oldest first.
#[utoipa::path(get, path = "/api/prompts/{id}/versions", tag = "prompts",
    params(("id" = String, Path, description = "Prompt id")),
    responses(
        (status = 200, description = "Versions", body = Vec<VersionInfo>),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such prompt that you can see", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn prompt_versions(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<axum::Json<Vec<VersionInfo>>> {
    let versions = state
        .db
        .tenant(&user.id)
        .prompt_versions(&prompt_id(&id)?)
        .await?;
    Ok(axum::Json(versions.iter().map(version_info).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecuteRequest {
    /// Values of the prompt's variables (defaults fill the rest).
    #[serde(default)]
    pub inputs: Map<String, Value>,
    /// The version to run (default: the current one).
    pub version: Option<i64>,
    /// `LOW`, `NORMAL` (default) or `HIGH`: the job queue's order.
    #[serde(default)]
    pub priority: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExecutionInfo {
    pub id: String,
    pub prompt_id: String,
    pub version: i64,
    /// `LOW`, `NORMAL` or `HIGH`.
    pub priority: String,
    /// queued, running, succeeded or failed.
    pub status: String,
    pub job_id: Option<String>,
    pub retry_of: Option<String>,
    /// The inputs given, secrets redacted.
    pub input: Value,
    /// The prompt as sent, secrets redacted.
    pub rendered: Option<String>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub output: Option<String>,
    pub latency_ms: Option<i64>,
    pub tokens_in: Option<i64>,
    pub tokens_out: Option<i64>,
    /// US dollars, from the configured price table (null when the model has no price).
    pub cost_usd: Option<f64>,
    pub error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

fn execution_info(execution: &Execution) -> ExecutionInfo {
    ExecutionInfo {
        id: execution.id.to_string(),
        prompt_id: execution.prompt_id.to_string(),
        version: execution.version,
        priority: execution.priority.as_str().to_ascii_uppercase(),
        status: execution.status.as_str().to_owned(),
        job_id: execution.job_id.clone(),
        retry_of: execution.retry_of.as_ref().map(ToString::to_string),
        input: serde_json::from_str(&execution.input).unwrap_or(Value::Null),
        rendered: execution.rendered.clone(),
        provider: execution.provider.clone(),
        model: execution.model.clone(),
        output: execution.output.clone(),
        latency_ms: execution.latency_ms,
        tokens_in: execution.tokens_in,
        tokens_out: execution.tokens_out,
        cost_usd: execution.cost_micros.map(|c| c as f64 / 1e6),
        error: execution.error.clone(),
        created_at: execution.created_at,
        finished_at: execution.finished_at,
    }
}

fn parse_priority(text: Option<&str>) -> Result<Priority, Problem> {
    match text {
        None => Ok(Priority::Normal),
        Some(text) => Priority::parse(&text.to_ascii_lowercase()).ok_or_else(|| {
            Problem::unprocessable(format!(
                "priority {text:?} is not known: use LOW, NORMAL or HIGH"
            ))
        }),
    }
}

/// What the worker needs: the execution and the inputs, sealed.
#[derive(Debug, Serialize, Deserialize)]
struct ExecutePayload {
    execution_id: String,
    sealed_inputs: String,
}

/// Validates inputs against `version`, stores a queued execution (inputs redacted) and
/// enqueues its job with the inputs sealed.
async fn queue_execution(
    state: &AppState,
    user: &CurrentUser,
    version: &PromptVersion,
    inputs: &Map<String, Value>,
    priority: Priority,
    retry_of: Option<ExecutionId>,
) -> Result<Execution, Problem> {
    if state.llm.is_builtin_only() {
        return Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no LLM provider is configured: start the server with APIFORGE_LLM_PROVIDER=ollama or openai (and APIFORGE_LLM_BASE_URL)",
        ));
    }
    let (variables, _) = parts(version);
    let values = template::resolve_inputs(&variables, inputs).map_err(Problem::unprocessable)?;
    // Rendering now turns a template error into this request's answer, not a failed job.
    template::render(&version.template, &values).map_err(Problem::unprocessable)?;
    let secrets = secret_values(&variables, &values);
    let known: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let mut stored = redact::redact_json(&Value::Object(inputs.clone()), &known);
    if let Value::Object(map) = &mut stored {
        for variable in variables.iter().filter(|v| v.secret) {
            if let Some(value) = map.get_mut(&variable.name) {
                *value = Value::String(redact::REDACTED.to_owned());
            }
        }
    }
    let tenant = state.db.tenant(&user.id);
    let execution = tenant
        .create_execution(&NewExecution {
            prompt_id: version.prompt_id.clone(),
            version: version.version,
            priority,
            input: stored.to_string(),
            retry_of,
        })
        .await?;
    let plain = serde_json::to_vec(inputs).map_err(|e| Problem::internal(&e))?;
    let sealed = seal::seal(&state.secret, &plain).map_err(|e| Problem::internal(&e))?;
    let payload = serde_json::to_value(ExecutePayload {
        execution_id: execution.id.to_string(),
        sealed_inputs: sealed,
    })
    .map_err(|e| Problem::internal(&e))?;
    let job = state
        .queue
        .enqueue(NewJob {
            kind: EXECUTE.to_owned(),
            payload,
            user_id: Some(user.id.to_string()),
            project_id: None,
            priority: priority.queue_priority(),
            max_attempts: state.config.worker.max_attempts,
            run_at: None,
        })
        .await?;
    state
        .db
        .set_execution_job(&execution.id, &job.to_string())
        .await?;
    Ok(tenant.execution(&execution.id).await?.unwrap_or(execution))
}

/// The string values of the variables declared secret (to redact wherever they appear).
fn secret_values(
    variables: &[Variable],
    values: &std::collections::BTreeMap<String, Value>,
) -> Vec<String> {
    variables
        .iter()
        .filter(|v| v.secret)
        .filter_map(|v| match values.get(&v.name) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Null) | None => None,
            Some(other) => Some(other.to_string()),
        })
        .collect()
}

/// Run a prompt: inputs are checked against its variables, the execution is queued with
/// its priority and runs against the configured LLM providers.
#[utoipa::path(post, path = "/api/prompts/{id}/execute", tag = "prompts",
    params(("id" = String, Path, description = "Prompt id")),
    request_body = ExecuteRequest,
    responses(
        (status = 202, description = "Queued: follow it at /api/executions/{id}", body = ExecutionInfo),
        (status = 400, description = "Malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such prompt or version", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Inputs do not fit the variables", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No LLM provider is configured", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn execute_prompt(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<ExecuteRequest>,
) -> ApiResult<(StatusCode, axum::Json<ExecutionInfo>)> {
    let id = prompt_id(&id)?;
    let priority = parse_priority(request.priority.as_deref())?;
    let tenant = state.db.tenant(&user.id);
    let version = match request.version {
        Some(number) => tenant
            .prompt_version(&id, number)
            .await?
            .ok_or_else(|| Problem::not_found(format!("the prompt has no version {number}")))?,
        None => {
            tenant
                .prompt(&id)
                .await?
                .ok_or_else(|| Problem::not_found(format!("no prompt {id} that you can see")))?
                .1
        }
    };
    let execution =
        queue_execution(&state, &user, &version, &request.inputs, priority, None).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(execution_info(&execution))))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExecutionsQuery {
    /// Only this prompt's executions.
    pub prompt_id: Option<String>,
    /// At most this many, newest first (1–500, default 50).
    pub limit: Option<i64>,
}

/// Your executions, newest first.
#[utoipa::path(get, path = "/api/executions", tag = "prompts", params(ExecutionsQuery),
    responses(
        (status = 200, description = "Executions", body = Vec<ExecutionInfo>),
        (status = 400, description = "Bad query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn list_executions(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<ExecutionsQuery>,
) -> ApiResult<axum::Json<Vec<ExecutionInfo>>> {
    let limit = query.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(Problem::bad_request("limit must be between 1 and 500"));
    }
    let prompt = query.prompt_id.as_deref().map(prompt_id).transpose()?;
    let executions = state
        .db
        .tenant(&user.id)
        .executions(prompt.as_ref(), limit)
        .await?;
    Ok(axum::Json(executions.iter().map(execution_info).collect()))
}

fn execution_id(id: &str) -> Result<ExecutionId, Problem> {
    ExecutionId::parse(id).ok_or_else(|| Problem::not_found(format!("no execution {id:?}")))
}

/// One execution: status, output, latency, tokens and cost.
#[utoipa::path(get, path = "/api/executions/{id}", tag = "prompts",
    params(("id" = String, Path, description = "Execution id")),
    responses(
        (status = 200, description = "The execution", body = ExecutionInfo),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such execution of yours", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn get_execution(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<axum::Json<ExecutionInfo>> {
    let execution = state
        .db
        .tenant(&user.id)
        .execution(&execution_id(&id)?)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no execution {id} of yours")))?;
    Ok(axum::Json(execution_info(&execution)))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryRequest {
    /// The inputs again: secret inputs are never stored, so a retry of an execution with
    /// secrets needs them (the others default to the stored ones).
    #[serde(default)]
    pub inputs: Map<String, Value>,
}

/// Run a failed execution again (same version, inputs and priority) as a new execution.
#[utoipa::path(post, path = "/api/executions/{id}/retry", tag = "prompts",
    params(("id" = String, Path, description = "Execution id")),
    request_body = RetryRequest,
    responses(
        (status = 202, description = "The new execution, queued", body = ExecutionInfo),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such execution of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Only failed executions are retried", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Inputs missing (secrets are not stored)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No LLM provider is configured", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn retry_execution(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<RetryRequest>,
) -> ApiResult<(StatusCode, axum::Json<ExecutionInfo>)> {
    let tenant = state.db.tenant(&user.id);
    let failed = tenant
        .execution(&execution_id(&id)?)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no execution {id} of yours")))?;
    if failed.status != apiforge_store::ExecutionStatus::Failed {
        return Err(Problem::conflict(format!(
            "the execution is {}: only failed executions are retried",
            failed.status.as_str()
        )));
    }
    let version = tenant
        .prompt_version(&failed.prompt_id, failed.version)
        .await?
        .ok_or_else(|| Problem::not_found("the execution's prompt was deleted"))?;
    let mut inputs = match serde_json::from_str::<Value>(&failed.input) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    // Redacted values are not values: they must be given again.
    inputs.retain(|_, v| v.as_str() != Some(redact::REDACTED));
    inputs.extend(request.inputs);
    let execution = queue_execution(
        &state,
        &user,
        &version,
        &inputs,
        failed.priority,
        Some(failed.id.clone()),
    )
    .await?;
    Ok((StatusCode::ACCEPTED, axum::Json(execution_info(&execution))))
}

/// Runs executions: render, call the provider chain with the output rules as the
/// validator (one repair round per provider), record the outcome.
#[derive(Clone)]
pub struct ExecuteHandler {
    pub db: Db,
    pub llm: Arc<apiforge_llm::Chain>,
    pub secret: Arc<str>,
}

impl std::fmt::Debug for ExecuteHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecuteHandler")
            .field("llm", &self.llm)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl Handler for ExecuteHandler {
    async fn run(&self, ctx: JobCtx) -> Result<Value, JobError> {
        let payload: ExecutePayload = ctx.payload()?;
        let id = ExecutionId::parse(&payload.execution_id)
            .ok_or_else(|| JobError::Permanent("the job names no valid execution".into()))?;
        let Some((execution, version)) = self.db.execution_system(&id).await.map_err(fail)? else {
            return Err(JobError::Permanent(format!("execution {id} is gone")));
        };
        if matches!(
            execution.status,
            apiforge_store::ExecutionStatus::Succeeded | apiforge_store::ExecutionStatus::Failed
        ) {
            return Ok(serde_json::json!({ "execution_id": id.to_string(), "already": true }));
        }
        self.db.start_execution(&id).await.map_err(fail)?;
        let outcome = self.execute(&version, &payload.sealed_inputs).await;
        let succeeded = outcome.succeeded;
        self.db
            .finish_execution(&id, &outcome)
            .await
            .map_err(fail)?;
        metrics::counter!(
            crate::metrics::PROMPT_EXECUTIONS,
            "outcome" => if succeeded { "succeeded" } else { "failed" }
        )
        .increment(1);
        Ok(serde_json::json!({ "execution_id": id.to_string(), "succeeded": succeeded }))
    }
}

fn fail(error: apiforge_store::StoreError) -> JobError {
    JobError::Failed(error.to_string())
}

impl ExecuteHandler {
    async fn execute(&self, version: &PromptVersion, sealed: &str) -> ExecutionOutcome {
        let failed = |error: String| ExecutionOutcome {
            error: Some(error),
            ..ExecutionOutcome::default()
        };
        let inputs: Map<String, Value> = match seal::open(&self.secret, sealed)
            .map_err(|e| e.to_string())
            .and_then(|plain| serde_json::from_slice(&plain).map_err(|e| e.to_string()))
        {
            Ok(inputs) => inputs,
            Err(error) => return failed(error),
        };
        let (variables, rules) = parts(version);
        let values = match template::resolve_inputs(&variables, &inputs) {
            Ok(values) => values,
            Err(error) => return failed(error),
        };
        let rendered = match template::render(&version.template, &values) {
            Ok(rendered) => rendered,
            Err(error) => return failed(error),
        };
        let secrets = secret_values(&variables, &values);
        let known: Vec<&str> = secrets.iter().map(String::as_str).collect();
        let mut request =
            apiforge_llm::ChatRequest::new(vec![apiforge_llm::Message::user(rendered.clone())]);
        if let Some(schema) = &rules.json_schema {
            request = request.with_schema("output", schema.clone());
        }
        let answer = self
            .llm
            .chat_validated(&request, |output| template::check_output(&rules, output))
            .await;
        let rendered = Some(redact::redact(&rendered, &known));
        match answer {
            Ok(success) => {
                let response = success.response;
                ExecutionOutcome {
                    succeeded: true,
                    rendered,
                    provider: Some(response.provider),
                    model: Some(response.model),
                    output: Some(redact::redact(&response.content, &known)),
                    latency_ms: i64::try_from(response.latency.as_millis()).ok(),
                    tokens_in: i64::try_from(response.usage.prompt_tokens).ok(),
                    tokens_out: i64::try_from(response.usage.completion_tokens).ok(),
                    cost_micros: response.cost_usd.map(|usd| (usd * 1e6).round() as i64),
                    error: None,
                }
            }
            Err(error) => ExecutionOutcome {
                rendered,
                error: Some(redact::redact(&error.summary(), &known)),
                ..ExecutionOutcome::default()
            },
        }
    }
}
