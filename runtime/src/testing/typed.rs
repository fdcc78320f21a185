//! The test client typed by a schema: it emits the schema's client events and reads its
//! server events as values, each checked against its declaration at compile time.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::schema::{
    ClientEmitOn, ClientPayload, EmitOn, FromArgs, NoAck, ServerEvent, ServerPayload,
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
    pub async fn emit<E>(&self, event: E) -> Result<(), TestError>
    where
        E: ClientEmitOn<N> + Serialize,
        E::Ack: NoAckAwaited<E>,
    {
        self.emit_event(E::NAME, event)
    }

    /// Emits an event whose acknowledgement the schema declares, and returns it, typed.
    /// Events that arrive meanwhile stay queued, in order.
    ///
    /// # Errors
    ///
    /// No acknowledgement came in time, it does not match the schema, or the connection
    /// ended first.
    pub async fn emit_with_ack<E>(
        &mut self,
        event: E,
    ) -> Result<<E::Ack as AckAwaited<E>>::Reply, TestError>
    where
        E: ClientEmitOn<N> + Serialize,
        E::Ack: AckAwaited<E>,
        <E::Ack as AckAwaited<E>>::Reply: DeserializeOwned + 'static,
    {
        self.ack_of(E::NAME, event).await
    }

    /// The next event, which must be the schema's server event `E`, as its value:
    /// `let game::GoldClicked(text) = client.expect().await?`.
    ///
    /// # Errors
    ///
    /// Another event came first (named in the error), its arguments do not match the schema,
    /// none came in time, or the server disconnected the socket.
    pub async fn expect<E>(&mut self) -> Result<E, TestError>
    where
        E: EmitOn<N> + FromArgs,
        E::Ack: NoAckOwed<E>,
    {
        let (payload, _) = self.expect_raw(E::NAME).await?;
        read::<E>(&payload)
    }

    /// As [`expect`](Self::expect), for an event the server emits with `emit_with_ack`: its
    /// value, and the acknowledgement to send back, typed by the schema.
    ///
    /// # Errors
    ///
    /// As [`expect`](Self::expect); also when the server asked for no acknowledgement.
    pub async fn expect_with_ack<E>(
        &mut self,
    ) -> Result<(E, AckReply<<E::Ack as AckOwed<E>>::Answer>), TestError>
    where
        E: EmitOn<N> + FromArgs,
        E::Ack: AckOwed<E>,
    {
        let (payload, answer) = self.expect_raw(E::NAME).await?;
        let Some(answer) = answer else {
            return Err(TestError::unexpected(
                &format!("`{}` with an acknowledgement to send", E::NAME),
                format!("`{}` without one", E::NAME),
            ));
        };
        Ok((read::<E>(&payload)?, AckReply::new(E::NAME, answer)))
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

/// Holds for a declared acknowledgement: the typed [`TestClient::emit_with_ack`] takes the
/// client events whose handlers return one.
#[diagnostic::on_unimplemented(
    message = "`{E}` declares no acknowledgement",
    label = "use `emit(..)` for this event",
    note = "give its declaration in `ClientToServer` a return type for its handler to acknowledge it"
)]
pub trait AckAwaited<E> {
    /// The acknowledgement's type.
    type Reply;
}

#[diagnostic::do_not_recommend]
impl<E, T: ServerPayload> AckAwaited<E> for T {
    type Reply = T;
}

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
