//! [`Queue`]: enqueue and inspect jobs, stream their events, manage dead letters and
//! schedules. Cheap to clone; one per process is enough.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use apiforge_store::{Db, now_ms};
use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::backend::{Conn, on_pool};
use crate::error::QueueError;
use crate::event;
use crate::model::{
    EventRow, Job, JobEvent, JobId, JobRow, JobState, JobStep, NewJob, QueueDepth, StepRow,
    job_columns,
};

/// The job queue on the store's database.
#[derive(Debug, Clone)]
pub struct Queue {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) db: Db,
    /// Woken when a job may have become claimable (enqueue, retry, release).
    pub(crate) jobs_wake: Arc<Notify>,
    /// Woken when an event was written.
    pub(crate) events_wake: Arc<Notify>,
    /// How often waiters re-check the database when nothing wakes them (other SQLite
    /// processes, missed notifications).
    event_poll: Duration,
    listener: OnceLock<JoinHandle<()>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(listener) = self.listener.get() {
            listener.abort();
        }
    }
}

impl Queue {
    /// A queue on a migrated database (the jobs tables come with the store's migrations).
    pub fn new(db: Db) -> Queue {
        Queue::with_event_poll(db, Duration::from_millis(500))
    }

    /// Like [`Queue::new`], re-checking for events of other processes every `event_poll`
    /// when nothing wakes [`Queue::wait_for_events`] sooner.
    pub fn with_event_poll(db: Db, event_poll: Duration) -> Queue {
        Queue {
            inner: Arc::new(Inner {
                db,
                jobs_wake: Arc::new(Notify::new()),
                events_wake: Arc::new(Notify::new()),
                event_poll,
                listener: OnceLock::new(),
            }),
        }
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    /// On PostgreSQL, starts (once) the task that turns `NOTIFY`s of other processes
    /// into local wake-ups. Must be called inside a Tokio runtime.
    pub(crate) fn ensure_listener(&self) {
        if let Db::Postgres(pool) = &self.inner.db {
            self.inner.listener.get_or_init(|| {
                tokio::spawn(crate::backend::postgres::listen(
                    pool.clone(),
                    self.inner.jobs_wake.clone(),
                    self.inner.events_wake.clone(),
                ))
            });
        }
    }

    pub(crate) fn wake_local(&self) {
        self.inner.jobs_wake.notify_waiters();
        self.inner.events_wake.notify_waiters();
    }

    /// Adds a job; workers of this process wake at once, workers of other processes on
    /// PostgreSQL too (`NOTIFY`), on SQLite at their next poll.
    pub async fn enqueue(&self, job: NewJob) -> Result<JobId, QueueError> {
        if job.max_attempts == 0 {
            return Err(QueueError::InvalidJob(
                "max_attempts must be at least 1".into(),
            ));
        }
        if job.kind.is_empty() {
            return Err(QueueError::InvalidJob("kind must not be empty".into()));
        }
        let id = JobId::new();
        let now = now_ms();
        let run_at = job.run_at.unwrap_or(now);
        let data = json!({"kind": job.kind, "priority": job.priority, "run_at": run_at});
        on_pool!(&self.inner.db, |pool| {
            let mut tx = pool.begin().await?;
            tx.insert_job(id.as_str(), &job, run_at, now).await?;
            tx.add_event(id.as_str(), now, event::ENQUEUED, &data)
                .await?;
            tx.wake_workers().await?;
            tx.commit().await?;
        });
        self.wake_local();
        Ok(id)
    }

    /// One job.
    pub async fn job(&self, id: &JobId) -> Result<Option<Job>, QueueError> {
        const SQL: &str = concat!("SELECT ", job_columns!(), " FROM jobs WHERE id = $1");
        let row: Option<JobRow> = on_pool!(&self.inner.db, |pool| {
            sqlx::query_as(SQL)
                .bind(id.as_str())
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(Job::from))
    }

    /// The steps of a job, in handler order.
    pub async fn steps(&self, id: &JobId) -> Result<Vec<JobStep>, QueueError> {
        const SQL: &str = "SELECT job_id, name, position, state, output, error, attempts, \
             started_at, finished_at FROM job_steps WHERE job_id = $1 \
             ORDER BY position, started_at, name";
        let rows: Vec<StepRow> = on_pool!(&self.inner.db, |pool| {
            sqlx::query_as(SQL)
                .bind(id.as_str())
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(JobStep::from).collect())
    }

    /// Up to `limit` events of a job with an id above `after` (0 = from the start).
    pub async fn events_after(
        &self,
        id: &JobId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<JobEvent>, QueueError> {
        const SQL: &str = "SELECT id, job_id, at, kind, data FROM job_events \
             WHERE job_id = $1 AND id > $2 ORDER BY id LIMIT $3";
        let rows: Vec<EventRow> = on_pool!(&self.inner.db, |pool| {
            sqlx::query_as(SQL)
                .bind(id.as_str())
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(JobEvent::from).collect())
    }

    /// Like [`Queue::events_after`], but when there are none yet waits up to `timeout`
    /// for some: woken by writes of this process, `NOTIFY` on PostgreSQL, and a poll
    /// (`event_poll`) for other SQLite processes. An empty result means the timeout
    /// passed (a stream sends its heartbeat then). No event written after the call
    /// started is missed.
    pub async fn wait_for_events(
        &self,
        id: &JobId,
        after: i64,
        limit: u32,
        timeout: Duration,
    ) -> Result<Vec<JobEvent>, QueueError> {
        self.ensure_listener();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.inner.events_wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let events = self.events_after(id, after, limit).await?;
            let now = tokio::time::Instant::now();
            if !events.is_empty() || now >= deadline {
                return Ok(events);
            }
            let nap = (deadline - now).min(self.inner.event_poll);
            tokio::select! {
                () = &mut notified => {}
                () = tokio::time::sleep(nap) => {}
            }
        }
    }

    /// Waits until a job is in a final state (succeeded, dead, cancelled) or `timeout`
    /// passes; returns the job as last read.
    pub async fn wait_until_final(
        &self,
        id: &JobId,
        timeout: Duration,
    ) -> Result<Option<Job>, QueueError> {
        self.ensure_listener();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.inner.events_wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let job = self.job(id).await?;
            let now = tokio::time::Instant::now();
            if job.as_ref().is_none_or(|job| job.state.is_final()) || now >= deadline {
                return Ok(job);
            }
            let nap = (deadline - now).min(self.inner.event_poll);
            tokio::select! {
                () = &mut notified => {}
                () = tokio::time::sleep(nap) => {}
            }
        }
    }

    /// Dead jobs (the dead-letter list), most recently failed first.
    pub async fn dead_jobs(&self, limit: u32) -> Result<Vec<Job>, QueueError> {
        const SQL: &str = concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs WHERE state = 'dead' ORDER BY finished_at DESC, id DESC LIMIT $1"
        );
        let rows: Vec<JobRow> = on_pool!(&self.inner.db, |pool| {
            sqlx::query_as(SQL)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(Job::from).collect())
    }

    /// The jobs of a project, newest first.
    pub async fn project_jobs(&self, project_id: &str, limit: u32) -> Result<Vec<Job>, QueueError> {
        const SQL: &str = concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs WHERE project_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
        );
        let rows: Vec<JobRow> = on_pool!(&self.inner.db, |pool| {
            sqlx::query_as(SQL)
                .bind(project_id)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(Job::from).collect())
    }

    /// Moves a dead job back to the queue, due now, with its attempts reset; its finished
    /// steps are kept and reused. Returns false when the job is not dead.
    pub async fn retry(&self, id: &JobId) -> Result<bool, QueueError> {
        const SQL: &str = "UPDATE jobs SET state = 'queued', attempts = 0, run_at = $2, \
             finished_at = NULL, updated_at = $2 WHERE id = $1 AND state = 'dead'";
        let changed = self.transition(id, SQL, event::RETRIED, true).await?;
        if changed {
            self.wake_local();
        }
        Ok(changed)
    }

    /// Cancels a queued or running job. A running job's worker notices at its next
    /// heartbeat (or step), stops the handler and leaves the job alone. Returns false
    /// when the job was already final.
    pub async fn cancel(&self, id: &JobId) -> Result<bool, QueueError> {
        const SQL: &str = "UPDATE jobs SET state = 'cancelled', lease_owner = NULL, \
             lease_expires_at = NULL, finished_at = $2, updated_at = $2 \
             WHERE id = $1 AND state IN ('queued', 'running')";
        let changed = self.transition(id, SQL, event::CANCELLED, false).await?;
        if changed {
            self.inner.events_wake.notify_waiters();
        }
        Ok(changed)
    }

    /// Runs `sql` (binding the job id and now) and, when it changed the job, records
    /// `event` in the same transaction (and notifies other processes' workers when
    /// `wake_workers`). Returns whether the job changed.
    async fn transition(
        &self,
        id: &JobId,
        sql: &'static str,
        event: &str,
        wake_workers: bool,
    ) -> Result<bool, QueueError> {
        let now = now_ms();
        Ok(on_pool!(&self.inner.db, |pool| {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(sql)
                .bind(id.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                tx.rollback().await?;
                false
            } else {
                tx.add_event(id.as_str(), now, event, &json!({})).await?;
                if wake_workers {
                    tx.wake_workers().await?;
                }
                tx.commit().await?;
                true
            }
        }))
    }

    /// Jobs per state (for the queue-depth gauge).
    pub async fn queue_depth(&self) -> Result<QueueDepth, QueueError> {
        const SQL: &str = "SELECT state, COUNT(*) FROM jobs GROUP BY state";
        let rows: Vec<(String, i64)> = on_pool!(&self.inner.db, |pool| {
            sqlx::query_as(SQL).fetch_all(pool).await?
        });
        let mut depth = QueueDepth::default();
        for (state, count) in rows {
            depth.set(JobState::parse(&state), u64::try_from(count).unwrap_or(0));
        }
        Ok(depth)
    }

    /// Compacts jobs that succeeded or were cancelled before `before` (ms): their progress
    /// events are deleted and their steps' outputs cleared (a finished job is never resumed,
    /// and its results live where the handler saved them). The jobs and their steps'
    /// states stay readable. Returns (events deleted, step outputs cleared).
    pub async fn compact(&self, before: i64) -> Result<(u64, u64), QueueError> {
        const FINISHED: &str = "SELECT id FROM jobs WHERE state IN ('succeeded', 'cancelled') \
             AND finished_at IS NOT NULL AND finished_at < $1";
        let events = format!("DELETE FROM job_events WHERE job_id IN ({FINISHED})");
        let outputs = format!(
            "UPDATE job_steps SET output = NULL WHERE output IS NOT NULL AND job_id IN ({FINISHED})"
        );
        let (events, outputs) = (sqlx::AssertSqlSafe(events), sqlx::AssertSqlSafe(outputs));
        Ok(on_pool!(&self.inner.db, |pool| {
            let mut tx = pool.begin().await?;
            let deleted = sqlx::query(events)
                .bind(before)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let cleared = sqlx::query(outputs)
                .bind(before)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            (deleted, cleared)
        }))
    }

    /// The claimable-now count (queued and due), for autoscaling decisions.
    pub async fn due_count(&self) -> Result<u64, QueueError> {
        const SQL: &str = "SELECT COUNT(*) FROM jobs WHERE state = 'queued' AND run_at <= $1";
        let count: i64 = on_pool!(&self.inner.db, |pool| {
            sqlx::query_scalar(SQL)
                .bind(now_ms())
                .fetch_one(pool)
                .await?
        });
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// Appends an event outside any worker (e.g. the server noting something about a job).
    pub async fn add_event(&self, id: &JobId, kind: &str, data: Value) -> Result<(), QueueError> {
        let now = now_ms();
        on_pool!(&self.inner.db, |pool| {
            let mut tx = pool.begin().await?;
            tx.add_event(id.as_str(), now, kind, &data).await?;
            tx.commit().await?;
        });
        self.inner.events_wake.notify_waiters();
        Ok(())
    }
}
