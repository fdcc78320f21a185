//! What the server sent a test client: an event, and the answer it may owe.

use std::fmt;
use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::payload::Payload;
use crate::socketio::packet;
use crate::testing::TestError;

/// An event the server sent to a [`TestClient`](crate::testing::TestClient).
///
/// # Examples
///
/// ```
/// # async fn f(mut client: ferrio::testing::TestClient) -> Result<(), ferrio::testing::TestError> {
/// let event = client.next_event().await?;
/// assert_eq!(event.name(), "question");
/// let asked: String = event.arg(0)?;
/// event.ack(format!("answer to {asked}"))?;
/// # Ok(()) }
/// ```
pub struct ReceivedEvent {
    pub(super) name: String,
    pub(super) payload: Payload,
    pub(super) ack: Option<Answer>,
}

/// Where the answer to a server's `emit_with_ack` goes.
pub(super) struct Answer {
    pub(super) id: u64,
    pub(super) namespace: String,
    pub(super) outgoing: mpsc::UnboundedSender<WsMessage>,
}

impl Answer {
    /// Sends `reply` (a tuple is several arguments) as the acknowledgement of `event`.
    fn send(&self, event: &str, reply: impl Serialize) -> Result<(), TestError> {
        let awaited = format!("to acknowledge `{event}`");
        let encoded =
            packet::encode_ack(&self.namespace, self.id, &reply).map_err(TestError::encode)?;
        let gone = || TestError::transport(&awaited, "the connection ended".into());
        self.outgoing
            .send(WsMessage::Text(encoded.text))
            .map_err(|_| gone())?;
        for attachment in encoded.attachments {
            self.outgoing
                .send(WsMessage::Binary(attachment))
                .map_err(|_| gone())?;
        }
        Ok(())
    }
}

impl ReceivedEvent {
    /// The event's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its arguments, binary included.
    pub fn payload(&self) -> &Payload {
        &self.payload
    }

    /// Argument `index`, as a `T`.
    ///
    /// # Errors
    ///
    /// There is no such argument, or it does not deserialize as a `T`.
    pub fn arg<T: DeserializeOwned + 'static>(&self, index: usize) -> Result<T, TestError> {
        self.payload.arg(index).map_err(|error| {
            let awaited = format!(
                "argument {index} of `{}` as a `{}`",
                self.name,
                std::any::type_name::<T>()
            );
            TestError::decode(awaited, error)
        })
    }

    /// Whether the server awaits an acknowledgement ([`Socket::emit_with_ack`](crate::Socket)).
    pub fn wants_ack(&self) -> bool {
        self.ack.is_some()
    }

    /// Answers the server's `emit_with_ack` (a tuple is several arguments).
    ///
    /// # Errors
    ///
    /// The server asked for no acknowledgement, the reply does not serialize, or the
    /// connection is gone.
    pub fn ack(self, reply: impl Serialize) -> Result<(), TestError> {
        match &self.ack {
            Some(answer) => answer.send(&self.name, reply),
            None => Err(TestError::unexpected(
                &format!("to acknowledge `{}`", self.name),
                "an event that asks for no acknowledgement".into(),
            )),
        }
    }
}

impl fmt::Debug for ReceivedEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceivedEvent")
            .field("name", &self.name)
            .field("args", &self.payload.values())
            .field("wants_ack", &self.wants_ack())
            .finish()
    }
}

/// The acknowledgement a typed test client owes the server for an event its schema declares
/// with one, from [`TestClient::expect_with_ack`](crate::testing::TestClient::expect_with_ack).
///
/// # Examples
///
/// ```
/// # use ferrio::prelude::*;
/// #[schema(Quiz, namespace = "/quiz")]
/// pub mod quiz {
///     pub trait ClientToServer {}
///     pub trait ServerToClient {
///         fn question(text: String) -> String;
///     }
/// }
///
/// # async fn f(mut client: ferrio::testing::TestClient<quiz::Quiz>) -> Result<(), ferrio::testing::TestError> {
/// let (quiz::Question(text), reply) = client.expect_with_ack::<quiz::Question>().await?;
/// reply.send(format!("answer to {text}"))?;
/// # Ok(()) }
/// # fn main() {}
/// ```
#[must_use = "the server awaits this acknowledgement until its timeout"]
pub struct AckReply<T> {
    event: &'static str,
    answer: Answer,
    reply: PhantomData<fn(T)>,
}

impl<T> AckReply<T> {
    pub(super) fn new(event: &'static str, answer: Answer) -> Self {
        Self {
            event,
            answer,
            reply: PhantomData,
        }
    }

    /// Sends the acknowledgement.
    ///
    /// # Errors
    ///
    /// It does not serialize, or the connection is gone.
    pub fn send(self, reply: T) -> Result<(), TestError>
    where
        T: Serialize,
    {
        self.answer.send(self.event, reply)
    }
}

impl<T> fmt::Debug for AckReply<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AckReply")
            .field("event", &self.event)
            .field("id", &self.answer.id)
            .finish()
    }
}
