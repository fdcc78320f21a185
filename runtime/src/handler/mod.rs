//! The handler layer: extractors and their contexts ([`extract`]), the registry that runs a
//! namespace's handlers ([`registry`]), what a failed handler reports ([`error`]), and here
//! the `Handler` trait.
//!
//! Handlers: plain functions whose parameters say what they need, and whose return value
//! is the outcome (an acknowledgement, an error, a refusal).
//!
//! A handler is any `Fn` (async or returning a future) whose parameters all implement
//! [`FromContext`] for the kind of handler it is: event, connect or disconnect. Parameters
//! are extracted in order; if one cannot be (an argument of the wrong type, say), the handler
//! does not run and the namespace's error handler receives a [`HandlerError`].

pub(crate) mod error;
pub(crate) mod extract;
pub(crate) mod registry;

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::Serialize;

use crate::error::{BoxError, ConnectError};
use crate::handler::error::HandlerError;
use crate::handler::extract::{
    AnswerContext, ConnectContext, DisconnectContext, FromContext, HandlerContext,
};

pub use crate::socket::in_order::BoxFuture;

/// A value a handler's return sends as the acknowledgement: anything `Serialize`.
///
/// # Examples
///
/// ```
/// fn acknowledges<T: ferrio::IntoAck>(_: &T) {}
/// acknowledges(&("bought", 3));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent as an acknowledgement",
    label = "the return value is the acknowledgement, so it must implement `serde::Serialize`",
    note = "add `#[derive(Serialize)]` to the type, or return `()` to send no acknowledgement"
)]
pub trait IntoAck: Serialize {}

impl<T: Serialize> IntoAck for T {}

/// An error a handler can fail with: anything that converts into a [`BoxError`] (an error
/// type, a `String`, a `&'static str`).
///
/// # Examples
///
/// ```
/// fn fails_with<E: ferrio::IntoHandlerError>(_: E) {}
/// fails_with("out of stock");
/// fails_with(std::io::Error::other("disk full"));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a handler's error",
    label = "the `Err` of a handler goes to the error handler, so it must convert into `Box<dyn Error + Send + Sync>`",
    note = "use a type that implements `std::error::Error + Send + Sync`, a `String`, or a `&'static str`"
)]
pub trait IntoHandlerError: Into<BoxError> {}

impl<E: Into<BoxError>> IntoHandlerError for E {}

/// What a connect handler's `Err` refuses the connection with: a [`ConnectError`] as it is,
/// a string as the client's `err.message`, any other `Serialize` value as its `err.data`.
///
/// # Examples
///
/// ```
/// use ferrio::IntoRefusal;
///
/// assert_eq!("banned".into_refusal().message(), "banned");
/// let refusal = serde_json::json!({ "code": 7 }).into_refusal();
/// assert_eq!((refusal.message(), refusal.data()), ("connection refused", Some(&serde_json::json!({ "code": 7 }))));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot refuse a connection",
    label = "the `Err` of a connect handler is sent to the client, so it must implement `serde::Serialize`",
    note = "return a `String` (the client's `err.message`), a serializable value (its `err.data`), or a `ConnectError`"
)]
pub trait IntoRefusal {
    /// The CONNECT_ERROR the client receives.
    fn into_refusal(self) -> ConnectError;
}

impl IntoRefusal for ConnectError {
    fn into_refusal(self) -> ConnectError {
        self
    }
}

impl<E: Serialize> IntoRefusal for E {
    fn into_refusal(self) -> ConnectError {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::String(message)) => ConnectError::new(message),
            Ok(data) => ConnectError::new("connection refused").with_data(data),
            Err(error) => ConnectError::new(format!("connection refused ({error})")),
        }
    }
}

/// An acknowledgement a handler returns: `Ack(value)` sends `value` (a tuple is several
/// arguments). An `#[on]` function may return the value bare; a closure given to the builder
/// returns a type of your own as `Ack(..)` (ferrio's own and the standard serializable types
/// it may return bare).
///
/// # Examples
///
/// ```
/// use ferrio::Ack;
/// use serde::Serialize;
///
/// #[derive(Serialize)]
/// struct Receipt { item: String }
///
/// let io = ferrio::SocketIo::builder()
///     .namespace("/", |ns| ns.on("buy", |item: String| async move { Ack(Receipt { item }) }))
///     .build();
/// # drop(io);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ack<T>(pub T);

impl<T: Serialize> Serialize for Ack<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// What a handler of context `C` may return: its outcome.
///
/// Event handlers return `()` (no acknowledgement), a value that is the acknowledgement
/// ([`Ack`] of any `Serialize` type, or a standard serializable type bare), or a `Result` of
/// either whose `Err` goes to the error handler; server event handlers likewise, their value
/// answering the sender. Connect handlers return `()` or
/// `Result<(), E>`, whose `Err` refuses the connection ([`IntoRefusal`]); disconnect handlers
/// `()` or `Result<(), E>`.
///
/// # Examples
///
/// ```
/// use ferrio::{Ack, SocketIo};
/// use serde::Serialize;
///
/// #[derive(Serialize)]
/// struct Receipt { item: String }
///
/// let io = SocketIo::builder()
///     .namespace("/", |ns| {
///         ns.on("count", |items: Vec<String>| async move { items.len() })
///             .on("buy", |item: String| async move {
///                 if item.is_empty() { Err("nothing to buy") } else { Ok(Ack(Receipt { item })) }
///             })
///     })
///     .build();
/// # drop(io);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a valid return type for this handler",
    note = "event handlers return `()`, an acknowledgement (`Ack(value)` for a type of your own), or a `Result` of those whose `Err` converts into `BoxError`",
    note = "connect handlers return `()` or `Result<(), E>` (an `Err` refuses the connection); disconnect handlers `()` or `Result<(), E>`"
)]
pub trait HandlerOutput<C: HandlerContext> {
    /// The handler's outcome, from the context it ran for.
    ///
    /// # Errors
    ///
    /// The handler failed, or (for connect) refused.
    fn into_result(self, context: &C) -> Result<(), C::Error>;
}

impl<C: HandlerContext> HandlerOutput<C> for () {
    fn into_result(self, _: &C) -> Result<(), C::Error> {
        Ok(())
    }
}

impl<C: AnswerContext, T: IntoAck> HandlerOutput<C> for Ack<T> {
    fn into_result(self, context: &C) -> Result<(), HandlerError> {
        context.answer(self.0);
        Ok(())
    }
}

/// The standard types a closure may return bare as its acknowledgement.
macro_rules! bare_acks {
    ($($(@[$($generic:ident),+])? $ty:ty),* $(,)?) => {$(
        impl<C: AnswerContext, $($($generic: Serialize),+)?> HandlerOutput<C> for $ty {
            fn into_result(self, context: &C) -> Result<(), HandlerError> {
                Ack(self).into_result(context)
            }
        }
    )*};
}

bare_acks!(
    String, &'static str, bool, char, i8, i16, i32, i64, i128, isize, u8, u16, u32, u64,
    u128, usize, f32, f64, serde_json::Value, bytes::Bytes, @[T] Vec<T>, @[T] Option<T>,
    @[A] (A,), @[A, B] (A, B), @[A, B, D] (A, B, D), @[A, B, D, E] (A, B, D, E),
);

impl<C, T, E> HandlerOutput<C> for Result<T, E>
where
    C: AnswerContext,
    T: HandlerOutput<C>,
    E: IntoHandlerError,
{
    fn into_result(self, context: &C) -> Result<(), HandlerError> {
        match self {
            Ok(value) => value.into_result(context),
            Err(error) => Err(context.failed(error.into())),
        }
    }
}

impl<E: IntoHandlerError> HandlerOutput<DisconnectContext> for Result<(), E> {
    fn into_result(self, _: &DisconnectContext) -> Result<(), HandlerError> {
        self.map_err(|error| HandlerError::handler("disconnect", error.into()))
    }
}

impl<E: IntoRefusal> HandlerOutput<ConnectContext> for Result<(), E> {
    fn into_result(self, _: &ConnectContext) -> Result<(), ConnectError> {
        self.map_err(IntoRefusal::into_refusal)
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
    fn call(&self, context: C) -> BoxFuture<Result<(), C::Error>>;
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
            #[allow(non_snake_case, unused_variables, unused_mut, unused_assignments)]
            fn call(&self, context: C) -> BoxFuture<Result<(), C::Error>> {
                let mut arg = 0;
                $(
                    let $param = match $param::from_context(&context, arg) {
                        Ok(value) => value,
                        Err(error) => {
                            let error = context.extraction_error(error);
                            return Box::pin(std::future::ready(Err(error)));
                        }
                    };
                    arg += <$param as FromContext<C>>::ARGS;
                )*
                let running = (self)($($param),*);
                Box::pin(async move { running.await.into_result(&context) })
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
    fn call(&self, context: C) -> BoxFuture<Result<(), C::Error>>;
}

struct Typed<H, T>(H, PhantomData<fn() -> T>);

impl<C, H, T> ErasedHandler<C> for Typed<H, T>
where
    C: HandlerContext,
    H: Handler<C, T>,
    T: 'static,
{
    fn call(&self, context: C) -> BoxFuture<Result<(), C::Error>> {
        self.0.call(context)
    }
}

/// A handler generated by the `#[on]` macros: a plain function that extracts its own
/// parameters.
#[doc(hidden)]
pub struct RawHandler<C: HandlerContext>(pub fn(C) -> BoxFuture<Result<(), C::Error>>);

impl<C: HandlerContext> ErasedHandler<C> for RawHandler<C> {
    fn call(&self, context: C) -> BoxFuture<Result<(), C::Error>> {
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
