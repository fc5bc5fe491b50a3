//! The browser client: `web/dist` (built by `build.rs`) embedded in the
//! binary and served with strict security headers.
//!
//! - `GET /assets/*`: Vite's content-hashed files, cached for a year.
//! - any other `GET` outside the server's own prefixes (`/api`, `/ws`,
//!   `/healthz`, `/readyz`, `/blobs`): a file at the top of `dist`
//!   (`/favicon.svg`) or else `index.html`, the single page that routes `/`
//!   and `/r/{room}` itself; revalidated on every load (`no-cache`, ETag) so
//!   a new release is picked up at once.
//!
//! Every response from here carries the Content-Security-Policy: scripts,
//! styles, media and sockets only from this origin (plus YouTube's IFrame
//! API for video elements, and images from the map tile server), no
//! framing of the page, no plugins.

use std::borrow::Cow;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_embed::Embed;

use crate::AppState;
use crate::config::ServeConfig;

#[derive(Embed)]
#[folder = "../../web/dist"]
struct Dist;

/// The page's Content-Security-Policy for `config`: everything from this
/// origin; images also from the map tile server; the YouTube IFrame API's
/// script and player frames for video elements. Inline styles stay allowed
/// (Preact sets `style` attributes); inline scripts do not.
pub fn csp(config: &ServeConfig) -> anyhow::Result<String> {
    let tiles = tile_origin(&config.map_tiles)?;
    Ok(format!(
        "default-src 'self'; script-src 'self' {YOUTUBE}; style-src 'self' 'unsafe-inline'; \
img-src 'self' data: blob: {tiles}; media-src 'self' blob:; connect-src 'self' ws: wss:; \
frame-src {YOUTUBE} https://www.youtube-nocookie.com; \
frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ))
}

const YOUTUBE: &str = "https://www.youtube.com";

/// The CSP source for a tile URL template: its scheme, host and port, with
/// a `{s}` subdomain placeholder as a wildcard. Refuses what is not an
/// http(s) template with `{z}`, `{x}` and `{y}`, or what could widen the
/// policy (spaces, semicolons, quotes).
pub fn tile_origin(template: &str) -> anyhow::Result<String> {
    let bad = |why: &str| anyhow::anyhow!("--map-tiles {template:?}: {why}");
    for p in ["{z}", "{x}", "{y}"] {
        if !template.contains(p) {
            return Err(bad(&format!("needs {p}")));
        }
    }
    let (scheme, rest) = template
        .split_once("://")
        .filter(|(s, _)| *s == "https" || *s == "http")
        .ok_or_else(|| bad("must be an http:// or https:// URL"))?;
    let host = rest.split('/').next().unwrap_or_default();
    let host = host.replace("{s}", "*");
    let allowed =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '*' | '[' | ']');
    if host.is_empty() || !host.chars().all(allowed) {
        return Err(bad("has no valid host"));
    }
    Ok(format!("{scheme}://{host}"))
}

/// Hashed file names never change content.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Everything else is revalidated (cheaply, by ETag) on each load.
const NO_CACHE: &str = "no-cache";

/// Path prefixes that belong to the server, never to the page.
const RESERVED: [&str; 5] = ["/api", "/ws", "/healthz", "/readyz", "/blobs"];

/// The web client's routes: `/assets/*` and a fallback for the page.
/// Every response of these routes carries the policy `csp`.
pub fn routes(csp: HeaderValue) -> Router<AppState> {
    Router::new()
        .route("/assets/{*path}", get(asset))
        .fallback(page)
        .layer(axum::middleware::map_response(move |mut res: Response| {
            let csp = csp.clone();
            async move {
                res.headers_mut()
                    .insert(header::CONTENT_SECURITY_POLICY, csp);
                res
            }
        }))
}

fn reserved(path: &str) -> bool {
    RESERVED.iter().any(|p| {
        path.strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    file(&format!("assets/{path}"), IMMUTABLE, &headers).unwrap_or_else(not_found)
}

async fn page(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path();
    if reserved(path) {
        return not_found();
    }
    if method != Method::GET && method != Method::HEAD {
        let mut res = secured(StatusCode::METHOD_NOT_ALLOWED.into_response());
        res.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return res;
    }
    let name = path.trim_start_matches('/');
    // Top-level files (favicon.svg); `assets/` only through its own route,
    // so a missing hashed file is a 404 rather than the page.
    let top_level = !name.is_empty() && !name.contains('/') && name != "index.html";
    let res = top_level
        .then(|| file(name, NO_CACHE, &headers))
        .flatten()
        .or_else(|| file("index.html", NO_CACHE, &headers))
        .unwrap_or_else(|| {
            // Only if the binary was built without the client.
            let mut res = (StatusCode::NOT_FOUND, "the web client is not built").into_response();
            *res.headers_mut() = security_headers();
            res
        });
    if method == Method::HEAD {
        let (parts, _) = res.into_parts();
        return Response::from_parts(parts, Body::empty());
    }
    res
}

/// The embedded file `name`, or 304 when the client's copy is current.
fn file(name: &str, cache: &'static str, req: &HeaderMap) -> Option<Response> {
    let f = Dist::get(name)?;
    let etag = format!("\"{}\"", hex(&f.metadata.sha256_hash()[..16]));
    let mut headers = security_headers();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, v);
    }
    let fresh = req
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if fresh {
        let mut res = StatusCode::NOT_MODIFIED.into_response();
        *res.headers_mut() = headers;
        return Some(res);
    }
    let mime = f.metadata.mimetype();
    let content_type = if mime.starts_with("text/") || mime == "application/javascript" {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    };
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    let body = match f.data {
        Cow::Borrowed(b) => Bytes::from_static(b),
        Cow::Owned(v) => Bytes::from(v),
    };
    let mut res = Response::new(Body::from(body));
    *res.headers_mut() = headers;
    Some(res)
}

fn not_found() -> Response {
    secured(StatusCode::NOT_FOUND.into_response())
}

fn secured(mut res: Response) -> Response {
    res.headers_mut().extend(security_headers());
    res
}

fn security_headers() -> HeaderMap {
    // The Content-Security-Policy is added by the layer in `routes`.
    let mut h = HeaderMap::new();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_prefixes() {
        for p in [
            "/api",
            "/api/rooms/x/join",
            "/ws",
            "/healthz",
            "/readyz",
            "/blobs/1",
        ] {
            assert!(reserved(p), "{p}");
        }
        for p in ["/", "/r/room", "/apiary", "/wsx", "/assets/a.js"] {
            assert!(!reserved(p), "{p}");
        }
    }

    #[test]
    fn tile_origins() {
        for (t, origin) in [
            (
                "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                "https://tile.openstreetmap.org",
            ),
            (
                "https://{s}.tile.example.org/{z}/{x}/{y}@2x.png",
                "https://*.tile.example.org",
            ),
            (
                "http://127.0.0.1:8099/tiles/{z}/{x}/{y}.png",
                "http://127.0.0.1:8099",
            ),
        ] {
            assert_eq!(tile_origin(t).unwrap(), origin, "{t}");
        }
        for t in [
            "https://tile.example.org/tiles.png",
            "ftp://tile.example.org/{z}/{x}/{y}.png",
            "https://a.org; script-src *;/{z}/{x}/{y}",
            "https://a.org 'unsafe-inline'/{z}/{x}/{y}",
            "tile.example.org/{z}/{x}/{y}.png",
            "https:///{z}/{x}/{y}.png",
        ] {
            assert!(tile_origin(t).is_err(), "{t}");
        }
    }

    #[test]
    fn the_client_is_embedded() {
        let index = Dist::get("index.html").expect("web/dist/index.html is embedded");
        let text = String::from_utf8_lossy(&index.data);
        assert!(text.contains("/assets/"), "{text}");
    }
}
