//! Just enough HTTP/1.1 for `POST /api/rooms/{room}/join`: one request per
//! connection (`Connection: close`), the reply read to the end, bounded in
//! size.

use anyhow::{Context, bail, ensure};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::config::{Endpoint, percent_encode};

/// Largest reply accepted.
const MAX_REPLY: u64 = 64 * 1024;

/// Joins `room` as `name` and returns the token from `{"token": …}`.
pub async fn join(api: &Endpoint, room: &str, name: &str) -> anyhow::Result<String> {
    let base = api.path_and_query.trim_end_matches('/');
    let path = format!("{base}/api/rooms/{}/join", percent_encode(room));
    let body = serde_json::json!({ "name": name }).to_string();
    let reply = post(api, &path, &body).await?;
    let json: Value = serde_json::from_slice(&reply).context("join reply is not JSON")?;
    match json.get("token").and_then(Value::as_str) {
        Some(token) => Ok(token.to_owned()),
        None => bail!("join reply has no token: {json:.200}"),
    }
}

async fn post(api: &Endpoint, path: &str, body: &str) -> anyhow::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(api.addr)
        .await
        .with_context(|| format!("connecting to {}", api.addr))?;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nAccept: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        api.authority,
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .await
        .context("sending the join request")?;
    let mut reply = Vec::new();
    (&mut stream)
        .take(MAX_REPLY + 1)
        .read_to_end(&mut reply)
        .await
        .context("reading the join reply")?;
    ensure!(
        reply.len() as u64 <= MAX_REPLY,
        "join reply larger than {MAX_REPLY} bytes"
    );
    parse_response(&reply).with_context(|| format!("POST {path}"))
}

/// The body of a complete `HTTP/1.1` response, which must be 2xx.
fn parse_response(reply: &[u8]) -> anyhow::Result<Vec<u8>> {
    let split = reply
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("incomplete HTTP response")?;
    let head = std::str::from_utf8(&reply[..split]).context("HTTP head is not UTF-8")?;
    let body = &reply[split + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("bad status line")?;
    let header = |name: &str| {
        head.split("\r\n").skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    };
    let body = if header("transfer-encoding").is_some_and(|te| te.eq_ignore_ascii_case("chunked")) {
        dechunk(body)?
    } else if let Some(length) = header("content-length") {
        let length: usize = length.parse().context("bad Content-Length")?;
        ensure!(
            body.len() >= length,
            "HTTP body shorter than its Content-Length"
        );
        body[..length].to_vec()
    } else {
        body.to_vec()
    };
    if !(200..300).contains(&status) {
        bail!(
            "{status_line}: {}",
            String::from_utf8_lossy(&body)
                .chars()
                .take(200)
                .collect::<String>()
        );
    }
    Ok(body)
}

fn dechunk(mut body: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let end = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .context("truncated chunk size")?;
        let size_line = std::str::from_utf8(&body[..end]).context("chunk size is not text")?;
        let size_hex = size_line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16).context("bad chunk size")?;
        body = &body[end + 2..];
        if size == 0 {
            return Ok(out);
        }
        ensure!(body.len() >= size + 2, "truncated chunk");
        out.extend_from_slice(&body[..size]);
        body = &body[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_chunked_replies() {
        let plain = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 13\r\n\r\n{\"token\":\"x\"}";
        assert_eq!(parse_response(plain).unwrap(), b"{\"token\":\"x\"}");
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"tok\r\n8\r\nen\":\"x\"}\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked).unwrap(), b"{\"token\":\"x\"}");
        let refused = b"HTTP/1.1 403 Forbidden\r\ncontent-length: 4\r\n\r\nnope";
        assert!(
            parse_response(refused)
                .unwrap_err()
                .to_string()
                .contains("403")
        );
        assert!(parse_response(b"HTTP/1.1 200 OK\r\n").is_err());
    }
}
