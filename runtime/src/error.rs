//! Errors of the public API: opaque types with `is_*` predicates.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

#[derive(Debug)]
enum SendErrorKind {
    Closed,
    SlowClient,
    Serialize(serde_json::Error),
    ReservedEvent(&'static str),
}

/// An emit that was not queued for delivery.
///
/// An emit is either queued on its socket's bounded queue, and leaves in order, or fails with
/// this error: the socket is closed, it was just disconnected because its queue was full (the
/// reason is logged), the arguments did not serialize, or the event name is reserved.
///
/// # Examples
///
/// ```
/// # fn handle(result: Result<(), ferrio::SendError>) {
/// if let Err(error) = result {
///     if error.is_slow_client() {
///         // the client was disconnected: it could not keep up
///     }
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct SendError(SendErrorKind);

impl SendError {
    pub(crate) fn closed() -> Self {
        Self(SendErrorKind::Closed)
    }

    pub(crate) fn slow_client() -> Self {
        Self(SendErrorKind::SlowClient)
    }

    /// Refuses the event names socket.io reserves (`connect`, `connect_error`, `disconnect`,
    /// `disconnecting`, `newListener`, `removeListener`), as Node's socket.io does: a client
    /// would take such an event for its own.
    pub(crate) fn check_event_name(event: &str) -> Result<(), Self> {
        const RESERVED: [&str; 6] = [
            "connect",
            "connect_error",
            "disconnect",
            "disconnecting",
            "newListener",
            "removeListener",
        ];
        match RESERVED.iter().find(|reserved| **reserved == event) {
            Some(reserved) => Err(Self(SendErrorKind::ReservedEvent(reserved))),
            None => Ok(()),
        }
    }

    /// The socket was already disconnected.
    pub fn is_closed(&self) -> bool {
        matches!(self.0, SendErrorKind::Closed)
    }

    /// The socket's queue was full: the socket has been disconnected.
    pub fn is_slow_client(&self) -> bool {
        matches!(self.0, SendErrorKind::SlowClient)
    }

    /// The arguments could not be serialized.
    pub fn is_serialize(&self) -> bool {
        matches!(self.0, SendErrorKind::Serialize(_))
    }

    /// The event name is one socket.io reserves, such as `disconnect`.
    pub fn is_reserved_event(&self) -> bool {
        matches!(self.0, SendErrorKind::ReservedEvent(_))
    }
}

impl From<serde_json::Error> for SendError {
    fn from(error: serde_json::Error) -> Self {
        Self(SendErrorKind::Serialize(error))
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            SendErrorKind::Closed => f.write_str("the socket is disconnected"),
            SendErrorKind::SlowClient => {
                f.write_str("the client's queue is full; it was disconnected")
            }
            SendErrorKind::Serialize(error) => {
                write!(f, "the arguments did not serialize: {error}")
            }
            SendErrorKind::ReservedEvent(event) => {
                write!(f, "`{event}` is a reserved event name")
            }
        }
    }
}

impl std::error::Error for SendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0 {
            SendErrorKind::Serialize(error) => Some(error),
            _ => None,
        }
    }
}

/// The result of a query that asks every server of the cluster.
pub type ClusterResult<T> = Result<T, Incomplete<T>>;

/// A cluster query that not every server answered in time, or that could not reach the other
/// servers at all: what this server and the servers that answered gave, and how much is
/// missing. (Node rejects such queries; the partial answer is kept here.)
///
/// # Examples
///
/// ```
/// # async fn f(io: ferrio::SocketIo) {
/// let ids = match io.to("lobby").socket_ids().await {
///     Ok(ids) => ids,
///     Err(incomplete) => {
///         tracing::warn!(%incomplete, "counting the lobby without some servers");
///         incomplete.into_partial()
///     }
/// };
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Incomplete<T> {
    partial: T,
    answered: usize,
    expected: Option<usize>,
}

impl<T> Incomplete<T> {
    /// A partial answer: `answered` of the `expected` other servers answered (`None` when
    /// they could not even be counted).
    pub fn new(partial: T, answered: usize, expected: Option<usize>) -> Self {
        Self {
            partial,
            answered,
            expected,
        }
    }

    /// What did come.
    pub fn partial(&self) -> &T {
        &self.partial
    }

    /// What did come, by value.
    pub fn into_partial(self) -> T {
        self.partial
    }

    /// How many other servers answered.
    pub fn answered(&self) -> usize {
        self.answered
    }

    /// How many other servers were asked, or `None` when the cluster could not be reached.
    pub fn expected(&self) -> Option<usize> {
        self.expected
    }

    pub(crate) fn map<U>(self, f: impl FnOnce(T) -> U) -> Incomplete<U> {
        Incomplete {
            partial: f(self.partial),
            answered: self.answered,
            expected: self.expected,
        }
    }
}

impl<T> fmt::Display for Incomplete<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.expected {
            Some(expected) => write!(
                f,
                "only {} of the {expected} other servers answered in time",
                self.answered
            ),
            None => f.write_str("the other servers could not be reached"),
        }
    }
}

impl<T: fmt::Debug> std::error::Error for Incomplete<T> {}

#[derive(Debug)]
enum AckErrorKind {
    Timeout,
    Disconnected,
    Send(SendError),
    Decode(serde_json::Error),
}

/// An acknowledgement that did not arrive, or did not decode.
#[derive(Debug)]
pub struct AckError(AckErrorKind);

impl AckError {
    pub(crate) fn timeout() -> Self {
        Self(AckErrorKind::Timeout)
    }

    pub(crate) fn disconnected() -> Self {
        Self(AckErrorKind::Disconnected)
    }

    pub(crate) fn decode(error: serde_json::Error) -> Self {
        Self(AckErrorKind::Decode(error))
    }

    /// The answer did not match the type the schema declares.
    pub fn is_decode(&self) -> bool {
        matches!(self.0, AckErrorKind::Decode(_))
    }

    /// The client did not answer in time.
    pub fn is_timeout(&self) -> bool {
        matches!(self.0, AckErrorKind::Timeout)
    }

    /// The socket disconnected before answering.
    pub fn is_disconnected(&self) -> bool {
        matches!(self.0, AckErrorKind::Disconnected)
    }

    /// The emit itself failed; see [`SendError`].
    pub fn send_error(&self) -> Option<&SendError> {
        match &self.0 {
            AckErrorKind::Send(error) => Some(error),
            _ => None,
        }
    }
}

impl From<SendError> for AckError {
    fn from(error: SendError) -> Self {
        Self(AckErrorKind::Send(error))
    }
}

impl fmt::Display for AckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            AckErrorKind::Timeout => f.write_str("the acknowledgement timed out"),
            AckErrorKind::Disconnected => {
                f.write_str("the socket disconnected before acknowledging")
            }
            AckErrorKind::Send(error) => write!(f, "the emit failed: {error}"),
            AckErrorKind::Decode(error) => write!(f, "the acknowledgement did not decode: {error}"),
        }
    }
}

impl std::error::Error for AckError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0 {
            AckErrorKind::Send(error) => Some(error),
            AckErrorKind::Decode(error) => Some(error),
            _ => None,
        }
    }
}

/// The acknowledgements of a broadcast when some socket did not answer: the replies that came,
/// in the order they came, and why the others did not. (Node's `emitWithAck` on a broadcast
/// rejects then; the replies are kept here.)
///
/// # Examples
///
/// ```no_run
/// # async fn f(io: ferrio::SocketIo) {
/// use std::time::Duration;
///
/// let votes = io.to("voters").timeout(Duration::from_secs(5)).emit_with_ack("vote", ()).unwrap();
/// match votes.all().await {
///     Ok(votes) => println!("{} votes", votes.len()),
///     Err(missing) => println!("{missing}; {} votes came", missing.replies().len()),
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct MissingAcks<T> {
    replies: Vec<T>,
    missing: Vec<(Option<crate::Sid>, AckError)>,
}

impl<T> MissingAcks<T> {
    pub(crate) fn new(replies: Vec<T>, missing: Vec<(Option<crate::Sid>, AckError)>) -> Self {
        Self { replies, missing }
    }

    /// The replies that came.
    pub fn replies(&self) -> &[T] {
        &self.replies
    }

    /// The replies that came, by value.
    pub fn into_replies(self) -> Vec<T> {
        self.replies
    }

    /// The sockets that did not answer (without an id for sockets of other servers), and why.
    pub fn missing(&self) -> &[(Option<crate::Sid>, AckError)] {
        &self.missing
    }
}

impl<T> fmt::Display for MissingAcks<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.replies.len() + self.missing.len();
        write!(
            f,
            "{} of {total} acknowledgements missing",
            self.missing.len()
        )?;
        match self.missing.first() {
            Some((_, error)) => write!(f, " (the first: {error})"),
            None => Ok(()),
        }
    }
}

impl<T: fmt::Debug> std::error::Error for MissingAcks<T> {}

/// A boxed error, as handlers return them.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_event_names_are_refused_and_others_pass() {
        for reserved in ["connect", "disconnect", "connect_error", "newListener"] {
            let error = SendError::check_event_name(reserved).err();
            assert!(error.as_ref().is_some_and(SendError::is_reserved_event));
            assert_eq!(
                error.map(|error| error.to_string()),
                Some(format!("`{reserved}` is a reserved event name"))
            );
        }
        for allowed in ["message", "disconnected", "Connect", ""] {
            assert!(SendError::check_event_name(allowed).is_ok(), "{allowed}");
        }
    }

    #[test]
    fn incomplete_answers_say_how_many_servers_answered() {
        let partial = Incomplete::new(vec![1, 2], 1, Some(3));
        assert_eq!(
            partial.to_string(),
            "only 1 of the 3 other servers answered in time"
        );
        let unreachable = Incomplete::new(vec![1], 0, None);
        assert_eq!(
            unreachable.to_string(),
            "the other servers could not be reached"
        );
        assert_eq!(unreachable.into_partial(), vec![1]);
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
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectError {
    message: String,
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

    /// The CONNECT_ERROR packet's body: `{message, data}`, without `data` when there is none.
    pub(crate) fn to_json(&self) -> Value {
        let mut body = serde_json::Map::new();
        body.insert("message".into(), self.message.clone().into());
        if let Some(data) = &self.data {
            body.insert("data".into(), data.clone());
        }
        Value::Object(body)
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
