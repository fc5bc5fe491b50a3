//! Uploads and blob downloads over HTTP: members only, content-addressed,
//! sniffed, size-limited, ranged, cached, never served as HTML.

use crate::harness::{config, http, token};

fn pdf() -> Vec<u8> {
    let mut v = b"%PDF-1.4\n".to_vec();
    v.extend((0..10_000u32).map(|i| (i % 251) as u8));
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_upload_once_and_everyone_downloads_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let running = server::start(config(dir.path(), &["--max-upload-bytes", "20000"]))
        .await
        .unwrap();
    let addr = running.addr;
    let bearer = format!("Bearer {}", token("u1", "p1"));
    let auth = [("Authorization", bearer.as_str())];
    let data = pdf();

    let up = http(addr, "POST", "/api/rooms/u1/uploads", &auth, &data).await;
    assert_eq!(up.status, 201, "{}", String::from_utf8_lossy(&up.body));
    let j = up.json();
    assert_eq!(j["contentType"], "application/pdf");
    assert_eq!(j["size"], data.len());
    assert_eq!(j["new"], true);
    let url = j["url"].as_str().unwrap().to_owned();
    let again = http(addr, "POST", "/api/rooms/u1/uploads", &auth, &data).await;
    assert_eq!(
        (again.status, again.json()["new"].as_bool()),
        (201, Some(false))
    );
    assert_eq!(again.json()["sha256"], j["sha256"]);

    // Download: whole, ranges, conditional.
    let got = http(addr, "GET", &url, &[], b"").await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body, data);
    assert_eq!(got.header("content-type"), Some("application/pdf"));
    assert_eq!(
        got.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(got.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(got.header("accept-ranges"), Some("bytes"));
    let etag = got.header("etag").unwrap().to_owned();
    assert_eq!(etag, format!("\"{}\"", j["sha256"].as_str().unwrap()));
    let part = http(addr, "GET", &url, &[("Range", "bytes=5-14")], b"").await;
    assert_eq!(part.status, 206);
    assert_eq!(part.body, &data[5..15]);
    assert_eq!(
        part.header("content-range"),
        Some(format!("bytes 5-14/{}", data.len()).as_str())
    );
    let tail = http(addr, "GET", &url, &[("Range", "bytes=-3")], b"").await;
    assert_eq!(
        (tail.status, tail.body.as_slice()),
        (206, &data[data.len() - 3..])
    );
    let past = http(addr, "GET", &url, &[("Range", "bytes=999999-")], b"").await;
    assert_eq!(past.status, 416);
    let cached = http(addr, "GET", &url, &[("If-None-Match", &etag)], b"").await;
    assert_eq!((cached.status, cached.body.len()), (304, 0));

    // Refusals.
    let other = format!("Bearer {}", token("u2", "p1"));
    let r = http(
        addr,
        "POST",
        "/api/rooms/u1/uploads",
        &[("Authorization", &other)],
        &data,
    )
    .await;
    assert_eq!(r.status, 403, "a token for another room");
    let r = http(addr, "POST", "/api/rooms/u1/uploads", &[], &data).await;
    assert_eq!(r.status, 401);
    let html = b"<!doctype html><script>alert(document.cookie)</script>";
    let r = http(addr, "POST", "/api/rooms/u1/uploads", &auth, html).await;
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str()),
        (415, Some("unsupported_type"))
    );
    let svg = b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>";
    let r = http(
        addr,
        "POST",
        "/api/rooms/u1/uploads",
        &[auth[0], ("Content-Type", "application/pdf")],
        svg,
    )
    .await;
    assert_eq!(r.status, 415, "the client's Content-Type is not trusted");
    let big = [data.as_slice(), &data].concat();
    let r = http(addr, "POST", "/api/rooms/u1/uploads", &auth, &big).await;
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str()),
        (413, Some("file_too_large"))
    );
    for path in [
        "/blobs/..%2F..%2Fsecret",
        "/blobs/%2e%2e",
        &format!("/blobs/{}", "0".repeat(64)),
        "/blobs/ABC",
    ] {
        let r = http(addr, "GET", path, &[], b"").await;
        assert_eq!(r.status, 404, "{path}");
    }
    running.shutdown();
    running.wait().await.unwrap();
}
