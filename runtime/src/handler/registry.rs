//! The handler registry: what the server builder records for each namespace, and the table a
//! namespace runs its handlers from. Each kind of handler becomes a context here and runs in
//! the order its event arrived; this is the one place that knows handlers and their contexts.

use std::any::Any;
use std::cell::Cell;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Weak};
use std::time::Duration;

use rustc_hash::FxHashMap;
use serde_json::Value;

use crate::error::ConnectError;
use crate::handler::error::HandlerError;
use crate::handler::extract::{ConnectContext, DisconnectContext, EventContext};
use crate::handler::{BoxFuture, BoxedHandler, Handler, RawHandler, boxed};
use crate::payload::Payload;
use crate::socket::adapter::AdapterFactory;
use crate::socket::in_order::start_in_order;
use crate::socket::namespace::{Dispatch, Namespace};
use crate::socket::observer::Observer;
use crate::socket::recovery::ConnectionStateRecovery;
use crate::socket::{DisconnectReason, Socket};
use crate::socketio::lent;

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

    /// The namespace at run time, for the server `server`.
    pub(crate) fn build(
        self,
        server: Weak<dyn Any + Send + Sync>,
        adapter: &dyn AdapterFactory,
        default_error: Option<ErrorHandler>,
        ack_timeout: Duration,
        recovery: Option<ConnectionStateRecovery>,
        observer: Option<Arc<dyn Observer>>,
    ) -> Arc<Namespace> {
        let path: Arc<str> = self.path.into();
        let handlers = Handlers {
            connect: self.connect.map(|h| h.value),
            disconnect: self.disconnect.map(|h| h.value),
            events: self
                .events
                .into_iter()
                .map(|(event, h)| (event, h.value))
                .collect(),
            any: self.any.map(|h| h.value),
            error: self.error.map(|h| h.value).or(default_error),
        };
        Namespace::new(
            path,
            Box::new(handlers),
            adapter,
            ack_timeout,
            recovery,
            server,
            observer,
        )
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

/// A namespace's handlers at run time. The table never changes after the server is built, so
/// dispatching an event takes no lock.
struct Handlers {
    connect: Option<BoxedHandler<ConnectContext>>,
    disconnect: Option<BoxedHandler<DisconnectContext>>,
    /// Looked up by the name in each event; only the server's handlers are ever inserted,
    /// so a name a client chooses cannot flood it, and the fast hasher is safe.
    events: FxHashMap<String, BoxedHandler<EventContext>>,
    any: Option<BoxedHandler<EventContext>>,
    error: Option<ErrorHandler>,
}

impl Handlers {
    /// Starts a handler in order, reporting its error to the error handler.
    fn run(&self, socket: &Socket, running: BoxFuture<Result<(), HandlerError>>) {
        // Only an error handler is carried along; the namespace's name is the socket's.
        let error = self.error.clone();
        let socket = socket.clone();
        start_in_order(async move {
            if let Err(failure) = running.await {
                match &error {
                    Some(handler) => handler(&socket, failure),
                    None => {
                        tracing::warn!(namespace = %socket.namespace(), sid = %socket.id(), error = %failure, "handler error")
                    }
                }
            }
        });
    }
}

impl Dispatch for Handlers {
    fn connect(&self, socket: &Socket, auth: Value) -> Option<BoxFuture<Result<(), ConnectError>>> {
        let handler = self.connect.as_ref()?;
        let context = ConnectContext {
            socket: socket.clone(),
            auth,
        };
        Some(handler.call(context))
    }

    fn event(&self, socket: &Socket, event: String, payload: Payload, ack_id: Option<u64>) {
        let Some(handler) = self.events.get(&event).or(self.any.as_ref()) else {
            tracing::debug!(namespace = %socket.namespace(), %event, "no handler for event");
            return;
        };
        let lent = (!payload.attachments().is_empty()).then(|| payload.0.clone());
        let context = EventContext {
            socket: socket.clone(),
            event,
            payload,
            ack_id,
            ack_taken: Cell::new(false),
        };
        let running = handler.call(context);
        match lent {
            // What the handler sends back of its attachments is shared, not copied.
            Some(args) => self.run(socket, Box::pin(lent::Lending::new(args, running))),
            None => self.run(socket, running),
        }
    }

    fn disconnect(&self, socket: &Socket, reason: DisconnectReason) {
        let Some(handler) = &self.disconnect else {
            return;
        };
        let context = DisconnectContext {
            socket: socket.clone(),
            reason,
        };
        self.run(socket, handler.call(context));
    }
}
