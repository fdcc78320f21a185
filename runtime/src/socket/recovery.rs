//! Connection state recovery (Socket.IO 4.6+): a socket that loses its connection keeps its
//! id, rooms and data for a while, and on coming back receives every packet it missed. This
//! module holds the server's setting and what the socket layer and the adapters exchange: the
//! session a disconnected socket leaves, and the offset that orders the packets of a namespace.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Sid;
use crate::engineio::Session;
use crate::socket::adapter::{BroadcastOptions, BroadcastPacket, Room};
use crate::socket::connection::Connection;
use crate::socket::{DisconnectReason, Socket};

/// Connection state recovery, Node's `connectionStateRecovery` option: turned on with
/// [`SocketIoBuilder::connection_state_recovery`](crate::SocketIoBuilder::connection_state_recovery).
///
/// A socket.io client 4.6+ that loses its connection (a network drop, a sleeping tab, a ping
/// timeout) and comes back within `max_disconnection_duration` gets its old socket back: the
/// same id, its rooms, its [`SocketData`](crate::SocketData), and every event emitted to it
/// meanwhile, in order and once, before anything new. The client and the app are told
/// ([`Socket::recovered`](crate::Socket::recovered), the [`Recovered`](crate::Recovered)
/// extractor). Acknowledgement requests are not kept, as in Node.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use ferrio::{ConnectionStateRecovery, SocketIo};
///
/// let io = SocketIo::builder()
///     .connection_state_recovery(
///         ConnectionStateRecovery::default().max_disconnection_duration(Duration::from_secs(60)),
///     )
///     .build();
/// # let _ = io;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectionStateRecovery {
    /// How long a disconnected socket's session is kept: 2 minutes by default, as Node.
    pub max_disconnection_duration: Duration,
    /// Whether a recovered socket connects without running its namespace's connect handler
    /// (`false` by default: the handler runs, and can tell with
    /// [`Recovered`](crate::Recovered)). Node's `skipMiddlewares` skips its middlewares, which
    /// ferrio's connect handler stands for.
    pub skip_connect_handler: bool,
    /// How many sessions of disconnected sockets a namespace keeps at most; the oldest go
    /// first (100 000 by default).
    pub max_sessions: usize,
    /// How many events a namespace keeps for clients to catch up on; the oldest go first, and
    /// a client whose last event went with them gets a fresh socket (10 000 by default, the
    /// Redis Streams adapter's `maxLen`).
    pub max_packets: usize,
}

impl Default for ConnectionStateRecovery {
    fn default() -> Self {
        Self {
            max_disconnection_duration: Duration::from_secs(120),
            skip_connect_handler: false,
            max_sessions: 100_000,
            max_packets: 10_000,
        }
    }
}

impl ConnectionStateRecovery {
    /// Sets how long a disconnected socket's session is kept.
    pub fn max_disconnection_duration(mut self, duration: Duration) -> Self {
        self.max_disconnection_duration = duration;
        self
    }

    /// Sets whether a recovered socket skips its namespace's connect handler.
    pub fn skip_connect_handler(mut self, skip: bool) -> Self {
        self.skip_connect_handler = skip;
        self
    }

    /// Sets how many sessions a namespace keeps at most.
    pub fn max_sessions(mut self, sessions: usize) -> Self {
        self.max_sessions = sessions;
        self
    }

    /// Sets how many events a namespace keeps at most.
    pub fn max_packets(mut self, packets: usize) -> Self {
        self.max_packets = packets;
        self
    }
}

/// Whether a socket that disconnected for this reason may come back: the connection was lost,
/// not ended on purpose (Node's `RECOVERABLE_DISCONNECT_REASONS`, and a client too slow to
/// drain its queue, which catches up from the kept events).
pub(crate) fn is_recoverable(reason: DisconnectReason) -> bool {
    use DisconnectReason::*;
    matches!(
        reason,
        TransportClose
            | TransportError
            | PingTimeout
            | ForcedServerClose
            | ServerShutdown
            | SlowClient
    )
}

/// What a disconnected socket leaves for its return, in the shape of Node's `Session`.
///
/// # Examples
///
/// ```
/// let node = serde_json::json!({
///     "sid": "J2eN0aZi5AhDrQg9AAAB", "pid": "kLeLd8Ck6VM4hmcDAAAC",
///     "rooms": ["J2eN0aZi5AhDrQg9AAAB", "lobby"], "data": { "name": "ada" },
/// });
/// let session: ferrio::SavedSession = serde_json::from_value(node)?;
/// assert_eq!(session.rooms.len(), 2);
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedSession {
    /// The socket's id, which it gets back.
    pub sid: Sid,
    /// The private id the client presents to come back.
    pub pid: Sid,
    /// Its rooms, its own id included.
    pub rooms: Vec<Room>,
    /// Its [`SocketData`](crate::SocketData); `{}` when it had none.
    #[serde(default)]
    pub data: serde_json::Value,
}

impl SavedSession {
    /// Whether a packet sent with these options reached this session's socket.
    pub fn is_addressed_by(&self, options: &BroadcastOptions) -> bool {
        let member = |rooms: &std::collections::HashSet<Room>| {
            self.rooms.iter().any(|room| rooms.contains(room))
        };
        (options.rooms.is_empty() || member(&options.rooms)) && !member(&options.except)
    }
}

/// Where an event sits in the order its namespace emitted them: the last argument of every
/// recoverable event, which the client sends back on reconnecting. Ferrio's own offsets are
/// numbers (`"42"`); those of Redis Streams are entry ids (`"1700000000000-3"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Offset {
    major: u64,
    minor: u64,
}

impl Offset {
    pub(crate) fn new(major: u64, minor: u64) -> Self {
        Self { major, minor }
    }

    pub(crate) fn major(self) -> u64 {
        self.major
    }

    pub(crate) fn minor(self) -> u64 {
        self.minor
    }
}

/// An offset that is not one this server or Redis writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InvalidOffset;

impl FromStr for Offset {
    type Err = InvalidOffset;

    fn from_str(text: &str) -> Result<Self, InvalidOffset> {
        let number = |part: &str| {
            // Digits only: no sign, no space, so that the text goes into JSON as it is.
            if part.is_empty() || part.len() > 20 || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(InvalidOffset);
            }
            part.parse::<u64>().map_err(|_| InvalidOffset)
        };
        match text.split_once('-') {
            Some((major, minor)) => Ok(Self::new(number(major)?, number(minor)?)),
            None => Ok(Self::new(number(text)?, 0)),
        }
    }
}

/// What a recovered socket is sent right after its CONNECT: the events it missed. What reaches
/// it while it is restored, or later from a cluster reader that lags, is sent only if newer
/// than `up_to`.
#[derive(Debug, Default)]
pub(crate) struct Replay {
    pub(crate) missed: Vec<BroadcastPacket>,
    /// The newest offset the client has, or gets through `missed`: an event at or before it
    /// is a repeat.
    pub(crate) up_to: Option<Offset>,
}

impl Replay {
    pub(crate) fn new(missed: Vec<BroadcastPacket>, client_offset: Offset) -> Self {
        let up_to = missed
            .iter()
            .filter_map(BroadcastPacket::offset)
            .fold(client_offset, Offset::max);
        Self {
            missed,
            up_to: Some(up_to),
        }
    }
}

/// The private id and offset a client presents, in its CONNECT's auth payload, to recover
/// its socket.
#[derive(Debug)]
pub(crate) struct Claim {
    pid: Sid,
    offset: String,
    parsed: Offset,
}

impl Claim {
    /// Takes the claim out of the auth payload (`{pid, offset, ...}`), so that the app sees its
    /// own auth alone; `None` when there is none, or it is not one a server could have given.
    pub(crate) fn take(auth: &mut Value) -> Option<Self> {
        let object = auth.as_object_mut()?;
        let (Some(Value::String(pid)), Some(Value::String(offset))) =
            (object.remove("pid"), object.remove("offset"))
        else {
            return None;
        };
        Some(Self {
            pid: pid.parse().ok()?,
            parsed: offset.parse().ok()?,
            offset,
        })
    }

    /// Brings the claimed session back on this connection, in the place of the fresh socket
    /// made for the client; or keeps the fresh socket when the session cannot come back whole
    /// (unknown, expired, or events it missed no longer kept).
    pub(crate) async fn resume(
        self,
        connection: &Arc<Session<Connection>>,
        path: &str,
        fresh: Socket,
    ) -> (Socket, Replay) {
        let namespace = fresh.namespace_ref();
        if let Some(stale) = namespace.socket_of_pid(self.pid) {
            // Its client is back on a new connection: the old one is gone, unseen yet.
            tracing::debug!(namespace = %path, sid = %stale.id(), "a client came back before its connection was seen to close");
            stale.close(DisconnectReason::TransportClose);
        }
        let adapter = &namespace.adapter;
        let Some(saved) = adapter.take_session(self.pid, &self.offset).await else {
            tracing::debug!(namespace = %path, "no session to recover: the client gets a fresh socket");
            return (fresh, Replay::default());
        };
        let resumed = fresh.resumed(&saved);
        if !connection.data().replace(path, &fresh, resumed.clone())
            || resumed.enter(&saved.rooms).is_err()
        {
            // The connection closed meanwhile: the session waits for the client's next try.
            adapter.persist_session(saved);
            return (fresh, Replay::default());
        }
        match adapter.missed_packets(&saved, &self.offset).await {
            // The replay goes out at once, so it must fit in the client's queue.
            Some(missed) if missed.len() < connection.queue_capacity() => {
                tracing::debug!(namespace = %path, sid = %saved.sid, missed = missed.len(), "socket recovered");
                (resumed, Replay::new(missed, self.parsed))
            }
            missed => {
                tracing::info!(namespace = %path, sid = %saved.sid, missed = ?missed.map(|m| m.len()), "the events a socket missed are no longer kept, or more than its queue holds: it gets a fresh socket");
                resumed.abandon();
                connection.data().replace(path, &resumed, fresh.clone());
                (fresh, Replay::default())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_numbers_or_stream_ids_and_nothing_else() {
        assert_eq!("42".parse(), Ok(Offset::new(42, 0)));
        assert_eq!(
            "1700000000000-3".parse(),
            Ok(Offset::new(1_700_000_000_000, 3))
        );
        for forged in [
            "",
            "-",
            "1-",
            "-1",
            "+1",
            " 1",
            "1e3",
            "1-2-3",
            "x",
            "\"",
            "99999999999999999999",
        ] {
            assert_eq!(forged.parse::<Offset>(), Err(InvalidOffset), "{forged:?}");
        }
        assert!(Offset::new(1, 9) < Offset::new(2, 0));
    }

    #[test]
    fn a_session_is_addressed_by_its_rooms_less_the_excepted() {
        let sid = Sid::random();
        let session = SavedSession {
            sid,
            pid: Sid::random(),
            rooms: vec![Room::from(sid.as_str()), Room::from("lobby")],
            data: serde_json::Value::Null,
        };
        let options = |rooms: &[&str], except: &[&str]| BroadcastOptions {
            rooms: rooms.iter().map(|r| Room::from(*r)).collect(),
            except: except.iter().map(|r| Room::from(*r)).collect(),
            local: false,
        };
        assert!(session.is_addressed_by(&options(&[], &[])));
        assert!(session.is_addressed_by(&options(&["lobby", "other"], &[])));
        assert!(session.is_addressed_by(&options(&[sid.as_str()], &[])));
        assert!(!session.is_addressed_by(&options(&["other"], &[])));
        assert!(!session.is_addressed_by(&options(&[], &["lobby"])));
    }
}
