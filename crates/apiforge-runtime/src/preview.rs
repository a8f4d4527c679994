//! `preview`: the project's app served from a sandbox. uvicorn listens on a Unix socket in
//! the sandbox's private `/app` (the sandbox has no network but loopback); a host-side proxy
//! on a TCP port forwards each connection to it through the sandbox's [`Channel`].

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, TryRecvError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use apiforge_sandbox::{
    AuditSink, Channel, ExitStatus, Limits, RunResult, Sandbox, SandboxConfig, SandboxError,
};

use crate::verify::{check_project, python_env, runtime_mount};
use crate::{PythonRuntime, RuntimeError};

/// The socket uvicorn listens on, at the top of `/app`.
pub const SOCKET: &str = "preview.sock";
/// The database of a preview: a file in the sandbox's private `/tmp`.
pub const PREVIEW_DATABASE_URL: &str = "sqlite:////tmp/preview.db";

/// Options of a preview beyond the project, runtime and address.
#[derive(Debug, Clone)]
pub struct PreviewOptions {
    /// The sandbox limits (default: a day, 512 MiB, a day of CPU).
    pub limits: Limits,
    /// Where the sandbox run is recorded.
    pub audit: Option<Arc<dyn AuditSink>>,
    /// How long the app may take to listen (default 20 s).
    pub ready_timeout: Duration,
    /// The path prefix the app is served under by a proxy in front of ours (the server's
    /// `/p/{project}`), passed to uvicorn as `--root-path` so its docs link back correctly.
    pub root_path: Option<String>,
    /// Extra environment of the app (the server passes the preview's `JWT_SECRET`).
    pub env: std::collections::BTreeMap<String, String>,
}

impl Default for PreviewOptions {
    fn default() -> Self {
        Self {
            limits: Limits {
                timeout: Duration::from_secs(86_400),
                cpu_seconds: 86_400,
                tmp_bytes: 256 << 20,
                ..Limits::default()
            },
            audit: None,
            ready_timeout: Duration::from_secs(20),
            root_path: None,
            env: std::collections::BTreeMap::new(),
        }
    }
}

/// How a preview's app ended.
#[derive(Debug)]
pub struct AppExit {
    /// `exit code N`, `signal N`, `killed`.
    pub status: String,
    /// Whether it ended because [`Preview::stop`] asked.
    pub stopped: bool,
    /// Its standard error (capped).
    pub stderr: String,
    /// The sandbox's full result.
    pub result: RunResult,
}

/// A running preview: the app in its sandbox and the proxy in front of it.
#[derive(Debug)]
pub struct Preview {
    addr: SocketAddr,
    url: String,
    sandbox_id: String,
    channel: Channel,
    ended: Receiver<Result<RunResult, SandboxError>>,
    shutdown: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
    startup: Duration,
}

fn status_text(status: ExitStatus) -> String {
    match status {
        ExitStatus::Code(code) => format!("exit code {code}"),
        ExitStatus::Signal(signal) => format!("signal {signal}"),
        ExitStatus::Killed => "killed".to_owned(),
    }
}

fn app_exit(result: RunResult) -> AppExit {
    AppExit {
        status: status_text(result.status),
        stopped: result.stopped,
        stderr: result.stderr.text(),
        result,
    }
}

/// `stderr` as the tail of an error message: a newline and its last lines, or nothing.
fn stderr_tail(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = lines.len().saturating_sub(30);
    if lines.is_empty() {
        String::new()
    } else {
        format!("\n{}", lines[start..].join("\n"))
    }
}

impl Preview {
    /// Starts the app of `project_dir` and a proxy on `addr` (port 0 picks a free one) with
    /// default options; returns once the app answers connections.
    ///
    /// # Errors
    /// See [`Preview::start_with`].
    pub fn start(
        project_dir: &Path,
        runtime: &PythonRuntime,
        addr: SocketAddr,
        audit: Option<Arc<dyn AuditSink>>,
    ) -> Result<Self, RuntimeError> {
        let options = PreviewOptions {
            audit,
            ..PreviewOptions::default()
        };
        Self::start_with(project_dir, runtime, addr, &options)
    }

    /// Starts the preview.
    ///
    /// # Errors
    /// [`RuntimeError::NotAProject`], [`RuntimeError::Listen`] when `addr` is taken,
    /// [`RuntimeError::Sandbox`] when the sandbox cannot be set up,
    /// [`RuntimeError::AppDied`] / [`RuntimeError::NotReady`] when the app does not come up
    /// (with its stderr).
    pub fn start_with(
        project_dir: &Path,
        runtime: &PythonRuntime,
        addr: SocketAddr,
        options: &PreviewOptions,
    ) -> Result<Self, RuntimeError> {
        let start = Instant::now();
        let dir = check_project(project_dir)?;
        let listener =
            TcpListener::bind(addr).map_err(|source| RuntimeError::Listen { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| RuntimeError::Listen { addr, source })?;

        let socket = format!("/app/{SOCKET}");
        let mut args = vec![
            "-m",
            "uvicorn",
            "app.main:app",
            "--uds",
            &socket,
            "--no-access-log",
        ];
        if let Some(root_path) = &options.root_path {
            args.extend(["--root-path", root_path]);
        }
        let mut config = SandboxConfig::new("/usr/bin/python3", args, &dir);
        config.copy_back = false;
        config.ro_mounts = vec![runtime_mount(runtime)];
        config.env = python_env();
        config
            .env
            .insert("DATABASE_URL".to_owned(), PREVIEW_DATABASE_URL.to_owned());
        config
            .env
            .extend(options.env.iter().map(|(k, v)| (k.clone(), v.clone())));
        config.limits = options.limits.clone();
        config.audit = options.audit.clone();
        config.project = Some(dir.display().to_string());

        let running = Sandbox::spawn(&config)?;
        let channel = running.channel();
        let sandbox_id = running.id().to_string();
        let (tx, ended) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(running.wait());
        });

        wait_ready(&channel, &ended, options.ready_timeout)?;

        let shutdown = Arc::new(AtomicBool::new(false));
        let acceptor = {
            let (channel, shutdown) = (channel.clone(), Arc::clone(&shutdown));
            std::thread::spawn(move || accept(&listener, &channel, &shutdown))
        };
        let shown = if addr.ip().is_unspecified() {
            SocketAddr::from((Ipv4Addr::LOCALHOST, addr.port()))
        } else {
            addr
        };
        Ok(Self {
            addr,
            url: format!("http://{shown}"),
            sandbox_id,
            channel,
            ended,
            shutdown,
            acceptor: Some(acceptor),
            startup: start.elapsed(),
        })
    }

    /// The proxy's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The sandbox run serving the app.
    pub fn sandbox_id(&self) -> &str {
        &self.sandbox_id
    }

    /// How long [`Preview::start`] took until the app answered.
    pub fn startup_time(&self) -> Duration {
        self.startup
    }

    /// Waits up to `timeout` for the app to end on its own; `None` while it runs.
    ///
    /// # Errors
    /// [`RuntimeError::Sandbox`] when the run's result could not be collected.
    pub fn wait_exit(&self, timeout: Duration) -> Result<Option<AppExit>, RuntimeError> {
        match self.ended.recv_timeout(timeout) {
            Ok(result) => Ok(Some(app_exit(result?))),
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => Err(RuntimeError::Driver(
                "the preview's waiter thread ended without a result".to_owned(),
            )),
        }
    }

    /// Stops the app (its whole sandbox) and the proxy, and waits for both.
    ///
    /// # Errors
    /// [`RuntimeError::Sandbox`] when the run's result could not be collected.
    pub fn stop(mut self) -> Result<AppExit, RuntimeError> {
        self.halt();
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        match self.ended.recv() {
            Ok(result) => Ok(app_exit(result?)),
            Err(_) => Err(RuntimeError::Driver(
                "the preview ended without a result".to_owned(),
            )),
        }
    }

    /// Asks the sandbox and the acceptor to end.
    fn halt(&self) {
        self.shutdown.store(true, Ordering::SeqCst);
        self.channel.stop();
        // Wake the acceptor blocked in accept().
        let wake = if self.addr.ip().is_unspecified() {
            SocketAddr::from((Ipv4Addr::LOCALHOST, self.addr.port()))
        } else {
            self.addr
        };
        let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
    }
}

impl Drop for Preview {
    fn drop(&mut self) {
        if self.acceptor.is_some() {
            self.halt();
        }
    }
}

/// Polls the app's socket until it accepts a connection, the app ends, or `timeout` passes.
fn wait_ready(
    channel: &Channel,
    ended: &Receiver<Result<RunResult, SandboxError>>,
    timeout: Duration,
) -> Result<(), RuntimeError> {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(5);
    loop {
        if channel.connect(SOCKET).is_ok() {
            return Ok(());
        }
        match ended.try_recv() {
            Ok(result) => {
                let exit = app_exit(result?);
                return Err(RuntimeError::AppDied {
                    status: exit.status,
                    stderr: stderr_tail(&exit.stderr),
                });
            }
            Err(TryRecvError::Disconnected) => {
                return Err(RuntimeError::Driver(
                    "the preview's waiter thread ended without a result".to_owned(),
                ));
            }
            Err(TryRecvError::Empty) => {}
        }
        if Instant::now() >= deadline {
            channel.stop();
            let stderr = match ended.recv() {
                Ok(Ok(result)) => stderr_tail(&result.stderr.text()),
                _ => String::new(),
            };
            return Err(RuntimeError::NotReady {
                seconds: timeout.as_secs(),
                stderr,
            });
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

fn accept(listener: &TcpListener, channel: &Channel, shutdown: &AtomicBool) {
    for stream in listener.incoming() {
        if shutdown.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let channel = channel.clone();
        std::thread::spawn(move || forward(stream, &channel));
    }
}

/// Copies bytes both ways between a client and the app until both sides are done.
fn forward(mut client: TcpStream, channel: &Channel) {
    let _ = client.set_nodelay(true);
    let app = match channel.connect(SOCKET) {
        Ok(app) => app,
        Err(_) => {
            let _ = client.write_all(
                b"HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\ncontent-length: 28\r\nconnection: close\r\n\r\nthe preview app has stopped\n",
            );
            return;
        }
    };
    let (Ok(client_reader), Ok(app_writer)) = (client.try_clone(), app.try_clone()) else {
        return;
    };
    let Ok(client_handle) = client.try_clone() else {
        return;
    };
    let upstream = std::thread::spawn(move || pipe(client_reader, app_writer));
    pipe(app, client);
    // The app is done with this connection (or gone): end the client's side too, so the
    // upstream copy does not wait for a client that keeps the connection open.
    let _ = client_handle.shutdown(Shutdown::Both);
    let _ = upstream.join();
}

/// A stream whose write half can be closed, telling the peer the input has ended.
trait HalfClose {
    fn close_write(&self);
}

impl HalfClose for TcpStream {
    fn close_write(&self) {
        let _ = self.shutdown(Shutdown::Write);
    }
}

impl HalfClose for UnixStream {
    fn close_write(&self) {
        let _ = self.shutdown(Shutdown::Write);
    }
}

/// Copies until the reader ends (or either side fails), then closes the writer's write half.
fn pipe<R: Read, W: Write + HalfClose>(mut reader: R, mut writer: W) {
    let _ = std::io::copy(&mut reader, &mut writer);
    writer.close_write();
}
