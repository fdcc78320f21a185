//! The admin UI's live view (development mode): each socket connected or disconnected, and
//! each room joined or left, told to the admin namespace as it happens.

use std::sync::{OnceLock, Weak};

use serde::Serialize;
use serde_json::Value;

use crate::server::Shared;
use crate::socket::adapter::{Room, SocketInfo};
use crate::socket::observer::Observer;
use crate::{DisconnectReason, Sid, Socket, SocketIo};

/// Tells the admin namespace of every socket's life on this server.
pub(super) struct Live {
    admin: String,
    /// The server, known from the first admin connection on: nobody watches before.
    io: OnceLock<Weak<Shared>>,
}

impl Live {
    pub(super) fn new(admin: String) -> Self {
        Self {
            admin,
            io: OnceLock::new(),
        }
    }

    /// Starts telling: an admin UI connected to `io`.
    pub(super) fn watch(&self, io: &SocketIo) {
        let _ = self.io.set(io.downgrade());
    }

    fn tell(&self, event: &str, args: impl Serialize) {
        let Some(io) = self.io.get().and_then(SocketIo::from_shared) else {
            return;
        };
        if let Some(admin) = io.try_of(&self.admin)
            && let Err(error) = admin.emit(event, args)
        {
            tracing::debug!(%error, event, "the admin UI was not told");
        }
    }
}

impl Observer for Live {
    fn connected(&self, socket: &Socket) {
        self.tell(
            "socket_connected",
            describe(&SocketInfo::of(socket), socket.namespace(), Some(socket)),
        );
    }

    fn disconnected(&self, socket: &Socket, reason: DisconnectReason) {
        self.tell(
            "socket_disconnected",
            (socket.namespace(), socket.id(), reason.as_str()),
        );
    }

    fn joined(&self, namespace: &str, room: &Room, sid: Sid) {
        self.tell("room_joined", (namespace, room.as_ref(), sid));
    }

    fn left(&self, namespace: &str, room: &Room, sid: Sid) {
        self.tell("room_left", (namespace, room.as_ref(), sid));
    }
}

/// A socket as the UI lists it: Node's `serialize`. The connection's id and transport are
/// known for the sockets of this server only; the handshake never shows its auth.
pub(super) fn describe(info: &SocketInfo, namespace: &str, here: Option<&Socket>) -> Value {
    let mut handshake = serde_json::to_value(&info.handshake).unwrap_or_default();
    if let Some(handshake) = handshake.as_object_mut() {
        handshake.remove("auth");
    }
    serde_json::json!({
        "id": info.id,
        "clientId": here.map(|socket| socket.connection_id().to_string()),
        "transport": here.map(|socket| socket.transport().as_str()),
        "nsp": namespace,
        "data": info.data,
        "handshake": handshake,
        "rooms": info.rooms,
    })
}
