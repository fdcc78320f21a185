//! Testing handlers in-process, as Flask-SocketIO's `test_client`: a client that connects to a
//! [`SocketIo`] without a port and talks to it as a socket.io client does (feature `testing`).
//!
//! It runs the server's real code: the request goes through the server's HTTP handling and a
//! WebSocket upgrade over an in-memory pipe, and every packet through the same encoder and
//! decoder as on the wire, so the same handlers, extractors, state, error handlers, adapter and
//! ordering rules apply. Every wait is bounded (2 s by default, [`TestClientBuilder::timeout`])
//! and fails with what was awaited and what came instead.
//!
//! # Examples
//!
//! ```
//! use ferrio::prelude::*;
//! use ferrio::testing::TestClient;
//!
//! #[on("buy", namespace = "/game")]
//! fn buy(socket: Socket, item: String) -> String {
//!     let _ = socket.emit("bought", &item);
//!     format!("receipt for {item}")
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), ferrio::testing::TestError> {
//! let io = SocketIo::builder().handlers(ferrio::handlers![buy]).build();
//! let mut client = TestClient::connect(&io, "/game").await?;
//! let receipt: String = client.emit_with_ack("buy", "sword").await?;
//! assert_eq!(receipt, "receipt for sword");
//! let bought = client.expect_event("bought").await?;
//! assert_eq!(bought.arg::<String>(0)?, "sword");
//! # Ok(()) }
//! ```

mod transport;

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::payload::Payload;
use crate::socketio::packet::{self, Encoded};
use crate::sync::lock;
use crate::{Sid, SocketIo};

use self::transport::{Acks, Transport};

/// How long a test client waits for anything, unless told otherwise.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// A socket.io client connected to one namespace of an in-process server.
///
/// What the server sends is kept in order until read: [`next_event`](Self::next_event) takes
/// the next event, whatever it is; [`expect_event`](Self::expect_event) fails if it is not the
/// one named. The server's acknowledgements of this client's emits are matched by id and never
/// queue.
pub struct TestClient {
    namespace: String,
    id: Sid,
    outgoing: mpsc::UnboundedSender<WsMessage>,
    received: mpsc::Receiver<Received>,
    /// What was read from `received` but not yet taken.
    unread: VecDeque<Received>,
    acks: Acks,
    next_ack: u64,
    timeout: Duration,
}

/// What came from the server for the client's namespace.
pub(crate) enum Received {
    Connected(Value),
    Refused(Value),
    Event {
        name: String,
        payload: Payload,
        ack: Option<u64>,
    },
    Disconnected,
    /// The connection ended, and why.
    Closed(String),
}

impl fmt::Debug for Received {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connected(reply) => write!(f, "CONNECT {reply}"),
            Self::Refused(error) => write!(f, "CONNECT_ERROR {error}"),
            Self::Event { name, payload, .. } => {
                write!(
                    f,
                    "event `{name}` {}",
                    Value::from(payload.values().to_vec())
                )
            }
            Self::Disconnected => f.write_str("DISCONNECT (io server disconnect)"),
            Self::Closed(reason) => write!(f, "the connection closed ({reason})"),
        }
    }
}

impl TestClient {
    /// Connects to a namespace, without an auth payload; see [`builder`](Self::builder) for
    /// one, handshake headers or another timeout.
    ///
    /// # Errors
    ///
    /// The namespace refused the connection ([`TestError::refusal`]), or the server did not
    /// answer in time.
    pub async fn connect(io: &SocketIo, namespace: &str) -> Result<Self, TestError> {
        Self::builder(io, namespace).connect().await
    }

    /// Starts the settings of a connection to a namespace.
    ///
    /// # Examples
    ///
    /// ```
    /// # async fn f(io: ferrio::SocketIo) -> Result<(), ferrio::testing::TestError> {
    /// use ferrio::testing::TestClient;
    ///
    /// let client = TestClient::builder(&io, "/admin")
    ///     .auth(serde_json::json!({ "token": "secret" }))
    ///     .header("cookie", "session=42")
    ///     .timeout(std::time::Duration::from_millis(500))
    ///     .connect()
    ///     .await?;
    /// # let _ = client; Ok(()) }
    /// ```
    pub fn builder(io: &SocketIo, namespace: &str) -> TestClientBuilder {
        TestClientBuilder {
            io: io.clone(),
            namespace: namespace.to_owned(),
            auth: None,
            headers: http::HeaderMap::new(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    async fn open(settings: TestClientBuilder) -> Result<Self, TestError> {
        let TestClientBuilder {
            io,
            namespace,
            auth,
            headers,
            timeout,
        } = settings;
        let awaited = format!("the connection to {namespace}");
        let transport = Transport::open(&io, io.engine_path(), &namespace, headers)
            .await
            .map_err(|error| TestError::transport(&awaited, error))?;
        let mut connect = String::from("40");
        if namespace != "/" {
            connect.push_str(&namespace);
            connect.push(',');
        }
        if let Some(auth) = auth {
            connect.push_str(&auth.to_string());
        }
        let mut client = Self {
            namespace,
            id: Sid::random(),
            outgoing: transport.outgoing,
            received: transport.received,
            unread: VecDeque::new(),
            acks: transport.acks,
            next_ack: 0,
            timeout,
        };
        client.send(WsMessage::text(connect), &awaited)?;
        match client.take(&awaited).await? {
            Received::Connected(reply) => {
                let id = reply.get("sid").and_then(Value::as_str).unwrap_or_default();
                client.id = id.parse().map_err(|_| {
                    TestError::unexpected(&awaited, format!("a CONNECT with the id {id:?}"))
                })?;
                Ok(client)
            }
            Received::Refused(error) => Err(TestError {
                kind: Kind::Refused(error),
                awaited,
            }),
            other => Err(TestError::unexpected(&awaited, format!("{other:?}"))),
        }
    }

    /// The socket's id, as the server knows it.
    pub fn id(&self) -> Sid {
        self.id
    }

    /// The namespace the client is connected to.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// Emits an event (a tuple is several arguments, `()` none, anything else one; binary as
    /// `bytes::Bytes` travels as attachments).
    ///
    /// # Errors
    ///
    /// The arguments do not serialize, or the connection is gone.
    pub async fn emit(&self, event: &str, args: impl Serialize) -> Result<(), TestError> {
        let awaited = format!("to emit `{event}` on {}", self.namespace);
        let encoded =
            packet::encode_event(&self.namespace, event, &args, None).map_err(TestError::encode)?;
        self.send_encoded(encoded, &awaited)
    }

    /// Emits an event that asks for an acknowledgement and returns the acknowledgement's first
    /// argument as a `T`. Events that arrive meanwhile stay queued, in order.
    ///
    /// # Errors
    ///
    /// No acknowledgement came in time, it does not deserialize as a `T`, or the connection
    /// ended first.
    pub async fn emit_with_ack<T: DeserializeOwned + 'static>(
        &mut self,
        event: &str,
        args: impl Serialize,
    ) -> Result<T, TestError> {
        let reply = self.emit_with_ack_raw(event, args).await?;
        reply.arg(0).map_err(|error| TestError {
            kind: Kind::Decode(error),
            awaited: format!(
                "the acknowledgement of `{event}` as a `{}`",
                std::any::type_name::<T>()
            ),
        })
    }

    /// As [`emit_with_ack`](Self::emit_with_ack), with the whole acknowledgement: every
    /// argument, binary included.
    ///
    /// # Errors
    ///
    /// As [`emit_with_ack`](Self::emit_with_ack), but for decoding.
    pub async fn emit_with_ack_raw(
        &mut self,
        event: &str,
        args: impl Serialize,
    ) -> Result<Payload, TestError> {
        let awaited = format!("the acknowledgement of `{event}` on {}", self.namespace);
        let id = self.next_ack;
        self.next_ack += 1;
        let encoded = packet::encode_event(&self.namespace, event, &args, Some(id))
            .map_err(TestError::encode)?;
        let (sender, reply) = oneshot::channel();
        lock(&self.acks).insert(id, sender);
        self.send_encoded(encoded, &awaited)?;
        let waited = tokio::time::timeout(self.timeout, reply).await;
        lock(&self.acks).remove(&id);
        match waited {
            Ok(Ok(reply)) => Ok(reply),
            // The reader is gone: the connection ended.
            Ok(Err(_)) => Err(self.ended(&awaited).await),
            Err(_) => Err(self.timed_out(&awaited)),
        }
    }

    /// The next event the server sent, whatever it is.
    ///
    /// # Errors
    ///
    /// None came in time, or the server disconnected the socket first.
    pub async fn next_event(&mut self) -> Result<ReceivedEvent, TestError> {
        let awaited = format!("an event on {}", self.namespace);
        match self.take(&awaited).await? {
            Received::Event { name, payload, ack } => Ok(self.event(name, payload, ack)),
            other => Err(TestError::unexpected(&awaited, format!("{other:?}"))),
        }
    }

    /// The next event, which must be `name`.
    ///
    /// # Errors
    ///
    /// Another event came first (named in the error), none came in time, or the server
    /// disconnected the socket.
    pub async fn expect_event(&mut self, name: &str) -> Result<ReceivedEvent, TestError> {
        let awaited = format!("the event `{name}` on {}", self.namespace);
        match self.take(&awaited).await? {
            Received::Event {
                name: got,
                payload,
                ack,
            } if got == name => Ok(self.event(got, payload, ack)),
            other => Err(TestError::unexpected(&awaited, format!("{other:?}"))),
        }
    }

    /// Checks that nothing arrives for `within`.
    ///
    /// # Errors
    ///
    /// Something came: the error says what.
    pub async fn expect_nothing(&mut self, within: Duration) -> Result<(), TestError> {
        let awaited = format!("nothing on {} for {within:?}", self.namespace);
        if let Some(early) = self.unread.pop_front() {
            return Err(TestError::unexpected(&awaited, format!("{early:?}")));
        }
        match tokio::time::timeout(within, self.received.recv()).await {
            Err(_) => Ok(()),
            Ok(Some(got)) => Err(TestError::unexpected(&awaited, format!("{got:?}"))),
            Ok(None) => Err(TestError::unexpected(
                &awaited,
                "the end of the connection".into(),
            )),
        }
    }

    /// Waits until the server disconnects the socket, and says how: `io server disconnect`
    /// (the server disconnected it from the namespace) or the reason the connection ended.
    ///
    /// # Errors
    ///
    /// An event came first, or nothing in time.
    pub async fn disconnected(&mut self) -> Result<String, TestError> {
        let awaited = format!(
            "the server to disconnect the socket from {}",
            self.namespace
        );
        match self.take(&awaited).await? {
            Received::Disconnected => Ok("io server disconnect".to_owned()),
            Received::Closed(reason) => Ok(reason),
            other => Err(TestError::unexpected(&awaited, format!("{other:?}"))),
        }
    }

    /// Disconnects from the namespace (socket.io-client's `disconnect()`), then closes the
    /// connection; the server's disconnect handler sees `client namespace disconnect`.
    ///
    /// # Errors
    ///
    /// The connection was already gone.
    pub async fn disconnect(self) -> Result<(), TestError> {
        let awaited = format!("to disconnect from {}", self.namespace);
        self.send_encoded(packet::encode_disconnect(&self.namespace), &awaited)?;
        let _ = self.outgoing.send(WsMessage::text("1"));
        Ok(())
    }

    fn event(&self, name: String, payload: Payload, ack: Option<u64>) -> ReceivedEvent {
        ReceivedEvent {
            name,
            payload,
            ack: ack.map(|id| Answer {
                id,
                namespace: self.namespace.clone(),
                outgoing: self.outgoing.clone(),
            }),
        }
    }

    /// The next thing received, in order, within the timeout.
    async fn take(&mut self, awaited: &str) -> Result<Received, TestError> {
        if let Some(received) = self.unread.pop_front() {
            return self.taken(received, awaited);
        }
        match tokio::time::timeout(self.timeout, self.received.recv()).await {
            Ok(Some(received)) => self.taken(received, awaited),
            Ok(None) => Err(TestError::transport(awaited, "the connection ended".into())),
            Err(_) => Err(self.timed_out(awaited)),
        }
    }

    /// A received packet as what is awaited gets it: the end of the connection is an error
    /// unless a disconnection is what is awaited.
    fn taken(&mut self, received: Received, awaited: &str) -> Result<Received, TestError> {
        match received {
            Received::Closed(reason) if !awaited.starts_with("the server to disconnect") => {
                Err(TestError::transport(awaited, reason))
            }
            received => Ok(received),
        }
    }

    /// Why an acknowledgement never came: the connection ended, and how.
    async fn ended(&mut self, awaited: &str) -> TestError {
        let mut reason = "the connection ended".to_owned();
        while let Ok(received) = self.received.try_recv() {
            if let Received::Closed(why) = &received {
                reason = why.clone();
            }
            self.unread.push_back(received);
        }
        TestError::transport(awaited, reason)
    }

    /// A timeout, naming what is queued meanwhile.
    fn timed_out(&mut self, awaited: &str) -> TestError {
        while let Ok(received) = self.received.try_recv() {
            self.unread.push_back(received);
        }
        TestError {
            kind: Kind::Timeout {
                after: self.timeout,
                queued: self.unread.iter().map(|r| format!("{r:?}")).collect(),
            },
            awaited: awaited.to_owned(),
        }
    }

    fn send_encoded(&self, encoded: Encoded, awaited: &str) -> Result<(), TestError> {
        self.send(WsMessage::Text(encoded.text), awaited)?;
        for attachment in encoded.attachments {
            self.send(WsMessage::Binary(attachment), awaited)?;
        }
        Ok(())
    }

    fn send(&self, message: WsMessage, awaited: &str) -> Result<(), TestError> {
        self.outgoing
            .send(message)
            .map_err(|_| TestError::transport(awaited, "the connection ended".into()))
    }
}

impl fmt::Debug for TestClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestClient")
            .field("namespace", &self.namespace)
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// The settings of a [`TestClient`]'s connection, from [`TestClient::builder`].
#[must_use = "a builder does nothing until `connect` is awaited"]
pub struct TestClientBuilder {
    io: SocketIo,
    namespace: String,
    auth: Option<Value>,
    headers: http::HeaderMap,
    timeout: Duration,
}

impl TestClientBuilder {
    /// The auth payload (socket.io-client's `auth` option), which the connect handler reads.
    /// A value that does not serialize to JSON is sent as `null`.
    pub fn auth(mut self, auth: impl Serialize) -> Self {
        self.auth = Some(serde_json::to_value(auth).unwrap_or_default());
        self
    }

    /// A header of the handshake request, as a browser sends its cookies; the handlers read it
    /// in [`Socket::handshake`](crate::Socket::handshake). An invalid name or value is left out.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::try_from(name),
            http::HeaderValue::try_from(value),
        ) {
            self.headers.append(name, value);
        }
        self
    }

    /// How long each wait of the client lasts before it fails (2 s by default).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Connects.
    ///
    /// # Errors
    ///
    /// As [`TestClient::connect`].
    pub async fn connect(self) -> Result<TestClient, TestError> {
        TestClient::open(self).await
    }
}

impl fmt::Debug for TestClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestClientBuilder")
            .field("namespace", &self.namespace)
            .field("auth", &self.auth)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// An event the server sent to a [`TestClient`].
pub struct ReceivedEvent {
    name: String,
    payload: Payload,
    ack: Option<Answer>,
}

/// Where the answer to a server's `emit_with_ack` goes.
struct Answer {
    id: u64,
    namespace: String,
    outgoing: mpsc::UnboundedSender<WsMessage>,
}

impl ReceivedEvent {
    /// The event's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its arguments, binary included.
    pub fn payload(&self) -> &Payload {
        &self.payload
    }

    /// Argument `index`, as a `T`.
    ///
    /// # Errors
    ///
    /// There is no such argument, or it does not deserialize as a `T`.
    pub fn arg<T: DeserializeOwned + 'static>(&self, index: usize) -> Result<T, TestError> {
        self.payload.arg(index).map_err(|error| TestError {
            kind: Kind::Decode(error),
            awaited: format!(
                "argument {index} of `{}` as a `{}`",
                self.name,
                std::any::type_name::<T>()
            ),
        })
    }

    /// Whether the server awaits an acknowledgement ([`Socket::emit_with_ack`](crate::Socket)).
    pub fn wants_ack(&self) -> bool {
        self.ack.is_some()
    }

    /// Answers the server's `emit_with_ack` (a tuple is several arguments).
    ///
    /// # Errors
    ///
    /// The server asked for no acknowledgement, the reply does not serialize, or the
    /// connection is gone.
    pub fn ack(self, reply: impl Serialize) -> Result<(), TestError> {
        let awaited = format!("to acknowledge `{}`", self.name);
        let Some(answer) = self.ack else {
            return Err(TestError::unexpected(
                &awaited,
                "an event that asks for no acknowledgement".into(),
            ));
        };
        let encoded =
            packet::encode_ack(&answer.namespace, answer.id, &reply).map_err(TestError::encode)?;
        let gone = || TestError::transport(&awaited, "the connection ended".into());
        answer
            .outgoing
            .send(WsMessage::Text(encoded.text))
            .map_err(|_| gone())?;
        for attachment in encoded.attachments {
            answer
                .outgoing
                .send(WsMessage::Binary(attachment))
                .map_err(|_| gone())?;
        }
        Ok(())
    }
}

impl fmt::Debug for ReceivedEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceivedEvent")
            .field("name", &self.name)
            .field("args", &self.payload.values())
            .field("wants_ack", &self.wants_ack())
            .finish()
    }
}

/// Why a test client's step failed: what it awaited, and what happened instead.
#[derive(Debug)]
pub struct TestError {
    kind: Kind,
    awaited: String,
}

#[derive(Debug)]
enum Kind {
    Refused(Value),
    Timeout {
        after: Duration,
        queued: Vec<String>,
    },
    Unexpected(String),
    Transport(String),
    Encode(serde_json::Error),
    Decode(serde_json::Error),
}

impl TestError {
    fn transport(awaited: &str, reason: String) -> Self {
        Self {
            kind: Kind::Transport(reason),
            awaited: awaited.to_owned(),
        }
    }

    fn unexpected(awaited: &str, got: String) -> Self {
        Self {
            kind: Kind::Unexpected(got),
            awaited: awaited.to_owned(),
        }
    }

    fn encode(error: serde_json::Error) -> Self {
        Self {
            kind: Kind::Encode(error),
            awaited: "the arguments to serialize".to_owned(),
        }
    }

    /// The CONNECT_ERROR's payload when the namespace refused the connection
    /// (`{"message": .., "data": ..}`).
    pub fn refusal(&self) -> Option<&Value> {
        match &self.kind {
            Kind::Refused(error) => Some(error),
            _ => None,
        }
    }

    /// Whether nothing came in time.
    pub fn is_timeout(&self) -> bool {
        matches!(self.kind, Kind::Timeout { .. })
    }
}

impl fmt::Display for TestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let awaited = &self.awaited;
        match &self.kind {
            Kind::Refused(error) => write!(f, "awaiting {awaited}: refused with {error}"),
            Kind::Timeout { after, queued } if queued.is_empty() => {
                write!(f, "awaiting {awaited}: nothing came within {after:?}")
            }
            Kind::Timeout { after, queued } => write!(
                f,
                "awaiting {awaited}: it did not come within {after:?}; queued meanwhile: {}",
                queued.join(", ")
            ),
            Kind::Unexpected(got) => write!(f, "awaiting {awaited}: got {got}"),
            Kind::Transport(reason) => write!(f, "awaiting {awaited}: {reason}"),
            Kind::Encode(error) => write!(f, "awaiting {awaited}: {error}"),
            Kind::Decode(error) => write!(f, "awaiting {awaited}: {error}"),
        }
    }
}

impl std::error::Error for TestError {}
