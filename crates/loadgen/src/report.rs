//! The result of a run: computed from every client's records after the
//! run, printed as a table or as one JSON object.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::client::ClientResult;
use crate::errors::ErrorTally;
use crate::stats::{Latency, round3};

/// Everything a run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `"load"` or `"idle"`.
    pub mode: &'static str,
    /// The WebSocket URL.
    pub url: String,
    /// Clients asked for.
    pub clients: usize,
    /// Documents (rooms).
    pub docs: usize,
    /// Ops/s per client (0: as fast as acks allow).
    pub rate: f64,
    /// Measured window, seconds.
    pub duration_s: f64,
    /// Warmup before the window, seconds.
    pub warmup_s: f64,
    /// Clients that finished setup in time and took part.
    pub connected: usize,
    /// Time from the first connect until every client had set up (or the
    /// setup timeout), seconds.
    pub setup_s: f64,
    /// Ops submitted during the window.
    pub ops_submitted: u64,
    /// Acks received during the window.
    pub ops_acked: u64,
    /// `ops_acked` per second of window: committed throughput.
    pub ops_per_sec: f64,
    /// Ops submitted during the window that were never acknowledged.
    pub ops_unacked: u64,
    /// Rate ticks that found the previous tick's op still waiting.
    pub late_ticks: u64,
    /// Submit → ack of the submitter, for ops submitted during the window.
    pub ack_latency: Latency,
    /// Submit → receipt by each other client on the document.
    pub broadcast_latency: Latency,
    /// Receipts due: acked window ops × (clients on the document − 1).
    pub broadcasts_expected: u64,
    /// Receipts seen.
    pub broadcasts_received: u64,
    /// `expected − received`.
    pub broadcasts_missing: u64,
    /// Documents where two clients ended at the same version with different
    /// contents (clients with an op still in flight are left out).
    pub diverged_docs: usize,
    /// All errors.
    pub errors: u64,
    /// Errors by kind.
    pub errors_by_kind: BTreeMap<&'static str, u64>,
    /// The first error of each kind.
    pub error_samples: BTreeMap<&'static str, String>,
    /// The server process, if `--server-pid` was given.
    pub server: Option<ServerStats>,
    /// CPU the load generator itself used during the window, seconds.
    pub loadgen_cpu_s: Option<f64>,
    /// The load generator's own stalls during the window (see
    /// [`crate::stats::OwnLag`]): a latency outlier that coincides with
    /// one was, at least in part, the load generator's or the machine's.
    pub loadgen_lag: Option<OwnLagReport>,
}

/// How late the load generator's main event loop woke during the window.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct OwnLagReport {
    /// The latest wake, milliseconds after it was due.
    pub max_ms: f64,
    /// Wakes at least [`crate::stats::OwnLag::STALL`] late.
    pub stalls: u64,
}

/// Resource use of the server process.
#[derive(Debug, Clone, Serialize)]
pub struct ServerStats {
    /// Its pid.
    pub pid: u32,
    /// Resident memory before any client connected, KiB.
    pub rss_start_kib: Option<u64>,
    /// Resident memory at the end of the window, all clients connected, KiB.
    pub rss_kib: Option<u64>,
    /// Peak resident memory of the process's life so far, KiB.
    pub hwm_kib: Option<u64>,
    /// CPU used during the window, seconds.
    pub cpu_s: Option<f64>,
    /// `cpu_s` per acked op, microseconds.
    pub cpu_us_per_op: Option<f64>,
}

/// The measured window in microseconds since the epoch, `[start, end)`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub start_us: u32,
    pub end_us: u32,
}

impl Window {
    fn contains(&self, t: u32) -> bool {
        (self.start_us..self.end_us).contains(&t)
    }
}

/// Run-level facts the coordinator collected.
#[derive(Debug)]
pub(crate) struct RunFacts {
    pub mode: &'static str,
    pub url: String,
    pub clients: usize,
    pub docs: usize,
    pub rate: f64,
    pub duration_s: f64,
    pub warmup_s: f64,
    pub setup_s: f64,
    pub window: Window,
    pub errors: ErrorTally,
    pub server: Option<ServerStats>,
    pub loadgen_cpu_s: Option<f64>,
    pub loadgen_lag: Option<crate::stats::OwnLag>,
}

/// Computes the report. `results` must be indexed by client index.
pub(crate) fn build(facts: RunFacts, results: &[Option<ClientResult>]) -> Report {
    let window = facts.window;
    let mut errors = facts.errors;
    let mut per_doc: Vec<usize> = vec![0; facts.docs];
    for result in results.iter().flatten() {
        errors.merge(&result.records.errors);
        if result.participated {
            per_doc[result.plan.doc] += 1;
        }
    }

    let (mut submitted, mut acked, mut unacked, mut expected, mut late_ticks) = (0, 0, 0, 0, 0);
    let mut ack_samples = Vec::new();
    for result in results.iter().flatten().filter(|r| r.participated) {
        late_ticks += result.late_ticks;
        let peers = per_doc[result.plan.doc].saturating_sub(1) as u64;
        for sent in &result.records.sent {
            if sent.ack_us.is_some_and(|t| window.contains(t)) {
                acked += 1;
            }
            if !window.contains(sent.sent_us) {
                continue;
            }
            submitted += 1;
            match sent.ack_us {
                Some(ack) => {
                    ack_samples.push(ack.saturating_sub(sent.sent_us));
                    expected += peers;
                }
                None => unacked += 1,
            }
        }
    }

    let mut broadcast_samples = Vec::new();
    for result in results.iter().flatten().filter(|r| r.participated) {
        for recv in result.records.recv.iter() {
            let Some(sender) = results.get(recv.from as usize).and_then(Option::as_ref) else {
                continue;
            };
            let index = recv.seq.checked_sub(sender.records.seq_base);
            let Some(sent) = index.and_then(|i| sender.records.sent.get(usize::try_from(i).ok()?))
            else {
                continue;
            };
            if window.contains(sent.sent_us) && sent.ack_us.is_some() {
                broadcast_samples.push(recv.at_us.saturating_sub(sent.sent_us));
            }
        }
    }

    let mut finals: BTreeMap<usize, Vec<&(u64, serde_json::Value)>> = BTreeMap::new();
    for result in results.iter().flatten().filter(|r| r.participated) {
        if let Some(state) = &result.final_state {
            finals.entry(result.plan.doc).or_default().push(state);
        }
    }
    // Clients of one document may end at different versions when acks or
    // broadcasts were still on their way; only equal versions with unequal
    // contents are a divergence.
    let diverged_docs = finals
        .values()
        .filter(|states| {
            let mut by_version: BTreeMap<u64, &serde_json::Value> = BTreeMap::new();
            states
                .iter()
                .any(|(v, doc)| by_version.insert(*v, doc).is_some_and(|other| other != doc))
        })
        .count();

    let received = broadcast_samples.len() as u64;
    let cpu_us_per_op = |cpu: Option<f64>| {
        cpu.filter(|_| acked > 0)
            .map(|s| round3(s * 1e6 / acked as f64))
    };
    let server = facts.server.map(|s| ServerStats {
        cpu_us_per_op: cpu_us_per_op(s.cpu_s),
        ..s
    });
    Report {
        mode: facts.mode,
        url: facts.url,
        clients: facts.clients,
        docs: facts.docs,
        rate: facts.rate,
        duration_s: facts.duration_s,
        warmup_s: facts.warmup_s,
        connected: per_doc.iter().sum(),
        setup_s: round3(facts.setup_s),
        ops_submitted: submitted,
        ops_acked: acked,
        ops_per_sec: round3(acked as f64 / facts.duration_s),
        ops_unacked: unacked,
        late_ticks,
        ack_latency: Latency::from_samples(&mut ack_samples),
        broadcast_latency: Latency::from_samples(&mut broadcast_samples),
        broadcasts_expected: expected,
        broadcasts_received: received,
        broadcasts_missing: expected.saturating_sub(received),
        diverged_docs,
        errors: errors.total(),
        errors_by_kind: errors.counts(),
        error_samples: errors.samples(),
        server,
        loadgen_cpu_s: facts.loadgen_cpu_s.map(round3),
        loadgen_lag: facts.loadgen_lag.map(|lag| OwnLagReport {
            max_ms: round3(lag.max.as_secs_f64() * 1000.0),
            stalls: lag.stalls,
        }),
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rate = if self.mode == "idle" {
            "no ops".into()
        } else if self.rate > 0.0 {
            format!("{} ops/s each", self.rate)
        } else {
            "next op on ack".into()
        };
        writeln!(
            f,
            "{} {} — {} clients on {} docs, {rate}",
            self.mode, self.url, self.clients, self.docs
        )?;
        writeln!(
            f,
            "  connected        {} (setup {:.2} s)",
            self.connected, self.setup_s
        )?;
        if self.mode == "load" {
            writeln!(
                f,
                "  window           {} s after {} s warmup",
                self.duration_s, self.warmup_s
            )?;
            writeln!(
                f,
                "  committed        {:.1} ops/s ({} acked, {} unacked)",
                self.ops_per_sec, self.ops_acked, self.ops_unacked
            )?;
            let row = |l: &Latency| {
                format!(
                    "p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2} ms  (n={})",
                    l.p50_ms, l.p90_ms, l.p99_ms, l.max_ms, l.count
                )
            };
            writeln!(f, "  submit→ack       {}", row(&self.ack_latency))?;
            writeln!(f, "  submit→peer      {}", row(&self.broadcast_latency))?;
            writeln!(
                f,
                "  broadcasts       {} of {} received, {} missing; {} diverged docs; {} late ticks",
                self.broadcasts_received,
                self.broadcasts_expected,
                self.broadcasts_missing,
                self.diverged_docs,
                self.late_ticks
            )?;
        }
        if let Some(server) = &self.server {
            let mib = |kib: Option<u64>| {
                kib.map_or("?".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
            };
            write!(
                f,
                "  server pid {}    RSS {} (start {}, peak {})",
                server.pid,
                mib(server.rss_kib),
                mib(server.rss_start_kib),
                mib(server.hwm_kib)
            )?;
            if let Some(cpu) = server.cpu_s {
                write!(f, ", CPU {cpu:.2} s")?;
            }
            if let Some(per_op) = server.cpu_us_per_op {
                write!(f, " ({per_op:.1} µs/op)")?;
            }
            writeln!(f)?;
        }
        if let Some(cpu) = self.loadgen_cpu_s {
            writeln!(f, "  loadgen CPU      {cpu:.2} s")?;
        }
        if let Some(lag) = self.loadgen_lag {
            writeln!(
                f,
                "  loadgen lag      max {:.2} ms, {} stalls",
                lag.max_ms, lag.stalls
            )?;
        }
        write!(f, "  errors           {}", self.errors)?;
        for (kind, count) in &self.errors_by_kind {
            write!(
                f,
                "\n    {kind}: {count} (first: {})",
                self.error_samples.get(kind).map_or("", String::as_str)
            )?;
        }
        Ok(())
    }
}
