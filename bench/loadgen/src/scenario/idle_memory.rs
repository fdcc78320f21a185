//! `idle-memory`: the server's resident memory per idle socket, and whether it comes back
//! down once the sockets leave (two connect-and-leave cycles).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};

use super::{Conn, Crowd, Options, Stage};
use crate::client::Transport;
use crate::report::Report;
use crate::stats::{Latencies, Process};

/// How long the server is left to settle before its memory is read.
const SETTLE: Duration = Duration::from_secs(2);
/// How long connecting every socket may take.
const SETUP_TIMEOUT: Duration = Duration::from_secs(300);

/// The server's memory in one cycle.
struct Cycle {
    connected_kib: u64,
    after_leave_kib: u64,
    connect_seconds: f64,
}

/// Runs the scenario.
pub async fn run(options: &Arc<Options>) -> Result<Report> {
    let server = options.server.context("idle-memory needs --server-pid")?;
    ensure!(
        options.transport == Transport::Websocket,
        "idle-memory is WebSocket only"
    );
    ensure!(options.conns > 0, "--conns must be more than 0");
    let latencies = Latencies::new()?;
    let cpu_before = super::cpu_sample(options)?;
    let baseline_kib = server.rss_kib()?;
    eprintln!("server RSS before: {baseline_kib} KiB");
    let first = cycle(options, server, &latencies)
        .await
        .context("the first cycle")?;
    let second = cycle(options, server, &latencies)
        .await
        .context("the second cycle")?;
    let cpu_after = super::cpu_sample(options)?;

    let conns = options.conns as u64;
    let mut report = options.report();
    report.set_ops(2 * conns, first.connect_seconds + second.connect_seconds);
    report.set_latency(latencies.summary());
    super::finish_server_stats(options, &mut report, cpu_before, cpu_after)?;
    let per_socket = (first.connected_kib as f64 - baseline_kib as f64) / conns as f64;
    report.extra("rss_baseline_kib", baseline_kib);
    report.extra("rss_connected_kib", first.connected_kib);
    report.extra("kib_per_socket", crate::report::round(per_socket, 2));
    report.extra("rss_after_leave_kib", first.after_leave_kib);
    report.extra("rss_connected_second_kib", second.connected_kib);
    report.extra("rss_after_second_cycle_kib", second.after_leave_kib);
    Ok(report)
}

/// Connects every socket, reads the memory, closes them all, reads it again.
async fn cycle(options: &Arc<Options>, server: Process, latencies: &Latencies) -> Result<Cycle> {
    let start = Instant::now();
    let mut crowd = Crowd::new(options.connect_concurrency);
    for _ in 0..options.conns {
        let (options, latencies) = (options.clone(), latencies.clone());
        crowd.spawn(move |mut member| async move {
            let begun = Instant::now();
            let mut conn = member
                .connect(Conn::open(&options, &options.target))
                .await
                .with_context(|| format!("socket {}", member.index))?;
            latencies.record(begun.elapsed());
            member.ready();
            conn.idle(&mut member, Stage::Finish).await?;
            conn.close().await
        });
    }
    eprintln!("connecting {} sockets", options.conns);
    crowd.wait_ready(SETUP_TIMEOUT).await?;
    let connect_seconds = start.elapsed().as_secs_f64();
    crowd.sleep_until(Instant::now() + SETTLE).await?;
    let connected_kib = server.rss_kib()?;
    eprintln!(
        "server RSS with {} sockets: {connected_kib} KiB (connected in {connect_seconds:.2} s)",
        options.conns
    );
    crowd
        .join(Duration::from_secs(120))
        .await
        .context("closing the sockets")?;
    tokio::time::sleep(SETTLE).await;
    let after_leave_kib = server.rss_kib()?;
    eprintln!("server RSS after they left: {after_leave_kib} KiB");
    Ok(Cycle {
        connected_kib,
        after_leave_kib,
        connect_seconds,
    })
}
