//! The socket layer's contract with adapters: the `Adapter` trait that keeps a namespace's
//! rooms and reaches its sockets, what it is given (options, packets) and what it answers
//! (socket descriptions), and the `LocalNamespace` through which it delivers. Adapters
//! themselves (the in-memory one, Redis) live above, in `adapter/`.

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Sid;
use crate::engineio::Frame;
use crate::error::{ClusterResult, SendError};
use crate::payload::Payload;
use crate::socket::ack::AckStream;
use crate::socket::namespace::Namespace;
use crate::socket::observer::Observer;
use crate::socket::recovery::{ConnectionStateRecovery, Offset, SavedSession};
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// A room name. Every socket is in the room named by its own id.
pub type Room = Arc<str>;

/// A future returned by an adapter.
pub type AdapterFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Which sockets an operation addresses: those in any of `rooms` (every socket when empty),
/// minus those in any of `except`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BroadcastOptions {
    /// The rooms addressed; empty means the whole namespace.
    pub rooms: HashSet<Room>,
    /// Rooms whose sockets are left out (a sender excluding itself lists its own id).
    pub except: HashSet<Room>,
    /// Only the sockets of this server, even in a cluster.
    pub local: bool,
}

/// A packet encoded once, shared by every socket it is delivered to, whatever protocol
/// revision each client speaks.
///
/// An adapter delivers it to local sockets with [`LocalNamespace::deliver`]; a cluster adapter
/// reads it ([`text`](Self::text), [`attachments`](Self::attachments),
/// [`event`](Self::event)) to forward it, and builds the ones other servers send it with
/// [`new`](Self::new).
///
/// # Examples
///
/// ```
/// let packet = ferrio::BroadcastPacket::new("/chat", "said", ("ada", bytes::Bytes::from_static(b"hi")))?;
/// assert_eq!(packet.text(), r#"51-/chat,["said","ada",{"_placeholder":true,"num":0}]"#);
/// assert_eq!(packet.attachments(), [bytes::Bytes::from_static(b"hi")]);
/// let (event, args) = packet.event().expect("an event");
/// assert_eq!((event.as_str(), args.arg::<String>(0)?.as_str()), ("said", "ada"));
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct BroadcastPacket {
    pub(crate) frame: Frame,
    /// Where the event sits in its namespace's order, once an adapter that recovers
    /// connections stamped it, and the event as it was before, for clients that cannot
    /// recover (the socket.io client 2.x), which see no offset.
    stamp: Option<(Offset, Frame)>,
}

impl BroadcastPacket {
    pub(crate) fn from_frame(frame: Frame) -> Self {
        Self { frame, stamp: None }
    }

    /// Encodes an event of a namespace (a tuple is several arguments, `()` none).
    ///
    /// # Errors
    ///
    /// The arguments do not serialize, or the event name is one socket.io reserves.
    pub fn new<T: Serialize>(namespace: &str, event: &str, args: T) -> Result<Self, SendError> {
        SendError::check_event_name(event)?;
        let encoded = crate::socketio::packet::encode_event(namespace, event, &args, None)?;
        Ok(Self::from_frame(encoded.into()))
    }

    /// The same event with an offset as its last argument, for connection state recovery:
    /// the client echoes the last offset it received when it reconnects. An offset is a
    /// number (`"42"`) or a Redis Streams entry id (`"1700000000000-3"`); `None` for any other
    /// text, or a packet that is no event.
    ///
    /// # Examples
    ///
    /// ```
    /// let packet = ferrio::BroadcastPacket::new("/", "news", "hi")?;
    /// let stamped = packet.with_offset("1700000000000-3").expect("an offset");
    /// assert_eq!(stamped.text(), r#"2["news","hi","1700000000000-3"]"#);
    /// assert!(packet.with_offset("1; DROP").is_none());
    /// # Ok::<_, ferrio::SendError>(())
    /// ```
    pub fn with_offset(&self, offset: &str) -> Option<Self> {
        let parsed: Offset = offset.parse().ok()?;
        let stamp = |text: &Utf8Bytes| {
            // An event's text ends with its argument array; the offset goes last in it. Its
            // characters (digits, `-`) need no escaping.
            let open = text.as_str().strip_suffix(']')?;
            let mut stamped = String::with_capacity(text.len() + offset.len() + 3);
            stamped.push_str(open);
            stamped.push_str(",\"");
            stamped.push_str(offset);
            stamped.push_str("\"]");
            Some(Utf8Bytes::from(stamped))
        };
        let frame = match &self.frame {
            Frame::Text(text) => Frame::Text(stamp(text)?),
            Frame::TextWithBinary(text, attachments) => {
                Frame::TextWithBinary(stamp(text)?, attachments.clone())
            }
            _ => return None,
        };
        Some(Self {
            frame,
            stamp: Some((parsed, self.unstamped().clone())),
        })
    }

    #[inline]
    pub(crate) fn offset(&self) -> Option<Offset> {
        self.stamp.as_ref().map(|(offset, _)| *offset)
    }

    /// The event without its offset.
    pub(crate) fn unstamped(&self) -> &Frame {
        self.stamp.as_ref().map_or(&self.frame, |(_, frame)| frame)
    }

    /// The Socket.IO packet as text (`2[..]`, or `5N-[..]` with binary), as it goes out.
    pub fn text(&self) -> &str {
        let text = match &self.frame {
            Frame::Text(text) | Frame::TextWithBinary(text, _) => text.as_str(),
            _ => "",
        };
        // Frames carry Engine.IO's message type, `4`, in front.
        text.strip_prefix('4').unwrap_or(text)
    }

    /// The binary attachments, in placeholder order.
    pub fn attachments(&self) -> &[bytes::Bytes] {
        match &self.frame {
            Frame::TextWithBinary(_, attachments) => attachments,
            _ => &[],
        }
    }

    /// The event's name and arguments, decoded; `None` for a packet that is no event.
    pub fn event(&self) -> Option<(String, Payload)> {
        use crate::socketio::packet::{self, Body, Decoded};
        let attachments = self.attachments();
        let decoded = match packet::decode(self.text(), attachments.len()).ok()? {
            Decoded::Complete(packet) => packet,
            Decoded::Partial(mut partial) => attachments
                .iter()
                .find_map(|data| partial.push(data.clone()))?,
        };
        match decoded.body {
            Body::Event { name, args, .. } => Some((name, Payload::new(args))),
            _ => None,
        }
    }
}

/// The rooms and broadcasts of one namespace.
///
/// ferrio calls these methods; an implementation keeps the room index and delivers packets
/// through the [`LocalNamespace`] it was created with. One server's adapter implements the
/// index (the required methods) and keeps the defaults, which act on this server's sockets;
/// a cluster adapter also forwards each operation to the other servers and merges their
/// answers, which is why the queries are asynchronous.
pub trait Adapter: Send + Sync + 'static {
    /// The sockets of this server that the adapter serves.
    fn namespace(&self) -> &LocalNamespace;

    /// The sockets of this server the options address, each once.
    fn local_sockets(&self, options: &BroadcastOptions) -> Vec<Sid>;

    /// Adds a socket to rooms.
    fn add_all(&self, sid: Sid, rooms: &[Room]);
    /// Removes a socket from a room.
    fn del(&self, sid: Sid, room: &Room);
    /// Removes a socket from every room.
    fn del_all(&self, sid: Sid);
    /// The rooms a local socket is in.
    fn socket_rooms(&self, sid: Sid) -> Vec<Room>;

    /// Every room of the namespace, socket-id rooms included (Node's `allRooms`); a cluster
    /// adapter merges the rooms of every server.
    fn all_rooms(&self) -> AdapterFuture<'_, ClusterResult<HashSet<Room>>>;

    /// Delivers a packet to every addressed socket. The default delivers to this server's.
    ///
    /// # Errors
    ///
    /// Never for a socket's own failure (a slow client is disconnected and logged); an
    /// adapter returns an error only when it cannot reach the sockets at all.
    fn broadcast(
        &self,
        packet: &BroadcastPacket,
        options: &BroadcastOptions,
    ) -> Result<(), SendError> {
        self.namespace()
            .deliver(&self.local_sockets(options), packet)
    }

    /// Delivers a packet that asks each socket for an acknowledgement, and streams the
    /// answers. The default asks this server's sockets.
    fn broadcast_with_ack(
        &self,
        packet: BroadcastPacket,
        ack_id: u64,
        options: &BroadcastOptions,
        timeout: Duration,
    ) -> AckStream {
        self.namespace()
            .deliver_with_ack(&self.local_sockets(options), &packet, ack_id, timeout)
    }

    /// The ids of the addressed sockets, on every server. The default lists this server's.
    fn sockets(&self, options: &BroadcastOptions) -> AdapterFuture<'_, ClusterResult<Vec<Sid>>> {
        Box::pin(std::future::ready(Ok(self.local_sockets(options))))
    }

    /// What the servers tell of the addressed sockets (Node's `fetchSockets`). The default
    /// tells of this server's.
    fn fetch_sockets(
        &self,
        options: &BroadcastOptions,
    ) -> AdapterFuture<'_, ClusterResult<Vec<SocketInfo>>> {
        let info = self.namespace().socket_info(&self.local_sockets(options));
        Box::pin(std::future::ready(Ok(info)))
    }

    /// Makes the addressed sockets join rooms. The default moves this server's.
    fn add_sockets(&self, options: &BroadcastOptions, rooms: &[Room]) {
        for sid in self.local_sockets(options) {
            self.add_all(sid, rooms);
        }
    }

    /// Makes the addressed sockets leave rooms. The default moves this server's.
    fn del_sockets(&self, options: &BroadcastOptions, rooms: &[Room]) {
        for sid in self.local_sockets(options) {
            for room in rooms {
                self.del(sid, room);
            }
        }
    }

    /// Disconnects the addressed sockets (and their whole connection when `close`). The
    /// default disconnects this server's.
    fn disconnect_sockets(&self, options: &BroadcastOptions, close: bool) {
        self.namespace()
            .disconnect(&self.local_sockets(options), close);
    }

    /// Sends an event to the other servers of the cluster (Node's `serverSideEmit`), whose
    /// [`SocketIoBuilder::on_server_event`](crate::SocketIoBuilder::on_server_event) listeners
    /// receive it. A single server has no one to tell: the default does nothing.
    fn server_side_emit(&self, event: &str, args: &Payload) {
        let _ = (event, args);
    }

    /// Sends an event to the other servers of the cluster and gathers each one's answer. A
    /// single server has no one to ask: the default answers at once, with nothing.
    fn server_side_emit_with_ack(
        &self,
        event: &str,
        args: &Payload,
    ) -> AdapterFuture<'_, ClusterResult<Vec<serde_json::Value>>> {
        let _ = (event, args);
        Box::pin(std::future::ready(Ok(Vec::new())))
    }
    /// Delivers an event emitted to one socket of this server: [`Socket::emit`](crate::Socket)
    /// when the server recovers connections, so that the event is kept and numbered as a
    /// broadcast is. The default broadcasts it to the socket's own room, on this server.
    ///
    /// # Errors
    ///
    /// As [`broadcast`](Self::broadcast).
    fn emit_to_socket(&self, sid: Sid, packet: &BroadcastPacket) -> Result<(), SendError> {
        let mut options = BroadcastOptions {
            local: true,
            ..BroadcastOptions::default()
        };
        options.rooms.insert(Room::from(sid.as_str()));
        self.broadcast(packet, &options)
    }

    /// Keeps the session of a socket whose connection was lost, for connection state
    /// recovery. The default keeps nothing: its sockets never recover.
    fn persist_session(&self, session: SavedSession) {
        let _ = session;
    }

    /// Takes back the session `pid` names, if it is kept, has not expired, and every event
    /// emitted after `offset` is still kept; after this call it is kept no longer, whatever
    /// the answer. The default keeps none.
    fn take_session(&self, pid: Sid, offset: &str) -> AdapterFuture<'_, Option<SavedSession>> {
        let _ = (pid, offset);
        Box::pin(std::future::ready(None))
    }

    /// The events emitted to the session's rooms after `offset`, oldest first, each stamped
    /// with its own offset ([`BroadcastPacket::with_offset`]); `None` when some of them are no
    /// longer kept. The default keeps none.
    fn missed_packets<'a>(
        &'a self,
        session: &'a SavedSession,
        offset: &'a str,
    ) -> AdapterFuture<'a, Option<Vec<BroadcastPacket>>> {
        let _ = (session, offset);
        Box::pin(std::future::ready(None))
    }
}

/// A socket as its server describes it to the cluster: one element of the answer to Node's
/// `fetchSockets`, in Node's JSON shape.
///
/// # Examples
///
/// ```
/// let node_answer = serde_json::json!({
///     "id": "J2eN0aZi5AhDrQg9AAAB",
///     "handshake": { "auth": { "name": "ada" }, "query": { "EIO": "4" }, "url": "/socket.io/?EIO=4" },
///     "rooms": ["J2eN0aZi5AhDrQg9AAAB", "lobby"],
///     "data": { "score": 3 },
/// });
/// let socket: ferrio::SocketInfo = serde_json::from_value(node_answer).unwrap();
/// assert_eq!(socket.handshake.auth["name"], "ada");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SocketInfo {
    /// The socket's id.
    pub id: Sid,
    /// The request that opened its connection.
    pub handshake: HandshakeData,
    /// The rooms it is in, its own id included.
    #[serde(deserialize_with = "deserialize_rooms")]
    pub rooms: Vec<Room>,
    /// Its data (Node's `socket.data`, ferrio's [`SocketData`](crate::SocketData)); `{}`
    /// when it has none.
    #[serde(default)]
    pub data: serde_json::Value,
}

/// The handshake of a socket of the cluster, as [`SocketInfo`] carries it. (Node also sends
/// the connection's time as JavaScript's `Date` text, which ferrio leaves out.)
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HandshakeData {
    /// The request's headers, by lowercase name.
    pub headers: serde_json::Map<String, serde_json::Value>,
    /// The request's path and query.
    pub url: String,
    /// The query parameters.
    pub query: serde_json::Map<String, serde_json::Value>,
    /// The auth payload the client connected with.
    pub auth: serde_json::Value,
    /// Whether the request came from another origin.
    pub xdomain: bool,
    /// Whether the connection is encrypted (ferrio servers do not record it, and say `false`).
    pub secure: bool,
    /// The client's IP address, when its server knows it.
    pub address: String,
    /// When the connection opened, in milliseconds since the Unix epoch.
    pub issued: u64,
}

impl SocketInfo {
    /// Describes a socket of this server.
    pub(crate) fn of(socket: &crate::Socket) -> Self {
        let handshake = socket.handshake();
        // Repeated headers are joined, as Node does.
        let mut headers = serde_json::Map::new();
        for name in handshake.headers.keys() {
            let values: Vec<&str> = handshake
                .headers
                .get_all(name)
                .iter()
                .filter_map(|value| value.to_str().ok())
                .collect();
            headers.insert(name.to_string(), values.join(", ").into());
        }
        let query = form_urlencoded::parse(handshake.uri.query().unwrap_or_default().as_bytes())
            .map(|(key, value)| (key.into_owned(), value.into_owned().into()))
            .collect();
        let url = handshake
            .uri
            .path_and_query()
            .map_or_else(|| handshake.uri.to_string(), ToString::to_string);
        Self {
            id: socket.id(),
            handshake: HandshakeData {
                headers,
                url,
                query,
                auth: socket.auth().clone(),
                xdomain: handshake.headers.contains_key(http::header::ORIGIN),
                secure: false,
                address: handshake
                    .address
                    .map(|address| address.ip().to_string())
                    .unwrap_or_default(),
                issued: handshake
                    .issued
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |since| since.as_millis() as u64),
            },
            rooms: socket.rooms(),
            data: socket.data_slot().to_json(),
        }
    }
}

/// Room names in a JSON value: a string, a number (JavaScript apps may join numeric rooms), or
/// a list of those.
pub(crate) fn room_names(value: Option<&serde_json::Value>) -> Vec<Room> {
    use serde_json::Value;
    match value {
        Some(Value::String(room)) => vec![Room::from(room.as_str())],
        Some(Value::Number(room)) => vec![Room::from(room.to_string())],
        Some(Value::Array(rooms)) => rooms
            .iter()
            .flat_map(|room| match room {
                Value::Array(_) => Vec::new(),
                room => room_names(Some(room)),
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn deserialize_rooms<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<Room>, D::Error> {
    let value = serde_json::Value::deserialize(deserializer)?;
    Ok(room_names(Some(&value)))
}

/// Creates the adapter of each namespace.
pub trait AdapterFactory: Send + Sync + 'static {
    /// Creates the adapter of a namespace.
    fn create(&self, namespace: LocalNamespace) -> Arc<dyn Adapter>;
}

impl<F, A> AdapterFactory for F
where
    F: Fn(LocalNamespace) -> A + Send + Sync + 'static,
    A: Adapter,
{
    fn create(&self, namespace: LocalNamespace) -> Arc<dyn Adapter> {
        Arc::new(self(namespace))
    }
}

/// The sockets of one namespace on this server, as an adapter reaches them.
#[derive(Clone)]
pub struct LocalNamespace {
    namespace: Weak<Namespace>,
    path: Arc<str>,
    recovery: Option<ConnectionStateRecovery>,
    observer: Option<Arc<dyn Observer>>,
}

impl LocalNamespace {
    pub(crate) fn new(
        namespace: Weak<Namespace>,
        path: Arc<str>,
        recovery: Option<ConnectionStateRecovery>,
        observer: Option<Arc<dyn Observer>>,
    ) -> Self {
        Self {
            namespace,
            path,
            recovery,
            observer,
        }
    }

    /// Whether the server has an observer to tell of room changes.
    pub(crate) fn is_observed(&self) -> bool {
        self.observer.is_some()
    }

    /// Tells the server's observer, if it has one, that `sid` joined (`true`) or left rooms.
    pub(crate) fn observe_rooms<'a>(
        &self,
        sid: Sid,
        joined: bool,
        rooms: impl IntoIterator<Item = &'a Room>,
    ) {
        let Some(observer) = &self.observer else {
            return;
        };
        for room in rooms {
            match joined {
                true => observer.joined(&self.path, room, sid),
                false => observer.left(&self.path, room, sid),
            }
        }
    }

    /// The namespace's path, such as `/` or `/chat`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The server's connection state recovery setting, when it recovers connections: an
    /// adapter that supports it then keeps sessions and events within these limits.
    pub fn recovery(&self) -> Option<&ConnectionStateRecovery> {
        self.recovery.as_ref()
    }

    pub(crate) fn get(&self) -> Option<Arc<Namespace>> {
        self.namespace.upgrade()
    }

    /// Delivers a packet to the sockets of `sids` still connected to this server. A socket
    /// that cannot take it is disconnected and logged, and does not fail the delivery.
    ///
    /// # Errors
    ///
    /// The namespace is gone (the server shut down).
    pub fn deliver(&self, sids: &[Sid], packet: &BroadcastPacket) -> Result<(), SendError> {
        let namespace = self.get().ok_or_else(SendError::closed)?;
        namespace.with_sockets(sids, |socket| {
            let _ = socket.send_broadcast(packet);
        });
        Ok(())
    }

    /// Delivers a packet that asks for acknowledgement `ack_id` to the sockets of `sids`, and
    /// streams their answers until `timeout`.
    pub fn deliver_with_ack(
        &self,
        sids: &[Sid],
        packet: &BroadcastPacket,
        ack_id: u64,
        timeout: Duration,
    ) -> AckStream {
        let mut acks = AckStream::new(timeout);
        if let Some(namespace) = self.get() {
            namespace.with_sockets(sids, |socket| {
                acks.push(
                    socket.id(),
                    socket.send_with_ack_id(packet.frame.clone(), ack_id),
                );
            });
        }
        acks
    }

    /// What this server tells the cluster of the sockets of `sids` (Node's `fetchSockets`).
    pub fn socket_info(&self, sids: &[Sid]) -> Vec<SocketInfo> {
        let Some(namespace) = self.get() else {
            return Vec::new();
        };
        sids.iter()
            .filter_map(|sid| namespace.socket(*sid))
            .map(|socket| SocketInfo::of(&socket))
            .collect()
    }

    /// Disconnects the sockets of `sids` from the namespace, and their whole connection when
    /// `close` (Node's `disconnectSockets(close)`).
    pub fn disconnect(&self, sids: &[Sid], close: bool) {
        let Some(namespace) = self.get() else {
            return;
        };
        for sid in sids {
            if let Some(socket) = namespace.socket(*sid) {
                socket.disconnect_from_server(close);
            }
        }
    }
}

impl fmt::Debug for LocalNamespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("LocalNamespace").field(&self.path).finish()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn room_names_take_strings_numbers_and_lists_of_them() {
        let names = |value| room_names(Some(&value));
        assert_eq!(names(json!("lobby")), vec![Room::from("lobby")]);
        assert_eq!(names(json!(42)), vec![Room::from("42")]);
        assert_eq!(
            names(json!(["a", 7, null, ["nested"]])),
            vec![Room::from("a"), Room::from("7")]
        );
        assert!(names(json!(null)).is_empty());
    }

    #[test]
    fn socket_info_reads_node_numeric_rooms_and_missing_fields() {
        let node = json!({ "id": "J2eN0aZi5AhDrQg9AAAB", "handshake": {}, "rooms": ["J2eN0aZi5AhDrQg9AAAB", 3] });
        let socket = serde_json::from_value::<SocketInfo>(node).map(|socket| socket.rooms);
        assert_eq!(
            socket.ok(),
            Some(vec![Room::from("J2eN0aZi5AhDrQg9AAAB"), Room::from("3")])
        );
    }
}
