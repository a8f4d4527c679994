-- Core tables: written by the store. Same table and column names as the SQLite schema.
-- ids: UUIDv7 text; times: milliseconds since the Unix epoch; JSON: TEXT.
--
-- Tenancy: tenant-scoped work runs in a transaction that switches to the NOLOGIN role
-- apiforge_tenant and sets apiforge.user_id (set_config(..., true)); the policies below
-- then restrict every tenant table to that user's rows. System work (auth, the worker,
-- audit writes) keeps the connecting role: a superuser bypasses RLS, any other owner gets
-- the apiforge_system policies created at the end of this file.

-- The role is cluster-wide while this schema may be one of many (one per test): create it
-- once, tolerating a concurrent creator.
SELECT pg_advisory_xact_lock(4715001);
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'apiforge_tenant') THEN
        CREATE ROLE apiforge_tenant NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;
GRANT apiforge_tenant TO CURRENT_USER;
DO $$
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO apiforge_tenant', current_schema());
END
$$;

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    -- trimmed and lower-cased by the store before it gets here
    email         TEXT NOT NULL UNIQUE,
    created_at    BIGINT NOT NULL,
    last_login_at BIGINT
);

-- A magic link and a one-time code sent together; either one signs in, once.
CREATE TABLE login_tokens (
    id         TEXT PRIMARY KEY,
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
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    ip         TEXT,
    user_agent TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
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
    id              TEXT PRIMARY KEY,
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
    id              TEXT PRIMARY KEY,
    project_id      TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    number          BIGINT NOT NULL CHECK (number > 0),
    manifest        TEXT NOT NULL,
    manifest_sha256 TEXT NOT NULL,
    spec_json       TEXT NOT NULL,
    spec_yaml       TEXT NOT NULL,
    postman         TEXT NOT NULL,
    test_report     TEXT,
    verified        BOOLEAN NOT NULL DEFAULT FALSE,
    job_id          TEXT,
    created_at      BIGINT NOT NULL,
    UNIQUE (project_id, number)
);

-- Content-addressed file contents shared by every version (and project) that has them.
CREATE TABLE blobs (
    sha256  TEXT PRIMARY KEY,
    size    BIGINT NOT NULL,
    content BYTEA NOT NULL
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
    id         TEXT PRIMARY KEY,
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
    id          TEXT PRIMARY KEY,
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
    id          TEXT PRIMARY KEY,
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

-- ---------------------------------------------------------------------------------------
-- Row-level security.

-- The user of the current tenant transaction, NULL when none is set (an unset custom
-- setting reads as NULL, or as '' once a transaction-local value has been reset).
CREATE FUNCTION apiforge_user_id() RETURNS TEXT
LANGUAGE sql STABLE
AS $$ SELECT NULLIF(current_setting('apiforge.user_id', true), '') $$;

-- The current user's role on a project (NULL: not a member). SECURITY DEFINER reads
-- project_members without its own policies, so policies can call it without recursion.
CREATE FUNCTION apiforge_project_role(p_project TEXT) RETURNS TEXT
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT
AS $$
    SELECT role FROM project_members
    WHERE project_id = p_project AND user_id = apiforge_user_id()
$$;

-- Whether the current user holds at least p_min ('viewer' < 'editor' < 'owner').
CREATE FUNCTION apiforge_has_role(p_project TEXT, p_min TEXT) RETURNS BOOLEAN
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT
AS $$
    SELECT COALESCE(
        (SELECT CASE role WHEN 'owner' THEN 3 WHEN 'editor' THEN 2 WHEN 'viewer' THEN 1 END
         FROM project_members
         WHERE project_id = p_project AND user_id = apiforge_user_id())
        >= CASE p_min WHEN 'owner' THEN 3 WHEN 'editor' THEN 2 ELSE 1 END,
        FALSE)
$$;

-- The owner recorded on the project row, readable before the owner's membership exists.
CREATE FUNCTION apiforge_project_owner(p_project TEXT) RETURNS TEXT
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT
AS $$ SELECT owner_id FROM projects WHERE id = p_project $$;

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE projects FORCE ROW LEVEL SECURITY;
ALTER TABLE project_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE project_members FORCE ROW LEVEL SECURITY;
ALTER TABLE versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE versions FORCE ROW LEVEL SECURITY;
ALTER TABLE version_files ENABLE ROW LEVEL SECURITY;
ALTER TABLE version_files FORCE ROW LEVEL SECURITY;
ALTER TABLE blobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE blobs FORCE ROW LEVEL SECURITY;
ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
ALTER TABLE prompts ENABLE ROW LEVEL SECURITY;
ALTER TABLE prompts FORCE ROW LEVEL SECURITY;
ALTER TABLE prompt_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE prompt_versions FORCE ROW LEVEL SECURITY;
ALTER TABLE executions ENABLE ROW LEVEL SECURITY;
ALTER TABLE executions FORCE ROW LEVEL SECURITY;

-- users: yourself and the members of projects you can see (read only).
CREATE POLICY users_select ON users FOR SELECT TO apiforge_tenant
    USING (id = apiforge_user_id()
           OR EXISTS (SELECT 1 FROM project_members m WHERE m.user_id = users.id));

-- projects: viewers read, editors update, owners delete; you create projects you own.
CREATE POLICY projects_select ON projects FOR SELECT TO apiforge_tenant
    USING (apiforge_has_role(id, 'viewer'));
CREATE POLICY projects_insert ON projects FOR INSERT TO apiforge_tenant
    WITH CHECK (owner_id = apiforge_user_id());
CREATE POLICY projects_update ON projects FOR UPDATE TO apiforge_tenant
    USING (apiforge_has_role(id, 'editor'))
    WITH CHECK (apiforge_has_role(id, 'editor'));
CREATE POLICY projects_delete ON projects FOR DELETE TO apiforge_tenant
    USING (apiforge_has_role(id, 'owner'));

-- project_members: members read; owners manage; the creator of a project adds itself as
-- its owner; nobody removes or demotes the project's recorded owner.
CREATE POLICY members_select ON project_members FOR SELECT TO apiforge_tenant
    USING (apiforge_has_role(project_id, 'viewer'));
CREATE POLICY members_insert ON project_members FOR INSERT TO apiforge_tenant
    WITH CHECK (
        apiforge_has_role(project_id, 'owner')
        OR (role = 'owner' AND user_id = apiforge_user_id()
            AND apiforge_project_owner(project_id) = apiforge_user_id()));
CREATE POLICY members_update ON project_members FOR UPDATE TO apiforge_tenant
    USING (apiforge_has_role(project_id, 'owner')
           AND user_id IS DISTINCT FROM apiforge_project_owner(project_id))
    WITH CHECK (apiforge_has_role(project_id, 'owner'));
CREATE POLICY members_delete ON project_members FOR DELETE TO apiforge_tenant
    USING (apiforge_has_role(project_id, 'owner')
           AND user_id IS DISTINCT FROM apiforge_project_owner(project_id));

-- versions: viewers read, editors write, owners delete.
CREATE POLICY versions_select ON versions FOR SELECT TO apiforge_tenant
    USING (apiforge_has_role(project_id, 'viewer'));
CREATE POLICY versions_insert ON versions FOR INSERT TO apiforge_tenant
    WITH CHECK (apiforge_has_role(project_id, 'editor'));
CREATE POLICY versions_update ON versions FOR UPDATE TO apiforge_tenant
    USING (apiforge_has_role(project_id, 'editor'))
    WITH CHECK (apiforge_has_role(project_id, 'editor'));
CREATE POLICY versions_delete ON versions FOR DELETE TO apiforge_tenant
    USING (apiforge_has_role(project_id, 'owner'));

-- version_files: as their version's project.
CREATE POLICY version_files_select ON version_files FOR SELECT TO apiforge_tenant
    USING (EXISTS (SELECT 1 FROM versions v WHERE v.id = version_files.version_id
                   AND apiforge_has_role(v.project_id, 'viewer')));
CREATE POLICY version_files_insert ON version_files FOR INSERT TO apiforge_tenant
    WITH CHECK (EXISTS (SELECT 1 FROM versions v WHERE v.id = version_files.version_id
                        AND apiforge_has_role(v.project_id, 'editor')));
CREATE POLICY version_files_update ON version_files FOR UPDATE TO apiforge_tenant
    USING (EXISTS (SELECT 1 FROM versions v WHERE v.id = version_files.version_id
                   AND apiforge_has_role(v.project_id, 'editor')))
    WITH CHECK (EXISTS (SELECT 1 FROM versions v WHERE v.id = version_files.version_id
                        AND apiforge_has_role(v.project_id, 'editor')));
CREATE POLICY version_files_delete ON version_files FOR DELETE TO apiforge_tenant
    USING (EXISTS (SELECT 1 FROM versions v WHERE v.id = version_files.version_id
                   AND apiforge_has_role(v.project_id, 'owner')));

-- blobs are shared between projects: a tenant reads one only through a file it can see
-- (the subquery on version_files is itself filtered by that table's policy).
CREATE POLICY blobs_select ON blobs FOR SELECT TO apiforge_tenant
    USING (EXISTS (SELECT 1 FROM version_files f WHERE f.sha256 = blobs.sha256));

-- audit_events: a project's events to its members; project-less events to their actor.
-- Written by the system only.
CREATE POLICY audit_select ON audit_events FOR SELECT TO apiforge_tenant
    USING (CASE WHEN project_id IS NULL THEN actor_id = apiforge_user_id()
                ELSE apiforge_has_role(project_id, 'viewer') END);

-- prompts, their versions and executions belong to one user.
CREATE POLICY prompts_owner ON prompts FOR ALL TO apiforge_tenant
    USING (owner_id = apiforge_user_id())
    WITH CHECK (owner_id = apiforge_user_id());
CREATE POLICY prompt_versions_owner ON prompt_versions FOR ALL TO apiforge_tenant
    USING (EXISTS (SELECT 1 FROM prompts p WHERE p.id = prompt_versions.prompt_id))
    WITH CHECK (EXISTS (SELECT 1 FROM prompts p WHERE p.id = prompt_versions.prompt_id));
CREATE POLICY executions_owner ON executions FOR ALL TO apiforge_tenant
    USING (user_id = apiforge_user_id())
    WITH CHECK (user_id = apiforge_user_id()
                AND EXISTS (SELECT 1 FROM prompts p WHERE p.id = executions.prompt_id));

-- What the tenant role may touch at all (policies narrow it to rows). Auth tables
-- (login_tokens, sessions, api_tokens) are system-only. Column grants keep a project's
-- id and owner immutable to tenants.
GRANT SELECT ON users, blobs, audit_events TO apiforge_tenant;
GRANT SELECT, INSERT, DELETE ON projects, project_members, versions, version_files
    TO apiforge_tenant;
GRANT UPDATE (name, description, status, current_version, last_job_id, updated_at)
    ON projects TO apiforge_tenant;
GRANT UPDATE (role) ON project_members TO apiforge_tenant;
GRANT UPDATE (test_report, verified) ON versions TO apiforge_tenant;
GRANT SELECT, INSERT, UPDATE, DELETE ON prompts, prompt_versions, executions
    TO apiforge_tenant;

-- FORCE subjects the tables' owner to the policies too. A superuser bypasses them; any
-- other connecting role (the one that ran this migration and does the system work) gets
-- an explicit all-rows policy, which does not apply once a transaction has switched to
-- apiforge_tenant.
DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['users', 'projects', 'project_members', 'versions',
                             'version_files', 'blobs', 'audit_events', 'prompts',
                             'prompt_versions', 'executions']
    LOOP
        EXECUTE format(
            'CREATE POLICY apiforge_system ON %I FOR ALL TO %I USING (true) WITH CHECK (true)',
            t, current_user);
    END LOOP;
END
$$;
