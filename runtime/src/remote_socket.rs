//! A socket of any server of the cluster, as `fetch_sockets` returns it.

use std::sync::Arc;

use serde::Serialize;

use crate::Sid;
use crate::adapter::{BroadcastOptions, HandshakeData, Room, SocketData};
use crate::error::SendError;
use crate::namespace::Namespace;
use crate::operators::{BroadcastOperator, IntoRooms};
use crate::schema::Untyped;

/// A socket of this server or of another one of the cluster, from
/// [`BroadcastOperator::fetch_sockets`]: what its server told of it, and the operations that
/// reach it wherever it is (Node's `RemoteSocket`).
///
/// # Examples
///
/// ```
/// # async fn f(io: ferrio::SocketIo) -> Result<(), Box<dyn std::error::Error>> {
/// for player in io.to("lobby").fetch_sockets().await? {
///     if player.handshake().auth.get("name").is_none() {
///         player.emit("rename", "please pick a name")?;
///         player.leave("lobby");
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct RemoteSocket {
    data: SocketData,
    namespace: Arc<Namespace>,
}

impl RemoteSocket {
    pub(crate) fn new(data: SocketData, namespace: Arc<Namespace>) -> Self {
        Self { data, namespace }
    }

    /// The socket's id.
    pub fn id(&self) -> Sid {
        self.data.id
    }

    /// The rooms it was in when fetched, its own id included.
    pub fn rooms(&self) -> &[Room] {
        &self.data.rooms
    }

    /// The request that opened its connection.
    pub fn handshake(&self) -> &HandshakeData {
        &self.data.handshake
    }

    /// What its server keeps about it (Node's `socket.data`; `{}` from ferrio servers).
    pub fn data(&self) -> &serde_json::Value {
        &self.data.data
    }

    /// Sends it an event, through its server.
    ///
    /// # Errors
    ///
    /// As [`BroadcastOperator::emit`].
    pub fn emit<T: Serialize>(&self, event: &str, args: T) -> Result<(), SendError> {
        self.operator().emit(event, args)
    }

    /// Makes it join rooms.
    pub fn join(&self, rooms: impl IntoRooms) {
        self.operator().join(rooms);
    }

    /// Makes it leave rooms.
    pub fn leave(&self, rooms: impl IntoRooms) {
        self.operator().leave(rooms);
    }

    /// Disconnects it from the namespace.
    pub fn disconnect(&self) {
        self.operator().disconnect();
    }

    /// Addresses this one socket, wherever it is.
    fn operator(&self) -> BroadcastOperator<Untyped> {
        BroadcastOperator::new(self.namespace.clone(), BroadcastOptions::default()).to(self.id())
    }
}
