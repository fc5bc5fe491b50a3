//! Why an upload or a download failed.

/// A blob store error; [`BlobError::code`] is what clients see.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BlobError {
    /// The upload is bigger than the limit.
    #[error("the file is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The upload's bytes are not of an accepted kind.
    #[error(
        "this kind of file is not accepted (PDF, images, audio, video and office documents are)"
    )]
    UnsupportedType,
    /// The upload was empty.
    #[error("the file is empty")]
    Empty,
    /// The client's body stream failed (it went away mid-upload).
    #[error("the upload was interrupted: {0}")]
    Interrupted(String),
    /// No such blob.
    #[error("no such file")]
    NotFound,
    /// The storage backend failed.
    #[error("storage failed: {0}")]
    Storage(#[from] object_store::Error),
}

impl BlobError {
    /// The stable code for clients.
    pub fn code(&self) -> &'static str {
        match self {
            BlobError::TooLarge { .. } => "file_too_large",
            BlobError::UnsupportedType => "unsupported_type",
            BlobError::Empty => "empty_file",
            BlobError::Interrupted(_) => "upload_interrupted",
            BlobError::NotFound => "not_found",
            BlobError::Storage(_) => "storage_failed",
        }
    }
}
