//! The two ways a client carries packets: HTTP long-polling and WebSocket.

pub(crate) mod polling;
mod read_ahead;
pub(crate) mod websocket;
mod ws_writer;

use std::sync::Arc;

use super::engine::EngineHandler;
use super::frame::Frame;
use super::frame::Message;
use super::packet::{PacketType, TextPacket};
use super::session::{CloseReason, Session};
use super::version::ProtocolVersion;

/// Acts on one text packet from a client, whichever transport carried it.
pub(crate) fn on_text_packet<H: EngineHandler>(
    handler: &H,
    session: &Arc<Session<H::Data>>,
    packet: TextPacket<'_>,
) {
    match packet.kind {
        PacketType::Message => handler.on_message(session, Message::Text(packet.data)),
        PacketType::Pong if session.protocol() == ProtocolVersion::V4 => {
            session.heartbeat.notify_waiters()
        }
        PacketType::Ping if session.protocol() == ProtocolVersion::V3 => {
            session.heartbeat.notify_waiters();
            let _ = session.send_frame(Frame::Pong);
        }
        PacketType::Close => close_by_client(session),
        PacketType::Noop => {}
        PacketType::Open | PacketType::Ping | PacketType::Pong | PacketType::Upgrade => {
            tracing::info!(sid = %session.sid(), kind = ?packet.kind, "unexpected packet type; closing");
            session.close(CloseReason::ParseError);
        }
    }
}

/// How long a polling client that sent the close packet has to collect the answer.
const CLOSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// The client sent the close packet. Over polling, a pending poll is answered with a noop; if
/// none is pending the session waits a moment for the client's last poll, as Node's does.
fn close_by_client<D: Send + Sync + 'static>(session: &Arc<Session<D>>) {
    let poll_pending = session.is_polling() && session.outbox.is_being_read();
    if !session.is_polling() || poll_pending {
        session.close(CloseReason::TransportClose);
        return;
    }
    session
        .closing
        .store(true, std::sync::atomic::Ordering::Release);
    let session = session.clone();
    tokio::spawn(async move {
        tokio::time::sleep(CLOSE_TIMEOUT).await;
        session.close(CloseReason::TransportClose);
    });
}
