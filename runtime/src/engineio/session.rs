//! One Engine.IO session: its identity, its bounded outgoing queue, its heartbeat and its end.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};

use http::{HeaderMap, Uri};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::config::Transport;
use super::frame::Frame;
use super::outbox::Outbox;
use super::version::ProtocolVersion;
use crate::Sid;
use crate::error::SendError;

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseReason {
    /// The client closed the connection or sent the close packet.
    TransportClose,
    /// The connection failed, or the client broke a rule of the transport (an oversized
    /// message, overlapping requests).
    TransportError,
    /// The client did not answer a ping within the ping timeout.
    PingTimeout,
    /// The client sent something that is not a valid packet.
    ParseError,
    /// The server closed the session.
    ForcedClose,
    /// The server is shutting down.
    ServerShutdown,
    /// The client did not drain its outgoing queue fast enough and the queue filled up.
    SlowClient,
}

impl CloseReason {
    /// The reason as socket.io names it (`"transport close"`, `"ping timeout"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TransportClose => "transport close",
            Self::TransportError => "transport error",
            Self::PingTimeout => "ping timeout",
            Self::ParseError => "parse error",
            Self::ForcedClose => "forced close",
            Self::ServerShutdown => "server shutting down",
            Self::SlowClient => "slow client",
        }
    }
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The HTTP request that opened a session.
#[derive(Debug, Clone)]
pub struct Handshake {
    /// The request's URI, with its query string.
    pub uri: Uri,
    /// The request's headers.
    pub headers: HeaderMap,
    /// The client's address, when the server knows it: [`serve`](crate::serve) does (it
    /// puts a [`PeerAddr`](crate::PeerAddr) in each request); mounted elsewhere, add one.
    pub address: Option<std::net::SocketAddr>,
    /// When the session opened.
    pub issued: std::time::SystemTime,
}

impl Handshake {
    /// The value of a query parameter of the handshake request, percent-decoding not applied.
    ///
    /// # Examples
    ///
    /// ```
    /// # use ferrio::engineio::Handshake;
    /// let handshake = Handshake {
    ///     uri: "/socket.io/?EIO=4&transport=polling&room=lobby".parse().unwrap(),
    ///     headers: Default::default(),
    ///     address: None,
    ///     issued: std::time::SystemTime::now(),
    /// };
    /// assert_eq!(handshake.query("room"), Some("lobby"));
    /// assert_eq!(handshake.query("missing"), None);
    /// ```
    pub fn query(&self, key: &str) -> Option<&str> {
        query_param(self.uri.query()?, key)
    }
}

pub(crate) fn query_param<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == key).then_some(v)
    })
}

const POLLING: u8 = 0;
const UPGRADING: u8 = 1;
const WEBSOCKET: u8 = 2;

/// An open Engine.IO session, with the data its handler attached to it.
///
/// Frames sent to a session go through one bounded queue, drained by whichever transport the
/// client currently uses, so they leave in the order they were sent, across the upgrade from
/// polling to WebSocket.
pub struct Session<D> {
    sid: Sid,
    protocol: ProtocolVersion,
    opened: tokio::time::Instant,
    handshake: Handshake,
    data: D,
    pub(crate) outbox: Outbox,
    transport: AtomicU8,
    pub(crate) posting: AtomicBool,
    /// The client sent the close packet over polling: the next poll is answered with a noop.
    pub(crate) closing: AtomicBool,
    closed: CancellationToken,
    /// Set with `closed`, for the check every frame makes (the token's own takes a lock).
    ended: AtomicBool,
    close_reason: OnceLock<CloseReason>,
    /// A heartbeat arrived: the client's pong (v4) or ping (v3).
    pub(crate) heartbeat: Notify,
    pub(crate) release_poll: Notify,
}

impl<D> Session<D> {
    pub(crate) fn new(
        protocol: ProtocolVersion,
        transport: Transport,
        handshake: Handshake,
        data: D,
        queue_len: usize,
    ) -> Self {
        let transport = match transport {
            Transport::Polling => POLLING,
            Transport::Websocket => WEBSOCKET,
        };
        Self {
            sid: Sid::random(),
            protocol,
            opened: tokio::time::Instant::now(),
            handshake,
            data,
            outbox: Outbox::new(queue_len),
            transport: AtomicU8::new(transport),
            posting: AtomicBool::new(false),
            closing: AtomicBool::new(false),
            closed: CancellationToken::new(),
            ended: AtomicBool::new(false),
            close_reason: OnceLock::new(),
            heartbeat: Notify::new(),
            release_poll: Notify::new(),
        }
    }

    /// The session id.
    pub fn sid(&self) -> Sid {
        self.sid
    }

    /// The Engine.IO protocol revision the client speaks.
    pub fn protocol(&self) -> ProtocolVersion {
        self.protocol
    }

    /// Whether the client reads binary polling payloads (an Engine.IO v3 client asks for
    /// base64 with `b64=1`).
    pub(crate) fn binary_support(&self) -> bool {
        self.handshake.query("b64").is_none()
    }

    /// The request that opened the session.
    pub fn handshake(&self) -> &Handshake {
        &self.handshake
    }

    /// The data the handler attached to this session.
    pub fn data(&self) -> &D {
        &self.data
    }

    /// The transport the client uses now. During an upgrade this is still polling.
    pub fn transport(&self) -> Transport {
        match self.transport.load(Ordering::Acquire) {
            WEBSOCKET => Transport::Websocket,
            _ => Transport::Polling,
        }
    }

    pub(crate) fn begin_upgrade(&self) -> bool {
        self.transport
            .compare_exchange(POLLING, UPGRADING, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    pub(crate) fn cancel_upgrade(&self) {
        let _ = self.transport.compare_exchange(
            UPGRADING,
            POLLING,
            Ordering::AcqRel,
            Ordering::Acquire,
        );
    }

    pub(crate) fn finish_upgrade(&self) {
        self.transport.store(WEBSOCKET, Ordering::Release);
        // Let a pending poll return so the WebSocket writer can take over the queue.
        self.release_poll.notify_waiters();
    }

    pub(crate) fn is_upgrading(&self) -> bool {
        self.transport.load(Ordering::Acquire) == UPGRADING
    }

    /// Whether the client still polls (an upgrade in progress included).
    pub(crate) fn is_polling(&self) -> bool {
        self.transport.load(Ordering::Acquire) != WEBSOCKET
    }

    /// Sends a text message.
    ///
    /// # Errors
    ///
    /// Fails if the session is closed, or if the client's queue is full; in that case the
    /// session is closed with [`CloseReason::SlowClient`] and the reason is logged.
    pub fn send_text(&self, message: &str) -> Result<(), SendError> {
        self.send_frame(Frame::text(message))
    }

    /// Sends a binary message.
    ///
    /// # Errors
    ///
    /// As [`send_text`](Self::send_text).
    pub fn send_binary(&self, message: bytes::Bytes) -> Result<(), SendError> {
        self.send_frame(Frame::Binary(message))
    }

    /// How many frames the outgoing queue holds at most.
    pub(crate) fn queue_capacity(&self) -> usize {
        self.outbox.capacity()
    }

    pub(crate) fn send_frame(&self, frame: Frame) -> Result<(), SendError> {
        if self.is_closed() {
            return Err(SendError::closed());
        }
        self.outbox.push(frame).map_err(|_full| {
            tracing::warn!(sid = %self.sid, "closing a client too slow to drain its queue");
            self.close(CloseReason::SlowClient);
            SendError::slow_client()
        })
    }

    /// Closes the session: the close packet is queued behind what was already sent, and the
    /// session ends once the client received it (or at once if the queue is full).
    pub fn disconnect(&self) {
        self.disconnect_with(CloseReason::ForcedClose);
    }

    /// As [`disconnect`](Self::disconnect), reporting `reason`. A client that never collects
    /// the close packet is closed by the heartbeat, still with this reason.
    pub(crate) fn disconnect_with(&self, reason: CloseReason) {
        let _ = self.close_reason.set(reason);
        if self.send_frame(Frame::Close).is_err() {
            self.close(reason);
        }
    }

    /// Ends the session at once. The first reason given is the one reported.
    pub(crate) fn close(&self, reason: CloseReason) {
        if self.close_reason.set(reason).is_ok() {
            tracing::debug!(sid = %self.sid, %reason, "closing session");
        }
        self.ended.store(true, Ordering::Release);
        self.closed.cancel();
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.ended.load(Ordering::Acquire)
    }

    pub(crate) fn closed(&self) -> tokio_util::sync::WaitForCancellationFuture<'_> {
        self.closed.cancelled()
    }

    pub(crate) fn close_reason(&self) -> CloseReason {
        self.close_reason
            .get()
            .copied()
            .unwrap_or(CloseReason::ForcedClose)
    }
}

impl<D> fmt::Debug for Session<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("sid", &self.sid)
            .field("transport", &self.transport())
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

/// Runs the heartbeat until the client misses it, and returns why it ended.
///
/// Engine.IO v4: the server pings one interval after the handshake, waits at most the
/// timeout for the pong, then pings again one interval after the pong. Engine.IO v3: the
/// client pings and the server answers; a client silent for one interval plus one timeout
/// is gone. Deadlines count from the moment the session opened.
pub(crate) async fn heartbeat<D>(
    session: &Arc<Session<D>>,
    interval: std::time::Duration,
    timeout: std::time::Duration,
) -> CloseReason {
    let mut ping_at = session.opened + interval;
    loop {
        if session.protocol == ProtocolVersion::V4 {
            tokio::time::sleep_until(ping_at).await;
        }
        let heartbeat = session.heartbeat.notified();
        tokio::pin!(heartbeat);
        heartbeat.as_mut().enable();
        let deadline = match session.protocol {
            ProtocolVersion::V4 => {
                if session.send_frame(Frame::Ping).is_err() {
                    return session.close_reason();
                }
                ping_at + timeout
            }
            ProtocolVersion::V3 => ping_at + timeout,
        };
        if tokio::time::timeout_at(deadline, heartbeat).await.is_err() {
            return CloseReason::PingTimeout;
        }
        ping_at = tokio::time::Instant::now() + interval;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(queue_len: usize) -> Session<()> {
        let handshake = Handshake {
            uri: Uri::from_static("/socket.io/?EIO=4&transport=polling"),
            headers: HeaderMap::new(),
            address: None,
            issued: std::time::SystemTime::now(),
        };
        Session::new(
            ProtocolVersion::V4,
            Transport::Polling,
            handshake,
            (),
            queue_len,
        )
    }

    #[test]
    fn a_full_queue_closes_the_slow_client_and_fails_the_send() {
        let session = session(2);
        assert!(session.send_text("one").is_ok());
        assert!(session.send_text("two").is_ok());
        let error = session.send_text("three").err();
        assert!(
            error.as_ref().is_some_and(SendError::is_slow_client),
            "{error:?}"
        );
        assert!(session.is_closed());
        assert_eq!(session.close_reason(), CloseReason::SlowClient);
        let after = session.send_text("four").err();
        assert!(
            after.as_ref().is_some_and(SendError::is_closed),
            "{after:?}"
        );
    }

    #[test]
    fn frames_leave_in_the_order_sent() {
        let session = session(8);
        for text in ["a", "b", "c"] {
            assert!(session.send_text(text).is_ok());
        }
        let mut reader = session.outbox.try_reader();
        let mut received = Vec::new();
        while let Some(Some(Frame::Text(text))) = reader.as_mut().map(|r| r.try_recv()) {
            received.push(text.as_str().to_owned());
        }
        assert_eq!(received, ["4a", "4b", "4c"]);
    }

    #[test]
    fn the_first_close_reason_is_the_one_reported() {
        let session = session(1);
        session.close(CloseReason::PingTimeout);
        session.close(CloseReason::TransportClose);
        assert_eq!(session.close_reason(), CloseReason::PingTimeout);
    }
}
