//! Broadcast operators: which sockets an emit reaches.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::Sid;
use crate::error::ClusterResult;
use crate::error::SendError;
use crate::schema::{self, Untyped};
use crate::socket::ack::AckStream;
use crate::socket::adapter::SocketInfo;
use crate::socket::adapter::{BroadcastOptions, BroadcastPacket, Room};
use crate::socket::namespace::Namespace;
use crate::socket::remote_socket::RemoteSocket;
use crate::socketio::packet;

/// One room or several, as operators and `join` take them: `"lobby"`, a `String`, a
/// [`Sid`], or an array, `Vec` or slice of them.
pub trait IntoRooms {
    /// The rooms.
    fn into_rooms(self) -> Vec<Room>;
}

impl IntoRooms for &str {
    fn into_rooms(self) -> Vec<Room> {
        vec![Room::from(self)]
    }
}

impl IntoRooms for String {
    fn into_rooms(self) -> Vec<Room> {
        vec![Room::from(self)]
    }
}

impl IntoRooms for &String {
    fn into_rooms(self) -> Vec<Room> {
        vec![Room::from(self.as_str())]
    }
}

impl IntoRooms for Room {
    fn into_rooms(self) -> Vec<Room> {
        vec![self]
    }
}

impl IntoRooms for Sid {
    fn into_rooms(self) -> Vec<Room> {
        vec![Room::from(self.as_str())]
    }
}

impl<T: IntoRooms> IntoRooms for Vec<T> {
    fn into_rooms(self) -> Vec<Room> {
        self.into_iter().flat_map(IntoRooms::into_rooms).collect()
    }
}

impl<T: IntoRooms, const N: usize> IntoRooms for [T; N] {
    fn into_rooms(self) -> Vec<Room> {
        self.into_iter().flat_map(IntoRooms::into_rooms).collect()
    }
}

impl<T: IntoRooms + Clone> IntoRooms for &[T] {
    fn into_rooms(self) -> Vec<Room> {
        self.iter()
            .cloned()
            .flat_map(IntoRooms::into_rooms)
            .collect()
    }
}

/// Addresses a set of sockets of one namespace, chained like socket.io's operators.
///
/// Start from [`SocketIo::to`](crate::SocketIo::to) (everyone, from anywhere) or
/// [`Socket::to`](crate::Socket::to) (everyone but the sender).
///
/// # Examples
///
/// ```
/// # fn f(io: ferrio::SocketIo) -> Result<(), ferrio::SendError> {
/// io.to("room1").to("room2").except("muted").emit("news", "hello")?;
/// io.of("/chat").emit("announcement", ("server", "restarting soon"))?;
/// # Ok(()) }
/// ```
#[must_use = "an operator does nothing until you emit or act through it"]
pub struct BroadcastOperator<N = Untyped> {
    namespace: Arc<Namespace>,
    options: BroadcastOptions,
    timeout: Option<Duration>,
    schema: PhantomData<fn() -> N>,
}

impl<N> Clone for BroadcastOperator<N> {
    fn clone(&self) -> Self {
        Self {
            namespace: self.namespace.clone(),
            options: self.options.clone(),
            timeout: self.timeout,
            schema: PhantomData,
        }
    }
}

impl<N> BroadcastOperator<N> {
    pub(crate) fn new(namespace: Arc<Namespace>, options: BroadcastOptions) -> Self {
        Self {
            namespace,
            options,
            timeout: None,
            schema: PhantomData,
        }
    }

    /// Also addresses the sockets in these rooms (a socket in several is reached once).
    pub fn to(mut self, rooms: impl IntoRooms) -> Self {
        self.options.rooms.extend(rooms.into_rooms());
        self
    }

    /// Leaves out the sockets in these rooms.
    pub fn except(mut self, rooms: impl IntoRooms) -> Self {
        self.options.except.extend(rooms.into_rooms());
        self
    }

    /// Only the sockets of this server, when a cluster adapter is in use.
    pub fn local(mut self) -> Self {
        self.options.local = true;
        self
    }

    /// How long [`emit_with_ack`](Self::emit_with_ack) waits for replies (default: the
    /// server's ack timeout).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The ids of the addressed sockets, on every server of the cluster.
    ///
    /// # Errors
    ///
    /// Some servers did not answer in time; the error holds the ids that came.
    pub async fn socket_ids(&self) -> ClusterResult<Vec<Sid>> {
        self.namespace.adapter.sockets(&self.options).await
    }

    /// The addressed sockets, on every server of the cluster: their ids, rooms and
    /// handshakes, and handles to emit to them, move them between rooms or disconnect them
    /// (Node's `fetchSockets`).
    ///
    /// # Examples
    ///
    /// ```
    /// # async fn f(io: ferrio::SocketIo) -> Result<(), Box<dyn std::error::Error>> {
    /// let players = io.to("table-7").fetch_sockets().await?;
    /// let names: Vec<_> = players.iter().map(|p| p.handshake().auth["name"].clone()).collect();
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// Some servers did not answer in time; the error holds the sockets that came.
    pub async fn fetch_sockets(&self) -> ClusterResult<Vec<RemoteSocket<N>>> {
        let handles = |sockets: Vec<SocketInfo>| {
            sockets
                .into_iter()
                .map(|data| {
                    let operator = Self::new(self.namespace.clone(), BroadcastOptions::default());
                    let id = data.id;
                    RemoteSocket::new(data, operator.to(id))
                })
                .collect()
        };
        match self.namespace.adapter.fetch_sockets(&self.options).await {
            Ok(sockets) => Ok(handles(sockets)),
            Err(incomplete) => Err(incomplete.map(handles)),
        }
    }

    /// Makes the addressed sockets join rooms.
    pub fn join(&self, rooms: impl IntoRooms) {
        self.namespace
            .adapter
            .add_sockets(&self.options, &rooms.into_rooms());
    }

    /// Makes the addressed sockets leave rooms.
    pub fn leave(&self, rooms: impl IntoRooms) {
        self.namespace
            .adapter
            .del_sockets(&self.options, &rooms.into_rooms());
    }

    /// Disconnects the addressed sockets from the namespace.
    pub fn disconnect(&self) {
        self.namespace
            .adapter
            .disconnect_sockets(&self.options, false);
    }

    /// Disconnects the addressed sockets from every namespace of their connections, then
    /// closes the connections (Node's `disconnectSockets(true)`): each namespace sees
    /// `io server disconnect`.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn f(io: ferrio::SocketIo, banned: ferrio::Sid) {
    /// io.to(banned).close_connections();
    /// # }
    /// ```
    pub fn close_connections(&self) {
        self.namespace
            .adapter
            .disconnect_sockets(&self.options, true);
    }
}

impl BroadcastOperator<Untyped> {
    /// Emits to every addressed socket. The packet is encoded once and its bytes shared.
    ///
    /// # Errors
    ///
    /// The arguments do not serialize, the event name is reserved, or the adapter cannot
    /// reach the sockets. A socket that cannot take the packet is disconnected and logged,
    /// and does not fail the broadcast.
    pub fn emit<T: Serialize>(&self, event: &str, args: T) -> Result<(), SendError> {
        SendError::check_event_name(event)?;
        let encoded = packet::encode_event(&self.namespace.path, event, &args, None)?;
        self.namespace
            .adapter
            .broadcast(&BroadcastPacket::from_frame(encoded.into()), &self.options)
    }

    /// Emits a `message` event to every addressed socket.
    ///
    /// # Errors
    ///
    /// As [`emit`](Self::emit).
    pub fn send<T: Serialize>(&self, args: T) -> Result<(), SendError> {
        self.emit("message", args)
    }

    /// Emits to every addressed socket, asking each for an acknowledgement; the stream yields
    /// each socket's reply, or its error, before the timeout.
    ///
    /// # Errors
    ///
    /// The arguments do not serialize, or the event name is reserved.
    pub fn emit_with_ack<T: Serialize>(
        &self,
        event: &str,
        args: T,
    ) -> Result<AckStream, SendError> {
        SendError::check_event_name(event)?;
        let id = self.namespace.next_ack_id();
        let encoded = packet::encode_event(&self.namespace.path, event, &args, Some(id))?;
        let timeout = self.timeout.unwrap_or_else(|| self.namespace.ack_timeout);
        Ok(self.namespace.adapter.broadcast_with_ack(
            BroadcastPacket::from_frame(encoded.into()),
            id,
            &self.options,
            timeout,
        ))
    }
}

impl<N> fmt::Debug for BroadcastOperator<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BroadcastOperator")
            .field("namespace", &self.namespace.path)
            .field("options", &self.options)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl<N: schema::Namespace> BroadcastOperator<N> {
    /// Emits an event of the namespace's schema to every addressed socket, encoded once.
    ///
    /// # Errors
    ///
    /// As [`BroadcastOperator::emit`](BroadcastOperator#method.emit).
    pub fn emit<E: schema::EmitOn<N>>(&self, event: E) -> Result<(), SendError>
    where
        E::Ack: schema::NoAckExpected<E>,
    {
        self.untyped().emit(E::NAME, &event)
    }

    /// Emits an event whose acknowledgement the schema declares to every addressed socket;
    /// the stream yields each socket's typed reply, or its error.
    ///
    /// # Errors
    ///
    /// The arguments do not serialize.
    pub fn emit_with_ack<E: schema::EmitOn<N>>(
        &self,
        event: E,
    ) -> Result<AckStream<<E::Ack as schema::AckExpected<E>>::Reply>, SendError>
    where
        E::Ack: schema::AckExpected<E>,
    {
        Ok(self.untyped().emit_with_ack(E::NAME, &event)?.typed())
    }
}

impl<N> BroadcastOperator<N> {
    /// The same operator without its schema's types: the escape hatch of typed namespaces.
    pub fn untyped(&self) -> BroadcastOperator<Untyped> {
        BroadcastOperator {
            namespace: self.namespace.clone(),
            options: self.options.clone(),
            timeout: self.timeout,
            schema: PhantomData,
        }
    }
}
