//! [`JobCtx`]: what a handler gets: the job, persisted steps, progress events.

use std::future::IntoFuture;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use apiforge_store::now_ms;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::error::JobError;
use crate::lease::{self, Lease, StepStart};
use crate::model::{Job, JobId};
use crate::queue::Queue;

/// The context of one attempt of one job. Cheap to clone (e.g. into spawned tasks).
#[derive(Debug, Clone)]
pub struct JobCtx {
    inner: Arc<CtxInner>,
}

#[derive(Debug)]
struct CtxInner {
    queue: Queue,
    job: Job,
    lease: Lease,
    /// Cancelled when the job was cancelled or its lease lost: stop working.
    lost: CancellationToken,
    /// Cancelled when the worker shuts down: no new step starts.
    stopping: CancellationToken,
    next_position: AtomicU32,
}

impl JobCtx {
    pub(crate) fn new(
        queue: Queue,
        job: Job,
        lease: Lease,
        lost: CancellationToken,
        stopping: CancellationToken,
    ) -> JobCtx {
        JobCtx {
            inner: Arc::new(CtxInner {
                queue,
                job,
                lease,
                lost,
                stopping,
                next_position: AtomicU32::new(0),
            }),
        }
    }

    /// The job as claimed (payload, user, project, `attempts` = this attempt's number).
    pub fn job(&self) -> &Job {
        &self.inner.job
    }

    /// The job's id.
    pub fn id(&self) -> &JobId {
        &self.inner.job.id
    }

    /// This attempt's number, from 1.
    pub fn attempt(&self) -> u32 {
        self.inner.job.attempts
    }

    /// The payload as `T`; a payload that does not fit is a permanent error.
    pub fn payload<T: DeserializeOwned>(&self) -> Result<T, JobError> {
        serde_json::from_value(self.inner.job.payload.clone())
            .map_err(|error| JobError::Permanent(format!("the job's payload is invalid: {error}")))
    }

    /// Whether the job was cancelled or this worker lost its lease: stop as soon as
    /// possible (the worker stops waiting for the handler anyway).
    pub fn is_cancelled(&self) -> bool {
        self.inner.lost.is_cancelled()
    }

    /// Resolves when [`JobCtx::is_cancelled`] becomes true (for `select!`).
    pub async fn cancelled(&self) {
        self.inner.lost.cancelled().await;
    }

    /// Whether the worker is shutting down: the next [`JobCtx::step`] returns
    /// [`JobError::Interrupted`] and the job is released to another worker.
    pub fn is_stopping(&self) -> bool {
        self.inner.stopping.is_cancelled()
    }

    /// Runs a named, persisted step. If an earlier attempt of this job finished a step of
    /// this name, its stored output is returned and `work` is not run (not even polled);
    /// otherwise the step is recorded as running, `work` runs, and its output is stored
    /// (events `step_started`, then `step_finished` with `duration_ms` or `step_failed`).
    /// Names must be unique within a job; the output must round-trip through JSON.
    pub async fn step<T, F>(&self, name: &str, work: F) -> Result<T, JobError>
    where
        T: Serialize + DeserializeOwned,
        F: IntoFuture<Output = Result<T, JobError>>,
    {
        if self.is_cancelled() {
            return Err(JobError::Cancelled);
        }
        if self.is_stopping() {
            return Err(JobError::Interrupted);
        }
        let inner = &self.inner;
        let position = inner.next_position.fetch_add(1, Ordering::Relaxed);
        let begun = lease::begin_step(
            &inner.queue,
            &inner.lease,
            now_ms(),
            name,
            position,
            inner.job.attempts,
        )
        .await?;
        match begun {
            StepStart::Reused(output) => return Ok(serde_json::from_str(&output)?),
            StepStart::LeaseLost => return Err(self.lost()),
            StepStart::Started => {}
        }
        let started = std::time::Instant::now();
        let result = work.into_future().await;
        let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        match result {
            Ok(value) => {
                let output = serde_json::to_string(&value)?;
                let stored = lease::finish_step(
                    &inner.queue,
                    &inner.lease,
                    now_ms(),
                    name,
                    position,
                    &output,
                    duration_ms,
                )
                .await?;
                if stored { Ok(value) } else { Err(self.lost()) }
            }
            Err(error) => {
                let failure = lease::StepFailure {
                    name,
                    position,
                    error: &error.to_string(),
                    permanent: error.is_permanent(),
                    duration_ms,
                };
                // Best effort: the error that matters is the step's own.
                if let Err(db_error) =
                    lease::fail_step(&inner.queue, &inner.lease, now_ms(), &failure).await
                {
                    tracing::warn!(job = %inner.job.id, step = name, %db_error,
                        "cannot record a failed step");
                }
                Err(error)
            }
        }
    }

    /// Writes a progress event of the handler's own `kind` (e.g. `log`, `progress`).
    pub async fn emit(&self, kind: &str, data: Value) -> Result<(), JobError> {
        let inner = &self.inner;
        if lease::emit(&inner.queue, &inner.lease, now_ms(), kind, &data).await? {
            Ok(())
        } else {
            Err(self.lost())
        }
    }

    fn lost(&self) -> JobError {
        self.inner.lost.cancel();
        JobError::Cancelled
    }
}
