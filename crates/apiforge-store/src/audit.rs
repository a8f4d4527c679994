//! The audit trail: sandbox runs and other security-relevant events. The system writes
//! (and prunes: retention is the server's policy); users read the events of projects
//! they are members of, and their own events that belong to no project.

use crate::sql::{on_pool, transaction};
use crate::{AuditEventId, Db, ProjectId, StoreError, Tenant, UserId};

/// An event to record.
#[derive(Debug, Clone)]
pub struct NewAuditEvent {
    pub at: i64,
    /// Who caused it, when a user did.
    pub actor_id: Option<UserId>,
    pub project_id: Option<ProjectId>,
    /// What happened, e.g. `sandbox.run`, `auth.login`.
    pub kind: String,
    /// The sandbox run it describes, if any.
    pub sandbox_id: Option<String>,
    /// Details as a JSON document.
    pub data: String,
}

/// A recorded event.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditEvent {
    pub id: AuditEventId,
    pub at: i64,
    pub actor_id: Option<UserId>,
    pub project_id: Option<ProjectId>,
    pub kind: String,
    pub sandbox_id: Option<String>,
    /// JSON.
    pub data: String,
}

/// Which events to list (newest first). Unset fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub sandbox_id: Option<String>,
    pub project_id: Option<ProjectId>,
    /// Only events at or after this time.
    pub since: Option<i64>,
    /// At most this many (default and cap: [`AUDIT_PAGE_MAX`]).
    pub limit: Option<i64>,
}

/// The most events one listing returns.
pub const AUDIT_PAGE_MAX: i64 = 1000;

impl AuditFilter {
    fn limit(&self) -> i64 {
        self.limit
            .unwrap_or(AUDIT_PAGE_MAX)
            .clamp(0, AUDIT_PAGE_MAX)
    }
}

const SELECT_AUDIT: &str = "SELECT id, at, actor_id, project_id, kind, sandbox_id, data \
     FROM audit_events \
     WHERE ($1 IS NULL OR sandbox_id = $1) AND ($2 IS NULL OR project_id = $2) \
     AND ($3 IS NULL OR at >= $3)";

impl Db {
    /// Records an event (system scope).
    pub async fn record_audit(&self, event: &NewAuditEvent) -> Result<AuditEventId, StoreError> {
        let id = AuditEventId::new();
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO audit_events (id, at, actor_id, project_id, kind, sandbox_id, data) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&id)
            .bind(event.at)
            .bind(&event.actor_id)
            .bind(&event.project_id)
            .bind(&event.kind)
            .bind(&event.sandbox_id)
            .bind(&event.data)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(id)
    }

    /// Deletes events older than `before` (retention); returns how many.
    pub async fn prune_audit(&self, before: i64) -> Result<u64, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query("DELETE FROM audit_events WHERE at < $1")
                .bind(before)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }

    /// Events of every user and project (system scope: operators).
    pub async fn audit_system(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!("{SELECT_AUDIT} ORDER BY at DESC, id DESC LIMIT $4"));
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, AuditEvent>(sql)
                .bind(&filter.sandbox_id)
                .bind(&filter.project_id)
                .bind(filter.since)
                .bind(filter.limit())
                .fetch_all(pool)
                .await?
        }))
    }
}

impl Tenant {
    /// The events this user may see that match `filter`, newest first.
    pub async fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>, StoreError> {
        let user = &self.user;
        let sql = sqlx::AssertSqlSafe(format!(
            "{SELECT_AUDIT} AND (CASE WHEN project_id IS NULL THEN actor_id = $5 \
             ELSE EXISTS (SELECT 1 FROM project_members m \
                          WHERE m.project_id = audit_events.project_id AND m.user_id = $5) \
             END) \
             ORDER BY at DESC, id DESC LIMIT $4"
        ));
        Ok(transaction!(&self.db, Read, Some(user), |conn| {
            sqlx::query_as::<_, AuditEvent>(sql)
                .bind(&filter.sandbox_id)
                .bind(&filter.project_id)
                .bind(filter.since)
                .bind(filter.limit())
                .bind(user)
                .fetch_all(&mut *conn)
                .await?
        }))
    }
}
