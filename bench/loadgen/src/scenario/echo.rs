//! `echo` and `binary-echo`: every client loops `message-with-ack` round trips, each
//! waiting for its ack, which must carry the same arguments.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use bytes::Bytes;
use serde_json::json;

use super::{ACK_TIMEOUT, Conn, Crowd, Member, Options, Stage, await_ack, with_timeout};
use crate::client::{RawWs, Transport};
use crate::proto::{self, Message, SioKind};
use crate::report::Report;
use crate::socket::SocketClient;
use crate::stats::Latencies;

/// What the clients share.
struct Shared {
    /// The warm-up's end and the measured window's end, set when the run starts.
    window: OnceLock<(Instant, Instant)>,
    /// Round trips completed in the window.
    ops: AtomicU64,
    latencies: Latencies,
}

/// Runs the scenario; `binary` adds the `--size` attachment.
pub async fn run(options: &Arc<Options>, binary: bool) -> Result<Report> {
    ensure!(
        !(options.raw && options.transport == Transport::Polling),
        "--raw is WebSocket only"
    );
    ensure!(
        !options.duration.is_zero(),
        "--duration must be more than 0"
    );
    let shared = Arc::new(Shared {
        window: OnceLock::new(),
        ops: AtomicU64::new(0),
        latencies: Latencies::new()?,
    });
    let mut crowd = Crowd::new(options.connect_concurrency);
    for _ in 0..options.conns {
        let (options, shared) = (options.clone(), shared.clone());
        crowd.spawn(move |member| client(member, options, shared, binary));
    }
    eprintln!("connecting {} clients", options.conns);
    crowd
        .wait_ready(CONNECT_TIMEOUT_ALL)
        .await
        .context("connecting the clients")?;
    let start = Instant::now();
    let warm_end = start + options.warmup;
    let end = warm_end + options.duration;
    shared
        .window
        .set((warm_end, end))
        .ok()
        .context("the window was already set")?;
    crowd.advance(Stage::Run);
    eprintln!(
        "running: {:?} warm-up, {:?} measured",
        options.warmup, options.duration
    );

    crowd.sleep_until(warm_end).await?;
    let cpu_before = super::cpu_sample(options)?;
    crowd.sleep_until(end).await?;
    let cpu_after = super::cpu_sample(options)?;
    crowd
        .join(ACK_TIMEOUT + Duration::from_secs(10))
        .await
        .context("finishing the round trips")?;

    let mut report = options.report();
    report.set_ops(
        shared.ops.load(Ordering::Relaxed),
        options.duration.as_secs_f64(),
    );
    report.set_latency(shared.latencies.summary());
    super::finish_server_stats(options, &mut report, cpu_before, cpu_after)?;
    if binary {
        report.extra("size", options.size);
    }
    Ok(report)
}

/// How long connecting every client may take.
const CONNECT_TIMEOUT_ALL: Duration = Duration::from_secs(300);

/// One client: connect, wait for the start, loop round trips until the window ends.
async fn client(
    mut member: Member,
    options: Arc<Options>,
    shared: Arc<Shared>,
    binary: bool,
) -> Result<()> {
    let attachment = if binary {
        let mut data = vec![0; options.size];
        getrandom::fill(&mut data).map_err(|error| anyhow::anyhow!("getrandom: {error}"))?;
        Some(Bytes::from(data))
    } else {
        None
    };
    let mut conn = member
        .connect(Conn::open(&options, &options.target))
        .await
        .with_context(|| format!("client {}", member.index))?;
    if let (Conn::Socket(socket), Some(data)) = (&conn, &attachment) {
        let max = socket.handshake().max_payload;
        ensure!(
            max == 0 || data.len() as u64 <= max,
            "--size {} exceeds the server's maxPayload {max}",
            data.len()
        );
    }
    member.ready();
    conn.idle(&mut member, Stage::Run).await?;
    let &(warm_end, end) = shared.window.get().context("the run has no window")?;
    let mut seq = 0;
    while Instant::now() < end {
        seq += 1;
        let sent = Instant::now();
        let round_trip = async {
            match &mut conn {
                Conn::Socket(socket) => socket_round_trip(socket, seq, attachment.as_ref()).await,
                Conn::Raw(raw) => raw_round_trip(raw, seq, attachment.as_ref()).await,
            }
        };
        with_timeout(ACK_TIMEOUT, "a round trip", round_trip)
            .await
            .with_context(|| format!("client {}, round trip {seq}", member.index))?;
        let done = Instant::now();
        if done >= warm_end && done < end {
            shared.latencies.record(done - sent);
            shared.ops.fetch_add(1, Ordering::Relaxed);
        }
    }
    // Close only once the window's server CPU time has been read.
    conn.idle(&mut member, Stage::Finish).await?;
    conn.close().await
}

/// The payload of round trip `seq`.
fn payload(seq: u64) -> serde_json::Value {
    json!({ "seq": seq, "text": "hello world" })
}

/// The event of round trip `seq` (binary when there is an attachment).
fn event(seq: u64, attachment: Option<&Bytes>) -> String {
    match attachment {
        Some(_) => proto::encode_event(
            Some(seq),
            1,
            &json!(["message-with-ack", proto::placeholder(0)]),
        ),
        None => proto::encode_event(Some(seq), 0, &json!(["message-with-ack", payload(seq)])),
    }
}

/// Emits `message-with-ack` and checks the ack echoes it.
async fn socket_round_trip(
    socket: &mut SocketClient,
    seq: u64,
    attachment: Option<&Bytes>,
) -> Result<()> {
    socket
        .emit(
            event(seq, attachment),
            attachment.map(std::slice::from_ref).unwrap_or_default(),
        )
        .await?;
    let ack = await_ack(socket, seq).await?;
    match attachment {
        Some(sent) => {
            let expected = json!([proto::placeholder(0)]).to_string();
            ensure!(
                ack.kind == SioKind::BinaryAck && proto::same_json(&ack.data, &expected),
                "the ack is {:?} {}, expected a binary ack {expected}",
                ack.kind,
                proto::truncate(&ack.data)
            );
            ensure!(
                ack.attachments.len() == 1 && ack.attachments[0] == sent,
                "the ack's attachment differs from the one sent ({} attachment(s), {} bytes, {} sent)",
                ack.attachments.len(),
                ack.attachments.first().map_or(0, Bytes::len),
                sent.len()
            );
        }
        None => {
            let expected = json!([payload(seq)]).to_string();
            ensure!(
                ack.kind == SioKind::Ack && proto::same_json(&ack.data, &expected),
                "the ack did not echo the payload: got {:?} {}, expected {expected}",
                ack.kind,
                proto::truncate(&ack.data)
            );
        }
    }
    Ok(())
}

/// Floor mode: sends the frames an emit would be, and waits for as many back.
async fn raw_round_trip(raw: &mut RawWs, seq: u64, attachment: Option<&Bytes>) -> Result<()> {
    let mut frames = vec![Message::Text(format!("4{}", event(seq, attachment)))];
    frames.extend(attachment.cloned().map(Message::Binary));
    let count = frames.len();
    raw.send(frames).await?;
    for _ in 0..count {
        if let Message::Binary(data) = raw.recv().await? {
            match attachment {
                Some(sent) if data == sent => {}
                _ => bail!("the floor server sent back a binary frame that differs"),
            }
        }
    }
    Ok(())
}
