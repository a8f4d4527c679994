//! The connection pool of either backend, opened from a URL and migrated.

use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::StoreError;

/// Which database engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite: one file in the data directory (WAL mode); one machine.
    Sqlite,
    /// PostgreSQL with row-level security; any number of servers and workers.
    Postgres,
}

/// A migrated connection pool. Cloning is cheap (the pools are reference-counted).
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The SQLite file inside a data directory.
pub const SQLITE_FILE: &str = "apiforge.db";

impl Db {
    /// Opens `url` (`postgres://…`, `postgresql://…`, `sqlite://PATH` or a plain file path)
    /// and applies pending migrations.
    pub async fn open(url: &str) -> Result<Db, StoreError> {
        let db = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url).map_err(|_| StoreError::BadUrl {
                url: url.to_owned(),
            })?;
            Db::open_postgres(options).await?
        } else {
            let path = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
                .unwrap_or(url);
            if path.is_empty() || url.contains("://") && !url.starts_with("sqlite://") {
                return Err(StoreError::BadUrl {
                    url: url.to_owned(),
                });
            }
            Db::open_sqlite(Path::new(path)).await?
        };
        db.migrate().await?;
        Ok(db)
    }

    /// Opens (creating it if needed) the SQLite database of a data directory.
    pub async fn open_data_dir(data_dir: &Path) -> Result<Db, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::DataDir {
            path: data_dir.display().to_string(),
            source,
        })?;
        let db = Db::open_sqlite(&data_dir.join(SQLITE_FILE)).await?;
        db.migrate().await?;
        Ok(db)
    }

    async fn open_sqlite(path: &Path) -> Result<Db, StoreError> {
        // WAL lets readers run beside the one writer; a busy timeout makes writers of
        // several processes (serve + worker) wait for each other instead of failing.
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Connect {
                target: path.display().to_string(),
                source,
            })?;
        Ok(Db::Sqlite(pool))
    }

    /// Opens a PostgreSQL pool with the given options (tests point the search path at a
    /// fresh schema this way).
    pub async fn open_postgres(options: PgConnectOptions) -> Result<Db, StoreError> {
        let target = format!(
            "postgres {}:{}/{}",
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or("")
        );
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Connect { target, source })?;
        Ok(Db::Postgres(pool))
    }

    /// Applies the pending migrations of this backend.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await?,
            Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// Which engine this pool talks to.
    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// One round trip to the database (health checks).
    pub async fn ping(&self) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(pool) => {
                sqlx::query("SELECT 1").execute(pool).await?;
            }
            Db::Postgres(pool) => {
                sqlx::query("SELECT 1").execute(pool).await?;
            }
        }
        Ok(())
    }

    /// Closes every connection (graceful shutdown).
    pub async fn close(&self) {
        match self {
            Db::Sqlite(pool) => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

/// Milliseconds since the Unix epoch: the one time representation in both schemas.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
