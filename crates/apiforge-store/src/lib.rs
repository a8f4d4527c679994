//! The server's storage. SQLite (a file in the data directory, WAL mode) by default;
//! PostgreSQL when the URL says `postgres://`. Each backend has its own migrations
//! (`migrations/sqlite`, `migrations/postgres`) and its own queries where the dialects
//! differ: sqlx's `Any` driver only carries primitive types, and PostgreSQL gets real
//! row-level-security policies that SQLite cannot express.
//!
//! Conventions shared by both schemas: ids are UUIDv7 strings (`TEXT`), times are
//! milliseconds since the Unix epoch (`BIGINT`), JSON documents are `TEXT`.
//!
//! Two scopes:
//! - **system** — methods on [`Db`]: sign-in (users, login tokens, sessions, API
//!   tokens), the job worker's project and version writes, audit writes and pruning.
//! - **tenant** — [`Db::tenant`] gives a [`Tenant`]: one user's view of projects,
//!   members, versions, files and audit events. On PostgreSQL its transactions run as the
//!   `apiforge_tenant` role with the user set, so row-level security enforces what the
//!   queries' own membership filters (the only guard on SQLite) already say.
//!
//! The store does no hashing of secrets (callers pass hashes) and knows nothing of HTTP,
//! jobs or the pipeline.

mod audit;
mod auth;
mod db;
mod error;
mod ids;
mod projects;
mod prompts;
mod sql;
mod tenant;
mod users;
mod versions;

#[cfg(feature = "testing")]
pub mod testing;

pub use audit::{AUDIT_PAGE_MAX, AuditEvent, AuditFilter, NewAuditEvent};
pub use auth::{ApiToken, NewApiToken, NewSession, Session};
pub use db::{Backend, Db, SQLITE_FILE, now_ms};
pub use error::StoreError;
pub use ids::{
    ApiTokenId, AuditEventId, ExecutionId, LoginTokenId, ProjectId, PromptId, SessionId, UserId,
    VersionId,
};
pub use projects::{
    Member, NewProject, Project, ProjectStatus, ProjectSummary, Role, SourceKind, Target,
};
pub use prompts::{
    Execution, ExecutionOutcome, ExecutionStatus, NewExecution, NewPrompt, NewPromptVersion,
    Priority, Prompt, PromptVersion, Seeded,
};
pub use sql::TENANT_ROLE;
pub use tenant::Tenant;
pub use users::{LoginToken, MAX_LOGIN_ATTEMPTS, NewLoginToken, User, normalize_email};
pub use versions::{
    NewFile, NewVersion, Ownership, Version, VersionFile, VersionSummary, sha256_hex,
};
