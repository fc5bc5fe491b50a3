//! Latency summaries over exact samples (microseconds), nearest-rank
//! percentiles.

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

/// Rounds to three decimals (microsecond resolution for milliseconds).
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

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
