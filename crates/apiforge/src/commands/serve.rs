//! `apiforge serve` and the pieces `apiforge worker` shares with it: settings from flags and
//! the environment, logs, the prepared runtime, a Tokio runtime, and shutdown on Ctrl-C or
//! SIGTERM.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;
use apiforge_server::{Server, ServerConfig, SmtpConfig};
use tokio_util::sync::CancellationToken;

use crate::cli::{ServeArgs, StorageArgs};
use crate::exit::BadInput;
use crate::output::eprint_line;
use crate::settings;

pub fn run(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    if args.openapi {
        crate::output::print_line(&apiforge_server::openapi_json());
        return Ok(ExitCode::SUCCESS);
    }
    let addr: SocketAddr = args.addr.parse().map_err(|_| {
        BadInput(format!(
            "--addr {:?} is not an address: give IP:PORT, e.g. 127.0.0.1:8080",
            args.addr
        ))
    })?;
    let mut config = config(addr, &args.storage)?;
    config.embedded_worker = !args.no_worker;
    config.public_url = args.public_url.clone();
    if config.embedded_worker {
        super::runtimes::ensure_in(&config.data_dir, false)?;
    }
    init_logs();
    runtime()?.block_on(async move {
        let server = Server::bind(config).await.map_err(server_error)?;
        if let Some(addr) = server.local_addr() {
            eprint_line(&format!(
                "serving on http://{addr} (API docs: http://{addr}/api/docs); Ctrl-C stops"
            ));
        }
        let shutdown = CancellationToken::new();
        tokio::spawn(stop_on_signal(shutdown.clone()));
        server.run(shutdown).await.map_err(server_error)?;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// A start-up failure: the database URL, the address or the data directory is the
/// operator's to fix (exit 2).
pub(crate) fn server_error(error: apiforge_server::ServerError) -> anyhow::Error {
    BadInput(error.to_string()).into()
}

/// The settings shared by `serve` and `worker`.
pub(crate) fn config(addr: SocketAddr, storage: &StorageArgs) -> anyhow::Result<ServerConfig> {
    let data_dir = match &storage.data_dir {
        Some(dir) => dir.clone(),
        None => settings::data_dir()?,
    };
    let mut config = ServerConfig::new(addr, data_dir);
    config.database_url = storage
        .database_url
        .clone()
        .filter(|u| !u.trim().is_empty());
    if let Some(url) = &config.database_url {
        let known = ["postgres://", "postgresql://", "sqlite:"];
        if !known.iter().any(|prefix| url.starts_with(prefix)) {
            return Err(BadInput(format!(
                "--database-url must start with postgres://, postgresql:// or sqlite:// (got {:?})",
                url.split(':').next().unwrap_or_default()
            ))
            .into());
        }
    }
    config.secret = settings::var(settings::ENV_SECRET);
    if let Some(url) = settings::var(settings::ENV_SMTP_URL) {
        let from = settings::var(settings::ENV_SMTP_FROM).ok_or_else(|| {
            BadInput(format!(
                "{} is set but {} is not: give the sender address of sign-in mails",
                settings::ENV_SMTP_URL,
                settings::ENV_SMTP_FROM
            ))
        })?;
        config.smtp = Some(SmtpConfig { url, from });
    }
    if let Some(concurrency) = storage.concurrency {
        if concurrency == 0 {
            return Err(BadInput("--concurrency must be at least 1".into()).into());
        }
        config.worker.concurrency = concurrency;
    }
    if let Some(lease) = storage.lease {
        if !(3..=3600).contains(&lease) {
            return Err(BadInput(format!(
                "--lease {lease} is out of range: give 3 to 3600 seconds"
            ))
            .into());
        }
        config.worker.lease = std::time::Duration::from_secs(lease);
    }
    config.audit_retention = settings::audit_retention()?;
    // LLM providers: the APIFORGE_LLM_* variables (names in apiforge_llm::env).
    config.llm =
        apiforge_llm::LlmConfig::from_env(settings::var).map_err(|e| BadInput(e.to_string()))?;
    if let Some(rate) = settings::rate(settings::ENV_IP_RATE)? {
        config.ip_rate = rate;
    }
    if let Some(rate) = settings::rate(settings::ENV_USER_RATE)? {
        config.user_rate = rate;
    }
    Ok(config)
}

/// Logs on stderr: human-readable, or JSON with `APIFORGE_LOG_FORMAT=json`.
pub(crate) fn init_logs() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env(settings::ENV_LOG)
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let json = settings::var(settings::ENV_LOG_FORMAT).is_some_and(|f| f == "json");
    // A second initialisation (tests in one process) is harmless: keep the first.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Cancels `shutdown` on Ctrl-C or SIGTERM.
pub(crate) async fn stop_on_signal(shutdown: CancellationToken) {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing in-flight work");
    shutdown.cancel();
}
