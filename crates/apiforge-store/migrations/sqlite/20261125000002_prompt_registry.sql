-- The prompt registry (issue 7) replaces the placeholder tables of the core migration,
-- which held no data: built-in prompts (no owner, readable by everyone), one row per
-- version with its typed variables and output rules, and executions queued as jobs.
DROP TABLE executions;
DROP TABLE prompt_versions;
DROP TABLE prompts;

CREATE TABLE prompts (
    id              TEXT PRIMARY KEY NOT NULL,
    owner_id        TEXT REFERENCES users (id) ON DELETE CASCADE,   -- NULL: built in
    name            TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    current_version BIGINT NOT NULL DEFAULT 1,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    deleted_at      BIGINT
);
-- A name is unique among one owner's live prompts (and among the built-in ones).
CREATE UNIQUE INDEX prompts_name ON prompts (COALESCE(owner_id, ''), name)
    WHERE deleted_at IS NULL;

CREATE TABLE prompt_versions (
    prompt_id     TEXT NOT NULL REFERENCES prompts (id) ON DELETE CASCADE,
    version       BIGINT NOT NULL CHECK (version > 0),
    template      TEXT NOT NULL,
    variables     TEXT NOT NULL DEFAULT '[]',   -- JSON: [{name, type, required, default, description, secret}]
    output_schema TEXT,                         -- JSON Schema the output must satisfy
    output_regex  TEXT,                         -- a pattern the whole output must match
    max_length    BIGINT,                       -- characters
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (prompt_id, version)
);

CREATE TABLE executions (
    id          TEXT PRIMARY KEY NOT NULL,
    prompt_id   TEXT NOT NULL,
    version     BIGINT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    priority    TEXT NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high')),
    status      TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    job_id      TEXT,
    retry_of    TEXT,
    input       TEXT NOT NULL,   -- JSON of the variables, secrets redacted
    rendered    TEXT,            -- the prompt as sent, secrets redacted
    provider    TEXT,
    model       TEXT,
    output      TEXT,
    latency_ms  BIGINT,
    tokens_in   BIGINT,
    tokens_out  BIGINT,
    cost_micros BIGINT,          -- USD × 10⁶
    error       TEXT,
    created_at  BIGINT NOT NULL,
    finished_at BIGINT,
    FOREIGN KEY (prompt_id, version) REFERENCES prompt_versions (prompt_id, version)
        ON DELETE CASCADE
);
CREATE INDEX executions_prompt ON executions (prompt_id, created_at);
CREATE INDEX executions_user ON executions (user_id, created_at);
