//! The Redis Streams adapter, on the wire protocol of Node's
//! `@socket.io/redis-streams-adapter` 0.3: what every server must see in order (broadcasts,
//! remote joins, leaves and disconnects) is appended to one Redis stream, which each server
//! reads; questions and their answers (fetching sockets, server-side emits, broadcasts with
//! acknowledgements) go over Pub/Sub. The stream also numbers the events, so that a client
//! that loses its connection recovers on any server of the cluster, its session kept in Redis.

mod adapter;
mod message;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

pub use adapter::RedisStreamsAdapter;

use self::message::Message;
use super::{Listener, Members, Subscription, other_subscribers, subscribe_loop, subscribed_by};
use crate::adapter::LocalAdapter;
use crate::socket::adapter::{Adapter, BroadcastOptions, BroadcastPacket};
use crate::sync::lock;

/// How many entries may wait to be appended before new ones are refused (and logged).
const APPEND_QUEUE: usize = 4096;

/// How many queued entries one pipelined write appends at most.
const APPEND_BATCH: usize = 128;

/// The settings of the Streams adapter, Node's option names in brackets.
#[derive(Debug, Clone)]
pub(super) struct StreamSettings {
    /// The stream (`streamName`, `socket.io`).
    pub(super) stream: String,
    /// About how many entries the stream keeps (`maxLen`, 10 000).
    pub(super) max_len: usize,
    /// The prefix of the Pub/Sub channels (`channelPrefix`, `socket.io`).
    pub(super) channel_prefix: String,
    /// The prefix of the keys of kept sessions (`sessionKeyPrefix`, `sio:session:`).
    pub(super) session_prefix: String,
    /// How long a question to the cluster waits for answers (5 s).
    pub(super) requests_timeout: Duration,
}

impl Default for StreamSettings {
    fn default() -> Self {
        Self {
            stream: "socket.io".to_owned(),
            max_len: 10_000,
            channel_prefix: "socket.io".to_owned(),
            session_prefix: "sio:session:".to_owned(),
            requests_timeout: Duration::from_secs(5),
        }
    }
}

/// A connection to Redis for the Streams adapter, shared by every namespace of a server: one
/// connection for commands, one that reads the stream, one for Pub/Sub, each reconnected when
/// Redis goes away. Made by [`RedisBuilder::connect_streams`](crate::RedisBuilder::connect_streams).
///
/// # Examples
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use ferrio::{ConnectionStateRecovery, Redis, SocketIo};
///
/// let redis = Redis::builder("redis://127.0.0.1:6379").connect_streams().await?;
/// let io = SocketIo::builder()
///     .adapter(redis.adapter())
///     .connection_state_recovery(ConnectionStateRecovery::default())
///     .build();
/// # let _ = io; Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStreams(Arc<Shared>);

struct Shared {
    uid: String,
    settings: StreamSettings,
    /// XADD (through `appends`), SET, GET, XRANGE, PUBLISH, PUBSUB; reconnects by itself.
    commands: redis::aio::ConnectionManager,
    appends: mpsc::Sender<Append>,
    subscribe: mpsc::UnboundedSender<String>,
    /// The namespaces whose channels the subscriber listens to now.
    subscribed: watch::Sender<HashSet<String>>,
    /// Questions this server awaits answers to, by request id.
    pending: std::sync::Mutex<HashMap<String, mpsc::UnboundedSender<Message>>>,
    /// Each namespace's local rooms, which the cluster's messages act on.
    namespaces: Members,
}

/// An entry to append to the stream, and the local delivery that waits for its id.
struct Append {
    message: Message,
    delivery: Option<Delivery>,
}

/// A broadcast to deliver to this server's sockets once the stream numbered it.
struct Delivery {
    local: Arc<LocalAdapter>,
    packet: BroadcastPacket,
    options: BroadcastOptions,
}

impl Delivery {
    /// Delivers, stamped with the entry's id when there is one.
    fn deliver(self, id: Option<&str>) {
        let stamped = id.and_then(|id| self.packet.with_offset(id));
        let packet = stamped.as_ref().unwrap_or(&self.packet);
        let _ = self
            .local
            .namespace()
            .deliver(&self.local.select(&self.options), packet);
    }
}

impl RedisStreams {
    /// The adapter factory for [`SocketIoBuilder::adapter`](crate::SocketIoBuilder::adapter).
    ///
    /// # Panics
    ///
    /// The server it builds panics if another live server already uses this connection:
    /// connect once per server.
    pub fn adapter(
        &self,
    ) -> impl Fn(crate::LocalNamespace) -> RedisStreamsAdapter + Send + Sync + 'static {
        let redis = self.clone();
        move |namespace| RedisStreamsAdapter::new(redis.clone(), namespace)
    }

    pub(super) async fn connect(
        client: redis::Client,
        settings: StreamSettings,
    ) -> Result<Self, redis::RedisError> {
        let commands = redis::aio::ConnectionManager::new(client.clone()).await?;
        // Without credentials in the URL nothing is sent on connecting: PING, so that a Redis
        // that requires AUTH refuses here rather than every later command.
        redis::cmd("PING")
            .query_async::<()>(&mut commands.clone())
            .await?;
        let reader = connect_reader(&client).await?;
        let subscriber = client.get_async_pubsub().await?;
        let (appends, append_queue) = mpsc::channel(APPEND_QUEUE);
        let (subscribe, subscriptions) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            // socket.io-adapter's shape: 8 random bytes in hex.
            uid: request_id(),
            settings,
            commands: commands.clone(),
            appends,
            subscribe,
            subscribed: watch::Sender::new(HashSet::new()),
            pending: std::sync::Mutex::new(HashMap::new()),
            namespaces: Members::default(),
        });
        tokio::spawn(append_loop(commands, shared.settings.clone(), append_queue));
        tokio::spawn(read_loop(client.clone(), reader, Arc::downgrade(&shared)));
        tokio::spawn(subscribe_loop(
            client,
            subscriber,
            subscriptions,
            Arc::downgrade(&shared),
        ));
        Ok(Self(shared))
    }
}

impl fmt::Debug for RedisStreams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStreams")
            .field("uid", &self.0.uid)
            .field("stream", &self.0.settings.stream)
            .finish_non_exhaustive()
    }
}

impl Shared {
    /// The channel every server of the namespace listens to.
    fn public_channel(&self, namespace: &str) -> String {
        format!("{}#{namespace}#", self.settings.channel_prefix)
    }

    /// The channel where a server receives the answers to its questions.
    fn private_channel(&self, namespace: &str, uid: &str) -> String {
        format!("{}#{namespace}#{uid}#", self.settings.channel_prefix)
    }

    fn session_key(&self, pid: &str) -> String {
        format!("{}{pid}", self.settings.session_prefix)
    }

    /// A message of this server about a namespace.
    fn message(&self, namespace: &str, kind: u64, data: rmpv::Value) -> Message {
        Message {
            uid: self.uid.clone(),
            nsp: namespace.to_owned(),
            kind,
            data,
        }
    }

    /// Queues an entry for the stream; a full queue (Redis away for long) refuses it, logged,
    /// and the local delivery happens at once, unnumbered.
    fn append(&self, message: Message, delivery: Option<Delivery>) {
        if let Err(refused) = self.appends.try_send(Append { message, delivery }) {
            tracing::warn!("redis stream queue full; a cluster message is lost");
            if let Some(delivery) = refused.into_inner().delivery {
                delivery.deliver(None);
            }
        }
    }

    /// Publishes on Pub/Sub, in a task of its own; a failure is logged.
    fn publish(&self, channel: String, message: &Message) {
        let payload = message.to_pubsub();
        let mut commands = self.commands.clone();
        tokio::spawn(async move {
            let published: redis::RedisResult<()> = redis::cmd("PUBLISH")
                .arg(&channel)
                .arg(payload)
                .query_async(&mut commands)
                .await;
            if let Err(error) = published {
                tracing::warn!(%error, %channel, "redis publish failed: a cluster message is lost");
            }
        });
    }

    /// Answers another server's question on its private channel.
    fn respond(&self, to: &str, namespace: &str, kind: u64, data: rmpv::Value) {
        let channel = self.private_channel(namespace, to);
        self.publish(channel, &self.message(namespace, kind, data));
    }

    /// How many other servers listen to the namespace; `None` (logged) when Redis cannot
    /// tell, or this server is not subscribed yet.
    async fn other_servers(&self, namespace: &str) -> Option<usize> {
        let deadline = tokio::time::Instant::now() + self.settings.requests_timeout;
        if !subscribed_by(&self.subscribed, namespace, deadline).await {
            tracing::warn!(%namespace, "not subscribed to the cluster");
            return None;
        }
        let channel = self.public_channel(namespace);
        other_subscribers(&self.commands, &channel, namespace).await
    }

    /// Registers a question; its answers arrive on the returned receiver until it is dropped.
    fn await_answers(self: &Arc<Self>, request_id: &str) -> Answers {
        let (sender, receiver) = mpsc::unbounded_channel();
        lock(&self.pending).insert(request_id.to_owned(), sender);
        Answers {
            shared: self.clone(),
            request_id: request_id.to_owned(),
            receiver,
        }
    }

    /// Hands an answer to the question that awaits it.
    fn on_response(&self, message: Message) {
        let Some(request_id) = message.request_id() else {
            return;
        };
        if let Some(waiting) = lock(&self.pending).get(request_id) {
            let _ = waiting.send(message);
        }
    }
}

/// The answers to one question, forgotten when dropped.
struct Answers {
    shared: Arc<Shared>,
    request_id: String,
    receiver: mpsc::UnboundedReceiver<Message>,
}

impl Answers {
    /// The next answer before `deadline`.
    async fn next(&mut self, deadline: tokio::time::Instant) -> Option<Message> {
        tokio::time::timeout_at(deadline, self.receiver.recv())
            .await
            .ok()
            .flatten()
    }
}

impl Drop for Answers {
    fn drop(&mut self) {
        lock(&self.shared.pending).remove(&self.request_id);
    }
}

/// A request id, as socket.io-adapter draws them: 8 random bytes in hex.
fn request_id() -> String {
    let mut bytes = [0u8; 8];
    // Without a random source no id could be trusted; ferrio's sids would have failed first.
    let _ = getrandom::fill(&mut bytes);
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Appends in order from one connection, pipelining what is queued, then delivers each
/// broadcast locally with the id the stream gave it. A batch that fails is reported and its
/// broadcasts delivered unnumbered, never appended again: Redis may have run part of it.
async fn append_loop(
    mut commands: redis::aio::ConnectionManager,
    settings: StreamSettings,
    mut queue: mpsc::Receiver<Append>,
) {
    let mut batch = Vec::with_capacity(APPEND_BATCH);
    while queue.recv_many(&mut batch, APPEND_BATCH).await > 0 {
        let mut pipe = redis::pipe();
        for append in &batch {
            let command = pipe
                .cmd("XADD")
                .arg(&settings.stream)
                .arg("MAXLEN")
                .arg("~")
                .arg(settings.max_len)
                .arg("*");
            for (field, value) in append.message.to_fields() {
                command.arg(field).arg(value);
            }
        }
        let ids: redis::RedisResult<Vec<String>> = pipe.query_async(&mut commands).await;
        let ids = match ids {
            Ok(ids) => ids.into_iter().map(Some).collect(),
            Err(error) => {
                tracing::warn!(%error, entries = batch.len(), "redis unreachable: cluster messages may be lost");
                vec![None; batch.len()]
            }
        };
        for (append, id) in batch.drain(..).zip(ids) {
            if let Some(delivery) = append.delivery {
                delivery.deliver(id.as_deref());
            }
        }
    }
}

/// The connection that blocks on XREAD: no response timeout, as it waits for entries.
async fn connect_reader(
    client: &redis::Client,
) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
    let config = redis::AsyncConnectionConfig::new().set_response_timeout(None);
    client
        .get_multiplexed_async_connection_with_config(&config)
        .await
}

/// How long one XREAD waits for entries (Node's `blockTimeInMs`).
const READ_BLOCK: Duration = Duration::from_secs(5);

/// How many entries one XREAD returns at most (Node's `readCount`).
const READ_COUNT: usize = 100;

/// Reads the stream from its end, in order, and hands each entry to its namespace; after an
/// outage it goes on from the last entry read.
async fn read_loop(
    client: redis::Client,
    mut reader: redis::aio::MultiplexedConnection,
    shared: std::sync::Weak<Shared>,
) {
    let mut offset = "$".to_owned();
    loop {
        let Some(stream) = shared
            .upgrade()
            .map(|shared| shared.settings.stream.clone())
        else {
            return;
        };
        let read: redis::RedisResult<redis::Value> = redis::cmd("XREAD")
            .arg("BLOCK")
            .arg(READ_BLOCK.as_millis() as u64)
            .arg("COUNT")
            .arg(READ_COUNT)
            .arg("STREAMS")
            .arg(&stream)
            .arg(&offset)
            .query_async(&mut reader)
            .await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        match read {
            Ok(reply) => {
                for (id, fields) in xread_entries(&reply) {
                    match Message::from_fields(&fields) {
                        Ok(message) => adapter::on_entry(&shared, message, &id),
                        Err(error) => {
                            tracing::warn!(%error, %id, "skipped a stream entry that does not decode")
                        }
                    }
                    offset = id;
                }
            }
            Err(error) => {
                tracing::warn!(%error, "reading the redis stream failed; reconnecting");
                drop(shared);
                reader = loop {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    if let Ok(reader) = connect_reader(&client).await {
                        break reader;
                    }
                };
            }
        }
    }
}

/// An entry's id and fields.
type Entry = (String, Vec<(Vec<u8>, Vec<u8>)>);

/// The entries of an XREAD reply (one stream; nil when none came).
fn xread_entries(reply: &redis::Value) -> Vec<Entry> {
    use redis::Value;
    let streams = match reply {
        Value::Array(streams) => streams.as_slice(),
        Value::Map(streams) => {
            return streams
                .iter()
                .flat_map(|(_, entries)| xrange_entries(entries))
                .collect();
        }
        _ => &[],
    };
    streams
        .iter()
        .filter_map(|stream| match stream {
            Value::Array(parts) => parts.get(1),
            _ => None,
        })
        .flat_map(xrange_entries)
        .collect()
}

/// The entries of an XRANGE reply: `[[id, [field, value, ..]], ..]`.
fn xrange_entries(reply: &redis::Value) -> Vec<Entry> {
    use redis::Value;
    let bytes = |value: &Value| match value {
        Value::BulkString(bytes) => Some(bytes.clone()),
        Value::SimpleString(text) => Some(text.clone().into_bytes()),
        _ => None,
    };
    let Value::Array(entries) = reply else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|entry| {
            let Value::Array(parts) = entry else {
                return None;
            };
            let [id, Value::Array(fields)] = parts.as_slice() else {
                return None;
            };
            let id = String::from_utf8(bytes(id)?).ok()?;
            let fields = fields
                .chunks_exact(2)
                .filter_map(|pair| Some((bytes(&pair[0])?, bytes(&pair[1])?)))
                .collect();
            Some((id, fields))
        })
        .collect()
}

impl Listener for Shared {
    fn channels(&self, namespace: &str) -> Vec<Subscription> {
        vec![
            Subscription::Channel(self.public_channel(namespace)),
            Subscription::Channel(self.private_channel(namespace, &self.uid)),
        ]
    }

    fn on_message(self: &Arc<Self>, channel: &str, payload: &[u8]) {
        on_pubsub(self, channel, payload);
    }

    fn subscribed(&self) -> &watch::Sender<HashSet<String>> {
        &self.subscribed
    }

    fn on_outage(&self) {
        tokio::spawn(reconnect_commands(self.commands.clone()));
    }
}

/// Redis went away: the command connection went with it, and would learn so only by failing
/// its next command (an event lost, a session not found). Ping it until it answers, so that it
/// reconnects as soon as Redis is back.
async fn reconnect_commands(mut commands: redis::aio::ConnectionManager) {
    loop {
        let ping: redis::RedisResult<()> = redis::cmd("PING").query_async(&mut commands).await;
        if ping.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Routes a Pub/Sub message: a question on a namespace's public channel, or an answer on
/// this server's private one.
fn on_pubsub(shared: &Arc<Shared>, channel: &str, payload: &[u8]) {
    let message = match Message::from_pubsub(payload) {
        Ok(message) => message,
        Err(error) => {
            tracing::warn!(%error, %channel, "skipped a cluster message that does not decode");
            return;
        }
    };
    if message.uid == shared.uid {
        return;
    }
    if channel == shared.private_channel(&message.nsp, &shared.uid) {
        return shared.on_response(message);
    }
    let local = shared.namespaces.get(&message.nsp);
    if let Some(local) = local
        && channel == shared.public_channel(&message.nsp)
    {
        adapter::on_question(shared, &local, message);
    }
}
