//! `loadgen`, the load generator of ferrio's benchmark suite. It speaks Engine.IO v4 /
//! Socket.IO v5 itself, over WebSocket and HTTP long-polling, one tokio task per simulated
//! client, and prints one JSON object on one line to stdout (progress goes to stderr).
//!
//! ```text
//! loadgen echo --url http://127.0.0.1:3000 --conns 1000 --server-pid 1234
//! ```
//!
//! It exits with status 1, after printing the JSON object with `error` set, if a connection
//! fails, a delivery is missing, or an acknowledgement is wrong.

mod client;
mod proto;
mod report;
mod scenario;
mod socket;
mod stats;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use clap::Parser;

use crate::client::{Target, Transport};
use crate::report::Report;
use crate::scenario::{Options, Scenario};
use crate::stats::Process;

/// The command line.
#[derive(Debug, Parser)]
#[command(version, about = "Socket.IO load generator for ferrio's benchmarks")]
struct Cli {
    /// The scenario to run.
    #[arg(value_enum)]
    scenario: Scenario,
    /// The server, `http://127.0.0.1:PORT`.
    #[arg(long)]
    url: String,
    /// The second server of a Redis cluster (redis-fanout's receivers).
    #[arg(long)]
    url2: Option<String>,
    /// The server's process id: its CPU time and memory are reported.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Sockets (default: echo 100, fanout/rooms/redis-fanout 1000, connect-rate 2000,
    /// idle-memory 10000).
    #[arg(long)]
    conns: Option<usize>,
    /// The measured window of echo and binary-echo, seconds.
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// The warm-up before it, seconds.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Broadcasts per sender (fanout, rooms, redis-fanout).
    #[arg(long, default_value_t = 200)]
    rounds: u64,
    /// The binary attachment of binary-echo, bytes.
    #[arg(long, default_value_t = 65536)]
    size: usize,
    /// The Engine.IO transport (echo and binary-echo).
    #[arg(long, value_enum, default_value_t = Transport::Websocket)]
    transport: Transport,
    /// Floor mode: the server is a bare WebSocket echo server at `/`.
    #[arg(long)]
    raw: bool,
    /// Connections in flight at a time in connect-rate.
    #[arg(long, default_value_t = 50)]
    concurrency: usize,
    /// Connections in flight at a time while the other scenarios connect their sockets.
    #[arg(long, default_value_t = 200)]
    connect_concurrency: usize,
    /// How long the delivery scenarios wait for missing deliveries, seconds.
    #[arg(long, default_value_t = 60.0)]
    timeout: f64,
    /// Runtime worker threads: 1 is a current-thread runtime (best when pinned to one core).
    #[arg(long, env = "LOADGEN_THREADS", default_value_t = 1)]
    threads: usize,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let scenario = cli.scenario;
    let conns = cli.conns.unwrap_or(cli.scenario.default_conns());
    let transport = if cli.raw { "raw" } else { cli.transport.name() };
    let report = match start(cli, conns) {
        Ok(report) => report,
        Err(error) => {
            let mut report = Report::new(scenario.name(), transport, conns);
            report.errors = 1;
            report.error = Some(format!("{error:#}"));
            report
        }
    };
    match serde_json::to_string(&report) {
        Ok(json) => println!("{json}"),
        Err(error) => eprintln!("loadgen: cannot print the report: {error}"),
    }
    match &report.error {
        Some(error) => {
            eprintln!("loadgen: FAILED: {error}");
            ExitCode::FAILURE
        }
        None => ExitCode::SUCCESS,
    }
}

/// Builds the runtime and runs the scenario.
fn start(cli: Cli, conns: usize) -> Result<Report> {
    let fds = raise_open_file_limit()?;
    check_capacity(&cli, conns, fds)?;
    let runtime = if cli.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(cli.threads)
            .enable_all()
            .build()?
    };
    runtime.block_on(async {
        let options = options(&cli, conns).await?;
        scenario::run(options).await
    })
}

/// The scenario's settings from the command line.
async fn options(cli: &Cli, conns: usize) -> Result<Options> {
    let seconds = |value: f64, flag: &str| {
        Duration::try_from_secs_f64(value).with_context(|| format!("bad --{flag} {value}"))
    };
    let target2 = match &cli.url2 {
        Some(url) => Some(Target::resolve(url).await?),
        None => None,
    };
    Ok(Options {
        scenario: cli.scenario,
        target: Target::resolve(&cli.url).await?,
        target2,
        server: cli.server_pid.map(Process::new).transpose()?,
        own: Process::own()?,
        conns,
        duration: seconds(cli.duration, "duration")?,
        warmup: seconds(cli.warmup, "warmup")?,
        rounds: cli.rounds,
        size: cli.size,
        transport: cli.transport,
        raw: cli.raw,
        concurrency: cli.concurrency.max(1),
        connect_concurrency: cli.connect_concurrency.max(1),
        timeout: seconds(cli.timeout, "timeout")?,
    })
}

/// Raises the soft open-file limit to the hard one; returns the new limit.
fn raise_open_file_limit() -> Result<u64> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if let Some(hard) = limit.maximum
        && limit.current.is_some_and(|soft| soft < hard)
    {
        setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(hard),
                maximum: Some(hard),
            },
        )
        .context("raising the open-file limit")?;
    }
    Ok(getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX))
}

/// Refuses runs that cannot have enough file descriptors or ephemeral ports.
fn check_capacity(cli: &Cli, conns: usize, fds: u64) -> Result<()> {
    let per_client = if cli.transport == Transport::Polling {
        2
    } else {
        1
    };
    let sockets = (conns as u64 + 1) * per_client;
    ensure!(
        sockets + 64 <= fds,
        "{sockets} sockets need more than the open-file limit of {fds} (raise `ulimit -Hn`)"
    );
    if let Ok(range) = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range") {
        let bounds: Vec<u64> = range
            .split_whitespace()
            .filter_map(|n| n.parse().ok())
            .collect();
        if let [low, high] = bounds[..] {
            let ports = high.saturating_sub(low) + 1;
            if sockets > ports {
                bail!(
                    "{sockets} sockets need more than the {ports} ephemeral ports ({low}-{high})"
                );
            }
        }
    }
    Ok(())
}
