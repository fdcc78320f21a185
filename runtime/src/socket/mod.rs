//! The socket layer: a client's connection to one namespace (emit, acknowledgements, rooms,
//! its data and session state), the namespaces that hold sockets, the broadcast operators,
//! and the connection glue that the Engine.IO sessions drive. It knows nothing of handlers or
//! of the server handle: the layers above reach down into it.

pub(crate) mod ack;
pub(crate) mod adapter;
pub(crate) mod connection;
pub(crate) mod data;
pub(crate) mod in_order;
pub(crate) mod namespace;
pub(crate) mod observer;
pub(crate) mod operators;
pub(crate) mod recovery;
pub(crate) mod remote_socket;
pub(crate) mod rooms;
pub(crate) mod session_state;

use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::engineio::{self, CloseReason, Frame, Handshake, ProtocolVersion};
use crate::error::{AckError, SendError};
use crate::extensions::Session;
use crate::payload::Payload;
use crate::schema::{self, Untyped};
use crate::socket::ack::{AckWaiter, PendingAcks};
use crate::socket::adapter::{BroadcastOptions, BroadcastPacket, Room};
use crate::socket::connection::Connection;
use crate::socket::data::{DataSlot, SocketData};
use crate::socket::namespace::Namespace;
use crate::socket::operators::{BroadcastOperator, IntoRooms};
use crate::socket::recovery::{Offset, Replay, SavedSession, is_recoverable};
use crate::socketio::packet;
use crate::sync::lock;
use crate::{Sid, Transport};

/// Why a socket disconnected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// The client called `socket.disconnect()`.
    ClientNamespaceDisconnect,
    /// The server called [`Socket::disconnect`].
    ServerNamespaceDisconnect,
    /// The server closed the client's whole connection.
    ForcedServerClose,
    /// The server is shutting down.
    ServerShutdown,
    /// The connection was closed by the client or lost.
    TransportClose,
    /// The connection failed or broke a rule of its transport.
    TransportError,
    /// The client stopped answering pings.
    PingTimeout,
    /// The client sent a packet that does not decode.
    ParseError,
    /// The client did not drain its queue fast enough.
    SlowClient,
}

impl DisconnectReason {
    /// The reason as socket.io names it (`"client namespace disconnect"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientNamespaceDisconnect => "client namespace disconnect",
            Self::ServerNamespaceDisconnect => "server namespace disconnect",
            Self::ForcedServerClose => "forced server close",
            Self::ServerShutdown => "server shutting down",
            Self::TransportClose => "transport close",
            Self::TransportError => "transport error",
            Self::PingTimeout => "ping timeout",
            Self::ParseError => "parse error",
            Self::SlowClient => "slow client",
        }
    }
}

impl From<CloseReason> for DisconnectReason {
    fn from(reason: CloseReason) -> Self {
        match reason {
            CloseReason::TransportClose => Self::TransportClose,
            CloseReason::PingTimeout => Self::PingTimeout,
            CloseReason::ParseError => Self::ParseError,
            CloseReason::ForcedClose => Self::ForcedServerClose,
            CloseReason::ServerShutdown => Self::ServerShutdown,
            CloseReason::SlowClient => Self::SlowClient,
            _ => Self::TransportError,
        }
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for DisconnectReason {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A client connected to a namespace. Cheap to clone; usable from any task.
///
/// What a socket emits leaves in the order emitted, through one bounded queue per connection
/// (see [`SendError`] for what happens when it is full).
///
/// # Examples
///
/// ```
/// use ferrio::Socket;
///
/// async fn join(socket: Socket, room: String) {
///     socket.join(room.as_str());
///     let _ = socket.to(room.as_str()).emit("joined", socket.id());
///     let _ = socket.emit("welcome", ("to", room));
/// }
/// ```
pub struct Socket<N = Untyped> {
    inner: Arc<Inner>,
    namespace: PhantomData<fn() -> N>,
}

impl<N> Clone for Socket<N> {
    fn clone(&self) -> Self {
        Self::from_inner(self.inner.clone())
    }
}

struct Inner {
    id: Sid,
    /// The private id a client presents to recover the socket, when the server recovers
    /// connections and the client can.
    pid: Option<Sid>,
    /// Whether the socket is one that came back, with its state.
    recovered: bool,
    namespace: Arc<Namespace>,
    connection: Arc<engineio::Session<Connection>>,
    auth: Value,
    acks: PendingAcks,
    session: Session,
    data: DataSlot,
    connected: AtomicBool,
    closed: AtomicBool,
    /// Whether the socket's session was kept when it closed: what it emits still goes to the
    /// adapter, for its return.
    kept: AtomicBool,
    /// For a recovered socket, the newest offset its replay held: a numbered event at or
    /// before it is a repeat (a cluster reader that lags behind the replay delivers such).
    replayed: std::sync::OnceLock<Offset>,
    /// What reached the socket before its connection was confirmed (the connect handler's
    /// emits, and broadcasts to a socket being recovered), with each event's offset.
    before_connect: Mutex<Vec<(Frame, Option<Offset>)>>,
}

impl<N> Socket<N> {
    fn from_inner(inner: Arc<Inner>) -> Self {
        Self {
            inner,
            namespace: PhantomData,
        }
    }

    /// The same socket seen through another schema (the macros check that it is the right one).
    pub(crate) fn retyped<M>(&self) -> Socket<M> {
        Socket::from_inner(self.inner.clone())
    }

    /// The same socket without its schema's types, whose emits name events with strings:
    /// the escape hatch of typed namespaces.
    pub fn untyped(&self) -> Socket<Untyped> {
        self.retyped()
    }

    /// The socket's id, distinct from the connection's session id. It is also the name of
    /// the room the socket is always in.
    pub fn id(&self) -> Sid {
        self.inner.id
    }

    /// The namespace, such as `/` or `/chat`.
    pub fn namespace(&self) -> &str {
        &self.inner.namespace.path
    }

    /// The HTTP request that opened the connection: headers and query string.
    pub fn handshake(&self) -> &Handshake {
        self.inner.connection.handshake()
    }

    /// The auth payload the client connected with (`{}` when none).
    pub fn auth(&self) -> &Value {
        &self.inner.auth
    }

    /// The transport the connection uses now.
    pub fn transport(&self) -> Transport {
        self.inner.connection.transport()
    }

    /// The id of the Engine.IO connection the socket rides on (Node's `socket.client.id`).
    #[cfg(feature = "admin")]
    pub(crate) fn connection_id(&self) -> Sid {
        self.inner.connection.sid()
    }

    /// Whether this socket came back through connection state recovery, with its id, rooms,
    /// data and the events it missed (socket.io's `socket.recovered`).
    ///
    /// # Examples
    ///
    /// ```
    /// # fn f(socket: ferrio::Socket) {
    /// if !socket.recovered() {
    ///     socket.join("lobby");
    /// }
    /// # }
    /// ```
    pub fn recovered(&self) -> bool {
        self.inner.recovered
    }

    /// Whether the socket is still connected.
    pub fn connected(&self) -> bool {
        self.inner.connected.load(Ordering::Acquire) && !self.inner.closed.load(Ordering::Acquire)
    }

    /// Typed values that live as long as the socket (Flask-SocketIO's `session`).
    pub fn session(&self) -> &Session {
        &self.inner.session
    }

    /// The socket's data, which the whole cluster sees (Node's `socket.data`): see
    /// [`SocketData`].
    ///
    /// # Examples
    ///
    /// ```
    /// # fn f(socket: ferrio::Socket) {
    /// socket.data().set(serde_json::json!({ "name": "ada" }));
    /// assert_eq!(socket.data::<serde_json::Value>().get().unwrap()["name"], "ada");
    /// # }
    /// ```
    pub fn data<T>(&self) -> SocketData<T>
    where
        T: Serialize + serde::de::DeserializeOwned + Send + Sync + 'static,
    {
        SocketData {
            socket: self.untyped(),
            value: PhantomData,
        }
    }

    pub(crate) fn pid(&self) -> Option<Sid> {
        self.inner.pid
    }

    pub(crate) fn data_slot(&self) -> &DataSlot {
        &self.inner.data
    }

    /// The namespace the socket belongs to.
    pub(crate) fn namespace_ref(&self) -> &Namespace {
        &self.inner.namespace
    }

    /// Joins one or several rooms.
    pub fn join(&self, rooms: impl IntoRooms) {
        self.inner
            .namespace
            .adapter
            .add_all(self.id(), &rooms.into_rooms());
    }

    /// Leaves one or several rooms.
    pub fn leave(&self, rooms: impl IntoRooms) {
        for room in rooms.into_rooms() {
            self.inner.namespace.adapter.del(self.id(), &room);
        }
    }

    /// Leaves every room, its own included: only its id still reaches it.
    pub fn leave_all(&self) {
        self.inner.namespace.adapter.del_all(self.id());
    }

    /// The rooms the socket is in, its own room included.
    pub fn rooms(&self) -> Vec<Room> {
        self.inner.namespace.adapter.socket_rooms(self.id())
    }

    /// Addresses the sockets in these rooms, except this one.
    pub fn to(&self, rooms: impl IntoRooms) -> BroadcastOperator<N> {
        self.broadcast().to(rooms)
    }

    /// Addresses the sockets in these rooms, this one included if it is in them.
    pub fn within(&self, rooms: impl IntoRooms) -> BroadcastOperator<N> {
        self.nsp().to(rooms)
    }

    /// Addresses every socket of the namespace, this one too: Flask-SocketIO's
    /// `emit(.., broadcast=True)`, Node's `socket.nsp.emit(..)`.
    ///
    /// ```
    /// use ferrio::prelude::*;
    ///
    /// #[on("chat message")]
    /// fn chat(socket: Socket, text: String) {
    ///     // Everyone sees the message, its sender too.
    ///     let _ = socket.nsp().emit("chat message", text);
    /// }
    /// ```
    pub fn nsp(&self) -> BroadcastOperator<N> {
        self.operator(BroadcastOptions::default())
    }

    /// Addresses every socket of the namespace except those in these rooms and this one.
    pub fn except(&self, rooms: impl IntoRooms) -> BroadcastOperator<N> {
        self.broadcast().except(rooms)
    }

    /// Addresses every socket of the namespace except this one (Flask-SocketIO's
    /// `broadcast=True, include_self=False`).
    pub fn broadcast(&self) -> BroadcastOperator<N> {
        let mut options = BroadcastOptions::default();
        options.except.insert(Room::from(self.id().as_str()));
        self.operator(options)
    }

    fn operator(&self, options: BroadcastOptions) -> BroadcastOperator<N> {
        BroadcastOperator::new(self.inner.namespace.clone(), options)
    }

    /// Disconnects the socket from its namespace; the client receives a disconnect packet
    /// (its reason: `io server disconnect`) and the disconnect handler runs.
    pub fn disconnect(&self) {
        self.untyped().disconnect_now();
    }

    /// Disconnects the socket from every namespace of its connection, then closes the
    /// connection (Node's `socket.disconnect(true)`): each namespace sees
    /// `io server disconnect`.
    pub fn close_connection(&self) {
        self.untyped().disconnect_from_server(true);
    }
}

impl Socket<Untyped> {
    pub(crate) fn new(
        namespace: Arc<Namespace>,
        connection: Arc<engineio::Session<Connection>>,
        auth: Value,
    ) -> Self {
        // A 2.x client takes its engine id as its id in the main namespace: keep them equal.
        let id = match connection.protocol() {
            ProtocolVersion::V3 if &*namespace.path == "/" => connection.sid(),
            _ => Sid::random(),
        };
        // Only the socket.io client 4.x can come back.
        let recovers = namespace.recovery.is_some() && connection.protocol() == ProtocolVersion::V4;
        let pid = recovers.then(Sid::random);
        Self::with_identity(namespace, connection, auth, id, pid, false)
    }

    /// The socket a kept session comes back as, on this connection: its ids and data. It
    /// joins its rooms when it [enters](Self::enter) the namespace.
    pub(crate) fn resumed(&self, session: &SavedSession) -> Self {
        let inner = &self.inner;
        let socket = Self::with_identity(
            inner.namespace.clone(),
            inner.connection.clone(),
            inner.auth.clone(),
            session.sid,
            Some(session.pid),
            true,
        );
        socket.inner.data.restore(&session.data);
        socket
    }

    fn with_identity(
        namespace: Arc<Namespace>,
        connection: Arc<engineio::Session<Connection>>,
        auth: Value,
        id: Sid,
        pid: Option<Sid>,
        recovered: bool,
    ) -> Self {
        Self::from_inner(Arc::new(Inner {
            id,
            pid,
            recovered,
            namespace,
            connection,
            auth,
            acks: PendingAcks::default(),
            session: Session::default(),
            data: DataSlot::default(),
            connected: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            kept: AtomicBool::new(false),
            replayed: std::sync::OnceLock::new(),
            before_connect: Mutex::new(Vec::new()),
        }))
    }

    /// Emits an event to this client. A tuple is several arguments, `()` none, anything
    /// else one; binary (`bytes::Bytes`, or any field serialized as bytes) at any depth
    /// travels as attachments.
    ///
    /// # Errors
    ///
    /// See [`SendError`]: the socket is gone, was too slow, the arguments do not serialize, or
    /// the event name is one socket.io reserves (`disconnect`, ...).
    ///
    /// # Examples
    ///
    /// ```
    /// # fn f(socket: ferrio::Socket) -> Result<(), ferrio::SendError> {
    /// socket.emit("goldClicked", "I see you clicking that gold")?;
    /// socket.emit("my response", ("foo", "bar", serde_json::json!({ "a": 1 })))?;
    /// socket.emit("image", bytes::Bytes::from_static(b"\x89PNG"))?;
    /// # Ok(()) }
    /// ```
    pub fn emit<T: Serialize>(&self, event: &str, args: T) -> Result<(), SendError> {
        SendError::check_event_name(event)?;
        let encoded = packet::encode_event(self.namespace(), event, &args, None)?;
        self.send_event(encoded.into())
    }

    /// Sends an event that asks for no acknowledgement. When the socket can be recovered it
    /// goes through the adapter, which numbers and keeps it for the socket's return (also once
    /// its connection is lost, if its session was kept), unless the socket is still connecting
    /// afresh (its connect handler's emits are held for it).
    pub(crate) fn send_event(&self, frame: Frame) -> Result<(), SendError> {
        let entered = self.inner.recovered || self.inner.connected.load(Ordering::Acquire);
        if self.inner.pid.is_none() || !entered {
            return self.send_packet(frame);
        }
        if self.inner.closed.load(Ordering::Acquire) && !self.inner.kept.load(Ordering::Acquire) {
            return Err(SendError::closed());
        }
        self.inner
            .namespace
            .adapter
            .emit_to_socket(self.id(), &BroadcastPacket::from_frame(frame))
    }

    /// Sends a `message` event, which the client receives with `socket.on('message')`.
    ///
    /// # Errors
    ///
    /// As [`emit`](Self::emit).
    pub fn send<T: Serialize>(&self, args: T) -> Result<(), SendError> {
        self.emit("message", args)
    }

    /// Emits an event and waits for the client's acknowledgement (Flask-SocketIO's `call`),
    /// at most the server's ack timeout.
    ///
    /// # Errors
    ///
    /// See [`AckError`]: the emit failed, the client did not answer in time, or disconnected.
    ///
    /// # Examples
    ///
    /// ```
    /// # async fn f(socket: ferrio::Socket) -> Result<(), ferrio::AckError> {
    /// let reply = socket.emit_with_ack("confirm", "Delete everything?").await?;
    /// let yes: bool = reply.arg(0).unwrap_or(false);
    /// # Ok(()) }
    /// ```
    pub async fn emit_with_ack<T: Serialize>(
        &self,
        event: &str,
        args: T,
    ) -> Result<Payload, AckError> {
        let timeout = self.inner.namespace.ack_timeout;
        self.emit_with_ack_timeout(event, args, timeout).await
    }

    /// As [`emit_with_ack`](Self::emit_with_ack), with its own timeout.
    ///
    /// # Errors
    ///
    /// As [`emit_with_ack`](Self::emit_with_ack).
    pub async fn emit_with_ack_timeout<T: Serialize>(
        &self,
        event: &str,
        args: T,
        timeout: Duration,
    ) -> Result<Payload, AckError> {
        SendError::check_event_name(event)?;
        let id = self.inner.namespace.next_ack_id();
        let encoded = packet::encode_event(self.namespace(), event, &args, Some(id))
            .map_err(SendError::from)?;
        let waiter = self.send_with_ack_id(encoded.into(), id)?;
        waiter.wait(tokio::time::Instant::now() + timeout).await
    }

    /// Disconnects from the namespace, or, when `close`, from every namespace of the
    /// connection, which then closes. The client learns of each first (`io server
    /// disconnect`), as from Node's `disconnect(true)`.
    pub(crate) fn disconnect_from_server(&self, close: bool) {
        self.disconnect();
        if close {
            for socket in self.inner.connection.data().sockets() {
                socket.disconnect();
            }
            self.inner.connection.disconnect();
        }
    }

    /// Queues a packet, or holds it until the connection is confirmed.
    #[inline]
    pub(crate) fn send_packet(&self, frame: Frame) -> Result<(), SendError> {
        self.queue(frame, None)
    }

    /// Queues a broadcast, or holds it, with its offset, until the connection is confirmed. A
    /// client that cannot recover gets it without the offset.
    #[inline]
    pub(crate) fn send_broadcast(&self, packet: &BroadcastPacket) -> Result<(), SendError> {
        // Without recovery nothing is numbered: the one test a delivery pays for it.
        let Some(offset) = packet.offset() else {
            return self.send_packet(packet.frame.clone());
        };
        match self.inner.pid {
            Some(_) => self.queue(packet.frame.clone(), Some(offset)),
            None => self.send_packet(packet.unstamped().clone()),
        }
    }

    // Inlined into each caller, so that a packet without offset skips the repeat check.
    #[inline(always)]
    fn queue(&self, frame: Frame, offset: Option<Offset>) -> Result<(), SendError> {
        if self.inner.closed.load(Ordering::Acquire) {
            return Err(SendError::closed());
        }
        if !self.inner.connected.load(Ordering::Acquire) {
            let mut held = lock(&self.inner.before_connect);
            // Checked again under the lock that confirming the connection takes.
            if !self.inner.connected.load(Ordering::Acquire) {
                if held.len() >= self.inner.connection.queue_capacity() {
                    tracing::warn!(sid = %self.id(), "connect handler emitted more than the queue holds");
                    return Err(SendError::slow_client());
                }
                held.push((frame, offset));
                return Ok(());
            }
        }
        if self.repeats(offset) {
            return Ok(());
        }
        self.inner.connection.send_frame(frame)
    }

    /// Whether a numbered event is one the socket's replay held already.
    fn repeats(&self, offset: Option<Offset>) -> bool {
        matches!((offset, self.inner.replayed.get()), (Some(offset), Some(replayed)) if offset <= *replayed)
    }

    pub(crate) fn send_with_ack_id(&self, frame: Frame, id: u64) -> Result<AckWaiter, SendError> {
        let receiver = self.inner.acks.register(id);
        if let Err(error) = self.send_packet(frame) {
            self.inner.acks.forget(id);
            return Err(error);
        }
        Ok(AckWaiter {
            socket: self.clone(),
            id,
            receiver,
        })
    }

    pub(crate) fn forget_ack(&self, id: u64) {
        self.inner.acks.forget(id);
    }

    /// Enters the namespace: from now on its rooms' broadcasts reach the socket (held until
    /// it is confirmed). Fails, leaving it again, if the connection closed meanwhile.
    pub(crate) fn enter(&self, rooms: &[Room]) -> Result<(), SendError> {
        let namespace = &self.inner.namespace;
        namespace.insert(self.clone());
        namespace.adapter.add_all(self.id(), rooms);
        // Checked after entering: a close that ran before this left nothing to remove.
        if self.inner.closed.load(Ordering::Acquire) {
            self.exit();
            return Err(SendError::closed());
        }
        Ok(())
    }

    /// Leaves the namespace and every room.
    fn exit(&self) {
        let namespace = &self.inner.namespace;
        namespace.adapter.del_all(self.id());
        namespace.remove(self);
    }

    /// Drops a socket being recovered that cannot be: nothing of it ran, nothing is told.
    pub(crate) fn abandon(&self) {
        self.inner.closed.store(true, Ordering::Release);
        self.exit();
    }

    /// Confirms the connection: joins its own room (a recovered socket is in its rooms
    /// already), sends CONNECT, then the events a recovered socket missed, then what was held.
    pub(crate) fn confirm(&self, replay: Replay) -> Result<(), SendError> {
        if !self.inner.recovered {
            self.enter(&[Room::from(self.id().as_str())])?;
        }
        let mut held = lock(&self.inner.before_connect);
        let connect = match self.inner.connection.protocol() {
            ProtocolVersion::V4 => {
                let pid = self.inner.pid.as_ref().map(Sid::as_str);
                packet::encode_connect(self.namespace(), self.id().as_str(), pid)
            }
            ProtocolVersion::V3 => packet::encode_connect_v4(self.namespace()),
        };
        let connection = &self.inner.connection;
        if let Some(up_to) = replay.up_to {
            let _ = self.inner.replayed.set(up_to);
        }
        connection.send_frame(Frame::Text(connect.text))?;
        for missed in &replay.missed {
            connection.send_frame(missed.frame.clone())?;
        }
        // Taken, not drained: the list's memory goes with it rather than staying per socket.
        for (frame, offset) in std::mem::take(&mut *held) {
            if !self.repeats(offset) {
                connection.send_frame(frame)?;
            }
        }
        // After `replayed`: whoever sees the socket connected sees what it replayed.
        self.inner.connected.store(true, Ordering::Release);
        Ok(())
    }

    /// Runs the handler of an event from the client.
    pub(crate) fn on_event(&self, event: String, payload: Payload, ack_id: Option<u64>) {
        self.inner
            .namespace
            .handlers
            .event(self, event, payload, ack_id);
    }

    /// Hands the client's acknowledgement to whoever awaits it.
    pub(crate) fn on_ack(&self, id: u64, payload: Payload) {
        if !self.inner.acks.resolve(id, payload) {
            tracing::debug!(sid = %self.id(), id, "acknowledgement nobody awaits");
        }
    }

    /// Ends the socket once: it leaves its rooms and namespace, awaited acknowledgements
    /// fail, and the disconnect handler runs.
    pub(crate) fn close(&self, reason: DisconnectReason) {
        if self.inner.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        let namespace = &self.inner.namespace;
        let was_connected = self.inner.connected.load(Ordering::Acquire);
        if was_connected
            && is_recoverable(reason)
            && let Some(pid) = self.inner.pid
        {
            self.inner.kept.store(true, Ordering::Release);
            namespace.adapter.persist_session(SavedSession {
                sid: self.id(),
                pid,
                rooms: self.rooms(),
                data: self.inner.data.to_json(),
            });
        }
        self.exit();
        self.inner.connection.data().remove(self.namespace());
        self.inner.acks.clear();
        tracing::debug!(namespace = %namespace.path, sid = %self.id(), %reason, "socket disconnected");
        if was_connected {
            if let Some(observer) = &namespace.observer {
                observer.disconnected(self, reason);
            }
            namespace.handlers.disconnect(self, reason);
        }
    }

    /// Disconnects now (see [`Socket::disconnect`]).
    pub(crate) fn disconnect_now(&self) {
        if self.inner.closed.load(Ordering::Acquire) {
            return;
        }
        let _ = self.send_packet(packet::encode_disconnect(self.namespace()).into());
        self.close(DisconnectReason::ServerNamespaceDisconnect);
    }
}

impl<N> fmt::Debug for Socket<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Socket")
            .field("id", &self.id())
            .field("namespace", &self.namespace())
            .field("connected", &self.connected())
            .finish()
    }
}

impl<N> PartialEq for Socket<N> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl<N> Eq for Socket<N> {}

impl<N: schema::Namespace> Socket<N> {
    /// Emits an event of the namespace's schema: `socket.emit(GoldClicked(text))`. The event
    /// value carries its name and arguments; an event of another namespace, or one that
    /// expects an acknowledgement, does not compile.
    ///
    /// # Errors
    ///
    /// As [`Socket::emit`](Socket#method.emit).
    pub fn emit<E: schema::EmitOn<N>>(&self, event: E) -> Result<(), SendError>
    where
        E::Ack: schema::NoAckExpected<E>,
    {
        let encoded = packet::encode_event(self.namespace(), E::NAME, &event, None)?;
        self.untyped().send_event(encoded.into())
    }

    /// Emits an event whose acknowledgement the schema declares, and awaits it, typed, at
    /// most the server's ack timeout.
    ///
    /// # Errors
    ///
    /// See [`AckError`]; [`AckError::is_decode`] when the reply does not match the schema.
    pub fn emit_with_ack<E: schema::EmitOn<N>>(
        &self,
        event: E,
    ) -> AckFuture<<E::Ack as schema::AckExpected<E>>::Reply>
    where
        E::Ack: schema::AckExpected<E>,
    {
        let timeout = self.inner.namespace.ack_timeout;
        self.emit_with_ack_timeout(event, timeout)
    }

    /// As [`emit_with_ack`](Self::emit_with_ack), with its own timeout.
    ///
    /// # Errors
    ///
    /// As [`emit_with_ack`](Self::emit_with_ack).
    pub fn emit_with_ack_timeout<E: schema::EmitOn<N>>(
        &self,
        event: E,
        timeout: Duration,
    ) -> AckFuture<<E::Ack as schema::AckExpected<E>>::Reply>
    where
        E::Ack: schema::AckExpected<E>,
    {
        // Encoded now, so the future holds no reference to the event.
        let socket = self.untyped();
        let id = self.inner.namespace.next_ack_id();
        let sent = packet::encode_event(self.namespace(), E::NAME, &event, Some(id))
            .map_err(|error| AckError::from(SendError::from(error)))
            .and_then(|encoded| Ok(socket.send_with_ack_id(encoded.into(), id)?));
        let deadline = tokio::time::Instant::now() + timeout;
        AckFuture(Box::pin(async move {
            let reply = sent?.wait(deadline).await?;
            reply.arg(0).map_err(AckError::decode)
        }))
    }
}

/// The typed acknowledgement of [`Socket::emit_with_ack`]: a named future, so that an event
/// without an acknowledgement is reported once, at the call.
#[must_use = "futures do nothing unless awaited"]
#[allow(missing_debug_implementations)]
pub struct AckFuture<T>(
    std::pin::Pin<Box<dyn Future<Output = Result<T, AckError>> + Send + 'static>>,
);

impl<T> Future for AckFuture<T> {
    type Output = Result<T, AckError>;
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        self.0.as_mut().poll(cx)
    }
}
