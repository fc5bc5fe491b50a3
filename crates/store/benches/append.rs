//! Throughput and CPU cost of [`Store::append`] under the sync server's
//! write pattern: 100 appenders over 10 documents, each awaiting its append
//! before sending the next, as the server's pipelined document tasks do.
//!
//! ```text
//! cargo bench -p store --bench append                  # SQLite
//! STORE_BENCH_BACKEND=postgres cargo bench -p store --bench append
//! STORE_BENCH_SECS=5 STORE_BENCH_RUNS=5 cargo bench -p store --bench append
//! ```
//!
//! Each run opens a fresh database, warms up for half a second, then counts
//! the appends committed in the measured window and the CPU time (user +
//! system, every thread of this process, from `/proc/self/stat`) they took.
//! For PostgreSQL that leaves out the server's own CPU. Prints one line per
//! run and the medians.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use store::testing::{shared_postgres, sqlite_url};
use store::{OpBody, Store, StoreOptions, StoredOp};

const APPENDERS: usize = 100;
const DOCS: usize = 10;
const WARMUP: Duration = Duration::from_millis(500);

struct Run {
    ops_per_sec: f64,
    cpu_us_per_op: f64,
    mean_batch: f64,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// User plus system CPU time of the whole process, in clock ticks.
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat is readable");
    // The command name in parentheses may hold spaces; fields count from
    // after its closing parenthesis, where field 3 (state) comes first.
    let rest = &stat[stat.rfind(')').expect("stat has a command name") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields[11].parse().expect("utime is a number");
    let stime: u64 = fields[12].parse().expect("stime is a number");
    utime + stime
}

/// Linux reports CPU times in USER_HZ, which is 100 on every platform it
/// supports today.
const TICKS_PER_SEC: f64 = 100.0;

async fn run_once(url: &str, secs: f64) -> Run {
    let store = Store::open(url, StoreOptions::default())
        .await
        .expect("store opens");
    let next_v: Arc<Vec<AtomicU64>> = Arc::new((0..DOCS).map(|_| AtomicU64::new(0)).collect());
    let committed = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for appender in 0..APPENDERS {
        let (store, next_v, committed, stop) = (
            store.clone(),
            next_v.clone(),
            committed.clone(),
            stop.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let doc = appender % DOCS;
            let doc_id = format!("doc-{doc}");
            let src = format!("client-{appender}");
            let mut seq = 0;
            while !stop.load(Ordering::Relaxed) {
                let v = next_v[doc].fetch_add(1, Ordering::Relaxed);
                seq += 1;
                let op = StoredOp {
                    v,
                    src: src.clone(),
                    seq,
                    body: OpBody::Edit(json!([{"p": ["text", v % 100], "si": "hello"}])),
                    ts: 1_700_000_000_000,
                };
                store
                    .append("docs", &doc_id, op)
                    .await
                    .expect("append commits");
                committed.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    tokio::time::sleep(WARMUP).await;
    let (ops0, cpu0, stats0, t0) = (
        committed.load(Ordering::Relaxed),
        cpu_ticks(),
        store.writer_stats(),
        Instant::now(),
    );
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    let (ops1, cpu1, stats1, elapsed) = (
        committed.load(Ordering::Relaxed),
        cpu_ticks(),
        store.writer_stats(),
        t0.elapsed(),
    );
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.expect("appender does not panic");
    }
    store.close().await;
    let ops = (ops1 - ops0) as f64;
    Run {
        ops_per_sec: ops / elapsed.as_secs_f64(),
        cpu_us_per_op: (cpu1 - cpu0) as f64 / TICKS_PER_SEC * 1e6 / ops,
        mean_batch: (stats1.writes - stats0.writes) as f64
            / (stats1.batches - stats0.batches).max(1) as f64,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let backend: String = env_or("STORE_BENCH_BACKEND", "sqlite".to_owned());
    let secs: f64 = env_or("STORE_BENCH_SECS", 3.0);
    let runs: usize = env_or("STORE_BENCH_RUNS", 5);
    let runtime = tokio::runtime::Runtime::new().expect("a Tokio runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let server = match backend.as_str() {
            "postgres" => Some(shared_postgres().await.expect("a PostgreSQL server")),
            _ => None,
        };
        let mut results = Vec::new();
        for i in 0..runs {
            let url = match &server {
                Some(server) => server.fresh_database().await.expect("a database"),
                None => sqlite_url(&dir.path().join(format!("bench-{i}.db"))),
            };
            let run = run_once(&url, secs).await;
            println!(
                "{backend} run {i}: {:>8.0} ops/s  {:>6.1} µs CPU/op  mean batch {:.1}",
                run.ops_per_sec, run.cpu_us_per_op, run.mean_batch
            );
            results.push(run);
        }
        println!(
            "{backend} median: {:>8.0} ops/s  {:>6.1} µs CPU/op  mean batch {:.1}",
            median(results.iter().map(|r| r.ops_per_sec).collect()),
            median(results.iter().map(|r| r.cpu_us_per_op).collect()),
            median(results.iter().map(|r| r.mean_batch).collect()),
        );
    });
}
