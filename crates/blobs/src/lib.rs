//! Content-addressed blob storage for uploads: each upload is streamed to
//! the backend (never held whole in memory), hashed with SHA-256 on the way,
//! checked against a size limit and sniffed for its type from its first
//! bytes, and kept once under its hash however often it is uploaded.
//!
//! # Map
//! - `lib.rs`: [`Blobs`], the store over any `object_store` backend (a local
//!   directory by default, S3-compatible when configured).
//! - [`sniff`]: accepted kinds, told by their bytes.
//! - [`range`]: `Range` request headers.
//! - `error`: [`BlobError`] and its client codes.
//!
//! # Invariants
//! - A blob's key is the SHA-256 of its bytes: `sha256/<64 hex digits>`, so
//!   no client input ever names a storage path.
//! - An upload is visible under its key only once complete; a failed or
//!   refused one leaves nothing behind but a temporary object that is
//!   deleted.
//! - Memory per upload is bounded by the multipart chunk size.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
pub mod range;
pub mod sniff;

use std::sync::Arc;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, WriteMultipart};
use sha2::{Digest, Sha256};

pub use error::BlobError;
pub use sniff::Kind;

/// Bytes buffered per multipart part before it is sent to the backend.
const PART_BYTES: usize = 5 * 1024 * 1024;
/// Parts in flight to the backend per upload.
const PARTS_IN_FLIGHT: usize = 2;

/// A stored blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    /// SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// What it is.
    pub kind: Kind,
    /// False if identical bytes were already stored (nothing was written).
    pub new: bool,
}

/// A byte stream of (part of) a blob.
pub type ByteStream =
    std::pin::Pin<Box<dyn Stream<Item = Result<Bytes, object_store::Error>> + Send>>;

/// Blob storage over an `object_store` backend.
#[derive(Debug, Clone)]
pub struct Blobs {
    backend: Arc<dyn ObjectStore>,
    /// Kinds already sniffed, so that serving a blob (every range request
    /// of a video seek) does not read its first bytes again. Blobs never
    /// change, so entries never go stale; the map is emptied when full.
    kinds: Arc<std::sync::Mutex<std::collections::HashMap<String, Kind>>>,
}

/// Kinds remembered before the cache starts over.
const KIND_CACHE: usize = 10_000;

/// True for 64 lowercase hex digits: the only accepted blob name.
pub fn valid_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn key(sha256: &str) -> Path {
    Path::from(format!("sha256/{sha256}"))
}

impl Blobs {
    /// Blobs in `backend`.
    pub fn new(backend: Arc<dyn ObjectStore>) -> Blobs {
        Blobs {
            backend,
            kinds: Arc::default(),
        }
    }

    fn remember_kind(&self, sha256: &str, kind: Kind) {
        // Inserts and clears are whole: poisoning cannot leave a bad entry.
        let mut kinds = self.kinds.lock().unwrap_or_else(|p| p.into_inner());
        if kinds.len() >= KIND_CACHE {
            kinds.clear();
        }
        kinds.insert(sha256.to_owned(), kind);
    }

    /// The kind of a stored blob of `size` bytes, told by its first bytes as
    /// at upload (`None`: not an accepted kind).
    pub async fn kind(&self, sha256: &str, size: u64) -> Result<Option<Kind>, BlobError> {
        let known = self
            .kinds
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(sha256)
            .copied();
        if known.is_some() {
            return Ok(known);
        }
        let mut head = Vec::with_capacity(sniff::SNIFF_BYTES);
        let mut stream = self
            .read(sha256, 0, size.min(sniff::SNIFF_BYTES as u64))
            .await?;
        while let Some(bytes) = stream.next().await {
            head.extend_from_slice(&bytes?);
        }
        let kind = sniff::sniff(&head);
        if let Some(kind) = kind {
            self.remember_kind(sha256, kind);
        }
        Ok(kind)
    }

    /// Blobs in a local directory (created if missing).
    pub fn local(dir: &std::path::Path) -> Result<Blobs, BlobError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            BlobError::Storage(object_store::Error::Generic {
                store: "local",
                source: Box::new(e),
            })
        })?;
        let fs = object_store::local::LocalFileSystem::new_with_prefix(dir)?;
        Ok(Blobs::new(Arc::new(fs)))
    }

    /// Blobs in an S3-compatible bucket, `s3://bucket/optional/prefix`, with
    /// credentials, region and endpoint from the standard `AWS_*`
    /// environment variables (`AWS_ENDPOINT` for MinIO, Garage, R2…).
    pub fn s3(url: &str) -> Result<Blobs, BlobError> {
        let s3 = object_store::aws::AmazonS3Builder::from_env()
            .with_url(url)
            .build()?;
        let prefix = url
            .strip_prefix("s3://")
            .and_then(|rest| rest.split_once('/'))
            .map(|(_, p)| p.trim_matches('/'))
            .unwrap_or_default();
        if prefix.is_empty() {
            Ok(Blobs::new(Arc::new(s3)))
        } else {
            let prefixed = object_store::prefix::PrefixStore::new(s3, prefix);
            Ok(Blobs::new(Arc::new(prefixed)))
        }
    }

    /// Stores the bytes of `body`, refusing more than `limit` bytes or a
    /// kind that is not accepted (`allowed` decides among [`Kind`]s).
    pub async fn put<S, E>(
        &self,
        mut body: S,
        limit: u64,
        allowed: impl Fn(Kind) -> bool,
    ) -> Result<StoredBlob, BlobError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let temp = Path::from(format!("tmp/{:032x}", rand::random::<u128>()));
        let upload = self.backend.put_multipart(&temp).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        let mut head = Vec::with_capacity(sniff::SNIFF_BYTES);
        let mut kind = None;
        let result: Result<(), BlobError> = async {
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(|e| BlobError::Interrupted(e.to_string()))?;
                size += chunk.len() as u64;
                if size > limit {
                    return Err(BlobError::TooLarge { limit });
                }
                if kind.is_none() {
                    let want = sniff::SNIFF_BYTES - head.len();
                    head.extend_from_slice(&chunk[..want.min(chunk.len())]);
                    if head.len() == sniff::SNIFF_BYTES {
                        kind = Some(accepted(&head, &allowed)?);
                    }
                }
                hasher.update(&chunk);
                writer.wait_for_capacity(PARTS_IN_FLIGHT).await?;
                writer.put(chunk);
            }
            if size == 0 {
                return Err(BlobError::Empty);
            }
            if kind.is_none() {
                kind = Some(accepted(&head, &allowed)?);
            }
            Ok(())
        }
        .await;
        if let Err(e) = result {
            // Best effort: the temporary object is unreachable anyway.
            let _ = writer.abort().await;
            let _ = self.backend.delete(&temp).await;
            return Err(e);
        }
        writer.finish().await?;
        let sha256 = hex(&hasher.finalize());
        let kind = kind.ok_or(BlobError::UnsupportedType)?;
        let target = key(&sha256);
        // Identical bytes stored before: keep those. Two identical uploads
        // racing both rename onto the same key with the same bytes, which is
        // harmless.
        let new = match self.backend.head(&target).await {
            Ok(_) => {
                let _ = self.backend.delete(&temp).await;
                false
            }
            Err(object_store::Error::NotFound { .. }) => {
                self.backend.rename(&temp, &target).await?;
                true
            }
            Err(e) => {
                let _ = self.backend.delete(&temp).await;
                return Err(e.into());
            }
        };
        self.remember_kind(&sha256, kind);
        Ok(StoredBlob {
            sha256,
            size,
            kind,
            new,
        })
    }

    /// The size of a stored blob.
    pub async fn size(&self, sha256: &str) -> Result<u64, BlobError> {
        if !valid_sha256(sha256) {
            return Err(BlobError::NotFound);
        }
        match self.backend.head(&key(sha256)).await {
            Ok(meta) => Ok(meta.size),
            Err(object_store::Error::NotFound { .. }) => Err(BlobError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// Bytes `start..end` of a blob, streamed.
    pub async fn read(&self, sha256: &str, start: u64, end: u64) -> Result<ByteStream, BlobError> {
        if !valid_sha256(sha256) {
            return Err(BlobError::NotFound);
        }
        let options = GetOptions {
            range: Some(GetRange::Bounded(start..end)),
            ..GetOptions::default()
        };
        match self.backend.get_opts(&key(sha256), options).await {
            Ok(got) => Ok(got.into_stream()),
            Err(object_store::Error::NotFound { .. }) => Err(BlobError::NotFound),
            Err(e) => Err(e.into()),
        }
    }
}

fn accepted(head: &[u8], allowed: &impl Fn(Kind) -> bool) -> Result<Kind, BlobError> {
    match sniff::sniff(head) {
        Some(kind) if allowed(kind) => Ok(kind),
        _ => Err(BlobError::UnsupportedType),
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
