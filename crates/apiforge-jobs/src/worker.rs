//! [`Worker`]: claims jobs, runs their handlers with heartbeats, records the outcome,
//! ticks schedules, and shuts down gracefully.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use apiforge_store::now_ms;
use serde_json::Value;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::backend::ClaimParams;
use crate::backoff::Backoff;
use crate::ctx::JobCtx;
use crate::error::JobError;
use crate::lease::{self, AttemptFailure, FailOutcome, Lease};
use crate::model::Job;
use crate::queue::Queue;

/// The code that runs jobs of one kind.
#[async_trait::async_trait]
pub trait Handler: Send + Sync + 'static {
    /// Runs one attempt. Wrap resumable work in [`JobCtx::step`]; return the job's
    /// result, or an error (retried with backoff unless [`JobError::Permanent`]).
    /// Blocking work belongs in `tokio::task::spawn_blocking`.
    async fn run(&self, ctx: JobCtx) -> Result<Value, JobError>;
}

/// A handler made of an async closure: `Registry::new().with_fn("kind", |ctx| async { … })`.
struct FnHandler<F>(F);

#[async_trait::async_trait]
impl<F, Fut> Handler for FnHandler<F>
where
    F: Fn(JobCtx) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Value, JobError>> + Send + 'static,
{
    async fn run(&self, ctx: JobCtx) -> Result<Value, JobError> {
        (self.0)(ctx).await
    }
}

/// The handlers of a worker, by job kind. A worker only claims kinds it has.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<String, Arc<dyn Handler>>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("kinds", &self.kinds())
            .finish()
    }
}

impl Registry {
    /// No handlers.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Adds (or replaces) the handler of `kind`.
    pub fn register(&mut self, kind: impl Into<String>, handler: impl Handler) -> &mut Registry {
        self.handlers.insert(kind.into(), Arc::new(handler));
        self
    }

    /// Adds the handler of `kind` (builder style).
    pub fn with(mut self, kind: impl Into<String>, handler: impl Handler) -> Registry {
        self.register(kind, handler);
        self
    }

    /// Adds an async closure as the handler of `kind`.
    pub fn with_fn<F, Fut>(self, kind: impl Into<String>, handler: F) -> Registry
    where
        F: Fn(JobCtx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value, JobError>> + Send + 'static,
    {
        self.with(kind, FnHandler(handler))
    }

    /// The registered kinds, sorted.
    pub fn kinds(&self) -> Vec<String> {
        let mut kinds: Vec<String> = self.handlers.keys().cloned().collect();
        kinds.sort();
        kinds
    }

    fn get(&self, kind: &str) -> Option<Arc<dyn Handler>> {
        self.handlers.get(kind).cloned()
    }
}

/// How a worker behaves.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Names this worker in leases and events (unique per process is enough: each claim
    /// adds its own token).
    pub worker_id: String,
    /// Jobs run at once.
    pub concurrency: usize,
    /// How long a claim holds without a heartbeat; after that another worker may take
    /// the job over (resuming after its last finished step).
    pub lease: Duration,
    /// How often a running job's lease is extended (well below `lease`).
    pub heartbeat: Duration,
    /// How often to look for due jobs and schedules when nothing wakes the worker.
    pub poll: Duration,
    /// Running jobs per user across all workers (0 = no limit).
    pub per_user_limit: u32,
    /// Delay before retrying a failed attempt.
    pub backoff: Backoff,
    /// On shutdown, how long in-flight jobs may take to finish their current step before
    /// their leases are released.
    pub grace: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            worker_id: format!("worker-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]),
            concurrency: 4,
            lease: Duration::from_secs(30),
            heartbeat: Duration::from_secs(10),
            poll: Duration::from_secs(1),
            per_user_limit: 2,
            backoff: Backoff::default(),
            grace: Duration::from_secs(10),
        }
    }
}

/// A worker: `Worker::new(queue, config, registry).run(shutdown).await`.
#[derive(Debug, Clone)]
pub struct Worker {
    queue: Queue,
    config: Arc<WorkerConfig>,
    registry: Arc<Registry>,
}

impl Worker {
    /// A worker for the kinds in `registry`.
    pub fn new(queue: Queue, config: WorkerConfig, registry: Registry) -> Worker {
        Worker {
            queue,
            config: Arc::new(config),
            registry: Arc::new(registry),
        }
    }

    /// Runs until `shutdown` is cancelled, then stops claiming, lets in-flight jobs finish
    /// their current step (a job's next `step` returns [`JobError::Interrupted`] and the
    /// job is released) for up to `grace`, and releases the leases of jobs still running.
    /// Database errors are logged and retried at the poll interval.
    pub async fn run(self, shutdown: CancellationToken) {
        let config = &self.config;
        let slots = Arc::new(Semaphore::new(config.concurrency.max(1)));
        let release = CancellationToken::new();
        let kinds = self.registry.kinds();
        let mut tasks = JoinSet::new();
        let mut last_maintenance: Option<Instant> = None;
        self.queue.ensure_listener();
        tracing::info!(worker = %config.worker_id, ?kinds, "job worker started");
        loop {
            while tasks.try_join_next().is_some() {}
            let permit = tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                permit = slots.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            };
            let woken = self.queue.inner.jobs_wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            if last_maintenance.is_none_or(|at| at.elapsed() >= config.poll) {
                last_maintenance = Some(Instant::now());
                self.maintain().await;
            }
            match self.claim(&kinds).await {
                Ok(Some((job, lease))) => {
                    let run =
                        self.clone()
                            .run_job(job, lease, permit, shutdown.clone(), release.clone());
                    tasks.spawn(run);
                    continue;
                }
                Ok(None) => drop(permit),
                Err(error) => {
                    drop(permit);
                    tracing::warn!(worker = %config.worker_id, %error, "cannot claim jobs");
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = &mut woken => {}
                () = tokio::time::sleep(config.poll) => {}
            }
        }
        tracing::info!(worker = %config.worker_id, running = tasks.len(), "job worker stopping");
        let grace = tokio::time::sleep(config.grace);
        tokio::pin!(grace);
        loop {
            tokio::select! {
                done = tasks.join_next() => if done.is_none() { break },
                () = &mut grace, if !release.is_cancelled() => release.cancel(),
            }
        }
        tracing::info!(worker = %config.worker_id, "job worker stopped");
    }

    async fn claim(&self, kinds: &[String]) -> sqlx::Result<Option<(Job, Lease)>> {
        let config = &self.config;
        let owner = format!("{}/{}", config.worker_id, uuid::Uuid::new_v4().simple());
        let now = now_ms();
        let lease_ms = i64::try_from(config.lease.as_millis()).unwrap_or(i64::MAX);
        let params = ClaimParams {
            lease_owner: &owner,
            now,
            lease_expires_at: now.saturating_add(lease_ms),
            kinds,
            per_user_limit: config.per_user_limit,
        };
        let job = lease::claim(&self.queue, &params, &config.worker_id).await?;
        Ok(job.map(|job| {
            let lease = Lease {
                job_id: job.id.as_str().to_owned(),
                owner,
            };
            (job, lease)
        }))
    }

    /// Schedules and expired last attempts, once per poll interval.
    async fn maintain(&self) {
        let now = now_ms();
        if let Err(error) = self.queue.enqueue_due_schedules(now).await {
            tracing::warn!(worker = %self.config.worker_id, %error, "cannot enqueue due schedules");
        }
        if let Err(error) = lease::reap_expired(&self.queue, now).await {
            tracing::warn!(worker = %self.config.worker_id, %error, "cannot reap expired jobs");
        }
    }

    async fn run_job(
        self,
        job: Job,
        lease: Lease,
        permit: OwnedSemaphorePermit,
        stopping: CancellationToken,
        release: CancellationToken,
    ) {
        let _permit = permit;
        let config = &self.config;
        let Some(handler) = self.registry.get(&job.kind) else {
            // Claims filter by kind, so this needs a registry changed under the worker.
            self.release(&lease, "no handler").await;
            return;
        };
        let lost = CancellationToken::new();
        let ctx = JobCtx::new(
            self.queue.clone(),
            job.clone(),
            lease.clone(),
            lost.clone(),
            stopping,
        );
        tracing::info!(job = %job.id, kind = %job.kind, attempt = job.attempts, "job started");
        let started = Instant::now();
        // The handler runs in its own task: the heartbeat below keeps going whatever the
        // handler does, and a handler that panics fails the attempt instead of the worker.
        let mut handle = tokio::spawn(async move { handler.run(ctx).await });
        // If this task is dropped (the worker aborted), the handler stops with it.
        let _abort_handler = AbortOnDrop(handle.abort_handle());
        let mut beat =
            tokio::time::interval_at(Instant::now() + config.heartbeat, config.heartbeat);
        let lease_ms = i64::try_from(config.lease.as_millis()).unwrap_or(i64::MAX);
        let outcome = loop {
            tokio::select! {
                outcome = &mut handle => break outcome,
                _ = beat.tick() => {
                    let now = now_ms();
                    match lease::heartbeat(&self.queue, &lease, now, now.saturating_add(lease_ms)).await {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::info!(job = %job.id, "lease lost or job cancelled; abandoning");
                            lost.cancel();
                            handle.abort();
                            return;
                        }
                        Err(error) => tracing::warn!(job = %job.id, %error, "heartbeat failed"),
                    }
                }
                () = lost.cancelled() => {
                    handle.abort();
                    return;
                }
                () = release.cancelled() => {
                    handle.abort();
                    self.release(&lease, "shutdown grace period over").await;
                    return;
                }
            }
        };
        let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let now = now_ms();
        let error = match outcome {
            Ok(Ok(result)) => {
                match lease::succeed(&self.queue, &lease, now, &result, job.attempts, duration_ms)
                    .await
                {
                    Ok(true) => tracing::info!(job = %job.id, duration_ms, "job succeeded"),
                    Ok(false) => {
                        tracing::info!(job = %job.id, "finished after losing the lease; result dropped")
                    }
                    Err(error) => tracing::warn!(job = %job.id, %error, "cannot store the result"),
                }
                return;
            }
            Ok(Err(JobError::Interrupted)) => {
                self.release(&lease, "worker shutting down").await;
                return;
            }
            Ok(Err(JobError::Cancelled)) if lost.is_cancelled() => return,
            Ok(Err(error)) => error,
            Err(join_error) => JobError::Failed(format!("the handler panicked: {join_error}")),
        };
        let permanent = error.is_permanent();
        let message = error.to_string();
        let failure = AttemptFailure {
            attempt: job.attempts,
            error: &message,
            permanent,
            dead: permanent || job.attempts >= job.max_attempts,
            delay: config.backoff.delay(job.attempts),
        };
        match lease::fail(&self.queue, &lease, now, &failure).await {
            Ok(FailOutcome::Retrying) => {
                tracing::info!(job = %job.id, attempt = job.attempts, error = %message, "job failed; will retry");
            }
            Ok(FailOutcome::Dead) => {
                tracing::warn!(job = %job.id, attempt = job.attempts, error = %message, "job dead");
            }
            Ok(FailOutcome::LeaseLost) => {}
            Err(db_error) => tracing::warn!(job = %job.id, %db_error, "cannot record a failure"),
        }
    }

    async fn release(&self, lease: &Lease, reason: &str) {
        match lease::release(&self.queue, lease, now_ms(), &self.config.worker_id, reason).await {
            Ok(true) => tracing::info!(job = %lease.job_id, reason, "job released"),
            Ok(false) => {}
            Err(error) => tracing::warn!(job = %lease.job_id, %error, "cannot release a job"),
        }
    }
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
