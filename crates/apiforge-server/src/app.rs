//! Assembling the server: state, routes, middleware, the embedded worker, and graceful
//! shutdown (stop accepting, let in-flight requests and steps finish or release them).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tokio_util::sync::CancellationToken;
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use apiforge_jobs::{Backoff, Queue, Registry, Worker, WorkerConfig};
use apiforge_store::Db;

use crate::auth::CurrentUser;
use crate::config::{MAX_BODY_BYTES, ServerConfig};
use crate::extract::ApiPath;
use crate::generation::{GENERATE, GenerateHandler};
use crate::mail::Mailer;
use crate::openapi::ApiDoc;
use crate::previews::Previews;
use crate::problem::Problem;
use crate::state::AppState;
use crate::tokens::JwtKeys;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Store(#[from] apiforge_store::StoreError),
    #[error(transparent)]
    Jobs(#[from] apiforge_jobs::QueueError),
    #[error(transparent)]
    Mail(#[from] crate::mail::MailError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the server key file {path}: {source}")]
    Secret {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("serving failed: {0}")]
    Serve(std::io::Error),
    #[error("LLM providers: {0}")]
    Llm(#[from] apiforge_llm::LlmError),
}

/// Every documented route.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(crate::auth::router())
        .merge(crate::projects::router())
        .merge(crate::export::router())
        .merge(crate::sharing::router())
        .merge(crate::registry::router())
        .merge(crate::events::router())
        .merge(crate::system::router())
}

/// A server ready to serve.
#[derive(Debug)]
pub struct Server {
    state: AppState,
    listener: tokio::net::TcpListener,
}

impl Server {
    /// Opens the database (migrating it), reads or creates the server key and binds.
    pub async fn bind(config: ServerConfig) -> Result<Self, ServerError> {
        let db = Db::open(&config.database_url()).await?;
        let secret = match &config.secret {
            Some(secret) => secret.clone(),
            None => load_or_create_secret(&config.data_dir)?,
        };
        let queue = Queue::new(db.clone());
        let audit: Arc<dyn apiforge_sandbox::AuditSink> =
            Arc::new(crate::audit::DbAudit::new(db.clone(), None, None));
        let previews = Previews::new(config.data_dir.clone(), config.preview_idle, Some(audit));
        let mailer = Mailer::new(config.smtp.as_ref())?;
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|source| ServerError::Listen {
                addr: config.addr,
                source,
            })?;
        crate::metrics::handle();
        let user_limits = crate::limits::UserLimits::new(config.user_rate);
        let llm = Arc::new(apiforge_llm::Chain::from_config(&config.llm)?);
        crate::seed::builtin_prompts(&db).await?;
        Ok(Self {
            state: AppState {
                db,
                queue,
                keys: JwtKeys::new(&secret),
                secret: secret.into(),
                config: Arc::new(config),
                mailer,
                previews,
                user_limits,
                llm,
            },
            listener,
        })
    }

    /// Where it listens.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serves until `shutdown` is cancelled, with the embedded worker when configured.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), ServerError> {
        let state = self.state;
        let mut tasks = tokio::task::JoinSet::new();
        if state.config.embedded_worker {
            let worker = worker(
                &state.db,
                &state.queue,
                &state.config,
                state.llm.clone(),
                state.secret.clone(),
            );
            let token = shutdown.clone();
            tasks.spawn(async move { worker.run(token).await });
        }
        tasks.spawn(
            state
                .previews
                .clone()
                .reap(Duration::from_secs(30), shutdown.clone()),
        );
        tasks.spawn(housekeeping(state.clone(), shutdown.clone()));
        let app = router(state.clone());
        tracing::info!(addr = ?self.listener.local_addr().ok(), "serving");
        let served = axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown({
            let token = shutdown.clone();
            async move { token.cancelled().await }
        })
        .await;
        shutdown.cancel();
        while tasks.join_next().await.is_some() {}
        state.db.close().await;
        served.map_err(ServerError::Serve)
    }
}

/// Runs only a worker (`apiforge worker`) until `shutdown`.
pub async fn run_worker(
    config: ServerConfig,
    shutdown: CancellationToken,
) -> Result<(), ServerError> {
    let db = Db::open(&config.database_url()).await?;
    let secret: Arc<str> = match &config.secret {
        Some(secret) => secret.as_str().into(),
        None => load_or_create_secret(&config.data_dir)?.into(),
    };
    let llm = Arc::new(apiforge_llm::Chain::from_config(&config.llm)?);
    let queue = Queue::new(db.clone());
    crate::metrics::handle();
    worker(&db, &queue, &config, llm, secret)
        .run(shutdown)
        .await;
    db.close().await;
    Ok(())
}

fn worker(
    db: &Db,
    queue: &Queue,
    config: &ServerConfig,
    llm: Arc<apiforge_llm::Chain>,
    secret: Arc<str>,
) -> Worker {
    let mut registry = Registry::new();
    registry.register(
        GENERATE,
        GenerateHandler {
            db: db.clone(),
            data_dir: config.data_dir.clone(),
            llm: llm.clone(),
        },
    );
    registry.register(
        crate::registry::EXECUTE,
        crate::registry::ExecuteHandler {
            db: db.clone(),
            llm,
            secret,
        },
    );
    let settings = &config.worker;
    Worker::new(
        queue.clone(),
        WorkerConfig {
            worker_id: format!("{}-{}", hostname(), std::process::id()),
            concurrency: settings.concurrency,
            lease: settings.lease,
            heartbeat: settings.lease / 3,
            poll: Duration::from_secs(1),
            per_user_limit: settings.per_user_limit,
            backoff: Backoff::default(),
            grace: Duration::from_secs(20),
        },
        registry,
    )
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "worker".to_owned())
}

/// Hourly: keeps the audit trail at its retention (US-07: 30 days), compacts finished
/// jobs older than the job retention (their events and step outputs; versions hold the
/// results) and forgets the rate buckets of users who went quiet.
async fn housekeeping(state: AppState, shutdown: CancellationToken) {
    let ago = |age: Duration| {
        apiforge_store::now_ms() - i64::try_from(age.as_millis()).unwrap_or(i64::MAX)
    };
    loop {
        state.user_limits.prune();
        if let Err(error) = state
            .db
            .prune_audit(ago(state.config.audit_retention))
            .await
        {
            tracing::warn!(%error, "pruning the audit trail failed");
        }
        match state.queue.compact(ago(state.config.job_retention)).await {
            Ok((0, 0)) => {}
            Ok((events, outputs)) => {
                tracing::info!(events, outputs, "compacted finished jobs");
            }
            Err(error) => tracing::warn!(%error, "compacting finished jobs failed"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(3600)) => {}
        }
    }
}

/// The server key: `<data_dir>/secret.key`, created (0600) with a random value on first use.
fn load_or_create_secret(data_dir: &Path) -> Result<String, ServerError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = data_dir.join("secret.key");
    let error = |source| ServerError::Secret {
        path: path.display().to_string(),
        source,
    };
    if let Ok(secret) = std::fs::read_to_string(&path)
        && secret.trim().len() >= 32
    {
        return Ok(secret.trim().to_owned());
    }
    std::fs::create_dir_all(data_dir).map_err(error)?;
    let secret = crate::tokens::random_secret();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .map_err(error)?;
    file.write_all(secret.as_bytes()).map_err(error)?;
    Ok(secret)
}

/// The whole HTTP surface with its middleware.
pub fn router(state: AppState) -> Router {
    let (api, mut openapi) = api_router().split_for_parts();
    crate::openapi::finish(&mut openapi);
    let governor = state.config.ip_rate.and_then(|rate| {
        GovernorConfigBuilder::default()
            .per_millisecond((1000 / rate.per_second.max(1)).max(1))
            .burst_size(rate.burst.max(1))
            .finish()
    });
    let mut api = api.with_state(state.clone());
    if let Some(governor) = governor {
        api = api.layer(GovernorLayer::new(governor).error_handler(|error| {
            use tower_governor::GovernorError;
            match error {
                GovernorError::TooManyRequests { wait_time, .. } => Problem::too_many_requests(
                    format!("too many requests from your address: retry in {wait_time} s"),
                    wait_time,
                )
                .into_response(),
                other => Problem::internal(&format!("{other:?}")).into_response(),
            }
        }));
    }
    Router::new()
        .merge(api)
        .merge(crate::events::ws_router().with_state(state.clone()))
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", openapi))
        .merge(crate::ui::router())
        .route("/p/{project}", axum::routing::any(preview_root))
        .route("/p/{project}/", axum::routing::any(preview_proxy_root))
        .route("/p/{project}/{*rest}", axum::routing::any(preview_proxy))
        .with_state(state)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(count_requests))
}

async fn count_requests(request: Request, next: axum::middleware::Next) -> Response {
    let response = next.run(request).await;
    let class = match response.status().as_u16() {
        100..=399 => "ok",
        400..=499 => "4xx",
        _ => "5xx",
    };
    metrics::counter!(crate::metrics::HTTP_REQUESTS, "class" => class).increment(1);
    response
}

async fn not_found(request: Request) -> Problem {
    Problem::not_found(format!(
        "no route {} {}: see /api/docs",
        request.method(),
        request.uri().path()
    ))
}

async fn method_not_allowed(request: Request) -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "{} is not allowed on {}: see /api/docs",
            request.method(),
            request.uri().path()
        ),
    )
}

async fn preview_root(ApiPath(project): ApiPath<String>) -> Response {
    axum::response::Redirect::permanent(&format!("/p/{project}/docs")).into_response()
}

async fn preview_proxy_root(
    State(state): State<AppState>,
    ApiPath(project): ApiPath<String>,
    request: Request<Body>,
) -> Response {
    forward(state, project, request).await
}

async fn preview_proxy(
    State(state): State<AppState>,
    ApiPath((project, _rest)): ApiPath<(String, String)>,
    request: Request<Body>,
) -> Response {
    forward(state, project, request).await
}

/// Forwards to the project's preview (started on first use), with the `/p/{project}` prefix
/// stripped: the app runs with that root path and puts it back in its links.
async fn forward(state: AppState, project: String, mut request: Request<Body>) -> Response {
    let user = match crate::auth::preview_user(&state, request.headers()).await {
        Ok(user) => user,
        Err(problem) => return problem.into_response(),
    };
    let addr = match state.previews.running(&project).await {
        // Still check access: a running preview is not a reason to show it to others.
        Some((addr, _)) if visible(&state, &user, &project).await => addr,
        _ => match crate::projects::start_preview(&state, &user, &project).await {
            Ok(_) => match state.previews.running(&project).await {
                Some((addr, _)) => addr,
                None => {
                    return Problem::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "the preview stopped while starting",
                    )
                    .into_response();
                }
            },
            Err(problem) => return problem.into_response(),
        },
    };
    let prefix = format!("/p/{project}");
    let path_and_query = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .strip_prefix(&prefix)
        .map(|rest| {
            if rest.is_empty() || rest.starts_with('?') {
                format!("/{rest}")
            } else {
                rest.to_owned()
            }
        })
        .unwrap_or_else(|| "/".to_owned());
    match path_and_query.parse() {
        Ok(uri) => *request.uri_mut() = uri,
        Err(_) => return Problem::bad_request("the path cannot be forwarded").into_response(),
    }
    // The forge's own credentials stay with the forge.
    request.headers_mut().remove(axum::http::header::COOKIE);
    request
        .headers_mut()
        .remove(crate::auth::PREVIEW_CREDENTIAL_HEADER);
    state.previews.forward(addr, request).await
}

async fn visible(state: &AppState, user: &CurrentUser, project: &str) -> bool {
    match apiforge_store::ProjectId::parse(project) {
        Some(id) => matches!(state.db.tenant(&user.id).project(&id).await, Ok(Some(_))),
        None => false,
    }
}
