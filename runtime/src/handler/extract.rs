//! Handler parameters: what a handler runs for (its context), the [`FromContext`] trait that
//! takes a parameter from it, and the extractors ferrio provides.
//!
//! One trait serves `#[on]` functions and closures given to the builder alike, and users
//! implement it for extractors of their own. A parameter is a payload argument when its type
//! implements `serde::Deserialize`, and an extractor when it implements [`FromContext`]
//! itself: the compiler decides, never the type's name.

use std::cell::Cell;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{BoxError, ConnectError};
use crate::handler::error::HandlerError;
use crate::payload::Payload;
use crate::socket::ack::AckSender;
use crate::socket::data::SocketData;
use crate::socket::session_state::SessionState;
use crate::socket::{DisconnectReason, Socket};

/// What every kind of handler runs for: an [`EventContext`], a [`ConnectContext`], a
/// [`DisconnectContext`] or a [`ServerEventContext`](crate::ServerEventContext).
///
/// # Examples
///
/// An extractor for every kind of handler, the server events included:
///
/// ```
/// use ferrio::{BoxError, FromContext, HandlerContext};
///
/// struct Now(std::time::SystemTime);
///
/// impl<C: HandlerContext> FromContext<C> for Now {
///     fn from_context(_: &C, _: usize) -> Result<Self, BoxError> {
///         Ok(Now(std::time::SystemTime::now()))
///     }
/// }
/// ```
pub trait HandlerContext: Send + 'static {
    /// What a handler of this kind fails with.
    type Error: Send + 'static;

    /// The error for a parameter that could not be extracted.
    fn extraction_error(&self, error: BoxError) -> Self::Error;
}

/// The context of a handler that runs for a socket: every kind but server events. See
/// [`FromContext`] for an extractor built on it.
pub trait SocketContext: HandlerContext {
    /// The socket the handler runs for.
    fn socket(&self) -> &Socket;
}

/// Implements [`SocketContext`] for a context with a `socket` field.
macro_rules! socket_context {
    ($context:ty) => {
        impl SocketContext for $context {
            fn socket(&self) -> &Socket {
                &self.socket
            }
        }
    };
}

socket_context!(EventContext);
socket_context!(ConnectContext);
socket_context!(DisconnectContext);

/// An event from a client: its name, arguments, and whether it asked for an acknowledgement.
#[derive(Debug)]
pub struct EventContext {
    pub(crate) socket: Socket,
    pub(crate) event: String,
    pub(crate) payload: Payload,
    pub(crate) ack_id: Option<u64>,
    /// Whether a parameter took the acknowledgement: then nothing else may send it, not
    /// even the error handler of a handler that fails after sending it.
    pub(crate) ack_taken: Cell<bool>,
}

impl EventContext {
    /// The event's name.
    pub fn event(&self) -> &str {
        &self.event
    }

    /// The event's arguments.
    pub fn payload(&self) -> &Payload {
        &self.payload
    }

    /// Where the event's acknowledgement goes: nowhere when the client asked for none, or
    /// when a parameter (an [`AckSender`]) took it.
    pub fn ack_sender(&self) -> AckSender {
        let id = self.ack_id.filter(|_| !self.ack_taken.get());
        AckSender::new(self.socket.clone(), id)
    }
}

impl HandlerContext for EventContext {
    type Error = HandlerError;

    fn extraction_error(&self, error: BoxError) -> HandlerError {
        // The handler did not run: an `AckSender` it would have taken was dropped unused.
        let ack = AckSender::new(self.socket.clone(), self.ack_id);
        HandlerError::extraction(&self.event, error).with_ack(ack)
    }
}

/// A client connecting to a namespace, with its auth payload.
#[derive(Debug)]
pub struct ConnectContext {
    pub(crate) socket: Socket,
    pub(crate) auth: Value,
}

impl ConnectContext {
    /// The auth payload the client connected with (`{}` when none).
    pub fn auth(&self) -> &Value {
        &self.auth
    }
}

impl HandlerContext for ConnectContext {
    type Error = ConnectError;

    fn extraction_error(&self, error: BoxError) -> ConnectError {
        ConnectError::new(error.to_string())
    }
}

/// A socket that disconnected, and why.
#[derive(Debug)]
pub struct DisconnectContext {
    pub(crate) socket: Socket,
    pub(crate) reason: DisconnectReason,
}

impl DisconnectContext {
    /// Why the socket disconnected.
    pub fn reason(&self) -> DisconnectReason {
        self.reason
    }
}

impl HandlerContext for DisconnectContext {
    type Error = HandlerError;

    fn extraction_error(&self, error: BoxError) -> HandlerError {
        HandlerError::extraction("disconnect", error)
    }
}

/// The context of a handler whose return value answers its sender: an event (the client's
/// acknowledgement) or a server event (the sender's answer). [`Ack`](crate::Ack), the
/// standard types and `Result`s of them are outcomes for any such context.
pub trait AnswerContext: HandlerContext<Error = HandlerError> {
    /// Sends the answer. A client that is gone no longer wants it, and one too slow to take
    /// it is disconnected and logged.
    fn answer<T: Serialize>(&self, value: T);

    /// The error of a handler that returned `Err`, for the error handler.
    fn failed(&self, error: BoxError) -> HandlerError;
}

impl AnswerContext for EventContext {
    fn answer<T: Serialize>(&self, value: T) {
        let _ = self.ack_sender().send(value);
    }

    fn failed(&self, error: BoxError) -> HandlerError {
        HandlerError::handler(&self.event, error).with_ack(self.ack_sender())
    }
}

/// A handler parameter, taken from the context `C` of the handler: an extractor, or a
/// payload argument.
///
/// Any `T: serde::Deserialize` is a payload argument of an event handler (the next of the
/// event's arguments, in order) and the auth payload of a connect handler. Everything else is
/// an extractor: implement this trait for a type of your own, for one kind of handler or,
/// generically over `C`, for all of them ([`SocketContext`] for those that run for a socket).
///
/// # Examples
///
/// An authenticated user, read from the auth payload the client connected with:
///
/// ```
/// use ferrio::prelude::*;
/// use ferrio::{BoxError, FromContext, SocketContext};
///
/// struct User(String);
///
/// impl<C: SocketContext> FromContext<C> for User {
///     fn from_context(context: &C, _arg: usize) -> Result<Self, BoxError> {
///         let name = context.socket().auth()["user"].as_str().ok_or("not logged in")?;
///         Ok(User(name.to_owned()))
///     }
/// }
///
/// #[on("whoami")]
/// fn whoami(User(name): User) -> String {
///     name
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a parameter of this handler (of `{C}`)",
    label = "neither an extractor of this kind of handler nor a payload type (`serde::Deserialize`)",
    note = "event handlers take payload arguments (any `T: DeserializeOwned`, `Option<T>` for optional ones, `serde_json::Value`, `bytes::Bytes`) and the extractors `Socket`, `SocketIo`, `State<T>`, `SessionState<T>`, `SocketData<T>`, `Recovered`, `AckSender`, `Payload`, `Event`, `TryData<T>`",
    note = "connect handlers take the auth payload (any `T: DeserializeOwned`) and `Socket`, `SocketIo`, `State<T>`, `SessionState<T>`, `SocketData<T>`, `Recovered`; they cannot acknowledge",
    note = "disconnect handlers take no payload: `Socket`, `SocketIo`, `State<T>`, `SessionState<T>`, `SocketData<T>`, `Recovered`, `DisconnectReason`",
    note = "server event handlers run for no socket: they take the event's arguments and `SocketIo`, `State<T>`, `Payload`, `Event`",
    note = "for a type of your own, add `#[derive(Deserialize)]`, or implement `ferrio::FromContext` for it"
)]
pub trait FromContext<C: HandlerContext>: Sized {
    /// How many of the event's arguments the parameter takes: one for a payload argument,
    /// none (the default) for an extractor.
    const ARGS: usize = 0;

    /// Whether the parameter sends the client's acknowledgement, which one parameter (or
    /// the return value) at most may do.
    const TAKES_ACK: bool = false;

    /// Takes the parameter from the context. `arg` is the position of the first payload
    /// argument not taken by the parameters before it.
    ///
    /// # Errors
    ///
    /// The context does not hold what the parameter needs; the handler then does not run,
    /// and the error goes to the namespace's error handler (or refuses the connection).
    fn from_context(context: &C, arg: usize) -> Result<Self, BoxError>;
}

impl<T: DeserializeOwned + 'static> FromContext<EventContext> for T {
    const ARGS: usize = 1;

    fn from_context(context: &EventContext, arg: usize) -> Result<Self, BoxError> {
        let payload = &context.payload;
        payload
            .arg(arg)
            .map_err(|error| format!("argument {} (of {}): {error}", arg + 1, payload.len()).into())
    }
}

/// The payload argument at `arg`, or which one did not deserialize and why.
pub(crate) fn argument<T: DeserializeOwned + 'static>(
    payload: &Payload,
    arg: usize,
) -> Result<T, BoxError> {
    payload
        .arg(arg)
        .map_err(|error| format!("argument {} (of {}): {error}", arg + 1, payload.len()).into())
}

impl<T: DeserializeOwned> FromContext<ConnectContext> for T {
    const ARGS: usize = 1;

    fn from_context(context: &ConnectContext, _: usize) -> Result<Self, BoxError> {
        T::deserialize(&context.auth)
            .map_err(|error| format!("invalid auth payload: {error}").into())
    }
}

impl<C: SocketContext, N: 'static> FromContext<C> for Socket<N> {
    fn from_context(context: &C, _: usize) -> Result<Self, BoxError> {
        Ok(context.socket().retyped())
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

impl<C: SocketContext, T: Clone + Send + Sync + 'static> FromContext<C> for State<T> {
    fn from_context(context: &C, _: usize) -> Result<Self, BoxError> {
        State::found(context.socket().state::<T>())
    }
}

impl<T> State<T> {
    /// The state the builder was given, or why there is none.
    pub(crate) fn found(state: Option<T>) -> Result<Self, BoxError> {
        state.map(State).ok_or_else(|| {
            format!(
                "no state of type `{}`: give it to the builder with `.state(..)`",
                std::any::type_name::<T>()
            )
            .into()
        })
    }
}

impl<C: SocketContext, T: Send + Sync + 'static> FromContext<C> for SessionState<T> {
    fn from_context(context: &C, _: usize) -> Result<Self, BoxError> {
        Ok(SessionState::new(context.socket().clone()))
    }
}

impl<C, T> FromContext<C> for SocketData<T>
where
    C: SocketContext,
    T: serde::Serialize + DeserializeOwned + Send + Sync + 'static,
{
    fn from_context(context: &C, _: usize) -> Result<Self, BoxError> {
        Ok(context.socket().data())
    }
}

/// Whether the socket came back through connection state recovery
/// ([`Socket::recovered`](crate::Socket::recovered)), in any handler that has a socket.
///
/// # Examples
///
/// ```
/// use ferrio::prelude::*;
/// use ferrio::Recovered;
///
/// #[on("connect")]
/// fn connect(socket: Socket, Recovered(recovered): Recovered) {
///     if !recovered {
///         socket.join("lobby");
///         let _ = socket.emit("welcome", ());
///     }
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recovered(pub bool);

impl<C: SocketContext> FromContext<C> for Recovered {
    fn from_context(context: &C, _: usize) -> Result<Self, BoxError> {
        Ok(Recovered(context.socket().recovered()))
    }
}

/// The next argument of an event, or why it did not deserialize: the handler runs either
/// way.
///
/// # Examples
///
/// ```
/// use ferrio::prelude::*;
/// use ferrio::TryData;
///
/// #[on("age")]
/// fn age(TryData(age): TryData<u8>) -> String {
///     match age {
///         Ok(age) => format!("{age} years"),
///         Err(error) => format!("not an age: {error}"),
///     }
/// }
/// ```
#[derive(Debug)]
pub struct TryData<T>(pub Result<T, serde_json::Error>);

impl<T: DeserializeOwned + 'static> FromContext<EventContext> for TryData<T> {
    const ARGS: usize = 1;

    fn from_context(context: &EventContext, arg: usize) -> Result<Self, BoxError> {
        Ok(TryData(context.payload.arg(arg)))
    }
}

impl FromContext<EventContext> for Payload {
    fn from_context(context: &EventContext, _: usize) -> Result<Self, BoxError> {
        Ok(context.payload.clone())
    }
}

impl FromContext<EventContext> for AckSender {
    const TAKES_ACK: bool = true;

    fn from_context(context: &EventContext, _: usize) -> Result<Self, BoxError> {
        let ack = context.ack_sender();
        context.ack_taken.set(true);
        Ok(ack)
    }
}

/// The name of the event being handled, for catch-all handlers.
///
/// # Examples
///
/// ```
/// use ferrio::prelude::*;
///
/// #[on("*")]
/// fn any(Event(name): Event, payload: Payload) {
///     println!("{name} with {} arguments", payload.len());
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event(pub String);

impl FromContext<EventContext> for Event {
    fn from_context(context: &EventContext, _: usize) -> Result<Self, BoxError> {
        Ok(Event(context.event.clone()))
    }
}

impl FromContext<DisconnectContext> for DisconnectReason {
    fn from_context(context: &DisconnectContext, _: usize) -> Result<Self, BoxError> {
        Ok(context.reason)
    }
}
