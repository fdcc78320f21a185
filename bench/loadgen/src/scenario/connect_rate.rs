//! `connect-rate`: connections opened per second, `--concurrency` at a time; each is a full
//! Engine.IO handshake and namespace connect (floor mode: the WebSocket upgrade), closed right
//! after.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};

use super::{Conn, Crowd, Options, with_timeout};
use crate::client::Transport;
use crate::report::Report;
use crate::stats::Latencies;

/// Runs the scenario.
pub async fn run(options: &Arc<Options>) -> Result<Report> {
    ensure!(
        options.transport == Transport::Websocket,
        "connect-rate is WebSocket only"
    );
    let latencies = Latencies::new()?;
    let mut crowd = Crowd::new(options.concurrency);
    eprintln!(
        "opening {} connections, {} at a time",
        options.conns, options.concurrency
    );
    let cpu_before = super::cpu_sample(options)?;
    let start = Instant::now();
    for _ in 0..options.conns {
        let (options, latencies) = (options.clone(), latencies.clone());
        crowd.spawn(move |member| async move {
            let permit = member.permit().await?;
            let begun = Instant::now();
            let conn = with_timeout(
                super::CONNECT_TIMEOUT,
                "connecting",
                Conn::open(&options, &options.target),
            )
            .await
            .with_context(|| format!("connection {}", member.index))?;
            latencies.record(begun.elapsed());
            // The slot is for opening; closing happens beside the next ones.
            drop(permit);
            conn.close()
                .await
                .with_context(|| format!("closing connection {}", member.index))
        });
    }
    let done = crowd
        .join(Duration::from_secs(600))
        .await
        .context("opening the connections")?;
    let seconds = start.elapsed().as_secs_f64();
    let cpu_after = super::cpu_sample(options)?;

    let mut report = options.report();
    report.set_ops(done.len() as u64, seconds);
    report.set_latency(latencies.summary());
    report.extra("concurrency", options.concurrency);
    super::finish_server_stats(options, &mut report, cpu_before, cpu_after)?;
    Ok(report)
}
