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
//!
//! # Typed by a schema
//!
//! Connected to a [schema](crate::schema)'s namespace type instead of a path, the client
//! takes only the schema's client events and yields its server events as typed values; a
//! server event, another namespace's event or a wrong acknowledgement does not compile.
//!
//! ```
//! use ferrio::prelude::*;
//! use ferrio::schema::TS;
//! use ferrio::testing::TestClient;
//!
//! #[derive(Serialize, Deserialize, TS)]
//! pub struct Receipt { pub item: String }
//!
//! #[schema(Shop, namespace = "/store")]
//! pub mod shop {
//!     use super::*;
//!     pub trait ClientToServer {
//!         fn buy(item: String) -> Receipt;
//!     }
//!     pub trait ServerToClient {
//!         #[event("priceChanged")]
//!         fn price_changed(item: String, price: u32);
//!     }
//! }
//!
//! #[on(shop::Buy)]
//! fn buy(socket: Socket<shop::Shop>, item: String) -> Receipt {
//!     let _ = socket.emit(shop::PriceChanged(item.clone(), 12));
//!     Receipt { item }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), ferrio::testing::TestError> {
//! let io = SocketIo::builder().handlers(ferrio::handlers![buy]).build();
//! let mut client = TestClient::connect(&io, shop::Shop).await?;
//! let receipt = client.emit_with_ack(shop::Buy("sword".into())).await?;
//! assert_eq!(receipt.item, "sword");
//! let shop::PriceChanged(item, price) = client.expect::<shop::PriceChanged>().await?;
//! assert_eq!((item.as_str(), price), ("sword", 12));
//! # Ok(()) }
//! ```

mod error;
mod event;
mod transport;
mod typed;

pub use self::error::TestError;
pub use self::event::{AckReply, ReceivedEvent};
pub use self::typed::{AckOwed, NoAckAwaited, NoAckOwed, TestFuture};

use std::collections::VecDeque;
use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::payload::Payload;
use crate::schema::{self, Untyped};
use crate::socketio::packet::{self, Encoded};
use crate::sync::lock;
use crate::{Sid, SocketIo};

use self::event::Answer;
use self::transport::{Acks, Transport};

/// How long a test client waits for anything, unless told otherwise.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// A socket.io client connected to one namespace of an in-process server.
///
/// What the server sends is kept in order until read: [`next_event`](Self::next_event) takes
/// the next event, whatever it is; [`expect_event`](Self::expect_event) fails if it is not the
/// one named. The server's acknowledgements of this client's emits are matched by id and never
/// queue.
///
/// `N` is the namespace's [schema](crate::schema) type when the client was connected to one
/// (see [typed](#typed-by-a-schema)), [`Untyped`] when it was connected to a path.
pub struct TestClient<N = Untyped> {
    namespace: String,
    id: Sid,
    outgoing: mpsc::UnboundedSender<WsMessage>,
    received: mpsc::Receiver<Received>,
    /// What was read from `received` but not yet taken.
    unread: VecDeque<Received>,
    acks: Acks,
    next_ack: u64,
    timeout: Duration,
    schema: PhantomData<fn() -> N>,
}

/// What a test client connects to: a namespace's path (`"/game"`), for a client that emits
/// events by name, or a [schema](crate::schema)'s namespace type (`game::Game`), for a
/// client typed by the schema.
pub trait Target {
    /// The schema of the client's namespace, or [`Untyped`].
    type Namespace;
    /// The namespace's path.
    fn path(&self) -> &str;
}

impl Target for &str {
    type Namespace = Untyped;
    fn path(&self) -> &str {
        self
    }
}

impl Target for &String {
    type Namespace = Untyped;
    fn path(&self) -> &str {
        self
    }
}

impl<N: schema::Namespace> Target for N {
    type Namespace = N;
    fn path(&self) -> &str {
        N::PATH
    }
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
    /// one, handshake headers or another timeout. The namespace is a path for an untyped
    /// client, or a schema's namespace type for a [typed](#typed-by-a-schema) one.
    ///
    /// # Errors
    ///
    /// The namespace refused the connection ([`TestError::refusal`]), or the server did not
    /// answer in time.
    pub async fn connect<T: Target>(
        io: &SocketIo,
        namespace: T,
    ) -> Result<TestClient<T::Namespace>, TestError> {
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
    pub fn builder<T: Target>(io: &SocketIo, namespace: T) -> TestClientBuilder<T::Namespace> {
        TestClientBuilder {
            io: io.clone(),
            namespace: namespace.path().to_owned(),
            auth: None,
            headers: http::HeaderMap::new(),
            timeout: DEFAULT_TIMEOUT,
            schema: PhantomData,
        }
    }

    /// Emits an event (a tuple is several arguments, `()` none, anything else one; binary as
    /// `bytes::Bytes` travels as attachments).
    ///
    /// # Errors
    ///
    /// The arguments do not serialize, or the connection is gone.
    pub async fn emit(&self, event: &str, args: impl Serialize) -> Result<(), TestError> {
        self.emit_event(event, args)
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
        self.ack_of(event, args).await
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
        self.raw_ack_of(event, args).await
    }
}

impl<N> TestClient<N> {
    async fn open(settings: TestClientBuilder<N>) -> Result<Self, TestError> {
        let TestClientBuilder {
            io,
            namespace,
            auth,
            headers,
            timeout,
            schema,
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
            schema,
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
            Received::Refused(error) => Err(TestError::refused(awaited, error)),
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

    /// The same connection, emitting events by name: for events the schema does not declare.
    pub fn untyped(self) -> TestClient {
        TestClient {
            namespace: self.namespace,
            id: self.id,
            outgoing: self.outgoing,
            received: self.received,
            unread: self.unread,
            acks: self.acks,
            next_ack: self.next_ack,
            timeout: self.timeout,
            schema: PhantomData,
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

    fn emit_event(&self, event: &str, args: impl Serialize) -> Result<(), TestError> {
        let awaited = format!("to emit `{event}` on {}", self.namespace);
        let encoded =
            packet::encode_event(&self.namespace, event, &args, None).map_err(TestError::encode)?;
        self.send_encoded(encoded, &awaited)
    }

    /// Emits `event` asking for an acknowledgement, and reads the acknowledgement's first
    /// argument as a `T`.
    async fn ack_of<T: DeserializeOwned + 'static>(
        &mut self,
        event: &str,
        args: impl Serialize,
    ) -> Result<T, TestError> {
        let reply = self.raw_ack_of(event, args).await?;
        reply.arg(0).map_err(|error| {
            let awaited = format!(
                "the acknowledgement of `{event}` as a `{}`",
                std::any::type_name::<T>()
            );
            TestError::decode(awaited, error)
        })
    }

    async fn raw_ack_of(
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

    /// The next event, which must be `name`, with where its acknowledgement goes if the
    /// server asked for one.
    async fn expect_raw(&mut self, name: &str) -> Result<(Payload, Option<Answer>), TestError> {
        let event = self.expect_event(name).await?;
        Ok((event.payload, event.ack))
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
        let queued = self.unread.iter().map(|r| format!("{r:?}")).collect();
        TestError::timeout(awaited, self.timeout, queued)
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

impl<N> fmt::Debug for TestClient<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestClient")
            .field("namespace", &self.namespace)
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// The settings of a [`TestClient`]'s connection, from [`TestClient::builder`].
#[must_use = "a builder does nothing until `connect` is awaited"]
pub struct TestClientBuilder<N = Untyped> {
    io: SocketIo,
    namespace: String,
    auth: Option<Value>,
    headers: http::HeaderMap,
    timeout: Duration,
    schema: PhantomData<fn() -> N>,
}

impl<N> TestClientBuilder<N> {
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
    pub async fn connect(self) -> Result<TestClient<N>, TestError> {
        TestClient::open(self).await
    }
}

impl<N> fmt::Debug for TestClientBuilder<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestClientBuilder")
            .field("namespace", &self.namespace)
            .field("auth", &self.auth)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}
