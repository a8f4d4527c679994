//! The store on both backends: every behaviour runs once on a fresh SQLite database and
//! once on a fresh PostgreSQL schema (which must be reachable: see
//! `apiforge_store::testing`), plus the row-level-security proofs on PostgreSQL.

mod audit;
mod auth;
mod migrate;
mod projects;
mod prompts;
mod rls;
mod users;
mod versions;

use apiforge_store::testing::TestDb;
use apiforge_store::{
    Db, NewFile, NewProject, NewVersion, Ownership, Project, SourceKind, Target, User, UserId,
};

/// `on_both!(f, g)`: for each async `fn f(db: &TestDb)` in scope, a module `f` with the
/// tests `sqlite` and `postgres`.
macro_rules! on_both {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    let db = apiforge_store::testing::fresh_sqlite().await;
                    super::$name(&db).await;
                }

                #[tokio::test]
                async fn postgres() {
                    let db = apiforge_store::testing::fresh_postgres().await;
                    super::$name(&db).await;
                }
            }
        )+
    };
}
pub(crate) use on_both;

/// A signed-up user.
pub async fn user(db: &Db, email: &str) -> User {
    db.upsert_user(email).await.expect("upserting a user")
}

/// Two users: alice and bob.
pub async fn alice_and_bob(db: &Db) -> (UserId, UserId) {
    let alice = user(db, "alice@example.com").await.id;
    let bob = user(db, "bob@example.com").await.id;
    (alice, bob)
}

/// A prompt project called `name`.
pub fn new_project(name: &str) -> NewProject {
    NewProject {
        name: name.to_owned(),
        description: format!("{name} described"),
        target: Target::FastApi,
        source_kind: SourceKind::Prompt,
        source: format!("A {name} API with books and authors."),
    }
}

/// A project of `owner`'s.
pub async fn project_of(db: &Db, owner: &UserId, name: &str) -> Project {
    db.tenant(owner)
        .create_project(&new_project(name))
        .await
        .expect("creating a project")
}

/// A version with these generated files.
pub fn new_version(files: &[(&str, &[u8])]) -> NewVersion {
    NewVersion {
        manifest: r#"{"entities":[]}"#.to_owned(),
        manifest_sha256: "ab".repeat(32),
        spec_json: r#"{"openapi":"3.1.0"}"#.to_owned(),
        spec_yaml: "openapi: 3.1.0\n".to_owned(),
        postman: r#"{"info":{}}"#.to_owned(),
        test_report: None,
        verified: false,
        job_id: Some("job-1".to_owned()),
        files: files
            .iter()
            .map(|(path, contents)| NewFile {
                path: (*path).to_owned(),
                contents: contents.to_vec(),
                ownership: Ownership::Generated,
            })
            .collect(),
    }
}

/// `SELECT COUNT(*)` on the pool, without any tenant (system view).
pub async fn count(db: &TestDb, table: &str) -> i64 {
    let sql = sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"));
    match db.db() {
        Db::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
    }
    .expect("counting rows")
}
