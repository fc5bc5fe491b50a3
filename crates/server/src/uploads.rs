//! Uploads and downloads of content: `POST /api/rooms/{room}/uploads`
//! streams a room member's file into the blob store (content-addressed, size
//! limit, type sniffed); `GET /blobs/{sha256}` serves it to anyone holding
//! the hash, with ranges for video seeking and immutable caching.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use blobs::range::{RangeAnswer, answer};
use blobs::{BlobError, Kind};
use serde_json::json;

use crate::AppState;
use crate::rooms::error;

/// `POST /api/rooms/{room}/uploads` with `Authorization: Bearer <token>`
/// for that room and the file as the raw body.
pub async fn upload(
    State(state): State<AppState>,
    Path(room): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let Some(token) = token else {
        return error(
            StatusCode::UNAUTHORIZED,
            "token_required",
            "send Authorization: Bearer <token>",
        );
    };
    let claims = match state.tokens.verify(token) {
        Ok(c) => c,
        Err(e) => return error(StatusCode::UNAUTHORIZED, "invalid_token", e.to_string()),
    };
    if claims.room != room || state.rooms.is_removed(&room, &claims.sub).await {
        return error(
            StatusCode::FORBIDDEN,
            "forbidden",
            "this token is not for this room",
        );
    }
    let limit = state.config.max_upload_bytes;
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > limit
    {
        let e = BlobError::TooLarge { limit };
        return error(StatusCode::PAYLOAD_TOO_LARGE, e.code(), e.to_string());
    }
    let stream = body.into_data_stream();
    match state.blobs.put(stream, limit, |_| true).await {
        Ok(blob) => {
            // Office documents are shown as PDFs: convert in the background.
            let conversion = blob.kind.is_office().then(|| {
                let job = state.converter.start(&blob.sha256, blob.kind);
                let mut j = job.to_json(&blob.sha256);
                j["url"] = json!(format!("/api/conversions/{}", blob.sha256));
                j
            });
            tracing::info!(room = %room, sha256 = %blob.sha256, size = blob.size, new = blob.new, "upload stored");
            (
                StatusCode::CREATED,
                Json(json!({
                    "sha256": blob.sha256,
                    "size": blob.size,
                    "contentType": blob.kind.content_type(),
                    "url": format!("/blobs/{}", blob.sha256),
                    "new": blob.new,
                    "conversion": conversion,
                })),
            )
                .into_response()
        }
        Err(e) => {
            let status = match e {
                BlobError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                BlobError::UnsupportedType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                BlobError::Empty | BlobError::Interrupted(_) => StatusCode::BAD_REQUEST,
                _ => {
                    tracing::error!(error = %e, "upload failed");
                    StatusCode::INTERNAL_SERVER_ERROR
                }
            };
            error(status, e.code(), e.to_string())
        }
    }
}

/// `GET /blobs/{sha256}` (and `HEAD`).
pub async fn download(
    State(state): State<AppState>,
    Path(sha256): Path<String>,
    headers: HeaderMap,
) -> Response {
    let not_found = || error(StatusCode::NOT_FOUND, "not_found", "no such file");
    let size = match state.blobs.size(&sha256).await {
        Ok(size) => size,
        Err(BlobError::NotFound) => return not_found(),
        Err(e) => return storage_error(&e),
    };
    let etag = format!("\"{sha256}\"");
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        common_headers(response.headers_mut(), &etag, None);
        return response;
    }
    let kind = match state.blobs.kind(&sha256, size).await {
        Ok(Some(kind)) => kind,
        Ok(None) => return not_found(),
        Err(e) => return storage_error(&e),
    };
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let (status, start, end) = match answer(range, size) {
        RangeAnswer::Full => (StatusCode::OK, 0, size),
        RangeAnswer::Partial { start, end } => (StatusCode::PARTIAL_CONTENT, start, end),
        RangeAnswer::Unsatisfiable => {
            let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            common_headers(response.headers_mut(), &etag, Some(kind));
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return response;
        }
    };
    let stream = match state.blobs.read(&sha256, start, end).await {
        Ok(s) => s,
        Err(BlobError::NotFound) => return not_found(),
        Err(e) => return storage_error(&e),
    };
    let mut response = Response::new(Body::from_stream(stream));
    *response.status_mut() = status;
    let h = response.headers_mut();
    common_headers(h, &etag, Some(kind));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(end - start));
    if status == StatusCode::PARTIAL_CONTENT
        && let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{}/{size}", end - 1))
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    response
}

fn storage_error(e: &BlobError) -> Response {
    tracing::error!(error = %e, "blob read failed");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        e.code(),
        "storage failed",
    )
}

/// Headers every blob response carries: immutable caching by hash, no
/// sniffing, no scripts even if a browser were to render the bytes, and
/// office documents as downloads.
fn common_headers(h: &mut HeaderMap, etag: &str, kind: Option<Kind>) {
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    if let Some(kind) = kind {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(kind.content_type()),
        );
        h.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static(if kind.inline() {
                "inline"
            } else {
                "attachment"
            }),
        );
    }
}
