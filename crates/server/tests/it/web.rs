//! The embedded web client: the page for `/` and `/r/{room}`, hashed assets,
//! and the security and cache headers on each.

use std::collections::HashMap;
use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::config;

struct Reply {
    status: u16,
    headers: HashMap<String, String>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or("")
    }
}

/// One HTTP/1.1 request on its own connection.
async fn request(addr: SocketAddr, method: &str, path: &str, extra: &str) -> Reply {
    let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let req =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{extra}\r\n");
    tcp.write_all(req.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        tcp.read_to_end(&mut raw),
    )
    .await
    .expect("a reply within 10 s")
    .expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a header block");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Reply {
        status,
        headers,
        body: body.to_string(),
    }
}

fn assert_secured(r: &Reply, what: &str) {
    let csp = r.header("content-security-policy");
    for part in [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "connect-src 'self' ws: wss:",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ] {
        assert!(csp.contains(part), "{what}: CSP {csp:?} lacks {part:?}");
    }
    assert_eq!(r.header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(r.header("referrer-policy"), "no-referrer", "{what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_the_page_and_its_assets_with_security_and_cache_headers() {
    let dir = tempfile::tempdir().unwrap();
    let running = server::start(config(dir.path(), &[])).await.unwrap();
    let addr = running.addr;

    let mut index_body = String::new();
    for path in [
        "/",
        "/r/some-room",
        "/r/brave-otter-42?iceTransportPolicy=relay",
    ] {
        let r = request(addr, "GET", path, "").await;
        assert_eq!(r.status, 200, "GET {path}");
        assert_eq!(
            r.header("content-type"),
            "text/html; charset=utf-8",
            "GET {path}"
        );
        assert_eq!(r.header("cache-control"), "no-cache", "GET {path}");
        assert!(
            r.body.contains("<div id=\"app\">"),
            "GET {path}: {}",
            r.body
        );
        assert!(!r.header("etag").is_empty(), "GET {path}: an ETag");
        assert_secured(&r, path);
        index_body = r.body;
    }

    // Revalidation by ETag.
    let first = request(addr, "GET", "/", "").await;
    let etag = first.header("etag").to_string();
    let again = request(addr, "GET", "/", &format!("If-None-Match: {etag}\r\n")).await;
    assert_eq!(again.status, 304);
    assert_secured(&again, "304");

    // Vite's hashed script, named in index.html.
    let start = index_body
        .find("/assets/")
        .expect("index.html names an asset");
    let len = index_body[start..].find('"').expect("a quoted asset path");
    let script = &index_body[start..start + len];
    assert!(script.ends_with(".js"), "{script}");
    let r = request(addr, "GET", script, "").await;
    assert_eq!(r.status, 200, "GET {script}");
    assert!(
        r.header("content-type").starts_with("text/javascript")
            || r.header("content-type")
                .starts_with("application/javascript"),
        "GET {script}: {}",
        r.header("content-type")
    );
    assert_eq!(
        r.header("cache-control"),
        "public, max-age=31536000, immutable",
        "GET {script}"
    );
    assert_secured(&r, script);

    // A missing asset is a 404, not the page.
    let r = request(addr, "GET", "/assets/missing-0000.js", "").await;
    assert_eq!(r.status, 404);
    assert_secured(&r, "missing asset");

    // The server's own paths are not the page.
    let r = request(addr, "GET", "/api/nothing", "").await;
    assert_eq!(r.status, 404);
    let r = request(addr, "GET", "/healthz", "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "ok");

    // The page answers GET and HEAD only.
    let r = request(addr, "POST", "/r/some-room", "Content-Length: 0\r\n").await;
    assert_eq!(r.status, 405);
    let r = request(addr, "HEAD", "/r/some-room", "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), "text/html; charset=utf-8");

    running.shutdown();
    running.wait().await.unwrap();
}

/// `--map-tiles` reaches the page twice: the join response hands the
/// template to the client, and the policy lets images come from its origin
/// (and nothing else is widened). A template that is no tile URL is refused
/// at start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn map_tiles_are_configured_and_allowed_by_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let tiles = "http://127.0.0.1:8099/tiles/{z}/{x}/{y}.png";
    let running = server::start(config(
        dir.path(),
        &["--map-tiles", tiles, "--map-attribution", "Test tiles"],
    ))
    .await
    .unwrap();
    let addr = running.addr;

    let r = request(addr, "GET", "/r/maps", "").await;
    assert_secured(&r, "page");
    let csp = r.header("content-security-policy");
    let img = csp
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("img-src"))
        .expect("an img-src directive");
    assert_eq!(img, "img-src 'self' data: blob: http://127.0.0.1:8099");
    assert!(
        csp.contains("frame-src https://www.youtube.com https://www.youtube-nocookie.com"),
        "{csp}"
    );

    let join = crate::harness::http(
        addr,
        "POST",
        "/api/rooms/maps/join",
        &[("Content-Type", "application/json")],
        br#"{"name":"Ana"}"#,
    )
    .await;
    assert_eq!(join.status, 200);
    let map = &join.json()["map"];
    assert_eq!(map["tiles"], tiles);
    assert_eq!(map["attribution"], "Test tiles");
    running.shutdown();
    running.wait().await.unwrap();

    let refused = server::start(config(
        dir.path(),
        &["--map-tiles", "https://a.org; script-src *;/{z}/{x}/{y}"],
    ))
    .await;
    assert!(
        refused.is_err(),
        "a template that widens the policy is refused"
    );
}
