//! Health, Prometheus metrics, the sandbox audit trail (US-07) and jobs (status, the
//! dead-letter list, retry).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::CurrentUser;
use crate::extract::{ApiPath, ApiQuery};
use crate::metrics as names;
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(metrics_exposition))
        .routes(routes!(audit))
        .routes(routes!(get_job))
        .routes(routes!(retry_job))
        .routes(routes!(dead_jobs))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the database answers.
    pub status: String,
    /// `sqlite` or `postgres`.
    pub database: String,
    pub version: String,
    /// The LLM providers configured, in fallback order (`provider (model)`); empty: the
    /// built-in planner only, so `planner: "llm"` and prompt executions are unavailable.
    pub llm_providers: Vec<String>,
}

/// Liveness and database reachability.
#[utoipa::path(get, path = "/api/health", tag = "system",
    responses(
        (status = 200, description = "Healthy", body = Health),
        (status = 503, description = "The database does not answer", body = Problem, content_type = "application/problem+json"),
    ), security(()))]
async fn health(State(state): State<AppState>) -> ApiResult<axum::Json<Health>> {
    state.db.ping().await.map_err(|e| {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the database does not answer: {e}"),
        )
    })?;
    let database = match state.db.backend() {
        apiforge_store::Backend::Sqlite => "sqlite",
        apiforge_store::Backend::Postgres => "postgres",
    };
    Ok(axum::Json(Health {
        status: "ok".into(),
        database: database.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        llm_providers: state
            .llm
            .providers()
            .iter()
            .map(|p| format!("{} ({})", p.name(), p.model()))
            .collect(),
    }))
}

/// Prometheus exposition: generations by outcome, step durations, queue depth, sandbox runs.
#[utoipa::path(get, path = "/api/metrics", tag = "system",
    responses(
        (status = 200, description = "Prometheus text format", content_type = "text/plain"),
        (status = 503, description = "Metrics are not available in this process", body = Problem, content_type = "application/problem+json"),
    ), security(()))]
async fn metrics_exposition(State(state): State<AppState>) -> ApiResult<Response> {
    let handle = names::handle().ok_or_else(|| {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics are not recorded in this process",
        )
    })?;
    // The queue's depth is read at scrape time: it is the database's, not this process's.
    let depth = state.queue.queue_depth().await?;
    for job_state in apiforge_jobs::JobState::ALL {
        metrics::gauge!(names::QUEUE_DEPTH, "state" => job_state.as_str())
            .set(depth.get(job_state) as f64);
    }
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    )
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only the runs of this sandbox (container) id.
    pub sandbox_id: Option<String>,
    /// Only events of this project.
    pub project_id: Option<String>,
    /// At most this many, newest first (default 100, at most 1000).
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventInfo {
    pub id: String,
    pub at: i64,
    pub kind: String,
    pub sandbox_id: Option<String>,
    pub project_id: Option<String>,
    pub data: serde_json::Value,
}

/// Sandbox audit events of your projects (kept 30 days), filterable by sandbox id.
#[utoipa::path(get, path = "/api/audit", tag = "system", params(AuditQuery),
    responses(
        (status = 200, description = "Audit events, newest first", body = Vec<AuditEventInfo>),
        (status = 400, description = "Bad query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn audit(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> ApiResult<axum::Json<Vec<AuditEventInfo>>> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(Problem::bad_request("limit must be between 1 and 1000"));
    }
    let project_id = match &query.project_id {
        Some(id) => Some(crate::extract::project_id(id)?),
        None => None,
    };
    let filter = apiforge_store::AuditFilter {
        sandbox_id: query.sandbox_id.clone(),
        project_id,
        since: None,
        limit: Some(limit),
    };
    let events = state.db.tenant(&user.id).audit(&filter).await?;
    Ok(axum::Json(
        events
            .into_iter()
            .map(|e| AuditEventInfo {
                id: e.id.to_string(),
                at: e.at,
                kind: e.kind,
                sandbox_id: e.sandbox_id,
                project_id: e.project_id.map(|p| p.to_string()),
                data: serde_json::from_str(&e.data).unwrap_or(serde_json::Value::Null),
            })
            .collect(),
    ))
}

/// A job and its steps as JSON (what the status endpoints show).
pub async fn job_json(
    state: &AppState,
    id: &apiforge_jobs::JobId,
) -> Result<Option<serde_json::Value>, Problem> {
    let Some(job) = state.queue.job(id).await? else {
        return Ok(None);
    };
    let steps = state.queue.steps(id).await?;
    Ok(Some(serde_json::json!({
        "id": job.id.to_string(),
        "kind": job.kind,
        "state": job.state.as_str(),
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "last_error": job.last_error,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "result": job.result,
        "steps": steps.iter().map(|s| serde_json::json!({
            "name": s.name,
            "state": s.state.as_str(),
            "attempts": s.attempts,
            "started_at": s.started_at,
            "finished_at": s.finished_at,
            "error": s.error,
        })).collect::<Vec<_>>(),
    })))
}

/// A job with its steps.
#[utoipa::path(get, path = "/api/jobs/{id}", tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses(
        (status = 200, description = "The job", body = serde_json::Value),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such job that you can see", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn get_job(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<axum::Json<serde_json::Value>> {
    let job = crate::events::visible_job(&state, &user, &id).await?;
    let job = job_json(&state, &job.id)
        .await?
        .ok_or_else(|| Problem::not_found("the job is gone"))?;
    Ok(axum::Json(job))
}

/// Put a dead-lettered job back in the queue (finished steps are kept).
#[utoipa::path(post, path = "/api/jobs/{id}/retry", tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses(
        (status = 202, description = "Queued again", body = serde_json::Value),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such job that you can see", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The job is not dead-lettered", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn retry_job(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<(StatusCode, axum::Json<serde_json::Value>)> {
    let job = crate::events::visible_job(&state, &user, &id).await?;
    if let Some(project) = job
        .project_id
        .as_deref()
        .and_then(apiforge_store::ProjectId::parse)
    {
        let role = state
            .db
            .tenant(&user.id)
            .role(&project)
            .await?
            .ok_or_else(|| Problem::not_found("no such job"))?;
        if role < apiforge_store::Role::Editor {
            return Err(Problem::forbidden(
                "viewers cannot retry jobs: ask an owner or editor",
            ));
        }
    }
    if !state.queue.retry(&job.id).await? {
        return Err(Problem::conflict("only a dead-lettered job can be retried"));
    }
    let job = job_json(&state, &job.id).await?.unwrap_or_default();
    Ok((StatusCode::ACCEPTED, axum::Json(job)))
}

/// Your dead-lettered jobs (failed after every attempt).
#[utoipa::path(get, path = "/api/jobs/dead", tag = "jobs",
    responses(
        (status = 200, description = "Dead-lettered jobs", body = Vec<serde_json::Value>),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn dead_jobs(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<axum::Json<Vec<serde_json::Value>>> {
    let mut out = Vec::new();
    for job in state.queue.dead_jobs(1000).await? {
        if job.user_id.as_deref() == Some(user.id.as_str())
            && let Some(json) = job_json(&state, &job.id).await?
        {
            out.push(json);
        }
    }
    Ok(axum::Json(out))
}
