//! Watches the runtime for stalls. Every connection, document and commit
//! shares the runtime's worker threads, so anything that holds one (a
//! blocking call, a long loop, the machine taking the CPU away) delays every
//! message in flight. A task sleeps a fixed period and measures how late it
//! wakes: the lateness is exported as `runtime_lag_seconds`, and a stall
//! long enough to show in a client's latency is logged (at most once per
//! ten seconds, with a count of the rest), so that an outlier can be told
//! apart from a slow commit (which the store logs itself).

use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

/// How often the watch wakes. Each wake is one timer and one histogram
/// sample: nothing next to the traffic it watches.
const PERIOD: Duration = Duration::from_millis(50);

/// A stall at least this long is logged.
const REPORTED: Duration = Duration::from_millis(50);

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

/// At most one stall warning per this long; the ones in between are
/// counted into the next. An overloaded machine stalls every period, and a
/// line every 50 ms would bury the rest of the log.
const WARN_EVERY: Duration = Duration::from_secs(10);

/// What the server does with each measurement: the histogram, and a
/// warning for a stall of [`REPORTED`] or more, rate-limited.
#[derive(Debug, Default)]
pub struct Recorder {
    warnings: StallWarnings,
}

impl Recorder {
    /// Records how late one wake came.
    pub fn record(&mut self, lag: Duration) {
        metrics::histogram!("runtime_lag_seconds").record(lag.as_secs_f64());
        if let Some(w) = self.warnings.stall(Instant::now(), lag) {
            tracing::warn!(
                ms = w.worst.as_millis(),
                stalls = w.stalls,
                "runtime stalled: every connection's messages waited this long"
            );
        }
    }
}

/// Which stalls get a warning: the first, then at most one per
/// [`WARN_EVERY`], which also tells how many came since the last and the
/// worst of them.
#[derive(Debug, Default)]
struct StallWarnings {
    last_warned: Option<Instant>,
    /// Stalls since the last warning, and the worst of them.
    stalls: u32,
    worst: Duration,
}

/// One warning's content.
#[derive(Debug, PartialEq, Eq)]
struct Warning {
    worst: Duration,
    stalls: u32,
}

impl StallWarnings {
    fn stall(&mut self, now: Instant, lag: Duration) -> Option<Warning> {
        if lag < REPORTED {
            return None;
        }
        self.stalls += 1;
        self.worst = self.worst.max(lag);
        if self
            .last_warned
            .is_some_and(|at| now.saturating_duration_since(at) < WARN_EVERY)
        {
            return None;
        }
        self.last_warned = Some(now);
        let warning = Warning {
            worst: self.worst,
            stalls: self.stalls,
        };
        (self.stalls, self.worst) = (0, Duration::ZERO);
        Some(warning)
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

    #[test]
    fn stall_warnings_are_rate_limited_and_counted() {
        let mut w = StallWarnings::default();
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        assert_eq!(w.stall(t0, ms(3)), None, "not a stall");
        assert_eq!(
            w.stall(t0, ms(60)),
            Some(Warning {
                worst: ms(60),
                stalls: 1
            })
        );
        // Within WARN_EVERY: counted, not warned.
        assert_eq!(w.stall(t0 + ms(100), ms(200)), None);
        assert_eq!(w.stall(t0 + ms(200), ms(70)), None);
        assert_eq!(
            w.stall(t0 + WARN_EVERY + ms(1), ms(55)),
            Some(Warning {
                worst: ms(200),
                stalls: 3
            })
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
