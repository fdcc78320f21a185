//! What the `#[on]` macros expand to. Not a public API: its paths may change in any release.

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use crate::handler::{BoxFuture, RawHandler};
pub use inventory;
pub use serde;

use crate::ack::AckSender;
use crate::error::{BoxError, HandlerError};
use crate::handler::{ConnectContext, ConnectError, DisconnectContext, Event, EventContext, State};
use crate::payload::Payload;
use crate::server::{SocketIo, SocketIoBuilder};
use crate::session_state::SessionState;
use crate::socket::{DisconnectReason, Socket};
use crate::socket_data::SocketData;

/// One registration made by an annotated handler: where it goes, and how to add it.
#[derive(Debug)]
pub struct Route {
    /// The namespace (`""` for the default error handler).
    pub namespace: &'static str,
    /// The event, or the special name (`connect`, `disconnect`, `*`, `error`).
    pub event: &'static str,
    /// The handler function's path, for messages.
    pub handler: &'static str,
    /// Adds the handler to a builder.
    pub register: fn(SocketIoBuilder) -> SocketIoBuilder,
    /// The schema of a typed handler's namespace: its path and client events.
    pub schema: Option<fn() -> SchemaInfo>,
}

/// A schema's path and client events.
pub type SchemaInfo = (&'static str, &'static [&'static str]);

/// The routes of one annotated item, as gathered by `inventory`.
#[derive(Debug)]
pub struct Registered(pub &'static [Route]);

inventory::collect!(Registered);

/// Every annotated handler linked into the program.
pub(crate) fn annotated() -> impl Iterator<Item = &'static Route> {
    inventory::iter::<Registered>
        .into_iter()
        .flat_map(|registered| registered.0.iter())
}

/// The future of an event or disconnect handler.
pub type HandlerFuture = BoxFuture<Result<(), HandlerError>>;

/// The future of a connect handler.
pub type ConnectFuture = BoxFuture<Result<(), ConnectError>>;

/// A parameter of an event handler: an extractor, or a payload argument.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a parameter of an event handler",
    label = "neither a ferrio extractor nor a type that implements `serde::Deserialize`",
    note = "event handlers take payload arguments (any `T: DeserializeOwned`, `Option<T>` for optional ones, `serde_json::Value`, `bytes::Bytes`) and extractors: `Socket`, `SocketIo`, `AckSender`, `State<T>`, `SessionState<T>`, `Payload`, `Event`",
    note = "for a type of your own, add `#[derive(Deserialize)]`"
)]
pub trait EventParam: Sized {
    /// How many payload arguments the parameter takes (0 or 1).
    const ARGS: usize;

    /// Extracts the parameter; `index` is its position among the payload arguments.
    ///
    /// # Errors
    ///
    /// The argument does not match the parameter's type.
    fn extract(context: &EventContext, index: usize) -> Result<Self, BoxError>;
}

impl<T: DeserializeOwned + 'static> EventParam for T {
    const ARGS: usize = 1;

    fn extract(context: &EventContext, index: usize) -> Result<Self, BoxError> {
        context.payload.arg(index).map_err(|error| {
            format!(
                "argument {} (of {}): {error}",
                index + 1,
                context.payload.len()
            )
            .into()
        })
    }
}

/// A parameter of a connect handler: an extractor, or the auth payload.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a parameter of a connect handler",
    label = "neither a connect extractor nor an auth payload type",
    note = "connect handlers take the auth payload (any `T: DeserializeOwned`) and extractors: `Socket`, `SocketIo`, `State<T>`, `SessionState<T>`; they cannot acknowledge"
)]
pub trait ConnectParam: Sized {
    /// How many auth payloads the parameter takes (0 or 1).
    const AUTH: usize;

    /// Extracts the parameter.
    ///
    /// # Errors
    ///
    /// The auth payload does not match the parameter's type.
    fn extract(context: &ConnectContext) -> Result<Self, BoxError>;
}

impl<T: DeserializeOwned> ConnectParam for T {
    const AUTH: usize = 1;

    fn extract(context: &ConnectContext) -> Result<Self, BoxError> {
        Ok(T::deserialize(&context.auth)?)
    }
}

/// A parameter of a disconnect handler.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a parameter of a disconnect handler",
    label = "not a disconnect extractor",
    note = "disconnect handlers take `Socket`, `SocketIo`, `State<T>`, `SessionState<T>` and `DisconnectReason`"
)]
pub trait DisconnectParam: Sized {
    /// Extracts the parameter.
    ///
    /// # Errors
    ///
    /// What the parameter needs is not there (state never given, server gone).
    fn extract(context: &DisconnectContext) -> Result<Self, BoxError>;
}

/// Implements the three parameter traits for an extractor that every kind of handler can
/// take, from the handler's socket.
macro_rules! everywhere {
    ($(@[$param:ident: $($bound:tt)+])? $ty:ty, $extract:expr) => {
        impl$(<$param: $($bound)+>)? EventParam for $ty {
            const ARGS: usize = 0;
            fn extract(context: &EventContext, _: usize) -> Result<Self, BoxError> {
                $extract(&context.socket)
            }
        }
        impl$(<$param: $($bound)+>)? ConnectParam for $ty {
            const AUTH: usize = 0;
            fn extract(context: &ConnectContext) -> Result<Self, BoxError> {
                $extract(&context.socket)
            }
        }
        impl$(<$param: $($bound)+>)? DisconnectParam for $ty {
            fn extract(context: &DisconnectContext) -> Result<Self, BoxError> {
                $extract(&context.socket)
            }
        }
    };
}

fn socket_of<N>(socket: &Socket) -> Result<Socket<N>, BoxError> {
    Ok(socket.retyped())
}

fn io_of(socket: &Socket) -> Result<SocketIo, BoxError> {
    socket
        .io()
        .ok_or_else(|| "the server is shutting down".into())
}

fn state_of<T: Clone + Send + Sync + 'static>(socket: &Socket) -> Result<State<T>, BoxError> {
    socket.state::<T>().map(State).ok_or_else(|| {
        format!(
            "no state of type `{}`: give it to the builder with `.state(..)`",
            std::any::type_name::<T>()
        )
        .into()
    })
}

fn session_of<T: Send + Sync + 'static>(socket: &Socket) -> Result<SessionState<T>, BoxError> {
    Ok(SessionState::new(socket.clone()))
}

fn data_of<T>(socket: &Socket) -> Result<SocketData<T>, BoxError>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
{
    Ok(socket.data())
}

everywhere!(@[N: 'static] Socket<N>, socket_of);
everywhere!(SocketIo, io_of);
everywhere!(@[T: Clone + Send + Sync + 'static] State<T>, state_of);
everywhere!(@[T: Send + Sync + 'static] SessionState<T>, session_of);
everywhere!(@[T: Serialize + DeserializeOwned + Send + Sync + 'static] SocketData<T>, data_of);

impl EventParam for AckSender {
    const ARGS: usize = 0;
    fn extract(context: &EventContext, _: usize) -> Result<Self, BoxError> {
        Ok(AckSender::new(context.socket.clone(), context.ack_id))
    }
}

impl EventParam for Payload {
    const ARGS: usize = 0;
    fn extract(context: &EventContext, _: usize) -> Result<Self, BoxError> {
        Ok(context.payload.clone())
    }
}

impl EventParam for Event {
    const ARGS: usize = 0;
    fn extract(context: &EventContext, _: usize) -> Result<Self, BoxError> {
        Ok(Event(context.event.clone()))
    }
}

impl DisconnectParam for DisconnectReason {
    fn extract(context: &DisconnectContext) -> Result<Self, BoxError> {
        Ok(context.reason)
    }
}

/// The handler did not run: a parameter could not be extracted.
pub fn extraction_failed(context: &EventContext, error: BoxError) -> HandlerFuture {
    let error = HandlerError::extraction(&context.event, error).with_ack(ack_sender(context));
    Box::pin(std::future::ready(Err(error)))
}

/// The auth payload did not match: the connection is refused.
pub fn auth_failed(error: BoxError) -> ConnectFuture {
    let refusal = ConnectError::new(format!("invalid auth payload: {error}"));
    Box::pin(std::future::ready(Err(refusal)))
}

/// Where a handler's return value goes when the client asked for an acknowledgement.
pub fn ack_sender(context: &EventContext) -> AckSender {
    AckSender::new(context.socket.clone(), context.ack_id)
}

/// A value a handler can return as its acknowledgement.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent as an acknowledgement",
    label = "the return value is the acknowledgement, so it must implement `serde::Serialize`",
    note = "add `#[derive(Serialize)]` to the type, or return `()` to send no acknowledgement"
)]
pub trait IntoAck: Serialize {}

impl<T: Serialize> IntoAck for T {}

/// An error a handler can return.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a handler's error",
    label = "the `Err` of a handler goes to the error handler, so it must convert into `Box<dyn Error + Send + Sync>`",
    note = "use a type that implements `std::error::Error + Send + Sync`, a `String`, or a `&'static str`"
)]
pub trait IntoHandlerError: Into<BoxError> {}

impl<E: Into<BoxError>> IntoHandlerError for E {}

/// What a connect handler's `Err` can be.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot refuse a connection",
    label = "the `Err` of a connect handler is sent to the client, so it must implement `serde::Serialize`",
    note = "return a `String` (the client's `err.message`), a serializable value (its `err.data`), or a `ConnectError`"
)]
pub trait IntoRefusal: Serialize {}

impl<E: Serialize> IntoRefusal for E {}

/// Sends a handler's return value as the acknowledgement. A socket that is gone no longer
/// wants one, and a slow client has already been disconnected and logged.
pub fn acknowledge<T: IntoAck>(ack: AckSender, value: T) -> Result<(), HandlerError> {
    let _ = ack.send(value);
    Ok(())
}

/// A handler's `Err`, for the error handler.
pub fn handler_failed<E: IntoHandlerError>(event: &str, error: E) -> HandlerError {
    HandlerError::handler(event, error.into())
}

/// An event handler's `Err`, for the error handler, with the acknowledgement it did not send.
pub fn event_failed<E: IntoHandlerError>(event: &str, error: E, ack: AckSender) -> HandlerError {
    HandlerError::handler(event, error.into()).with_ack(ack)
}

/// Sends an error handler's return value as the acknowledgement of the failed event, if the
/// client asked for one.
pub fn acknowledge_error<T: IntoAck>(ack: Option<AckSender>, value: T) {
    if let Some(ack) = ack {
        let _ = ack.send(value);
    }
}

/// A disconnect handler whose parameters could not be extracted.
pub fn disconnect_failed(error: BoxError) -> HandlerFuture {
    Box::pin(std::future::ready(Err(HandlerError::extraction(
        "disconnect",
        error,
    ))))
}

/// Runs an asynchronous error handler on a task of its own.
pub fn spawn(future: impl std::future::Future<Output = ()> + Send + 'static) {
    tokio::spawn(future);
}

/// A connect handler's `Err` as the CONNECT_ERROR the client receives: a string is the
/// message; anything else is the data, under the message `connection refused`.
pub fn refusal<E: IntoRefusal>(error: E) -> ConnectError {
    match serde_json::to_value(error) {
        Ok(serde_json::Value::String(message)) => ConnectError::new(message),
        Ok(data) => ConnectError::new("connection refused").with_data(data),
        Err(error) => ConnectError::new(format!("connection refused ({error})")),
    }
}

/// A refusal that already is a [`ConnectError`] passes through unchanged.
pub fn connect_error(error: ConnectError) -> ConnectError {
    error
}

/// The name of the event being handled, for the error handler.
pub fn event_name(context: &EventContext) -> String {
    context.event.clone()
}

/// Implemented by the items `#[on]` and `#[namespace]` generate: their routes, for
/// [`handlers!`](crate::handlers).
pub trait Routes {
    /// The routes.
    const ROUTES: &'static [Route];
}

/// The compile-time checks `#[schema]` and `#[on(Event)]` generate. Each is a `const fn`
/// whose bounds say what must hold, called at the user's token.
pub mod schema {
    pub use crate::schema::{
        AckExpected, ClientEvent, ClientPayload, EmitOn, Namespace, NoAckExpected, ServerEvent,
        ServerPayload,
    };

    /// A handler's payload parameter at position `I` has type `T`.
    #[diagnostic::on_unimplemented(
        message = "this parameter has type `{T}`, but the event `{Self}` declares another type at this position",
        label = "expected the type declared in the schema"
    )]
    pub trait ArgIs<const I: usize, T> {}

    /// A handler takes `N` payload parameters.
    #[diagnostic::on_unimplemented(
        message = "the handler of `{Self}` takes {N} payload parameter(s), but the event declares another number",
        label = "the parameters do not match the event's declaration"
    )]
    pub trait Arity<const N: usize> {}

    /// A handler of the event may return `R`.
    #[diagnostic::on_unimplemented(
        message = "a handler of `{Self}` cannot return `{R}`",
        label = "the return value is the acknowledgement the schema declares",
        note = "return the ack type of the event's declaration (or `Result<Ack, E>`); `()` when it declares none"
    )]
    pub trait AcceptsReturn<R> {}

    /// Implemented once per handled event by `#[on(Event)]`: a second handler of the same
    /// event in the crate is a conflicting implementation, reported with both handlers.
    pub trait HandledOnce {}

    /// A handler of the event may take socket type `S`.
    #[diagnostic::on_unimplemented(
        message = "a handler of `{Self}` cannot take `{S}`",
        label = "the socket must be typed with the event's namespace"
    )]
    pub trait AcceptsSocket<S> {}

    use std::marker::PhantomData;

    /// Checks that `E` is a client event.
    pub const fn client_event<E: ClientEvent>(_: PhantomData<E>) {}
    /// Checks a payload parameter's type.
    pub const fn arg<E: ArgIs<I, T>, const I: usize, T>(_: PhantomData<E>) {}
    /// Checks the number of payload parameters.
    pub const fn arity<E: Arity<N>, const N: usize>(_: PhantomData<E>) {}
    /// Checks the return type.
    pub const fn returns<E: AcceptsReturn<R>, R>(_: PhantomData<E>) {}
    /// Checks a socket parameter's type.
    pub const fn socket<E: AcceptsSocket<S>, S>(_: PhantomData<E>) {}
    /// A client payload type of a schema as TypeScript: also the check of its bounds.
    pub fn client_ts<T: ClientPayload>() -> crate::schema::typescript::TsType {
        T::typescript()
    }
    /// A server payload type of a schema as TypeScript: also the check of its bounds.
    pub fn server_ts<T: ServerPayload>() -> crate::schema::typescript::TsType {
        T::typescript()
    }
    /// Serializes a server payload through [`ServerPayload`], so that a type that is not
    /// `Serialize` is reported once, by its check.
    #[allow(missing_debug_implementations)]
    pub struct AsPayload<'a, T: ?Sized>(pub &'a T);
    impl<T: ServerPayload + ?Sized> serde::Serialize for AsPayload<'_, T> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            self.0.serialize_payload(serializer)
        }
    }
    /// Checks a client payload type of a schema.
    pub const fn client_payload<T: ClientPayload + ?Sized>() {}
    /// Checks a server payload type of a schema.
    pub const fn server_payload<T: ServerPayload + ?Sized>() {}

    /// What a typed handler's routes need of its event, whatever its direction (so that a
    /// server event in `#[on(..)]` is reported once, by [`client_event`]).
    pub trait Event {
        /// The namespace.
        type Namespace: Namespace;
        /// The name on the wire.
        const NAME: &'static str;
    }

    /// The route table's view of a schema: its path and its client events.
    pub fn info<N: Namespace>() -> super::SchemaInfo {
        (N::PATH, N::CLIENT_EVENTS)
    }
}
