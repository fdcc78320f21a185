//! WebSocket: direct connections, the upgrade from polling, and the read and write loops.

use std::sync::Arc;

use futures_util::StreamExt;
use http::header::{self, HeaderValue};
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

use super::on_text_packet;
use super::ws_writer::{self, FrameWriter, ReadSide};
use crate::engineio::config::{EngineConfig, Transport};
use crate::engineio::engine::{Engine, EngineHandler};
use crate::engineio::frame::{Frame, Message};
use crate::engineio::packet::InvalidPacket;
use crate::engineio::packet::decode_text;
use crate::engineio::payload::PayloadPacket;
use crate::engineio::payload_v3;
use crate::engineio::response::{ProtocolError, ResponseBody};
use crate::engineio::session::{CloseReason, Handshake, Session};
use crate::engineio::version::ProtocolVersion;

type Io = TokioIo<hyper::upgrade::Upgraded>;
/// What the client sends, read by tungstenite.
type Reader = WebSocketStream<ReadSide<Io>>;
/// What the server sends, framed by ferrio.
type Writer = FrameWriter<Io>;

/// How long a closing WebSocket waits for its last frames to leave.
const CLOSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// tungstenite's read buffer, which every connection keeps for its lifetime (its default
/// is 128 KiB): small, since a read-ahead layer reads large messages in bursts beneath it.
/// A larger message still arrives whole (the buffer grows to the frame's length).
const READ_CHUNK: usize = 1024;

/// How many queued frames one write gathers before flushing.
const WRITE_BATCH: usize = 64;

/// Whether the request asks to switch to the WebSocket protocol.
pub(crate) fn is_upgrade_request<B>(request: &Request<B>) -> bool {
    request
        .headers()
        .get(header::UPGRADE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.eq_ignore_ascii_case("websocket"))
}

/// Opens a session directly over WebSocket: the open packet is its first frame.
pub(crate) fn open<H: EngineHandler, B>(
    engine: &Arc<Engine<H>>,
    protocol: ProtocolVersion,
    request: Request<B>,
    handshake: Handshake,
) -> Result<Response<ResponseBody>, ProtocolError> {
    let (response, upgrade) = accept(request)?;
    let engine = engine.clone();
    // The task lives as long as the connection: what it holds only to start (the handshake)
    // is boxed, and nothing but the socket's two halves is kept across the `run` await. `run`
    // borrows them: moved into its future, they would take their size twice in the task.
    let handshake = Box::new(handshake);
    tokio::spawn(async move {
        let Some((mut reader, mut writer)) = connect(upgrade, &engine.config).await else {
            return;
        };
        let session = engine.open(protocol, Transport::Websocket, *handshake);
        // The open packet is the queue's first frame: the write loop sends it.
        let open = Frame::Text(engine.open_packet(&session).into());
        if session.send_frame(open).is_err() {
            return;
        }
        engine.handler.on_open(&session);
        run(&engine, &session, &mut reader, &mut writer).await;
    });
    Ok(response)
}

/// Upgrades a polling session: answers the probe, waits for the upgrade packet, then moves
/// the session's queue to the WebSocket.
pub(crate) fn upgrade<H: EngineHandler, B>(
    engine: &Arc<Engine<H>>,
    session: Arc<Session<H::Data>>,
    request: Request<B>,
) -> Result<Response<ResponseBody>, ProtocolError> {
    let (response, upgrade) = accept(request)?;
    let engine = engine.clone();
    if !session.begin_upgrade() {
        // Already upgraded or upgrading: accept the WebSocket, then close it at once.
        tokio::spawn(async move {
            if let Some((_, mut writer)) = connect(upgrade, &engine.config).await {
                finish(&mut writer).await;
            }
        });
        return Ok(response);
    }
    tokio::spawn(async move {
        if let Some((mut reader, mut writer)) = probed(&engine, &session, upgrade).await {
            session.finish_upgrade();
            tracing::debug!(sid = %session.sid(), "upgraded to websocket");
            run(&engine, &session, &mut reader, &mut writer).await;
        }
    });
    Ok(response)
}

/// The WebSocket of an upgrade, once the probe succeeded; `None` (the upgrade cancelled)
/// if it failed or timed out.
async fn probed<H: EngineHandler>(
    engine: &Engine<H>,
    session: &Session<H::Data>,
    upgrade: OnUpgrade,
) -> Option<(Reader, Writer)> {
    let Some((mut reader, mut writer)) = connect(upgrade, &engine.config).await else {
        session.cancel_upgrade();
        return None;
    };
    let probe = probe(session, &mut reader, &mut writer);
    if let Ok(true) = tokio::time::timeout(engine.config.upgrade_timeout, probe).await {
        return Some((reader, writer));
    }
    tracing::debug!(sid = %session.sid(), "upgrade abandoned");
    session.cancel_upgrade();
    finish(&mut writer).await;
    None
}

/// The upgrade handshake: `2probe` is answered with `3probe` (and a pending poll released
/// with a noop, so the client can pause polling), until `5` confirms the upgrade.
async fn probe<D>(session: &Session<D>, reader: &mut Reader, writer: &mut Writer) -> bool {
    while let Some(message) = reader.next().await {
        match message {
            Ok(WsMessage::Text(text)) if text.as_str() == "2probe" => {
                writer.text("3probe");
                if writer.flush().await.is_err() {
                    return false;
                }
                session.release_poll.notify_waiters();
            }
            Ok(WsMessage::Text(text)) if text.as_str() == "5" => return true,
            Ok(WsMessage::Ping(_) | WsMessage::Pong(_)) => {}
            _ => return false,
        }
    }
    false
}

fn accept<B>(request: Request<B>) -> Result<(Response<ResponseBody>, OnUpgrade), ProtocolError> {
    let key = request
        .headers()
        .get(header::SEC_WEBSOCKET_KEY)
        .ok_or(ProtocolError::BadRequest)?;
    let accept_key = derive_accept_key(key.as_bytes());
    let accept_key = HeaderValue::from_str(&accept_key).map_err(|_| ProtocolError::BadRequest)?;
    let upgrade = hyper::upgrade::on(request);
    let mut response = Response::new(Full::default());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept_key);
    Ok((response, upgrade))
}

async fn connect(upgrade: OnUpgrade, config: &EngineConfig) -> Option<(Reader, Writer)> {
    match upgrade.await {
        Ok(upgraded) => {
            let limits = WebSocketConfig::default()
                .max_message_size(Some(config.max_payload))
                .max_frame_size(Some(config.max_payload))
                .read_buffer_size(READ_CHUNK);
            let (read, writer) = ws_writer::split(TokioIo::new(upgraded));
            let reader = WebSocketStream::from_raw_socket(read, Role::Server, Some(limits)).await;
            Some((reader, writer))
        }
        Err(error) => {
            tracing::debug!(%error, "websocket upgrade failed");
            None
        }
    }
}

/// Reads and writes until the session ends.
async fn run<H: EngineHandler>(
    engine: &Engine<H>,
    session: &Arc<Session<H::Data>>,
    reader: &mut Reader,
    writer: &mut Writer,
) {
    // Each loop ends when the session closes; the writer then sends the WebSocket close frame.
    // The reader goes first in every poll, so what its handlers queued (an ack, say) is
    // written in the same pass, not after a wake-up behind every other ready connection.
    futures_util::future::join(
        read_loop(engine, session, reader),
        write_loop(session, writer),
    )
    .await;
}

async fn read_loop<H: EngineHandler>(
    engine: &Engine<H>,
    session: &Arc<Session<H::Data>>,
    stream: &mut Reader,
) {
    // Waits on the session's end once for the whole loop, not once per message.
    let closed = session.closed();
    tokio::pin!(closed);
    loop {
        // Messages first: the end of the session is looked at (with a lock) only while the
        // client sends nothing; while it does, the flag is enough.
        if session.is_closed() {
            return;
        }
        let message = tokio::select! {
            biased;
            message = stream.next() => message,
            () = &mut closed => return,
        };
        match message {
            Some(Ok(WsMessage::Text(text))) => {
                match decode_frame(session.protocol(), text.as_str()) {
                    Ok(PayloadPacket::Text(packet)) => {
                        on_text_packet(&engine.handler, session, packet)
                    }
                    Ok(PayloadPacket::Binary(data)) => {
                        engine.handler.on_message(session, Message::Binary(data))
                    }
                    Err(error) => {
                        tracing::info!(sid = %session.sid(), %error, "closing");
                        session.close(CloseReason::ParseError);
                    }
                }
            }
            Some(Ok(WsMessage::Binary(data))) => match session.protocol() {
                ProtocolVersion::V4 => engine.handler.on_message(session, Message::Binary(data)),
                // Engine.IO v3 frames binary with the packet type first: only messages are binary.
                ProtocolVersion::V3 if data.first() == Some(&4) => {
                    engine
                        .handler
                        .on_message(session, Message::Binary(data.slice(1..)));
                }
                ProtocolVersion::V3 => {
                    tracing::info!(sid = %session.sid(), "binary frame that is not a message; closing");
                    session.close(CloseReason::ParseError);
                }
            },
            Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Frame(_))) => {}
            None | Some(Ok(WsMessage::Close(_))) => session.close(CloseReason::TransportClose),
            Some(Err(error)) if is_connection_lost(&error) => {
                tracing::debug!(sid = %session.sid(), %error, "websocket connection lost");
                session.close(CloseReason::TransportClose);
            }
            Some(Err(error)) => {
                tracing::info!(sid = %session.sid(), %error, "websocket error; closing");
                session.close(CloseReason::TransportError);
            }
        }
    }
}

/// A peer that went away (a closed tab, a dropped network) rather than one that broke a rule.
fn is_connection_lost(error: &tokio_tungstenite::tungstenite::Error) -> bool {
    use tokio_tungstenite::tungstenite::Error;
    use tokio_tungstenite::tungstenite::error::ProtocolError;
    matches!(
        error,
        Error::ConnectionClosed
            | Error::AlreadyClosed
            | Error::Io(_)
            | Error::Protocol(ProtocolError::ResetWithoutClosingHandshake)
    )
}

async fn write_loop<D>(session: &Session<D>, writer: &mut Writer) {
    let closed = session.closed();
    tokio::pin!(closed);
    let inbox = tokio::select! {
        inbox = session.outbox.reader() => Some(inbox),
        () = &mut closed => None,
    };
    if let Some(mut inbox) = inbox {
        let framing = Framing::of(session);
        loop {
            let frame = tokio::select! {
                biased;
                frame = inbox.recv() => Some(frame),
                // A pong to the client's ping: flushed with the frames, or alone.
                () = writer.replies_queued() => None,
                () = &mut closed => break,
            };
            let mut closing = false;
            if let Some(frame) = frame {
                closing = put(writer, frame, framing);
                for _ in 1..WRITE_BATCH {
                    if closing {
                        break;
                    }
                    let Some(frame) = inbox.try_recv() else { break };
                    closing = put(writer, frame, framing);
                }
            }
            let flushed = tokio::select! {
                biased;
                flushed = writer.flush() => flushed,
                // The flush goes on in `finish`, for a while.
                () = &mut closed => break,
            };
            if flushed.is_err() {
                session.close(CloseReason::TransportError);
                return;
            }
            if closing {
                session.close(session.close_reason());
                break;
            }
        }
    }
    finish(writer).await;
}

/// Sends what is left and the close frame, for [`CLOSE_TIMEOUT`] at most.
async fn finish(writer: &mut Writer) {
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, writer.finish()).await;
}

/// A text frame of a client: a packet, or (Engine.IO v3) a base64 binary message `b4...`.
fn decode_frame(protocol: ProtocolVersion, text: &str) -> Result<PayloadPacket<'_>, InvalidPacket> {
    match protocol {
        ProtocolVersion::V4 => decode_text(text).map(PayloadPacket::Text),
        ProtocolVersion::V3 => payload_v3::decode_text_packet(text),
    }
}

/// How binary messages go on a session's WebSocket.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// Engine.IO v4: binary frames as they are.
    Raw,
    /// Engine.IO v3: binary frames with the message type byte first.
    Typed,
    /// Engine.IO v3 for a client that asked for base64 (`b64=1`): text frames `b4<base64>`.
    Base64,
}

impl Framing {
    fn of<D>(session: &Session<D>) -> Self {
        match session.protocol() {
            ProtocolVersion::V4 => Self::Raw,
            ProtocolVersion::V3 if session.binary_support() => Self::Typed,
            ProtocolVersion::V3 => Self::Base64,
        }
    }

    fn binary(self, writer: &mut Writer, data: &[u8]) {
        match self {
            Self::Raw => writer.binary(data),
            Self::Typed => writer.binary_prefixed(EIO3_MESSAGE, data),
            Self::Base64 => writer.text(&payload_v3::base64_message(data)),
        }
    }
}

/// The Engine.IO v3 message type, first in its binary frames.
const EIO3_MESSAGE: u8 = 4;

/// Queues one frame of the session's outbox; `true` for the close packet, the last one.
fn put(writer: &mut Writer, frame: Frame, framing: Framing) -> bool {
    match frame {
        Frame::Text(message) => writer.text(&message),
        Frame::Binary(data) => framing.binary(writer, &data),
        Frame::TextWithBinary(message, attachments) => {
            writer.text(&message);
            for data in attachments.iter() {
                framing.binary(writer, data);
            }
        }
        Frame::Ping => writer.text("2"),
        Frame::Pong => writer.text("3"),
        Frame::Noop => writer.text("6"),
        Frame::Close => {
            writer.text("1");
            return true;
        }
    }
    false
}
