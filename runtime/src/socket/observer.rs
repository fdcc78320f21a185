//! Watching a server's sockets from the inside: what the Admin UI's live view is fed by. A
//! server without an observer pays one `Option` check at each of these points, none of them
//! per packet.

use crate::Sid;
use crate::socket::adapter::Room;
use crate::socket::{DisconnectReason, Socket};

/// Told of every socket's life in the namespaces of one server.
pub(crate) trait Observer: Send + Sync + 'static {
    /// A socket joined its namespace: its connect handler accepted it, or it recovered.
    fn connected(&self, socket: &Socket);
    /// A socket left its namespace.
    fn disconnected(&self, socket: &Socket, reason: DisconnectReason);
    /// A socket of this server joined a room (its own id's too).
    fn joined(&self, namespace: &str, room: &Room, sid: Sid);
    /// A socket of this server left a room.
    fn left(&self, namespace: &str, room: &Room, sid: Sid);
}
