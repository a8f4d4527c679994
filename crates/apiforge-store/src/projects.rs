//! Projects and their members: the tenant API (create, list, read, share, delete) and the
//! system calls the job worker makes (read any project, set its status).

use crate::sql::{on_pool, text_enum, transaction};
use crate::tenant::{ROLE_OF, require_role};
use crate::{Db, ProjectId, StoreError, Tenant, UserId, now_ms};

text_enum! {
    /// A member's role on a project, ordered `Viewer < Editor < Owner`: viewers read,
    /// editors also write (regenerate, new versions), owners also share and delete.
    Role in "project_members.role" {
        Viewer = "viewer",
        Editor = "editor",
        Owner = "owner",
    }
}

text_enum! {
    /// What a project generates.
    Target in "projects.target" {
        FastApi = "fastapi",
        Express = "express",
    }
}

text_enum! {
    /// What the project was described with.
    SourceKind in "projects.source_kind" {
        Prompt = "prompt",
        Csv = "csv",
    }
}

text_enum! {
    /// Where the project's latest generation stands.
    ProjectStatus in "projects.status" {
        Queued = "queued",
        Running = "running",
        Ready = "ready",
        Failed = "failed",
    }
}

/// What a user submits to create a project (the creator becomes its owner).
#[derive(Debug, Clone)]
pub struct NewProject {
    pub name: String,
    pub description: String,
    pub target: Target,
    pub source_kind: SourceKind,
    /// The prompt text or the CSV document.
    pub source: String,
}

/// A stored project.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Project {
    pub id: ProjectId,
    pub owner_id: UserId,
    pub name: String,
    pub description: String,
    #[sqlx(try_from = "String")]
    pub target: Target,
    #[sqlx(try_from = "String")]
    pub source_kind: SourceKind,
    pub source: String,
    #[sqlx(try_from = "String")]
    pub status: ProjectStatus,
    /// The number of the newest version, once there is one.
    pub current_version: Option<i64>,
    /// The job that last worked on it (an apiforge-jobs id).
    pub last_job_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A project in a listing: without its source, with the caller's role.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ProjectSummary {
    pub id: ProjectId,
    pub owner_id: UserId,
    pub name: String,
    pub description: String,
    #[sqlx(try_from = "String")]
    pub target: Target,
    #[sqlx(try_from = "String")]
    pub source_kind: SourceKind,
    #[sqlx(try_from = "String")]
    pub status: ProjectStatus,
    pub current_version: Option<i64>,
    pub last_job_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    #[sqlx(try_from = "String")]
    pub role: Role,
}

/// A member of a project.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Member {
    pub user_id: UserId,
    pub email: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
struct ProjectWithRole {
    #[sqlx(flatten)]
    project: Project,
    #[sqlx(try_from = "String")]
    role: Role,
}

const PROJECT_COLUMNS_P: &str = "p.id, p.owner_id, p.name, p.description, p.target, \
     p.source_kind, p.source, p.status, p.current_version, p.last_job_id, p.created_at, \
     p.updated_at";

const SELECT_PROJECT: &str = "SELECT id, owner_id, name, description, target, source_kind, \
     source, status, current_version, last_job_id, created_at, updated_at \
     FROM projects WHERE id = $1";

const SELECT_MEMBERS: &str = "SELECT m.user_id, u.email, m.role, m.created_at \
     FROM project_members m JOIN users u ON u.id = m.user_id \
     WHERE m.project_id = $1 ORDER BY m.created_at, u.email";

impl Tenant {
    /// Creates a project owned by this user (owner membership included), status
    /// `queued`.
    pub async fn create_project(&self, new: &NewProject) -> Result<Project, StoreError> {
        let id = ProjectId::new();
        let now = now_ms();
        let user = &self.user;
        Ok(transaction!(&self.db, Write, Some(user), |conn| {
            // No RETURNING: on PostgreSQL the new row is not visible to its creator until
            // the owner membership exists.
            sqlx::query(
                "INSERT INTO projects (id, owner_id, name, description, target, source_kind, \
                 source, status, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, $8)",
            )
            .bind(&id)
            .bind(user)
            .bind(&new.name)
            .bind(&new.description)
            .bind(new.target.as_str())
            .bind(new.source_kind.as_str())
            .bind(&new.source)
            .bind(now)
            .execute(&mut *conn)
            .await?;
            sqlx::query(
                "INSERT INTO project_members (project_id, user_id, role, created_at) \
                 VALUES ($1, $2, 'owner', $3)",
            )
            .bind(&id)
            .bind(user)
            .bind(now)
            .execute(&mut *conn)
            .await?;
            sqlx::query_as::<_, Project>(SELECT_PROJECT)
                .bind(&id)
                .fetch_one(&mut *conn)
                .await?
        }))
    }

    /// The projects this user is a member of, most recently updated first.
    pub async fn projects(&self) -> Result<Vec<ProjectSummary>, StoreError> {
        let user = &self.user;
        Ok(transaction!(&self.db, Read, Some(user), |conn| {
            sqlx::query_as::<_, ProjectSummary>(
                "SELECT p.id, p.owner_id, p.name, p.description, p.target, p.source_kind, \
                 p.status, p.current_version, p.last_job_id, p.created_at, p.updated_at, m.role \
                 FROM projects p \
                 JOIN project_members m ON m.project_id = p.id AND m.user_id = $1 \
                 ORDER BY p.updated_at DESC, p.id DESC",
            )
            .bind(user)
            .fetch_all(&mut *conn)
            .await?
        }))
    }

    /// The project and this user's role on it; `None` if it does not exist or the user
    /// is not a member (answer 404 either way).
    pub async fn project(&self, id: &ProjectId) -> Result<Option<(Project, Role)>, StoreError> {
        let user = &self.user;
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {PROJECT_COLUMNS_P}, m.role FROM projects p \
             JOIN project_members m ON m.project_id = p.id AND m.user_id = $2 \
             WHERE p.id = $1"
        ));
        let row = transaction!(&self.db, Read, Some(user), |conn| {
            sqlx::query_as::<_, ProjectWithRole>(sql)
                .bind(id)
                .bind(user)
                .fetch_optional(&mut *conn)
                .await?
        });
        Ok(row.map(|row| (row.project, row.role)))
    }

    /// This user's role on a project; `None` if not a member.
    pub async fn role(&self, project: &ProjectId) -> Result<Option<Role>, StoreError> {
        let user = &self.user;
        let found: Option<String> = transaction!(&self.db, Read, Some(user), |conn| {
            sqlx::query_scalar(ROLE_OF)
                .bind(project)
                .bind(user)
                .fetch_optional(&mut *conn)
                .await?
        });
        found.map(Role::try_from).transpose()
    }

    /// The members of a project, in the order they joined.
    pub async fn members(&self, project: &ProjectId) -> Result<Vec<Member>, StoreError> {
        let user = &self.user;
        Ok(transaction!(&self.db, Read, Some(user), |conn| {
            let found = sqlx::query_scalar(ROLE_OF)
                .bind(project)
                .bind(user)
                .fetch_optional(&mut *conn)
                .await?;
            require_role(found, Role::Viewer, "listing members")?;
            sqlx::query_as::<_, Member>(SELECT_MEMBERS)
                .bind(project)
                .fetch_all(&mut *conn)
                .await?
        }))
    }

    /// Gives `member` a role on the project (adding or changing it). Owners only; the
    /// project's creator stays its owner ([`StoreError::Conflict`]); an unknown user is
    /// [`StoreError::NotFound`].
    pub async fn add_member(
        &self,
        project: &ProjectId,
        member: &UserId,
        role: Role,
    ) -> Result<Member, StoreError> {
        let user = &self.user;
        let now = now_ms();
        Ok(transaction!(&self.db, Write, Some(user), |conn| {
            let found = sqlx::query_scalar(ROLE_OF)
                .bind(project)
                .bind(user)
                .fetch_optional(&mut *conn)
                .await?;
            require_role(found, Role::Owner, "sharing the project")?;
            let owner: UserId = sqlx::query_scalar("SELECT owner_id FROM projects WHERE id = $1")
                .bind(project)
                .fetch_one(&mut *conn)
                .await?;
            if &owner == member {
                return Err(creator_stays_owner());
            }
            let inserted = sqlx::query(
                "INSERT INTO project_members (project_id, user_id, role, created_at) \
                 VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role",
            )
            .bind(project)
            .bind(member)
            .bind(role.as_str())
            .bind(now)
            .execute(&mut *conn)
            .await;
            match inserted {
                Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
                    return Err(StoreError::not_found("user"));
                }
                other => other?,
            };
            sqlx::query_as::<_, Member>(
                "SELECT m.user_id, u.email, m.role, m.created_at \
                 FROM project_members m JOIN users u ON u.id = m.user_id \
                 WHERE m.project_id = $1 AND m.user_id = $2",
            )
            .bind(project)
            .bind(member)
            .fetch_one(&mut *conn)
            .await?
        }))
    }

    /// Removes a member. Owners only; the project's creator cannot be removed.
    pub async fn remove_member(
        &self,
        project: &ProjectId,
        member: &UserId,
    ) -> Result<(), StoreError> {
        let user = &self.user;
        transaction!(&self.db, Write, Some(user), |conn| {
            let found = sqlx::query_scalar(ROLE_OF)
                .bind(project)
                .bind(user)
                .fetch_optional(&mut *conn)
                .await?;
            require_role(found, Role::Owner, "removing a member")?;
            let owner: UserId = sqlx::query_scalar("SELECT owner_id FROM projects WHERE id = $1")
                .bind(project)
                .fetch_one(&mut *conn)
                .await?;
            if &owner == member {
                return Err(creator_stays_owner());
            }
            let removed =
                sqlx::query("DELETE FROM project_members WHERE project_id = $1 AND user_id = $2")
                    .bind(project)
                    .bind(member)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
            if removed == 0 {
                return Err(StoreError::not_found("member"));
            }
        });
        Ok(())
    }

    /// Replaces what the project is generated from (a revised description); the next
    /// generation uses it. Editors and owners.
    pub async fn set_source(&self, project: &ProjectId, source: &str) -> Result<(), StoreError> {
        let user = &self.user;
        let now = now_ms();
        transaction!(&self.db, Write, Some(user), |conn| {
            let found = sqlx::query_scalar(ROLE_OF)
                .bind(project)
                .bind(user)
                .fetch_optional(&mut *conn)
                .await?;
            require_role(found, Role::Editor, "changing the project's source")?;
            sqlx::query("UPDATE projects SET source = $2, updated_at = $3 WHERE id = $1")
                .bind(project)
                .bind(source)
                .bind(now)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }

    /// Deletes the project with its members, versions and files. Owners only.
    pub async fn delete_project(&self, project: &ProjectId) -> Result<(), StoreError> {
        let user = &self.user;
        transaction!(&self.db, Write, Some(user), |conn| {
            let found = sqlx::query_scalar(ROLE_OF)
                .bind(project)
                .bind(user)
                .fetch_optional(&mut *conn)
                .await?;
            require_role(found, Role::Owner, "deleting the project")?;
            sqlx::query("DELETE FROM projects WHERE id = $1")
                .bind(project)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }
}

fn creator_stays_owner() -> StoreError {
    StoreError::Conflict {
        message: "the project's creator is always its owner\nhint: share with another user"
            .to_owned(),
    }
}

impl Db {
    /// Any project, whoever owns it (system scope: the job worker).
    pub async fn project_system(&self, id: &ProjectId) -> Result<Option<Project>, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, Project>(SELECT_PROJECT)
                .bind(id)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// A user's role on a project (system scope), `None` if not a member.
    pub async fn project_role(
        &self,
        project: &ProjectId,
        user: &UserId,
    ) -> Result<Option<Role>, StoreError> {
        let found: Option<String> = on_pool!(self, |pool| {
            sqlx::query_scalar(ROLE_OF)
                .bind(project)
                .bind(user)
                .fetch_optional(pool)
                .await?
        });
        found.map(Role::try_from).transpose()
    }

    /// Sets a project's status (system scope: the job worker).
    pub async fn set_project_status(
        &self,
        id: &ProjectId,
        status: ProjectStatus,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let updated = on_pool!(self, |pool| {
            sqlx::query("UPDATE projects SET status = $2, updated_at = $3 WHERE id = $1")
                .bind(id)
                .bind(status.as_str())
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
        });
        if updated == 1 {
            Ok(())
        } else {
            Err(StoreError::not_found("project"))
        }
    }

    /// Records the job now working on a project and marks it `queued` (system scope:
    /// called right after enqueueing).
    pub async fn set_project_job(&self, id: &ProjectId, job_id: &str) -> Result<(), StoreError> {
        let now = now_ms();
        let updated = on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE projects SET last_job_id = $2, status = 'queued', updated_at = $3 \
                 WHERE id = $1",
            )
            .bind(id)
            .bind(job_id)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if updated == 1 {
            Ok(())
        } else {
            Err(StoreError::not_found("project"))
        }
    }
}
