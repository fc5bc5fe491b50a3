//! Watches the runtime for stalls. Every connection, document and commit
//! shares the runtime's worker threads, so anything that holds one (a
//! blocking call, a long loop, the machine taking the CPU away) delays every
//! message in flight. A task sleeps a fixed period and measures how late it
//! wakes: the lateness is exported as `runtime_lag_seconds`, and a stall
//! long enough to show in a client's latency is logged, so that an outlier
//! can be told apart from a slow commit (which the store logs itself).

use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

/// How often the watch wakes. Each wake is one timer and one histogram
/// sample: nothing next to the traffic it watches.
const PERIOD: Duration = Duration::from_millis(50);

/// A stall at least this long is logged.
pub const REPORTED: Duration = Duration::from_millis(50);

/// Runs until `shutdown` turns true, calling `on_lag` with how late each
/// wake came.
pub async fn watch(mut shutdown: watch::Receiver<bool>, mut on_lag: impl FnMut(Duration)) {
    loop {
        let due = Instant::now() + PERIOD;
        tokio::select! {
            () = tokio::time::sleep_until(due) => {}
            _ = shutdown.wait_for(|s| *s) => return,
        }
        on_lag(Instant::now().saturating_duration_since(due));
    }
}

/// What the server does with each measurement: the histogram, and a
/// warning for a stall of [`REPORTED`] or more.
pub fn record(lag: Duration) {
    metrics::histogram!("runtime_lag_seconds").record(lag.as_secs_f64());
    if lag >= REPORTED {
        tracing::warn!(
            ms = lag.as_millis(),
            "runtime stalled: every connection's messages waited this long"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[tokio::test(flavor = "current_thread")]
    async fn a_blocked_runtime_is_measured() {
        let (stop, shutdown) = watch::channel(false);
        let lags = Arc::new(Mutex::new(Vec::new()));
        let seen = lags.clone();
        let task = tokio::spawn(watch(shutdown, move |lag| seen.lock().unwrap().push(lag)));
        // Let the watch start a sleep, then hold the only thread.
        tokio::time::sleep(Duration::from_millis(10)).await;
        std::thread::sleep(Duration::from_millis(200));
        tokio::time::sleep(2 * PERIOD).await;
        stop.send(true).unwrap();
        task.await.unwrap();
        let lags = lags.lock().unwrap();
        let worst = lags.iter().max().copied().unwrap_or_default();
        assert!(
            worst >= Duration::from_millis(100),
            "a 200 ms block showed as {worst:?} ({lags:?})"
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn it_stops_on_shutdown() {
        let (stop, shutdown) = watch::channel(false);
        let task = tokio::spawn(watch(shutdown, |_| {}));
        stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(1), task)
            .await
            .expect("the watch stopped")
            .unwrap();
    }
}
