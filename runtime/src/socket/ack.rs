//! Acknowledgements: replying to a client's request for one, and awaiting a client's reply.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::Stream;
use futures_util::stream::FuturesUnordered;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::error::{AckError, MissingAcks, SendError};
use crate::payload::Payload;
use crate::socket::Socket;
use crate::sync::lock;
use crate::{Sid, socketio};

/// Replies to an event whose sender asked for an acknowledgement (the client passed a
/// callback to `emit`).
///
/// Replying is optional and happens at most once: `send` consumes the sender. Take it in a
/// handler that acknowledges later, for example after a database write.
///
/// # Examples
///
/// ```
/// use ferrio::{AckSender, Payload};
///
/// async fn on_save(payload: Payload, ack: AckSender) {
///     // ... store the payload ...
///     let _ = ack.send(("saved", payload.len()));
/// }
/// ```
pub struct AckSender {
    socket: Socket,
    id: Option<u64>,
}

impl AckSender {
    pub(crate) fn new(socket: Socket, id: Option<u64>) -> Self {
        Self { socket, id }
    }

    /// Whether the client asked for an acknowledgement.
    pub fn requested(&self) -> bool {
        self.id.is_some()
    }

    /// Sends the acknowledgement: a tuple is several arguments, `()` none, anything else one.
    /// Does nothing when the client asked for none.
    ///
    /// # Errors
    ///
    /// As [`Socket::emit`].
    pub fn send<T: Serialize>(self, args: T) -> Result<(), SendError> {
        let Some(id) = self.id else { return Ok(()) };
        let encoded = socketio::packet::encode_ack(self.socket.namespace(), id, &args)?;
        self.socket.send_packet(encoded.into())
    }
}

impl fmt::Debug for AckSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AckSender")
            .field("socket", &self.socket.id())
            .field("id", &self.id)
            .finish()
    }
}

/// The acknowledgements a socket awaits from its client, by ack id.
#[derive(Debug, Default)]
pub(crate) struct PendingAcks(Mutex<HashMap<u64, oneshot::Sender<Payload>>>);

impl PendingAcks {
    pub(crate) fn register(&self, id: u64) -> oneshot::Receiver<Payload> {
        let (sender, receiver) = oneshot::channel();
        lock(&self.0).insert(id, sender);
        receiver
    }

    /// Delivers a client's reply; `false` if no acknowledgement with that id is awaited.
    pub(crate) fn resolve(&self, id: u64, payload: Payload) -> bool {
        match lock(&self.0).remove(&id) {
            Some(sender) => sender.send(payload).is_ok(),
            None => false,
        }
    }

    pub(crate) fn forget(&self, id: u64) {
        lock(&self.0).remove(&id);
    }

    /// Fails every awaited acknowledgement (the socket disconnected).
    pub(crate) fn clear(&self) {
        lock(&self.0).clear();
    }
}

/// One awaited reply; forgets its registration if it times out, so that nothing piles up for
/// a client that never answers.
pub(crate) struct AckWaiter {
    pub(crate) socket: Socket,
    pub(crate) id: u64,
    pub(crate) receiver: oneshot::Receiver<Payload>,
}

impl AckWaiter {
    pub(crate) async fn wait(self, deadline: Instant) -> Result<Payload, AckError> {
        match tokio::time::timeout_at(deadline, self.receiver).await {
            Ok(Ok(payload)) => Ok(payload),
            Ok(Err(_)) => Err(AckError::disconnected()),
            Err(_) => {
                self.socket.forget_ack(self.id);
                Err(AckError::timeout())
            }
        }
    }
}

type Reply = Pin<Box<dyn Future<Output = (Option<Sid>, Result<Payload, AckError>)> + Send>>;

/// The acknowledgements of a broadcast, in the order they arrive: one item per addressed
/// socket, its reply or why there is none. Every item arrives before the timeout. Replies of
/// sockets of other servers (through a cluster adapter) come without their socket id, as
/// Node's adapters send them.
///
/// # Examples
///
/// ```no_run
/// # async fn f(io: ferrio::SocketIo) {
/// use std::time::Duration;
///
/// let replies = io.to("voters").timeout(Duration::from_secs(5)).emit_with_ack("vote", ()).unwrap().collect().await;
/// for (sid, reply) in replies {
///     match reply {
///         Ok(payload) => println!("{sid:?} voted {:?}", payload.values()),
///         Err(error) => println!("{sid:?}: {error}"),
///     }
/// }
/// # }
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct AckStream<T = Payload> {
    replies: FuturesUnordered<Reply>,
    /// Replies gathered from other servers, until the gatherer is done.
    remote: Option<mpsc::UnboundedReceiver<Result<Payload, AckError>>>,
    deadline: Instant,
    decode: fn(Payload) -> Result<T, AckError>,
}

impl AckStream<Payload> {
    pub(crate) fn new(timeout: Duration) -> Self {
        Self {
            replies: FuturesUnordered::new(),
            remote: None,
            deadline: Instant::now() + timeout,
            decode: Ok,
        }
    }

    /// Where replies from other servers go; the stream ends once it is dropped.
    #[cfg(feature = "redis")]
    pub(crate) fn remote(&mut self) -> mpsc::UnboundedSender<Result<Payload, AckError>> {
        let (replies, received) = mpsc::unbounded_channel();
        self.remote = Some(received);
        replies
    }

    /// The deadline of every reply.
    #[cfg(feature = "redis")]
    pub(crate) fn deadline(&self) -> Instant {
        self.deadline
    }

    /// The same replies, each decoded as the first argument of type `T`.
    pub(crate) fn typed<T: DeserializeOwned + 'static>(self) -> AckStream<T> {
        AckStream {
            replies: self.replies,
            remote: self.remote,
            deadline: self.deadline,
            decode: |payload| payload.arg(0).map_err(AckError::decode),
        }
    }

    /// Adds one socket's awaited reply (or the reason it cannot come).
    pub(crate) fn push(&mut self, sid: Sid, waiter: Result<AckWaiter, SendError>) {
        let deadline = self.deadline;
        self.replies.push(Box::pin(async move {
            let reply = match waiter {
                Ok(waiter) => waiter.wait(deadline).await,
                Err(error) => Err(error.into()),
            };
            (Some(sid), reply)
        }));
    }
}

impl<T> AckStream<T> {
    /// How many replies of this server's sockets are still to come.
    pub fn len(&self) -> usize {
        self.replies.len()
    }

    /// Whether every reply of this server's sockets has come.
    pub fn is_empty(&self) -> bool {
        self.replies.is_empty()
    }

    /// Waits for every reply.
    pub async fn collect(self) -> Vec<(Option<Sid>, Result<T, AckError>)> {
        futures_util::StreamExt::collect(self).await
    }

    /// Waits for every reply, as Node's `await io.timeout(..).emitWithAck(..)`: the replies in
    /// the order they came, or [`MissingAcks`] if a socket did not answer, which keeps the
    /// replies that did.
    ///
    /// ```no_run
    /// # async fn f(io: ferrio::SocketIo) -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    ///
    /// let replies = io.of("/").timeout(Duration::from_secs(2)).emit_with_ack("ping", ())?.all().await?;
    /// # Ok(()) }
    /// ```
    pub async fn all(self) -> Result<Vec<T>, MissingAcks<T>> {
        let mut replies = Vec::with_capacity(self.len());
        let mut missing = Vec::new();
        for (sid, reply) in self.collect().await {
            match reply {
                Ok(reply) => replies.push(reply),
                Err(error) => missing.push((sid, error)),
            }
        }
        if missing.is_empty() {
            Ok(replies)
        } else {
            Err(MissingAcks::new(replies, missing))
        }
    }
}

impl<T> Stream for AckStream<T> {
    type Item = (Option<Sid>, Result<T, AckError>);

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let decode = self.decode;
        let local = Pin::new(&mut self.replies).poll_next(cx);
        if let Poll::Ready(Some((sid, reply))) = local {
            return Poll::Ready(Some((sid, reply.and_then(decode))));
        }
        let remote = match self.remote.as_mut() {
            Some(remote) => remote.poll_recv(cx),
            None => Poll::Ready(None),
        };
        match (local, remote) {
            (_, Poll::Ready(Some(reply))) => Poll::Ready(Some((None, reply.and_then(decode)))),
            (Poll::Ready(None), Poll::Ready(None)) => Poll::Ready(None),
            _ => Poll::Pending,
        }
    }
}

impl<T> Unpin for AckStream<T> {}

impl<T> fmt::Debug for AckStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AckStream")
            .field("pending", &self.len())
            .finish()
    }
}
