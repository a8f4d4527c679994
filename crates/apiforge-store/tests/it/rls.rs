//! PostgreSQL row-level security, proven with raw SQL and no membership filters: as the
//! tenant role, another user's rows do not exist, and writes into them are refused.

use apiforge_store::testing::{TestDb, fresh_postgres};
use apiforge_store::{
    AuditFilter, Db, NewAuditEvent, NewSession, ProjectId, Role, TENANT_ROLE, UserId, now_ms,
};
use sqlx::postgres::{PgConnection, PgPool};
use sqlx::{Connection, Postgres, Transaction};

use crate::{alice_and_bob, new_version, project_of};

fn pool(db: &TestDb) -> &PgPool {
    match db.db() {
        Db::Postgres(pool) => pool,
        Db::Sqlite(_) => panic!("a PostgreSQL test got SQLite"),
    }
}

/// A transaction as the tenant role, for `user` (or for nobody).
async fn as_tenant(pool: &PgPool, user: Option<&UserId>) -> Transaction<'static, Postgres> {
    let mut tx = pool.begin().await.expect("begin");
    enter(&mut tx, user).await;
    tx
}

async fn enter(conn: &mut PgConnection, user: Option<&UserId>) {
    sqlx::query("SELECT set_config('role', $1, true)")
        .bind(TENANT_ROLE)
        .execute(&mut *conn)
        .await
        .expect("switching to the tenant role");
    if let Some(user) = user {
        sqlx::query("SELECT set_config('apiforge.user_id', $1, true)")
            .bind(user)
            .execute(&mut *conn)
            .await
            .expect("setting the user");
    }
    let role: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(&mut *conn)
        .await
        .expect("current_user");
    assert_eq!(role, TENANT_ROLE);
}

async fn strings(conn: &mut PgConnection, sql: &'static str) -> Vec<String> {
    sqlx::query_scalar(sql)
        .fetch_all(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn is_refused(result: Result<sqlx::postgres::PgQueryResult, sqlx::Error>) -> bool {
    match result {
        // insufficient_privilege: RLS WITH CHECK violations and missing grants.
        Err(sqlx::Error::Database(e)) => e.code().as_deref() == Some("42501"),
        _ => false,
    }
}

/// Alice's project (with a version, files and an audit event) and Bob's, sharing one
/// file content.
struct World {
    db: TestDb,
    alice: UserId,
    bob: UserId,
    a: ProjectId,
    b: ProjectId,
}

async fn world() -> World {
    let db = fresh_postgres().await;
    let (alice, bob) = alice_and_bob(&db).await;
    let a = project_of(&db, &alice, "Alice's").await.id;
    let b = project_of(&db, &bob, "Bob's").await.id;
    db.add_version(
        &a,
        &new_version(&[("secret.txt", b"alice only"), ("common.txt", b"same")]),
    )
    .await
    .expect("version");
    db.add_version(
        &b,
        &new_version(&[("mine.txt", b"bob only"), ("common.txt", b"same")]),
    )
    .await
    .expect("version");
    for project in [&a, &b] {
        db.record_audit(&NewAuditEvent {
            at: now_ms(),
            actor_id: None,
            project_id: Some(project.clone()),
            kind: "sandbox.run".to_owned(),
            sandbox_id: Some(format!("sb-{project}")),
            data: "{}".to_owned(),
        })
        .await
        .expect("audit");
    }
    db.create_session(&NewSession {
        user_id: alice.clone(),
        expires_at: now_ms() + 60_000,
        ip: None,
        user_agent: None,
    })
    .await
    .expect("session");
    World {
        db,
        alice,
        bob,
        a,
        b,
    }
}

#[tokio::test]
async fn every_tenant_table_forces_rls() {
    let db = fresh_postgres().await;
    let rows: Vec<(String, bool, bool)> = sqlx::query_as(
        "SELECT relname::text, relrowsecurity, relforcerowsecurity FROM pg_class \
         WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r' \
         AND relname = ANY($1)",
    )
    .bind(vec![
        "users",
        "projects",
        "project_members",
        "versions",
        "version_files",
        "blobs",
        "audit_events",
        "prompts",
        "prompt_versions",
        "executions",
    ])
    .fetch_all(pool(&db))
    .await
    .expect("pg_class");
    assert_eq!(rows.len(), 10);
    for (table, enabled, forced) in rows {
        assert!(
            enabled && forced,
            "{table}: RLS enabled {enabled}, forced {forced}"
        );
    }
}

#[tokio::test]
async fn another_user_sees_nothing() {
    let w = world().await;
    let mut tx = as_tenant(pool(&w.db), Some(&w.bob)).await;
    let b = w.b.to_string();
    assert_eq!(
        strings(&mut tx, "SELECT id FROM projects").await,
        [b.as_str()]
    );
    assert_eq!(
        strings(&mut tx, "SELECT project_id FROM project_members").await,
        [b.as_str()]
    );
    assert_eq!(
        strings(&mut tx, "SELECT project_id FROM versions").await,
        [b.as_str()]
    );
    let mut paths = strings(&mut tx, "SELECT path FROM version_files").await;
    paths.sort();
    assert_eq!(paths, ["common.txt", "mine.txt"]);
    let mut blobs = strings(&mut tx, "SELECT convert_from(content, 'UTF8') FROM blobs").await;
    blobs.sort();
    assert_eq!(
        blobs,
        ["bob only", "same"],
        "only blobs of files bob can see"
    );
    assert_eq!(
        strings(&mut tx, "SELECT project_id FROM audit_events").await,
        [b.as_str()]
    );
    assert_eq!(
        strings(&mut tx, "SELECT email FROM users").await,
        ["bob@example.com"]
    );
    tx.rollback().await.expect("rollback");

    // System tables are out of reach altogether.
    for sql in [
        "SELECT 1 FROM sessions",
        "SELECT 1 FROM login_tokens",
        "SELECT 1 FROM api_tokens",
    ] {
        let mut tx = as_tenant(pool(&w.db), Some(&w.bob)).await;
        let result = sqlx::query(sql).execute(&mut *tx).await;
        assert!(is_refused(result), "{sql} must be refused");
    }

    // Alice, by contrast, sees her rows (the queries above could see something).
    let mut tx = as_tenant(pool(&w.db), Some(&w.alice)).await;
    assert_eq!(
        strings(&mut tx, "SELECT id FROM projects").await,
        [w.a.to_string()]
    );
    let mut blobs = strings(&mut tx, "SELECT convert_from(content, 'UTF8') FROM blobs").await;
    blobs.sort();
    assert_eq!(blobs, ["alice only", "same"]);
}

#[tokio::test]
async fn without_a_user_everything_is_invisible() {
    let w = world().await;
    let mut conn = pool(&w.db).acquire().await.expect("connection");
    // First a tenant transaction for alice on this very connection, then one with no
    // user: the transaction-local setting must not leak into the next transaction.
    let mut tx = conn.begin().await.expect("begin");
    enter(&mut tx, Some(&w.alice)).await;
    assert_eq!(strings(&mut tx, "SELECT id FROM projects").await.len(), 1);
    tx.commit().await.expect("commit");
    let mut tx = conn.begin().await.expect("begin");
    enter(&mut tx, None).await;
    for table in [
        "users",
        "projects",
        "project_members",
        "versions",
        "version_files",
        "blobs",
        "audit_events",
        "prompts",
        "prompt_versions",
        "executions",
    ] {
        let sql = sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"));
        let n: i64 = sqlx::query_scalar(sql)
            .fetch_one(&mut *tx)
            .await
            .expect("count");
        assert_eq!(n, 0, "{table} must look empty without a user");
    }
}

const INSERT_VERSION: &str = "INSERT INTO versions (id, project_id, number, manifest, \
     manifest_sha256, spec_json, spec_yaml, postman, verified, created_at) \
     VALUES ($1, $2, $3, '{}', 'x', '{}', '', '{}', false, 0)";

async fn insert_version(
    pool: &PgPool,
    user: &UserId,
    project: &ProjectId,
    number: i64,
) -> Result<sqlx::postgres::PgQueryResult, sqlx::Error> {
    let mut tx = as_tenant(pool, Some(user)).await;
    let result = sqlx::query(INSERT_VERSION)
        .bind(uuid_like(number))
        .bind(project)
        .bind(number)
        .execute(&mut *tx)
        .await;
    if result.is_ok() {
        tx.commit().await.expect("commit");
    }
    result
}

fn uuid_like(n: i64) -> String {
    format!("00000000-0000-7000-8000-{n:012}")
}

#[tokio::test]
async fn writes_into_another_users_project_are_refused() {
    let w = world().await;
    let pool = pool(&w.db);
    assert!(is_refused(insert_version(pool, &w.bob, &w.a, 7).await));

    let mut tx = as_tenant(pool, Some(&w.bob)).await;
    let updated = sqlx::query("UPDATE projects SET name = 'pwned' WHERE id = $1")
        .bind(&w.a)
        .execute(&mut *tx)
        .await
        .expect("update");
    assert_eq!(updated.rows_affected(), 0);
    let deleted = sqlx::query("DELETE FROM projects WHERE id = $1")
        .bind(&w.a)
        .execute(&mut *tx)
        .await
        .expect("delete");
    assert_eq!(deleted.rows_affected(), 0);
    let deleted = sqlx::query("DELETE FROM versions WHERE project_id = $1")
        .bind(&w.a)
        .execute(&mut *tx)
        .await
        .expect("delete");
    assert_eq!(deleted.rows_affected(), 0);
    tx.commit().await.expect("commit");

    // Joining a project, or creating one in someone else's name.
    let mut tx = as_tenant(pool, Some(&w.bob)).await;
    let joined = sqlx::query(
        "INSERT INTO project_members (project_id, user_id, role, created_at) \
         VALUES ($1, $2, 'owner', 0)",
    )
    .bind(&w.a)
    .bind(&w.bob)
    .execute(&mut *tx)
    .await;
    assert!(is_refused(joined));
    drop(tx);
    let mut tx = as_tenant(pool, Some(&w.bob)).await;
    let forged = sqlx::query(
        "INSERT INTO projects (id, owner_id, name, target, source_kind, source, created_at, \
         updated_at) VALUES ($1, $2, 'x', 'fastapi', 'prompt', 'x', 0, 0)",
    )
    .bind(ProjectId::new())
    .bind(&w.alice)
    .execute(&mut *tx)
    .await;
    assert!(is_refused(forged));
    drop(tx);

    // Roles: a viewer may not add versions, an editor may, only an owner deletes.
    let as_alice = w.db.tenant(&w.alice);
    as_alice
        .add_member(&w.a, &w.bob, Role::Viewer)
        .await
        .expect("share");
    assert!(is_refused(insert_version(pool, &w.bob, &w.a, 8).await));
    as_alice
        .add_member(&w.a, &w.bob, Role::Editor)
        .await
        .expect("promote");
    insert_version(pool, &w.bob, &w.a, 9)
        .await
        .expect("an editor adds a version");
    let mut tx = as_tenant(pool, Some(&w.bob)).await;
    let deleted = sqlx::query("DELETE FROM projects WHERE id = $1")
        .bind(&w.a)
        .execute(&mut *tx)
        .await
        .expect("delete");
    assert_eq!(deleted.rows_affected(), 0, "an editor cannot delete");
    tx.commit().await.expect("commit");

    // Nothing of the refused writes landed.
    let project =
        w.db.project_system(&w.a)
            .await
            .expect("get")
            .expect("still there");
    assert_eq!(project.name, "Alice's");
    let numbers: Vec<i64> =
        w.db.tenant(&w.alice)
            .versions(&w.a)
            .await
            .expect("versions")
            .iter()
            .map(|v| v.number)
            .collect();
    assert_eq!(numbers, [9, 1], "newest first");
    assert_eq!(
        w.db.tenant(&w.bob)
            .audit(&AuditFilter::default())
            .await
            .expect("audit")
            .len(),
        2,
        "bob, now an editor of A, sees both projects' events"
    );
}
