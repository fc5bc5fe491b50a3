//! Errors a client can cause, each mapped to the stable code it is sent
//! with. ShareDB's own codes are used where one exists, so the unmodified
//! client reacts to them as it would against ShareDB.

use serde_json::{Value, json};

/// Why a request was refused.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// Not JSON, not an object, unknown action, fields of the wrong type.
    #[error("{0}")]
    BadMessage(String),
    /// The token's room does not cover this document or channel.
    #[error("{0}")]
    Forbidden(String),
    /// `qs`/`qf`/`qu`: queries are not offered by this server.
    #[error("queries are not supported")]
    QueriesNotSupported,
    /// An edit or delete on a document that does not exist.
    #[error("document does not exist")]
    DocDoesNotExist,
    /// A create on a document that exists (or was created concurrently).
    #[error("document already exists")]
    DocAlreadyCreated,
    /// An edit concurrent with the document's deletion.
    #[error("document was deleted")]
    DocWasDeleted,
    /// A create with a type other than json0.
    #[error("unknown type {0:?}; only json0 is supported")]
    TypeNotRecognized(String),
    /// The op is not a well-formed json0 op.
    #[error("badly formed op: {0}")]
    OpBadlyFormed(String),
    /// The op does not apply to the document.
    #[error("op not applied: {0} ({1})")]
    OpNotApplied(String, &'static str),
    /// The op claims a version the document has not reached.
    #[error("op version {0} is newer than the document (version {1})")]
    VersionNewer(u64, u64),
    /// The message is larger than the configured limit.
    #[error("message of {0} bytes exceeds the limit of {1}")]
    MessageTooLarge(usize, usize),
    /// The op has more components than the configured limit.
    #[error("op has {0} components; the limit is {1}")]
    OpTooLarge(usize, usize),
    /// The document would exceed the configured size.
    #[error("document would be {0} bytes; the limit is {1}")]
    DocumentTooLarge(usize, usize),
    /// The document would break its element schema (see the `elements`
    /// crate).
    #[error("the document would be invalid: {0}")]
    SchemaViolation(String),
    /// The connection submits ops faster than its token bucket allows.
    #[error("too many ops per second")]
    RateLimited,
    /// The connection subscribes to more documents than allowed.
    #[error("at most {0} subscriptions per connection")]
    TooManySubscriptions(usize),
    /// The server could not make the op durable; it was not committed.
    #[error("the server could not commit the op; retry")]
    CommitFailed,
    /// The server is shutting down or overloaded.
    #[error("the server is unavailable; retry")]
    Unavailable,
}

impl SyncError {
    /// The code sent to the client.
    pub fn code(&self) -> &'static str {
        match self {
            SyncError::BadMessage(_) => "ERR_MESSAGE_BADLY_FORMED",
            SyncError::Forbidden(_) => "ERR_FORBIDDEN",
            SyncError::QueriesNotSupported => "ERR_QUERIES_NOT_SUPPORTED",
            SyncError::DocDoesNotExist => "ERR_DOC_DOES_NOT_EXIST",
            SyncError::DocAlreadyCreated => "ERR_DOC_ALREADY_CREATED",
            SyncError::DocWasDeleted => "ERR_DOC_WAS_DELETED",
            SyncError::TypeNotRecognized(_) => "ERR_DOC_TYPE_NOT_RECOGNIZED",
            SyncError::OpBadlyFormed(_) => "ERR_OT_OP_BADLY_FORMED",
            SyncError::OpNotApplied(..) => "ERR_OT_OP_NOT_APPLIED",
            SyncError::VersionNewer(..) => "ERR_OP_VERSION_NEWER_THAN_CURRENT_SNAPSHOT",
            SyncError::MessageTooLarge(..) => "ERR_MESSAGE_TOO_LARGE",
            SyncError::OpTooLarge(..) => "ERR_OP_TOO_LARGE",
            SyncError::DocumentTooLarge(..) => "ERR_DOCUMENT_TOO_LARGE",
            SyncError::SchemaViolation(_) => "ERR_SCHEMA_VIOLATION",
            SyncError::RateLimited => "ERR_RATE_LIMITED",
            SyncError::TooManySubscriptions(_) => "ERR_TOO_MANY_SUBSCRIPTIONS",
            SyncError::CommitFailed => "ERR_COMMIT_FAILED",
            SyncError::Unavailable => "ERR_SERVER_UNAVAILABLE",
        }
    }

    /// `{code, message}` as sent on the wire.
    pub fn to_value(&self) -> Value {
        json!({ "code": self.code(), "message": self.to_string() })
    }

    pub(crate) fn from_ot(e: ot::OtError) -> SyncError {
        SyncError::OpNotApplied(e.to_string(), e.code())
    }
}
