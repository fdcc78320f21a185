//! The adapter of one namespace: each operation acts on this server's sockets, then is
//! forwarded to the other servers.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::super::wire::WireBroadcast;
use super::super::{
    Adapter, AdapterFuture, BroadcastOptions, BroadcastPacket, LocalAdapter, LocalNamespace, Room,
    ServerReplies, SocketData,
};
use super::incoming::strings;
use super::{Redis, request};
use crate::Sid;
use crate::ack::AckStream;
use crate::engineio::Frame;
use crate::error::SendError;
use crate::payload::Payload;
use crate::socketio::packet::{self, Body, Decoded};
use crate::sync::write;

/// The adapter of one namespace: the in-memory rooms of this server, and the cluster through
/// Redis.
#[derive(Debug)]
pub struct RedisAdapter {
    local: Arc<LocalAdapter>,
    namespace: LocalNamespace,
    redis: Redis,
}

impl RedisAdapter {
    pub(super) fn new(redis: Redis, namespace: LocalNamespace) -> Self {
        let path = namespace.path().to_owned();
        let local = Arc::new(LocalAdapter::new(namespace.clone()));
        write(&redis.0.namespaces).insert(path.clone(), local.clone());
        let _ = redis.0.subscribe.send(path);
        Self {
            local,
            namespace,
            redis,
        }
    }

    /// Publishes a request to every server of the namespace.
    fn request(&self, request: Value) {
        let shared = &self.redis.0;
        shared.publish(
            shared.request_channel(self.namespace.path()),
            request.to_string().into_bytes(),
        );
    }

    /// Asks every other server of the namespace, for as long as Node's adapter waits by
    /// default.
    async fn ask(&self, request: Value) -> ServerReplies {
        let timeout = Duration::from_secs(5);
        self.redis
            .0
            .ask(self.namespace.path(), request, timeout)
            .await
    }

    /// Node's REMOTE_FETCH request for these options.
    fn fetch_request(&self, options: &BroadcastOptions) -> Value {
        json!({ "type": request::REMOTE_FETCH, "opts": self.remote_options(options) })
    }

    /// The sockets the other servers describe in answer to a REMOTE_FETCH, as they sent them.
    async fn fetch_remote(&self, request: Value) -> Vec<Value> {
        let responses = self.ask(request).await;
        responses
            .replies
            .into_iter()
            .flat_map(
                |mut response| match response.get_mut("sockets").map(Value::take) {
                    Some(Value::Array(sockets)) => sockets,
                    _ => Vec::new(),
                },
            )
            .collect()
    }

    fn remote_options(&self, options: &BroadcastOptions) -> Value {
        let list = |rooms: &HashSet<Room>| rooms.iter().map(|r| r.to_string()).collect::<Vec<_>>();
        json!({ "rooms": list(&options.rooms), "except": list(&options.except) })
    }
}

impl Adapter for RedisAdapter {
    fn add_all(&self, sid: Sid, rooms: &[Room]) {
        self.local.add_all(sid, rooms);
    }

    fn del(&self, sid: Sid, room: &Room) {
        self.local.del(sid, room);
    }

    fn del_all(&self, sid: Sid) {
        self.local.del_all(sid);
    }

    fn socket_rooms(&self, sid: Sid) -> Vec<Room> {
        self.local.socket_rooms(sid)
    }

    fn broadcast(
        &self,
        packet: &BroadcastPacket,
        options: &BroadcastOptions,
    ) -> Result<(), SendError> {
        self.local.broadcast(packet, options)?;
        if options.local {
            return Ok(());
        }
        let Some(wire) = to_wire(&self.redis.0.uid, self.namespace.path(), packet, options) else {
            tracing::warn!(
                "a broadcast could not be encoded for the cluster; delivered locally only"
            );
            return Ok(());
        };
        let mut channel = self.redis.0.broadcast_channel(self.namespace.path());
        if let [room] = wire.rooms.as_slice() {
            channel.push_str(room);
            channel.push('#');
        }
        self.redis.0.publish(channel, wire.encode());
        Ok(())
    }

    fn broadcast_with_ack(
        &self,
        packet: BroadcastPacket,
        ack_id: u64,
        options: &BroadcastOptions,
        timeout: Duration,
    ) -> AckStream {
        let mut acks = self
            .local
            .broadcast_with_ack(packet.clone(), ack_id, options, timeout);
        if !options.local
            && let Some(wire) = to_wire(&self.redis.0.uid, self.namespace.path(), &packet, options)
        {
            let gather = self.redis.0.clone().gather_acks(
                self.namespace.path().to_owned(),
                wire,
                acks.deadline(),
                acks.remote(),
            );
            tokio::spawn(gather);
        }
        acks
    }

    fn sockets(&self, options: &BroadcastOptions) -> AdapterFuture<'_, Vec<Sid>> {
        let local = self.local.select(options);
        if options.local {
            return Box::pin(async move { local });
        }
        let request = self.fetch_request(options);
        Box::pin(async move {
            let remote = self.fetch_remote(request).await;
            let ids = remote
                .iter()
                .filter_map(|socket| socket.get("id").and_then(Value::as_str))
                .filter_map(|id| id.parse::<Sid>().ok());
            local.into_iter().chain(ids).collect()
        })
    }

    fn fetch_sockets(&self, options: &BroadcastOptions) -> AdapterFuture<'_, Vec<SocketData>> {
        let local = self.local.socket_data(options);
        if options.local {
            return Box::pin(async move { local });
        }
        let request = self.fetch_request(options);
        Box::pin(async move {
            let remote = self.fetch_remote(request).await;
            let sockets = remote
                .into_iter()
                .filter_map(|socket| match serde_json::from_value(socket) {
                    Ok(socket) => Some(socket),
                    Err(error) => {
                        tracing::warn!(%error, "skipped a socket of another server that does not decode");
                        None
                    }
                });
            local.into_iter().chain(sockets).collect()
        })
    }

    fn all_rooms(&self) -> AdapterFuture<'_, HashSet<Room>> {
        let local = self.local.rooms();
        let request = json!({ "type": request::ALL_ROOMS });
        Box::pin(async move {
            let responses = self.ask(request).await;
            let remote = responses
                .replies
                .iter()
                .filter_map(|response| response.get("rooms"))
                .flat_map(|rooms| strings(Some(rooms)));
            local.into_iter().chain(remote).collect()
        })
    }

    fn add_sockets(&self, options: &BroadcastOptions, rooms: &[Room]) {
        self.local.add_sockets(options, rooms);
        if !options.local {
            let rooms: Vec<String> = rooms.iter().map(|r| r.to_string()).collect();
            self.request(json!({ "uid": self.redis.0.uid, "type": request::REMOTE_JOIN, "opts": self.remote_options(options), "rooms": rooms }));
        }
    }

    fn del_sockets(&self, options: &BroadcastOptions, rooms: &[Room]) {
        self.local.del_sockets(options, rooms);
        if !options.local {
            let rooms: Vec<String> = rooms.iter().map(|r| r.to_string()).collect();
            self.request(json!({ "uid": self.redis.0.uid, "type": request::REMOTE_LEAVE, "opts": self.remote_options(options), "rooms": rooms }));
        }
    }

    fn server_side_emit(&self, event: &str, args: &Payload) {
        self.request(json!({ "uid": self.redis.0.uid, "type": request::SERVER_SIDE_EMIT, "data": server_event_data(event, args) }));
    }

    fn server_side_emit_with_ack(
        &self,
        event: &str,
        args: &Payload,
        timeout: Duration,
    ) -> AdapterFuture<'_, ServerReplies> {
        let request =
            json!({ "type": request::SERVER_SIDE_EMIT, "data": server_event_data(event, args) });
        Box::pin(async move {
            let mut answers = self
                .redis
                .0
                .ask(self.namespace.path(), request, timeout)
                .await;
            for reply in &mut answers.replies {
                *reply = reply.get_mut("data").map(Value::take).unwrap_or_default();
            }
            answers
        })
    }

    fn disconnect_sockets(&self, options: &BroadcastOptions, close: bool) {
        self.local.disconnect_sockets(options, close);
        if !options.local {
            self.request(json!({ "uid": self.redis.0.uid, "type": request::REMOTE_DISCONNECT, "opts": self.remote_options(options), "close": close }));
        }
    }
}

/// A server-side emit's `data`: the event and its arguments, as JSON. Node sends these
/// requests as JSON, so binary arguments travel as arrays of bytes.
fn server_event_data(event: &str, args: &Payload) -> Vec<Value> {
    let mut data = vec![Value::from(event)];
    data.extend(
        args.values()
            .iter()
            .map(|value| serde_json::to_value(args.with_binary(value)).unwrap_or(Value::Null)),
    );
    data
}

/// A broadcast's frame as the cluster message Node's adapters publish.
fn to_wire(
    uid: &str,
    namespace: &str,
    packet: &BroadcastPacket,
    options: &BroadcastOptions,
) -> Option<WireBroadcast> {
    let (text, attachments) = match &packet.0 {
        Frame::Text(text) => (text, &[][..]),
        Frame::TextWithBinary(text, attachments) => (text, attachments.raw()),
        _ => return None,
    };
    let body = text.as_str().strip_prefix('4')?;
    let decoded = match packet::decode(body, attachments.len()).ok()? {
        Decoded::Complete(packet) => packet,
        Decoded::Partial(mut partial) => attachments
            .iter()
            .find_map(|data| partial.push(data.clone()))?,
    };
    let Body::Event { name, args, .. } = decoded.body else {
        return None;
    };
    let list = |rooms: &HashSet<Room>| rooms.iter().map(|r| r.to_string()).collect();
    Some(WireBroadcast {
        uid: uid.to_owned(),
        namespace: namespace.to_owned(),
        event: name,
        args,
        rooms: list(&options.rooms),
        except: list(&options.except),
    })
}
