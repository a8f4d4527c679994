//! SQL of both backends. Most statements are the same text on both (`$N` placeholders
//! work in SQLite too) and run through [`on_pool!`]; the claim and the wake-ups differ
//! and live in [`sqlite`] and [`postgres`].

use serde_json::Value;

use crate::model::NewJob;

pub(crate) mod postgres;
pub(crate) mod sqlite;

/// The PostgreSQL channel `enqueue` (and retry, release) notifies: workers wake at once.
pub const JOBS_CHANNEL: &str = "apiforge_jobs";
/// The PostgreSQL channel every event write notifies (payload: the job id).
pub const EVENTS_CHANNEL: &str = "apiforge_job_events";

/// Runs the same code on either pool: `$body` is type-checked once per backend.
macro_rules! on_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            apiforge_store::Db::Sqlite($pool) => $body,
            apiforge_store::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// Writes that every connection type offers, inside the caller's transaction.
pub(crate) trait Conn {
    /// Appends an event (and on PostgreSQL notifies [`EVENTS_CHANNEL`] at commit).
    async fn add_event(
        &mut self,
        job_id: &str,
        at: i64,
        kind: &str,
        data: &Value,
    ) -> sqlx::Result<()>;

    /// Tells workers of other processes that a job may be claimable (PostgreSQL: NOTIFY
    /// at commit; SQLite: nothing, they poll).
    async fn wake_workers(&mut self) -> sqlx::Result<()>;

    /// Inserts a queued job.
    async fn insert_job(
        &mut self,
        id: &str,
        job: &NewJob,
        run_at: i64,
        now: i64,
    ) -> sqlx::Result<()>;

    /// Checks (and row-locks) that `owner` still holds the job's lease: every write of a
    /// worker about a job starts with this, so a worker that lost its lease changes
    /// nothing.
    async fn hold_lease(&mut self, job_id: &str, owner: &str, now: i64) -> sqlx::Result<bool>;
}

pub(crate) const HOLD_LEASE: &str = "UPDATE jobs SET updated_at = $3 \
     WHERE id = $1 AND lease_owner = $2 AND state = 'running'";

pub(crate) const INSERT_EVENT: &str =
    "INSERT INTO job_events (job_id, at, kind, data) VALUES ($1, $2, $3, $4)";

pub(crate) const INSERT_JOB: &str = "INSERT INTO jobs (id, kind, user_id, project_id, payload, \
     priority, state, attempts, max_attempts, run_at, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, 'queued', 0, $7, $8, $9, $9)";

/// Implements the backend-independent part of [`Conn`] for one connection type.
macro_rules! impl_common {
    () => {
        async fn insert_job(
            &mut self,
            id: &str,
            job: &NewJob,
            run_at: i64,
            now: i64,
        ) -> sqlx::Result<()> {
            sqlx::query(crate::backend::INSERT_JOB)
                .bind(id)
                .bind(&job.kind)
                .bind(&job.user_id)
                .bind(&job.project_id)
                .bind(job.payload.to_string())
                .bind(job.priority)
                .bind(i32::try_from(job.max_attempts).unwrap_or(i32::MAX))
                .bind(run_at)
                .bind(now)
                .execute(&mut *self)
                .await?;
            Ok(())
        }

        async fn hold_lease(&mut self, job_id: &str, owner: &str, now: i64) -> sqlx::Result<bool> {
            let done = sqlx::query(crate::backend::HOLD_LEASE)
                .bind(job_id)
                .bind(owner)
                .bind(now)
                .execute(&mut *self)
                .await?;
            Ok(done.rows_affected() == 1)
        }
    };
}
pub(crate) use impl_common;

/// The claim's result on either backend: a job now leased to `lease_owner`.
pub(crate) struct ClaimParams<'a> {
    pub lease_owner: &'a str,
    pub now: i64,
    pub lease_expires_at: i64,
    pub kinds: &'a [String],
    /// 0 = no limit.
    pub per_user_limit: u32,
}
