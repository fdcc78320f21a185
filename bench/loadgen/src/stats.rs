//! Measurements: latency histograms and the server process's CPU time and memory from
//! `/proc`.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use hdrhistogram::Histogram;

/// A latency histogram in microseconds, shared by every client task.
#[derive(Clone)]
pub struct Latencies(Arc<Mutex<Histogram<u64>>>);

/// The summary of a [`Latencies`] the report prints.
#[derive(Debug, Default, Clone, Copy)]
pub struct Summary {
    /// Median, microseconds.
    pub p50: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Largest.
    pub max: u64,
    /// Mean.
    pub mean: f64,
}

impl Latencies {
    /// An empty histogram (1 µs to 1 hour, 3 significant digits).
    pub fn new() -> Result<Self> {
        let histogram = Histogram::new_with_bounds(1, 3_600_000_000, 3)
            .map_err(|error| anyhow!("creating a histogram: {error}"))?;
        Ok(Latencies(Arc::new(Mutex::new(histogram))))
    }

    /// Records one latency (values past the range are clamped).
    pub fn record(&self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .saturating_record(micros);
    }

    /// The percentiles, `None` when nothing was recorded.
    pub fn summary(&self) -> Option<Summary> {
        let histogram = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        (!histogram.is_empty()).then(|| Summary {
            p50: histogram.value_at_quantile(0.5),
            p99: histogram.value_at_quantile(0.99),
            p999: histogram.value_at_quantile(0.999),
            max: histogram.max(),
            mean: histogram.mean(),
        })
    }
}

/// A process being measured: the server, or the load generator itself.
#[derive(Debug, Clone, Copy)]
pub struct Process {
    pid: u32,
    ticks_per_second: u64,
}

impl Process {
    /// Checks that the process exists.
    pub fn new(pid: u32) -> Result<Self> {
        let process = Process {
            pid,
            ticks_per_second: rustix::param::clock_ticks_per_second().max(1),
        };
        process.cpu_seconds()?;
        Ok(process)
    }

    /// The load generator's own process.
    pub fn own() -> Result<Self> {
        Self::new(std::process::id())
    }

    /// User plus system CPU time so far (`utime + stime` of `/proc/PID/stat`).
    pub fn cpu_seconds(&self) -> Result<f64> {
        let path = format!("/proc/{}/stat", self.pid);
        let stat = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {path}: is the process running?"))?;
        let ticks = parse_cpu_ticks(&stat).with_context(|| format!("cannot parse {path}"))?;
        Ok(ticks as f64 / self.ticks_per_second as f64)
    }

    /// Resident memory (`VmRSS` of `/proc/PID/status`), KiB.
    pub fn rss_kib(&self) -> Result<u64> {
        let path = format!("/proc/{}/status", self.pid);
        let status = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {path}: is the process running?"))?;
        parse_rss_kib(&status).with_context(|| format!("no VmRSS in {path}"))
    }
}

/// `utime + stime` in clock ticks from the text of `/proc/PID/stat`.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    // The command name (field 2) is in parentheses and may hold spaces; the fields after it
    // start with field 3, so utime (14) and stime (15) are the 12th and 13th.
    let (_, after_name) = stat.rsplit_once(')')?;
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// `VmRSS` in KiB from the text of `/proc/PID/status`.
fn parse_rss_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_files() {
        let stat = "4242 (my (odd) server) S 1 4242 4242 0 -1 4194560 300 0 0 0 \
                    150 25 0 0 20 0 3 0 100 1000000 500";
        assert_eq!(parse_cpu_ticks(stat), Some(175));
        assert_eq!(parse_cpu_ticks("garbage"), None);
        let status = "Name:\techo\nVmPeak:\t  2000 kB\nVmRSS:\t    1234 kB\nThreads:\t3\n";
        assert_eq!(parse_rss_kib(status), Some(1234));
        assert_eq!(parse_rss_kib("Name:\techo\n"), None);
    }

    #[test]
    fn summarises_latencies() -> Result<()> {
        let latencies = Latencies::new()?;
        assert!(latencies.summary().is_none());
        for micros in 1..=1000 {
            latencies.record(Duration::from_micros(micros));
        }
        let summary = latencies.summary().ok_or_else(|| anyhow!("empty"))?;
        assert!((499..=501).contains(&summary.p50));
        assert_eq!(summary.max, 1000);
        Ok(())
    }

    #[test]
    fn reads_this_process() -> Result<()> {
        let me = Process::own()?;
        assert!(me.cpu_seconds()? >= 0.0);
        assert!(me.rss_kib()? > 0);
        Ok(())
    }
}
