//! `tertulia serve` configuration: every setting is a flag and an
//! environment variable (`TERTULIA_…`), with a default that gives a working
//! server with no configuration at all.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

/// Settings of `tertulia serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "TERTULIA_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Directory for the SQLite database, the token secret and uploads.
    #[arg(long, env = "TERTULIA_DATA", default_value = "./tertulia-data")]
    pub data: PathBuf,
    /// Database URL; default: a SQLite file in the data directory.
    /// `postgres://…` selects PostgreSQL.
    #[arg(long, env = "TERTULIA_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Secret for signing tokens (HS256). Default: generated once and kept
    /// in `<data>/secret`.
    #[arg(long, env = "TERTULIA_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// Turn off `POST /api/rooms/{room}/join`: only tokens minted by another
    /// application with the shared secret are accepted.
    #[arg(long, env = "TERTULIA_REQUIRE_AUTH")]
    pub require_auth: bool,
    /// Lifetime of tokens minted by the join endpoint, in seconds.
    #[arg(long, env = "TERTULIA_TOKEN_TTL", default_value_t = 86_400)]
    pub token_ttl: u64,
    /// Largest WebSocket message accepted, in bytes.
    #[arg(long, env = "TERTULIA_MAX_MESSAGE_BYTES", default_value_t = 1 << 20)]
    pub max_message_bytes: usize,
    /// Largest document, as JSON, in bytes.
    #[arg(long, env = "TERTULIA_MAX_DOCUMENT_BYTES", default_value_t = 16 << 20)]
    pub max_document_bytes: usize,
    /// Most components in one op.
    #[arg(long, env = "TERTULIA_MAX_OP_COMPONENTS", default_value_t = 1000)]
    pub max_op_components: usize,
    /// Ops per second per connection (token bucket; bursts of twice this).
    #[arg(long, env = "TERTULIA_OPS_PER_SECOND", default_value_t = 200.0)]
    pub ops_per_second: f64,
    /// Documents one connection may subscribe to.
    #[arg(long, env = "TERTULIA_MAX_SUBSCRIPTIONS", default_value_t = 1000)]
    pub max_subscriptions: usize,
    /// WebSocket connections from one IP address.
    #[arg(long, env = "TERTULIA_MAX_CONNECTIONS_PER_IP", default_value_t = 256)]
    pub max_connections_per_ip: usize,
    /// Outgoing messages queued per connection before it is dropped as a
    /// slow consumer.
    #[arg(long, env = "TERTULIA_SEND_QUEUE", default_value_t = 1024)]
    pub send_queue: usize,
    /// Save a document snapshot every this many versions.
    #[arg(long, env = "TERTULIA_SNAPSHOT_EVERY", default_value_t = 100)]
    pub snapshot_every: u64,
    /// Seconds a document without subscribers stays in memory.
    #[arg(long, env = "TERTULIA_DOC_IDLE_SECS", default_value_t = 60)]
    pub doc_idle_secs: u64,
    /// Seconds graceful shutdown may take before the process exits anyway.
    #[arg(long, env = "TERTULIA_SHUTDOWN_SECS", default_value_t = 10)]
    pub shutdown_secs: u64,
}

impl ServeConfig {
    /// The sync layer's limits.
    pub fn limits(&self) -> sync::Limits {
        sync::Limits {
            max_message_bytes: self.max_message_bytes,
            max_document_bytes: self.max_document_bytes,
            max_op_components: self.max_op_components,
            ops_per_second: self.ops_per_second,
            ops_burst: (self.ops_per_second * 2.0).max(1.0),
            max_subscriptions: self.max_subscriptions,
            send_queue: self.send_queue,
            snapshot_every: self.snapshot_every.max(1),
            idle_timeout: Duration::from_secs(self.doc_idle_secs),
            ..sync::Limits::default()
        }
    }

    /// The database URL, defaulting to SQLite in the data directory.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data.join("tertulia.db").display()))
    }
}
