//! The delivery-counting scenarios: `fanout`, `rooms` and `redis-fanout`. Senders emit
//! `--rounds` broadcasts back-to-back; every receiving socket checks it gets each round of its
//! group exactly once and in order, and nothing else.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use serde_json::json;
use tokio::sync::Notify;

use super::{Crowd, Member, Options, Stage, await_ack};
use crate::client::{Target, Transport};
use crate::proto::{self, SioKind};
use crate::report::Report;
use crate::socket::{Packet, SocketClient};
use crate::stats::Latencies;

/// How long connecting every socket may take.
const SETUP_TIMEOUT: Duration = Duration::from_secs(300);
/// How long the Redis cluster may take to deliver a probe to every socket.
const PROBE_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a probe is sent until one reaches every socket.
const PROBE_EVERY: Duration = Duration::from_millis(500);
/// How long after the last expected delivery the sockets keep checking for extra ones.
const GRACE: Duration = Duration::from_millis(300);
/// The rooms of `rooms`.
const ROOMS: usize = 10;

/// The shape of one delivery scenario.
struct Plan {
    /// Groups (rooms); a plain broadcast is one group.
    groups: usize,
    /// Join room `room-<group>` before the run.
    rooms: bool,
    /// Where the counted sockets connect.
    receivers: Target,
    /// Where the extra sender connects, if the sender is not one of the counted sockets
    /// (redis-fanout); also turns on the readiness probes.
    external_sender: Option<Target>,
}

/// What one client does.
#[derive(Debug, Clone, Copy)]
struct Role {
    group: usize,
    /// Sends its group's rounds.
    sends: bool,
    /// Its deliveries count toward `delivered` (the external sender's do not).
    counted: bool,
}

/// What the clients share.
struct Shared {
    rounds: u64,
    rooms: bool,
    /// The origin of the timestamps below.
    base: Instant,
    /// When each (group, round) was sent: nanoseconds since `base`, plus one (0: not yet).
    sent_at: Vec<AtomicU64>,
    /// The last delivery, nanoseconds since `base`.
    last_delivery: AtomicU64,
    delivered: AtomicU64,
    sender_delivered: AtomicU64,
    /// Sockets that have received all their rounds.
    complete: AtomicUsize,
    complete_changed: Notify,
    /// Sockets that have received a probe.
    probed: AtomicUsize,
    probed_changed: Notify,
    latencies: Latencies,
}

impl Shared {
    fn since_base(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// `fanout`: one of the sockets broadcasts to all of them.
pub async fn fanout(options: &Arc<Options>) -> Result<Report> {
    let plan = Plan {
        groups: 1,
        rooms: false,
        receivers: options.target.clone(),
        external_sender: None,
    };
    run(options, plan).await
}

/// `rooms`: ten rooms, the first member of each broadcasts to its room.
pub async fn rooms(options: &Arc<Options>) -> Result<Report> {
    ensure!(
        options.conns >= ROOMS,
        "rooms needs at least {ROOMS} sockets"
    );
    let plan = Plan {
        groups: ROOMS,
        rooms: true,
        receivers: options.target.clone(),
        external_sender: None,
    };
    run(options, plan).await
}

/// `redis-fanout`: the sockets on `--url2` count what a sender on `--url` broadcasts.
pub async fn redis_fanout(options: &Arc<Options>) -> Result<Report> {
    let receivers = options
        .target2
        .clone()
        .context("redis-fanout needs --url2")?;
    let plan = Plan {
        groups: 1,
        rooms: false,
        receivers,
        external_sender: Some(options.target.clone()),
    };
    run(options, plan).await
}

async fn run(options: &Arc<Options>, plan: Plan) -> Result<Report> {
    ensure!(!options.raw, "floor mode (--raw) has no broadcasts");
    ensure!(
        options.transport == Transport::Websocket,
        "the delivery scenarios are WebSocket only"
    );
    ensure!(options.conns > 0, "--conns must be more than 0");
    let rounds = options.rounds;
    let shared = Arc::new(Shared {
        rounds,
        rooms: plan.rooms,
        base: Instant::now(),
        sent_at: (0..plan.groups as u64 * rounds)
            .map(|_| AtomicU64::new(0))
            .collect(),
        last_delivery: AtomicU64::new(0),
        delivered: AtomicU64::new(0),
        sender_delivered: AtomicU64::new(0),
        complete: AtomicUsize::new(0),
        complete_changed: Notify::new(),
        probed: AtomicUsize::new(0),
        probed_changed: Notify::new(),
        latencies: Latencies::new()?,
    });

    let mut crowd = Crowd::new(options.connect_concurrency);
    for i in 0..options.conns {
        let group = i % plan.groups;
        let role = Role {
            group,
            sends: plan.external_sender.is_none() && i == group,
            counted: true,
        };
        let (target, shared) = (plan.receivers.clone(), shared.clone());
        crowd.spawn(move |member| client(member, target, shared, role));
    }
    if let Some(target) = plan.external_sender.clone() {
        let role = Role {
            group: 0,
            sends: true,
            counted: false,
        };
        let shared = shared.clone();
        crowd.spawn(move |member| client(member, target, shared, role));
    }
    let sockets = options.conns + usize::from(plan.external_sender.is_some());
    eprintln!("connecting {sockets} sockets");
    crowd
        .wait_ready(SETUP_TIMEOUT)
        .await
        .context("connecting the sockets")?;

    if plan.external_sender.is_some() {
        eprintln!("probing the cluster");
        crowd.advance(Stage::Probe);
        let all_probed = async {
            while shared.probed.load(Ordering::Acquire) < options.conns {
                shared.probed_changed.notified().await;
            }
        };
        if !crowd.wait_for(all_probed, PROBE_TIMEOUT).await? {
            bail!(
                "the cluster is not ready: after {PROBE_TIMEOUT:?} only {} of {} sockets got a probe broadcast",
                shared.probed.load(Ordering::Acquire),
                options.conns
            );
        }
    }

    let expected = options.conns as u64 * rounds;
    eprintln!("sending {rounds} rounds per group ({expected} deliveries expected)");
    let cpu_before = super::cpu_sample(options)?;
    crowd.advance(Stage::Run);
    let all_complete = async {
        while shared.complete.load(Ordering::Acquire) < sockets {
            shared.complete_changed.notified().await;
        }
    };
    if !crowd.wait_for(all_complete, options.timeout).await? {
        bail!(
            "deliveries missing after {:?}: {} of {expected} delivered; {} of {sockets} sockets got all their rounds",
            options.timeout,
            shared.delivered.load(Ordering::Acquire),
            shared.complete.load(Ordering::Acquire)
        );
    }
    let cpu_after = super::cpu_sample(options)?;
    // Catch duplicates that arrive just after the count is complete.
    crowd.wait_for(std::future::pending(), GRACE).await?;
    crowd
        .join(Duration::from_secs(30))
        .await
        .context("closing the sockets")?;

    let first_send = shared
        .sent_at
        .iter()
        .map(|sent| sent.load(Ordering::Acquire))
        .filter(|&sent| sent > 0)
        .min()
        .map_or(0, |sent| sent - 1);
    let last = shared.last_delivery.load(Ordering::Acquire);
    let seconds = Duration::from_nanos(last.saturating_sub(first_send)).as_secs_f64();
    let delivered = shared.delivered.load(Ordering::Acquire);

    let mut report = options.report();
    report.set_ops(delivered, seconds);
    report.set_latency(shared.latencies.summary());
    report.expected = Some(expected);
    report.delivered = Some(delivered);
    report.extra("rounds", rounds);
    report.extra("groups", plan.groups);
    if plan.external_sender.is_some() {
        report.extra(
            "sender_delivered",
            shared.sender_delivered.load(Ordering::Acquire),
        );
    }
    super::finish_server_stats(options, &mut report, cpu_before, cpu_after)?;
    Ok(report)
}

/// One socket: connect (and join its room), then send and/or count its group's rounds.
async fn client(mut member: Member, target: Target, shared: Arc<Shared>, role: Role) -> Result<()> {
    let index = member.index;
    let mut socket = member
        .connect(async {
            let mut socket = SocketClient::connect(&target, Transport::Websocket).await?;
            if shared.rooms {
                join(&mut socket, role.group).await?;
            }
            Ok(socket)
        })
        .await
        .with_context(|| format!("socket {index}"))?;
    member.ready();
    run_client(&mut member, &mut socket, &shared, role)
        .await
        .with_context(|| format!("socket {index} (group {})", role.group))?;
    socket.close().await
}

async fn run_client(
    member: &mut Member,
    socket: &mut SocketClient,
    shared: &Shared,
    role: Role,
) -> Result<()> {
    let mut probed = false;
    let mut on_probe = |packet: Packet| -> Result<()> {
        if let Some(round) = bc(&packet)? {
            ensure!(
                round.probe.is_some(),
                "a broadcast arrived before the run: {}",
                packet.data
            );
            if role.counted && !probed {
                probed = true;
                shared.probed.fetch_add(1, Ordering::AcqRel);
                shared.probed_changed.notify_one();
            }
        }
        Ok(())
    };
    if role.sends && !role.counted {
        // The external sender probes until the cluster delivers to every socket.
        member
            .idle(socket, Stage::Probe, None, &mut on_probe)
            .await?;
        for probe in 0.. {
            let data = json!(["broadcast", { "probe": probe }]);
            socket
                .emit(proto::encode_event(None, 0, &data), &[])
                .await?;
            let deadline = Instant::now() + PROBE_EVERY;
            if member
                .idle(socket, Stage::Run, Some(deadline), &mut on_probe)
                .await?
            {
                break;
            }
        }
    } else {
        member.idle(socket, Stage::Run, None, &mut on_probe).await?;
    }

    if role.sends {
        send_rounds(socket, shared, role.group).await?;
    }
    count_rounds(socket, shared, role).await?;
    member
        .idle(socket, Stage::Finish, None, |packet| match bc(&packet)? {
            Some(round) if round.probe.is_none() => {
                bail!("an extra delivery after all rounds: {}", packet.data)
            }
            _ => Ok(()),
        })
        .await?;
    Ok(())
}

/// Joins `room-<group>` and checks the ack names it.
async fn join(socket: &mut SocketClient, group: usize) -> Result<()> {
    let room = format!("room-{group}");
    socket
        .emit(proto::encode_event(Some(1), 0, &json!(["join", room])), &[])
        .await?;
    let ack = await_ack(socket, 1).await?;
    let expected = json!([room]).to_string();
    ensure!(
        ack.kind == SioKind::Ack && proto::same_json(&ack.data, &expected),
        "the join ack is {}, expected {expected}",
        proto::truncate(&ack.data)
    );
    Ok(())
}

/// Emits the group's rounds back-to-back.
async fn send_rounds(socket: &mut SocketClient, shared: &Shared, group: usize) -> Result<()> {
    for round in 0..shared.rounds {
        let data = json!({ "group": group, "round": round });
        let args = if shared.rooms {
            json!(["room-broadcast", format!("room-{group}"), data])
        } else {
            json!(["broadcast", data])
        };
        let slot = &shared.sent_at[group * shared.rounds as usize + round as usize];
        slot.store(shared.since_base() + 1, Ordering::Release);
        socket
            .emit(proto::encode_event(None, 0, &args), &[])
            .await?;
    }
    Ok(())
}

/// Receives the group's rounds, each once and in order.
async fn count_rounds(socket: &mut SocketClient, shared: &Shared, role: Role) -> Result<()> {
    let mut next = 0;
    while next < shared.rounds {
        let packet = socket.recv().await?;
        let Some(round) = bc(&packet)? else { continue };
        if round.probe.is_some() {
            continue;
        }
        let group = round.group.unwrap_or(0);
        ensure!(
            group == role.group as u64,
            "a broadcast of group {group}: {}",
            packet.data
        );
        let number = round.round.context("a bc event without a round")?;
        ensure!(
            number == next,
            "got round {number}, expected round {next} ({})",
            if number < next {
                "a duplicate"
            } else {
                "rounds missing or out of order"
            }
        );
        next += 1;
        if !role.counted {
            shared.sender_delivered.fetch_add(1, Ordering::AcqRel);
            continue;
        }
        let now = shared.since_base();
        let index = role.group * shared.rounds as usize + number as usize;
        let sent = shared.sent_at[index].load(Ordering::Acquire);
        if sent > 0 {
            shared
                .latencies
                .record(Duration::from_nanos(now.saturating_sub(sent - 1)));
        }
        shared.last_delivery.fetch_max(now, Ordering::AcqRel);
        shared.delivered.fetch_add(1, Ordering::AcqRel);
    }
    shared.complete.fetch_add(1, Ordering::AcqRel);
    shared.complete_changed.notify_one();
    Ok(())
}

/// The `bc` payload of an event packet, `None` for other packets and events.
fn bc(packet: &Packet) -> Result<Option<proto::Round>> {
    match packet.kind {
        SioKind::Event => proto::decode_bc(&packet.data),
        SioKind::BinaryEvent => bail!("unexpected binary event {}", packet.data),
        _ => Ok(None),
    }
}
