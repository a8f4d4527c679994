//! The isolated runner: runs one untrusted command (generated code, a user's edits) in fresh
//! Linux namespaces with limits, and reports what happened. It owns every `fork`/`execve` of
//! the forge and is the only crate allowed `unsafe`; it depends on no other workspace crate
//! and must never read the caller's environment into the sandbox.
//!
//! Layers, outermost first: user namespace mapped to an unprivileged host uid (65534, written
//! by the privileged parent), pid/mount/net/ipc/uts/cgroup namespaces, a `pivot_root` into a
//! tmpfs holding read-only binds of only what a runtime needs, loopback-only network,
//! cgroup memory/pids limits and CPU accounting (v1 or v2), rlimits, `no_new_privs`, Landlock,
//! no capabilities, a seccomp deny-list. See [`Sandbox::run`].
#![expect(
    unsafe_code,
    reason = "fork, namespaces, mounts, capabilities and seccomp are raw system calls; every block has a SAFETY comment"
)]

mod audit;
mod cgroup;
mod child;
pub mod collect;
mod config;
mod error;
mod id;
mod plan;
mod result;
mod run;
mod seccomp;
mod workspace;

pub use audit::{
    AUDIT_FILE, AuditError, AuditExit, AuditFilter, AuditLog, AuditRecord, AuditSink,
    DEFAULT_RETENTION, format_rfc3339, limit_name, parse_rfc3339,
};
pub use config::{DEFAULT_PATH, Limits, NOBODY, SandboxConfig};
pub use error::SandboxError;
pub use result::{Captured, Enforcement, ExitStatus, LimitHit, RunResult, SandboxId};
pub use run::{Channel, Running, Sandbox};
pub use seccomp::denied_syscalls;
pub use workspace::CopiedBack;
