//! Live previews (US-08): a verified version's app runs in the sandbox behind the server at
//! `/p/{project}/…`, started on first use and stopped after an idle timeout. When the API
//! has auth, the app gets a per-preview `JWT_SECRET` and the server mints a token for it, so
//! Swagger UI's "Try it" works with a valid JWT.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use apiforge_runtime::{Preview, PreviewOptions, PythonRuntime};
use apiforge_sandbox::AuditSink;
use axum::body::Body;
use axum::http::{HeaderValue, Request, Response, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::Serialize;
use tokio::sync::Mutex;

use crate::metrics as names;
use crate::pipeline::{self, FileOut};

/// A running preview of one project version.
struct Live {
    version: i64,
    addr: SocketAddr,
    token: Option<String>,
    last_used: AtomicI64,
    preview: std::sync::Mutex<Option<Preview>>,
    // The project's files on the host; removed when the preview goes.
    _dir: tempfile::TempDir,
}

/// What the API tells about a running preview.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PreviewInfo {
    /// Path of the preview on this server (`/p/{project}/`).
    pub path: String,
    pub docs: String,
    pub version: i64,
    /// A bearer token the previewed API accepts (every role), when it has auth.
    pub token: Option<String>,
}

/// Why a preview could not be served.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    #[error("no prepared Python runtime: run `apiforge runtimes install` on the server ({0})")]
    Runtime(String),
    #[error("the preview did not start: {0}")]
    Start(String),
}

/// All live previews of this server process.
#[derive(Clone)]
pub struct Previews {
    live: Arc<Mutex<HashMap<String, Arc<Live>>>>,
    data_dir: PathBuf,
    idle: Duration,
    audit: Option<Arc<dyn AuditSink>>,
    client: Client<HttpConnector, Body>,
}

impl std::fmt::Debug for Previews {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Previews")
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

impl Previews {
    pub fn new(data_dir: PathBuf, idle: Duration, audit: Option<Arc<dyn AuditSink>>) -> Self {
        Self {
            live: Arc::default(),
            data_dir,
            idle,
            audit,
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    /// The running preview of `project` at `version`, started from `files` if needed
    /// (`roles` non-empty: the API has auth; a token with all of them is minted). `files`
    /// is only awaited when the preview has to start, so a running one costs no reads.
    pub async fn ensure<E: std::fmt::Display>(
        &self,
        project: &str,
        version: i64,
        roles: Vec<String>,
        files: impl Future<Output = Result<Vec<FileOut>, E>> + Send,
    ) -> Result<PreviewInfo, PreviewError> {
        let mut live = self.live.lock().await;
        if let Some(running) = live.get(project)
            && running.version == version
        {
            running
                .last_used
                .store(apiforge_store::now_ms(), Ordering::Relaxed);
            return Ok(info(project, running));
        }
        if let Some(old) = live.remove(project) {
            stop(old).await;
        }
        let files = files
            .await
            .map_err(|e| PreviewError::Start(format!("reading the version's files: {e}")))?;
        let data_dir = self.data_dir.clone();
        let audit = self.audit.clone();
        let root_path = format!("/p/{project}");
        let started =
            tokio::task::spawn_blocking(move || start(&data_dir, &files, audit, root_path, roles))
                .await
                .map_err(|e| PreviewError::Start(e.to_string()))??;
        let running = Arc::new(Live {
            version,
            addr: started.preview.addr(),
            token: started.token,
            last_used: AtomicI64::new(apiforge_store::now_ms()),
            preview: std::sync::Mutex::new(Some(started.preview)),
            _dir: started.dir,
        });
        let shown = info(project, &running);
        live.insert(project.to_owned(), running);
        metrics::gauge!(names::PREVIEWS_RUNNING).set(live.len() as f64);
        Ok(shown)
    }

    /// The running preview of `project`, if any (marks it used).
    pub async fn running(&self, project: &str) -> Option<(SocketAddr, i64)> {
        let live = self.live.lock().await;
        live.get(project).map(|running| {
            running
                .last_used
                .store(apiforge_store::now_ms(), Ordering::Relaxed);
            (running.addr, running.version)
        })
    }

    /// Forwards `request` (path already stripped of nothing: the app knows its root path)
    /// to the preview at `addr`.
    pub async fn forward(&self, addr: SocketAddr, mut request: Request<Body>) -> Response<Body> {
        let path = request
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        let uri = format!("http://{addr}{path}");
        match uri.parse::<Uri>() {
            Ok(uri) => *request.uri_mut() = uri,
            Err(_) => return bad_gateway("the request path cannot be forwarded"),
        }
        if let Ok(host) = HeaderValue::from_str(&addr.to_string()) {
            request.headers_mut().insert(axum::http::header::HOST, host);
        }
        match self.client.request(request).await {
            Ok(response) => response.map(Body::new),
            Err(e) => bad_gateway(&format!("the preview did not answer: {e}")),
        }
    }

    /// Stops previews unused for longer than the idle timeout.
    pub async fn stop_idle(&self) {
        let cutoff =
            apiforge_store::now_ms() - i64::try_from(self.idle.as_millis()).unwrap_or(i64::MAX);
        let mut live = self.live.lock().await;
        let idle: Vec<String> = live
            .iter()
            .filter(|(_, running)| running.last_used.load(Ordering::Relaxed) < cutoff)
            .map(|(project, _)| project.clone())
            .collect();
        for project in idle {
            if let Some(running) = live.remove(&project) {
                tracing::info!(project, "stopping an idle preview");
                stop(running).await;
            }
        }
        metrics::gauge!(names::PREVIEWS_RUNNING).set(live.len() as f64);
    }

    /// Stops the preview of `project`, if one runs (the project was deleted).
    pub async fn stop(&self, project: &str) {
        let mut live = self.live.lock().await;
        if let Some(running) = live.remove(project) {
            stop(running).await;
        }
        metrics::gauge!(names::PREVIEWS_RUNNING).set(live.len() as f64);
    }

    /// Stops every preview (shutdown).
    pub async fn stop_all(&self) {
        let mut live = self.live.lock().await;
        for (_, running) in live.drain() {
            stop(running).await;
        }
        metrics::gauge!(names::PREVIEWS_RUNNING).set(0.0);
    }

    /// Runs [`Previews::stop_idle`] every `every` until `shutdown`.
    pub async fn reap(self, every: Duration, shutdown: tokio_util::sync::CancellationToken) {
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(every) => self.stop_idle().await,
            }
        }
        self.stop_all().await;
    }
}

fn info(project: &str, running: &Live) -> PreviewInfo {
    PreviewInfo {
        path: format!("/p/{project}/"),
        docs: format!("/p/{project}/docs"),
        version: running.version,
        token: running.token.clone(),
    }
}

fn bad_gateway(detail: &str) -> Response<Body> {
    use axum::response::IntoResponse;
    crate::problem::Problem::new(axum::http::StatusCode::BAD_GATEWAY, detail).into_response()
}

async fn stop(running: Arc<Live>) {
    let preview = running.preview.lock().ok().and_then(|mut p| p.take());
    if let Some(preview) = preview {
        let _ = tokio::task::spawn_blocking(move || preview.stop()).await;
        metrics::counter!(names::SANDBOX_RUNS, "kind" => "preview", "outcome" => "stopped")
            .increment(1);
    }
}

struct Started {
    preview: Preview,
    token: Option<String>,
    dir: tempfile::TempDir,
}

fn start(
    data_dir: &std::path::Path,
    files: &[FileOut],
    audit: Option<Arc<dyn AuditSink>>,
    root_path: String,
    roles: Vec<String>,
) -> Result<Started, PreviewError> {
    let runtime =
        PythonRuntime::find(data_dir).map_err(|e| PreviewError::Runtime(e.to_string()))?;
    let dir = tempfile::tempdir().map_err(|e| PreviewError::Start(e.to_string()))?;
    pipeline::write_files(dir.path(), files).map_err(|e| PreviewError::Start(e.to_string()))?;
    let mut options = PreviewOptions {
        audit,
        root_path: Some(root_path),
        ..PreviewOptions::default()
    };
    let token = if roles.is_empty() {
        None
    } else {
        let secret = crate::tokens::random_secret();
        options.env.insert("JWT_SECRET".to_owned(), secret.clone());
        Some(preview_token(&secret, roles).map_err(|e| PreviewError::Start(e.to_string()))?)
    };
    let preview = Preview::start_with(
        dir.path(),
        &runtime,
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        &options,
    )
    .map_err(|e| PreviewError::Start(e.to_string()))?;
    metrics::counter!(names::SANDBOX_RUNS, "kind" => "preview", "outcome" => "started")
        .increment(1);
    Ok(Started {
        preview,
        token,
        dir,
    })
}

/// A token the generated app accepts: its claims are `sub`, `roles`, `iat`, `exp` (HS256).
fn preview_token(secret: &str, roles: Vec<String>) -> Result<String, jsonwebtoken::errors::Error> {
    #[derive(Serialize)]
    struct Claims {
        sub: &'static str,
        roles: Vec<String>,
        iat: i64,
        exp: i64,
    }
    let now = apiforge_store::now_ms() / 1000;
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &Claims {
            sub: "preview",
            roles,
            iat: now,
            exp: now + 86_400,
        },
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
}
