//! Why a sandbox could not be set up. The command's own failure is a [`crate::RunResult`].

use std::path::PathBuf;

/// The sandbox could not run the command; the message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The caller's configuration cannot work.
    #[error("invalid sandbox configuration: {0}")]
    Config(String),
    /// The work directory cannot be read or copied into the sandbox.
    #[error(
        "work directory {path} cannot be copied into the sandbox: {reason}\nhint: give a readable directory"
    )]
    WorkDir {
        /// The directory.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The work directory is larger than the sandbox's work-directory quota.
    #[error(
        "work directory {path} does not fit the sandbox's work-directory quota\nhint: remove build output from it or raise the limit (`apiforge sandbox run --disk MB`, `Limits::work_bytes`)"
    )]
    WorkDirFull {
        /// The directory.
        path: PathBuf,
    },
    /// The run could not be recorded in the audit log, so it was not started.
    #[error(transparent)]
    Audit(#[from] crate::AuditError),
    /// Only root can map the sandbox to another host uid and manage cgroups.
    #[error(
        "the sandbox must be started by root (it maps the sandbox to host uid {0} and manages cgroups)\nhint: run the forge as root or inside a container where it is root"
    )]
    NotRoot(u32),
    /// User namespaces are disabled or not permitted here.
    #[error(
        "cannot create namespaces: {0}\nhint: user namespaces may be disabled (sysctl user.max_user_namespaces=15000, kernel.unprivileged_userns_clone=1) or forbidden by a container's seccomp profile"
    )]
    Namespaces(std::io::Error),
    /// A step of the set-up inside the sandbox failed.
    #[error("sandbox set-up failed at `{stage}`: {source}\nhint: {hint}")]
    Setup {
        /// The step.
        stage: &'static str,
        /// The errno it failed with.
        source: std::io::Error,
        /// What to check.
        hint: &'static str,
    },
    /// The command does not exist inside the sandbox or cannot be executed.
    #[error(
        "cannot execute `{command}` inside the sandbox: {source}\nhint: give an absolute path that exists in the sandbox (under /usr, /app or a read-only mount)"
    )]
    Exec {
        /// The command.
        command: String,
        /// Why.
        source: std::io::Error,
    },
    /// A host-side operation failed.
    #[error("{what}: {source}")]
    Host {
        /// What was being done.
        what: String,
        /// The error.
        source: std::io::Error,
    },
    /// The seccomp filter could not be built.
    #[error("cannot build the seccomp filter: {0}")]
    Seccomp(String),
}

impl SandboxError {
    pub(crate) fn host(what: impl Into<String>, source: std::io::Error) -> Self {
        Self::Host {
            what: what.into(),
            source,
        }
    }
}
