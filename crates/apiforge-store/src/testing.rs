//! Fresh, migrated databases for tests of this crate and of the crates above it
//! (feature `testing`): [`fresh_sqlite`] in a temporary directory, [`fresh_postgres`] in a
//! new schema of the test server. Each is removed when the [`TestDb`] is dropped.
//!
//! PostgreSQL: `TEST_DATABASE_URL`, else `postgres://postgres@127.0.0.1:5432/test`. A
//! test that cannot reach it fails (it does not skip).

use std::ops::Deref;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{Connection, Executor};

use crate::Db;

/// The variable that points tests at another PostgreSQL server.
pub const TEST_DATABASE_URL: &str = "TEST_DATABASE_URL";
/// Where tests look for PostgreSQL without [`TEST_DATABASE_URL`].
pub const DEFAULT_TEST_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
/// Test schemas are named this plus a UUIDv7 (so their age is known).
const SCHEMA_PREFIX: &str = "apiforge_t_";
/// Schemas left behind by killed test runs are dropped once this old.
const STALE_AFTER: Duration = Duration::from_secs(6 * 3600);

/// A fresh database, usable as a [`Db`] (it derefs to one), removed on drop.
#[derive(Debug)]
pub struct TestDb {
    db: Db,
    place: Place,
}

#[derive(Debug)]
enum Place {
    Sqlite(tempfile::TempDir),
    Postgres {
        options: Box<PgConnectOptions>,
        schema: String,
    },
}

impl Deref for TestDb {
    type Target = Db;

    fn deref(&self) -> &Db {
        &self.db
    }
}

impl TestDb {
    /// The pool (a clone shares it).
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The PostgreSQL schema of this database (`None` on SQLite).
    pub fn schema(&self) -> Option<&str> {
        match &self.place {
            Place::Sqlite(_) => None,
            Place::Postgres { schema, .. } => Some(schema),
        }
    }

    /// The SQLite data directory (`None` on PostgreSQL).
    pub fn data_dir(&self) -> Option<&std::path::Path> {
        match &self.place {
            Place::Sqlite(dir) => Some(dir.path()),
            Place::Postgres { .. } => None,
        }
    }

    /// Opens another, independent pool on the same database (as a second process would)
    /// and migrates it (a no-op unless something is pending).
    pub async fn reopen(&self) -> Db {
        let db = match &self.place {
            Place::Sqlite(dir) => Db::open_data_dir(dir.path()).await,
            Place::Postgres { options, schema } => {
                Db::open_postgres(schema_options(options, schema)).await
            }
        }
        .expect("reopening the test database");
        db.migrate()
            .await
            .expect("migrating the reopened test database");
        db
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Place::Postgres { options, schema } = &self.place {
            let options = PgConnectOptions::clone(options);
            let schema = schema.clone();
            // Drop is synchronous and may run inside the test's runtime: use a thread with
            // its own. Best effort: a schema left behind is swept by a later run.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(runtime) = runtime {
                    runtime.block_on(drop_schema(&options, &schema));
                }
            })
            .join();
        }
    }
}

/// A migrated SQLite database in a new temporary directory.
pub async fn fresh_sqlite() -> TestDb {
    let dir = tempfile::Builder::new()
        .prefix("apiforge-store-test-")
        .tempdir()
        .expect("creating a temporary directory for a test database");
    let db = Db::open_data_dir(dir.path())
        .await
        .expect("opening a fresh SQLite test database");
    TestDb {
        db,
        place: Place::Sqlite(dir),
    }
}

/// A migrated PostgreSQL database: a new schema on the test server, which the pool's
/// `search_path` points at. Panics (failing the test) if the server is unreachable.
pub async fn fresh_postgres() -> TestDb {
    let url =
        std::env::var(TEST_DATABASE_URL).unwrap_or_else(|_| DEFAULT_TEST_DATABASE_URL.to_owned());
    let options = PgConnectOptions::from_str(&url)
        .unwrap_or_else(|e| panic!("{TEST_DATABASE_URL}={url:?} is not a PostgreSQL URL: {e}"));
    let mut admin = match PgConnection::connect_with(&options).await {
        Ok(conn) => conn,
        Err(e) => panic!(
            "PostgreSQL is not reachable at {url}: {e}\n\
             hint: start it: pg_ctlcluster 15 main start (or point {TEST_DATABASE_URL} at \
             another server)"
        ),
    };
    sweep_stale_schemas(&mut admin).await;
    let schema = format!("{SCHEMA_PREFIX}{}", uuid::Uuid::now_v7().simple());
    admin
        .execute(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .await
        .unwrap_or_else(|e| panic!("creating the test schema {schema} at {url}: {e}"));
    let _ = admin.close().await;
    let db = Db::open_postgres(schema_options(&options, &schema))
        .await
        .unwrap_or_else(|e| panic!("connecting to the test schema {schema}: {e}"));
    let test_db = TestDb {
        db,
        place: Place::Postgres {
            options: Box::new(options),
            schema,
        },
    };
    test_db
        .db
        .migrate()
        .await
        .unwrap_or_else(|e| panic!("migrating a fresh PostgreSQL test schema: {e}"));
    test_db
}

/// Connections to the test schema: its `search_path`, and the schema's name as the
/// application name so the clean-up can find them.
fn schema_options(options: &PgConnectOptions, schema: &str) -> PgConnectOptions {
    options
        .clone()
        .options([("search_path", schema)])
        .application_name(schema)
}

async fn drop_schema(options: &PgConnectOptions, schema: &str) {
    if let Ok(mut conn) = PgConnection::connect_with(options).await {
        // The test's pools may still hold connections, even inside a transaction whose
        // rollback waits for the (now blocked) test runtime: end them first.
        let _ = sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = $1 AND pid <> pg_backend_pid()",
        )
        .bind(schema)
        .execute(&mut conn)
        .await;
        // Never wait long on a lock held by a connection that is still ending.
        let _ = conn.execute("SET lock_timeout = '5s'").await;
        let _ = conn
            .execute(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE"
            )))
            .await;
        let _ = conn.close().await;
    }
}

/// Drops test schemas whose UUIDv7 says they are older than [`STALE_AFTER`].
async fn sweep_stale_schemas(admin: &mut PgConnection) {
    let Ok(names) = sqlx::query_scalar::<_, String>(
        "SELECT nspname::text FROM pg_namespace WHERE starts_with(nspname::text, $1)",
    )
    .bind(SCHEMA_PREFIX)
    .fetch_all(&mut *admin)
    .await
    else {
        return;
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    for name in names {
        let Some(created) = name
            .strip_prefix(SCHEMA_PREFIX)
            .and_then(|id| uuid::Uuid::try_parse(id).ok())
            .and_then(|id| id.get_timestamp())
            .map(|ts| {
                let (secs, nanos) = ts.to_unix();
                Duration::new(secs, nanos)
            })
        else {
            continue;
        };
        if now.saturating_sub(created) > STALE_AFTER {
            let _ = admin.execute("SET lock_timeout = '2s'").await;
            let _ = admin
                .execute(sqlx::AssertSqlSafe(format!(
                    "DROP SCHEMA IF EXISTS {name} CASCADE"
                )))
                .await;
        }
    }
}
