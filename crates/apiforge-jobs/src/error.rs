//! The crate's two error types: [`QueueError`] for callers of the queue, [`JobError`]
//! for handlers.

use std::fmt::Display;

/// What went wrong with a queue operation.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("job database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("invalid cron expression {cron:?}: {message}")]
    Cron { cron: String, message: String },
    #[error("invalid job: {0}")]
    InvalidJob(String),
}

/// How a job's handler (or one of its steps) failed; decides what the worker does next.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// A failure worth retrying: the job is queued again with backoff until
    /// `max_attempts`, then dead.
    #[error("{0}")]
    Failed(String),
    /// A failure that retrying cannot fix: the job goes dead at once.
    #[error("{0}")]
    Permanent(String),
    /// The job was cancelled, or its lease was lost to another worker: stop.
    #[error("the job was cancelled or its lease was lost")]
    Cancelled,
    /// The worker is shutting down; the job is released (attempt not counted) and
    /// resumes after its last finished step on another worker.
    #[error("the worker is shutting down")]
    Interrupted,
    /// Bookkeeping in the database failed (retryable).
    #[error("job database error: {0}")]
    Db(#[from] sqlx::Error),
    /// A step's output does not serialise, or a stored output no longer fits its type.
    #[error("step output does not (de)serialise: {0}")]
    Json(#[from] serde_json::Error),
}

impl JobError {
    /// A retryable failure with `error`'s message.
    pub fn failed(error: impl Display) -> JobError {
        JobError::Failed(error.to_string())
    }

    /// A permanent failure with `error`'s message.
    pub fn permanent(error: impl Display) -> JobError {
        JobError::Permanent(error.to_string())
    }

    /// Whether the job should go dead at once rather than be retried.
    pub fn is_permanent(&self) -> bool {
        matches!(self, JobError::Permanent(_) | JobError::Json(_))
    }
}
