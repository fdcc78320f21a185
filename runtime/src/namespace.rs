//! Namespaces: the handler table each one is built with, and its connected sockets.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};

use rustc_hash::FxHashMap;

use crate::Sid;
use crate::adapter::{Adapter, AdapterFactory, LocalNamespace};
use crate::error::HandlerError;
use crate::extract::{ConnectContext, DisconnectContext, EventContext};
use crate::handler::{BoxedHandler, Handler, RawHandler, boxed};
use crate::server::Shared;
use crate::sid::SidMap;
use crate::socket::Socket;
use crate::sync::{read, write};

pub(crate) type ErrorHandler = Arc<dyn Fn(&Socket, HandlerError) + Send + Sync>;

/// The handlers of one namespace, registered on the server builder.
///
/// # Examples
///
/// ```
/// use ferrio::{Socket, SocketIo};
///
/// async fn chat(socket: Socket, text: String) {
///     let _ = socket.to("lobby").emit("chat", &text);
/// }
///
/// let io = SocketIo::builder()
///     .namespace("/chat", |ns| ns.on("chat", chat))
///     .build();
/// # let _ = io;
/// ```
#[must_use]
pub struct NamespaceBuilder {
    pub(crate) path: String,
    connect: Option<Named<BoxedHandler<ConnectContext>>>,
    disconnect: Option<Named<BoxedHandler<DisconnectContext>>>,
    events: HashMap<String, Named<BoxedHandler<EventContext>>>,
    any: Option<Named<BoxedHandler<EventContext>>>,
    error: Option<Named<ErrorHandler>>,
    /// Two handlers registered for one slot, reported when the server is built.
    pub(crate) conflicts: Vec<String>,
}

/// A registered value and the name of the function it came from.
struct Named<T> {
    value: T,
    name: String,
}

impl NamespaceBuilder {
    pub(crate) fn new(path: String) -> Self {
        Self {
            path,
            connect: None,
            disconnect: None,
            events: HashMap::new(),
            any: None,
            error: None,
            conflicts: Vec::new(),
        }
    }

    /// Fills a slot, or records a conflict naming both handlers.
    fn fill<T>(
        path: &str,
        conflicts: &mut Vec<String>,
        slot: &mut Option<Named<T>>,
        what: &str,
        name: String,
        value: T,
    ) {
        match slot {
            Some(existing) => conflicts.push(format!(
                "namespace `{path}` has two handlers for {what}: `{}` and `{name}`",
                existing.name
            )),
            None => *slot = Some(Named { value, name }),
        }
    }

    /// Whether an event has a handler of its own.
    pub(crate) fn handles(&self, event: &str) -> bool {
        self.events.contains_key(event)
    }

    fn add_event(&mut self, event: &str, name: String, handler: BoxedHandler<EventContext>) {
        let slot = self
            .events
            .entry(event.to_owned())
            .or_insert_with(|| Named {
                value: handler.clone(),
                name: String::new(),
            });
        if slot.name.is_empty() {
            *slot = Named {
                value: handler,
                name,
            };
        } else {
            self.conflicts.push(format!(
                "namespace `{}` has two handlers for event `{event}`: `{}` and `{name}`",
                self.path, slot.name
            ));
        }
    }

    /// Handles an event. `"message"` receives what clients send with `send()`.
    ///
    /// Two handlers for one event is a mistake: the server refuses to build, naming both.
    pub fn on<H, T>(mut self, event: &str, handler: H) -> Self
    where
        H: Handler<EventContext, T>,
        T: 'static,
    {
        self.add_event(event, std::any::type_name::<H>().to_owned(), boxed(handler));
        self
    }

    /// Handles every event that has no handler of its own; take [`Event`](crate::Event) for
    /// its name and [`Payload`](crate::Payload) for its arguments.
    pub fn on_any<H, T>(mut self, handler: H) -> Self
    where
        H: Handler<EventContext, T>,
        T: 'static,
    {
        let name = std::any::type_name::<H>().to_owned();
        Self::fill(
            &self.path,
            &mut self.conflicts,
            &mut self.any,
            "any event",
            name,
            boxed(handler),
        );
        self
    }

    /// Runs when a client connects, before the connection is confirmed: return
    /// `Err(ConnectError)` to refuse it. Emits made here reach the client right after the
    /// confirmation.
    pub fn on_connect<H, T>(mut self, handler: H) -> Self
    where
        H: Handler<ConnectContext, T>,
        T: 'static,
    {
        let name = std::any::type_name::<H>().to_owned();
        Self::fill(
            &self.path,
            &mut self.conflicts,
            &mut self.connect,
            "connect",
            name,
            boxed(handler),
        );
        self
    }

    /// Runs when a socket disconnects, with the [`DisconnectReason`](crate::DisconnectReason).
    /// The socket has already left its rooms.
    pub fn on_disconnect<H, T>(mut self, handler: H) -> Self
    where
        H: Handler<DisconnectContext, T>,
        T: 'static,
    {
        let name = std::any::type_name::<H>().to_owned();
        Self::fill(
            &self.path,
            &mut self.conflicts,
            &mut self.disconnect,
            "disconnect",
            name,
            boxed(handler),
        );
        self
    }

    /// Receives the errors of this namespace's handlers, and events whose arguments did not
    /// match their handler. Without one, the server's default error handler gets them, or
    /// they are logged.
    pub fn on_error<F>(mut self, handler: F) -> Self
    where
        F: Fn(&Socket, HandlerError) + Send + Sync + 'static,
    {
        let name = std::any::type_name::<F>().to_owned();
        Self::fill(
            &self.path,
            &mut self.conflicts,
            &mut self.error,
            "errors",
            name,
            Arc::new(handler),
        );
        self
    }

    #[doc(hidden)]
    pub fn __on(mut self, event: &str, name: &str, handler: RawHandler<EventContext>) -> Self {
        self.add_event(event, name.to_owned(), Arc::new(handler));
        self
    }

    #[doc(hidden)]
    pub fn __on_any(mut self, name: &str, handler: RawHandler<EventContext>) -> Self {
        Self::fill(
            &self.path,
            &mut self.conflicts,
            &mut self.any,
            "any event",
            name.to_owned(),
            Arc::new(handler),
        );
        self
    }

    #[doc(hidden)]
    pub fn __on_connect(mut self, name: &str, handler: RawHandler<ConnectContext>) -> Self {
        Self::fill(
            &self.path,
            &mut self.conflicts,
            &mut self.connect,
            "connect",
            name.to_owned(),
            Arc::new(handler),
        );
        self
    }

    #[doc(hidden)]
    pub fn __on_disconnect(mut self, name: &str, handler: RawHandler<DisconnectContext>) -> Self {
        Self::fill(
            &self.path,
            &mut self.conflicts,
            &mut self.disconnect,
            "disconnect",
            name.to_owned(),
            Arc::new(handler),
        );
        self
    }

    #[doc(hidden)]
    pub fn __on_error(mut self, name: &str, handler: fn(&Socket, HandlerError)) -> Self {
        Self::fill(
            &self.path,
            &mut self.conflicts,
            &mut self.error,
            "errors",
            name.to_owned(),
            Arc::new(handler),
        );
        self
    }

    pub(crate) fn build(
        self,
        shared: Weak<Shared>,
        adapter: &dyn AdapterFactory,
        default_error: Option<ErrorHandler>,
    ) -> Arc<Namespace> {
        let path: Arc<str> = self.path.into();
        Arc::new_cyclic(|weak| Namespace {
            adapter: adapter.create(LocalNamespace::new(weak.clone(), path.clone())),
            path,
            connect: self.connect.map(|h| h.value),
            disconnect: self.disconnect.map(|h| h.value),
            events: self
                .events
                .into_iter()
                .map(|(event, h)| (event, h.value))
                .collect(),
            any: self.any.map(|h| h.value),
            error: self.error.map(|h| h.value).or(default_error),
            sockets: RwLock::new(SidMap::default()),
            ack_ids: AtomicU64::new(0),
            shared,
        })
    }
}

impl fmt::Debug for NamespaceBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NamespaceBuilder")
            .field("path", &self.path)
            .field("events", &self.events.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// A namespace at run time. Its handler table never changes after the server is built, so
/// dispatching an event takes no lock.
pub(crate) struct Namespace {
    pub(crate) path: Arc<str>,
    pub(crate) adapter: Arc<dyn Adapter>,
    pub(crate) connect: Option<BoxedHandler<ConnectContext>>,
    pub(crate) disconnect: Option<BoxedHandler<DisconnectContext>>,
    /// Looked up by the name in each event; only the server's handlers are ever inserted,
    /// so a name a client chooses cannot flood it, and the fast hasher is safe.
    events: FxHashMap<String, BoxedHandler<EventContext>>,
    any: Option<BoxedHandler<EventContext>>,
    error: Option<ErrorHandler>,
    sockets: RwLock<SidMap<Socket>>,
    ack_ids: AtomicU64,
    pub(crate) shared: Weak<Shared>,
}

impl Namespace {
    pub(crate) fn event_handler(&self, event: &str) -> Option<&BoxedHandler<EventContext>> {
        self.events.get(event).or(self.any.as_ref())
    }

    pub(crate) fn report(&self, socket: &Socket, error: HandlerError) {
        match &self.error {
            Some(handler) => handler(socket, error),
            None => {
                tracing::warn!(namespace = %self.path, sid = %socket.id(), %error, "handler error")
            }
        }
    }

    /// The server's default acknowledgement timeout.
    pub(crate) fn ack_timeout(&self) -> std::time::Duration {
        self.shared
            .upgrade()
            .map_or(std::time::Duration::from_secs(10), |shared| {
                shared.config.ack_timeout
            })
    }

    /// Starts a handler in order, reporting its error to the error handler.
    pub(crate) fn run(
        &self,
        socket: &Socket,
        running: crate::handler::BoxFuture<Result<(), HandlerError>>,
    ) {
        let socket = socket.clone();
        crate::handler::start_in_order(async move {
            if let Err(error) = running.await {
                socket.namespace_ref().report(&socket, error);
            }
        });
    }

    pub(crate) fn next_ack_id(&self) -> u64 {
        self.ack_ids.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn socket(&self, sid: Sid) -> Option<Socket> {
        read(&self.sockets).get(&sid).cloned()
    }

    /// Calls `f` with each of the sockets of `sids` still connected, under one read of the
    /// socket table: a broadcast's way to reach its sockets. `f` must not connect or remove
    /// sockets (sending may close a session; that ends its socket later, on its own task).
    pub(crate) fn with_sockets(&self, sids: &[Sid], mut f: impl FnMut(&Socket)) {
        let sockets = read(&self.sockets);
        for socket in sids.iter().filter_map(|sid| sockets.get(sid)) {
            f(socket);
        }
    }

    pub(crate) fn sockets(&self) -> Vec<Socket> {
        read(&self.sockets).values().cloned().collect()
    }

    pub(crate) fn insert(&self, socket: Socket) {
        write(&self.sockets).insert(socket.id(), socket);
    }

    pub(crate) fn remove(&self, sid: Sid) {
        write(&self.sockets).remove(&sid);
    }
}

impl fmt::Debug for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Namespace")
            .field("path", &self.path)
            .field("sockets", &read(&self.sockets).len())
            .finish_non_exhaustive()
    }
}
