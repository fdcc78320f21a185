//! The Redis adapter: rooms and broadcasts across servers, on the wire protocol of Node's
//! `@socket.io/redis-adapter` 8.x (classic Pub/Sub), so that ferrio and Node servers can
//! share one cluster and Node's `@socket.io/redis-emitter` reaches ferrio clients; and a
//! reader of python-socketio's queue, so that Flask-SocketIO processes reach them too.
//!
//! The queue is a trust boundary: whoever can `PUBLISH` on it can broadcast to, join and
//! disconnect every client of every server. Keep Redis on a private network, with `AUTH` and
//! TLS (`rediss://user:password@host`).

mod adapter;
mod incoming;
mod python_queue;
mod streams;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;
use tokio::sync::{mpsc, watch};

pub use adapter::RedisAdapter;
pub use streams::{RedisStreams, RedisStreamsAdapter};

use super::LocalAdapter;
use super::wire::{WireBroadcast, decode_ack_response, encode_ack_request};
use crate::Sid;
use crate::error::{ClusterResult, Incomplete};
use crate::payload::Payload;
use crate::socket::adapter::LocalNamespace;
use crate::sync::{lock, read, write};

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

/// A connection to Redis shared by every namespace of a server: a publisher, a subscriber and
/// one connection for queries, each reconnected when Redis goes away.
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
    /// For the server count; reconnects by itself.
    queries: redis::aio::ConnectionManager,
    /// How long a request waits for the other servers' answers.
    requests_timeout: Duration,
    uid: String,
    prefix: String,
    publish: mpsc::Sender<(String, Vec<u8>)>,
    subscribe: mpsc::UnboundedSender<String>,
    /// The namespaces whose channels the subscriber listens to now: a request can be
    /// answered only then.
    subscribed: watch::Sender<HashSet<String>>,
    /// How many times the subscriber lost its connection: the publisher's went too.
    outages: watch::Sender<u64>,
    /// Requests this server awaits answers to, by request id.
    pending: std::sync::Mutex<HashMap<String, mpsc::UnboundedSender<Response>>>,
    /// Each namespace's local rooms, which the cluster's messages act on.
    namespaces: Members,
}

/// The local rooms of each namespace a Redis connection serves, which the cluster's messages
/// act on.
#[derive(Default)]
struct Members(RwLock<HashMap<String, Arc<LocalAdapter>>>);

impl Members {
    /// Serves a namespace's rooms.
    ///
    /// # Panics
    ///
    /// Another live server on this connection serves the namespace: with one uid for both,
    /// each would take the other's messages for its own.
    fn join(&self, path: &str, local: &Arc<LocalAdapter>) {
        let previous = write(&self.0).insert(path.to_owned(), local.clone());
        assert!(
            previous.is_none(),
            "a ferrio Redis connection serves one SocketIo server: connect once per server (namespace `{path}` is already served)"
        );
    }

    /// Stops serving the rooms, if they are still the ones served: another server may now be
    /// built on this connection.
    fn leave(&self, path: &str, local: &Arc<LocalAdapter>) {
        let mut members = write(&self.0);
        if members
            .get(path)
            .is_some_and(|served| Arc::ptr_eq(served, local))
        {
            members.remove(path);
        }
    }

    fn get(&self, path: &str) -> Option<Arc<LocalAdapter>> {
        read(&self.0).get(path).cloned()
    }

    fn all(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Arc<LocalAdapter>>> {
        read(&self.0)
    }
}

/// The room index methods of an [`Adapter`](crate::Adapter) whose `local` field keeps this
/// server's rooms and whose `namespace` field is its namespace.
macro_rules! local_index {
    () => {
        fn namespace(&self) -> &LocalNamespace {
            &self.namespace
        }

        fn local_sockets(&self, options: &BroadcastOptions) -> Vec<Sid> {
            self.local.select(options)
        }

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
    };
}
use local_index;

impl Redis {
    /// Connects with the default settings: key prefix `socket.io` (Node's default), and for
    /// `rediss://` URLs the Mozilla root certificates (webpki-roots) as trusted roots.
    ///
    /// # Errors
    ///
    /// The URL is invalid or Redis cannot be reached.
    pub async fn connect(url: &str) -> Result<Self, redis::RedisError> {
        Self::builder(url).connect().await
    }

    /// Starts a builder, for a key prefix or TLS certificates.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
    /// let redis = ferrio::Redis::builder("rediss://ferrio:secret@redis.internal:6380")
    ///     .prefix("game")
    ///     .root_certificate(std::fs::read("redis-ca.pem")?)
    ///     .connect()
    ///     .await?;
    /// # let _ = redis; Ok(()) }
    /// ```
    pub fn builder(url: &str) -> RedisBuilder {
        RedisBuilder {
            url: url.to_owned(),
            prefix: "socket.io".to_owned(),
            requests_timeout: Duration::from_secs(5),
            streams: streams::StreamSettings::default(),
            certificates: redis::TlsCertificates {
                client_tls: None,
                root_cert: None,
            },
        }
    }

    /// The adapter factory for [`SocketIoBuilder::adapter`](crate::SocketIoBuilder::adapter).
    ///
    /// # Panics
    ///
    /// The server it builds panics if another live server already uses this connection:
    /// connect once per server.
    pub fn adapter(&self) -> impl Fn(LocalNamespace) -> RedisAdapter + Send + Sync + 'static {
        let redis = self.clone();
        move |namespace| RedisAdapter::new(redis.clone(), namespace)
    }
}

/// Settings of a [`Redis`] connection, from [`Redis::builder`].
pub struct RedisBuilder {
    url: String,
    prefix: String,
    requests_timeout: Duration,
    streams: streams::StreamSettings,
    certificates: redis::TlsCertificates,
}

impl RedisBuilder {
    /// The key prefix of every channel (Node's `key` option); `socket.io` by default. Every
    /// server of a cluster must use the same.
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.prefix = prefix.to_owned();
        self
    }

    /// How long a query of the cluster ([`fetch_sockets`](crate::BroadcastOperator::fetch_sockets),
    /// [`all_rooms`](crate::SocketIo::all_rooms), a server-side emit with answers) waits for
    /// the other servers; 5 seconds by default, as Node's `requestsTimeout`.
    pub fn requests_timeout(mut self, timeout: Duration) -> Self {
        self.requests_timeout = timeout;
        self
    }

    /// Trusts this CA certificate (PEM) for a `rediss://` URL, instead of Mozilla's roots:
    /// for a Redis whose certificate a private CA signed.
    pub fn root_certificate(mut self, pem: Vec<u8>) -> Self {
        self.certificates.root_cert = Some(pem);
        self
    }

    /// Presents this client certificate and key (PEM) for a `rediss://` URL, to a Redis that
    /// requires mutual TLS (`tls-auth-clients yes`).
    pub fn client_certificate(mut self, cert_pem: Vec<u8>, key_pem: Vec<u8>) -> Self {
        self.certificates.client_tls = Some(redis::ClientTlsConfig {
            client_cert: cert_pem,
            client_key: key_pem,
        });
        self
    }

    /// The stream of the [Streams adapter](Self::connect_streams) (Node's `streamName`);
    /// `socket.io` by default. Every server of a cluster must use the same.
    pub fn stream(mut self, name: &str) -> Self {
        self.streams.stream = name.to_owned();
        self
    }

    /// About how many entries the [Streams adapter](Self::connect_streams)'s stream keeps
    /// (Node's `maxLen`, 10 000 by default): a client whose missed events were trimmed off it
    /// gets a fresh socket.
    pub fn max_len(mut self, entries: usize) -> Self {
        self.streams.max_len = entries;
        self
    }

    /// The prefix of the keys where the [Streams adapter](Self::connect_streams) keeps the
    /// sessions of disconnected sockets (Node's `sessionKeyPrefix`, `sio:session:`).
    pub fn session_prefix(mut self, prefix: &str) -> Self {
        self.streams.session_prefix = prefix.to_owned();
        self
    }

    /// Connects for the classic adapter: a publisher, a subscriber and a query connection.
    ///
    /// # Errors
    ///
    /// The URL or a certificate is invalid, or Redis cannot be reached.
    pub async fn connect(self) -> Result<Redis, redis::RedisError> {
        let client = self.client()?;
        let mut publisher = connect_publisher(&client).await?;
        // Without credentials in the URL nothing is sent on connecting: PING, so that a Redis
        // that requires AUTH refuses here rather than every later command.
        redis::cmd("PING").query_async::<()>(&mut publisher).await?;
        let queries = redis::aio::ConnectionManager::new(client.clone()).await?;
        let subscriber = client.get_async_pubsub().await?;
        let (publish, publish_queue) = mpsc::channel(PUBLISH_QUEUE);
        let (subscribe, subscriptions) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            client: client.clone(),
            queries,
            subscribed: watch::Sender::new(HashSet::new()),
            outages: watch::Sender::new(0),
            requests_timeout: self.requests_timeout,
            pending: std::sync::Mutex::new(HashMap::new()),
            uid: node_uid(),
            prefix: self.prefix,
            publish,
            subscribe,
            namespaces: Members::default(),
        });
        tokio::spawn(publish_loop(
            client.clone(),
            publisher,
            publish_queue,
            shared.outages.subscribe(),
        ));
        tokio::spawn(subscribe_loop(
            client,
            subscriber,
            subscriptions,
            Arc::downgrade(&shared),
        ));
        Ok(Redis(shared))
    }
}

impl RedisBuilder {
    fn client(&self) -> redis::RedisResult<redis::Client> {
        let custom_tls =
            self.certificates.root_cert.is_some() || self.certificates.client_tls.is_some();
        if custom_tls {
            redis::Client::build_with_tls(self.url.as_str(), self.certificates.clone())
        } else {
            redis::Client::open(self.url.as_str())
        }
    }

    /// Connects for the Streams adapter, wire-compatible with Node's
    /// `@socket.io/redis-streams-adapter`: it keeps the sessions of disconnected sockets in
    /// Redis, so that connection state recovery works across the cluster. The key prefix
    /// names its Pub/Sub channels (Node's `channelPrefix`).
    ///
    /// # Errors
    ///
    /// The URL or a certificate is invalid, or Redis cannot be reached.
    pub async fn connect_streams(self) -> Result<RedisStreams, redis::RedisError> {
        let client = self.client()?;
        let mut settings = self.streams;
        settings.channel_prefix = self.prefix;
        settings.requests_timeout = self.requests_timeout;
        RedisStreams::connect(client, settings).await
    }
}

impl fmt::Debug for RedisBuilder {
    // The URL may hold a password: it is left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisBuilder")
            .field("prefix", &self.prefix)
            .field("requests_timeout", &self.requests_timeout)
            .finish_non_exhaustive()
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

/// The answers of the other servers to a request.
struct Answers {
    replies: Vec<Value>,
    /// How many servers were asked; `None` when they could not be counted.
    expected: Option<usize>,
}

impl Answers {
    fn is_complete(&self) -> bool {
        self.expected
            .is_some_and(|expected| self.replies.len() >= expected)
    }

    /// `value`, built from this server's part and the replies, as the query's result.
    fn result<T>(&self, value: T) -> ClusterResult<T> {
        if self.is_complete() {
            Ok(value)
        } else {
            Err(Incomplete::new(value, self.replies.len(), self.expected))
        }
    }
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

    async fn subscribed_by(&self, namespace: &str, deadline: tokio::time::Instant) -> bool {
        subscribed_by(&self.subscribed, namespace, deadline).await
    }

    /// How many other servers subscribe to the namespace's requests; `None` (logged) when
    /// Redis cannot tell.
    async fn other_servers(&self, namespace: &str) -> Option<usize> {
        let channel = self.request_channel(namespace);
        other_subscribers(&self.queries, &channel, namespace).await
    }

    /// Publishes a request and gathers one answer from every other server, or those that came
    /// within the requests timeout (logged).
    async fn ask(&self, namespace: &str, mut request: Value) -> Answers {
        let deadline = tokio::time::Instant::now() + self.requests_timeout;
        let expected = if self.subscribed_by(namespace, deadline).await {
            self.other_servers(namespace).await
        } else {
            None
        };
        let mut answers = Answers {
            replies: Vec::new(),
            expected,
        };
        if expected.is_none_or(|expected| expected == 0) {
            return answers;
        }
        let request_id = node_uid();
        request["uid"] = Value::from(self.uid.as_str());
        request["requestId"] = Value::from(request_id.as_str());
        let (sender, mut answered) = mpsc::unbounded_channel();
        lock(&self.pending).insert(request_id.clone(), sender);
        self.publish(
            self.request_channel(namespace),
            request.to_string().into_bytes(),
        );
        while !answers.is_complete() {
            match tokio::time::timeout_at(deadline, answered.recv()).await {
                Ok(Some(Response::Json(response))) => answers.replies.push(response),
                Ok(Some(Response::Ack(_))) => {}
                _ => {
                    tracing::warn!(%namespace, got = answers.replies.len(), ?expected, "cluster request timed out");
                    break;
                }
            }
        }
        lock(&self.pending).remove(&request_id);
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
            (request_id, Response::Ack(Payload::new(args)))
        };
        if let Some(waiting) = lock(&self.pending).get(&request_id) {
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
        if !self.subscribed_by(&namespace, deadline).await {
            tracing::warn!(%namespace, "not subscribed to the cluster: only this server's acks are gathered");
            return;
        }
        let Some(others) = self.other_servers(&namespace).await.filter(|n| *n > 0) else {
            return;
        };
        let request_id = node_uid();
        let (answers, mut answered) = mpsc::unbounded_channel();
        lock(&self.pending).insert(request_id.clone(), answers);
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
        lock(&self.pending).remove(&request_id);
    }

    /// The channels of one namespace: its broadcasts (every room's), requests and responses.
    fn channels(&self, namespace: &str) -> [Subscription; 4] {
        [
            Subscription::Pattern(format!("{}*", self.broadcast_channel(namespace))),
            Subscription::Channel(self.request_channel(namespace)),
            Subscription::Channel(self.response_channel(namespace)),
            Subscription::Channel(format!("{}{}#", self.response_channel(namespace), self.uid)),
        ]
    }
}

/// Whether this server listens to the namespace's channels, waiting until `deadline` for a
/// subscription under way (the server just started, or Redis is coming back).
async fn subscribed_by(
    subscribed: &watch::Sender<HashSet<String>>,
    namespace: &str,
    deadline: tokio::time::Instant,
) -> bool {
    let mut subscribed = subscribed.subscribe();
    let ready = subscribed.wait_for(|subscribed| subscribed.contains(namespace));
    matches!(tokio::time::timeout_at(deadline, ready).await, Ok(Ok(_)))
}

/// How many servers other than this one subscribe to a channel (each server holds one
/// subscription to it); `None` (logged) when Redis cannot tell.
async fn other_subscribers(
    queries: &redis::aio::ConnectionManager,
    channel: &str,
    namespace: &str,
) -> Option<usize> {
    let counts: redis::RedisResult<Vec<(String, usize)>> = redis::cmd("PUBSUB")
        .arg("NUMSUB")
        .arg(channel)
        .query_async(&mut queries.clone())
        .await;
    match counts {
        Ok(counts) => Some(counts.first().map_or(0, |(_, n)| n.saturating_sub(1))),
        Err(error) => {
            tracing::warn!(%error, %namespace, "could not count the other servers");
            None
        }
    }
}

/// How many queued messages one pipelined write publishes at most.
const PUBLISH_BATCH: usize = 128;

/// Publishes in order from one connection, pipelining what is queued. A batch that fails is
/// reported, never sent again: Redis may have run part of it, and a retry could deliver twice.
/// After a failure, or when the subscriber saw Redis go away, the next batch goes out on a new
/// connection.
async fn publish_loop(
    client: redis::Client,
    mut connection: redis::aio::MultiplexedConnection,
    mut queue: mpsc::Receiver<(String, Vec<u8>)>,
    mut outages: watch::Receiver<u64>,
) {
    let mut batch = Vec::with_capacity(PUBLISH_BATCH);
    let mut broken = false;
    while queue.recv_many(&mut batch, PUBLISH_BATCH).await > 0 {
        // The subscriber saw Redis go away: this connection went with it.
        if outages.has_changed().unwrap_or(false) {
            outages.mark_unchanged();
            broken = true;
        }
        if broken && let Ok(reconnected) = connect_publisher(&client).await {
            connection = reconnected;
            broken = false;
        }
        let mut pipe = redis::pipe();
        for (channel, message) in &batch {
            pipe.publish(channel, message).ignore();
        }
        let published: redis::RedisResult<()> = pipe.query_async(&mut connection).await;
        if let Err(error) = published {
            tracing::warn!(%error, messages = batch.len(), "redis unreachable: published cluster messages may be lost");
            broken = !error.is_timeout();
        }
        batch.clear();
    }
}

/// How long the publisher waits for Redis to confirm a batch (the client's default, half a
/// second, is short for a large pipeline on a busy Redis).
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(10);

async fn connect_publisher(
    client: &redis::Client,
) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
    let config = redis::AsyncConnectionConfig::new().set_response_timeout(Some(PUBLISH_TIMEOUT));
    client
        .get_multiplexed_async_connection_with_config(&config)
        .await
}

/// What a subscriber connection serves: the classic adapter's channels, or the Streams
/// adapter's.
trait Listener: Send + Sync + 'static {
    /// The channels of one namespace.
    fn channels(&self, namespace: &str) -> Vec<Subscription>;
    /// A message on one of them.
    fn on_message(self: &Arc<Self>, channel: &str, payload: &[u8]);
    /// The namespaces whose channels are listened to now.
    fn subscribed(&self) -> &watch::Sender<HashSet<String>>;
    /// Redis went away: the other connections went with it.
    fn on_outage(&self);
}

/// Receives every namespace's channels on one connection; resubscribes after a reconnect.
async fn subscribe_loop<L: Listener>(
    client: redis::Client,
    pubsub: redis::aio::PubSub,
    mut namespaces: mpsc::UnboundedReceiver<String>,
    listener: std::sync::Weak<L>,
) {
    let mut paths: Vec<String> = Vec::new();
    let mut subscriptions: Vec<Subscription> = Vec::new();
    let (mut sink, mut stream) = pubsub.split();
    loop {
        tokio::select! {
            namespace = namespaces.recv() => {
                let Some(namespace) = namespace else { return };
                let Some(listener) = listener.upgrade() else { return };
                let channels = listener.channels(&namespace);
                match subscribe(&mut sink, &channels).await {
                    Ok(()) => listener.subscribed().send_modify(|subscribed| {
                        subscribed.insert(namespace.clone());
                    }),
                    // Queries of this namespace report the cluster as unreachable until a
                    // reconnection subscribes it.
                    Err(error) => tracing::error!(%error, %namespace, "redis subscription failed"),
                }
                subscriptions.extend(channels);
                paths.push(namespace);
            }
            message = stream.next() => {
                let Some(listener) = listener.upgrade() else { return };
                match message {
                    Some(message) => listener.on_message(message.get_channel_name(), message.get_payload_bytes()),
                    None => {
                        listener.subscribed().send_modify(HashSet::clear);
                        listener.on_outage();
                        (sink, stream) = reconnect_subscriber(&client, &subscriptions).await;
                        listener.subscribed().send_modify(|subscribed| subscribed.extend(paths.iter().cloned()));
                    }
                }
            }
        }
    }
}

impl Listener for Shared {
    fn channels(&self, namespace: &str) -> Vec<Subscription> {
        self.channels(namespace).into()
    }

    fn on_message(self: &Arc<Self>, channel: &str, payload: &[u8]) {
        incoming::on_message(self, channel, payload);
    }

    fn subscribed(&self) -> &watch::Sender<HashSet<String>> {
        &self.subscribed
    }

    fn on_outage(&self) {
        self.outages.send_modify(|outages| *outages += 1);
    }
}

/// A channel, or a pattern of channels, that a subscriber connection listens to.
enum Subscription {
    Channel(String),
    Pattern(String),
}

async fn subscribe(
    sink: &mut redis::aio::PubSubSink,
    subscriptions: &[Subscription],
) -> redis::RedisResult<()> {
    for subscription in subscriptions {
        match subscription {
            Subscription::Channel(channel) => sink.subscribe(channel).await?,
            Subscription::Pattern(pattern) => sink.psubscribe(pattern).await?,
        }
    }
    Ok(())
}

/// Opens a new subscriber connection once Redis is back and subscribes it again, retrying
/// every half second until both succeed.
async fn reconnect_subscriber(
    client: &redis::Client,
    subscriptions: &[Subscription],
) -> (redis::aio::PubSubSink, redis::aio::PubSubStream) {
    tracing::warn!("redis subscriber connection lost; reconnecting");
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let Ok(pubsub) = client.get_async_pubsub().await else {
            continue;
        };
        let (mut sink, stream) = pubsub.split();
        if subscribe(&mut sink, subscriptions).await.is_ok() {
            tracing::info!("redis subscriber reconnected");
            return (sink, stream);
        }
    }
}
