//! HTTP long-polling: the handshake response, the pending GET that carries server packets,
//! and the POST that carries client packets.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};

use super::on_text_packet;
use crate::engineio::config::Transport;
use crate::engineio::engine::{Engine, EngineHandler};
use crate::engineio::frame::{Frame, Message};
use crate::engineio::packet::InvalidPacket;
use crate::engineio::payload::{self, PayloadPacket};
use crate::engineio::payload_v3;
use crate::engineio::response::{RequestBody, ResponseBody, ResponseContext};
use crate::engineio::session::{CloseReason, Handshake, Session};
use crate::engineio::version::ProtocolVersion;

const TEXT: &str = "text/plain; charset=UTF-8";

/// Opens a session over polling: the response carries the open packet.
pub(crate) fn open<H: EngineHandler>(
    engine: &Arc<Engine<H>>,
    protocol: ProtocolVersion,
    handshake: Handshake,
    context: &ResponseContext,
) -> Response<ResponseBody> {
    let session = engine.open(protocol, Transport::Polling, handshake);
    let open = Frame::Text(engine.open_packet(&session).into());
    engine.handler.on_open(&session);
    respond_frames(&session, context, &[open])
}

/// Answers with frames, in the payload encoding of the session's protocol.
fn respond_frames<D>(
    session: &Session<D>,
    context: &ResponseContext,
    frames: &[Frame],
) -> Response<ResponseBody> {
    match session.protocol() {
        ProtocolVersion::V4 => context.respond(StatusCode::OK, TEXT, payload::encode(frames)),
        ProtocolVersion::V3 => {
            let (body, content_type) = payload_v3::encode(frames, session.binary_support());
            context.respond(StatusCode::OK, content_type, body)
        }
    }
}

/// Answers a GET: waits for frames, then returns every queued frame that fits `max_payload`.
///
/// A second GET while one is pending breaks the protocol and closes the session.
pub(crate) async fn poll<D>(
    session: &Arc<Session<D>>,
    max_payload: usize,
    context: &ResponseContext,
) -> Response<ResponseBody> {
    let bad_request = || context.error(crate::engineio::response::ProtocolError::BadRequest);
    let Some(mut inbox) = session.outbox.try_reader() else {
        tracing::info!(sid = %session.sid(), "overlapping GET requests; closing");
        session.close(CloseReason::TransportError);
        return bad_request();
    };
    if !session.is_polling() {
        return bad_request();
    }
    if session.closing.load(Ordering::Acquire) {
        session.close(CloseReason::TransportClose);
        return context.respond(StatusCode::OK, TEXT, Bytes::from_static(b"6"));
    }
    // A client that gives up on its poll is gone: nobody else would collect its packets.
    let abandoned = AbandonGuard(Some(session));
    let first = tokio::select! {
        biased;
        frame = inbox.recv() => frame,
        // A client that closed the session itself expects no close packet.
        () = session.closed() => match session.close_reason() {
            CloseReason::TransportClose => Frame::Noop,
            _ => Frame::Close,
        },
        () = session.release_poll.notified() => Frame::Noop,
        () = upgrade_check(session) => Frame::Noop,
    };
    abandoned.disarm();
    if !session.is_polling() && matches!(first, Frame::Noop) {
        // The session upgraded while this poll waited: polling is over.
        return bad_request();
    }
    let mut size = payload::encoded_len(&first);
    let mut frames = vec![first];
    while size < max_payload && !matches!(frames.last(), Some(Frame::Close)) {
        match inbox.try_recv() {
            Some(frame) => {
                size += payload::encoded_len(&frame) + 1;
                frames.push(frame);
            }
            None => break,
        }
    }
    drop(inbox);
    if matches!(frames.last(), Some(Frame::Close)) {
        session.close(session.close_reason());
    }
    respond_frames(session, context, &frames)
}

/// How often a poll made during an upgrade is answered with a noop, so the client can pause
/// polling and finish the upgrade.
const UPGRADE_CHECK: std::time::Duration = std::time::Duration::from_millis(100);

/// Completes after [`UPGRADE_CHECK`] during an upgrade; never otherwise.
async fn upgrade_check<D>(session: &Session<D>) {
    if session.is_upgrading() {
        tokio::time::sleep(UPGRADE_CHECK).await;
    } else {
        std::future::pending::<()>().await;
    }
}

/// Closes the session if a pending poll is dropped before it answered.
struct AbandonGuard<'a, D>(Option<&'a Session<D>>);

impl<D> AbandonGuard<'_, D> {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl<D> Drop for AbandonGuard<'_, D> {
    fn drop(&mut self) {
        if let Some(session) = self.0 {
            tracing::debug!(sid = %session.sid(), "pending poll abandoned by the client; closing");
            session.close(CloseReason::TransportClose);
        }
    }
}

/// Answers a POST: decodes its packets and hands them to the handler, in order.
///
/// A body larger than `max_payload` is refused with HTTP 413 and closes the session; a body
/// that does not decode is refused with HTTP 400 and closes the session.
pub(crate) async fn receive<H, B>(
    engine: &Arc<Engine<H>>,
    session: &Arc<Session<H::Data>>,
    request: Request<B>,
    context: &ResponseContext,
) -> Response<ResponseBody>
where
    H: EngineHandler,
    B: RequestBody,
{
    let bad_request = || context.error(crate::engineio::response::ProtocolError::BadRequest);
    if session.posting.swap(true, Ordering::AcqRel) {
        tracing::info!(sid = %session.sid(), "overlapping POST requests; closing");
        session.close(CloseReason::TransportError);
        return bad_request();
    }
    let binary_body = request
        .headers()
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes() == payload_v3::BINARY_CONTENT_TYPE.as_bytes());
    let body = match Limited::new(request.into_body(), engine.config.max_payload)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(error) => {
            session.posting.store(false, Ordering::Release);
            let too_large = error.is::<http_body_util::LengthLimitError>();
            tracing::info!(sid = %session.sid(), %error, "polling request body refused; closing");
            session.close(CloseReason::TransportError);
            return if too_large {
                context.respond(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    TEXT,
                    Bytes::from_static(b"payload too large"),
                )
            } else {
                bad_request()
            };
        }
    };
    let accepted = match (session.protocol(), binary_body) {
        (ProtocolVersion::V3, true) => dispatch(
            engine,
            session,
            all_or_error(payload_v3::decode_binary_payload(&body)),
        ),
        (protocol, _) => match std::str::from_utf8(&body) {
            Ok(text) if protocol == ProtocolVersion::V4 => {
                dispatch(engine, session, payload::decode(text))
            }
            Ok(text) => dispatch(
                engine,
                session,
                all_or_error(payload_v3::decode_text_payload(text)),
            ),
            Err(_) => dispatch(
                engine,
                session,
                [Err(InvalidPacket("polling payload is not UTF-8"))],
            ),
        },
    };
    session.posting.store(false, Ordering::Release);
    if accepted {
        context.respond(StatusCode::OK, "text/html", Bytes::from_static(b"ok"))
    } else {
        bad_request()
    }
}

/// A payload decoded whole (Engine.IO v3) as the packets to dispatch.
fn all_or_error(
    decoded: Result<Vec<PayloadPacket<'_>>, InvalidPacket>,
) -> Vec<Result<PayloadPacket<'_>, InvalidPacket>> {
    match decoded {
        Ok(packets) => packets.into_iter().map(Ok).collect(),
        Err(error) => vec![Err(error)],
    }
}

/// Hands each packet of a POST body to the handler; `false` (and the session closed) on the
/// first packet that does not decode.
fn dispatch<'a, H: EngineHandler>(
    engine: &Engine<H>,
    session: &Arc<Session<H::Data>>,
    packets: impl IntoIterator<Item = Result<PayloadPacket<'a>, InvalidPacket>>,
) -> bool {
    for packet in packets {
        if session.is_closed() {
            break;
        }
        match packet {
            Ok(PayloadPacket::Text(packet)) => on_text_packet(&engine.handler, session, packet),
            Ok(PayloadPacket::Binary(data)) => {
                engine.handler.on_message(session, Message::Binary(data))
            }
            Err(error) => {
                tracing::info!(sid = %session.sid(), %error, "closing");
                session.close(CloseReason::ParseError);
                return false;
            }
        }
    }
    true
}
