//! A durable workflow engine on the store's database (SQLite or PostgreSQL), written on
//! sqlx: jobs are rows in `jobs`; a job's handler runs named steps whose outputs are
//! stored in `job_steps`, so an attempt that failed, or was taken over after its worker
//! died, resumes after its last finished step. Progress goes to `job_events` for the
//! server to stream.
//!
//! - [`Queue`]: enqueue, inspect, stream events ([`Queue::wait_for_events`]), dead
//!   letters ([`Queue::dead_jobs`], [`Queue::retry`]), [`Queue::cancel`],
//!   [`Queue::queue_depth`], cron schedules ([`Queue::upsert_schedule`]).
//! - [`Worker`]: claims due jobs by priority, at most `concurrency` at once and at most
//!   `per_user_limit` running per user; heartbeats leases; retries with persisted
//!   exponential backoff and jitter ([`Backoff`]); dead-letters after `max_attempts` or a
//!   [`JobError::Permanent`]; releases jobs on graceful shutdown.
//! - [`Handler`] and [`JobCtx`]: the code of a job kind and its persisted steps.
//!
//! Claiming: on SQLite an `UPDATE … WHERE id = (SELECT … LIMIT 1) RETURNING` inside
//! `BEGIN IMMEDIATE`; on PostgreSQL the same with `FOR UPDATE SKIP LOCKED`, so several
//! worker processes on several machines share the queue. Workers of the process wake on
//! enqueue at once (tokio `Notify`), other processes through `LISTEN/NOTIFY` on
//! PostgreSQL, else by polling.
//!
//! The crate owns the `jobs`, `job_steps`, `job_events` and `schedules` tables (their
//! migration ships with apiforge-store) and nothing else: it knows no job kinds (the
//! binary registers pipeline handlers), runs no HTTP, and never blocks a runtime thread.
//! Every write of a worker about a job checks that it still holds the job's lease, so a
//! worker that lost its lease (expired, cancelled) changes nothing.

mod backend;
mod backoff;
mod ctx;
mod error;
pub mod event;
mod latency;
mod lease;
mod model;
mod queue;
mod schedule;
mod worker;

pub use backend::{EVENTS_CHANNEL, JOBS_CHANNEL};
pub use backoff::Backoff;
pub use ctx::JobCtx;
pub use error::{JobError, QueueError};
pub use latency::{LATENCY_PROBE_KIND, LatencyOptions, LatencyReport, measure_start_latency};
pub use model::{
    Job, JobEvent, JobId, JobState, JobStep, NewJob, QueueDepth, Schedule, ScheduleInfo, StepState,
};
pub use queue::Queue;
pub use schedule::next_run_after;
pub use worker::{Handler, Registry, Worker, WorkerConfig};

/// `async_trait`, re-exported so handler crates need no dependency of their own.
pub use async_trait::async_trait;
