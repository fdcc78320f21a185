//! The scenarios, and the [`Crowd`] of client tasks they are made of: one tokio task per
//! simulated client, moved through [`Stage`]s together by the scenario.

mod broadcast;
mod connect_rate;
mod echo;
mod idle_memory;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio::task::JoinSet;

use crate::client::{RawWs, Target, Transport};
use crate::proto::{self, Message, SioKind};
use crate::report::{Report, round};
use crate::socket::{Packet, SocketClient};
use crate::stats::Process;

/// How long one connection (handshake and namespace connect) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// How long one acknowledgement may take.
const ACK_TIMEOUT: Duration = Duration::from_secs(10);

/// The scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// Every client loops `message-with-ack` round trips.
    Echo,
    /// `echo` with a binary attachment of `--size` bytes.
    BinaryEcho,
    /// One socket broadcasts `--rounds` times to all the others.
    Fanout,
    /// Ten rooms, one broadcaster in each.
    Rooms,
    /// The server's memory per idle socket, and after they leave.
    IdleMemory,
    /// Connections opened per second.
    ConnectRate,
    /// `fanout` across two servers of a Redis cluster.
    RedisFanout,
}

impl Scenario {
    /// The name the report uses.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Echo => "echo",
            Scenario::BinaryEcho => "binary-echo",
            Scenario::Fanout => "fanout",
            Scenario::Rooms => "rooms",
            Scenario::IdleMemory => "idle-memory",
            Scenario::ConnectRate => "connect-rate",
            Scenario::RedisFanout => "redis-fanout",
        }
    }

    /// The socket count when `--conns` is not given.
    pub fn default_conns(self) -> usize {
        match self {
            Scenario::Echo | Scenario::BinaryEcho => 100,
            Scenario::Fanout | Scenario::Rooms | Scenario::RedisFanout => 1000,
            Scenario::IdleMemory => 10_000,
            Scenario::ConnectRate => 2000,
        }
    }
}

/// A run's settings, from the command line.
#[derive(Debug, Clone)]
pub struct Options {
    /// What to run.
    pub scenario: Scenario,
    /// The server (`--url`).
    pub target: Target,
    /// The second server of `redis-fanout` (`--url2`).
    pub target2: Option<Target>,
    /// The server process to measure (`--server-pid`).
    pub server: Option<Process>,
    /// The load generator itself: its CPU share shows whether it, not the server, was the limit.
    pub own: Process,
    /// Sockets.
    pub conns: usize,
    /// The measured window of the echo scenarios.
    pub duration: Duration,
    /// The warm-up before it.
    pub warmup: Duration,
    /// Broadcasts per sender.
    pub rounds: u64,
    /// The binary attachment's size.
    pub size: usize,
    /// WebSocket or long-polling.
    pub transport: Transport,
    /// Floor mode: bare WebSocket, no Engine.IO.
    pub raw: bool,
    /// Connections in flight at a time in `connect-rate`.
    pub concurrency: usize,
    /// Connections in flight at a time while the other scenarios set up.
    pub connect_concurrency: usize,
    /// How long deliveries may take.
    pub timeout: Duration,
}

impl Options {
    /// The transport's name in the report.
    pub fn transport_name(&self) -> &'static str {
        if self.raw {
            "raw"
        } else {
            self.transport.name()
        }
    }

    /// A report for this run with the common fields filled in.
    pub fn report(&self) -> Report {
        Report::new(self.scenario.name(), self.transport_name(), self.conns)
    }
}

/// Runs the scenario.
pub async fn run(options: Options) -> Result<Report> {
    let options = Arc::new(options);
    match options.scenario {
        Scenario::Echo => echo::run(&options, false).await,
        Scenario::BinaryEcho => echo::run(&options, true).await,
        Scenario::Fanout => broadcast::fanout(&options).await,
        Scenario::Rooms => broadcast::rooms(&options).await,
        Scenario::RedisFanout => broadcast::redis_fanout(&options).await,
        Scenario::IdleMemory => idle_memory::run(&options).await,
        Scenario::ConnectRate => connect_rate::run(&options).await,
    }
}

/// Where a crowd is; every client moves on when the scenario says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// Connecting (and joining rooms).
    Setup,
    /// Checking that the cluster delivers (redis-fanout).
    Probe,
    /// The measured part.
    Run,
    /// Wrapping up: clients close their connections.
    Finish,
}

/// The client tasks of a scenario.
pub struct Crowd<R> {
    tasks: JoinSet<Result<R>>,
    ready_tx: mpsc::UnboundedSender<()>,
    ready_rx: mpsc::UnboundedReceiver<()>,
    ready: usize,
    stage: watch::Sender<Stage>,
    permits: Arc<Semaphore>,
    spawned: usize,
}

/// One client's side of its [`Crowd`].
pub struct Member {
    /// The client's number, from 0.
    pub index: usize,
    ready: Option<mpsc::UnboundedSender<()>>,
    stage: watch::Receiver<Stage>,
    permits: Arc<Semaphore>,
}

impl<R: Send + 'static> Crowd<R> {
    /// An empty crowd in which at most `concurrency` clients connect at a time.
    pub fn new(concurrency: usize) -> Self {
        let (ready_tx, ready_rx) = mpsc::unbounded_channel();
        Crowd {
            tasks: JoinSet::new(),
            ready_tx,
            ready_rx,
            ready: 0,
            stage: watch::Sender::new(Stage::Setup),
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            spawned: 0,
        }
    }

    /// Starts a client task.
    pub fn spawn<F, Fut>(&mut self, client: F)
    where
        F: FnOnce(Member) -> Fut,
        Fut: Future<Output = Result<R>> + Send + 'static,
    {
        let member = Member {
            index: self.spawned,
            ready: Some(self.ready_tx.clone()),
            stage: self.stage.subscribe(),
            permits: self.permits.clone(),
        };
        self.spawned += 1;
        self.tasks.spawn(client(member));
    }

    /// Waits until every client called [`Member::ready`]; a client's failure ends the wait
    /// with its error.
    pub async fn wait_ready(&mut self, timeout: Duration) -> Result<()> {
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        while self.ready < self.spawned {
            tokio::select! {
                ready = self.ready_rx.recv() => {
                    ready.context("the ready channel closed")?;
                    self.ready += 1;
                }
                failure = failure(&mut self.tasks) => return Err(failure),
                () = &mut deadline => bail!(
                    "only {} of {} clients were connected after {timeout:?}",
                    self.ready,
                    self.spawned
                ),
            }
        }
        Ok(())
    }

    /// Waits for `done` while watching the clients: `Ok(false)` after `timeout`, the error
    /// of the first client that fails.
    pub async fn wait_for(
        &mut self,
        done: impl Future<Output = ()>,
        timeout: Duration,
    ) -> Result<bool> {
        tokio::select! {
            () = done => Ok(true),
            failure = failure(&mut self.tasks) => Err(failure),
            () = tokio::time::sleep(timeout) => Ok(false),
        }
    }

    /// Sleeps until `instant` while watching the clients (the first failure is the error).
    pub async fn sleep_until(&mut self, instant: Instant) -> Result<()> {
        tokio::select! {
            () = tokio::time::sleep_until(instant.into()) => Ok(()),
            failure = failure(&mut self.tasks) => Err(failure),
        }
    }

    /// Moves every client to `stage`.
    pub fn advance(&self, stage: Stage) {
        self.stage.send_replace(stage);
    }

    /// Moves the clients to [`Stage::Finish`] and collects their results; the first error
    /// stops the others.
    pub async fn join(mut self, timeout: Duration) -> Result<Vec<R>> {
        self.advance(Stage::Finish);
        let mut results = Vec::with_capacity(self.spawned);
        let collect = async {
            while let Some(joined) = self.tasks.join_next().await {
                match joined {
                    Ok(Ok(result)) => results.push(result),
                    Ok(Err(error)) => return Err(error),
                    Err(error) => return Err(anyhow!("a client task failed: {error}")),
                }
            }
            Ok(())
        };
        match tokio::time::timeout(timeout, collect).await {
            Ok(outcome) => outcome?,
            Err(_) => bail!("the clients did not finish within {timeout:?}"),
        }
        Ok(results)
    }
}

/// The first client task to end before it was told to, as an error.
async fn failure<R: 'static>(tasks: &mut JoinSet<Result<R>>) -> anyhow::Error {
    match tasks.join_next().await {
        Some(Ok(Err(error))) => error,
        Some(Ok(Ok(_))) => anyhow!("a client ended before the scenario did"),
        Some(Err(error)) => anyhow!("a client task failed: {error}"),
        None => std::future::pending().await,
    }
}

impl Member {
    /// Runs `connect` holding one of the crowd's connect slots, within the connect timeout.
    pub async fn connect<T>(&self, connect: impl Future<Output = Result<T>>) -> Result<T> {
        let _permit = self.permit().await?;
        with_timeout(CONNECT_TIMEOUT, "connecting", connect).await
    }

    /// One of the crowd's connect slots, held until dropped.
    pub async fn permit(&self) -> Result<OwnedSemaphorePermit> {
        self.permits
            .clone()
            .acquire_owned()
            .await
            .context("the connect slots closed")
    }

    /// Tells the crowd this client is set up.
    pub fn ready(&mut self) {
        if let Some(ready) = self.ready.take() {
            let _ = ready.send(());
        }
    }

    /// Waits for `stage` or `deadline`, reading the connection meanwhile (answering pings)
    /// and handing what arrives to `on_packet`. True when the stage came.
    pub async fn idle<C: Inbound>(
        &mut self,
        conn: &mut C,
        stage: Stage,
        deadline: Option<Instant>,
        mut on_packet: impl FnMut(C::Item) -> Result<()>,
    ) -> Result<bool> {
        let sleep = async {
            match deadline {
                Some(deadline) => tokio::time::sleep_until(deadline.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                biased;
                reached = self.stage.wait_for(|current| *current >= stage) => {
                    reached.map_err(|_| anyhow!("the scenario was aborted"))?;
                    return Ok(true);
                }
                () = &mut sleep => return Ok(false),
                item = conn.recv() => on_packet(item?)?,
            }
        }
    }
}

/// A connection whose incoming side a [`Member`] can watch while idle.
pub trait Inbound {
    /// What it receives.
    type Item;
    /// The next item; cancel-safe.
    fn recv(&mut self) -> impl Future<Output = Result<Self::Item>> + Send;
}

impl Inbound for SocketClient {
    type Item = Packet;
    fn recv(&mut self) -> impl Future<Output = Result<Packet>> + Send {
        SocketClient::recv(self)
    }
}

impl Inbound for RawWs {
    type Item = Message;
    fn recv(&mut self) -> impl Future<Output = Result<Message>> + Send {
        RawWs::recv(self)
    }
}

/// `future`, or an error naming `what` after `timeout`.
pub async fn with_timeout<T>(
    timeout: Duration,
    what: &str,
    future: impl Future<Output = Result<T>>,
) -> Result<T> {
    tokio::time::timeout(timeout, future)
        .await
        .map_err(|_| anyhow!("{what} took longer than {timeout:?}"))?
}

/// A Socket.IO socket, or a bare WebSocket in floor mode.
pub enum Conn {
    /// Socket.IO.
    Socket(SocketClient),
    /// Floor mode.
    Raw(RawWs),
}

impl Conn {
    /// Connects the way the options say (floor mode is WebSocket only).
    pub async fn open(options: &Options, target: &Target) -> Result<Self> {
        Ok(if options.raw {
            Conn::Raw(RawWs::connect(target).await?)
        } else {
            Conn::Socket(SocketClient::connect(target, options.transport).await?)
        })
    }

    /// Waits for `stage` reading the connection; anything that arrives is ignored.
    pub async fn idle(&mut self, member: &mut Member, stage: Stage) -> Result<()> {
        match self {
            Conn::Socket(socket) => member.idle(socket, stage, None, |_| Ok(())).await?,
            Conn::Raw(raw) => member.idle(raw, stage, None, |_| Ok(())).await?,
        };
        Ok(())
    }

    /// Closes cleanly.
    pub async fn close(self) -> Result<()> {
        match self {
            Conn::Socket(socket) => socket.close().await,
            Conn::Raw(raw) => raw.close().await,
        }
    }
}

/// Reads until the acknowledgement `id` arrives (events in between are skipped) and returns
/// it; another ack id is an error.
pub async fn await_ack(socket: &mut SocketClient, id: u64) -> Result<Packet> {
    with_timeout(ACK_TIMEOUT, &format!("the ack of {id}"), async {
        loop {
            let packet = socket.recv().await?;
            match packet.kind {
                SioKind::Ack | SioKind::BinaryAck if packet.id == Some(id) => return Ok(packet),
                SioKind::Ack | SioKind::BinaryAck => {
                    bail!("expected the ack of {id}, got the ack of {:?}", packet.id)
                }
                SioKind::Event | SioKind::BinaryEvent => continue,
                other => bail!(
                    "unexpected {other:?} packet while waiting for an ack: {}",
                    proto::truncate(&packet.data)
                ),
            }
        }
    })
    .await
}

/// The CPU seconds used so far by the server (if one is measured) and the load generator.
#[derive(Debug, Clone, Copy)]
pub struct CpuSample {
    at: Instant,
    server: Option<f64>,
    own: f64,
}

/// Takes a [`CpuSample`] now.
pub fn cpu_sample(options: &Options) -> Result<CpuSample> {
    Ok(CpuSample {
        at: Instant::now(),
        server: options
            .server
            .map(|server| server.cpu_seconds())
            .transpose()?,
        own: options.own.cpu_seconds()?,
    })
}

/// Fills in the CPU used between two samples (the server's time, the load generator's share
/// of its core) and the server's memory.
pub fn finish_server_stats(
    options: &Options,
    report: &mut Report,
    before: CpuSample,
    after: CpuSample,
) -> Result<()> {
    if let (Some(start), Some(end)) = (before.server, after.server) {
        report.set_server_cpu(end - start);
    }
    let elapsed = after.at.duration_since(before.at).as_secs_f64();
    if elapsed > 0.0 {
        report.loadgen_cpu_share = Some(round((after.own - before.own) / elapsed, 2));
    }
    if let Some(server) = options.server {
        report.server_rss_kib = Some(server.rss_kib()?);
    }
    Ok(())
}
