//! The Socket.IO server: its builder and the handle used from handlers and any task.

use std::any::{Any, TypeId};
use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use http::{Request, Response};
use serde::Serialize;

use crate::__private::Route;
use crate::adapter::LocalAdapter;
use crate::client_script::ClientScript;
use crate::engineio::{
    Engine, EngineConfig, EngineIo, RequestBody, ResponseBody, ServiceFuture, engine_setters,
};
use crate::error::{BoxError, ClusterResult, SendError};
use crate::extensions::StateMap;
use crate::handler::error::HandlerError;
use crate::handler::extract::{FromContext, SocketContext};
use crate::handler::registry::{ErrorHandler, NamespaceBuilder};
use crate::handler::{BoxedHandler, Handler, RawHandler, boxed};
use crate::payload::Payload;
use crate::serve::{App, ResponseFuture, ShutdownFuture};
use crate::server_event::{self, ServerEventContext, ServerEventListener};
use crate::socket::Socket;
use crate::socket::adapter::{AdapterFactory, BroadcastOptions, LocalNamespace, Room};
use crate::socket::connection::{Dispatcher, Namespaces};
use crate::socket::namespace::Namespace;
use crate::socket::observer::Observer;
use crate::socket::operators::{BroadcastOperator, IntoRooms};
use crate::socket::recovery::ConnectionStateRecovery;

/// Socket.IO settings beyond Engine.IO's.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) ack_timeout: Duration,
    pub(crate) recovery: Option<ConnectionStateRecovery>,
    pub(crate) connect_timeout: Duration,
    pub(crate) max_attachments: usize,
}

/// What every handle of one server shares.
pub(crate) struct Shared {
    /// The server's namespaces, which its connections reach too.
    namespaces: Arc<Namespaces>,
    pub(crate) state: StateMap,
    client_script: Option<ClientScript>,
    #[cfg(feature = "admin")]
    admin_ui: Option<crate::admin::AdminUi>,
    /// Read by cluster adapters only.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    server_events: HashMap<String, ServerEventListener>,
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
/// use ferrio::{Socket, SocketIo};
///
/// async fn on_message(socket: Socket, text: String) {
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
    shared: Arc<Shared>,
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
                recovery: None,
                connect_timeout: Duration::from_secs(45),
                max_attachments: 10,
            },
            namespaces: Vec::new(),
            state: StateMap::default(),
            adapter: Box::new(LocalAdapter::new),
            client_script: None,
            #[cfg(feature = "admin")]
            admin_ui: None,
            server_events: HashMap::new(),
            problems: Vec::new(),
            routes: Routes::Annotated,
            default_error: None,
            required_state: Vec::new(),
            observer: None,
        }
    }

    /// The handle of a server, while it runs.
    fn from_arc(shared: Arc<Shared>) -> Option<Self> {
        let engine = shared.engine.upgrade()?;
        Some(Self {
            engine: EngineIo { engine },
            shared,
        })
    }

    #[cfg(any(feature = "redis", feature = "admin"))]
    pub(crate) fn from_shared(shared: &Weak<Shared>) -> Option<Self> {
        Self::from_arc(shared.upgrade()?)
    }

    /// The handle of the server a namespace belongs to, while it runs.
    pub(crate) fn of_namespace(namespace: &Namespace) -> Option<Self> {
        Self::from_arc(shared_of(namespace)?)
    }

    /// The listener of a server event, if any.
    #[cfg(feature = "redis")]
    pub(crate) fn server_event_listener(&self, event: &str) -> Option<ServerEventListener> {
        self.shared().server_events.get(event).cloned()
    }

    /// A handle that does not keep the server alive; see [`from_shared`](Self::from_shared).
    #[cfg(any(feature = "redis", feature = "admin"))]
    pub(crate) fn downgrade(&self) -> Weak<Shared> {
        Arc::downgrade(&self.shared)
    }

    /// The path the server is mounted at, such as `/socket.io/`.
    #[cfg(feature = "testing")]
    pub(crate) fn engine_path(&self) -> &str {
        &self.engine.engine.config.path
    }

    fn shared(&self) -> &Shared {
        &self.shared
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
        let namespace = self.shared().namespaces.by_path.get(namespace)?;
        Some(BroadcastOperator::new(
            namespace.clone(),
            BroadcastOptions::default(),
        ))
    }

    /// Addresses a namespace declared by a schema, with typed emits:
    /// `io.namespace::<Game>().to("lobby").emit(GoldClicked(..))`.
    ///
    /// # Panics
    ///
    /// Panics if no handler of the namespace is registered on the server.
    pub fn namespace<N: crate::schema::Namespace>(&self) -> BroadcastOperator<N> {
        let namespace = self
            .shared()
            .namespaces
            .by_path
            .get(N::PATH)
            .unwrap_or_else(|| panic!("namespace `{}` is not registered", N::PATH));
        BroadcastOperator::new(namespace.clone(), BroadcastOptions::default())
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

    /// Sends an event to the other servers of the cluster, as Node's `io.serverSideEmit`:
    /// their [`on_server_event`](SocketIoBuilder::on_server_event) listeners receive it.
    /// On a single server (the in-memory adapter) nobody hears it. A tuple is several
    /// arguments, `()` none, anything else one.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn f(io: ferrio::SocketIo) -> Result<(), ferrio::SendError> {
    /// io.server_side_emit("maintenance", ("in", 5))?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// The arguments do not serialize, or the event name is reserved (as for emits).
    pub fn server_side_emit<T: Serialize>(&self, event: &str, args: T) -> Result<(), SendError> {
        SendError::check_event_name(event)?;
        let args = Payload::from_args(&args)?;
        if let Some(adapter) = self.main_adapter() {
            adapter.server_side_emit(event, &args);
        }
        Ok(())
    }

    /// Sends an event to the other servers of the cluster and gathers the answer of each, as
    /// Node's `io.serverSideEmitWithAck`: what each server's
    /// [`on_server_event`](SocketIoBuilder::on_server_event) listener returned. The arguments
    /// are checked at once; the answers come when every server answered, or the adapter's
    /// requests timeout passed. A single server gets no answers.
    ///
    /// # Examples
    ///
    /// ```
    /// # async fn f(io: ferrio::SocketIo) -> Result<(), Box<dyn std::error::Error>> {
    /// let answers = io.server_side_emit_with_ack("count-players", ())?.await?;
    /// let total: u64 = answers.iter().filter_map(|count| count.as_u64()).sum();
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// The arguments do not serialize or the event name is reserved; then, once awaited,
    /// some servers did not answer in
    /// time (a server without a listener never answers): the error holds the answers that
    /// came.
    pub fn server_side_emit_with_ack<T: Serialize>(
        &self,
        event: &str,
        args: T,
    ) -> Result<
        impl Future<Output = ClusterResult<Vec<serde_json::Value>>> + Send + 'static,
        SendError,
    > {
        SendError::check_event_name(event)?;
        let args = Payload::from_args(&args)?;
        let adapter = self.main_adapter().cloned();
        let event = event.to_owned();
        Ok(async move {
            match adapter {
                Some(adapter) => adapter.server_side_emit_with_ack(&event, &args).await,
                None => Ok(Vec::new()),
            }
        })
    }

    /// Every room of a namespace, socket-id rooms included, across the cluster (Node's
    /// `adapter.allRooms()`); empty for a namespace that does not exist.
    ///
    /// # Examples
    ///
    /// ```
    /// # async fn f(io: ferrio::SocketIo) -> Result<(), Box<dyn std::error::Error>> {
    /// let rooms = io.all_rooms("/").await?;
    /// println!("{} rooms in use", rooms.len());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// Some servers did not answer in time; the error holds the rooms that came.
    pub async fn all_rooms(&self, namespace: &str) -> ClusterResult<HashSet<Room>> {
        match self.shared().namespaces.by_path.get(namespace) {
            Some(namespace) => namespace.adapter.all_rooms().await,
            None => Ok(HashSet::new()),
        }
    }

    /// The adapter of the main namespace `/`, which carries server-side emits (none when the
    /// server does not serve `/`).
    fn main_adapter(&self) -> Option<&Arc<dyn crate::socket::adapter::Adapter>> {
        Some(&self.shared().namespaces.by_path.get("/")?.adapter)
    }

    /// A connected socket of a namespace, by id.
    pub fn socket(&self, namespace: &str, id: crate::Sid) -> Option<Socket> {
        self.shared().namespaces.by_path.get(namespace)?.socket(id)
    }

    /// Every connected socket of a namespace, on this server.
    pub fn sockets(&self, namespace: &str) -> Vec<Socket> {
        self.shared()
            .namespaces
            .by_path
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
                &self.shared().namespaces.by_path.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

#[cfg(feature = "admin")]
impl SocketIo {
    /// The Engine.IO connections open now, and how many of them poll.
    pub(crate) fn connection_counts(&self) -> (usize, usize) {
        let engine = &self.engine.engine;
        (engine.session_count(), engine.polling_count())
    }

    /// Every namespace's path with the number of sockets connected to it here.
    pub(crate) fn namespace_counts(&self) -> Vec<(String, usize)> {
        let mut counts: Vec<_> = self
            .shared()
            .namespaces
            .by_path
            .iter()
            .map(|(path, namespace)| (path.clone(), namespace.socket_count()))
            .collect();
        counts.sort();
        counts
    }
}

impl SocketIo {
    /// The response of the files the server serves beside its endpoint (the client script,
    /// the admin UI), when the request asks for one.
    fn static_file<B>(&self, request: &Request<B>) -> Option<Response<ResponseBody>> {
        let path = request.uri().path();
        let engine_path = &self.engine.engine.config.path;
        #[cfg(feature = "admin")]
        if let Some(ui) = &self.shared().admin_ui
            && let Some(response) = ui.respond(path, engine_path)
        {
            return Some(response);
        }
        let script = self.shared().client_script.as_ref()?;
        script.respond(path.strip_prefix(engine_path.as_str())?)
    }

    /// Whether one of the files served beside the endpoint is at `path`.
    fn owns_static_file(&self, path: &str) -> bool {
        #[cfg(feature = "admin")]
        if self
            .shared()
            .admin_ui
            .as_ref()
            .is_some_and(|ui| ui.owns(path))
        {
            return true;
        }
        self.shared().client_script.is_some()
            && path
                .strip_prefix(&self.engine.engine.config.path)
                .is_some_and(|file| file.starts_with("socket.io.js"))
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
        match self.static_file(&request) {
            Some(response) => Box::pin(std::future::ready(Ok(response))),
            None => self.engine.call(request),
        }
    }
}

impl App for SocketIo {
    fn owns(&self, path: &str) -> bool {
        self.engine.owns(path) || self.owns_static_file(path)
    }

    fn handle(&self, request: Request<hyper::body::Incoming>) -> ResponseFuture {
        match self.static_file(&request) {
            Some(response) => Box::pin(std::future::ready(response)),
            None => App::handle(&self.engine, request),
        }
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
    client_script: Option<ClientScript>,
    #[cfg(feature = "admin")]
    pub(crate) admin_ui: Option<crate::admin::AdminUi>,
    /// Server event listeners, with the handler each was made from.
    server_events: HashMap<String, (String, ServerEventListener)>,
    /// Problems found while registering, reported by `try_build`.
    problems: Vec<String>,
    routes: Routes,
    default_error: Option<ErrorHandler>,
    /// State that annotated namespace classes need: its type, and who needs it.
    required_state: Vec<(TypeId, String)>,
    /// Told of the sockets' lives (the Admin UI's instrumentation).
    pub(crate) observer: Option<Arc<dyn Observer>>,
}

/// Which annotated handlers a server gathers.
enum Routes {
    /// Every `#[on]` handler linked into the program.
    Annotated,
    /// Only these.
    Explicit(Vec<&'static Route>),
}

/// Why a server could not be built: two handlers for one event, or state a namespace class
/// needs and was not given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildError(Vec<String>);

impl BuildError {
    /// One line per problem.
    pub fn problems(&self) -> &[String] {
        &self.0
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the Socket.IO server cannot be built:")?;
        for problem in &self.0 {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for BuildError {}

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

    /// Turns on connection state recovery (off by default): a client 4.6+ that loses its
    /// connection and comes back in time gets its socket back, with its id, rooms, data and
    /// every event it missed. See [`ConnectionStateRecovery`] for what is kept and the
    /// limits. The in-memory adapter keeps it on this server; the classic Redis adapter, for
    /// clients that come back to the same server.
    ///
    /// # Examples
    ///
    /// ```
    /// use ferrio::{ConnectionStateRecovery, SocketIo};
    ///
    /// let io = SocketIo::builder()
    ///     .connection_state_recovery(ConnectionStateRecovery::default())
    ///     .build();
    /// # let _ = io;
    /// ```
    pub fn connection_state_recovery(mut self, recovery: ConnectionStateRecovery) -> Self {
        self.config.recovery = Some(recovery);
        self
    }

    /// How many binary attachments one packet may carry (10).
    pub fn max_attachments(mut self, count: usize) -> Self {
        self.config.max_attachments = count;
        self
    }

    /// Registers a namespace and its handlers (or adds handlers to it). Clients can connect
    /// only to registered namespaces; others are refused with `Invalid namespace`.
    ///
    /// # Panics
    ///
    /// Panics if the namespace does not start with `/`.
    pub fn namespace(
        mut self,
        path: &str,
        configure: impl FnOnce(NamespaceBuilder) -> NamespaceBuilder,
    ) -> Self {
        assert!(
            path.starts_with('/'),
            "namespace `{path}` must start with `/`"
        );
        let existing = self.namespaces.iter().position(|ns| ns.path == path);
        let namespace = match existing {
            Some(index) => self.namespaces.swap_remove(index),
            None => NamespaceBuilder::new(path.to_owned()),
        };
        self.namespaces.push(configure(namespace));
        self
    }

    /// Gathers exactly these annotated handlers instead of every `#[on]` handler in the
    /// program: for tests, or several servers in one process. List them with
    /// [`handlers!`](crate::handlers).
    pub fn handlers(mut self, routes: impl IntoIterator<Item = &'static Route>) -> Self {
        self.routes = Routes::Explicit(routes.into_iter().collect());
        self
    }

    /// Receives handler errors of every namespace that has no error handler of its own.
    pub fn on_error<F>(mut self, handler: F) -> Self
    where
        F: Fn(&Socket, HandlerError) + Send + Sync + 'static,
    {
        self.default_error = Some(Arc::new(handler));
        self
    }

    #[doc(hidden)]
    pub fn __default_error(self, handler: fn(&Socket, HandlerError)) -> Self {
        self.on_error(handler)
    }

    #[doc(hidden)]
    pub fn __require_state<T: 'static>(mut self, who: &str) -> Self {
        self.required_state
            .push((TypeId::of::<T>(), who.to_owned()));
        self
    }

    /// Listens to an event that another server of the cluster sent with
    /// [`SocketIo::server_side_emit`] (or Node's `io.serverSideEmit`, on the main namespace),
    /// as `#[on_server_event("name")]` does. The handler takes the extractors of a
    /// [`ServerEventContext`] (`SocketIo`, `State<T>`, `Payload`, `Event`, the event's
    /// arguments by position); what it returns answers a sender that asked for answers
    /// ([`SocketIo::server_side_emit_with_ack`], Node's `serverSideEmitWithAck`), `()` as `null`.
    ///
    /// # Examples
    ///
    /// ```
    /// use ferrio::SocketIo;
    ///
    /// let io = SocketIo::builder()
    ///     .on_server_event("maintenance", |io: SocketIo, _what: String, minutes: u32| async move {
    ///         let _ = io.of("/").local().emit("maintenance", minutes);
    ///     })
    ///     .on_server_event("count-players", |io: SocketIo| async move { io.sockets("/").len() })
    ///     .build();
    /// ```
    pub fn on_server_event<H, T>(self, event: &str, handler: H) -> Self
    where
        H: Handler<ServerEventContext, T>,
        T: 'static,
    {
        let name = format!("a closure given to `on_server_event(\"{event}\", ..)`");
        self.add_server_event(event, name, boxed(handler))
    }

    #[doc(hidden)]
    pub fn __on_server_event(
        self,
        event: &str,
        name: &str,
        handler: RawHandler<ServerEventContext>,
    ) -> Self {
        self.add_server_event(event, name.to_owned(), Arc::new(handler))
    }

    fn add_server_event(
        mut self,
        event: &str,
        name: String,
        handler: BoxedHandler<ServerEventContext>,
    ) -> Self {
        match self.server_events.get(event) {
            Some((first, _)) => self.problems.push(format!(
                "the server event `{event}` has two handlers: `{first}` and `{name}`"
            )),
            None => {
                let listener = server_event::listener(event, handler);
                self.server_events
                    .insert(event.to_owned(), (name, listener));
            }
        }
        self
    }

    /// Serves the socket.io client bundle at `<path>socket.io.js`, as Node's `serveClient`
    /// does, so that pages need no CDN.
    pub fn serve_client(mut self, script: ClientScript) -> Self {
        self.client_script = Some(script);
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
        A: crate::socket::adapter::Adapter,
    {
        self.adapter = Box::new(factory);
        self
    }

    /// Builds the server. Call it inside a tokio runtime.
    ///
    /// # Panics
    ///
    /// Panics with every problem [`try_build`](Self::try_build) finds, so that a server with
    /// two handlers for one event does not start.
    pub fn build(self) -> SocketIo {
        self.try_build().unwrap_or_else(|error| panic!("{error}"))
    }

    /// Builds the server, or says why it cannot be: two handlers for one event (naming both
    /// functions), or a namespace class whose state was not given.
    ///
    /// # Errors
    ///
    /// See [`BuildError`].
    pub fn try_build(mut self) -> Result<SocketIo, BuildError> {
        let routes: Vec<&'static Route> =
            match std::mem::replace(&mut self.routes, Routes::Annotated) {
                Routes::Annotated => crate::__private::annotated().collect(),
                Routes::Explicit(routes) => routes,
            };
        let mut schemas = Vec::new();
        for route in routes {
            if let Some(info) = route.schema {
                schemas.push(info());
            }
            self = (route.register)(self);
        }
        let Self {
            engine: engine_config,
            config,
            namespaces,
            state,
            adapter,
            client_script,
            #[cfg(feature = "admin")]
            admin_ui,
            server_events,
            problems: mut registering,
            routes: _,
            default_error,
            required_state,
            observer,
        } = self;
        let mut problems: Vec<String> = unhandled_events(&schemas, &namespaces);
        problems.append(&mut registering);
        problems.extend(namespaces.iter().flat_map(|ns| ns.conflicts.clone()));
        for (type_id, who) in required_state {
            if !state.contains(type_id) {
                problems.push(who);
            }
        }
        if !problems.is_empty() {
            return Err(BuildError(problems));
        }
        let mut built = None;
        let engine = Arc::new_cyclic(|engine| {
            let shared = Arc::new_cyclic(|shared: &Weak<Shared>| {
                let server: Weak<dyn Any + Send + Sync> = shared.clone();
                let by_path = namespaces
                    .into_iter()
                    .map(|ns| {
                        let path = ns.path.clone();
                        let built = ns.build(
                            server.clone(),
                            adapter.as_ref(),
                            default_error.clone(),
                            config.ack_timeout,
                            config.recovery,
                            observer.clone(),
                        );
                        (path, built)
                    })
                    .collect();
                Shared {
                    namespaces: Arc::new(Namespaces {
                        by_path,
                        connect_timeout: config.connect_timeout,
                        max_attachments: config.max_attachments,
                    }),
                    state,
                    client_script,
                    #[cfg(feature = "admin")]
                    admin_ui,
                    server_events: server_events
                        .into_iter()
                        .map(|(event, (_, listener))| (event, listener))
                        .collect(),
                    engine: engine.clone(),
                }
            });
            let dispatcher = Dispatcher(shared.namespaces.clone());
            built = Some(shared);
            Engine::new(engine_config, dispatcher)
        });
        let shared = built.expect("Arc::new_cyclic runs its closure before returning");
        Ok(SocketIo {
            engine: EngineIo { engine },
            shared,
        })
    }
}

/// The server a namespace belongs to.
fn shared_of(namespace: &Namespace) -> Option<Arc<Shared>> {
    namespace.server.upgrade()?.downcast::<Shared>().ok()
}

impl<C: SocketContext> FromContext<C> for SocketIo {
    fn from_context(context: &C, _: usize) -> Result<Self, BoxError> {
        context
            .socket()
            .io()
            .ok_or_else(|| "the server is shutting down".into())
    }
}

/// What a socket reaches of its server: the server handle and the shared state. (The socket
/// layer below does not know the server.)
impl<N> Socket<N> {
    /// Shared application state of type `T`, if the builder was given one.
    pub fn state<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        shared_of(self.namespace_ref())?.state.get::<T>()
    }

    /// The server handle, or `None` once the server is gone.
    pub fn io(&self) -> Option<SocketIo> {
        SocketIo::of_namespace(self.namespace_ref())
    }
}

/// The client events of the mounted schemas that no handler handles.
fn unhandled_events(
    schemas: &[crate::__private::SchemaInfo],
    namespaces: &[NamespaceBuilder],
) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    schemas
        .iter()
        .filter(|schema| seen.insert(schema.0))
        .flat_map(|(path, events)| {
            let namespace = namespaces.iter().find(|ns| ns.path == *path);
            events
                .iter()
                .filter(move |event| !namespace.is_some_and(|ns| ns.handles(event)))
                .map(move |event| {
                    format!("the schema of `{path}` declares the client event `{event}`, which no handler handles")
                })
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::SocketIo;

    #[tokio::test]
    async fn two_listeners_of_one_server_event_refuse_to_build() {
        let built = SocketIo::builder()
            .handlers([])
            .on_server_event("count", || async { 1 })
            .on_server_event("count", || async { 2 })
            .try_build();
        let problems = built
            .expect_err("two listeners of `count`")
            .problems()
            .to_vec();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("the server event `count` has two handlers"),
            "{problems:?}"
        );
    }
}
