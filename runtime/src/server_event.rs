//! Events that the other servers of a cluster send (`io.server_side_emit`, Node's
//! `io.serverSideEmit`): the context their handlers run for, and the listener the adapter
//! calls. A server-layer concept: there is no socket, only the server.

use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::BoxError;
use crate::handler::error::HandlerError;
use crate::handler::extract::{AnswerContext, Event, FromContext, HandlerContext, State, argument};
use crate::handler::{BoxFuture, BoxedHandler};
use crate::payload::Payload;
use crate::server::SocketIo;
use crate::sync::lock;

/// A listener of events sent by the other servers of a cluster; its future yields the answer.
pub(crate) type ServerEventListener =
    Arc<dyn Fn(SocketIo, Payload) -> BoxFuture<Value> + Send + Sync>;

/// An event another server of the cluster sent ([`SocketIo::server_side_emit`], Node's
/// `io.serverSideEmit`): its name and arguments, and the answer the handler returns.
///
/// # Examples
///
/// ```
/// use ferrio::prelude::*;
///
/// #[on_server_event("players-in")]
/// fn players_in(io: SocketIo, Event(name): Event, namespace: String) -> usize {
///     let _ = name; // "players-in"
///     io.sockets(&namespace).len()
/// }
/// ```
#[derive(Debug)]
pub struct ServerEventContext {
    pub(crate) io: SocketIo,
    pub(crate) event: String,
    pub(crate) payload: Payload,
    pub(crate) answer: Arc<Mutex<Option<Value>>>,
}

impl ServerEventContext {
    /// The event's name.
    pub fn event(&self) -> &str {
        &self.event
    }

    /// The event's arguments.
    pub fn payload(&self) -> &Payload {
        &self.payload
    }
}

impl HandlerContext for ServerEventContext {
    type Error = HandlerError;

    fn extraction_error(&self, error: BoxError) -> HandlerError {
        HandlerError::extraction(&self.event, error)
    }
}

impl AnswerContext for ServerEventContext {
    fn answer<T: Serialize>(&self, value: T) {
        let answer = serde_json::to_value(value).unwrap_or_else(|error| {
            tracing::warn!(event = %self.event, %error, "a server event's answer does not serialize; answered null");
            Value::Null
        });
        *lock(&self.answer) = Some(answer);
    }

    fn failed(&self, error: BoxError) -> HandlerError {
        HandlerError::handler(&self.event, error)
    }
}

impl<T: DeserializeOwned + 'static> FromContext<ServerEventContext> for T {
    const ARGS: usize = 1;

    fn from_context(context: &ServerEventContext, arg: usize) -> Result<Self, BoxError> {
        argument(&context.payload, arg)
    }
}

impl FromContext<ServerEventContext> for Payload {
    fn from_context(context: &ServerEventContext, _: usize) -> Result<Self, BoxError> {
        Ok(context.payload.clone())
    }
}
impl FromContext<ServerEventContext> for Event {
    fn from_context(context: &ServerEventContext, _: usize) -> Result<Self, BoxError> {
        Ok(Event(context.event.clone()))
    }
}
impl FromContext<ServerEventContext> for SocketIo {
    fn from_context(context: &ServerEventContext, _: usize) -> Result<Self, BoxError> {
        Ok(context.io.clone())
    }
}

impl<T: Clone + Send + Sync + 'static> FromContext<ServerEventContext> for State<T> {
    fn from_context(context: &ServerEventContext, _: usize) -> Result<Self, BoxError> {
        State::found(context.io.state::<T>())
    }
}

/// A server event's listener, as the adapter calls it: the handler runs, and its answer (or
/// `null`) goes back to the sender.
pub(crate) fn listener(
    event: &str,
    handler: BoxedHandler<ServerEventContext>,
) -> ServerEventListener {
    let event = event.to_owned();
    Arc::new(move |io, payload| {
        let answer = Arc::new(Mutex::new(None));
        let context = ServerEventContext {
            io,
            event: event.clone(),
            payload,
            answer: answer.clone(),
        };
        let running = handler.call(context);
        let event = event.clone();
        Box::pin(async move {
            if let Err(error) = running.await {
                tracing::warn!(%event, %error, "a server event's handler failed; answered null");
            }
            lock(&answer).take().unwrap_or(Value::Null)
        })
    })
}
