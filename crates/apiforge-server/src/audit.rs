//! The sandbox's audit sink over the database: every verify and preview run of a job is
//! recorded as an `audit_events` row of its project (US-07: searchable by sandbox id, kept
//! 30 days).

use apiforge_sandbox::{AuditError, AuditRecord, AuditSink};
use apiforge_store::{Db, NewAuditEvent, ProjectId, UserId, now_ms};

/// Records sandbox runs for one project (and the user who caused them).
#[derive(Debug, Clone)]
pub struct DbAudit {
    db: Db,
    runtime: tokio::runtime::Handle,
    project_id: Option<ProjectId>,
    actor_id: Option<UserId>,
}

impl DbAudit {
    /// Must be created inside the Tokio runtime; records from blocking threads.
    pub fn new(db: Db, project_id: Option<ProjectId>, actor_id: Option<UserId>) -> Self {
        Self {
            db,
            runtime: tokio::runtime::Handle::current(),
            project_id,
            actor_id,
        }
    }
}

impl AuditSink for DbAudit {
    fn check(&self) -> Result<(), AuditError> {
        self.runtime
            .block_on(self.db.ping())
            .map_err(|e| AuditError::Sink(format!("the audit table is not reachable: {e}")))
    }

    fn record(&self, record: &AuditRecord) -> Result<(), AuditError> {
        let data = serde_json::to_string(record).map_err(|e| AuditError::Sink(e.to_string()))?;
        let event = NewAuditEvent {
            at: now_ms(),
            actor_id: self.actor_id.clone(),
            project_id: self.project_id.clone(),
            kind: "sandbox.run".to_owned(),
            sandbox_id: Some(record.sandbox_id.clone()),
            data,
        };
        self.runtime
            .block_on(self.db.record_audit(&event))
            .map(|_| ())
            .map_err(|e| AuditError::Sink(format!("writing the audit event failed: {e}")))
    }
}
