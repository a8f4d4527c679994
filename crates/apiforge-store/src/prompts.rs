//! The prompt registry: prompts with numbered versions (template, typed variables, output
//! rules) and their executions. A user's prompts are theirs alone; built-in prompts (the
//! planner's and fixer's templates, no owner) are seeded by the system at start and
//! readable by everyone, written by nobody else. Every update adds a version; deletion is
//! soft, so executions keep the version they ran.

use crate::sql::{on_pool, text_enum, transaction};
use crate::{Db, ExecutionId, PromptId, StoreError, Tenant, UserId, now_ms};

text_enum! {
    /// How soon an execution's job runs.
    Priority in "executions.priority" {
        Low = "low",
        Normal = "normal",
        High = "high",
    }
}

impl Priority {
    /// The job queue's priority (higher first).
    pub fn queue_priority(self) -> i32 {
        match self {
            Priority::Low => -10,
            Priority::Normal => 0,
            Priority::High => 10,
        }
    }
}

text_enum! {
    /// Where an execution stands.
    ExecutionStatus in "executions.status" {
        Queued = "queued",
        Running = "running",
        Succeeded = "succeeded",
        Failed = "failed",
    }
}

/// A prompt with its current version number.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Prompt {
    pub id: PromptId,
    /// `None`: built in (seeded by the system, read-only to users).
    pub owner_id: Option<UserId>,
    pub name: String,
    pub description: String,
    pub current_version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One version of a prompt.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PromptVersion {
    pub prompt_id: PromptId,
    pub version: i64,
    pub template: String,
    /// JSON array of the typed variables.
    pub variables: String,
    /// JSON Schema the output must satisfy.
    pub output_schema: Option<String>,
    /// A regular expression the whole output must match.
    pub output_regex: Option<String>,
    /// Most characters the output may have.
    pub max_length: Option<i64>,
    pub created_at: i64,
}

/// The content of a new version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPromptVersion {
    pub template: String,
    pub variables: String,
    pub output_schema: Option<String>,
    pub output_regex: Option<String>,
    pub max_length: Option<i64>,
}

/// A new prompt, or the full new state of one (an update adds a version).
#[derive(Debug, Clone)]
pub struct NewPrompt {
    pub name: String,
    pub description: String,
    pub version: NewPromptVersion,
}

/// What seeding a built-in prompt did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seeded {
    Created,
    NewVersion(i64),
    Unchanged,
}

/// A run of a prompt version.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Execution {
    pub id: ExecutionId,
    pub prompt_id: PromptId,
    pub version: i64,
    pub user_id: UserId,
    #[sqlx(try_from = "String")]
    pub priority: Priority,
    #[sqlx(try_from = "String")]
    pub status: ExecutionStatus,
    pub job_id: Option<String>,
    /// The execution this one retries.
    pub retry_of: Option<ExecutionId>,
    /// The variables given (JSON), secrets redacted by the caller.
    pub input: String,
    /// The prompt as sent, secrets redacted.
    pub rendered: Option<String>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub output: Option<String>,
    pub latency_ms: Option<i64>,
    pub tokens_in: Option<i64>,
    pub tokens_out: Option<i64>,
    /// USD × 10⁶.
    pub cost_micros: Option<i64>,
    pub error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

/// A new execution (queued).
#[derive(Debug, Clone)]
pub struct NewExecution {
    pub prompt_id: PromptId,
    pub version: i64,
    pub priority: Priority,
    pub input: String,
    pub retry_of: Option<ExecutionId>,
}

/// How an execution ended (written by the worker).
#[derive(Debug, Clone, Default)]
pub struct ExecutionOutcome {
    pub succeeded: bool,
    pub rendered: Option<String>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub output: Option<String>,
    pub latency_ms: Option<i64>,
    pub tokens_in: Option<i64>,
    pub tokens_out: Option<i64>,
    pub cost_micros: Option<i64>,
    pub error: Option<String>,
}

const PROMPT_COLUMNS: &str =
    "id, owner_id, name, description, current_version, created_at, updated_at";
const VERSION_COLUMNS: &str = "prompt_id, version, template, variables, output_schema, \
     output_regex, max_length, created_at";
const EXECUTION_COLUMNS: &str = "id, prompt_id, version, user_id, priority, status, job_id, \
     retry_of, input, rendered, provider, model, output, latency_ms, tokens_in, tokens_out, \
     cost_micros, error, created_at, finished_at";

/// Inserts one version row inside the caller's transaction (a macro: the connection
/// is SQLite's or PostgreSQL's depending on the `transaction!` arm).
macro_rules! insert_version {
    ($conn:expr, $id:expr, $version:expr, $new:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO prompt_versions (prompt_id, version, template, variables, \
             output_schema, output_regex, max_length, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind($id)
        .bind(i64::from($version))
        .bind(&$new.template)
        .bind(&$new.variables)
        .bind(&$new.output_schema)
        .bind(&$new.output_regex)
        .bind($new.max_length)
        .bind($now)
        .execute($conn)
        .await
    };
}
fn sql(text: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(text)
}

fn name_taken(name: &str) -> StoreError {
    StoreError::Conflict {
        message: format!(
            "you already have a prompt named {name:?}\nhint: choose another name or update that prompt"
        ),
    }
}

fn read_only() -> StoreError {
    StoreError::ReadOnly {
        message: "built-in prompts are read-only\nhint: create your own prompt from its template"
            .to_owned(),
    }
}

/// Maps a unique violation on the name index to a clear conflict.
fn unique_name(error: sqlx::Error, name: &str) -> StoreError {
    match error {
        sqlx::Error::Database(e) if e.is_unique_violation() => name_taken(name),
        other => StoreError::Sql(other),
    }
}

impl Tenant {
    /// Your prompts and the built-in ones (built-in first), without deleted ones.
    pub async fn prompts(&self) -> Result<Vec<Prompt>, StoreError> {
        let user = &self.user;
        let query = sql(format!(
            "SELECT {PROMPT_COLUMNS} FROM prompts \
             WHERE deleted_at IS NULL AND (owner_id IS NULL OR owner_id = $1) \
             ORDER BY owner_id IS NOT NULL, name, id"
        ));
        Ok(transaction!(&self.db, Read, Some(user), |conn| {
            sqlx::query_as::<_, Prompt>(query)
                .bind(user)
                .fetch_all(&mut *conn)
                .await?
        }))
    }

    /// A prompt you can see, with its current version.
    pub async fn prompt(
        &self,
        id: &PromptId,
    ) -> Result<Option<(Prompt, PromptVersion)>, StoreError> {
        let user = &self.user;
        let query = sql(format!(
            "SELECT {PROMPT_COLUMNS} FROM prompts WHERE id = $1 AND deleted_at IS NULL \
             AND (owner_id IS NULL OR owner_id = $2)"
        ));
        let version_query = sql(format!(
            "SELECT {VERSION_COLUMNS} FROM prompt_versions WHERE prompt_id = $1 AND version = $2"
        ));
        Ok(transaction!(&self.db, Read, Some(user), |conn| {
            let prompt = sqlx::query_as::<_, Prompt>(query)
                .bind(id)
                .bind(user)
                .fetch_optional(&mut *conn)
                .await?;
            match prompt {
                None => None,
                Some(prompt) => {
                    let version = sqlx::query_as::<_, PromptVersion>(version_query)
                        .bind(id)
                        .bind(prompt.current_version)
                        .fetch_one(&mut *conn)
                        .await?;
                    Some((prompt, version))
                }
            }
        }))
    }

    /// Every version of a prompt you can see, oldest first (`NotFound` otherwise).
    pub async fn prompt_versions(&self, id: &PromptId) -> Result<Vec<PromptVersion>, StoreError> {
        let user = &self.user;
        let query = sql(format!(
            "SELECT {VERSION_COLUMNS} FROM prompt_versions v WHERE prompt_id = $1 \
             AND EXISTS (SELECT 1 FROM prompts p WHERE p.id = v.prompt_id \
                         AND p.deleted_at IS NULL AND (p.owner_id IS NULL OR p.owner_id = $2)) \
             ORDER BY version"
        ));
        let versions = transaction!(&self.db, Read, Some(user), |conn| {
            sqlx::query_as::<_, PromptVersion>(query)
                .bind(id)
                .bind(user)
                .fetch_all(&mut *conn)
                .await?
        });
        if versions.is_empty() {
            return Err(StoreError::not_found("prompt"));
        }
        Ok(versions)
    }

    /// One version of a prompt you can see.
    pub async fn prompt_version(
        &self,
        id: &PromptId,
        version: i64,
    ) -> Result<Option<PromptVersion>, StoreError> {
        Ok(self
            .prompt_versions(id)
            .await?
            .into_iter()
            .find(|v| v.version == version))
    }

    /// Creates a prompt of yours at version 1.
    pub async fn create_prompt(&self, new: &NewPrompt) -> Result<Prompt, StoreError> {
        let user = &self.user;
        let id = PromptId::new();
        let now = now_ms();
        let insert = sql(format!(
            "INSERT INTO prompts (id, owner_id, name, description, current_version, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, 1, $5, $5) \
             RETURNING {PROMPT_COLUMNS}"
        ));
        Ok(transaction!(&self.db, Write, Some(user), |conn| {
            let prompt = sqlx::query_as::<_, Prompt>(insert)
                .bind(&id)
                .bind(user)
                .bind(&new.name)
                .bind(&new.description)
                .bind(now)
                .fetch_one(&mut *conn)
                .await
                .map_err(|e| unique_name(e, &new.name))?;
            insert_version!(&mut *conn, &id, 1, &new.version, now)?;
            prompt
        }))
    }

    /// Updates a prompt of yours: name and description change in place, the template
    /// and rules become a new version (the current one).
    pub async fn update_prompt(
        &self,
        id: &PromptId,
        new: &NewPrompt,
    ) -> Result<Prompt, StoreError> {
        let user = &self.user;
        let now = now_ms();
        let select = sql(format!(
            "SELECT {PROMPT_COLUMNS} FROM prompts WHERE id = $1 AND deleted_at IS NULL \
             AND (owner_id IS NULL OR owner_id = $2)"
        ));
        let update = sql(format!(
            "UPDATE prompts SET name = $2, description = $3, current_version = $4, \
             updated_at = $5 WHERE id = $1 RETURNING {PROMPT_COLUMNS}"
        ));
        Ok(transaction!(&self.db, Write, Some(user), |conn| {
            let found = sqlx::query_as::<_, Prompt>(select)
                .bind(id)
                .bind(user)
                .fetch_optional(&mut *conn)
                .await?
                .ok_or_else(|| StoreError::not_found("prompt"))?;
            if found.owner_id.is_none() {
                return Err(read_only());
            }
            let version = found.current_version + 1;
            insert_version!(&mut *conn, id, version, &new.version, now)?;
            sqlx::query_as::<_, Prompt>(update)
                .bind(id)
                .bind(&new.name)
                .bind(&new.description)
                .bind(version)
                .bind(now)
                .fetch_one(&mut *conn)
                .await
                .map_err(|e| unique_name(e, &new.name))?
        }))
    }

    /// Deletes a prompt of yours (its executions stay readable).
    pub async fn delete_prompt(&self, id: &PromptId) -> Result<(), StoreError> {
        let user = &self.user;
        let now = now_ms();
        transaction!(&self.db, Write, Some(user), |conn| {
            let owner: Option<Option<UserId>> = sqlx::query_scalar(
                "SELECT owner_id FROM prompts WHERE id = $1 AND deleted_at IS NULL \
                 AND (owner_id IS NULL OR owner_id = $2)",
            )
            .bind(id)
            .bind(user)
            .fetch_optional(&mut *conn)
            .await?;
            match owner {
                None => return Err(StoreError::not_found("prompt")),
                Some(None) => return Err(read_only()),
                Some(Some(_)) => {}
            }
            sqlx::query("UPDATE prompts SET deleted_at = $2, updated_at = $2 WHERE id = $1")
                .bind(id)
                .bind(now)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }

    /// Queues an execution of a prompt version you can see.
    pub async fn create_execution(&self, new: &NewExecution) -> Result<Execution, StoreError> {
        let user = &self.user;
        let id = ExecutionId::new();
        let now = now_ms();
        let insert = sql(format!(
            "INSERT INTO executions (id, prompt_id, version, user_id, priority, status, \
             retry_of, input, created_at) VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, $8) \
             RETURNING {EXECUTION_COLUMNS}"
        ));
        Ok(transaction!(&self.db, Write, Some(user), |conn| {
            let visible: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM prompt_versions v JOIN prompts p ON p.id = v.prompt_id \
                 WHERE v.prompt_id = $1 AND v.version = $2 AND p.deleted_at IS NULL \
                 AND (p.owner_id IS NULL OR p.owner_id = $3)",
            )
            .bind(&new.prompt_id)
            .bind(new.version)
            .bind(user)
            .fetch_one(&mut *conn)
            .await?;
            if visible == 0 {
                return Err(StoreError::not_found("prompt version"));
            }
            sqlx::query_as::<_, Execution>(insert)
                .bind(&id)
                .bind(&new.prompt_id)
                .bind(new.version)
                .bind(user)
                .bind(new.priority.as_str())
                .bind(&new.retry_of)
                .bind(&new.input)
                .bind(now)
                .fetch_one(&mut *conn)
                .await?
        }))
    }

    /// Your executions, newest first (of one prompt when given).
    pub async fn executions(
        &self,
        prompt: Option<&PromptId>,
        limit: i64,
    ) -> Result<Vec<Execution>, StoreError> {
        let user = &self.user;
        let query = sql(format!(
            "SELECT {EXECUTION_COLUMNS} FROM executions WHERE user_id = $1 \
             AND ($2 IS NULL OR prompt_id = $2) ORDER BY created_at DESC, id DESC LIMIT $3"
        ));
        Ok(transaction!(&self.db, Read, Some(user), |conn| {
            sqlx::query_as::<_, Execution>(query)
                .bind(user)
                .bind(prompt)
                .bind(limit)
                .fetch_all(&mut *conn)
                .await?
        }))
    }

    /// One of your executions.
    pub async fn execution(&self, id: &ExecutionId) -> Result<Option<Execution>, StoreError> {
        let user = &self.user;
        let query = sql(format!(
            "SELECT {EXECUTION_COLUMNS} FROM executions WHERE id = $1 AND user_id = $2"
        ));
        Ok(transaction!(&self.db, Read, Some(user), |conn| {
            sqlx::query_as::<_, Execution>(query)
                .bind(id)
                .bind(user)
                .fetch_optional(&mut *conn)
                .await?
        }))
    }
}

impl Db {
    /// Adds or updates a built-in prompt (system scope, at start): created when missing,
    /// a new version when its content differs from the current one, else untouched.
    pub async fn seed_builtin_prompt(&self, new: &NewPrompt) -> Result<Seeded, StoreError> {
        let now = now_ms();
        let select = sql(format!(
            "SELECT {PROMPT_COLUMNS} FROM prompts WHERE owner_id IS NULL AND name = $1 \
             AND deleted_at IS NULL"
        ));
        let version_query = sql(format!(
            "SELECT {VERSION_COLUMNS} FROM prompt_versions WHERE prompt_id = $1 AND version = $2"
        ));
        Ok(transaction!(self, Write, None, |conn| {
            let found = sqlx::query_as::<_, Prompt>(select)
                .bind(&new.name)
                .fetch_optional(&mut *conn)
                .await?;
            match found {
                None => {
                    let id = PromptId::new();
                    sqlx::query(
                        "INSERT INTO prompts (id, owner_id, name, description, current_version, \
                         created_at, updated_at) VALUES ($1, NULL, $2, $3, 1, $4, $4)",
                    )
                    .bind(&id)
                    .bind(&new.name)
                    .bind(&new.description)
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
                    insert_version!(&mut *conn, &id, 1, &new.version, now)?;
                    Seeded::Created
                }
                Some(prompt) => {
                    let current = sqlx::query_as::<_, PromptVersion>(version_query)
                        .bind(&prompt.id)
                        .bind(prompt.current_version)
                        .fetch_one(&mut *conn)
                        .await?;
                    let same = current.template == new.version.template
                        && current.variables == new.version.variables
                        && current.output_schema == new.version.output_schema
                        && current.output_regex == new.version.output_regex
                        && current.max_length == new.version.max_length;
                    if same && prompt.description == new.description {
                        Seeded::Unchanged
                    } else {
                        let version = if same {
                            prompt.current_version
                        } else {
                            let next = prompt.current_version + 1;
                            insert_version!(&mut *conn, &prompt.id, next, &new.version, now)?;
                            next
                        };
                        sqlx::query(
                            "UPDATE prompts SET description = $2, current_version = $3, \
                             updated_at = $4 WHERE id = $1",
                        )
                        .bind(&prompt.id)
                        .bind(&new.description)
                        .bind(version)
                        .bind(now)
                        .execute(&mut *conn)
                        .await?;
                        if same {
                            Seeded::Unchanged
                        } else {
                            Seeded::NewVersion(version)
                        }
                    }
                }
            }
        }))
    }

    /// A built-in prompt by name with its current version (system scope: the planner).
    pub async fn builtin_prompt(
        &self,
        name: &str,
    ) -> Result<Option<(Prompt, PromptVersion)>, StoreError> {
        let select = sql(format!(
            "SELECT {PROMPT_COLUMNS} FROM prompts WHERE owner_id IS NULL AND name = $1 \
             AND deleted_at IS NULL"
        ));
        let version_query = sql(format!(
            "SELECT {VERSION_COLUMNS} FROM prompt_versions WHERE prompt_id = $1 AND version = $2"
        ));
        Ok(transaction!(self, Read, None, |conn| {
            let found = sqlx::query_as::<_, Prompt>(select)
                .bind(name)
                .fetch_optional(&mut *conn)
                .await?;
            match found {
                None => None,
                Some(prompt) => {
                    let version = sqlx::query_as::<_, PromptVersion>(version_query)
                        .bind(&prompt.id)
                        .bind(prompt.current_version)
                        .fetch_one(&mut *conn)
                        .await?;
                    Some((prompt, version))
                }
            }
        }))
    }

    /// An execution with the version it runs (system scope: the worker).
    pub async fn execution_system(
        &self,
        id: &ExecutionId,
    ) -> Result<Option<(Execution, PromptVersion)>, StoreError> {
        let query = sql(format!(
            "SELECT {EXECUTION_COLUMNS} FROM executions WHERE id = $1"
        ));
        let version_query = sql(format!(
            "SELECT {VERSION_COLUMNS} FROM prompt_versions WHERE prompt_id = $1 AND version = $2"
        ));
        Ok(transaction!(self, Read, None, |conn| {
            let found = sqlx::query_as::<_, Execution>(query)
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
            match found {
                None => None,
                Some(execution) => {
                    let version = sqlx::query_as::<_, PromptVersion>(version_query)
                        .bind(&execution.prompt_id)
                        .bind(execution.version)
                        .fetch_one(&mut *conn)
                        .await?;
                    Some((execution, version))
                }
            }
        }))
    }

    /// Records the job that runs an execution (system scope, right after enqueueing).
    pub async fn set_execution_job(&self, id: &ExecutionId, job: &str) -> Result<(), StoreError> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE executions SET job_id = $2 WHERE id = $1")
                .bind(id)
                .bind(job)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    /// Marks an execution running (system scope: the worker).
    pub async fn start_execution(&self, id: &ExecutionId) -> Result<(), StoreError> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE executions SET status = 'running' WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    /// Records how an execution ended (system scope: the worker).
    pub async fn finish_execution(
        &self,
        id: &ExecutionId,
        outcome: &ExecutionOutcome,
    ) -> Result<(), StoreError> {
        let status = if outcome.succeeded {
            ExecutionStatus::Succeeded
        } else {
            ExecutionStatus::Failed
        };
        let now = now_ms();
        let updated = on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE executions SET status = $2, rendered = $3, provider = $4, model = $5, \
                 output = $6, latency_ms = $7, tokens_in = $8, tokens_out = $9, \
                 cost_micros = $10, error = $11, finished_at = $12 WHERE id = $1",
            )
            .bind(id)
            .bind(status.as_str())
            .bind(&outcome.rendered)
            .bind(&outcome.provider)
            .bind(&outcome.model)
            .bind(&outcome.output)
            .bind(outcome.latency_ms)
            .bind(outcome.tokens_in)
            .bind(outcome.tokens_out)
            .bind(outcome.cost_micros)
            .bind(&outcome.error)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if updated == 1 {
            Ok(())
        } else {
            Err(StoreError::not_found("execution"))
        }
    }
}
