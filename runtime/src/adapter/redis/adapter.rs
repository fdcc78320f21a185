//! The adapter of one namespace: each operation acts on this server's sockets, then is
//! forwarded to the other servers.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use super::super::LocalAdapter;
use super::super::wire::WireBroadcast;
use super::{Answers, Redis, request};
use crate::Sid;
use crate::error::ClusterResult;
use crate::error::SendError;
use crate::payload::Payload;
use crate::socket::ack::AckStream;
use crate::socket::adapter::{
    Adapter, AdapterFuture, BroadcastOptions, BroadcastPacket, LocalNamespace, Room, SocketInfo,
    room_names,
};
use crate::socket::recovery::SavedSession;

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
        redis.0.namespaces.join(&path, &local);
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

    /// Asks every other server of the namespace.
    async fn ask(&self, request: Value) -> Answers {
        self.redis.0.ask(self.namespace.path(), request).await
    }

    /// Node's REMOTE_FETCH request for these options.
    fn fetch_request(&self, options: &BroadcastOptions) -> Value {
        json!({ "type": request::REMOTE_FETCH, "opts": self.remote_options(options) })
    }

    fn remote_options(&self, options: &BroadcastOptions) -> Value {
        let list = |rooms: &HashSet<Room>| rooms.iter().map(|r| r.to_string()).collect::<Vec<_>>();
        json!({ "rooms": list(&options.rooms), "except": list(&options.except) })
    }
}

impl Drop for RedisAdapter {
    /// The namespace's server is gone: another may now be built on this connection.
    fn drop(&mut self) {
        self.redis
            .0
            .namespaces
            .leave(self.namespace.path(), &self.local);
    }
}

impl Adapter for RedisAdapter {
    super::local_index!();

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

    fn sockets(&self, options: &BroadcastOptions) -> AdapterFuture<'_, ClusterResult<Vec<Sid>>> {
        let local = self.local_sockets(options);
        if options.local {
            return Box::pin(async move { Ok(local) });
        }
        let request = self.fetch_request(options);
        Box::pin(async move {
            let answers = self.ask(request).await;
            let remote = described_sockets(&answers).filter_map(|socket| {
                let id = socket.get("id").and_then(Value::as_str).unwrap_or_default();
                id.parse::<Sid>()
                    .inspect_err(|_| tracing::warn!(%id, "skipped a socket of another server whose id is not a socket.io id"))
                    .ok()
            });
            let ids = local.into_iter().chain(remote).collect();
            answers.result(ids)
        })
    }

    fn fetch_sockets(
        &self,
        options: &BroadcastOptions,
    ) -> AdapterFuture<'_, ClusterResult<Vec<SocketInfo>>> {
        let local = self.namespace.socket_info(&self.local_sockets(options));
        if options.local {
            return Box::pin(async move { Ok(local) });
        }
        let request = self.fetch_request(options);
        Box::pin(async move {
            let answers = self.ask(request).await;
            let remote = described_sockets(&answers).filter_map(|socket| {
                SocketInfo::deserialize(socket)
                    .inspect_err(|error| {
                        tracing::warn!(%error, "skipped a socket of another server that does not decode");
                    })
                    .ok()
            });
            let sockets = local.into_iter().chain(remote).collect();
            answers.result(sockets)
        })
    }

    fn all_rooms(&self) -> AdapterFuture<'_, ClusterResult<HashSet<Room>>> {
        let local = self.local.rooms();
        let request = json!({ "type": request::ALL_ROOMS });
        Box::pin(async move {
            let answers = self.ask(request).await;
            let remote = answers
                .replies
                .iter()
                .flat_map(|answer| room_names(answer.get("rooms")));
            let rooms = local.into_iter().chain(remote).collect();
            answers.result(rooms)
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
    ) -> AdapterFuture<'_, ClusterResult<Vec<Value>>> {
        let request =
            json!({ "type": request::SERVER_SIDE_EMIT, "data": server_event_data(event, args) });
        Box::pin(async move {
            let answers = self.ask(request).await;
            let data = answers
                .replies
                .iter()
                .map(|answer| answer.get("data").cloned().unwrap_or_default())
                .collect();
            answers.result(data)
        })
    }

    /// The classic adapter keeps sessions on this server only: a client recovers when it comes
    /// back to the same server (sticky sessions), as Node's classic adapter cannot at all.
    fn persist_session(&self, session: SavedSession) {
        self.local.persist_session(session);
    }

    fn take_session(&self, pid: Sid, offset: &str) -> AdapterFuture<'_, Option<SavedSession>> {
        self.local.take_session(pid, offset)
    }

    fn missed_packets<'a>(
        &'a self,
        session: &'a SavedSession,
        offset: &'a str,
    ) -> AdapterFuture<'a, Option<Vec<BroadcastPacket>>> {
        self.local.missed_packets(session, offset)
    }

    fn disconnect_sockets(&self, options: &BroadcastOptions, close: bool) {
        self.local.disconnect_sockets(options, close);
        if !options.local {
            self.request(json!({ "uid": self.redis.0.uid, "type": request::REMOTE_DISCONNECT, "opts": self.remote_options(options), "close": close }));
        }
    }
}

/// The sockets the other servers described in answer to a REMOTE_FETCH.
fn described_sockets(answers: &Answers) -> impl Iterator<Item = &Value> {
    answers
        .replies
        .iter()
        .filter_map(|answer| answer.get("sockets")?.as_array())
        .flatten()
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
pub(super) fn to_wire(
    uid: &str,
    namespace: &str,
    packet: &BroadcastPacket,
    options: &BroadcastOptions,
) -> Option<WireBroadcast> {
    let (name, args) = packet.event()?;
    let list = |rooms: &HashSet<Room>| rooms.iter().map(|r| r.to_string()).collect();
    Some(WireBroadcast {
        uid: uid.to_owned(),
        namespace: namespace.to_owned(),
        event: name,
        // Just decoded: the payload's only owner, so this moves rather than copies.
        args: std::sync::Arc::unwrap_or_clone(args.0),
        rooms: list(&options.rooms),
        except: list(&options.except),
    })
}
