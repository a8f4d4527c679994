//! Running the same SQL on either backend.
//!
//! Most statements are written once: both dialects accept `$1` placeholders, `ON CONFLICT`
//! and `RETURNING`, and the schemas share table and column names. The macros below expand
//! a body once per backend, so it type-checks against `SqliteConnection` and
//! `PgConnection` alike; only transaction set-up differs.

use sqlx::postgres::PgConnection;
use sqlx::sqlite::SqlitePool;
use sqlx::{Sqlite, Transaction};

use crate::{StoreError, UserId};

/// The role tenant transactions switch to on PostgreSQL (created by the migration).
pub const TENANT_ROLE: &str = "apiforge_tenant";

/// Whether a SQLite transaction will write: SQLite then takes the write lock up front
/// (`BEGIN IMMEDIATE`), so a read-then-write transaction never fails on lock upgrade.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mode {
    Read,
    Write,
}

pub(crate) async fn begin_sqlite(
    pool: &SqlitePool,
    mode: Mode,
) -> Result<Transaction<'static, Sqlite>, StoreError> {
    Ok(match mode {
        Mode::Read => pool.begin().await?,
        Mode::Write => pool.begin_with("BEGIN IMMEDIATE").await?,
    })
}

/// Makes the rest of a PostgreSQL transaction run as the tenant role for `user`, so the
/// row-level-security policies apply. Both settings end with the transaction.
pub(crate) async fn enter_tenant(conn: &mut PgConnection, user: &UserId) -> Result<(), StoreError> {
    sqlx::query(
        "SELECT set_config('role', 'apiforge_tenant', true), \
                set_config('apiforge.user_id', $1, true)",
    )
    .bind(user.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// `transaction!(db, Mode, tenant, |conn| body)`: runs `body` in a transaction of `db`
/// with `conn: &mut <Backend>Connection`. The body is an async block's: `?` and
/// `return Err(..)` end it, and the transaction then rolls back at once (not whenever the
/// pool next touches the connection); otherwise it commits. `tenant: Option<&UserId>`
/// switches PostgreSQL to the tenant role for that user (SQLite relies on the query's own
/// membership filter).
macro_rules! transaction {
    ($db:expr, $mode:ident, $tenant:expr, |$conn:ident| $body:expr) => {
        match $db {
            $crate::Db::Sqlite(pool) => {
                let mut tx = $crate::sql::begin_sqlite(pool, $crate::sql::Mode::$mode).await?;
                let $conn: &mut ::sqlx::SqliteConnection = &mut *tx;
                let result: Result<_, $crate::StoreError> = async { Ok($body) }.await;
                $crate::sql::finish(tx, result).await?
            }
            $crate::Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let tenant: Option<&$crate::UserId> = $tenant;
                if let Some(user) = tenant {
                    $crate::sql::enter_tenant(&mut tx, user).await?;
                }
                let $conn: &mut ::sqlx::PgConnection = &mut *tx;
                let result: Result<_, $crate::StoreError> = async { Ok($body) }.await;
                $crate::sql::finish(tx, result).await?
            }
        }
    };
}

/// Commits after a body that succeeded, rolls back after one that failed.
pub(crate) async fn finish<DB: sqlx::Database, T>(
    tx: Transaction<'static, DB>,
    result: Result<T, StoreError>,
) -> Result<T, StoreError> {
    match result {
        Ok(value) => {
            tx.commit().await?;
            Ok(value)
        }
        Err(error) => {
            // The error is what matters; a failed rollback means the connection is gone,
            // which ends the transaction too.
            let _ = tx.rollback().await;
            Err(error)
        }
    }
}

/// `on_pool!(db, |pool| body)`: runs `body` with the pool of either backend (one
/// statement, no transaction needed).
macro_rules! on_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::Db::Sqlite($pool) => $body,
            $crate::Db::Postgres($pool) => $body,
        }
    };
}

pub(crate) use {on_pool, transaction};

/// A stored text value that must be one of a closed set.
pub(crate) fn unknown(column: &'static str, value: &str) -> StoreError {
    StoreError::UnknownValue {
        column,
        value: value.to_owned(),
    }
}

/// A Rust enum stored as one of a closed set of lower-case words (CHECK constraints in
/// both schemas): `as_str`, `parse`, `Display`, and `TryFrom<String>` for `FromRow`.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $name:ident in $column:literal {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stored (and wire) word.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// The value a word names, if any.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::StoreError;

            fn try_from(text: String) -> Result<Self, Self::Error> {
                $name::parse(&text).ok_or_else(|| $crate::sql::unknown($column, &text))
            }
        }
    };
}

pub(crate) use text_enum;
