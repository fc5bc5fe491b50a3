//! What to run, checked before anything connects. Only loopback addresses
//! are accepted: this tool opens thousands of connections and must not be
//! pointed at someone else's server.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use tokio_tungstenite::tungstenite::http::Uri;

/// The collection every simulated client's document lives in.
pub const COLLECTION: &str = "scratch";

/// Longest run accepted; timestamps are `u32` microseconds since the start.
const MAX_RUN: Duration = Duration::from_secs(3600);

/// Most simulated clients accepted.
pub const MAX_CLIENTS: usize = 100_000;

/// Most event-loop threads accepted.
pub const MAX_THREADS: usize = 64;

/// A run of the load generator.
#[derive(Debug, Clone)]
pub struct Config {
    /// WebSocket URL, e.g. `ws://127.0.0.1:8080/ws`.
    pub url: String,
    /// Base URL of the HTTP API; when set, each client joins its room first
    /// and connects with `?token=…`.
    pub join_url: Option<String>,
    /// Simulated clients.
    pub clients: usize,
    /// Documents (rooms); client `i` edits document `i % docs`.
    pub docs: usize,
    /// Ops per second per client; 0 submits the next op as soon as the
    /// previous one is acknowledged.
    pub rate: f64,
    /// Length of the measured window.
    pub duration: Duration,
    /// Load applied before the measured window, not counted.
    pub warmup: Duration,
    /// Connect, handshake and subscribe only; submit nothing.
    pub idle: bool,
    /// Process whose memory and CPU time are reported.
    pub server_pid: Option<u32>,
    /// Clients setting up (join, connect, subscribe) at the same time.
    pub connect_concurrency: usize,
    /// How long all clients together may take to set up.
    pub setup_timeout: Duration,
    /// How long to keep listening for acks and broadcasts after the window.
    pub drain: Duration,
    /// Single-threaded event loops the clients are spread over (one per
    /// thread); the caller's runtime is the first.
    pub threads: usize,
}

impl Config {
    /// A configuration with the CLI's defaults for `url`.
    pub fn new(url: impl Into<String>) -> Config {
        Config {
            url: url.into(),
            join_url: None,
            clients: 10,
            docs: 1,
            rate: 0.0,
            duration: Duration::from_secs(10),
            warmup: Duration::ZERO,
            idle: false,
            server_pid: None,
            connect_concurrency: 200,
            setup_timeout: Duration::from_secs(60),
            drain: Duration::from_secs(2),
            threads: 1,
        }
    }

    /// Checks the numbers and resolves the URLs to loopback endpoints.
    pub fn validate(&self) -> anyhow::Result<Targets> {
        ensure!(
            (1..=MAX_CLIENTS).contains(&self.clients),
            "--clients must be between 1 and {MAX_CLIENTS}"
        );
        ensure!(
            (1..=self.clients).contains(&self.docs),
            "--docs must be between 1 and --clients"
        );
        ensure!(
            self.rate.is_finite() && (0.0..=10_000.0).contains(&self.rate),
            "--rate must be in 0..=10000"
        );
        ensure!(
            (1..=MAX_THREADS).contains(&self.threads),
            "--threads must be between 1 and {MAX_THREADS}"
        );
        ensure!(
            self.connect_concurrency >= 1,
            "--connect-concurrency must be at least 1"
        );
        let total = self.setup_timeout + self.warmup + self.duration + self.drain;
        ensure!(!self.duration.is_zero(), "--duration must be positive");
        ensure!(
            total <= MAX_RUN,
            "setup timeout + warmup + duration + drain must stay under an hour"
        );
        let ws =
            Endpoint::parse(&self.url, &["ws"]).with_context(|| format!("--url {}", self.url))?;
        let join = match &self.join_url {
            Some(url) => {
                Some(Endpoint::parse(url, &["http"]).with_context(|| format!("--join-url {url}"))?)
            }
            None => None,
        };
        Ok(Targets { ws, join })
    }
}

/// The resolved endpoints of a run.
#[derive(Debug, Clone)]
pub struct Targets {
    /// The WebSocket endpoint.
    pub ws: Endpoint,
    /// The HTTP API, if joining.
    pub join: Option<Endpoint>,
}

/// A loopback URL taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The URL as given.
    pub url: String,
    /// Where to connect.
    pub addr: SocketAddr,
    /// The `Host` header value.
    pub authority: String,
    /// Path and query, at least `/`.
    pub path_and_query: String,
}

impl Endpoint {
    /// Parses `url`, whose scheme must be one of `schemes` (TLS is not
    /// supported) and whose host must be a loopback address or `localhost`.
    pub fn parse(url: &str, schemes: &[&str]) -> anyhow::Result<Endpoint> {
        let uri: Uri = url.parse().context("not a URL")?;
        let scheme = uri.scheme_str().unwrap_or_default();
        ensure!(
            schemes.contains(&scheme),
            "scheme must be {}",
            schemes.join(" or ")
        );
        let authority = uri.authority().context("URL without host")?;
        let host = authority.host();
        let ip: IpAddr = match host {
            "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
            host => host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse()
                .context("host must be an IP address or localhost")?,
        };
        if !ip.is_loopback() {
            bail!("{ip} is not a loopback address; this tool only loads servers on this machine");
        }
        let port = authority.port_u16().unwrap_or(80);
        let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let path_and_query = if path_and_query.is_empty() {
            "/".to_owned()
        } else {
            path_and_query
        };
        Ok(Endpoint {
            url: url.to_owned(),
            addr: SocketAddr::new(ip, port),
            authority: authority.as_str().to_owned(),
            path_and_query,
        })
    }

    /// This URL with `?token=…` (or `&token=…`) appended.
    pub fn with_token(&self, token: &str) -> String {
        let separator = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{separator}token={}", self.url, percent_encode(token))
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for byte in s.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_loopback_only() {
        let ws = Endpoint::parse("ws://127.0.0.1:8080/ws", &["ws"]).unwrap();
        assert_eq!(ws.addr, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(
            (ws.authority.as_str(), ws.path_and_query.as_str()),
            ("127.0.0.1:8080", "/ws")
        );
        assert!(Endpoint::parse("ws://localhost:1/ws", &["ws"]).is_ok());
        assert!(Endpoint::parse("ws://[::1]:1/ws", &["ws"]).is_ok());
        assert!(Endpoint::parse("ws://127.3.4.5:1/ws", &["ws"]).is_ok());
        assert!(Endpoint::parse("ws://10.0.0.1:8080/ws", &["ws"]).is_err());
        assert!(Endpoint::parse("ws://example.com/ws", &["ws"]).is_err());
        assert!(Endpoint::parse("wss://127.0.0.1/ws", &["ws"]).is_err());
        assert_eq!(
            Endpoint::parse("http://127.0.0.1:9", &["http"])
                .unwrap()
                .path_and_query,
            "/"
        );
    }

    #[test]
    fn appends_tokens() {
        let ws = Endpoint::parse("ws://127.0.0.1:8080/ws", &["ws"]).unwrap();
        assert_eq!(
            ws.with_token("a.b-c_d"),
            "ws://127.0.0.1:8080/ws?token=a.b-c_d"
        );
        let ws = Endpoint::parse("ws://127.0.0.1:8080/ws?x=1", &["ws"]).unwrap();
        assert_eq!(
            ws.with_token("a b+/"),
            "ws://127.0.0.1:8080/ws?x=1&token=a%20b%2B%2F"
        );
    }

    #[test]
    fn validates_numbers() {
        let mut config = Config::new("ws://127.0.0.1:1/ws");
        assert!(config.validate().is_ok());
        config.docs = 11;
        assert!(config.validate().is_err());
        config.docs = 1;
        config.rate = f64::NAN;
        assert!(config.validate().is_err());
    }
}
