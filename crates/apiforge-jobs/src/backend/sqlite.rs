//! SQLite: the claim runs in a `BEGIN IMMEDIATE` transaction, which takes the database's
//! write lock up front, so claims of all processes on the file are serialised and the
//! per-user limit is exact. Other processes learn about new jobs by polling.

use serde_json::Value;
use sqlx::sqlite::{SqliteConnection, SqlitePool};

use super::{ClaimParams, Conn, INSERT_EVENT, impl_common};
use crate::model::{Job, JobRow, NewJob, job_columns};

/// The claim statement (also shown in the crate docs).
pub(crate) const CLAIM: &str = concat!(
    "UPDATE jobs SET state = 'running', attempts = attempts + 1, \
     lease_owner = $1, lease_expires_at = $2, started_at = $3, updated_at = $3 \
     WHERE id = (SELECT j.id FROM jobs j \
        WHERE j.state IN ('queued', 'running') \
          AND ((j.state = 'queued' AND j.run_at <= $3) \
            OR (j.state = 'running' AND j.lease_expires_at < $3 AND j.attempts < j.max_attempts)) \
          AND j.kind IN (SELECT value FROM json_each($4)) \
          AND ($5 = 0 OR j.user_id IS NULL \
            OR (SELECT COUNT(*) FROM jobs r WHERE r.user_id = j.user_id \
                AND r.state = 'running' AND r.lease_expires_at >= $3) < $5) \
        ORDER BY j.priority DESC, j.run_at, j.id LIMIT 1) \
     RETURNING ",
    job_columns!()
);

impl Conn for SqliteConnection {
    async fn add_event(
        &mut self,
        job_id: &str,
        at: i64,
        kind: &str,
        data: &Value,
    ) -> sqlx::Result<()> {
        sqlx::query(INSERT_EVENT)
            .bind(job_id)
            .bind(at)
            .bind(kind)
            .bind(data.to_string())
            .execute(&mut *self)
            .await?;
        Ok(())
    }

    async fn wake_workers(&mut self) -> sqlx::Result<()> {
        Ok(())
    }

    impl_common!();
}

/// Claims the best claimable job, if any, and records its `started` event.
pub(crate) async fn claim(
    pool: &SqlitePool,
    params: &ClaimParams<'_>,
    started: impl FnOnce(&Job) -> (String, Value),
) -> sqlx::Result<Option<Job>> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let kinds = serde_json::to_string(params.kinds).unwrap_or_else(|_| "[]".to_owned());
    let row: Option<JobRow> = sqlx::query_as(CLAIM)
        .bind(params.lease_owner)
        .bind(params.lease_expires_at)
        .bind(params.now)
        .bind(kinds)
        .bind(i64::from(params.per_user_limit))
        .fetch_optional(&mut *tx)
        .await?;
    let Some(row) = row else {
        tx.rollback().await?;
        return Ok(None);
    };
    let job = Job::from(row);
    let (kind, data) = started(&job);
    tx.add_event(job.id.as_str(), params.now, &kind, &data)
        .await?;
    tx.commit().await?;
    Ok(Some(job))
}
