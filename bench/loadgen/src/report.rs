//! The one-line JSON object each run prints.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::stats::Summary;

/// A run's results. Fields that do not apply are `null`.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// The scenario's name.
    pub scenario: &'static str,
    /// `websocket`, `polling`, or `raw` (floor mode).
    pub transport: &'static str,
    /// Sockets (simulated clients) the scenario used.
    pub conns: usize,
    /// Operations completed in the measured window.
    pub ops: u64,
    /// The measured window, seconds.
    pub seconds: f64,
    /// `ops / seconds`.
    pub ops_per_sec: f64,
    /// Latency percentiles, microseconds.
    pub p50_us: Option<u64>,
    /// 99th percentile.
    pub p99_us: Option<u64>,
    /// 99.9th percentile.
    pub p999_us: Option<u64>,
    /// Largest latency.
    pub max_us: Option<u64>,
    /// Mean latency.
    pub mean_us: Option<f64>,
    /// Deliveries expected (delivery-counting scenarios).
    pub expected: Option<u64>,
    /// Deliveries counted.
    pub delivered: Option<u64>,
    /// Failed operations or connections (any makes the run fail).
    pub errors: u64,
    /// The first error, when the run failed.
    pub error: Option<String>,
    /// The server's user + system CPU time over the measured window (`--server-pid`).
    pub server_cpu_seconds: Option<f64>,
    /// `server_cpu_seconds` per operation, microseconds.
    pub server_cpu_us_per_op: Option<f64>,
    /// The load generator's CPU time over the measured window as a share of one core: near
    /// 1.0, the generator, not the server, limited the rate.
    pub loadgen_cpu_share: Option<f64>,
    /// The server's resident memory at the end, KiB.
    pub server_rss_kib: Option<u64>,
    /// Scenario-specific fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Report {
    /// A report for `scenario` before anything ran.
    pub fn new(scenario: &'static str, transport: &'static str, conns: usize) -> Self {
        Report {
            scenario,
            transport,
            conns,
            ..Report::default()
        }
    }

    /// Sets the operation count and window, and the rate.
    pub fn set_ops(&mut self, ops: u64, seconds: f64) {
        self.ops = ops;
        self.seconds = round(seconds, 6);
        self.ops_per_sec = if seconds > 0.0 {
            round(ops as f64 / seconds, 1)
        } else {
            0.0
        };
    }

    /// Sets the latency fields.
    pub fn set_latency(&mut self, summary: Option<Summary>) {
        if let Some(summary) = summary {
            self.p50_us = Some(summary.p50);
            self.p99_us = Some(summary.p99);
            self.p999_us = Some(summary.p999);
            self.max_us = Some(summary.max);
            self.mean_us = Some(round(summary.mean, 1));
        }
    }

    /// Sets the server's CPU time over the window (call after [`Report::set_ops`]).
    pub fn set_server_cpu(&mut self, seconds: f64) {
        self.server_cpu_seconds = Some(round(seconds, 3));
        self.server_cpu_us_per_op =
            (self.ops > 0).then(|| round(seconds * 1e6 / self.ops as f64, 3));
    }

    /// Adds a scenario-specific field.
    pub fn extra(&mut self, key: &str, value: impl Into<Value>) {
        self.extra.insert(key.to_owned(), value.into());
    }
}

/// `value` rounded to `decimals` places (so the JSON stays short).
pub fn round(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}
