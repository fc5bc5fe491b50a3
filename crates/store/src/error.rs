//! [`StoreError`], the one error type of this crate.

use std::sync::Arc;

/// Why a [`Store`](crate::Store) call failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// An operation with the same (collection, doc_id, v) is already stored;
    /// the caller lost a race and must catch up before resubmitting.
    #[error("an operation with this version is already stored")]
    VersionTaken,
    /// The database refused or failed. The error is shared because one failed
    /// commit answers every append of its batch.
    #[error("database error: {0}")]
    Database(#[source] Arc<sqlx::Error>),
    /// [`Store::close`](crate::Store::close) ran, or the writer task is gone.
    #[error("the store is closed")]
    Closed,
    /// The URL given to [`Store::open`](crate::Store::open) is not a
    /// `sqlite://` or `postgres://` URL sqlx accepts.
    #[error("invalid store URL: {0}")]
    InvalidUrl(String),
    /// An argument that no backend could store the same way: a NUL character
    /// in a name (PostgreSQL rejects it in `TEXT`) or a number above `i64::MAX`.
    #[error("invalid input: {0}")]
    InvalidInput(&'static str),
    /// A stored row does not decode: a negative version or a malformed body.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// The schema could not be brought up to date.
    #[error("schema migration failed: {0}")]
    Migration(String),
    /// The directory of a SQLite database could not be created.
    #[error("cannot create the database directory: {0}")]
    Io(#[source] Arc<std::io::Error>),
}

impl StoreError {
    /// A stable, short code for logs and metrics; never contains details.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::VersionTaken => "version_taken",
            StoreError::Database(_) => "database",
            StoreError::Closed => "closed",
            StoreError::InvalidUrl(_) => "invalid_url",
            StoreError::InvalidInput(_) => "invalid_input",
            StoreError::Corrupt(_) => "corrupt",
            StoreError::Migration(_) => "migration",
            StoreError::Io(_) => "io",
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::PoolClosed => StoreError::Closed,
            other => StoreError::Database(Arc::new(other)),
        }
    }
}

impl From<std::io::Error> for StoreError {
    fn from(error: std::io::Error) -> Self {
        StoreError::Io(Arc::new(error))
    }
}
