//! Versions of a project and their files. Contents live in content-addressed blobs
//! (sha256 → bytes), stored once however many versions and projects share them. The job
//! worker adds versions (system scope); tenants read them.

use std::collections::BTreeSet;

use sha2::{Digest, Sha256};

use crate::sql::{on_pool, text_enum, transaction};
use crate::tenant::{ROLE_OF, require_role};
use crate::{Db, ProjectId, Role, StoreError, Tenant, VersionId, now_ms};

text_enum! {
    /// Who owns a file's content: `Generated` files are rewritten by regeneration, `User`
    /// files (hooks) are created once and then belong to the user.
    Ownership in "version_files.ownership" {
        Generated = "generated",
        User = "user",
    }
}

/// A file of a new version.
#[derive(Debug, Clone)]
pub struct NewFile {
    /// Relative, `/`-separated; unique within the version.
    pub path: String,
    pub contents: Vec<u8>,
    pub ownership: Ownership,
}

/// Everything a generation produced, stored as the project's next version.
#[derive(Debug, Clone)]
pub struct NewVersion {
    /// The manifest (canonical JSON).
    pub manifest: String,
    pub manifest_sha256: String,
    pub spec_json: String,
    pub spec_yaml: String,
    /// The Postman collection (JSON).
    pub postman: String,
    /// The verification report (JSON), once verified.
    pub test_report: Option<String>,
    pub verified: bool,
    /// The job that produced it.
    pub job_id: Option<String>,
    pub files: Vec<NewFile>,
}

/// A stored version with its documents.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Version {
    pub id: VersionId,
    pub project_id: ProjectId,
    /// 1, 2, 3… per project.
    pub number: i64,
    pub manifest: String,
    pub manifest_sha256: String,
    pub spec_json: String,
    pub spec_yaml: String,
    pub postman: String,
    pub test_report: Option<String>,
    pub verified: bool,
    pub job_id: Option<String>,
    pub created_at: i64,
}

/// A version in a listing (without its documents).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct VersionSummary {
    pub id: VersionId,
    pub number: i64,
    pub manifest_sha256: String,
    pub verified: bool,
    pub has_test_report: bool,
    pub job_id: Option<String>,
    pub created_at: i64,
}

/// A file of a stored version (its content: [`Tenant::file_content`]).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct VersionFile {
    pub path: String,
    /// Lower-case hex sha256 of the content.
    pub sha256: String,
    pub size: i64,
    #[sqlx(try_from = "String")]
    pub ownership: Ownership,
}

/// Lower-case hex sha256 of `bytes`, as blobs are keyed.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

const VERSION_COLUMNS: &str = "id, project_id, number, manifest, manifest_sha256, spec_json, \
     spec_yaml, postman, test_report, verified, job_id, created_at";

fn size_of(bytes: &[u8]) -> i64 {
    i64::try_from(bytes.len()).unwrap_or(i64::MAX)
}

impl Db {
    /// Stores the project's next version (numbered 1, 2, 3…) with its files, and makes it
    /// the project's current version; all or nothing (system scope: the job worker).
    pub async fn add_version(
        &self,
        project: &ProjectId,
        new: &NewVersion,
    ) -> Result<Version, StoreError> {
        let mut paths = BTreeSet::new();
        for file in &new.files {
            if !paths.insert(file.path.as_str()) {
                return Err(StoreError::Conflict {
                    message: format!(
                        "the version lists the file {:?} twice\nhint: this is a bug in the \
                         generator",
                        file.path
                    ),
                });
            }
        }
        let hashed: Vec<(&NewFile, String)> = new
            .files
            .iter()
            .map(|file| (file, sha256_hex(&file.contents)))
            .collect();
        let id = VersionId::new();
        let now = now_ms();
        let insert_version = sqlx::AssertSqlSafe(format!(
            "INSERT INTO versions (id, project_id, number, manifest, manifest_sha256, \
             spec_json, spec_yaml, postman, test_report, verified, job_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             RETURNING {VERSION_COLUMNS}"
        ));
        Ok(transaction!(self, Write, None, |conn| {
            // Lock the project row first (PostgreSQL: row lock; SQLite: the write lock is
            // already held), so concurrent adds number their versions one after another.
            let locked = sqlx::query("UPDATE projects SET updated_at = $2 WHERE id = $1")
                .bind(project)
                .bind(now)
                .execute(&mut *conn)
                .await?
                .rows_affected();
            if locked == 0 {
                return Err(StoreError::not_found("project"));
            }
            let number: i64 = sqlx::query_scalar(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM versions WHERE project_id = $1",
            )
            .bind(project)
            .fetch_one(&mut *conn)
            .await?;
            let version = sqlx::query_as::<_, Version>(insert_version)
                .bind(&id)
                .bind(project)
                .bind(number)
                .bind(&new.manifest)
                .bind(&new.manifest_sha256)
                .bind(&new.spec_json)
                .bind(&new.spec_yaml)
                .bind(&new.postman)
                .bind(&new.test_report)
                .bind(new.verified)
                .bind(&new.job_id)
                .bind(now)
                .fetch_one(&mut *conn)
                .await?;
            for (file, sha256) in &hashed {
                sqlx::query(
                    "INSERT INTO blobs (sha256, size, content) VALUES ($1, $2, $3) \
                     ON CONFLICT (sha256) DO NOTHING",
                )
                .bind(sha256)
                .bind(size_of(&file.contents))
                .bind(&file.contents)
                .execute(&mut *conn)
                .await?;
                sqlx::query(
                    "INSERT INTO version_files (version_id, path, sha256, size, ownership) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&id)
                .bind(&file.path)
                .bind(sha256)
                .bind(size_of(&file.contents))
                .bind(file.ownership.as_str())
                .execute(&mut *conn)
                .await?;
            }
            sqlx::query("UPDATE projects SET current_version = $2 WHERE id = $1")
                .bind(project)
                .bind(number)
                .execute(&mut *conn)
                .await?;
            version
        }))
    }

    /// Records a version's verification outcome (system scope: the job worker).
    pub async fn set_version_report(
        &self,
        version: &VersionId,
        test_report: &str,
        verified: bool,
    ) -> Result<(), StoreError> {
        let updated = on_pool!(self, |pool| {
            sqlx::query("UPDATE versions SET test_report = $2, verified = $3 WHERE id = $1")
                .bind(version)
                .bind(test_report)
                .bind(verified)
                .execute(pool)
                .await?
                .rows_affected()
        });
        if updated == 1 {
            Ok(())
        } else {
            Err(StoreError::not_found("version"))
        }
    }

    /// A version by project and number (system scope).
    pub async fn version_system(
        &self,
        project: &ProjectId,
        number: i64,
    ) -> Result<Option<Version>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {VERSION_COLUMNS} FROM versions WHERE project_id = $1 AND number = $2"
        ));
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, Version>(sql)
                .bind(project)
                .bind(number)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// The files of a version (system scope: the worker writes them out for a preview).
    pub async fn version_files_system(
        &self,
        version: &VersionId,
    ) -> Result<Vec<(VersionFile, Vec<u8>)>, StoreError> {
        let rows: Vec<FileWithContent> = on_pool!(self, |pool| {
            sqlx::query_as::<_, FileWithContent>(
                "SELECT f.path, f.sha256, f.size, f.ownership, b.content \
                 FROM version_files f JOIN blobs b ON b.sha256 = f.sha256 \
                 WHERE f.version_id = $1 ORDER BY f.path",
            )
            .bind(version)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|row| (row.file, row.content))
            .collect())
    }

    /// A blob's content by its sha256 (system scope).
    pub async fn blob(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_scalar::<_, Vec<u8>>("SELECT content FROM blobs WHERE sha256 = $1")
                .bind(sha256)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// Deletes blobs no version refers to any more (after projects were deleted); returns
    /// how many. A version being added at the same moment may fail and should be retried.
    pub async fn prune_blobs(&self) -> Result<u64, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query(
                "DELETE FROM blobs WHERE NOT EXISTS \
                 (SELECT 1 FROM version_files f WHERE f.sha256 = blobs.sha256)",
            )
            .execute(pool)
            .await?
            .rows_affected()
        }))
    }
}

#[derive(sqlx::FromRow)]
struct FileWithContent {
    #[sqlx(flatten)]
    file: VersionFile,
    content: Vec<u8>,
}

impl Tenant {
    /// The versions of a project, newest first; [`StoreError::NotFound`] if the user
    /// cannot see the project.
    pub async fn versions(&self, project: &ProjectId) -> Result<Vec<VersionSummary>, StoreError> {
        let user = &self.user;
        Ok(transaction!(&self.db, Read, Some(user), |conn| {
            let found = sqlx::query_scalar(ROLE_OF)
                .bind(project)
                .bind(user)
                .fetch_optional(&mut *conn)
                .await?;
            require_role(found, Role::Viewer, "listing versions")?;
            sqlx::query_as::<_, VersionSummary>(
                "SELECT id, number, manifest_sha256, verified, \
                 (test_report IS NOT NULL) AS has_test_report, job_id, created_at \
                 FROM versions WHERE project_id = $1 ORDER BY number DESC",
            )
            .bind(project)
            .fetch_all(&mut *conn)
            .await?
        }))
    }

    /// One version of a project with its documents; `None` if the user cannot see the
    /// project or it has no such version.
    pub async fn version(
        &self,
        project: &ProjectId,
        number: i64,
    ) -> Result<Option<Version>, StoreError> {
        let user = &self.user;
        Ok(transaction!(&self.db, Read, Some(user), |conn| {
            sqlx::query_as::<_, Version>(
                "SELECT v.id, v.project_id, v.number, v.manifest, v.manifest_sha256, \
                 v.spec_json, v.spec_yaml, v.postman, v.test_report, v.verified, v.job_id, \
                 v.created_at \
                 FROM versions v \
                 JOIN project_members m ON m.project_id = v.project_id AND m.user_id = $3 \
                 WHERE v.project_id = $1 AND v.number = $2",
            )
            .bind(project)
            .bind(number)
            .bind(user)
            .fetch_optional(&mut *conn)
            .await?
        }))
    }

    /// The files of a version, by path; [`StoreError::NotFound`] if the user cannot see
    /// the project or it has no such version.
    pub async fn files(
        &self,
        project: &ProjectId,
        number: i64,
    ) -> Result<Vec<VersionFile>, StoreError> {
        let user = &self.user;
        Ok(transaction!(&self.db, Read, Some(user), |conn| {
            let version: Option<VersionId> = sqlx::query_scalar(
                "SELECT v.id FROM versions v \
                 JOIN project_members m ON m.project_id = v.project_id AND m.user_id = $3 \
                 WHERE v.project_id = $1 AND v.number = $2",
            )
            .bind(project)
            .bind(number)
            .bind(user)
            .fetch_optional(&mut *conn)
            .await?;
            let Some(version) = version else {
                return Err(StoreError::not_found("version"));
            };
            sqlx::query_as::<_, VersionFile>(
                "SELECT path, sha256, size, ownership FROM version_files \
                 WHERE version_id = $1 ORDER BY path",
            )
            .bind(&version)
            .fetch_all(&mut *conn)
            .await?
        }))
    }

    /// The content of one file of a version; `None` if the user cannot see the project,
    /// or the version or file does not exist.
    pub async fn file_content(
        &self,
        project: &ProjectId,
        number: i64,
        path: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let user = &self.user;
        Ok(transaction!(&self.db, Read, Some(user), |conn| {
            sqlx::query_scalar::<_, Vec<u8>>(
                "SELECT b.content FROM versions v \
                 JOIN project_members m ON m.project_id = v.project_id AND m.user_id = $3 \
                 JOIN version_files f ON f.version_id = v.id \
                 JOIN blobs b ON b.sha256 = f.sha256 \
                 WHERE v.project_id = $1 AND v.number = $2 AND f.path = $4",
            )
            .bind(project)
            .bind(number)
            .bind(user)
            .bind(path)
            .fetch_optional(&mut *conn)
            .await?
        }))
    }
}
