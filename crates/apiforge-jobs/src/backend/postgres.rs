//! PostgreSQL: claims skip rows other workers hold (`FOR UPDATE SKIP LOCKED`), so any
//! number of worker processes share the queue without blocking each other; writes
//! `NOTIFY` so those processes wake at once (one `LISTEN` connection per `Queue`).
//!
//! The per-user limit is checked in the claim's `WHERE`, but two workers can claim two
//! jobs of one user at the same moment under READ COMMITTED; a per-user advisory lock
//! and a recount inside the claim's transaction make the limit exact.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use sqlx::postgres::{PgConnection, PgListener, PgPool};
use tokio::sync::Notify;

use super::{ClaimParams, Conn, EVENTS_CHANNEL, INSERT_EVENT, JOBS_CHANNEL, impl_common};
use crate::model::{Job, JobRow, NewJob, job_columns};

/// The claim statement (also shown in the crate docs).
pub(crate) const CLAIM: &str = concat!(
    "UPDATE jobs SET state = 'running', attempts = attempts + 1, \
     lease_owner = $1, lease_expires_at = $2, started_at = $3, updated_at = $3 \
     WHERE id = (SELECT j.id FROM jobs j \
        WHERE j.state IN ('queued', 'running') \
          AND ((j.state = 'queued' AND j.run_at <= $3) \
            OR (j.state = 'running' AND j.lease_expires_at < $3 AND j.attempts < j.max_attempts)) \
          AND j.kind = ANY($4) \
          AND ($5 = 0 OR j.user_id IS NULL \
            OR (NOT (j.user_id = ANY($6)) \
              AND (SELECT COUNT(*) FROM jobs r WHERE r.user_id = j.user_id \
                   AND r.state = 'running' AND r.lease_expires_at >= $3) < $5)) \
        ORDER BY j.priority DESC, j.run_at, j.id LIMIT 1 \
        FOR UPDATE SKIP LOCKED) \
     RETURNING ",
    job_columns!()
);

/// Serialises the claims of one user across workers until the claim commits.
const LOCK_USER: &str = "SELECT pg_advisory_xact_lock(hashtextextended('apiforge_jobs:' || $1, 0))";

/// The user's other running jobs, counted after taking [`LOCK_USER`].
const COUNT_USER_RUNNING: &str = "SELECT COUNT(*) FROM jobs WHERE user_id = $1 \
     AND state = 'running' AND lease_expires_at >= $2 AND id <> $3";

impl Conn for PgConnection {
    async fn add_event(
        &mut self,
        job_id: &str,
        at: i64,
        kind: &str,
        data: &Value,
    ) -> sqlx::Result<()> {
        // Event ids come from an identity at insert time, so two transactions writing
        // events of one job could commit out of id order and a reader resuming after the
        // higher id would miss the lower one. Holding the job's row lock (already held by
        // every engine write that updates the job) serialises one job's event writers, so
        // per job the ids are in commit order.
        sqlx::query("SELECT 1 FROM jobs WHERE id = $1 FOR UPDATE")
            .bind(job_id)
            .fetch_optional(&mut *self)
            .await?;
        sqlx::query(INSERT_EVENT)
            .bind(job_id)
            .bind(at)
            .bind(kind)
            .bind(data.to_string())
            .execute(&mut *self)
            .await?;
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(EVENTS_CHANNEL)
            .bind(job_id)
            .execute(&mut *self)
            .await?;
        Ok(())
    }

    async fn wake_workers(&mut self) -> sqlx::Result<()> {
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(JOBS_CHANNEL)
            .execute(&mut *self)
            .await?;
        Ok(())
    }

    impl_common!();
}

/// Claims the best claimable job, if any, and records its `started` event.
pub(crate) async fn claim(
    pool: &PgPool,
    params: &ClaimParams<'_>,
    started: impl FnOnce(&Job) -> (String, Value),
) -> sqlx::Result<Option<Job>> {
    let mut over_limit: Vec<String> = Vec::new();
    // Each round excludes users found at their limit by the recount, so one busy user
    // does not hide other users' jobs.
    for _round in 0..4 {
        let mut tx = pool.begin().await?;
        let row: Option<JobRow> = sqlx::query_as(CLAIM)
            .bind(params.lease_owner)
            .bind(params.lease_expires_at)
            .bind(params.now)
            .bind(params.kinds)
            .bind(i64::from(params.per_user_limit))
            .bind(&over_limit)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Ok(None);
        };
        let job = Job::from(row);
        if let (Some(user), true) = (&job.user_id, params.per_user_limit > 0) {
            sqlx::query(LOCK_USER).bind(user).execute(&mut *tx).await?;
            let running: i64 = sqlx::query_scalar(COUNT_USER_RUNNING)
                .bind(user)
                .bind(params.now)
                .bind(job.id.as_str())
                .fetch_one(&mut *tx)
                .await?;
            if running >= i64::from(params.per_user_limit) {
                tx.rollback().await?;
                over_limit.push(user.clone());
                continue;
            }
        }
        let (kind, data) = started(&job);
        tx.add_event(job.id.as_str(), params.now, &kind, &data)
            .await?;
        tx.commit().await?;
        return Ok(Some(job));
    }
    Ok(None)
}

/// Listens on both channels and turns notifications into local wake-ups, reconnecting
/// after errors until the pool closes. Missed notifications only cost a poll interval.
pub(crate) async fn listen(pool: PgPool, jobs: Arc<Notify>, events: Arc<Notify>) {
    while !pool.is_closed() {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%error, "cannot LISTEN for job notifications; polling");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(error) = listener.listen_all([JOBS_CHANNEL, EVENTS_CHANNEL]).await {
            tracing::warn!(%error, "cannot LISTEN for job notifications; polling");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        // Anything sent while not listening is lost: wake everyone once.
        jobs.notify_waiters();
        events.notify_waiters();
        loop {
            match listener.recv().await {
                Ok(notification) if notification.channel() == JOBS_CHANNEL => {
                    jobs.notify_waiters();
                }
                Ok(_) => events.notify_waiters(),
                Err(error) => {
                    if !pool.is_closed() {
                        tracing::warn!(%error, "job notification listener failed; reconnecting");
                    }
                    break;
                }
            }
        }
    }
}
