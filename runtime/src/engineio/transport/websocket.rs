//! WebSocket: direct connections, the upgrade from polling, and the read and write loops.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use http::header::{self, HeaderValue};
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Message as WsMessage, Utf8Bytes};

use super::on_text_packet;
use super::read_ahead::ReadAhead;
use crate::engineio::config::{EngineConfig, Transport};
use crate::engineio::engine::{Engine, EngineHandler};
use crate::engineio::frame::{Frame, Message, eio3_binary};
use crate::engineio::packet::InvalidPacket;
use crate::engineio::packet::decode_text;
use crate::engineio::payload::PayloadPacket;
use crate::engineio::payload_v3;
use crate::engineio::service::{ProtocolError, ResponseBody};
use crate::engineio::session::{CloseReason, Handshake, Session};
use crate::engineio::version::ProtocolVersion;

type Socket = WebSocketStream<ReadAhead<TokioIo<hyper::upgrade::Upgraded>>>;

/// tungstenite's read buffer, which every connection keeps for its lifetime (its default
/// is 128 KiB): small, since [`ReadAhead`] reads large messages in bursts beneath it. A
/// larger message still arrives whole (the buffer grows to the frame's length).
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
    // is boxed, and nothing but the socket's two halves is kept across the `run` await.
    let handshake = Box::new(handshake);
    tokio::spawn(async move {
        let Some(socket) = connect(upgrade, &engine.config).await else {
            return;
        };
        let session = engine.open(protocol, Transport::Websocket, *handshake);
        // The open packet is the queue's first frame: the write loop sends it.
        let open = Frame::Text(engine.open_packet(&session).into());
        if session.send_frame(open).is_err() {
            return;
        }
        engine.handler.on_open(&session);
        run(&engine, &session, socket.split()).await;
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
            if let Some(mut socket) = connect(upgrade, &engine.config).await {
                let _ = socket.close(None).await;
            }
        });
        return Ok(response);
    }
    tokio::spawn(async move {
        if let Some(socket) = probed(&engine, &session, upgrade).await {
            session.finish_upgrade();
            tracing::debug!(sid = %session.sid(), "upgraded to websocket");
            run(&engine, &session, socket.split()).await;
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
) -> Option<Socket> {
    let Some(mut socket) = connect(upgrade, &engine.config).await else {
        session.cancel_upgrade();
        return None;
    };
    let probe = tokio::time::timeout(engine.config.upgrade_timeout, probe(session, &mut socket));
    if let Ok(true) = probe.await {
        return Some(socket);
    }
    tracing::debug!(sid = %session.sid(), "upgrade abandoned");
    session.cancel_upgrade();
    let _ = socket.close(None).await;
    None
}

/// The upgrade handshake: `2probe` is answered with `3probe` (and a pending poll released
/// with a noop, so the client can pause polling), until `5` confirms the upgrade.
async fn probe<D>(session: &Session<D>, socket: &mut Socket) -> bool {
    while let Some(message) = socket.next().await {
        match message {
            Ok(WsMessage::Text(text)) if text.as_str() == "2probe" => {
                if socket
                    .send(WsMessage::Text(Utf8Bytes::from_static("3probe")))
                    .await
                    .is_err()
                {
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

async fn connect(upgrade: OnUpgrade, config: &EngineConfig) -> Option<Socket> {
    match upgrade.await {
        Ok(upgraded) => {
            let limits = WebSocketConfig::default()
                .max_message_size(Some(config.max_payload))
                .max_frame_size(Some(config.max_payload))
                .read_buffer_size(READ_CHUNK);
            Some(
                WebSocketStream::from_raw_socket(
                    ReadAhead::new(TokioIo::new(upgraded)),
                    Role::Server,
                    Some(limits),
                )
                .await,
            )
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
    (sink, stream): (SplitSink<Socket, WsMessage>, SplitStream<Socket>),
) {
    // Each loop ends when the session closes; the writer then sends the WebSocket close frame.
    // The reader goes first in every poll, so what its handlers queued (an ack, say) is
    // written in the same pass, not after a wake-up behind every other ready connection.
    futures_util::future::join(
        read_loop(engine, session, stream),
        write_loop(session, sink),
    )
    .await;
}

async fn read_loop<H: EngineHandler>(
    engine: &Engine<H>,
    session: &Arc<Session<H::Data>>,
    mut stream: SplitStream<Socket>,
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

async fn write_loop<D>(session: &Session<D>, mut sink: SplitSink<Socket, WsMessage>) {
    let closed = session.closed();
    tokio::pin!(closed);
    let mut inbox = tokio::select! {
        inbox = session.outbox.reader() => inbox,
        () = &mut closed => return,
    };
    loop {
        let frame = tokio::select! {
            biased;
            frame = inbox.recv() => Some(frame),
            () = &mut closed => None,
        };
        let Some(frame) = frame else { break };
        let mut closing = matches!(frame, Frame::Close);
        let framing = Framing::of(session);
        let mut written = feed(&mut sink, frame, framing).await;
        for _ in 1..WRITE_BATCH {
            if closing || written.is_err() {
                break;
            }
            let Some(frame) = inbox.try_recv() else { break };
            closing = matches!(frame, Frame::Close);
            written = feed(&mut sink, frame, framing).await;
        }
        if written.is_err() || sink.flush().await.is_err() {
            session.close(CloseReason::TransportError);
            return;
        }
        if closing {
            session.close(session.close_reason());
            break;
        }
    }
    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), sink.close()).await;
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

    fn binary(self, data: &Bytes) -> WsMessage {
        match self {
            Self::Raw => WsMessage::Binary(data.clone()),
            Self::Typed => WsMessage::Binary(eio3_binary(data)),
            Self::Base64 => WsMessage::Text(payload_v3::base64_message(data).into()),
        }
    }
}

async fn feed(
    sink: &mut futures_util::stream::SplitSink<Socket, WsMessage>,
    frame: Frame,
    framing: Framing,
) -> Result<(), tokio_tungstenite::tungstenite::Error> {
    let text = |s: &'static str| WsMessage::Text(Utf8Bytes::from_static(s));
    match frame {
        Frame::Text(message) => sink.feed(WsMessage::Text(message)).await,
        Frame::Binary(data) => sink.feed(framing.binary(&data)).await,
        Frame::TextWithBinary(message, attachments) => {
            sink.feed(WsMessage::Text(message)).await?;
            match framing {
                // Made once per broadcast, shared by every v3 WebSocket recipient.
                Framing::Typed => {
                    for data in attachments.eio3_websocket() {
                        sink.feed(WsMessage::Binary(data.clone())).await?;
                    }
                }
                Framing::Raw | Framing::Base64 => {
                    for data in attachments.raw() {
                        sink.feed(framing.binary(data)).await?;
                    }
                }
            }
            Ok(())
        }
        Frame::Ping => sink.feed(text("2")).await,
        Frame::Pong => sink.feed(text("3")).await,
        Frame::Noop => sink.feed(text("6")).await,
        Frame::Close => sink.feed(text("1")).await,
    }
}
