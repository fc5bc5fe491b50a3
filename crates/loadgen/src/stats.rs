//! Latency summaries over exact samples (microseconds), nearest-rank
//! percentiles, and the append-only log the samples are gathered in.

use std::time::Duration;

use serde::Serialize;

/// Count, percentiles and extremes of one latency, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Latency {
    /// Number of samples.
    pub count: u64,
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Largest sample.
    pub max_ms: f64,
    /// Arithmetic mean.
    pub mean_ms: f64,
}

impl Latency {
    /// Summarises `samples_us`, sorting it in place. All zeros when empty.
    pub fn from_samples(samples_us: &mut [u32]) -> Latency {
        if samples_us.is_empty() {
            return Latency {
                count: 0,
                p50_ms: 0.0,
                p90_ms: 0.0,
                p99_ms: 0.0,
                max_ms: 0.0,
                mean_ms: 0.0,
            };
        }
        samples_us.sort_unstable();
        let sum: u64 = samples_us.iter().map(|&s| u64::from(s)).sum();
        let ms = |us: u32| round3(f64::from(us) / 1000.0);
        Latency {
            count: samples_us.len() as u64,
            p50_ms: ms(percentile(samples_us, 50.0)),
            p90_ms: ms(percentile(samples_us, 90.0)),
            p99_ms: ms(percentile(samples_us, 99.0)),
            max_ms: ms(samples_us[samples_us.len() - 1]),
            mean_ms: round3(sum as f64 / samples_us.len() as f64 / 1000.0),
        }
    }
}

/// The nearest-rank percentile of sorted, non-empty `sorted`.
fn percentile(sorted: &[u32], p: f64) -> u32 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// How late a sleeping task woke, over a run: the load generator's own
/// stalls. It runs on the machine it measures, so the machine taking its
/// CPU away (or anything of its own holding its event loop) delays every
/// receipt it stamps, and those delays are not the server's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OwnLag {
    /// The latest wake.
    pub max: Duration,
    /// Wakes at least [`OwnLag::STALL`] late.
    pub stalls: u64,
}

impl OwnLag {
    /// How late a wake must be to count as a stall: the latency goals are
    /// a few milliseconds, and a busy loop wakes a millisecond late or so.
    pub const STALL: Duration = Duration::from_millis(10);

    /// Counts one wake, `late` after it was due.
    pub fn record(&mut self, late: Duration) {
        self.max = self.max.max(late);
        if late >= Self::STALL {
            self.stalls += 1;
        }
    }
}

/// Rounds to three decimals (microsecond resolution for milliseconds).
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Entries in a [`ChunkedLog`]'s first chunk; each further chunk is as big
/// as the log so far, up to [`MAX_CHUNK_LEN`].
const FIRST_CHUNK_LEN: usize = 256;
/// Entries per chunk once the log is big: 16 Ki receipts are 256 KiB.
const MAX_CHUNK_LEN: usize = 16 * 1024;

/// An append-only list kept in chunks. A `Vec` that grows by doubling
/// copies everything it holds into fresh memory each time, and the kernel
/// must zero that memory first: recording every receipt that way (nine
/// per op at full load) was a sixteenth of the load generator's CPU, taken
/// from the cores the server under test needs. A chunk is written once and
/// never moves. Chunks start small: a thousand clients each starting with
/// a full-size chunk touched 256 MiB at once, and the page faults stalled
/// every client for hundreds of milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkedLog<T> {
    chunks: Vec<Vec<T>>,
}

impl<T> Default for ChunkedLog<T> {
    fn default() -> Self {
        ChunkedLog { chunks: Vec::new() }
    }
}

impl<T> ChunkedLog<T> {
    /// Appends `item`.
    pub fn push(&mut self, item: T) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < chunk.capacity() => chunk.push(item),
            _ => {
                let len = self.len().clamp(FIRST_CHUNK_LEN, MAX_CHUNK_LEN);
                let mut chunk = Vec::with_capacity(len);
                chunk.push(item);
                self.chunks.push(chunk);
            }
        }
    }

    /// The entries in the order they were pushed.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flatten()
    }

    /// How many entries there are.
    pub fn len(&self) -> usize {
        self.chunks.iter().map(Vec::len).sum()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_lag_keeps_the_worst_wake_and_counts_stalls() {
        let mut lag = OwnLag::default();
        for ms in [1, 0, 12, 3, 10, 9] {
            lag.record(Duration::from_millis(ms));
        }
        assert_eq!(lag.max, Duration::from_millis(12));
        assert_eq!(lag.stalls, 2);
    }

    #[test]
    fn chunked_log_keeps_order_across_chunks() {
        let mut log = ChunkedLog::default();
        assert!(log.is_empty());
        let n = MAX_CHUNK_LEN * 3 + 3;
        for i in 0..n {
            log.push(i);
        }
        assert_eq!(log.len(), n);
        assert!(log.iter().copied().eq(0..n));
        let sizes: Vec<usize> = log.chunks.iter().map(Vec::capacity).collect();
        // Small at first, then as big as the log so far, up to the cap.
        let mut expected = vec![FIRST_CHUNK_LEN];
        while expected.iter().sum::<usize>() < n {
            let so_far: usize = expected.iter().sum();
            expected.push(so_far.clamp(FIRST_CHUNK_LEN, MAX_CHUNK_LEN));
        }
        assert_eq!(sizes, expected);
        assert_eq!(*sizes.last().unwrap(), MAX_CHUNK_LEN);
    }

    #[test]
    fn nearest_rank() {
        let mut samples: Vec<u32> = (1..=100).rev().map(|i| i * 1000).collect();
        let l = Latency::from_samples(&mut samples);
        assert_eq!(
            (l.count, l.p50_ms, l.p90_ms, l.p99_ms, l.max_ms),
            (100, 50.0, 90.0, 99.0, 100.0)
        );
        assert_eq!(l.mean_ms, 50.5);
        let one = Latency::from_samples(&mut [1500]);
        assert_eq!((one.p50_ms, one.p99_ms, one.max_ms), (1.5, 1.5, 1.5));
        assert_eq!(Latency::from_samples(&mut []).count, 0);
    }
}
