//! `tertulia-loadgen`: see the library documentation, or `--help`.

#![forbid(unsafe_code)]

use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use loadgen::Config;

// The server's allocator: the load generator allocates for every message it
// reads, and its CPU is taken from the server it measures.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Simulated ShareDB 7.0.0 clients against a loopback server; reports
/// committed ops/s, submit→ack and submit→peer latency, and server memory.
#[derive(Parser, Debug)]
#[command(name = "tertulia-loadgen", version)]
struct Cli {
    /// WebSocket URL of the server (loopback only).
    #[arg(long, default_value = "ws://127.0.0.1:8080/ws")]
    url: String,
    /// HTTP base URL; when given, each client first does
    /// `POST {join-url}/api/rooms/load{doc}/join` and connects with the token.
    #[arg(long)]
    join_url: Option<String>,
    /// Number of simulated clients (one WebSocket each).
    #[arg(long, default_value_t = 10)]
    clients: usize,
    /// Number of documents (rooms `load0`…); client i edits document i % docs.
    #[arg(long, default_value_t = 1)]
    docs: usize,
    /// Ops per second per client; 0 = next op as soon as the previous one is acked.
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// Measured window, seconds.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Load before the measured window, seconds (not counted).
    #[arg(long, default_value_t = 0.0)]
    warmup: f64,
    /// Connect, handshake and subscribe only; hold the connections for the duration.
    #[arg(long)]
    idle: bool,
    /// Report this process's RSS (VmRSS, VmHWM) and CPU time.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Print the report as one JSON object.
    #[arg(long)]
    json: bool,
    /// Clients setting up at the same time.
    #[arg(long, default_value_t = 200)]
    connect_concurrency: usize,
    /// Time allowed for all clients to set up, seconds.
    #[arg(long, default_value_t = 60.0)]
    setup_timeout: f64,
    /// Time to keep listening for acks and broadcasts after the window, seconds.
    #[arg(long, default_value_t = 2.0)]
    drain: f64,
    /// Event-loop threads the clients are spread over (client i on loop
    /// i % threads), each single-threaded; 1 runs everything on this
    /// thread, leaving the other cores to the server.
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

fn seconds(name: &str, s: f64) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(s)
        .with_context(|| format!("--{name} must be a non-negative number of seconds"))
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config {
        url: cli.url,
        join_url: cli.join_url,
        clients: cli.clients,
        docs: cli.docs,
        rate: cli.rate,
        duration: seconds("duration", cli.duration)?,
        warmup: seconds("warmup", cli.warmup)?,
        idle: cli.idle,
        server_pid: cli.server_pid,
        connect_concurrency: cli.connect_concurrency,
        setup_timeout: seconds("setup-timeout", cli.setup_timeout)?,
        drain: seconds("drain", cli.drain)?,
        threads: cli.threads,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(loadgen::run(config))?;
    if cli.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("{report}");
    }
    Ok(())
}
