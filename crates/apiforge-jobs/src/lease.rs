//! A worker's writes about a job it leased. Each runs in one transaction that starts by
//! checking the lease ([`Conn::hold_lease`]); `Ok(false)` / `Ok(None)` mean the lease is
//! gone (expired and taken over, or the job was cancelled) and nothing was written.

use std::time::Duration;

use serde_json::{Value, json};

use crate::backend::{ClaimParams, Conn, on_pool};
use crate::event;
use crate::model::Job;
use crate::queue::Queue;

/// Who holds a job: the job and the lease token of the claim.
#[derive(Debug, Clone)]
pub(crate) struct Lease {
    pub(crate) job_id: String,
    pub(crate) owner: String,
}

/// Claims a job for `params.lease_owner`, writing its `started` event.
pub(crate) async fn claim(
    queue: &Queue,
    params: &ClaimParams<'_>,
    worker_id: &str,
) -> sqlx::Result<Option<Job>> {
    let started = |job: &Job| {
        let data = json!({
            "attempt": job.attempts,
            "queued_ms": (params.now - job.run_at).max(0),
            "worker": worker_id,
        });
        (event::STARTED.to_owned(), data)
    };
    let job = match &queue.inner.db {
        apiforge_store::Db::Sqlite(pool) => {
            crate::backend::sqlite::claim(pool, params, started).await?
        }
        apiforge_store::Db::Postgres(pool) => {
            crate::backend::postgres::claim(pool, params, started).await?
        }
    };
    if job.is_some() {
        queue.inner.events_wake.notify_waiters();
    }
    Ok(job)
}

/// Extends the lease to `expires_at`.
pub(crate) async fn heartbeat(
    queue: &Queue,
    lease: &Lease,
    now: i64,
    expires_at: i64,
) -> sqlx::Result<bool> {
    const SQL: &str = "UPDATE jobs SET lease_expires_at = $3, updated_at = $4 \
         WHERE id = $1 AND lease_owner = $2 AND state = 'running'";
    let done = on_pool!(&queue.inner.db, |pool| {
        sqlx::query(SQL)
            .bind(&lease.job_id)
            .bind(&lease.owner)
            .bind(expires_at)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(done == 1)
}

/// Runs `$body` (which may use `tx`) in a transaction that holds the lease; evaluates to
/// `false` without writing when the lease is gone.
macro_rules! with_lease {
    ($queue:expr, $lease:expr, $now:expr, |$tx:ident| $body:block) => {{
        let held: bool = on_pool!(&$queue.inner.db, |pool| {
            let mut $tx = pool.begin().await?;
            if $tx.hold_lease(&$lease.job_id, &$lease.owner, $now).await? {
                $body
                $tx.commit().await?;
                true
            } else {
                $tx.rollback().await?;
                false
            }
        });
        if held {
            $queue.inner.events_wake.notify_waiters();
        }
        held
    }};
}

/// The job succeeded with `result`.
pub(crate) async fn succeed(
    queue: &Queue,
    lease: &Lease,
    now: i64,
    result: &Value,
    attempt: u32,
    duration_ms: i64,
) -> sqlx::Result<bool> {
    const SQL: &str = "UPDATE jobs SET state = 'succeeded', result = $2, last_error = NULL, \
         lease_owner = NULL, lease_expires_at = NULL, finished_at = $3, updated_at = $3 \
         WHERE id = $1";
    let data = json!({"attempt": attempt, "duration_ms": duration_ms});
    Ok(with_lease!(queue, lease, now, |tx| {
        sqlx::query(SQL)
            .bind(&lease.job_id)
            .bind(result.to_string())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.add_event(&lease.job_id, now, event::SUCCEEDED, &data)
            .await?;
    }))
}

/// What [`fail`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailOutcome {
    Retrying,
    Dead,
    LeaseLost,
}

/// A failed attempt, and what to do about it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AttemptFailure<'a> {
    pub(crate) attempt: u32,
    pub(crate) error: &'a str,
    pub(crate) permanent: bool,
    /// Dead-letter the job rather than retry it.
    pub(crate) dead: bool,
    /// The backoff before the next attempt.
    pub(crate) delay: Duration,
}

/// The attempt failed: queue the job again after `delay`, or, when `dead`, move it to
/// the dead-letter state.
pub(crate) async fn fail(
    queue: &Queue,
    lease: &Lease,
    now: i64,
    failure: &AttemptFailure<'_>,
) -> sqlx::Result<FailOutcome> {
    let AttemptFailure {
        attempt,
        error,
        permanent,
        dead,
        delay,
    } = *failure;
    const RETRY: &str = "UPDATE jobs SET state = 'queued', run_at = $2, last_error = $3, \
         lease_owner = NULL, lease_expires_at = NULL, updated_at = $4 WHERE id = $1";
    const DEAD: &str = "UPDATE jobs SET state = 'dead', last_error = $2, lease_owner = NULL, \
         lease_expires_at = NULL, finished_at = $3, updated_at = $3 WHERE id = $1";
    let delay_ms = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
    let run_at = now.saturating_add(delay_ms);
    let held = with_lease!(queue, lease, now, |tx| {
        if dead {
            sqlx::query(DEAD)
                .bind(&lease.job_id)
                .bind(error)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            let data = json!({"attempt": attempt, "error": error, "permanent": permanent});
            tx.add_event(&lease.job_id, now, event::DEAD, &data).await?;
        } else {
            sqlx::query(RETRY)
                .bind(&lease.job_id)
                .bind(run_at)
                .bind(error)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            let data = json!({
                "attempt": attempt, "error": error, "delay_ms": delay_ms, "run_at": run_at,
            });
            tx.add_event(&lease.job_id, now, event::RETRYING, &data)
                .await?;
        }
    });
    Ok(match (held, dead) {
        (false, _) => FailOutcome::LeaseLost,
        (true, true) => FailOutcome::Dead,
        (true, false) => FailOutcome::Retrying,
    })
}

/// Gives the job back (shutdown): queued, due now, this attempt not counted.
pub(crate) async fn release(
    queue: &Queue,
    lease: &Lease,
    now: i64,
    worker_id: &str,
    reason: &str,
) -> sqlx::Result<bool> {
    const SQL: &str = "UPDATE jobs SET state = 'queued', run_at = $2, \
         attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, \
         lease_owner = NULL, lease_expires_at = NULL, updated_at = $2 WHERE id = $1";
    let data = json!({"worker": worker_id, "reason": reason});
    let held = with_lease!(queue, lease, now, |tx| {
        sqlx::query(SQL)
            .bind(&lease.job_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.add_event(&lease.job_id, now, event::RELEASED, &data)
            .await?;
        tx.wake_workers().await?;
    });
    if held {
        queue.wake_local();
    }
    Ok(held)
}

/// Jobs whose worker vanished during their last allowed attempt go dead (they are not
/// claimable again: a job that kills its worker must not loop forever).
pub(crate) async fn reap_expired(queue: &Queue, now: i64) -> sqlx::Result<u64> {
    const FIND: &str = "SELECT id FROM jobs WHERE state = 'running' AND lease_expires_at < $1 \
         AND attempts >= max_attempts LIMIT 100";
    const KILL: &str = "UPDATE jobs SET state = 'dead', last_error = $2, lease_owner = NULL, \
         lease_expires_at = NULL, finished_at = $3, updated_at = $3 WHERE id = $1 \
         AND state = 'running' AND lease_expires_at < $3 AND attempts >= max_attempts";
    let error = "the worker's lease expired during the last attempt (worker crashed or hung)";
    let mut reaped = 0;
    on_pool!(&queue.inner.db, |pool| {
        let ids: Vec<String> = sqlx::query_scalar(FIND).bind(now).fetch_all(pool).await?;
        for id in ids {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(KILL)
                .bind(&id)
                .bind(error)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 1 {
                let data = json!({"error": error, "permanent": false});
                tx.add_event(&id, now, event::DEAD, &data).await?;
                tx.commit().await?;
                reaped += 1;
            } else {
                tx.rollback().await?;
            }
        }
    });
    if reaped > 0 {
        queue.inner.events_wake.notify_waiters();
    }
    Ok(reaped)
}

/// How [`begin_step`] went.
#[derive(Debug)]
pub(crate) enum StepStart {
    /// An earlier attempt finished the step: its stored output.
    Reused(String),
    /// The step is recorded as running.
    Started,
    /// The lease is gone.
    LeaseLost,
}

/// Reuses a finished step's output, or records the step as running.
pub(crate) async fn begin_step(
    queue: &Queue,
    lease: &Lease,
    now: i64,
    name: &str,
    position: u32,
    attempt: u32,
) -> sqlx::Result<StepStart> {
    const FIND: &str = "SELECT output FROM job_steps \
         WHERE job_id = $1 AND name = $2 AND state = 'succeeded'";
    const UPSERT: &str = "INSERT INTO job_steps \
         (job_id, name, position, state, attempts, started_at) \
         VALUES ($1, $2, $3, 'running', 1, $4) \
         ON CONFLICT (job_id, name) DO UPDATE SET state = 'running', \
         position = excluded.position, attempts = job_steps.attempts + 1, \
         started_at = excluded.started_at, finished_at = NULL, error = NULL";
    let position_i32 = i32::try_from(position).unwrap_or(i32::MAX);
    let mut outcome = StepStart::Started;
    let held = with_lease!(queue, lease, now, |tx| {
        let stored: Option<Option<String>> = sqlx::query_scalar(FIND)
            .bind(&lease.job_id)
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(output) = stored {
            let data = json!({"step": name, "position": position});
            tx.add_event(&lease.job_id, now, event::STEP_REUSED, &data)
                .await?;
            outcome = StepStart::Reused(output.unwrap_or_else(|| "null".to_owned()));
        } else {
            sqlx::query(UPSERT)
                .bind(&lease.job_id)
                .bind(name)
                .bind(position_i32)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            let data = json!({"step": name, "position": position, "attempt": attempt});
            tx.add_event(&lease.job_id, now, event::STEP_STARTED, &data)
                .await?;
        }
    });
    Ok(if held { outcome } else { StepStart::LeaseLost })
}

/// Stores a finished step's output.
pub(crate) async fn finish_step(
    queue: &Queue,
    lease: &Lease,
    now: i64,
    name: &str,
    position: u32,
    output: &str,
    duration_ms: i64,
) -> sqlx::Result<bool> {
    const SQL: &str = "UPDATE job_steps SET state = 'succeeded', output = $3, finished_at = $4 \
         WHERE job_id = $1 AND name = $2";
    let data = json!({"step": name, "position": position, "duration_ms": duration_ms});
    Ok(with_lease!(queue, lease, now, |tx| {
        sqlx::query(SQL)
            .bind(&lease.job_id)
            .bind(name)
            .bind(output)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.add_event(&lease.job_id, now, event::STEP_FINISHED, &data)
            .await?;
    }))
}

/// A failed step.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StepFailure<'a> {
    pub(crate) name: &'a str,
    pub(crate) position: u32,
    pub(crate) error: &'a str,
    pub(crate) permanent: bool,
    pub(crate) duration_ms: i64,
}

/// Records a failed step.
pub(crate) async fn fail_step(
    queue: &Queue,
    lease: &Lease,
    now: i64,
    failure: &StepFailure<'_>,
) -> sqlx::Result<bool> {
    let StepFailure {
        name,
        position,
        error,
        permanent,
        duration_ms,
    } = *failure;
    const SQL: &str = "UPDATE job_steps SET state = 'failed', error = $3, finished_at = $4 \
         WHERE job_id = $1 AND name = $2";
    let data = json!({
        "step": name, "position": position, "duration_ms": duration_ms,
        "error": error, "permanent": permanent,
    });
    Ok(with_lease!(queue, lease, now, |tx| {
        sqlx::query(SQL)
            .bind(&lease.job_id)
            .bind(name)
            .bind(error)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.add_event(&lease.job_id, now, event::STEP_FAILED, &data)
            .await?;
    }))
}

/// A handler's own progress event.
pub(crate) async fn emit(
    queue: &Queue,
    lease: &Lease,
    now: i64,
    kind: &str,
    data: &Value,
) -> sqlx::Result<bool> {
    Ok(with_lease!(queue, lease, now, |tx| {
        tx.add_event(&lease.job_id, now, kind, data).await?;
    }))
}
