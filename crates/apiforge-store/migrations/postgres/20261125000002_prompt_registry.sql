-- The prompt registry (issue 7) replaces the placeholder tables of the core migration,
-- which held no data: built-in prompts (no owner, readable by everyone), one row per
-- version with its typed variables and output rules, and executions queued as jobs.
DROP TABLE executions;
DROP TABLE prompt_versions;
DROP TABLE prompts;

CREATE TABLE prompts (
    id              TEXT PRIMARY KEY,
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
    id          TEXT PRIMARY KEY,
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

-- Row-level security: built-in prompts are readable by every user and written by the
-- system only (seeded at start); a user's prompts, versions and executions are theirs.
ALTER TABLE prompts ENABLE ROW LEVEL SECURITY;
ALTER TABLE prompts FORCE ROW LEVEL SECURITY;
ALTER TABLE prompt_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE prompt_versions FORCE ROW LEVEL SECURITY;
ALTER TABLE executions ENABLE ROW LEVEL SECURITY;
ALTER TABLE executions FORCE ROW LEVEL SECURITY;

CREATE POLICY prompts_select ON prompts FOR SELECT TO apiforge_tenant
    USING (owner_id IS NULL OR owner_id = apiforge_user_id());
CREATE POLICY prompts_insert ON prompts FOR INSERT TO apiforge_tenant
    WITH CHECK (owner_id = apiforge_user_id());
CREATE POLICY prompts_update ON prompts FOR UPDATE TO apiforge_tenant
    USING (owner_id = apiforge_user_id())
    WITH CHECK (owner_id = apiforge_user_id());
CREATE POLICY prompts_delete ON prompts FOR DELETE TO apiforge_tenant
    USING (owner_id = apiforge_user_id());
CREATE POLICY prompt_versions_select ON prompt_versions FOR SELECT TO apiforge_tenant
    USING (EXISTS (SELECT 1 FROM prompts p WHERE p.id = prompt_versions.prompt_id));
CREATE POLICY prompt_versions_insert ON prompt_versions FOR INSERT TO apiforge_tenant
    WITH CHECK (EXISTS (SELECT 1 FROM prompts p WHERE p.id = prompt_versions.prompt_id
                                                 AND p.owner_id = apiforge_user_id()));
CREATE POLICY executions_owner ON executions FOR ALL TO apiforge_tenant
    USING (user_id = apiforge_user_id())
    WITH CHECK (user_id = apiforge_user_id()
                AND EXISTS (SELECT 1 FROM prompts p WHERE p.id = executions.prompt_id));

GRANT SELECT, INSERT, DELETE ON prompts, prompt_versions, executions TO apiforge_tenant;
GRANT UPDATE (name, description, current_version, updated_at, deleted_at) ON prompts
    TO apiforge_tenant;
GRANT UPDATE (status, job_id, rendered, provider, model, output, latency_ms, tokens_in,
              tokens_out, cost_micros, error, finished_at) ON executions TO apiforge_tenant;

-- The system's all-rows policy on the new tables (see the core migration).
DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['prompts', 'prompt_versions', 'executions']
    LOOP
        EXECUTE format(
            'CREATE POLICY apiforge_system ON %I FOR ALL TO %I USING (true) WITH CHECK (true)',
            t, current_user);
    END LOOP;
END
$$;
