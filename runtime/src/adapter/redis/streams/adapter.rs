//! The adapter of one namespace on Redis Streams: each operation acts on this server's
//! sockets and goes to the others through the stream or Pub/Sub; and what the others send,
//! acted on here.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rmpv::Value as Msg;
use serde::Deserialize;

use super::message::{Message, kind, map, msgpack};
use super::{Delivery, RedisStreams, Shared, request_id, xrange_entries};
use crate::Sid;
use crate::adapter::LocalAdapter;
use crate::adapter::redis::adapter::to_wire;
use crate::adapter::redis::incoming::{answer_broadcast_with_ack, serve_server_event, to_local};
use crate::adapter::wire::{self, WireBroadcast};
use crate::error::{ClusterResult, Incomplete, SendError};
use crate::payload::Payload;
use crate::socket::ack::AckStream;
use crate::socket::adapter::{
    Adapter, AdapterFuture, BroadcastOptions, BroadcastPacket, LocalNamespace, Room, SocketInfo,
};
use crate::socket::recovery::{Offset, SavedSession};
use crate::socketio::packet::Args;

/// The adapter of one namespace: the in-memory rooms of this server, and the cluster through
/// a Redis stream and Pub/Sub. Sessions of disconnected sockets are kept in Redis, so that a
/// client recovers on any server of the cluster, ferrio's or Node's.
#[derive(Debug)]
pub struct RedisStreamsAdapter {
    local: Arc<LocalAdapter>,
    namespace: LocalNamespace,
    redis: RedisStreams,
}

impl RedisStreamsAdapter {
    pub(super) fn new(redis: RedisStreams, namespace: LocalNamespace) -> Self {
        let path = namespace.path().to_owned();
        let local = Arc::new(LocalAdapter::rooms_only(namespace.clone()));
        redis.0.namespaces.join(&path, &local);
        let _ = redis.0.subscribe.send(path);
        Self {
            local,
            namespace,
            redis,
        }
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.redis.0
    }

    fn message(&self, kind: u64, data: Msg) -> Message {
        self.shared().message(self.namespace.path(), kind, data)
    }

    /// Asks every other server a question and gathers one answer from each, or those that
    /// came within the requests timeout.
    async fn ask(&self, kind: u64, data: Vec<(&str, Msg)>) -> (Vec<Message>, Option<usize>) {
        // `expected` is how many servers were asked; `None` when they could not be counted.
        let shared = self.shared();
        let expected = shared.other_servers(self.namespace.path()).await;
        let mut replies = Vec::new();
        if expected.is_none_or(|expected| expected == 0) {
            return (replies, expected);
        }
        let id = request_id();
        let mut answers = shared.await_answers(&id);
        let mut fields: Vec<(Msg, Msg)> = data
            .into_iter()
            .map(|(key, value)| (Msg::from(key), value))
            .collect();
        fields.push((Msg::from("requestId"), Msg::from(id.as_str())));
        let question = self.message(kind, Msg::Map(fields));
        shared.publish(shared.public_channel(self.namespace.path()), &question);
        let deadline = tokio::time::Instant::now() + shared.settings.requests_timeout;
        while expected.is_some_and(|expected| replies.len() < expected) {
            match answers.next(deadline).await {
                Some(answer) => replies.push(answer),
                None => {
                    tracing::warn!(namespace = %self.namespace.path(), got = replies.len(), ?expected, "cluster request timed out");
                    break;
                }
            }
        }
        (replies, expected)
    }

    /// The sockets the other servers describe for these options (Node's `fetchSockets`).
    async fn remote_sockets(&self, options: &BroadcastOptions) -> (Vec<SocketInfo>, Tally) {
        let (replies, expected) = self
            .ask(kind::FETCH_SOCKETS, vec![("opts", options_msg(options))])
            .await;
        let tally = Tally(replies.len(), expected);
        let sockets = replies
            .iter()
            .filter_map(|reply| match reply.get("sockets") {
                Some(Msg::Array(sockets)) => Some(sockets),
                _ => None,
            })
            .flatten()
            .filter_map(|socket| {
                let json = wire::to_json(socket, &mut Vec::new()).ok()?;
                SocketInfo::deserialize(json)
                    .inspect_err(|error| tracing::warn!(%error, "skipped a socket of another server that does not decode"))
                    .ok()
            })
            .collect();
        (sockets, tally)
    }

    fn recovers(&self) -> bool {
        self.namespace.recovery().is_some()
    }
}

impl Drop for RedisStreamsAdapter {
    /// The namespace's server is gone: another may now be built on this connection.
    fn drop(&mut self) {
        self.shared()
            .namespaces
            .leave(self.namespace.path(), &self.local);
    }
}

impl Adapter for RedisStreamsAdapter {
    super::super::local_index!();

    /// This server's rooms: Node's cluster adapters do not gather the others'.
    fn all_rooms(&self) -> AdapterFuture<'_, ClusterResult<HashSet<Room>>> {
        self.local.all_rooms()
    }

    /// Appends the broadcast to the stream. With recovery, this server's sockets get it once
    /// the stream numbered it, with that number as its offset (as in Node); without, at once.
    fn broadcast(
        &self,
        packet: &BroadcastPacket,
        options: &BroadcastOptions,
    ) -> Result<(), SendError> {
        if options.local {
            return self.local.broadcast(packet, options);
        }
        let Some(wire) = to_wire(&self.shared().uid, self.namespace.path(), packet, options) else {
            tracing::warn!(
                "a broadcast could not be encoded for the cluster; delivered locally only"
            );
            return self.local.broadcast(packet, options);
        };
        let message = self.message(
            kind::BROADCAST,
            map([("packet", wire.packet()), ("opts", wire.options())]),
        );
        let delivery = Delivery {
            local: self.local.clone(),
            packet: packet.clone(),
            options: options.clone(),
        };
        if self.recovers() {
            self.shared().append(message, Some(delivery));
        } else {
            delivery.deliver(None);
            self.shared().append(message, None);
        }
        Ok(())
    }

    /// An emit to one socket goes through the stream too, so that every server can replay it.
    fn emit_to_socket(&self, sid: Sid, packet: &BroadcastPacket) -> Result<(), SendError> {
        let mut options = BroadcastOptions::default();
        options.rooms.insert(Room::from(sid.as_str()));
        self.broadcast(packet, &options)
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
        if options.local {
            return acks;
        }
        let Some(wire) = to_wire(&self.shared().uid, self.namespace.path(), &packet, options)
        else {
            return acks;
        };
        let shared = self.shared().clone();
        let namespace = self.namespace.path().to_owned();
        let deadline = acks.deadline();
        let replies = acks.remote();
        let mut opts = wire.options();
        if let Msg::Map(fields) = &mut opts {
            fields.retain(|(key, _)| key.as_str() != Some("flags"));
            fields.push((
                Msg::from("flags"),
                map([("timeout", Msg::from(timeout.as_millis() as u64))]),
            ));
        }
        tokio::spawn(async move {
            let Some(others) = shared.other_servers(&namespace).await.filter(|n| *n > 0) else {
                return;
            };
            let id = request_id();
            let mut answers = shared.await_answers(&id);
            let question = shared.message(
                &namespace,
                kind::BROADCAST,
                map([
                    ("packet", wire.packet()),
                    ("requestId", Msg::from(id.as_str())),
                    ("opts", opts),
                ]),
            );
            shared.publish(shared.public_channel(&namespace), &question);
            let (mut counted, mut expected, mut received) = (0, 0u64, 0u64);
            while counted < others || received < expected {
                match answers.next(deadline).await {
                    Some(answer) if answer.kind == kind::BROADCAST_CLIENT_COUNT => {
                        counted += 1;
                        expected += answer.get("clientCount").and_then(Msg::as_u64).unwrap_or(0);
                    }
                    Some(answer) if answer.kind == kind::BROADCAST_ACK => {
                        received += 1;
                        let mut attachments = Vec::new();
                        let value = answer
                            .get("packet")
                            .map(|value| wire::to_json(value, &mut attachments));
                        let args = match value {
                            Some(Ok(value)) => vec![value],
                            _ => Vec::new(),
                        };
                        let _ = replies.send(Ok(Payload::new(Args::new(args, attachments))));
                    }
                    Some(_) => {}
                    None => {
                        for _ in received..expected {
                            let _ = replies.send(Err(crate::error::AckError::timeout()));
                        }
                        break;
                    }
                }
            }
        });
        acks
    }

    fn sockets(&self, options: &BroadcastOptions) -> AdapterFuture<'_, ClusterResult<Vec<Sid>>> {
        let local = self.local_sockets(options);
        if options.local {
            return Box::pin(async move { Ok(local) });
        }
        let options = options.clone();
        Box::pin(async move {
            let (remote, tally) = self.remote_sockets(&options).await;
            let ids: Vec<Sid> = local
                .into_iter()
                .chain(remote.into_iter().map(|socket| socket.id))
                .collect();
            tally.result(ids)
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
        let options = options.clone();
        Box::pin(async move {
            let (remote, tally) = self.remote_sockets(&options).await;
            tally.result(local.into_iter().chain(remote).collect())
        })
    }

    fn add_sockets(&self, options: &BroadcastOptions, rooms: &[Room]) {
        self.local.add_sockets(options, rooms);
        if !options.local {
            let data = map([("opts", options_msg(options)), ("rooms", rooms_msg(rooms))]);
            self.shared()
                .append(self.message(kind::SOCKETS_JOIN, data), None);
        }
    }

    fn del_sockets(&self, options: &BroadcastOptions, rooms: &[Room]) {
        self.local.del_sockets(options, rooms);
        if !options.local {
            let data = map([("opts", options_msg(options)), ("rooms", rooms_msg(rooms))]);
            self.shared()
                .append(self.message(kind::SOCKETS_LEAVE, data), None);
        }
    }

    fn disconnect_sockets(&self, options: &BroadcastOptions, close: bool) {
        self.local.disconnect_sockets(options, close);
        if !options.local {
            let data = map([("opts", options_msg(options)), ("close", Msg::from(close))]);
            self.shared()
                .append(self.message(kind::DISCONNECT_SOCKETS, data), None);
        }
    }

    fn server_side_emit(&self, event: &str, args: &Payload) {
        let question = self.message(
            kind::SERVER_SIDE_EMIT,
            map([("packet", server_event_packet(event, args))]),
        );
        let shared = self.shared();
        shared.publish(shared.public_channel(self.namespace.path()), &question);
    }

    fn server_side_emit_with_ack(
        &self,
        event: &str,
        args: &Payload,
    ) -> AdapterFuture<'_, ClusterResult<Vec<serde_json::Value>>> {
        let packet = server_event_packet(event, args);
        Box::pin(async move {
            let (replies, expected) = self
                .ask(kind::SERVER_SIDE_EMIT, vec![("packet", packet)])
                .await;
            let tally = Tally(replies.len(), expected);
            let answers = replies
                .iter()
                .map(|reply| {
                    reply
                        .get("packet")
                        .and_then(|value| wire::to_json(value, &mut Vec::new()).ok())
                        .unwrap_or_default()
                })
                .collect();
            tally.result(answers)
        })
    }

    /// Keeps the session in Redis (`SET sio:session:<pid> <base64 MessagePack> PX <window>`),
    /// where any server of the cluster finds it.
    fn persist_session(&self, session: SavedSession) {
        let Some(recovery) = self.namespace.recovery() else {
            return;
        };
        let shared = self.shared();
        let key = shared.session_key(session.pid.as_str());
        let value = STANDARD.encode(msgpack(&session_msg(&session)));
        let window = recovery.max_disconnection_duration.as_millis() as u64;
        let mut commands = shared.commands.clone();
        tokio::spawn(async move {
            let set: redis::RedisResult<()> = redis::cmd("SET")
                .arg(&key)
                .arg(value)
                .arg("PX")
                .arg(window.max(1))
                .query_async(&mut commands)
                .await;
            if let Err(error) = set {
                tracing::warn!(%error, "could not keep a session in redis: it will not recover");
            }
        });
    }

    /// Takes the session out of Redis (`MULTI GET DEL`), if its offset is still in the stream.
    fn take_session(&self, pid: Sid, offset: &str) -> AdapterFuture<'_, Option<SavedSession>> {
        let key = self.shared().session_key(pid.as_str());
        let offset = offset.to_owned();
        Box::pin(async move {
            // Stream ids only: `<ms>-<seq>`.
            offset.split_once('-')?;
            offset.parse::<Offset>().ok()?;
            let mut commands = self.shared().commands.clone();
            let taken: redis::RedisResult<(Option<String>, redis::Value)> = redis::pipe()
                .atomic()
                .get(&key)
                .del(&key)
                .ignore()
                .cmd("XRANGE")
                .arg(&self.shared().settings.stream)
                .arg(&offset)
                .arg(&offset)
                .query_async(&mut commands)
                .await;
            let (session, found) = taken
                .inspect_err(|error| tracing::warn!(%error, "could not read a session from redis"))
                .ok()?;
            if xrange_entries(&found).is_empty() {
                return None;
            }
            let bytes = STANDARD.decode(session?).ok()?;
            session_from_msg(&wire::read_one(&bytes).ok()?, pid)
        })
    }

    /// Reads the stream after the offset: this namespace's broadcasts that reached the
    /// session's rooms, each stamped with its entry id.
    fn missed_packets<'a>(
        &'a self,
        session: &'a SavedSession,
        offset: &'a str,
    ) -> AdapterFuture<'a, Option<Vec<BroadcastPacket>>> {
        Box::pin(async move {
            let (major, minor) = offset.split_once('-')?;
            let minor: u64 = minor.parse().ok()?;
            // Exclusive ranges came with Redis 6.2: the next id, as Node does.
            let start = format!("{major}-{}", minor.checked_add(1)?);
            let reply: redis::Value = redis::cmd("XRANGE")
                .arg(&self.shared().settings.stream)
                .arg(&start)
                .arg("+")
                .query_async(&mut self.shared().commands.clone())
                .await
                .inspect_err(
                    |error| tracing::warn!(%error, "could not read the missed events from redis"),
                )
                .ok()?;
            let mut missed = Vec::new();
            for (id, fields) in xrange_entries(&reply) {
                let Ok(message) = Message::from_fields(&fields) else {
                    continue;
                };
                if message.nsp != self.namespace.path() || message.kind != kind::BROADCAST {
                    continue;
                }
                let Some((packet, options)) = delivered(&message) else {
                    continue;
                };
                if session.is_addressed_by(&options) {
                    missed.push(packet.with_offset(&id)?);
                }
            }
            Some(missed)
        })
    }
}

/// How many servers answered a question, of how many were asked (`None`: not counted).
struct Tally(usize, Option<usize>);

impl Tally {
    /// A query's result: complete, or what came.
    fn result<T>(&self, value: T) -> ClusterResult<T> {
        match self {
            Tally(got, Some(expected)) if got >= expected => Ok(value),
            Tally(got, expected) => Err(Incomplete::new(value, *got, *expected)),
        }
    }
}

/// Options as the cluster protocol writes them: `{rooms, except, flags: {}}`.
fn options_msg(options: &BroadcastOptions) -> Msg {
    let list = |rooms: &HashSet<Room>| Msg::Array(rooms.iter().map(|r| Msg::from(&**r)).collect());
    map([
        ("rooms", list(&options.rooms)),
        ("except", list(&options.except)),
        ("flags", Msg::Map(Vec::new())),
    ])
}

fn options_of(opts: Option<&Msg>) -> BroadcastOptions {
    let list = |key| {
        opts.and_then(|opts| wire::string_list(wire::field(opts, key)).ok())
            .unwrap_or_default()
            .into_iter()
            .map(Room::from)
            .collect()
    };
    BroadcastOptions {
        rooms: list("rooms"),
        except: list("except"),
        local: true,
    }
}

fn rooms_msg(rooms: &[Room]) -> Msg {
    Msg::Array(rooms.iter().map(|room| Msg::from(&**room)).collect())
}

/// A server event as `serverSideEmit` sends it: `[event, ...args]`, binary as `bin`.
fn server_event_packet(event: &str, args: &Payload) -> Msg {
    let mut packet = vec![Msg::from(event)];
    packet.extend(
        args.values()
            .iter()
            .map(|value| wire::to_msgpack(value, &args.0.attachments)),
    );
    Msg::Array(packet)
}

/// A session in Node's shape, `{sid, pid, rooms, data}`.
fn session_msg(session: &SavedSession) -> Msg {
    map([
        ("sid", Msg::from(session.sid.as_str())),
        ("pid", Msg::from(session.pid.as_str())),
        ("rooms", rooms_msg(&session.rooms)),
        ("data", wire::to_msgpack(&session.data, &[])),
    ])
}

/// A session read from Redis, if it is the one `pid` names.
fn session_from_msg(value: &Msg, pid: Sid) -> Option<SavedSession> {
    let json = wire::to_json(value, &mut Vec::new()).ok()?;
    let session = SavedSession::deserialize(json)
        .inspect_err(|error| tracing::warn!(%error, "a session kept in redis does not decode"))
        .ok()?;
    (session.pid == pid).then_some(session)
}

/// A broadcast of the cluster as this server delivers it, with the options it was sent with.
fn delivered(message: &Message) -> Option<(BroadcastPacket, BroadcastOptions)> {
    let packet = message.get("packet")?;
    let opts = message.get("opts").unwrap_or(&Msg::Nil);
    let wire = WireBroadcast::from_parts(message.uid.clone(), Some(&message.nsp), packet, opts)
        .inspect_err(
            |error| tracing::warn!(%error, "skipped a cluster broadcast that does not decode"),
        )
        .ok()?;
    to_local(wire, None)
}

/// An entry of the stream from another server: a broadcast to deliver, numbered by its id
/// when recovery is on, or a join, leave or disconnect to act on.
pub(super) fn on_entry(shared: &Shared, message: Message, id: &str) {
    if message.uid == shared.uid {
        return;
    }
    let Some(local) = shared.namespaces.get(&message.nsp) else {
        return;
    };
    let opts = || options_of(message.get("opts"));
    let rooms = || -> Vec<Room> {
        wire::string_list(message.get("rooms"))
            .unwrap_or_default()
            .into_iter()
            .map(Room::from)
            .collect()
    };
    match message.kind {
        kind::BROADCAST => {
            let Some((packet, options)) = delivered(&message) else {
                return;
            };
            let recovers = local.namespace().recovery().is_some();
            let id = recovers.then_some(id);
            Delivery {
                local,
                packet,
                options,
            }
            .deliver(id);
        }
        kind::SOCKETS_JOIN => local.add_sockets(&opts(), &rooms()),
        kind::SOCKETS_LEAVE => local.del_sockets(&opts(), &rooms()),
        kind::DISCONNECT_SOCKETS => {
            let close = message.get("close").and_then(Msg::as_bool).unwrap_or(false);
            local.disconnect_sockets(&opts(), close);
        }
        _ => {}
    }
}

/// A question from another server on Pub/Sub: answered on its private channel.
pub(super) fn on_question(shared: &Arc<Shared>, local: &LocalAdapter, message: Message) {
    let Some(request_id) = message.request_id().map(Msg::from) else {
        if message.kind == kind::SERVER_SIDE_EMIT {
            serve_event(shared, local, &message, None);
        }
        return;
    };
    let namespace = message.nsp.as_str();
    match message.kind {
        kind::FETCH_SOCKETS => {
            let sockets = local
                .namespace()
                .socket_info(&local.select(&options_of(message.get("opts"))));
            let sockets = serde_json::to_value(sockets).unwrap_or_default();
            let data = map([
                ("requestId", request_id),
                ("sockets", wire::to_msgpack(&sockets, &[])),
            ]);
            shared.respond(&message.uid, namespace, kind::FETCH_SOCKETS_RESPONSE, data);
        }
        kind::SERVER_SIDE_EMIT => serve_event(shared, local, &message, Some(request_id)),
        kind::BROADCAST => {
            let Some(packet) = message.get("packet") else {
                return;
            };
            let opts = message.get("opts").unwrap_or(&Msg::Nil);
            let Ok(wire) =
                WireBroadcast::from_parts(message.uid.clone(), Some(namespace), packet, opts)
            else {
                return;
            };
            let timeout = wire::field(opts, "flags")
                .and_then(|flags| wire::field(flags, "timeout"))
                .and_then(Msg::as_u64);
            let count_id = request_id.clone();
            let count = |count: usize| {
                let data = map([
                    ("requestId", count_id),
                    ("clientCount", Msg::from(count as u64)),
                ]);
                shared.respond(&message.uid, namespace, kind::BROADCAST_CLIENT_COUNT, data);
            };
            let (shared, to, namespace) =
                (shared.clone(), message.uid.clone(), namespace.to_owned());
            let ack = move |reply: Arc<Args>| {
                let first = reply.values().first().map_or(Msg::Nil, |value| {
                    wire::to_msgpack(value, &reply.attachments)
                });
                let data = map([("requestId", request_id.clone()), ("packet", first)]);
                shared.respond(&to, &namespace, kind::BROADCAST_ACK, data);
                std::future::ready(())
            };
            answer_broadcast_with_ack(local, wire, timeout, count, ack);
        }
        _ => {}
    }
}

/// Runs this server's listener of a server event, answering when the sender asked.
fn serve_event(
    shared: &Arc<Shared>,
    local: &LocalAdapter,
    message: &Message,
    request_id: Option<Msg>,
) {
    // ferrio's server events belong to the main namespace, where it sends its own.
    if message.nsp != "/" {
        return;
    }
    let Some(Msg::Array(packet)) = message.get("packet") else {
        return;
    };
    let Some((event, args)) = packet.split_first() else {
        return;
    };
    let Some(event) = event.as_str() else {
        return;
    };
    let mut attachments = Vec::new();
    let Ok(values) = args
        .iter()
        .map(|value| wire::to_json(value, &mut attachments))
        .collect::<Result<Vec<_>, _>>()
    else {
        return;
    };
    let Some(ns) = local.namespace().get() else {
        return;
    };
    let (shared, to) = (shared.clone(), message.uid.clone());
    serve_server_event(
        &ns,
        event,
        Payload::new(Args::new(values, attachments)),
        async move |answer| {
            if let Some(request_id) = request_id {
                let data = map([
                    ("requestId", request_id),
                    ("packet", wire::to_msgpack(&answer, &[])),
                ]);
                shared.respond(&to, "/", kind::SERVER_SIDE_EMIT_RESPONSE, data);
            }
        },
    );
}
