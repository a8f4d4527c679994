//! The engine's values: jobs, steps, events, schedules, and how they map to rows.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

/// A job's id: a UUIDv7 string, so ids sort by creation time.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(String);

impl JobId {
    /// A fresh id.
    pub fn new() -> JobId {
        JobId(uuid::Uuid::now_v7().to_string())
    }

    /// The id as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for JobId {
    fn default() -> Self {
        JobId::new()
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for JobId {
    type Err = uuid::Error;

    /// Parses an id received from a client (any UUID, normalised to lower case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(JobId(uuid::Uuid::parse_str(s)?.to_string()))
    }
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobState {
    /// Waiting for `run_at` and a free worker (also after a failed attempt, with backoff).
    Queued,
    /// Leased by a worker.
    Running,
    /// Finished with a result.
    Succeeded,
    /// Failed `max_attempts` times or permanently: the dead-letter state, see `Queue::retry`.
    Dead,
    /// Cancelled by `Queue::cancel`.
    Cancelled,
}

impl JobState {
    /// Every state, in the order of a job's life.
    pub const ALL: [JobState; 5] = [
        JobState::Queued,
        JobState::Running,
        JobState::Succeeded,
        JobState::Dead,
        JobState::Cancelled,
    ];

    /// The name stored in `jobs.state`.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Dead => "dead",
            JobState::Cancelled => "cancelled",
        }
    }

    /// Whether the job will not change any more (unless retried).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobState::Succeeded | JobState::Dead | JobState::Cancelled
        )
    }

    pub(crate) fn parse(s: &str) -> JobState {
        match s {
            "running" => JobState::Running,
            "succeeded" => JobState::Succeeded,
            "dead" => JobState::Dead,
            "cancelled" => JobState::Cancelled,
            _ => JobState::Queued,
        }
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// The handler's name in the worker's `Registry`.
    pub kind: String,
    /// The handler's input.
    pub payload: Value,
    /// The user the job runs for: the per-user concurrency limit applies to it.
    pub user_id: Option<String>,
    /// The project the job belongs to, if any.
    pub project_id: Option<String>,
    /// Higher runs first.
    pub priority: i32,
    /// Attempts before the job goes dead (at least 1).
    pub max_attempts: u32,
    /// Not before this time (ms since the epoch); `None` = now.
    pub run_at: Option<i64>,
}

impl NewJob {
    /// A job of `kind` with `payload`, priority 0, 5 attempts, due now.
    pub fn new(kind: impl Into<String>, payload: Value) -> NewJob {
        NewJob {
            kind: kind.into(),
            payload,
            user_id: None,
            project_id: None,
            priority: 0,
            max_attempts: 5,
            run_at: None,
        }
    }

    /// Sets the user.
    pub fn user(mut self, user_id: impl Into<String>) -> NewJob {
        self.user_id = Some(user_id.into());
        self
    }

    /// Sets the project.
    pub fn project(mut self, project_id: impl Into<String>) -> NewJob {
        self.project_id = Some(project_id.into());
        self
    }

    /// Sets the priority (higher first).
    pub fn priority(mut self, priority: i32) -> NewJob {
        self.priority = priority;
        self
    }

    /// Sets the number of attempts before the job goes dead.
    pub fn max_attempts(mut self, max_attempts: u32) -> NewJob {
        self.max_attempts = max_attempts;
        self
    }

    /// Delays the job until `run_at` (ms since the epoch).
    pub fn run_at(mut self, run_at: i64) -> NewJob {
        self.run_at = Some(run_at);
        self
    }
}

/// A job as stored. Times are milliseconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: JobId,
    pub kind: String,
    pub user_id: Option<String>,
    pub project_id: Option<String>,
    pub payload: Value,
    pub priority: i32,
    pub state: JobState,
    /// Attempts started so far (the current one included while running).
    pub attempts: u32,
    pub max_attempts: u32,
    pub run_at: i64,
    /// `"<worker id>/<claim id>"` while running.
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<i64>,
    pub last_error: Option<String>,
    pub result: Option<Value>,
    pub created_at: i64,
    /// Start of the latest attempt.
    pub started_at: Option<i64>,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

/// The state of one step of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StepState {
    Running,
    Succeeded,
    Failed,
}

impl StepState {
    /// The name stored in `job_steps.state`.
    pub fn as_str(self) -> &'static str {
        match self {
            StepState::Running => "running",
            StepState::Succeeded => "succeeded",
            StepState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> StepState {
        match s {
            "succeeded" => StepState::Succeeded,
            "failed" => StepState::Failed,
            _ => StepState::Running,
        }
    }
}

/// One step of a job (see `JobCtx::step`).
#[derive(Debug, Clone, PartialEq)]
pub struct JobStep {
    pub job_id: JobId,
    pub name: String,
    /// Order of the step within the handler (0-based).
    pub position: u32,
    pub state: StepState,
    /// The step's output once it succeeded.
    pub output: Option<Value>,
    pub error: Option<String>,
    /// How many times the step was started.
    pub attempts: u32,
    pub started_at: i64,
    pub finished_at: Option<i64>,
}

/// A progress event of a job, for streaming (SSE/WebSocket) from any process.
///
/// Kinds written by the engine (see [`event`](crate::event)): `enqueued`, `started`,
/// `step_started`, `step_finished`, `step_reused`, `step_failed`, `retrying`, `dead`,
/// `succeeded`, `cancelled`, `released`, `retried`; handlers add their own with
/// `JobCtx::emit`.
#[derive(Debug, Clone, PartialEq)]
pub struct JobEvent {
    /// Increasing per database: resume a stream with `events_after(job, id)`.
    pub id: i64,
    pub job_id: JobId,
    pub at: i64,
    pub kind: String,
    pub data: Value,
}

/// Jobs per state, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueDepth {
    pub queued: u64,
    pub running: u64,
    pub succeeded: u64,
    pub dead: u64,
    pub cancelled: u64,
}

impl QueueDepth {
    /// The count of one state.
    pub fn get(&self, state: JobState) -> u64 {
        match state {
            JobState::Queued => self.queued,
            JobState::Running => self.running,
            JobState::Succeeded => self.succeeded,
            JobState::Dead => self.dead,
            JobState::Cancelled => self.cancelled,
        }
    }

    pub(crate) fn set(&mut self, state: JobState, count: u64) {
        match state {
            JobState::Queued => self.queued = count,
            JobState::Running => self.running = count,
            JobState::Succeeded => self.succeeded = count,
            JobState::Dead => self.dead = count,
            JobState::Cancelled => self.cancelled = count,
        }
    }
}

/// A cron schedule that enqueues a job of `kind` at each occurrence (UTC).
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// Unique name; upserting the same name replaces the schedule.
    pub name: String,
    /// Five fields (minute hour day-of-month month day-of-week), evaluated in UTC by
    /// croner; a leading sixth seconds field is accepted too.
    pub cron: String,
    pub kind: String,
    pub payload: Value,
    pub priority: i32,
    /// `max_attempts` of the jobs it enqueues.
    pub max_attempts: u32,
    pub enabled: bool,
}

impl Schedule {
    /// An enabled schedule with priority 0 and 5 attempts per job.
    pub fn new(
        name: impl Into<String>,
        cron: impl Into<String>,
        kind: impl Into<String>,
        payload: Value,
    ) -> Schedule {
        Schedule {
            name: name.into(),
            cron: cron.into(),
            kind: kind.into(),
            payload,
            priority: 0,
            max_attempts: 5,
            enabled: true,
        }
    }
}

/// A stored schedule with its times.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleInfo {
    pub schedule: Schedule,
    pub next_run_at: i64,
    pub last_run_at: Option<i64>,
}

// ---- rows ------------------------------------------------------------------------------

/// The columns of `jobs` read into [`JobRow`], as a literal for `concat!`.
macro_rules! job_columns {
    () => {
        "id, kind, user_id, project_id, payload, priority, state, attempts, max_attempts, \
         run_at, lease_owner, lease_expires_at, last_error, result, created_at, started_at, \
         updated_at, finished_at"
    };
}
pub(crate) use job_columns;

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct JobRow {
    id: String,
    kind: String,
    user_id: Option<String>,
    project_id: Option<String>,
    payload: String,
    priority: i32,
    state: String,
    attempts: i32,
    max_attempts: i32,
    run_at: i64,
    lease_owner: Option<String>,
    lease_expires_at: Option<i64>,
    last_error: Option<String>,
    result: Option<String>,
    created_at: i64,
    started_at: Option<i64>,
    updated_at: i64,
    finished_at: Option<i64>,
}

impl From<JobRow> for Job {
    fn from(row: JobRow) -> Job {
        Job {
            id: JobId(row.id),
            kind: row.kind,
            user_id: row.user_id,
            project_id: row.project_id,
            payload: parse_json(&row.payload),
            priority: row.priority,
            state: JobState::parse(&row.state),
            attempts: u32::try_from(row.attempts).unwrap_or(0),
            max_attempts: u32::try_from(row.max_attempts).unwrap_or(1),
            run_at: row.run_at,
            lease_owner: row.lease_owner,
            lease_expires_at: row.lease_expires_at,
            last_error: row.last_error,
            result: row.result.as_deref().map(parse_json),
            created_at: row.created_at,
            started_at: row.started_at,
            updated_at: row.updated_at,
            finished_at: row.finished_at,
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct StepRow {
    job_id: String,
    name: String,
    position: i32,
    state: String,
    output: Option<String>,
    error: Option<String>,
    attempts: i32,
    started_at: i64,
    finished_at: Option<i64>,
}

impl From<StepRow> for JobStep {
    fn from(row: StepRow) -> JobStep {
        JobStep {
            job_id: JobId(row.job_id),
            name: row.name,
            position: u32::try_from(row.position).unwrap_or(0),
            state: StepState::parse(&row.state),
            output: row.output.as_deref().map(parse_json),
            error: row.error,
            attempts: u32::try_from(row.attempts).unwrap_or(0),
            started_at: row.started_at,
            finished_at: row.finished_at,
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct EventRow {
    id: i64,
    job_id: String,
    at: i64,
    kind: String,
    data: String,
}

impl From<EventRow> for JobEvent {
    fn from(row: EventRow) -> JobEvent {
        JobEvent {
            id: row.id,
            job_id: JobId(row.job_id),
            at: row.at,
            kind: row.kind,
            data: parse_json(&row.data),
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ScheduleRow {
    pub(crate) name: String,
    pub(crate) cron: String,
    pub(crate) kind: String,
    pub(crate) payload: String,
    pub(crate) priority: i32,
    pub(crate) max_attempts: i32,
    pub(crate) next_run_at: i64,
    pub(crate) last_run_at: Option<i64>,
    pub(crate) enabled: bool,
}

impl From<ScheduleRow> for ScheduleInfo {
    fn from(row: ScheduleRow) -> ScheduleInfo {
        ScheduleInfo {
            schedule: Schedule {
                name: row.name,
                cron: row.cron,
                kind: row.kind,
                payload: parse_json(&row.payload),
                priority: row.priority,
                max_attempts: u32::try_from(row.max_attempts).unwrap_or(1),
                enabled: row.enabled,
            },
            next_run_at: row.next_run_at,
            last_run_at: row.last_run_at,
        }
    }
}

/// Stored JSON is written by this crate; a document that does not parse (edited by hand)
/// is kept as a string rather than failing the whole read.
fn parse_json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}
