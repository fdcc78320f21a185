//! Handlers and their extractors: plain functions whose parameters say what they need.
//!
//! A handler is any `Fn` (async or returning a future) whose parameters all implement
//! [`FromContext`] for the kind of handler it is: event, connect or disconnect. Parameters
//! are extracted in order; if one cannot be (an argument of the wrong type, say), the handler
//! does not run and the namespace's error handler receives a [`HandlerError`].

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::ack::AckSender;
use crate::error::{BoxError, HandlerError};
use crate::payload::Payload;
use crate::server::SocketIo;
use crate::session_state::SessionState;
use crate::socket::{DisconnectReason, Socket};
use crate::socket_data::SocketData;

/// A boxed, sendable future.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// What every kind of handler context offers.
pub trait HandlerContext: Send + 'static {
    /// What a handler of this kind fails with.
    type Error: Send + 'static;

    /// The socket the handler runs for.
    fn socket(&self) -> &Socket;

    /// The error for a parameter that could not be extracted.
    fn extraction_error(&self, error: BoxError) -> Self::Error;
}

/// An event from a client: its name, arguments, and whether it asked for an acknowledgement.
#[derive(Debug)]
pub struct EventContext {
    pub(crate) socket: Socket,
    pub(crate) event: String,
    pub(crate) payload: Payload,
    pub(crate) ack_id: Option<u64>,
}

impl HandlerContext for EventContext {
    type Error = HandlerError;

    fn socket(&self) -> &Socket {
        &self.socket
    }

    fn extraction_error(&self, error: BoxError) -> HandlerError {
        HandlerError::extraction(&self.event, error)
            .with_ack(AckSender::new(self.socket.clone(), self.ack_id))
    }
}

/// A client connecting to a namespace, with its auth payload.
#[derive(Debug)]
pub struct ConnectContext {
    pub(crate) socket: Socket,
    pub(crate) auth: Value,
}

impl HandlerContext for ConnectContext {
    type Error = ConnectError;

    fn socket(&self) -> &Socket {
        &self.socket
    }

    fn extraction_error(&self, error: BoxError) -> ConnectError {
        ConnectError::new(format!("invalid auth payload: {error}"))
    }
}

/// A socket that disconnected, and why.
#[derive(Debug)]
pub struct DisconnectContext {
    pub(crate) socket: Socket,
    pub(crate) reason: DisconnectReason,
}

impl HandlerContext for DisconnectContext {
    type Error = HandlerError;

    fn socket(&self) -> &Socket {
        &self.socket
    }

    fn extraction_error(&self, error: BoxError) -> HandlerError {
        HandlerError::extraction("disconnect", error)
    }
}

/// A refused connection: the client receives a CONNECT_ERROR packet whose `message` (and
/// optional `data`) its `connect_error` listener sees.
///
/// # Examples
///
/// ```
/// use ferrio::ConnectError;
///
/// let refusal = ConnectError::new("bad token").with_data(serde_json::json!({ "code": 42 }));
/// assert_eq!(refusal.message(), "bad token");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectError {
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<Value>,
}

impl ConnectError {
    /// A refusal with this message (the client's `err.message`).
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            data: None,
        }
    }

    /// Adds data (the client's `err.data`). Data that does not serialize is left out.
    pub fn with_data<T: Serialize>(mut self, data: T) -> Self {
        self.data = serde_json::to_value(data).ok();
        self
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The data, if any.
    pub fn data(&self) -> Option<&Value> {
        self.data.as_ref()
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "connection refused: {}", self.message)
    }
}

impl std::error::Error for ConnectError {}

impl From<&str> for ConnectError {
    fn from(message: &str) -> Self {
        Self::new(message)
    }
}

impl From<String> for ConnectError {
    fn from(message: String) -> Self {
        Self::new(message)
    }
}

/// A value a handler parameter can be extracted as, from a handler context `C`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a parameter of this handler",
    note = "event handlers take: Socket, SocketIo, State<T>, Data<T>, TryData<T>, Payload, Event, AckSender",
    note = "connect handlers take: Socket, SocketIo, State<T>, Auth<T>; disconnect handlers: Socket, SocketIo, State<T>, DisconnectReason",
    note = "to take a typed argument, wrap it: `Data<{Self}>`"
)]
pub trait FromContext<C: HandlerContext>: Sized {
    /// Extracts the value.
    ///
    /// # Errors
    ///
    /// The context does not hold what this parameter needs.
    fn from_context(context: &C) -> Result<Self, BoxError>;
}

impl<C: HandlerContext> FromContext<C> for Socket {
    fn from_context(context: &C) -> Result<Self, BoxError> {
        Ok(context.socket().clone())
    }
}

impl<C: HandlerContext> FromContext<C> for SocketIo {
    fn from_context(context: &C) -> Result<Self, BoxError> {
        context
            .socket()
            .io()
            .ok_or_else(|| "the server is shutting down".into())
    }
}

impl<C: HandlerContext, T: Send + Sync + 'static> FromContext<C> for SessionState<T> {
    fn from_context(context: &C) -> Result<Self, BoxError> {
        Ok(SessionState::new(context.socket().clone()))
    }
}

impl<C, T> FromContext<C> for SocketData<T>
where
    C: HandlerContext,
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
{
    fn from_context(context: &C) -> Result<Self, BoxError> {
        Ok(context.socket().data())
    }
}

/// Shared application state, given to the builder with
/// [`SocketIoBuilder::state`](crate::SocketIoBuilder::state). Share mutable state through an
/// `Arc` of a lock or atomics.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use ferrio::State;
///
/// #[derive(Clone, Default)]
/// struct Visits(Arc<AtomicU64>);
///
/// async fn visit(State(visits): State<Visits>) {
///     visits.0.fetch_add(1, Ordering::Relaxed);
/// }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct State<T>(pub T);

impl<C: HandlerContext, T: Clone + Send + Sync + 'static> FromContext<C> for State<T> {
    fn from_context(context: &C) -> Result<Self, BoxError> {
        context.socket().state::<T>().map(State).ok_or_else(|| {
            format!(
                "no state of type `{}`: give it to the builder with `.state(..)`",
                std::any::type_name::<T>()
            )
            .into()
        })
    }
}

/// The first argument of an event, deserialized. The handler does not run when it does not
/// match: the error handler gets the reason.
///
/// # Examples
///
/// ```
/// use ferrio::{Data, Socket};
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Join { room: String }
///
/// async fn join(socket: Socket, Data(join): Data<Join>) {
///     socket.join(join.room);
/// }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Data<T>(pub T);

impl<T: DeserializeOwned + 'static> FromContext<EventContext> for Data<T> {
    fn from_context(context: &EventContext) -> Result<Self, BoxError> {
        Ok(Data(context.payload.arg(0)?))
    }
}

/// The first argument of an event, or why it did not deserialize: the handler runs either way.
#[derive(Debug)]
pub struct TryData<T>(pub Result<T, serde_json::Error>);

impl<T: DeserializeOwned + 'static> FromContext<EventContext> for TryData<T> {
    fn from_context(context: &EventContext) -> Result<Self, BoxError> {
        Ok(TryData(context.payload.arg(0)))
    }
}

impl FromContext<EventContext> for Payload {
    fn from_context(context: &EventContext) -> Result<Self, BoxError> {
        Ok(context.payload.clone())
    }
}

impl FromContext<EventContext> for AckSender {
    fn from_context(context: &EventContext) -> Result<Self, BoxError> {
        Ok(AckSender::new(context.socket.clone(), context.ack_id))
    }
}

/// The name of the event being handled, for catch-all handlers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event(pub String);

impl FromContext<EventContext> for Event {
    fn from_context(context: &EventContext) -> Result<Self, BoxError> {
        Ok(Event(context.event.clone()))
    }
}

/// The auth payload a client sent with its connection (`io({ auth: {...} })`), deserialized;
/// `{}` when it sent none. A payload that does not match refuses the connection.
///
/// # Examples
///
/// ```
/// use ferrio::{Auth, ConnectError};
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Credentials { token: String }
///
/// async fn connect(Auth(credentials): Auth<Credentials>) -> Result<(), ConnectError> {
///     if credentials.token == "secret" { Ok(()) } else { Err("bad token".into()) }
/// }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Auth<T>(pub T);

impl<T: DeserializeOwned> FromContext<ConnectContext> for Auth<T> {
    fn from_context(context: &ConnectContext) -> Result<Self, BoxError> {
        Ok(Auth(T::deserialize(&context.auth)?))
    }
}

impl FromContext<DisconnectContext> for DisconnectReason {
    fn from_context(context: &DisconnectContext) -> Result<Self, BoxError> {
        Ok(context.reason)
    }
}

/// What a handler of context `C` may return.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a valid return type for this handler",
    note = "event and disconnect handlers return `()` or `Result<(), E>` where E: Into<BoxError>; connect handlers return `()` or `Result<(), ConnectError>`; send acknowledgements with `AckSender`"
)]
pub trait HandlerOutput<C: HandlerContext> {
    /// The handler's outcome.
    ///
    /// # Errors
    ///
    /// The handler failed, or (for connect) refused.
    fn into_result(self, context: &HandlerName) -> Result<(), C::Error>;
}

/// The name a handler's errors carry.
#[derive(Debug, Clone)]
pub struct HandlerName(pub(crate) String);

impl<C: HandlerContext> HandlerOutput<C> for () {
    fn into_result(self, _: &HandlerName) -> Result<(), C::Error> {
        Ok(())
    }
}

impl<E: Into<BoxError>> HandlerOutput<EventContext> for Result<(), E> {
    fn into_result(self, name: &HandlerName) -> Result<(), HandlerError> {
        self.map_err(|error| HandlerError::handler(&name.0, error.into()))
    }
}

impl<E: Into<BoxError>> HandlerOutput<DisconnectContext> for Result<(), E> {
    fn into_result(self, name: &HandlerName) -> Result<(), HandlerError> {
        self.map_err(|error| HandlerError::handler(&name.0, error.into()))
    }
}

impl<E: Into<ConnectError>> HandlerOutput<ConnectContext> for Result<(), E> {
    fn into_result(self, _: &HandlerName) -> Result<(), ConnectError> {
        self.map_err(Into::into)
    }
}

/// A function that handles context `C`, with parameters `T`. Implemented for every `Fn` of up
/// to eight parameters that each implement [`FromContext<C>`], returning a future whose output
/// implements [`HandlerOutput<C>`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a handler for this kind of context",
    note = "a handler is an `async fn` (or a closure returning a future that is `Send`) whose parameters all implement `FromContext` for this kind of handler"
)]
pub trait Handler<C: HandlerContext, T>: Send + Sync + 'static {
    /// Extracts the parameters and starts the handler.
    fn call(&self, context: C, name: HandlerName) -> BoxFuture<Result<(), C::Error>>;
}

macro_rules! impl_handler {
    ($($param:ident),*) => {
        impl<C, F, Fut, R, $($param,)*> Handler<C, ($($param,)*)> for F
        where
            C: HandlerContext,
            F: Fn($($param),*) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = R> + Send + 'static,
            R: HandlerOutput<C>,
            $($param: FromContext<C>,)*
        {
            #[allow(non_snake_case, unused_variables)]
            fn call(&self, context: C, name: HandlerName) -> BoxFuture<Result<(), C::Error>> {
                $(
                    let $param = match $param::from_context(&context) {
                        Ok(value) => value,
                        Err(error) => {
                            let error = context.extraction_error(error);
                            return Box::pin(std::future::ready(Err(error)));
                        }
                    };
                )*
                let running = (self)($($param),*);
                Box::pin(async move { running.await.into_result(&name) })
            }
        }
    };
}

impl_handler!();
impl_handler!(T1);
impl_handler!(T1, T2);
impl_handler!(T1, T2, T3);
impl_handler!(T1, T2, T3, T4);
impl_handler!(T1, T2, T3, T4, T5);
impl_handler!(T1, T2, T3, T4, T5, T6);
impl_handler!(T1, T2, T3, T4, T5, T6, T7);
impl_handler!(T1, T2, T3, T4, T5, T6, T7, T8);

/// A handler with its parameter types erased, as the namespace table stores it.
pub(crate) type BoxedHandler<C> = Arc<dyn ErasedHandler<C>>;

pub(crate) trait ErasedHandler<C: HandlerContext>: Send + Sync {
    fn call(&self, context: C, name: HandlerName) -> BoxFuture<Result<(), C::Error>>;
}

struct Typed<H, T>(H, PhantomData<fn() -> T>);

impl<C, H, T> ErasedHandler<C> for Typed<H, T>
where
    C: HandlerContext,
    H: Handler<C, T>,
    T: 'static,
{
    fn call(&self, context: C, name: HandlerName) -> BoxFuture<Result<(), C::Error>> {
        self.0.call(context, name)
    }
}

/// A handler generated by the `#[on]` macros: a plain function that extracts its own
/// parameters.
#[doc(hidden)]
pub struct RawHandler<C: HandlerContext>(pub fn(C) -> BoxFuture<Result<(), C::Error>>);

impl<C: HandlerContext> ErasedHandler<C> for RawHandler<C> {
    fn call(&self, context: C, _: HandlerName) -> BoxFuture<Result<(), C::Error>> {
        (self.0)(context)
    }
}

impl<C: HandlerContext> fmt::Debug for RawHandler<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RawHandler")
    }
}

pub(crate) fn boxed<C, H, T>(handler: H) -> BoxedHandler<C>
where
    C: HandlerContext,
    H: Handler<C, T>,
    T: 'static,
{
    Arc::new(Typed(handler, PhantomData))
}

/// Runs a handler's future so that handlers start in the order their events arrived: it is
/// polled once right here, on the task that read the event, and only if it has to wait is it
/// moved to a task of its own, where it may run beside later handlers. A panic in a handler
/// is caught and logged; the connection carries on.
pub(crate) fn start_in_order(future: impl Future<Output = ()> + Send + 'static) {
    let mut future = Box::pin(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        future.as_mut().poll(&mut cx)
    }));
    match polled {
        Ok(std::task::Poll::Ready(())) => {}
        // The task polls the future again at once, registering its own waker.
        Ok(std::task::Poll::Pending) => {
            tokio::spawn(future);
        }
        Err(_) => tracing::error!("a handler panicked"),
    }
}
