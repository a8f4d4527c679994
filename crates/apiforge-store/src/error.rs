//! The store's one error type.

use crate::Role;

/// What went wrong talking to the database, or why the store refused.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "database URL {url:?} is not understood: use postgres://… or sqlite://PATH (or a file path)"
    )]
    BadUrl { url: String },
    #[error("cannot open the database at {target}: {source}")]
    Connect {
        target: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The thing does not exist, or the current user may not see it (the two are not
    /// told apart, so ids of other users' projects leak nothing: answer 404).
    #[error("{what} not found\nhint: check the id; it may also belong to someone else")]
    NotFound { what: &'static str },
    /// The user sees the project but lacks the role the action needs (answer 403).
    #[error("{action} needs the {needed} role on the project\nhint: ask an owner of the project")]
    Forbidden { action: &'static str, needed: Role },
    /// The thing is visible but nobody may change it through this scope (a built-in
    /// prompt: answer 403).
    #[error("{message}")]
    ReadOnly { message: String },
    /// The request contradicts the stored state (answer 409).
    #[error("{message}")]
    Conflict { message: String },
    /// A stored value is not one this version of the store knows (a newer schema?).
    #[error(
        "column {column} holds {value:?}, which this build does not know\nhint: upgrade apiforge"
    )]
    UnknownValue { column: &'static str, value: String },
}

impl StoreError {
    pub(crate) fn not_found(what: &'static str) -> Self {
        StoreError::NotFound { what }
    }

    /// Whether the database refused a write because of a unique constraint (a concurrent
    /// writer got there first).
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Sql(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}
