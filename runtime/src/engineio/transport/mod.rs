//! The two ways a client carries packets: HTTP long-polling and WebSocket.

pub(crate) mod polling;
pub(crate) mod websocket;

use std::sync::Arc;

use super::engine::EngineHandler;
use super::frame::Message;
use super::packet::{PacketType, TextPacket};
use super::session::{CloseReason, Session};

/// Acts on one text packet from a client, whichever transport carried it.
pub(crate) fn on_text_packet<H: EngineHandler>(
    handler: &H,
    session: &Arc<Session<H::Data>>,
    packet: TextPacket<'_>,
) {
    match packet.kind {
        PacketType::Message => handler.on_message(session, Message::Text(packet.data)),
        PacketType::Pong => session.pong.notify_waiters(),
        PacketType::Close => session.close(CloseReason::TransportClose),
        PacketType::Noop => {}
        PacketType::Open | PacketType::Ping | PacketType::Upgrade => {
            tracing::info!(sid = %session.sid(), kind = ?packet.kind, "unexpected packet type; closing");
            session.close(CloseReason::ParseError);
        }
    }
}
