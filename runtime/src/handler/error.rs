//! What a failed handler reports to its namespace's error handler.

use std::fmt;

use crate::error::BoxError;
use crate::socket::ack::AckSender;

/// An error raised while handling an event: its arguments did not match the handler's
/// types, or the handler returned an error. It reaches the namespace's error handler.
#[derive(Debug)]
pub struct HandlerError {
    event: String,
    source: BoxError,
    extraction: bool,
    /// The acknowledgement the client asked for, while nobody has sent it.
    ack: Option<AckSender>,
}

impl HandlerError {
    pub(crate) fn extraction(event: &str, source: impl Into<BoxError>) -> Self {
        Self {
            event: event.to_owned(),
            source: source.into(),
            extraction: true,
            ack: None,
        }
    }

    pub(crate) fn handler(event: &str, source: BoxError) -> Self {
        Self {
            event: event.to_owned(),
            source,
            extraction: false,
            ack: None,
        }
    }

    /// Keeps the event's acknowledgement for the error handler, if the client asked for one.
    pub(crate) fn with_ack(mut self, ack: AckSender) -> Self {
        self.ack = ack.requested().then_some(ack);
        self
    }

    /// The acknowledgement the client asked for with the event that failed, once: an error
    /// handler can answer the client with it, as Flask-SocketIO sends the error handler's
    /// return value. An `#[on_error]` function that returns a value sends it this way.
    ///
    /// ```
    /// use ferrio::prelude::*;
    ///
    /// let io = SocketIo::builder()
    ///     .on_error(|_socket, mut error| {
    ///         if let Some(ack) = error.ack() {
    ///             let _ = ack.send(serde_json::json!({ "error": error.to_string() }));
    ///         }
    ///     })
    ///     .build();
    /// ```
    pub fn ack(&mut self) -> Option<AckSender> {
        self.ack.take()
    }

    /// The event being handled (`connect` for a connect handler).
    pub fn event(&self) -> &str {
        &self.event
    }

    /// The arguments did not match what the handler takes (the handler did not run).
    pub fn is_extraction(&self) -> bool {
        self.extraction
    }

    /// The error itself.
    pub fn source_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.source
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.extraction {
            write!(
                f,
                "event `{}`: arguments did not match: {}",
                self.event, self.source
            )
        } else {
            write!(f, "event `{}`: handler failed: {}", self.event, self.source)
        }
    }
}

impl std::error::Error for HandlerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}
