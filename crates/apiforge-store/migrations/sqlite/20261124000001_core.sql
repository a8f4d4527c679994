-- Core tables: written by the store. Same table and column names as the PostgreSQL schema.
-- ids: UUIDv7 text; times: milliseconds since the Unix epoch; JSON: TEXT; booleans: 0/1.
-- SQLite has no row-level security: the store's tenant API filters by membership in SQL.

CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL,
    -- trimmed and lower-cased by the store before it gets here
    email         TEXT NOT NULL UNIQUE,
    created_at    BIGINT NOT NULL,
    last_login_at BIGINT
);

-- A magic link and a one-time code sent together; either one signs in, once.
CREATE TABLE login_tokens (
    id         TEXT PRIMARY KEY NOT NULL,
    email      TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    code_hash  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    attempts   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX login_tokens_email ON login_tokens (email, created_at);

CREATE TABLE sessions (
    id         TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    ip         TEXT,
    user_agent TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    expires_at   BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE projects (
    id              TEXT PRIMARY KEY NOT NULL,
    owner_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    target          TEXT NOT NULL CHECK (target IN ('fastapi', 'express')),
    source_kind     TEXT NOT NULL CHECK (source_kind IN ('prompt', 'csv')),
    source          TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'running', 'ready', 'failed')),
    current_version BIGINT,
    last_job_id     TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX projects_owner ON projects (owner_id);

CREATE TABLE project_members (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_members_user ON project_members (user_id);

CREATE TABLE versions (
    id              TEXT PRIMARY KEY NOT NULL,
    project_id      TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    number          BIGINT NOT NULL CHECK (number > 0),
    manifest        TEXT NOT NULL,
    manifest_sha256 TEXT NOT NULL,
    spec_json       TEXT NOT NULL,
    spec_yaml       TEXT NOT NULL,
    postman         TEXT NOT NULL,
    test_report     TEXT,
    verified        BOOLEAN NOT NULL DEFAULT 0,
    job_id          TEXT,
    created_at      BIGINT NOT NULL,
    UNIQUE (project_id, number)
);

-- Content-addressed file contents shared by every version (and project) that has them.
CREATE TABLE blobs (
    sha256  TEXT PRIMARY KEY NOT NULL,
    size    BIGINT NOT NULL,
    content BLOB NOT NULL
);

CREATE TABLE version_files (
    version_id TEXT NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    path       TEXT NOT NULL,
    sha256     TEXT NOT NULL REFERENCES blobs (sha256),
    size       BIGINT NOT NULL,
    ownership  TEXT NOT NULL CHECK (ownership IN ('generated', 'user')),
    PRIMARY KEY (version_id, path)
);
CREATE INDEX version_files_sha256 ON version_files (sha256);

-- No foreign keys: the audit trail outlives the users and projects it mentions (until
-- the retention prune).
CREATE TABLE audit_events (
    id         TEXT PRIMARY KEY NOT NULL,
    at         BIGINT NOT NULL,
    actor_id   TEXT,
    project_id TEXT,
    kind       TEXT NOT NULL,
    sandbox_id TEXT,
    data       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_sandbox ON audit_events (sandbox_id);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_project ON audit_events (project_id, at);

-- Prompt library and executions (used by a later issue).
CREATE TABLE prompts (
    id          TEXT PRIMARY KEY NOT NULL,
    owner_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    deleted_at  BIGINT
);
CREATE INDEX prompts_owner ON prompts (owner_id);

CREATE TABLE prompt_versions (
    prompt_id     TEXT NOT NULL REFERENCES prompts (id) ON DELETE CASCADE,
    version       BIGINT NOT NULL CHECK (version > 0),
    template      TEXT NOT NULL,
    variables     TEXT NOT NULL DEFAULT '[]',
    output_schema TEXT,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (prompt_id, version)
);

CREATE TABLE executions (
    id          TEXT PRIMARY KEY NOT NULL,
    prompt_id   TEXT NOT NULL,
    version     BIGINT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider    TEXT NOT NULL,
    model       TEXT NOT NULL,
    input       TEXT NOT NULL,
    output      TEXT,
    status      TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    latency_ms  BIGINT,
    tokens_in   BIGINT,
    tokens_out  BIGINT,
    cost_micros BIGINT,
    error       TEXT,
    created_at  BIGINT NOT NULL,
    FOREIGN KEY (prompt_id, version) REFERENCES prompt_versions (prompt_id, version)
        ON DELETE CASCADE
);
CREATE INDEX executions_prompt ON executions (prompt_id, created_at);
CREATE INDEX executions_user ON executions (user_id, created_at);
