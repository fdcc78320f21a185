//! A socket of any server of the cluster, as `fetch_sockets` returns it.

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Sid;
use crate::error::SendError;
use crate::schema::{self, Untyped};
use crate::socket::adapter::{HandshakeData, Room, SocketInfo};
use crate::socket::operators::{BroadcastOperator, IntoRooms};

/// A socket of this server or of another one of the cluster, from
/// [`BroadcastOperator::fetch_sockets`]: what its server told of it, and the operations that
/// reach it wherever it is (Node's `RemoteSocket`). Fetched from a typed namespace, it emits
/// only that schema's events, as [`Socket`](crate::Socket) does.
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
pub struct RemoteSocket<N = Untyped> {
    info: SocketInfo,
    /// Addresses this one socket, wherever it is.
    operator: BroadcastOperator<N>,
}

impl<N> Clone for RemoteSocket<N> {
    fn clone(&self) -> Self {
        Self {
            info: self.info.clone(),
            operator: self.operator.clone(),
        }
    }
}

impl<N> fmt::Debug for RemoteSocket<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteSocket")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl<N> RemoteSocket<N> {
    /// What the cluster told of the socket.
    #[cfg(feature = "admin")]
    pub(crate) fn info(&self) -> &SocketInfo {
        &self.info
    }

    pub(crate) fn new(info: SocketInfo, operator: BroadcastOperator<N>) -> Self {
        Self { info, operator }
    }

    /// The socket's id.
    pub fn id(&self) -> Sid {
        self.info.id
    }

    /// The rooms it was in when fetched, its own id included.
    pub fn rooms(&self) -> &[Room] {
        &self.info.rooms
    }

    /// The request that opened its connection.
    pub fn handshake(&self) -> &HandshakeData {
        &self.info.handshake
    }

    /// Its data (Node's `socket.data`, ferrio's [`SocketData`](crate::SocketData)) as a `T`.
    ///
    /// # Errors
    ///
    /// The data is not a `T` (a socket with no data has `{}`).
    pub fn data<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&self.info.data)
    }

    /// Its data as its server sent it: `{}` when it has none.
    pub fn raw_data(&self) -> &serde_json::Value {
        &self.info.data
    }

    /// Makes it join rooms.
    pub fn join(&self, rooms: impl IntoRooms) {
        self.operator.join(rooms);
    }

    /// Makes it leave rooms.
    pub fn leave(&self, rooms: impl IntoRooms) {
        self.operator.leave(rooms);
    }

    /// Disconnects it from the namespace.
    pub fn disconnect(&self) {
        self.operator.disconnect();
    }

    /// Disconnects it and closes its whole connection (Node's `disconnect(true)`).
    pub fn close_connection(&self) {
        self.operator.close_connections();
    }
}

impl RemoteSocket<Untyped> {
    /// Sends it an event, through its server.
    ///
    /// # Errors
    ///
    /// As [`BroadcastOperator::emit`].
    pub fn emit<T: Serialize>(&self, event: &str, args: T) -> Result<(), SendError> {
        self.operator.emit(event, args)
    }
}

impl<N: schema::Namespace> RemoteSocket<N> {
    /// Sends it an event of its namespace's schema, through its server.
    ///
    /// # Errors
    ///
    /// As [`BroadcastOperator::emit`].
    pub fn emit<E: schema::EmitOn<N>>(&self, event: E) -> Result<(), SendError>
    where
        E::Ack: schema::NoAckExpected<E>,
    {
        self.operator.emit(event)
    }
}
