//! The load generator against ShareDB 7.0.0 itself
//! (`js/bench/sharedb-server.mjs`). Skipped, with a note on stderr, when
//! `node` or the installed npm packages are missing.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use loadgen::Config;

/// The reference server on a free port, killed on drop.
struct Reference {
    child: Child,
    port: u16,
}

impl Drop for Reference {
    fn drop(&mut self) {
        // It may have exited already; nothing to do then.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_reference() -> Option<Reference> {
    let js = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../js");
    if !js.join("node_modules/sharedb").is_dir() || !js.join("node_modules/ws").is_dir() {
        eprintln!("skipped: js/node_modules missing (cd js && npm ci)");
        return None;
    }
    let spawned = Command::new("node")
        .args(["bench/sharedb-server.mjs", "--port", "0"])
        .current_dir(&js)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn();
    let Ok(mut child) = spawned else {
        eprintln!("skipped: node not found");
        return None;
    };
    let stdout = child.stdout.take().expect("stdout was piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let mut server = Reference { child, port: 0 };
    let line = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("reference server printed its port");
    server.port = line
        .trim()
        .strip_prefix("listening on ")
        .and_then(|p| p.parse().ok())
        .expect("`listening on PORT`");
    Some(server)
}

fn config(server: &Reference) -> Config {
    let mut config = Config::new(format!("ws://127.0.0.1:{}/ws", server.port));
    config.join_url = Some(format!("http://127.0.0.1:{}", server.port));
    config.server_pid = Some(server.child.id());
    config.duration = Duration::from_secs(1);
    config.drain = Duration::from_millis(500);
    config
}

#[tokio::test]
async fn two_clients_as_fast_as_acked() {
    let Some(server) = start_reference() else {
        return;
    };
    let mut config = config(&server);
    config.clients = 2;
    config.docs = 1;
    let report = loadgen::run(config).await.expect("run");

    assert_eq!(report.errors, 0, "{report}");
    assert_eq!(report.connected, 2, "{report}");
    assert!(report.ops_acked > 50, "{report}");
    assert_eq!(report.ops_unacked, 0, "{report}");
    // Each op is received by the one other client.
    assert_eq!(
        report.broadcasts_expected, report.ack_latency.count,
        "{report}"
    );
    assert_eq!(report.broadcasts_missing, 0, "{report}");
    assert!(report.broadcast_latency.count > 50, "{report}");
    assert_eq!(report.diverged_docs, 0, "{report}");
    let rss = report.server.as_ref().and_then(|s| s.rss_kib);
    assert!(rss.is_some_and(|kib| kib > 1024), "{report}");
}

#[tokio::test]
async fn fixed_rate_and_idle() {
    let Some(server) = start_reference() else {
        return;
    };
    let mut config = config(&server);
    config.clients = 6;
    config.docs = 2;
    config.rate = 20.0;
    let report = loadgen::run(config.clone()).await.expect("run");
    assert_eq!(report.errors, 0, "{report}");
    // 6 clients × 20 ops/s × 1 s, give or take the ticks at the edges.
    assert!((100..=130).contains(&report.ops_submitted), "{report}");
    assert_eq!(
        report.broadcasts_expected,
        2 * report.ack_latency.count,
        "{report}"
    );
    assert_eq!(report.broadcasts_missing, 0, "{report}");

    config.idle = true;
    config.clients = 20;
    config.duration = Duration::from_millis(300);
    let report = loadgen::run(config).await.expect("idle run");
    assert_eq!(
        (report.mode, report.connected, report.errors),
        ("idle", 20, 0),
        "{report}"
    );
    assert_eq!(report.ops_submitted, 0, "{report}");
}
