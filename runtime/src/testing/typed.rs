//! The test client typed by a schema: it emits the schema's client events and reads its
//! server events as values, each checked against its declaration at compile time.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use serde::Serialize;

use crate::schema::{
    AckAwaited, ClientEmitOn, ClientPayload, EmitOn, FromArgs, NoAck, ServerEvent,
};
use crate::testing::{AckReply, TestClient, TestError};

impl<N: crate::schema::Namespace> TestClient<N> {
    /// Emits an event of the schema: `client.emit(game::ClickGold).await?`. An event the
    /// schema does not declare from clients, or one whose handler returns an acknowledgement,
    /// does not compile.
    ///
    /// # Errors
    ///
    /// The connection is gone.
    pub fn emit<E>(&self, event: E) -> TestFuture<'_, ()>
    where
        E: ClientEmitOn<N> + Serialize,
        E::Ack: NoAckAwaited<E>,
    {
        let sent = self.emit_event(E::NAME, event);
        TestFuture::new(async move { sent })
    }

    /// Emits an event whose acknowledgement the schema declares, and returns it, typed.
    /// Events that arrive meanwhile stay queued, in order.
    ///
    /// # Errors
    ///
    /// No acknowledgement came in time, it does not match the schema, or the connection
    /// ended first.
    pub fn emit_with_ack<E>(&mut self, event: E) -> TestFuture<'_, <E::Ack as AckAwaited<E>>::Reply>
    where
        E: ClientEmitOn<N> + Serialize + Send + 'static,
        E::Ack: AckAwaited<E>,
    {
        TestFuture::new(self.ack_of(E::NAME, event))
    }

    /// The next event, which must be the schema's server event `E`, as its value:
    /// `let game::GoldClicked(text) = client.expect().await?`.
    ///
    /// # Errors
    ///
    /// Another event came first (named in the error), its arguments do not match the schema,
    /// none came in time, or the server disconnected the socket.
    pub fn expect<E>(&mut self) -> TestFuture<'_, E>
    where
        E: EmitOn<N> + FromArgs + Send + 'static,
        E::Ack: NoAckOwed<E>,
    {
        TestFuture::new(async move {
            let (payload, _) = self.expect_raw(E::NAME).await?;
            read::<E>(&payload)
        })
    }

    /// As [`expect`](Self::expect), for an event the server emits with `emit_with_ack`: its
    /// value, and the acknowledgement to send back, typed by the schema.
    ///
    /// # Errors
    ///
    /// As [`expect`](Self::expect); also when the server asked for no acknowledgement.
    pub fn expect_with_ack<E>(&mut self) -> TestFuture<'_, (E, AckReply<Owed<E, N>>)>
    where
        E: EmitOn<N> + FromArgs + Send + 'static,
        E::Ack: AckOwed<E>,
    {
        TestFuture::new(async move {
            let (payload, answer) = self.expect_raw(E::NAME).await?;
            let Some(answer) = answer else {
                return Err(TestError::unexpected(
                    &format!("`{}` with an acknowledgement to send", E::NAME),
                    format!("`{}` without one", E::NAME),
                ));
            };
            Ok((read::<E>(&payload)?, AckReply::new(E::NAME, answer)))
        })
    }
}

/// The acknowledgement a client owes for the server event `E` of namespace `N`.
type Owed<E, N> = <<E as EmitOn<N>>::Ack as AckOwed<E>>::Answer;

/// A step of a typed [`TestClient`]: a named future, so that a misuse of the schema is
/// reported once, at the call, and not again at the `.await`.
#[must_use = "futures do nothing unless awaited"]
pub struct TestFuture<'a, T>(Pin<Box<dyn Future<Output = Result<T, TestError>> + Send + 'a>>);

impl<'a, T> TestFuture<'a, T> {
    fn new(step: impl Future<Output = Result<T, TestError>> + Send + 'a) -> Self {
        Self(Box::pin(step))
    }
}

impl<T> Future for TestFuture<'_, T> {
    type Output = Result<T, TestError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.as_mut().poll(cx)
    }
}

impl<T> fmt::Debug for TestFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TestFuture")
    }
}

fn read<E: ServerEvent + FromArgs>(payload: &crate::Payload) -> Result<E, TestError> {
    E::from_args(payload).map_err(|error| {
        let awaited = format!(
            "the arguments of `{}` as a `{}`",
            E::NAME,
            std::any::type_name::<E>()
        );
        TestError::decode(awaited, error)
    })
}

/// Holds for [`NoAck`] only: the typed [`TestClient::emit`] takes the client events whose
/// handlers return no acknowledgement.
#[diagnostic::on_unimplemented(
    message = "`{E}` returns an acknowledgement of type `{Self}` to the client",
    label = "use `emit_with_ack(..).await` for this event",
    note = "its declaration in `ClientToServer` has a return type: the acknowledgement its handler returns"
)]
pub trait NoAckAwaited<E> {}

impl<E> NoAckAwaited<E> for NoAck {}

/// Holds for [`NoAck`] only: the typed [`TestClient::expect`] takes the server events that
/// ask for no acknowledgement.
#[diagnostic::on_unimplemented(
    message = "the server awaits an acknowledgement of type `{Self}` for `{E}`",
    label = "use `expect_with_ack::<..>()` and send the acknowledgement",
    note = "its declaration in `ServerToClient` has a return type: the acknowledgement the server awaits"
)]
pub trait NoAckOwed<E> {}

impl<E> NoAckOwed<E> for NoAck {}

/// Holds for a declared acknowledgement: the typed [`TestClient::expect_with_ack`] takes the
/// server events that ask for one.
#[diagnostic::on_unimplemented(
    message = "`{E}` asks the client for no acknowledgement",
    label = "use `expect::<..>()` for this event",
    note = "give its declaration in `ServerToClient` a return type for the server to await one"
)]
pub trait AckOwed<E> {
    /// The acknowledgement's type.
    type Answer;
}

#[diagnostic::do_not_recommend]
impl<E, T: ClientPayload> AckOwed<E> for T {
    type Answer = T;
}
