//! `tertulia serve` configuration: every setting is a flag, an environment
//! variable (`TERTULIA_…`) and a key of the optional TOML file given by
//! `--config`, with a default that gives a working server with no
//! configuration at all. Precedence: flag, then environment, then file,
//! then default.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::{ArgMatches, Args, Command, parser::ValueSource};

/// Settings of `tertulia serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// A TOML file of settings: keys are the flags' names without `--`
    /// (`max_participants = 6` or `max-participants = 6`). Flags and
    /// environment variables win over it.
    #[arg(long, env = "TERTULIA_CONFIG")]
    pub config: Option<PathBuf>,
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
    /// Ops each open document keeps in memory to transform late ops and
    /// catch clients up; older ones are read from the database.
    #[arg(long, env = "TERTULIA_DOC_HISTORY", default_value_t = 128)]
    pub doc_history: usize,
    /// Seconds a document without subscribers stays in memory.
    #[arg(long, env = "TERTULIA_DOC_IDLE_SECS", default_value_t = 60)]
    pub doc_idle_secs: u64,
    /// Where uploads are kept: default `<data>/blobs`; `s3://bucket/prefix`
    /// selects an S3-compatible store (credentials and endpoint from the
    /// `AWS_*` environment variables).
    #[arg(long, env = "TERTULIA_BLOB_STORE")]
    pub blob_store: Option<String>,
    /// Largest upload, in bytes.
    #[arg(long, env = "TERTULIA_MAX_UPLOAD_BYTES", default_value_t = 200 * 1024 * 1024)]
    pub max_upload_bytes: u64,
    /// The LibreOffice binary that converts office documents to PDF (a
    /// path or a name on PATH). Without it, office uploads are stored but
    /// not converted, and their conversion says why.
    #[arg(long, env = "TERTULIA_SOFFICE", default_value = "soffice")]
    pub soffice: PathBuf,
    /// Seconds one conversion may take.
    #[arg(long, env = "TERTULIA_CONVERT_TIMEOUT_SECS", default_value_t = 120)]
    pub convert_timeout_secs: u64,
    /// Participants per room: the peer-to-peer mesh's size. Joins beyond it
    /// are refused until the media server (SFU) exists.
    #[arg(long, env = "TERTULIA_MAX_PARTICIPANTS", default_value_t = 4)]
    pub max_participants: usize,
    /// Rooms open at once (with people in them or recently used).
    #[arg(long, env = "TERTULIA_MAX_ROOMS", default_value_t = 10_000)]
    pub max_rooms: usize,
    /// Seconds a participant whose connection dropped stays in the room
    /// before the others see them leave.
    #[arg(long, env = "TERTULIA_RECONNECT_GRACE_SECS", default_value_t = 20)]
    pub reconnect_grace_secs: u64,
    /// Room-control messages per second per connection (token bucket;
    /// bursts of twice this).
    #[arg(
        long,
        env = "TERTULIA_ROOM_MESSAGES_PER_SECOND",
        default_value_t = 50.0
    )]
    pub room_messages_per_second: f64,
    /// Longest chat message, in characters.
    #[arg(long, env = "TERTULIA_MAX_CHAT_CHARS", default_value_t = 2000)]
    pub max_chat_chars: usize,
    /// Chat messages a joiner receives as history.
    #[arg(long, env = "TERTULIA_CHAT_HISTORY", default_value_t = 200)]
    pub chat_history: usize,
    /// STUN server URLs for browsers, comma-separated
    /// (e.g. `stun:turn.example.org:3478`).
    #[arg(long, env = "TERTULIA_STUN_URLS", value_delimiter = ',')]
    pub stun_urls: Vec<String>,
    /// TURN server URLs, comma-separated (e.g.
    /// `turn:turn.example.org:3478?transport=udp`). Needs `--turn-secret`.
    #[arg(long, env = "TERTULIA_TURN_URLS", value_delimiter = ',')]
    pub turn_urls: Vec<String>,
    /// The secret shared with coturn (`static-auth-secret` with
    /// `use-auth-secret`); TURN credentials are minted from it.
    #[arg(long, env = "TERTULIA_TURN_SECRET", hide_env_values = true)]
    pub turn_secret: Option<String>,
    /// Lifetime of minted TURN credentials, in seconds.
    #[arg(long, env = "TERTULIA_TURN_TTL_SECS", default_value_t = 86_400)]
    pub turn_ttl_secs: u64,
    /// Map tiles for the map element: a URL template with `{z}`, `{x}`,
    /// `{y}` (and optionally `{s}` for subdomains a, b, c). Browsers fetch
    /// tiles from it directly; the page's Content-Security-Policy allows its
    /// origin.
    #[arg(
        long,
        env = "TERTULIA_MAP_TILES",
        default_value = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    )]
    pub map_tiles: String,
    /// Attribution shown on maps (plain text), as the tile provider requires.
    #[arg(
        long,
        env = "TERTULIA_MAP_ATTRIBUTION",
        default_value = "© OpenStreetMap contributors"
    )]
    pub map_attribution: String,
    /// Seconds graceful shutdown may take before the process exits anyway.
    #[arg(long, env = "TERTULIA_SHUTDOWN_SECS", default_value_t = 10)]
    pub shutdown_secs: u64,
    /// Threads running connections, rooms and documents. Default: one fewer
    /// than the cores, and at least one, which leaves a core to SQLite's
    /// writer thread.
    #[arg(long, env = "TERTULIA_WORKER_THREADS", value_parser = clap::value_parser!(u16).range(1..))]
    pub worker_threads: Option<u16>,
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
            history_in_memory: self.doc_history,
            idle_timeout: Duration::from_secs(self.doc_idle_secs),
            ..sync::Limits::default()
        }
    }

    /// Room control's limits.
    pub fn room_limits(&self) -> room::RoomLimits {
        room::RoomLimits {
            max_participants: self.max_participants.max(1),
            reconnect_grace: Duration::from_secs(self.reconnect_grace_secs),
            messages_per_second: self.room_messages_per_second,
            messages_burst: (self.room_messages_per_second * 2.0).max(1.0),
            max_chat_chars: self.max_chat_chars.max(1),
            chat_history: self.chat_history,
            max_rooms: self.max_rooms.max(1),
            ..room::RoomLimits::default()
        }
    }

    /// The blob store this configuration names.
    pub fn blobs(&self) -> anyhow::Result<blobs::Blobs> {
        match &self.blob_store {
            Some(url) if url.starts_with("s3://") => {
                blobs::Blobs::s3(url).with_context(|| format!("cannot open the blob store {url}"))
            }
            Some(other) => anyhow::bail!("--blob-store must be an s3:// URL, not {other:?}"),
            None => blobs::Blobs::local(&self.data.join("blobs"))
                .context("cannot open the blob directory"),
        }
    }

    /// The runtime's worker threads: `--worker-threads`, or one fewer than
    /// `cores`, and at least one.
    ///
    /// One core is left to the threads outside the runtime, above all
    /// SQLite's writer, which sqlx runs on a thread of its own and which
    /// every commit waits for. On 2 cores, one worker instead of two
    /// measured 12% more committed ops/s at full load (`tertulia-loadgen
    /// --clients 100 --docs 10`, medians of 4 alternating runs: 32.8k
    /// against 29.3k) and 25% less server CPU per op at 1,000 clients × 2
    /// ops/s, with a lower p99: a second worker mostly woke up to steal a
    /// task and went back to sleep, and those wake-ups cost more than it
    /// ran.
    pub fn worker_threads(&self, cores: usize) -> usize {
        self.worker_threads
            .map_or(cores.saturating_sub(1).max(1), usize::from)
    }

    /// The database URL, defaulting to SQLite in the data directory.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data.join("tertulia.db").display()))
    }
}

/// The flags that apply the settings of the TOML file at `path` that were
/// not given as a flag or an environment variable. `serve` is the `serve`
/// subcommand and `matches` its matches from the command line; the caller
/// appends the returned flags to its arguments and parses again.
pub fn config_file_args(
    serve: &Command,
    matches: &ArgMatches,
    path: &Path,
) -> anyhow::Result<Vec<OsString>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the config file {}", path.display()))?;
    let table: toml::Table = text
        .parse()
        .with_context(|| format!("{} is not valid TOML", path.display()))?;
    let mut args = Vec::new();
    for (key, value) in table {
        let id = key.replace('-', "_");
        let arg = serve
            .get_arguments()
            .find(|a| a.get_id() == id.as_str() && id != "config")
            .with_context(|| format!("{}: unknown setting {key:?}", path.display()))?;
        let given = matches!(
            matches.value_source(&id),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        );
        if given {
            continue;
        }
        // Every serve setting has a long name (derive gives one to each).
        let long = arg.get_long().unwrap_or(id.as_str());
        let takes_value = arg.get_action().takes_values();
        let text = match (&value, takes_value) {
            (toml::Value::Boolean(true), false) => {
                args.push(OsString::from(format!("--{long}")));
                continue;
            }
            (toml::Value::Boolean(false), false) => continue,
            (toml::Value::Array(items), true) => items
                .iter()
                .map(scalar)
                .collect::<Option<Vec<_>>>()
                .map(|items| items.join(",")),
            (value, true) => scalar(value),
            _ => None,
        };
        let Some(text) = text else {
            anyhow::bail!("{}: {key} has the wrong type", path.display());
        };
        args.push(OsString::from(format!("--{long}={text}")));
    }
    Ok(args)
}

/// A TOML string, number or boolean as a flag's value.
fn scalar(value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(n) => Some(n.to_string()),
        toml::Value::Float(f) => Some(f.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, FromArgMatches, Parser};

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        config: ServeConfig,
    }

    fn parse(file: &str, cli: &[&str]) -> anyhow::Result<ServeConfig> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("tertulia.toml");
        std::fs::write(&path, file)?;
        let path_str = path.to_str().unwrap().to_owned();
        let mut args: Vec<OsString> = ["serve", "--config", &path_str]
            .iter()
            .chain(cli)
            .map(OsString::from)
            .collect();
        let cmd = Cli::command();
        let matches = cmd.clone().try_get_matches_from(&args)?;
        args.extend(config_file_args(&cmd, &matches, &path)?);
        let matches = cmd.try_get_matches_from(args)?;
        Ok(Cli::from_arg_matches(&matches)?.config)
    }

    #[test]
    fn file_settings_apply_and_flags_win() {
        let c = parse(
            "max_participants = 6\nlisten = \"127.0.0.1:9000\"\nrequire-auth = true\n\
             turn_urls = [\"turn:a:3478\", \"turn:b:3478\"]\nroom_messages_per_second = 7.5\n",
            &["--listen", "127.0.0.1:9100"],
        )
        .unwrap();
        assert_eq!(c.max_participants, 6);
        assert_eq!(c.listen.port(), 9100, "the flag wins");
        assert!(c.require_auth);
        assert_eq!(c.turn_urls, ["turn:a:3478", "turn:b:3478"]);
        assert!((c.room_messages_per_second - 7.5).abs() < f64::EPSILON);
    }

    #[test]
    fn worker_threads_leave_a_core_unless_set() {
        let default = parse("", &[]).unwrap();
        assert_eq!(default.worker_threads(8), 7);
        assert_eq!(default.worker_threads(2), 1);
        assert_eq!(default.worker_threads(1), 1);
        assert_eq!(
            parse("worker_threads = 3\n", &[])
                .unwrap()
                .worker_threads(2),
            3
        );
        let flag = parse("", &["--worker-threads", "4"]).unwrap();
        assert_eq!(flag.worker_threads(8), 4);
        assert!(parse("", &["--worker-threads", "0"]).is_err());
    }

    #[test]
    fn doc_history_reaches_the_sync_limits() {
        assert_eq!(parse("", &[]).unwrap().limits().history_in_memory, 128);
        let file = parse("doc_history = 16\n", &[]).unwrap();
        assert_eq!(file.limits().history_in_memory, 16);
        let flag = parse("", &["--doc-history", "0"]).unwrap();
        assert_eq!(flag.limits().history_in_memory, 0, "0 keeps no history");
    }

    #[test]
    fn unknown_keys_and_wrong_types_are_errors() {
        let e = parse("max_particpants = 6\n", &[]).err().unwrap();
        assert!(e.to_string().contains("unknown setting"), "{e}");
        let e = parse("max_participants = \"many\"\n", &[]).err().unwrap();
        assert!(e.to_string().contains("invalid"), "{e:#}");
        assert!(parse("config = \"x\"\n", &[]).is_err());
    }
}
