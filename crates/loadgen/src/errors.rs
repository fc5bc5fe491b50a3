//! What can go wrong during a run, counted by kind. A load test keeps going
//! after errors and reports them; none of these stops the run.

use std::collections::BTreeMap;

/// One kind of failure, as named in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ErrorKind {
    /// `POST …/join` failed or returned no token.
    Join,
    /// The TCP connection could not be opened (refused, timeout, no file
    /// descriptors left).
    Connect,
    /// The WebSocket upgrade failed.
    Upgrade,
    /// The server refused the ShareDB handshake or announced an
    /// incompatible protocol or default type.
    Handshake,
    /// The server refused a subscribe or fetch.
    Subscribe,
    /// Setup (join, connect, handshake, subscribe, document creation) did
    /// not finish within the setup timeout.
    SetupTimeout,
    /// The server rejected a submitted op (an `op` message with `error`).
    Rejected,
    /// An ack carried a version other than the one the client had reached
    /// (the npm client warns and refetches).
    AckVersion,
    /// An op arrived for a version beyond the next one: the server skipped
    /// an op (the npm client refetches).
    VersionGap,
    /// An op from the server could not be transformed or applied locally.
    Ot,
    /// A message that is not JSON, or not a valid answer at this point.
    Protocol,
    /// The server closed the connection or the socket failed mid-run.
    Disconnected,
    /// Sending on the socket failed or timed out.
    Send,
}

impl ErrorKind {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Join => "join",
            ErrorKind::Connect => "connect",
            ErrorKind::Upgrade => "upgrade",
            ErrorKind::Handshake => "handshake",
            ErrorKind::Subscribe => "subscribe",
            ErrorKind::SetupTimeout => "setup_timeout",
            ErrorKind::Rejected => "rejected",
            ErrorKind::AckVersion => "ack_version",
            ErrorKind::VersionGap => "version_gap",
            ErrorKind::Ot => "ot",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Disconnected => "disconnected",
            ErrorKind::Send => "send",
        }
    }
}

/// Counts per kind plus the first message seen of each kind, so a report
/// can say what went wrong without storing every error.
#[derive(Debug, Default, Clone)]
pub struct ErrorTally {
    counts: BTreeMap<ErrorKind, u64>,
    samples: BTreeMap<ErrorKind, String>,
}

impl ErrorTally {
    /// Counts one error of `kind`; `detail` is kept if it is the first.
    pub fn record(&mut self, kind: ErrorKind, detail: impl FnOnce() -> String) {
        *self.counts.entry(kind).or_default() += 1;
        self.samples.entry(kind).or_insert_with(detail);
    }

    /// Adds another tally into this one.
    pub fn merge(&mut self, other: &ErrorTally) {
        for (kind, count) in &other.counts {
            *self.counts.entry(*kind).or_default() += count;
        }
        for (kind, sample) in &other.samples {
            self.samples.entry(*kind).or_insert_with(|| sample.clone());
        }
    }

    /// All errors counted.
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    /// Errors of one kind.
    pub fn count(&self, kind: ErrorKind) -> u64 {
        self.counts.get(&kind).copied().unwrap_or(0)
    }

    /// Counts by kind name.
    pub fn counts(&self) -> BTreeMap<&'static str, u64> {
        self.counts
            .iter()
            .map(|(kind, count)| (kind.name(), *count))
            .collect()
    }

    /// First message by kind name.
    pub fn samples(&self) -> BTreeMap<&'static str, String> {
        self.samples
            .iter()
            .map(|(kind, sample)| (kind.name(), sample.clone()))
            .collect()
    }
}
