-- Jobs tables: written by the jobs engine (crates/apiforge-jobs).
-- Independent of the core migration: user_id and project_id are plain TEXT, no foreign key.
-- Times are milliseconds since the Unix epoch; JSON documents are TEXT.

CREATE TABLE jobs (
    id               TEXT PRIMARY KEY NOT NULL,            -- UUIDv7
    kind             TEXT NOT NULL,                        -- handler name
    user_id          TEXT,
    project_id       TEXT,
    payload          TEXT NOT NULL,                        -- JSON
    priority         INTEGER NOT NULL DEFAULT 0,           -- higher first
    state            TEXT NOT NULL DEFAULT 'queued'
                     CHECK (state IN ('queued', 'running', 'succeeded', 'dead', 'cancelled')),
    attempts         INTEGER NOT NULL DEFAULT 0,           -- claims so far (released claims not counted)
    max_attempts     INTEGER NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
    run_at           INTEGER NOT NULL,                     -- due time (backoff is persisted here)
    lease_owner      TEXT,                                 -- "<worker id>/<claim id>" while running
    lease_expires_at INTEGER,
    last_error       TEXT,
    result           TEXT,                                 -- JSON, on success
    created_at       INTEGER NOT NULL,
    started_at       INTEGER,                              -- start of the latest attempt
    updated_at       INTEGER NOT NULL,
    finished_at      INTEGER
);
-- The claim: queued or lease-expired jobs by priority, due time, id.
CREATE INDEX jobs_claim ON jobs (priority DESC, run_at, id) WHERE state IN ('queued', 'running');
-- The per-user concurrency limit counts a user's running jobs.
CREATE INDEX jobs_user_state ON jobs (user_id, state) WHERE user_id IS NOT NULL;
CREATE INDEX jobs_project ON jobs (project_id, created_at) WHERE project_id IS NOT NULL;
CREATE INDEX jobs_state ON jobs (state, updated_at);

CREATE TABLE job_steps (
    job_id      TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    position    INTEGER NOT NULL,                          -- order within the handler
    state       TEXT NOT NULL CHECK (state IN ('running', 'succeeded', 'failed')),
    output      TEXT,                                      -- JSON, once succeeded: reused on retry
    error       TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    PRIMARY KEY (job_id, name)
);

CREATE TABLE job_events (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    at     INTEGER NOT NULL,
    kind   TEXT NOT NULL,
    data   TEXT NOT NULL                                   -- JSON
);
CREATE INDEX job_events_job ON job_events (job_id, id);

CREATE TABLE schedules (
    name         TEXT PRIMARY KEY NOT NULL,
    cron         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,                            -- JSON
    priority     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
    next_run_at  INTEGER NOT NULL,
    last_run_at  INTEGER,
    enabled      BOOLEAN NOT NULL DEFAULT 1
);
CREATE INDEX schedules_due ON schedules (next_run_at) WHERE enabled;
