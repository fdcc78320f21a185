//! The Socket.IO server: its builder and the handle used from handlers and any task.

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use http::{Request, Response};
use serde::Serialize;

use crate::adapter::{AdapterFactory, BroadcastOptions, LocalAdapter, LocalNamespace};
use crate::client::Dispatcher;
use crate::engineio::{
    Engine, EngineConfig, EngineIo, RequestBody, ResponseBody, ServiceFuture, engine_setters,
};
use crate::error::SendError;
use crate::extensions::StateMap;
use crate::namespace::{Namespace, NamespaceBuilder};
use crate::operators::{BroadcastOperator, IntoRooms};
use crate::serve::{App, ResponseFuture, ShutdownFuture};
use crate::socket::Socket;

/// Socket.IO settings beyond Engine.IO's.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) ack_timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) max_attachments: usize,
}

/// What every handle of one server shares.
pub(crate) struct Shared {
    pub(crate) namespaces: HashMap<String, Arc<Namespace>>,
    pub(crate) state: StateMap,
    pub(crate) config: Config,
    engine: Weak<Engine<Dispatcher>>,
}

/// The Socket.IO server handle: cheap to clone, usable from any task, inside a handler or
/// outside (take it as a handler parameter, or keep a clone).
///
/// It is also the HTTP service: mount it in an axum `Router` with `route_service`, or serve it
/// alone with [`serve`](crate::serve).
///
/// # Examples
///
/// ```no_run
/// use ferrio::{Data, Socket, SocketIo};
///
/// async fn on_message(socket: Socket, Data(text): Data<String>) {
///     let _ = socket.broadcast().emit("message", &text);
/// }
///
/// # async fn run() -> std::io::Result<()> {
/// let io = SocketIo::builder()
///     .namespace("/", |ns| ns.on("message", on_message))
///     .build();
///
/// // From any task, outside any handler:
/// let clock = io.clone();
/// tokio::spawn(async move {
///     loop {
///         tokio::time::sleep(std::time::Duration::from_secs(1)).await;
///         let _ = clock.emit("tick", ());
///     }
/// });
///
/// let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await?;
/// ferrio::serve(listener, io).await
/// # }
/// ```
#[derive(Clone)]
pub struct SocketIo {
    engine: EngineIo<Dispatcher>,
}

impl SocketIo {
    /// Starts a builder with the default settings, mounted at `/socket.io/`.
    pub fn builder() -> SocketIoBuilder {
        let mut engine = EngineConfig::default();
        engine.set_path("/socket.io/");
        SocketIoBuilder {
            engine,
            config: Config {
                ack_timeout: Duration::from_secs(10),
                connect_timeout: Duration::from_secs(45),
                max_attachments: 10,
            },
            namespaces: Vec::new(),
            state: StateMap::default(),
            adapter: Box::new(LocalAdapter::new),
        }
    }

    pub(crate) fn from_shared(shared: &Weak<Shared>) -> Option<Self> {
        let engine = shared.upgrade()?.engine.upgrade()?;
        Some(Self {
            engine: EngineIo { engine },
        })
    }

    fn shared(&self) -> &Shared {
        &self.engine.handler().0
    }

    /// Addresses a namespace.
    ///
    /// # Panics
    ///
    /// Panics if the namespace was not registered on the builder.
    pub fn of(&self, namespace: &str) -> BroadcastOperator {
        self.try_of(namespace)
            .unwrap_or_else(|| panic!("namespace `{namespace}` is not registered"))
    }

    /// Addresses a namespace, if it is registered.
    pub fn try_of(&self, namespace: &str) -> Option<BroadcastOperator> {
        let namespace = self.shared().namespaces.get(namespace)?;
        Some(BroadcastOperator::new(
            namespace.clone(),
            BroadcastOptions::default(),
        ))
    }

    /// Addresses every socket of the main namespace `/`.
    fn main(&self) -> BroadcastOperator {
        self.of("/")
    }

    /// Addresses the sockets of `/` in these rooms; pass a socket id to reach one socket.
    pub fn to(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.main().to(rooms)
    }

    /// Addresses every socket of `/` except those in these rooms.
    pub fn except(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.main().except(rooms)
    }

    /// Emits to every socket of `/`.
    ///
    /// # Errors
    ///
    /// As [`BroadcastOperator::emit`].
    pub fn emit<T: Serialize>(&self, event: &str, args: T) -> Result<(), SendError> {
        self.main().emit(event, args)
    }

    /// Sends a `message` event to every socket of `/`.
    ///
    /// # Errors
    ///
    /// As [`BroadcastOperator::emit`].
    pub fn send<T: Serialize>(&self, args: T) -> Result<(), SendError> {
        self.main().send(args)
    }

    /// A connected socket of a namespace, by id.
    pub fn socket(&self, namespace: &str, id: crate::Sid) -> Option<Socket> {
        self.shared().namespaces.get(namespace)?.socket(id)
    }

    /// Every connected socket of a namespace, on this server.
    pub fn sockets(&self, namespace: &str) -> Vec<Socket> {
        self.shared()
            .namespaces
            .get(namespace)
            .map(|ns| ns.sockets())
            .unwrap_or_default()
    }

    /// Shared application state of type `T`, if the builder was given one.
    pub fn state<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.shared().state.get::<T>()
    }

    /// Disconnects every client with the server-shutdown reason, and waits until they are
    /// gone. [`serve`](crate::serve) does this on graceful shutdown.
    pub async fn close(&self) {
        self.engine.close().await;
    }
}

impl fmt::Debug for SocketIo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocketIo")
            .field("path", &self.engine.engine.config.path)
            .field(
                "namespaces",
                &self.shared().namespaces.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl<B: RequestBody> tower_service::Service<Request<B>> for SocketIo {
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = ServiceFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        tower_service::Service::<Request<B>>::poll_ready(&mut self.engine, cx)
    }

    fn call(&mut self, request: Request<B>) -> ServiceFuture {
        self.engine.call(request)
    }
}

impl App for SocketIo {
    fn handle(&self, request: Request<hyper::body::Incoming>) -> ResponseFuture {
        App::handle(&self.engine, request)
    }

    fn shutdown(&self) -> ShutdownFuture {
        self.engine.shutdown()
    }
}

/// Builds a [`SocketIo`] server: settings, namespaces and their handlers, shared state.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use ferrio::{Cors, SocketIo, Transport};
///
/// let io = SocketIo::builder()
///     .ping_interval(Duration::from_secs(10))
///     .transports([Transport::Websocket])
///     .cors(Cors::Any)
///     .namespace("/", |ns| ns)
///     .build();
/// # let _ = io;
/// ```
#[must_use]
pub struct SocketIoBuilder {
    engine: EngineConfig,
    config: Config,
    namespaces: Vec<NamespaceBuilder>,
    state: StateMap,
    adapter: Box<dyn AdapterFactory>,
}

impl SocketIoBuilder {
    engine_setters!(engine);

    /// How long [`Socket::emit_with_ack`] and broadcasts with acknowledgements wait for
    /// replies by default (10 s).
    pub fn ack_timeout(mut self, timeout: Duration) -> Self {
        self.config.ack_timeout = timeout;
        self
    }

    /// How long a client may stay connected without joining a namespace (45 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// How many binary attachments one packet may carry (10).
    pub fn max_attachments(mut self, count: usize) -> Self {
        self.config.max_attachments = count;
        self
    }

    /// Registers a namespace and its handlers. Clients can connect only to registered
    /// namespaces; others are refused with `Invalid namespace`.
    ///
    /// # Panics
    ///
    /// Panics if the namespace is registered twice, or does not start with `/`.
    pub fn namespace(
        mut self,
        path: &str,
        configure: impl FnOnce(NamespaceBuilder) -> NamespaceBuilder,
    ) -> Self {
        assert!(
            path.starts_with('/'),
            "namespace `{path}` must start with `/`"
        );
        assert!(
            self.namespaces.iter().all(|ns| ns.path != path),
            "namespace `{path}` is registered twice"
        );
        self.namespaces
            .push(configure(NamespaceBuilder::new(path.to_owned())));
        self
    }

    /// Shares a value with every handler, read with the [`State`](crate::State) extractor.
    pub fn state<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Self {
        self.state.insert(value);
        self
    }

    /// Replaces the in-memory adapter, for example with a cluster adapter.
    pub fn adapter<F, A>(mut self, factory: F) -> Self
    where
        F: Fn(LocalNamespace) -> A + Send + Sync + 'static,
        A: crate::adapter::Adapter,
    {
        self.adapter = Box::new(factory);
        self
    }

    /// Builds the server. Call it inside a tokio runtime.
    pub fn build(self) -> SocketIo {
        let Self {
            engine: engine_config,
            config,
            namespaces,
            state,
            adapter,
        } = self;
        let engine = Arc::new_cyclic(|engine| {
            let shared = Arc::new_cyclic(|shared: &Weak<Shared>| Shared {
                namespaces: namespaces
                    .into_iter()
                    .map(|ns| (ns.path.clone(), ns.build(shared.clone(), adapter.as_ref())))
                    .collect(),
                state,
                config,
                engine: engine.clone(),
            });
            Engine::new(engine_config, Dispatcher(shared))
        });
        SocketIo {
            engine: EngineIo { engine },
        }
    }
}

impl fmt::Debug for SocketIoBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocketIoBuilder")
            .field("engine", &self.engine)
            .field("config", &self.config)
            .field("namespaces", &self.namespaces)
            .finish_non_exhaustive()
    }
}
