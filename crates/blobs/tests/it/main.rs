//! `Blobs` on a local directory: content addressing, limits, sniffing,
//! ranged reads, and no leftovers from refused uploads.

use blobs::{BlobError, Blobs, Kind};
use bytes::Bytes;
use futures_util::{StreamExt, stream};

fn chunks(
    data: &[u8],
    size: usize,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Unpin {
    let parts: Vec<Result<Bytes, std::io::Error>> = data
        .chunks(size.max(1))
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    stream::iter(parts)
}

fn pdf(len: usize) -> Vec<u8> {
    let mut v = b"%PDF-1.4\n".to_vec();
    v.extend((0..len).map(|i| (i % 251) as u8));
    v
}

async fn read_all(blobs: &Blobs, sha: &str, start: u64, end: u64) -> Vec<u8> {
    let mut s = blobs.read(sha, start, end).await.expect("read");
    let mut out = Vec::new();
    while let Some(b) = s.next().await {
        out.extend_from_slice(&b.expect("bytes"));
    }
    out
}

/// Every file under `dir`, recursively.
fn files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test]
async fn stored_once_by_hash_and_read_back_in_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = Blobs::local(dir.path()).unwrap();
    let data = pdf(3 * 1024 * 1024);
    let a = blobs
        .put(chunks(&data, 7000), 10 << 20, |_| true)
        .await
        .unwrap();
    assert_eq!(a.kind, Kind::Pdf);
    assert_eq!(a.size, data.len() as u64);
    assert!(a.new);
    let expected = {
        use sha2::Digest;
        let d = sha2::Sha256::digest(&data);
        d.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    assert_eq!(a.sha256, expected);

    // Uploaded again in other chunks: same blob, nothing new written.
    let b = blobs
        .put(chunks(&data, 65536), 10 << 20, |_| true)
        .await
        .unwrap();
    assert_eq!((b.sha256.as_str(), b.new), (a.sha256.as_str(), false));
    assert_eq!(files(dir.path()).len(), 1, "{:?}", files(dir.path()));

    assert_eq!(blobs.size(&a.sha256).await.unwrap(), data.len() as u64);
    assert_eq!(read_all(&blobs, &a.sha256, 0, 5).await, b"%PDF-");
    let n = data.len() as u64;
    assert_eq!(
        read_all(&blobs, &a.sha256, n - 10, n).await,
        &data[data.len() - 10..]
    );
    assert!(matches!(
        blobs.size(&"0".repeat(64)).await,
        Err(BlobError::NotFound)
    ));
    assert!(matches!(
        blobs.size("../../etc/passwd").await,
        Err(BlobError::NotFound)
    ));
}

#[tokio::test]
async fn refused_uploads_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = Blobs::local(dir.path()).unwrap();
    let big = pdf(100_000);
    let e = blobs
        .put(chunks(&big, 4096), 50_000, |_| true)
        .await
        .unwrap_err();
    assert!(matches!(e, BlobError::TooLarge { limit: 50_000 }), "{e}");
    let html = b"<!doctype html><script>alert(1)</script>".repeat(200);
    let e = blobs
        .put(chunks(&html, 100), 1 << 20, |_| true)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "unsupported_type");
    let e = blobs
        .put(chunks(&big, 100), 1 << 20, |k| k != Kind::Pdf)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "unsupported_type");
    let e = blobs
        .put(chunks(b"", 1), 1 << 20, |_| true)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "empty_file");
    // A client that goes away mid-upload.
    let broken = stream::iter(vec![
        Ok(Bytes::from_static(b"%PDF-1.4 ")),
        Err(std::io::Error::other("connection reset")),
    ]);
    let e = blobs.put(broken, 1 << 20, |_| true).await.unwrap_err();
    assert_eq!(e.code(), "upload_interrupted");
    // A tiny file is sniffed from what there is.
    let small = blobs
        .put(chunks(b"%PDF-1.4 tiny", 3), 1 << 20, |_| true)
        .await
        .unwrap();
    assert_eq!(small.kind, Kind::Pdf);
    assert_eq!(files(dir.path()).len(), 1, "{:?}", files(dir.path()));
}
