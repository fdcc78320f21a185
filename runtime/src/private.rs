//! What the `#[on]` macros expand to. Not a public API: its paths may change in any release.

pub use crate::handler::{BoxFuture, RawHandler};
pub use inventory;
pub use serde;

use crate::error::{BoxError, ConnectError};
use crate::handler::error::HandlerError;
use crate::handler::extract::HandlerContext;
use crate::handler::{IntoAck, IntoHandlerError, IntoRefusal};
use crate::server::SocketIoBuilder;
use crate::socket::ack::AckSender;

/// One registration made by an annotated handler: where it goes, and how to add it.
#[derive(Debug)]
pub struct Route {
    /// The namespace (`""` for the default error handler and server events).
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

/// The handler did not run: a parameter could not be extracted.
pub fn extraction_failed<C: HandlerContext>(
    context: &C,
    error: BoxError,
) -> BoxFuture<Result<(), C::Error>> {
    Box::pin(std::future::ready(Err(context.extraction_error(error))))
}

/// A connect handler takes one auth payload at most: `BEFORE` payload parameters come before
/// one that takes `ARGS`.
#[diagnostic::on_unimplemented(
    message = "a connect handler takes at most one auth payload; combine the fields into one struct",
    label = "a second auth payload"
)]
pub trait OneAuth<const BEFORE: usize, const ARGS: usize> {}
impl<const BEFORE: usize> OneAuth<BEFORE, 0> for () {}
impl OneAuth<0, 1> for () {}

/// Checks a connect handler's parameter against [`OneAuth`].
pub const fn one_auth<const BEFORE: usize, const ARGS: usize>()
where
    (): OneAuth<BEFORE, ARGS>,
{
}

/// One parameter at most sends the acknowledgement: `BEFORE` come before one that does
/// (`TAKES`) or not.
#[diagnostic::on_unimplemented(
    message = "`AckSender` can appear only once: a client's acknowledgement is sent at most once",
    label = "a second parameter that sends the acknowledgement"
)]
pub trait OneAckSender<const BEFORE: usize, const TAKES: bool> {}
impl<const BEFORE: usize> OneAckSender<BEFORE, false> for () {}
impl OneAckSender<0, true> for () {}

/// Checks an event handler's parameter against [`OneAckSender`].
pub const fn one_ack_sender<const BEFORE: usize, const TAKES: bool>()
where
    (): OneAckSender<BEFORE, TAKES>,
{
}

/// A handler that returns its acknowledgement takes no parameter that sends one.
#[diagnostic::on_unimplemented(
    message = "acknowledge either by returning a value or with `AckSender`, not both: return `()` when the handler takes an `AckSender`",
    label = "this return value is the acknowledgement"
)]
pub trait ReturnsTheAck<const SENDERS: usize> {}
impl ReturnsTheAck<0> for () {}

/// Checks a returned acknowledgement against [`ReturnsTheAck`].
pub const fn returns_the_ack<const SENDERS: usize>()
where
    (): ReturnsTheAck<SENDERS>,
{
}

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

/// Runs an asynchronous error handler on a task of its own.
pub fn spawn(future: impl std::future::Future<Output = ()> + Send + 'static) {
    tokio::spawn(future);
}

/// A connect handler's `Err` as the CONNECT_ERROR the client receives.
pub fn refusal<E: IntoRefusal>(error: E) -> ConnectError {
    error.into_refusal()
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
    /// Why an event's arguments did not read as its declared types.
    pub type ArgsError = serde_json::Error;

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

    /// A handler's parameter at payload position `I` that takes `ARGS` payload arguments has
    /// type `T`: checked against the event's declaration when it is a payload argument.
    #[diagnostic::on_unimplemented(
        message = "this parameter has type `{T}`, but the event `{Self}` declares another type at this position",
        label = "expected the type declared in the schema"
    )]
    pub trait ParamIs<const I: usize, const ARGS: usize, T> {}
    impl<E, const I: usize, T> ParamIs<I, 0, T> for E {}
    impl<E: ArgIs<I, T>, const I: usize, T> ParamIs<I, 1, T> for E {}

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
    /// Checks a parameter's type, if it is a payload argument.
    pub const fn param<E: ParamIs<I, ARGS, T>, const I: usize, const ARGS: usize, T>(
        _: PhantomData<E>,
    ) {
    }
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
