//! What a session sends: queued frames, shared cheaply between recipients.

use std::sync::Arc;

use bytes::Bytes;
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// One unit in a session's outgoing queue, written to the wire without interleaving.
///
/// Text is stored already framed (it begins with the Engine.IO packet type), so a broadcast
/// clones a reference count per recipient instead of copying bytes.
#[derive(Debug, Clone)]
pub(crate) enum Frame {
    /// A text message, framed: `4` followed by the message.
    Text(Utf8Bytes),
    /// A binary message.
    Binary(Bytes),
    /// A text message and the binary messages that belong to it (Socket.IO attachments),
    /// shared by every recipient of a broadcast.
    TextWithBinary(Utf8Bytes, Arc<[Bytes]>),
    /// A heartbeat ping (Engine.IO v4: the server pings).
    Ping,
    /// A heartbeat pong (Engine.IO v3: the server answers the client's pings).
    Pong,
    /// An empty packet that releases a pending long-polling request.
    Noop,
    /// The close packet: the session ends once it is written.
    Close,
}

impl Frame {
    /// Frames a text message.
    pub(crate) fn text(message: &str) -> Self {
        let mut framed = String::with_capacity(message.len() + 1);
        framed.push('4');
        framed.push_str(message);
        Self::Text(framed.into())
    }
}

/// A message received from a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message<'a> {
    /// A text message, borrowed from the frame or request body it arrived in.
    Text(&'a str),
    /// A binary message.
    Binary(Bytes),
}
