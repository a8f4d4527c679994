//! What the server is told at start: where it listens, its database, its data directory,
//! mail, secrets and limits. The binary fills it from flags and the environment.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Input limits of the API (the numbers; each answered with a problem when exceeded).
pub const MAX_PROMPT_CHARS: usize = 20_000;
/// Largest CSV upload.
pub const MAX_CSV_BYTES: usize = 5 * 1024 * 1024;
/// Largest request body of any kind (a CSV in a multipart form plus its envelope).
pub const MAX_BODY_BYTES: usize = MAX_CSV_BYTES + 256 * 1024;

/// SMTP settings; without them magic links are written to the server log for the operator.
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    /// `smtp://host:port` (plain, for a local relay) or `smtps://…` / `smtp://…?tls=required`.
    pub url: String,
    pub from: String,
}

/// The server's settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub addr: SocketAddr,
    /// Holds the prepared runtimes (and the SQLite file unless `database_url` says otherwise).
    pub data_dir: PathBuf,
    /// `postgres://…` or `sqlite://PATH`; `None`: `<data_dir>/apiforge.db`.
    pub database_url: Option<String>,
    /// The address users reach the server at, for links in mails (default `http://{addr}`).
    pub public_url: Option<String>,
    /// Signs session JWTs and derives token hashes; every server of one deployment needs the
    /// same one. `None`: a random key kept in `<data_dir>/secret.key`.
    pub secret: Option<String>,
    pub smtp: Option<SmtpConfig>,
    /// How long a magic link / code stays valid.
    pub login_ttl: Duration,
    /// How long a session lasts.
    pub session_ttl: Duration,
    /// Run a worker inside the server process (`serve` does; tests may not).
    pub embedded_worker: bool,
    pub worker: WorkerSettings,
    /// Requests per second and burst per client IP on the API (`None`: unlimited).
    pub ip_rate: Option<RateSettings>,
    /// Requests per second and burst per signed-in user, from any address (`None`:
    /// unlimited).
    pub user_rate: Option<RateSettings>,
    /// Login requests allowed per e-mail address per 15 minutes.
    pub logins_per_email: u32,
    /// A preview unused this long is stopped.
    pub preview_idle: Duration,
    /// How long sandbox audit events are kept.
    pub audit_retention: Duration,
    /// How long a finished job keeps its progress events and step outputs.
    pub job_retention: Duration,
    /// LLM providers (prompt executions; builtin: none).
    pub llm: apiforge_llm::LlmConfig,
}

/// The embedded (or stand-alone) worker's settings.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub concurrency: usize,
    pub per_user_limit: u32,
    pub max_attempts: u32,
    pub lease: Duration,
}

/// A token bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateSettings {
    pub per_second: u64,
    pub burst: u32,
}

impl ServerConfig {
    /// Defaults for everything but where to listen and the data directory.
    pub fn new(addr: SocketAddr, data_dir: PathBuf) -> Self {
        Self {
            addr,
            data_dir,
            database_url: None,
            public_url: None,
            secret: None,
            smtp: None,
            login_ttl: Duration::from_secs(15 * 60),
            session_ttl: Duration::from_secs(30 * 86_400),
            embedded_worker: true,
            worker: WorkerSettings::default(),
            ip_rate: Some(RateSettings {
                per_second: 50,
                burst: 400,
            }),
            user_rate: Some(RateSettings {
                per_second: 20,
                burst: 200,
            }),
            logins_per_email: 5,
            preview_idle: Duration::from_secs(15 * 60),
            audit_retention: Duration::from_secs(30 * 86_400),
            job_retention: Duration::from_secs(30 * 86_400),
            llm: apiforge_llm::LlmConfig::default(),
        }
    }

    /// The database URL actually used.
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}",
                self.data_dir.join(apiforge_store::SQLITE_FILE).display()
            )
        })
    }
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            // Verification is CPU-bound: one job per core of a 2-core machine.
            concurrency: 2,
            per_user_limit: 2,
            max_attempts: 3,
            lease: Duration::from_secs(30),
        }
    }
}
