//! Readings from Linux's `/proc`: a process's memory and CPU time, and this
//! process's open-file limit. Each returns `None` where `/proc` does not
//! have the answer (another OS, a process that exited).

use std::fs;

/// Kernel clock ticks per second for `/proc/PID/stat` CPU times. `USER_HZ`
/// is 100 on every Linux architecture the benchmark runs on; reading it
/// properly needs `sysconf`, which needs `unsafe`.
const TICKS_PER_SECOND: f64 = 100.0;

/// Resident memory of a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    /// `VmRSS`: resident set size now, KiB.
    pub rss_kib: u64,
    /// `VmHWM`: the largest resident set size so far, KiB.
    pub hwm_kib: u64,
}

/// `VmRSS` and `VmHWM` of `pid`.
pub fn memory(pid: u32) -> Option<Memory> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_memory(&status)
}

fn parse_memory(status: &str) -> Option<Memory> {
    let field = |name: &str| {
        status.lines().find_map(|line| {
            line.strip_prefix(name)?
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse()
                .ok()
        })
    };
    Some(Memory {
        rss_kib: field("VmRSS:")?,
        hwm_kib: field("VmHWM:")?,
    })
}

/// User + system CPU time `pid` has used so far, in seconds.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_cpu_seconds(&stat)
}

/// This process's CPU time, in seconds.
pub fn own_cpu_seconds() -> Option<f64> {
    cpu_seconds(std::process::id())
}

fn parse_cpu_seconds(stat: &str) -> Option<f64> {
    // The command name (field 2) is in parentheses and may contain spaces
    // and parentheses; the fields after the last ')' start at field 3.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    // utime and stime are fields 14 and 15, i.e. the 12th and 13th after ')'.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / TICKS_PER_SECOND)
}

/// This process's soft and hard limits on open files (`ulimit -n`).
pub fn open_files_limit() -> Option<(u64, u64)> {
    let limits = fs::read_to_string("/proc/self/limits").ok()?;
    parse_open_files_limit(&limits)
}

fn parse_open_files_limit(limits: &str) -> Option<(u64, u64)> {
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    let mut numbers = line["Max open files".len()..]
        .split_whitespace()
        .map(|n| match n {
            "unlimited" => Some(u64::MAX),
            n => n.parse().ok(),
        });
    Some((numbers.next()??, numbers.next()??))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status() {
        let status = "Name:\tnode\nVmPeak:\t  900 kB\nVmHWM:\t   81234 kB\nVmRSS:\t   80000 kB\nThreads:\t7\n";
        assert_eq!(
            parse_memory(status),
            Some(Memory {
                rss_kib: 80000,
                hwm_kib: 81234
            })
        );
        assert_eq!(parse_memory("Name:\tkthreadd\n"), None);
    }

    #[test]
    fn parses_stat_with_awkward_names() {
        let stat =
            "4242 (a) b (c) S 1 4242 4242 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 7 0 100 1000 200";
        assert_eq!(parse_cpu_seconds(stat), Some(3.0));
    }

    #[test]
    fn parses_limits() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max open files            1024                 524288               files     \n";
        assert_eq!(parse_open_files_limit(limits), Some((1024, 524288)));
    }

    #[test]
    fn reads_this_process() {
        assert!(memory(std::process::id()).is_some_and(|m| m.rss_kib > 0));
        assert!(own_cpu_seconds().is_some());
        assert!(open_files_limit().is_some());
    }
}
