//! Job progress, streamed from the jobs' event table so any worker process's progress
//! reaches any server: Server-Sent Events (`/api/jobs/{id}/events`, resumable with
//! `Last-Event-ID`, a heartbeat comment every 5 s at most, US-05) and a WebSocket
//! (`/ws/jobs/{id}`, the same events as JSON text frames).

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use apiforge_jobs::{JobEvent, JobId};

use crate::auth::CurrentUser;
use crate::extract::ApiPath;
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;

/// The longest silence on a stream: a heartbeat follows (US-05 asks for 5 s).
pub const HEARTBEAT: Duration = Duration::from_secs(5);
/// How long a stream waits for news before checking again (events also wake it).
const POLL: Duration = Duration::from_millis(500);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(job_events))
}

/// The WebSocket route (not part of the OpenAPI document: OpenAPI cannot describe it).
pub fn ws_router() -> axum::Router<AppState> {
    axum::Router::new().route("/ws/jobs/{id}", axum::routing::get(job_socket))
}

/// One progress event as clients see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProgressEvent {
    pub id: i64,
    pub job_id: String,
    /// e.g. `enqueued`, `started`, `step_started`, `step_finished`, `step_reused`, `step_failed`, `retrying`, `succeeded`, `dead`.
    pub kind: String,
    pub at: i64,
    pub data: serde_json::Value,
}

fn progress(event: JobEvent) -> ProgressEvent {
    ProgressEvent {
        id: event.id,
        job_id: event.job_id.to_string(),
        kind: event.kind,
        at: event.at,
        data: event.data,
    }
}

/// The job, if the caller may see it: its project is visible to them (or, without a
/// project, it is theirs). Job tables have no row-level security: this is the check.
pub async fn visible_job(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<apiforge_jobs::Job, Problem> {
    let not_found = || Problem::not_found(format!("no job {id:?} that you can see"));
    let job_id = crate::extract::job_id(id)?;
    let job = state.queue.job(&job_id).await?.ok_or_else(not_found)?;
    let allowed = match job
        .project_id
        .as_deref()
        .and_then(apiforge_store::ProjectId::parse)
    {
        Some(project) => state.db.tenant(&user.id).project(&project).await?.is_some(),
        None => job.project_id.is_none() && job.user_id.as_deref() == Some(user.id.as_str()),
    };
    if allowed { Ok(job) } else { Err(not_found()) }
}

/// The job's events after `after`, ending once the job has finished and its last event
/// was sent.
fn events(state: AppState, job_id: JobId, mut after: i64) -> impl Stream<Item = ProgressEvent> {
    async_stream(move |tx| async move {
        loop {
            let batch = match state.queue.wait_for_events(&job_id, after, 100, POLL).await {
                Ok(batch) => batch,
                Err(error) => {
                    tracing::warn!(%error, %job_id, "reading job events failed");
                    return;
                }
            };
            if batch.is_empty() {
                match state.queue.job(&job_id).await {
                    Ok(Some(job)) if job.state.is_final() => {
                        // Events written before the final state are all in by now.
                        match state.queue.events_after(&job_id, after, 1000).await {
                            Ok(rest) => {
                                for event in rest {
                                    if tx.send(progress(event)).await.is_err() {
                                        return;
                                    }
                                }
                            }
                            Err(error) => {
                                tracing::warn!(%error, %job_id, "reading job events failed")
                            }
                        }
                        return;
                    }
                    Ok(Some(_)) => continue,
                    _ => return,
                }
            }
            for event in batch {
                after = event.id;
                if tx.send(progress(event)).await.is_err() {
                    return;
                }
            }
        }
    })
}

/// A stream fed by a task through a channel: simple and cancellation-safe (the task ends
/// when the client goes away and the channel closes).
fn async_stream<T, F, Fut>(producer: F) -> impl Stream<Item = T>
where
    T: Send + 'static,
    F: FnOnce(tokio::sync::mpsc::Sender<T>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    tokio::spawn(producer(tx));
    tokio_stream::wrappers::ReceiverStream::new(rx)
}

/// Progress of a job as Server-Sent Events: one event per step change, a heartbeat at
/// least every 5 s; the stream ends when the job has finished.
#[utoipa::path(get, path = "/api/jobs/{id}/events", tag = "jobs",
    params(("id" = String, Path, description = "Job id"),
           ("Last-Event-ID" = Option<i64>, Header, description = "Resume after this event")),
    responses(
        (status = 200, description = "An event stream; each `data:` is a ProgressEvent", content_type = "text/event-stream", body = ProgressEvent),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such job that you can see", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn job_events(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let job = visible_job(&state, &user, &id).await?;
    let after = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let stream = futures::StreamExt::map(events(state, job.id, after), |event| {
        Ok(Event::default()
            .id(event.id.to_string())
            .event(event.kind.clone())
            .json_data(&event)
            .unwrap_or_else(|_| Event::default().comment("unserialisable event")))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(HEARTBEAT).text("heartbeat")))
}

async fn job_socket(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    upgrade: WebSocketUpgrade,
) -> Response {
    match visible_job(&state, &user, &id).await {
        Ok(job) => upgrade.on_upgrade(move |socket| stream_socket(socket, state, job.id)),
        Err(problem) => problem.into_response(),
    }
}

async fn stream_socket(mut socket: WebSocket, state: AppState, id: JobId) {
    use futures::StreamExt;
    let mut events = std::pin::pin!(events(state, id, 0));
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    loop {
        tokio::select! {
            event = events.next() => {
                let Some(event) = event else { break };
                let Ok(text) = serde_json::to_string(&event) else { continue };
                if socket.send(Message::Text(text.into())).await.is_err() {
                    return;
                }
            }
            _ = heartbeat.tick() => {
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                    return;
                }
            }
            incoming = socket.recv() => {
                if matches!(incoming, None | Some(Err(_)) | Some(Ok(Message::Close(_)))) {
                    return;
                }
            }
        }
    }
    let _ = socket.send(Message::Close(None)).await;
}
