//! Why a runtime could not be installed or found, or a project could not be verified or
//! previewed. A project whose checks fail is a [`crate::VerifyReport`], not an error.

use std::path::PathBuf;

use apiforge_sandbox::SandboxError;

/// What went wrong; the message says what to do on a `hint:` line.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The runtime for the current lock is not installed.
    #[error(
        "the Python runtime is not installed (looked for {dir})\nhint: run `apiforge runtimes install` (needs network access once)"
    )]
    NotInstalled {
        /// Where it was looked for.
        dir: PathBuf,
    },
    /// No host Python of the lock's version with pip was found to install the runtime with.
    #[error(
        "no Python {wanted} with pip found to install the runtime (tried {tried})\nhint: install Debian's python3 and python3-pip"
    )]
    NoPython {
        /// The version the lock's wheels are for.
        wanted: &'static str,
        /// What was tried and why each was rejected.
        tried: String,
    },
    /// pip failed: usually no network, or a package index that does not serve the pins.
    #[error(
        "installing the Python runtime failed: {reason}\nhint: check the network connection (or PIP_INDEX_URL for a mirror) and run `apiforge runtimes install` again"
    )]
    Install {
        /// pip's last error line.
        reason: String,
    },
    /// The directory is not a project this forge can verify or preview.
    #[error(
        "{dir} is not a generated FastAPI project: {reason}\nhint: give the directory `apiforge generate -o DIR` wrote"
    )]
    NotAProject {
        /// The directory.
        dir: PathBuf,
        /// What is missing.
        reason: String,
    },
    /// A file or directory could not be read or written.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The sandbox could not be set up.
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    /// The verification driver inside the sandbox did not report (it crashed or was killed).
    #[error("the verification did not complete: {0}")]
    Driver(String),
    /// The preview's port cannot be listened on.
    #[error(
        "cannot listen on {addr}: {source}\nhint: choose another port with --port (0 picks a free one)"
    )]
    Listen {
        /// The address.
        addr: std::net::SocketAddr,
        /// The error.
        source: std::io::Error,
    },
    /// The previewed app exited (or never started listening).
    #[error("the app exited before it was ready ({status}){stderr}")]
    AppDied {
        /// How it ended.
        status: String,
        /// Its standard error, prefixed with a newline when not empty.
        stderr: String,
    },
    /// The previewed app did not create its socket in time.
    #[error(
        "the app did not start listening within {seconds} s{stderr}\nhint: check that app/main.py starts quickly and defines `app`"
    )]
    NotReady {
        /// How long we waited.
        seconds: u64,
        /// Its standard error so far is unknown while it runs: empty, or a note.
        stderr: String,
    },
}

impl RuntimeError {
    /// Whether the error means the project's own code failed (exit 1) rather than bad
    /// input or environment (exit 2).
    pub fn is_project_failure(&self) -> bool {
        matches!(self, Self::AppDied { .. } | Self::NotReady { .. })
    }

    pub(crate) fn io(what: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            what,
            path: path.into(),
            source,
        }
    }
}
