//! The Redis adapter: rooms and broadcasts across servers, on the wire protocol of Node's
//! `@socket.io/redis-adapter` 8.x (classic Pub/Sub), so that ferrio and Node servers can
//! share one cluster and Node's `@socket.io/redis-emitter` reaches ferrio clients.
//!
//! The queue is a trust boundary: whoever can `PUBLISH` on it can broadcast to, join and
//! disconnect every client of every server. Keep Redis on a private network, with `AUTH` and
//! TLS (`rediss://user:password@host`).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::wire::{
    WireAckRequest, WireBroadcast, decode_ack_response, encode_ack_request, encode_ack_response,
};
use super::{
    Adapter, AdapterFuture, BroadcastOptions, BroadcastPacket, LocalAdapter, LocalNamespace, Room,
    ServerReplies,
};
use crate::Sid;
use crate::ack::AckStream;
use crate::engineio::Frame;
use crate::error::SendError;
use crate::payload::Payload;
use crate::socketio::packet::{self, Body, Decoded};
use crate::sync::{read, write};

/// How many messages may wait to be published before new ones are dropped (and logged).
const PUBLISH_QUEUE: usize = 4096;

/// The request types of the classic adapter that ferrio answers or issues.
mod request {
    pub(super) const SOCKETS: u64 = 0;
    pub(super) const ALL_ROOMS: u64 = 1;
    pub(super) const REMOTE_JOIN: u64 = 2;
    pub(super) const REMOTE_LEAVE: u64 = 3;
    pub(super) const REMOTE_DISCONNECT: u64 = 4;
    pub(super) const REMOTE_FETCH: u64 = 5;
    pub(super) const SERVER_SIDE_EMIT: u64 = 6;
}

/// A connection to Redis shared by every namespace of a server: one publisher, one
/// subscriber, reconnected when Redis goes away.
///
/// # Examples
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// let redis = ferrio::Redis::connect("redis://127.0.0.1:6379").await?;
/// let io = ferrio::SocketIo::builder().adapter(redis.adapter()).build();
/// # let _ = io; Ok(()) }
/// ```
#[derive(Clone)]
pub struct Redis(Arc<Shared>);

struct Shared {
    client: redis::Client,
    uid: String,
    prefix: String,
    publish: mpsc::Sender<(String, Vec<u8>)>,
    subscribe: mpsc::UnboundedSender<String>,
    /// Requests this server awaits answers to, by request id.
    pending: std::sync::Mutex<HashMap<String, mpsc::UnboundedSender<Response>>>,
    /// Each namespace's local rooms, which the cluster's messages act on.
    namespaces: RwLock<HashMap<String, Arc<LocalAdapter>>>,
}

impl Redis {
    /// Connects with the key prefix `socket.io`, Node's default.
    ///
    /// # Errors
    ///
    /// The URL is invalid or Redis cannot be reached.
    pub async fn connect(url: &str) -> Result<Self, redis::RedisError> {
        Self::connect_with_prefix(url, "socket.io").await
    }

    /// Connects with a key prefix (Node's `key` option).
    ///
    /// # Errors
    ///
    /// The URL is invalid or Redis cannot be reached.
    pub async fn connect_with_prefix(url: &str, prefix: &str) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let publisher = client.get_multiplexed_async_connection().await?;
        let subscriber = client.get_async_pubsub().await?;
        let (publish, publish_queue) = mpsc::channel(PUBLISH_QUEUE);
        let (subscribe, subscriptions) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            client: client.clone(),
            pending: std::sync::Mutex::new(HashMap::new()),
            uid: node_uid(),
            prefix: prefix.to_owned(),
            publish,
            subscribe,
            namespaces: RwLock::new(HashMap::new()),
        });
        tokio::spawn(publish_loop(client.clone(), publisher, publish_queue));
        tokio::spawn(subscribe_loop(
            client,
            subscriber,
            subscriptions,
            Arc::downgrade(&shared),
        ));
        Ok(Self(shared))
    }

    /// The adapter factory for [`SocketIoBuilder::adapter`](crate::SocketIoBuilder::adapter).
    pub fn adapter(&self) -> impl Fn(LocalNamespace) -> RedisAdapter + Send + Sync + 'static {
        let redis = self.clone();
        move |namespace| RedisAdapter::new(redis.clone(), namespace)
    }
}

impl fmt::Debug for Redis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redis")
            .field("uid", &self.0.uid)
            .field("prefix", &self.0.prefix)
            .finish_non_exhaustive()
    }
}

/// An answer from another server.
enum Response {
    /// A JSON answer.
    Json(Value),
    /// A client's acknowledgement of a broadcast (MessagePack, maybe binary).
    Ack(Payload),
}

/// Six random characters of `[A-Za-z0-9_-]`, the shape of Node's adapter uids.
fn node_uid() -> String {
    Sid::random().as_str()[..6].to_owned()
}

impl Shared {
    fn broadcast_channel(&self, namespace: &str) -> String {
        format!("{}#{namespace}#", self.prefix)
    }

    fn request_channel(&self, namespace: &str) -> String {
        format!("{}-request#{namespace}#", self.prefix)
    }

    fn response_channel(&self, namespace: &str) -> String {
        format!("{}-response#{namespace}#", self.prefix)
    }

    /// Queues a message; a full queue (Redis away for long) drops it, logged.
    fn publish(&self, channel: String, message: Vec<u8>) {
        if let Err(error) = self.publish.try_send((channel, message)) {
            tracing::warn!(%error, "redis publish queue full; a cluster message is lost");
        }
    }

    /// How many servers subscribe to the namespace's requests, this one included.
    async fn server_count(&self, namespace: &str) -> usize {
        let Ok(mut connection) = self.client.get_multiplexed_async_connection().await else {
            return 1;
        };
        let counts: redis::RedisResult<Vec<(String, usize)>> = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg(self.request_channel(namespace))
            .query_async(&mut connection)
            .await;
        counts
            .ok()
            .and_then(|counts| counts.first().map(|(_, n)| *n))
            .unwrap_or(1)
    }

    /// Publishes a request and gathers one answer from every other server, or those that came
    /// before the timeout (logged).
    async fn ask(&self, namespace: &str, mut request: Value, timeout: Duration) -> ServerReplies {
        let expected = self.server_count(namespace).await.saturating_sub(1);
        let mut answers = ServerReplies {
            replies: Vec::with_capacity(expected),
            expected,
        };
        if expected == 0 {
            return answers;
        }
        let request_id = node_uid();
        request["uid"] = Value::from(self.uid.as_str());
        request["requestId"] = Value::from(request_id.as_str());
        let (sender, mut answered) = mpsc::unbounded_channel();
        crate::sync::lock(&self.pending).insert(request_id.clone(), sender);
        self.publish(
            self.request_channel(namespace),
            request.to_string().into_bytes(),
        );
        let deadline = tokio::time::Instant::now() + timeout;
        while !answers.is_complete() {
            match tokio::time::timeout_at(deadline, answered.recv()).await {
                Ok(Some(Response::Json(response))) => answers.replies.push(response),
                Ok(Some(Response::Ack(_))) => {}
                _ => {
                    tracing::warn!(%namespace, got = answers.replies.len(), expected, "cluster request timed out");
                    break;
                }
            }
        }
        crate::sync::lock(&self.pending).remove(&request_id);
        answers
    }

    /// Hands an answer to the request that awaits it.
    fn on_response(&self, payload: &[u8]) {
        let (request_id, response) = if payload.first() == Some(&b'{') {
            let Ok(response) = serde_json::from_slice::<Value>(payload) else {
                return;
            };
            let Some(request_id) = response.get("requestId").and_then(Value::as_str) else {
                return;
            };
            (request_id.to_owned(), Response::Json(response))
        } else {
            let Ok((request_id, args)) = decode_ack_response(payload) else {
                return;
            };
            (request_id, Response::Ack(Payload(args)))
        };
        if let Some(waiting) = crate::sync::lock(&self.pending).get(&request_id) {
            let _ = waiting.send(response);
        }
    }

    /// Asks the other servers to deliver a broadcast with acknowledgements to their sockets,
    /// and forwards every acknowledgement until all counted clients answered or the deadline.
    async fn gather_acks(
        self: Arc<Self>,
        namespace: String,
        wire: WireBroadcast,
        deadline: tokio::time::Instant,
        replies: mpsc::UnboundedSender<Result<Payload, crate::error::AckError>>,
    ) {
        let others = self.server_count(&namespace).await.saturating_sub(1);
        if others == 0 {
            return;
        }
        let request_id = node_uid();
        let (answers, mut answered) = mpsc::unbounded_channel();
        crate::sync::lock(&self.pending).insert(request_id.clone(), answers);
        let timeout_ms = deadline
            .saturating_duration_since(tokio::time::Instant::now())
            .as_millis() as u64;
        self.publish(
            self.request_channel(&namespace),
            encode_ack_request(&request_id, &wire, timeout_ms),
        );
        let (mut counted_servers, mut expected, mut received) = (0, 0u64, 0u64);
        while counted_servers < others || received < expected {
            match tokio::time::timeout_at(deadline, answered.recv()).await {
                Ok(Some(Response::Json(count))) => {
                    counted_servers += 1;
                    expected += count
                        .get("clientCount")
                        .and_then(Value::as_u64)
                        .unwrap_or(0);
                }
                Ok(Some(Response::Ack(payload))) => {
                    received += 1;
                    let _ = replies.send(Ok(payload));
                }
                _ => {
                    for _ in received..expected {
                        let _ = replies.send(Err(crate::error::AckError::timeout()));
                    }
                    break;
                }
            }
        }
        crate::sync::lock(&self.pending).remove(&request_id);
    }

    /// The channels of one namespace: its broadcasts, requests and responses.
    fn channels(&self, namespace: &str) -> [String; 4] {
        [
            format!("{}*", self.broadcast_channel(namespace)),
            self.request_channel(namespace),
            self.response_channel(namespace),
            format!("{}{}#", self.response_channel(namespace), self.uid),
        ]
    }
}

/// How many queued messages one pipelined write publishes at most.
const PUBLISH_BATCH: usize = 128;

/// Publishes in order from one connection, pipelining what is queued; reconnects when Redis
/// went away, reporting each message that could not be published.
async fn publish_loop(
    client: redis::Client,
    mut connection: redis::aio::MultiplexedConnection,
    mut queue: mpsc::Receiver<(String, Vec<u8>)>,
) {
    let mut batch = Vec::with_capacity(PUBLISH_BATCH);
    while queue.recv_many(&mut batch, PUBLISH_BATCH).await > 0 {
        let mut pipe = redis::pipe();
        for (channel, message) in &batch {
            pipe.publish(channel, message).ignore();
        }
        let mut published: redis::RedisResult<()> = pipe.query_async(&mut connection).await;
        if published.is_err() {
            // Redis may be back already: reconnect and try the batch once more.
            if let Ok(reconnected) = client.get_multiplexed_async_connection().await {
                connection = reconnected;
                published = pipe.query_async(&mut connection).await;
            }
        }
        if let Err(error) = published {
            tracing::warn!(%error, lost = batch.len(), "redis unreachable: a published cluster message is lost");
        }
        batch.clear();
    }
}

/// Receives every namespace's channels on one connection; resubscribes after a reconnect.
async fn subscribe_loop(
    client: redis::Client,
    pubsub: redis::aio::PubSub,
    mut subscriptions: mpsc::UnboundedReceiver<String>,
    shared: std::sync::Weak<Shared>,
) {
    let mut namespaces: Vec<String> = Vec::new();
    let (mut sink, mut stream) = pubsub.split();
    loop {
        tokio::select! {
            namespace = subscriptions.recv() => {
                let Some(namespace) = namespace else { return };
                let Some(shared) = shared.upgrade() else { return };
                if let Err(error) = subscribe(&mut sink, &shared, &namespace).await {
                    tracing::warn!(%error, %namespace, "redis subscription failed");
                }
                namespaces.push(namespace);
            }
            message = stream.next() => {
                let Some(shared) = shared.upgrade() else { return };
                match message {
                    Some(message) => on_message(&shared, message.get_channel_name(), message.get_payload_bytes()),
                    None => {
                        tracing::warn!("redis subscriber connection lost; reconnecting");
                        loop {
                            tokio::time::sleep(Duration::from_millis(500)).await;
                            let Ok(pubsub) = client.get_async_pubsub().await else { continue };
                            (sink, stream) = pubsub.split();
                            let mut resubscribed = true;
                            for namespace in &namespaces {
                                resubscribed &= subscribe(&mut sink, &shared, namespace).await.is_ok();
                            }
                            if resubscribed {
                                tracing::info!("redis subscriber reconnected");
                                break;
                            }
                        }
                    }
                }
            }
        }
    }
}

async fn subscribe(
    sink: &mut redis::aio::PubSubSink,
    shared: &Shared,
    namespace: &str,
) -> redis::RedisResult<()> {
    let [pattern, requests, responses, own_responses] = shared.channels(namespace);
    sink.psubscribe(pattern).await?;
    sink.subscribe(requests).await?;
    sink.subscribe(responses).await?;
    sink.subscribe(own_responses).await
}

/// Routes one message to its namespace. Nothing from the queue can crash the server: what
/// does not decode is logged and skipped.
fn on_message(shared: &Shared, channel: &str, payload: &[u8]) {
    let namespaces = read(&shared.namespaces);
    for (path, local) in namespaces.iter() {
        if channel.starts_with(&shared.broadcast_channel(path)) {
            return on_broadcast(shared, local, payload);
        }
        if channel == shared.request_channel(path) {
            return on_request(shared, local, payload);
        }
        if channel.starts_with(&shared.response_channel(path)) {
            return shared.on_response(payload);
        }
    }
}

fn on_broadcast(shared: &Shared, local: &LocalAdapter, payload: &[u8]) {
    let namespace = local.namespace();
    let broadcast = match WireBroadcast::decode(payload) {
        Ok(broadcast) => broadcast,
        Err(error) => {
            tracing::warn!(%error, "skipped a cluster broadcast that does not decode");
            return;
        }
    };
    if broadcast.uid == shared.uid || broadcast.namespace != namespace.path() {
        return;
    }
    let Ok(encoded) = packet::encode_event(
        namespace.path(),
        &broadcast.event,
        &Payload(broadcast.args),
        None,
    ) else {
        return;
    };
    let options = BroadcastOptions {
        rooms: broadcast.rooms.into_iter().map(Room::from).collect(),
        except: broadcast.except.into_iter().map(Room::from).collect(),
        local: true,
    };
    let _ = local.broadcast(&BroadcastPacket(encoded.into()), &options);
}

fn on_request(shared: &Shared, local: &LocalAdapter, payload: &[u8]) {
    let namespace = local.namespace();
    // Requests that may carry binary are MessagePack; the rest is JSON.
    if payload.first() != Some(&b'{') {
        return on_ack_request(shared, local, payload);
    }
    let Ok(request) = serde_json::from_slice::<Value>(payload) else {
        tracing::warn!("skipped a cluster request that does not decode");
        return;
    };
    if request.get("uid").and_then(Value::as_str) == Some(shared.uid.as_str()) {
        return;
    }
    let Some(ns) = namespace.get() else { return };
    let request_id = request.get("requestId").cloned().unwrap_or(Value::Null);
    let options = options_of(request.get("opts"));
    let rooms = strings(request.get("rooms"));
    let respond = |response: Value| {
        shared.publish(
            shared.response_channel(namespace.path()),
            response.to_string().into_bytes(),
        );
    };
    match request.get("type").and_then(Value::as_u64) {
        Some(request::SOCKETS) => {
            let options = BroadcastOptions {
                rooms: rooms.iter().cloned().collect(),
                ..BroadcastOptions::default()
            };
            let sids = local.select(&options);
            respond(json!({ "requestId": request_id, "sockets": sids }));
        }
        Some(request::ALL_ROOMS) => {
            let rooms: Vec<String> = local.rooms().iter().map(|r| r.to_string()).collect();
            respond(json!({ "requestId": request_id, "rooms": rooms }));
        }
        Some(request::REMOTE_JOIN) => local.add_sockets(&options, &rooms),
        Some(request::REMOTE_LEAVE) => local.del_sockets(&options, &rooms),
        Some(request::REMOTE_DISCONNECT) => {
            let close = request
                .get("close")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            local.disconnect_sockets(&options, close);
        }
        Some(request::REMOTE_FETCH) => {
            let sockets: Vec<Value> = local
                .select(&options)
                .into_iter()
                .filter_map(|sid| ns.socket(sid))
                .map(|socket| {
                    let handshake = socket.handshake();
                    let headers: serde_json::Map<String, Value> = handshake
                        .headers
                        .iter()
                        .map(|(name, value)| {
                            (
                                name.to_string(),
                                Value::from(value.to_str().unwrap_or_default()),
                            )
                        })
                        .collect();
                    let query: serde_json::Map<String, Value> = form_urlencoded::parse(
                        handshake.uri.query().unwrap_or_default().as_bytes(),
                    )
                    .map(|(k, v)| (k.into_owned(), Value::from(v.into_owned())))
                    .collect();
                    json!({
                        "id": socket.id(),
                        "handshake": {
                            "headers": headers,
                            "url": handshake.uri.to_string(),
                            "query": query,
                            "auth": socket.auth(),
                            "xdomain": false,
                            "secure": false,
                        },
                        "rooms": socket.rooms().iter().map(|r| r.to_string()).collect::<Vec<_>>(),
                        "data": Value::Null,
                    })
                })
                .collect();
            respond(json!({ "requestId": request_id, "sockets": sockets }));
        }
        Some(request::SERVER_SIDE_EMIT) => {
            let Some(Value::Array(data)) = request.get("data") else {
                return;
            };
            let Some((event, args)) = data.split_first() else {
                return;
            };
            let Some(event) = event.as_str() else { return };
            let listener = ns
                .shared
                .upgrade()
                .and_then(|shared| shared.server_events.get(event).cloned());
            tracing::debug!(%event, listening = listener.is_some(), "server-side emit from the cluster");
            // Without a listener there is no answer, as in Node: a sender that asked for one
            // waits out its timeout.
            let Some(listener) = listener else { return };
            let answer = listener(Payload(crate::socketio::packet::Args {
                values: args.to_vec(),
                attachments: Vec::new(),
            }));
            let wants_answer = !request_id.is_null();
            let publish = shared.publish.clone();
            let channel = shared.response_channel(namespace.path());
            tokio::spawn(async move {
                let data = answer.await;
                if wants_answer {
                    let response = json!({ "type": request::SERVER_SIDE_EMIT, "requestId": request_id, "data": data });
                    let _ = publish
                        .send((channel, response.to_string().into_bytes()))
                        .await;
                }
            });
        }
        // Unknown types are ignored, as Node does.
        _ => {}
    }
}

/// A Node server's broadcast with acknowledgements: delivered to the local sockets, answered
/// with their count at once, then with each acknowledgement as it comes.
fn on_ack_request(shared: &Shared, local: &LocalAdapter, payload: &[u8]) {
    let Ok(request) = WireAckRequest::decode(payload) else {
        tracing::warn!("skipped a cluster request that does not decode");
        return;
    };
    if request.uid == shared.uid {
        return;
    }
    let Some(ns) = local.namespace().get() else {
        return;
    };
    let id = ns.next_ack_id();
    let broadcast = request.broadcast;
    let Ok(encoded) = packet::encode_event(
        &broadcast.namespace,
        &broadcast.event,
        &Payload(broadcast.args),
        Some(id),
    ) else {
        return;
    };
    let options = BroadcastOptions {
        rooms: broadcast.rooms.into_iter().map(Room::from).collect(),
        except: broadcast.except.into_iter().map(Room::from).collect(),
        local: true,
    };
    let timeout = Duration::from_millis(request.timeout_ms.unwrap_or(5000));
    let mut acks = local.broadcast_with_ack(BroadcastPacket(encoded.into()), id, &options, timeout);
    let channel = shared.response_channel(local.namespace().path());
    let request_id = request.request_id;
    let count =
        json!({ "type": 8, "requestId": wire_json(&request_id), "clientCount": acks.len() });
    shared.publish(channel.clone(), count.to_string().into_bytes());
    let publish = shared.publish.clone();
    tokio::spawn(async move {
        while let Some((_, reply)) = acks.next().await {
            if let Ok(reply) = reply {
                let _ = publish
                    .send((channel.clone(), encode_ack_response(&request_id, &reply.0)))
                    .await;
            }
        }
    });
}

/// A MessagePack request id as JSON.
fn wire_json(id: &rmpv::Value) -> Value {
    match id {
        rmpv::Value::String(s) => Value::from(s.as_str().unwrap_or_default()),
        rmpv::Value::Integer(n) => n.as_u64().map_or(Value::Null, Value::from),
        _ => Value::Null,
    }
}

fn strings(value: Option<&Value>) -> Vec<Room> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(Room::from)
                .collect()
        })
        .unwrap_or_default()
}

fn options_of(value: Option<&Value>) -> BroadcastOptions {
    let list = |key| {
        strings(value.and_then(|opts| opts.get(key)))
            .into_iter()
            .collect::<HashSet<_>>()
    };
    BroadcastOptions {
        rooms: list("rooms"),
        except: list("except"),
        local: false,
    }
}

/// The adapter of one namespace: the in-memory rooms of this server, and the cluster through
/// Redis.
#[derive(Debug)]
pub struct RedisAdapter {
    local: Arc<LocalAdapter>,
    namespace: LocalNamespace,
    redis: Redis,
}

impl RedisAdapter {
    fn new(redis: Redis, namespace: LocalNamespace) -> Self {
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
        let request =
            json!({ "type": request::REMOTE_FETCH, "opts": self.remote_options(options) });
        Box::pin(async move {
            let responses = self
                .redis
                .0
                .ask(self.namespace.path(), request, Duration::from_secs(5))
                .await;
            let remote = responses
                .replies
                .iter()
                .filter_map(|response| response.get("sockets").and_then(Value::as_array))
                .flatten()
                .filter_map(|socket| socket.get("id").and_then(Value::as_str))
                .filter_map(|id| id.parse::<Sid>().ok());
            local.into_iter().chain(remote).collect()
        })
    }

    fn all_rooms(&self) -> AdapterFuture<'_, HashSet<Room>> {
        let local = self.local.rooms();
        let request = json!({ "type": request::ALL_ROOMS });
        Box::pin(async move {
            let responses = self
                .redis
                .0
                .ask(self.namespace.path(), request, Duration::from_secs(5))
                .await;
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
