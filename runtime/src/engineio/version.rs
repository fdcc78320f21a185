//! The Engine.IO protocol revisions a server speaks.

/// An Engine.IO protocol revision, from the handshake's `EIO` query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProtocolVersion {
    /// Revision 3: the socket.io JavaScript client 2.x. The client pings, polling payloads
    /// are length-prefixed, and binary WebSocket frames carry a type byte.
    V3,
    /// Revision 4: the socket.io JavaScript client 3.x and 4.x.
    V4,
}

impl ProtocolVersion {
    pub(crate) fn from_query(eio: Option<&str>) -> Option<Self> {
        match eio {
            Some("3") => Some(Self::V3),
            Some("4") => Some(Self::V4),
            _ => None,
        }
    }
}
