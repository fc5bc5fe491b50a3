//! The coordinator: spawns the clients, waits for them to set up, starts
//! them together, samples the server at the window's edges, collects the
//! records and builds the report. Ends by itself: every phase has a
//! deadline.

use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until, timeout_at};

use crate::client::{ClientResult, Go, Plan, Shared, run_client};
use crate::config::Config;
use crate::errors::{ErrorKind, ErrorTally};
use crate::loops::EventLoops;
use crate::procfs;
use crate::report::{self, Report, RunFacts, ServerStats, Window};
use crate::session::PeerMap;
use crate::stats::OwnLag;

/// File descriptors needed beyond one per client (runtime, stdio, joins in
/// flight).
const SPARE_FDS: u64 = 64;

/// Time allowed after the drain for clients to close and hand in records.
const COLLECT_GRACE: Duration = Duration::from_secs(5);

/// Runs the load described by `config` and reports what it measured.
pub async fn run(config: Config) -> anyhow::Result<Report> {
    let targets = config.validate()?;
    check_open_files(config.clients)?;
    let epoch = Instant::now();
    let rss_start = config
        .server_pid
        .and_then(procfs::memory)
        .map(|m| m.rss_kib);
    let shared = Arc::new(Shared {
        targets,
        epoch,
        setup_deadline: epoch + config.setup_timeout,
        setup_slots: Semaphore::new(config.connect_concurrency),
        config: config.clone(),
    });

    let (ready_tx, mut ready_rx) = mpsc::channel(config.clients.min(4096));
    let (go_tx, go_rx) = watch::channel(None);
    let loops = EventLoops::start(config.threads)?;
    let mut tasks = JoinSet::new();
    for index in 0..config.clients {
        // `Config::validate` caps clients far below u32::MAX.
        let plan = Plan {
            index: index as u32,
            doc: index % config.docs,
            creator: index < config.docs,
        };
        tasks.spawn_on(
            run_client(plan, shared.clone(), ready_tx.clone(), go_rx.clone()),
            loops.for_client(index),
        );
    }
    drop(ready_tx);

    let mut srcs: Vec<Option<String>> = vec![None; config.clients];
    let mut reported = 0;
    while reported < config.clients {
        // Every client reports by the setup deadline; the grace covers the
        // report itself.
        match timeout_at(
            shared.setup_deadline + Duration::from_secs(1),
            ready_rx.recv(),
        )
        .await
        {
            Ok(Some((index, src))) => {
                srcs[index as usize] = src;
                reported += 1;
            }
            Ok(None) | Err(_) => break,
        }
    }
    // Clients that report after this learn at once that nobody listens.
    drop(ready_rx);
    let setup_s = epoch.elapsed().as_secs_f64();

    let mut errors = ErrorTally::default();
    let mut peers = PeerMap::default();
    let mut participants = vec![false; config.clients];
    for (index, src) in srcs.into_iter().enumerate() {
        let Some(src) = src else { continue };
        if let Some(other) = peers.insert(src.clone(), index as u32) {
            errors.record(ErrorKind::Handshake, || {
                format!("clients {other} and {index} were both given id {src:?}")
            });
        }
        participants[index] = true;
    }
    let connected = participants.iter().filter(|&&p| p).count();

    let start = Instant::now();
    let warmup = if config.idle {
        Duration::ZERO
    } else {
        config.warmup
    };
    let window_start = start + warmup;
    let window_end = window_start + config.duration;
    let stop = if config.idle || connected == 0 {
        window_end
    } else {
        window_end + config.drain
    };
    let go = Go {
        peers: Arc::new(peers),
        participants,
        start,
        window_end,
        stop,
    };
    // Clients hold receivers until they finish; if all have finished
    // already (all failed), there is nobody to tell.
    let _ = go_tx.send(Some(Arc::new(go)));

    let pid = config.server_pid;
    let (mut server_cpu_start, mut own_cpu_start, mut own_lag) = (None, None, None);
    if connected > 0 {
        sleep_until(window_start).await;
        server_cpu_start = pid.and_then(procfs::cpu_seconds);
        own_cpu_start = procfs::own_cpu_seconds();
        own_lag = Some(sleep_watching_lag(window_end).await);
    }
    // Sampled while every client is still connected.
    let memory = pid.and_then(procfs::memory);
    let server_cpu = pid
        .and_then(procfs::cpu_seconds)
        .zip(server_cpu_start)
        .map(|(end, start)| end - start);
    let own_cpu = procfs::own_cpu_seconds()
        .zip(own_cpu_start)
        .map(|(end, start)| end - start);

    let mut results: Vec<Option<ClientResult>> = (0..config.clients).map(|_| None).collect();
    while let Ok(Some(joined)) = timeout_at(stop + COLLECT_GRACE, tasks.join_next()).await {
        match joined {
            Ok(result) => {
                let index = result.plan.index as usize;
                results[index] = Some(result);
            }
            Err(e) => errors.record(ErrorKind::Protocol, || format!("client task failed: {e}")),
        }
    }
    let stragglers = tasks.len();
    if stragglers > 0 {
        errors.record(ErrorKind::Disconnected, || {
            format!("{stragglers} clients did not finish in time")
        });
        tasks.abort_all();
    }

    if connected == 0 {
        let mut all = errors.clone();
        for result in results.iter().flatten() {
            all.merge(&result.records.errors);
        }
        let why: Vec<String> = all
            .samples()
            .into_iter()
            .map(|(kind, sample)| format!("{kind}: {sample}"))
            .collect();
        bail!(
            "no client could set up ({} errors): {}",
            all.total(),
            why.join("; ")
        );
    }

    let epoch_us = |t: Instant| {
        u32::try_from(t.saturating_duration_since(epoch).as_micros()).unwrap_or(u32::MAX)
    };
    let facts = RunFacts {
        mode: if config.idle { "idle" } else { "load" },
        url: config.url.clone(),
        clients: config.clients,
        docs: config.docs,
        rate: config.rate,
        duration_s: config.duration.as_secs_f64(),
        warmup_s: warmup.as_secs_f64(),
        setup_s,
        window: Window {
            start_us: epoch_us(window_start),
            end_us: epoch_us(window_end),
        },
        errors,
        server: pid.map(|pid| ServerStats {
            pid,
            rss_start_kib: rss_start,
            rss_kib: memory.map(|m| m.rss_kib),
            hwm_kib: memory.map(|m| m.hwm_kib),
            cpu_s: server_cpu,
            cpu_us_per_op: None,
        }),
        loadgen_cpu_s: own_cpu,
        loadgen_lag: own_lag,
    };
    Ok(report::build(facts, &results))
}

/// How often [`sleep_watching_lag`] wakes: a timer every 10 ms is nothing
/// next to the clients' traffic on the same loop.
const LAG_STEP: Duration = Duration::from_millis(10);

/// Sleeps until `end` in short steps and measures how late each wake came.
/// It runs on the main event loop, which at the default `--threads 1`
/// runs every client too.
async fn sleep_watching_lag(end: Instant) -> OwnLag {
    let mut lag = OwnLag::default();
    loop {
        let due = (Instant::now() + LAG_STEP).min(end);
        sleep_until(due).await;
        lag.record(Instant::now().saturating_duration_since(due));
        if due >= end {
            return lag;
        }
    }
}

/// Fails early, with the fix, when the open-file limit cannot fit one
/// socket per client.
fn check_open_files(clients: usize) -> anyhow::Result<()> {
    let Some((soft, hard)) = procfs::open_files_limit() else {
        return Ok(());
    };
    let needed = clients as u64 + SPARE_FDS;
    if soft < needed {
        let hint = if hard >= needed {
            format!(
                "raise it first, e.g. `ulimit -n {}`",
                hard.min(65536).max(needed)
            )
        } else {
            format!(
                "the hard limit is {hard}, so run fewer clients or raise the hard limit (as root)"
            )
        };
        bail!(
            "{clients} clients need about {needed} open files but the limit (ulimit -n) is {soft}; {hint}"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn a_blocked_loop_shows_as_a_stall() {
        let end = Instant::now() + Duration::from_millis(150);
        let watch = tokio::spawn(sleep_watching_lag(end));
        tokio::time::sleep(Duration::from_millis(20)).await;
        // Holds the loop's only thread, as a busy machine would.
        std::thread::sleep(Duration::from_millis(60));
        let lag = watch.await.unwrap();
        assert!(lag.max >= Duration::from_millis(40), "{lag:?}");
        // At least the blocked wake (a busy test machine may add others).
        assert!(lag.stalls >= 1, "{lag:?}");
    }
}
