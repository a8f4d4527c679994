//! The kinds of events the engine writes to `job_events` (handlers add their own with
//! `JobCtx::emit`). Data fields are listed per kind; times are milliseconds.

/// `{kind, priority, run_at}` or `{kind, priority, run_at, schedule}`.
pub const ENQUEUED: &str = "enqueued";
/// An attempt began: `{attempt, queued_ms, worker}`; `queued_ms` is the time from the
/// job becoming due (`run_at`) to the claim: the enqueue → start latency.
pub const STARTED: &str = "started";
/// `{step, position, attempt}`.
pub const STEP_STARTED: &str = "step_started";
/// `{step, position, duration_ms}`.
pub const STEP_FINISHED: &str = "step_finished";
/// A step finished by an earlier attempt; its stored output was used: `{step, position}`.
pub const STEP_REUSED: &str = "step_reused";
/// `{step, position, duration_ms, error, permanent}`.
pub const STEP_FAILED: &str = "step_failed";
/// The attempt failed and the job is queued again: `{attempt, error, delay_ms, run_at}`.
pub const RETRYING: &str = "retrying";
/// The job is in the dead-letter state: `{attempt, error, permanent}`.
pub const DEAD: &str = "dead";
/// `{attempt, duration_ms}` (duration of the last attempt).
pub const SUCCEEDED: &str = "succeeded";
/// `{}`.
pub const CANCELLED: &str = "cancelled";
/// A shutting-down worker gave the job back, attempt not counted: `{worker, reason}`.
pub const RELEASED: &str = "released";
/// A dead job was moved back to the queue by `Queue::retry`: `{}`.
pub const RETRIED: &str = "retried";
