//! Rooms as a client names them in a payload: one name, or an array of names.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, SeqAccess, Visitor};

use crate::socket::adapter::Room;
use crate::socket::operators::IntoRooms;

/// A payload argument naming rooms as socket.io clients send them: `"lobby"` or
/// `["lobby", "red"]`. It goes wherever rooms do (`join`, `leave`, `to`, ..).
///
/// ```
/// use ferrio::prelude::*;
///
/// // socket.emit("join", "lobby") and socket.emit("join", ["lobby", "red"]) both land here.
/// #[on("join")]
/// fn join(socket: Socket, rooms: Rooms) {
///     socket.join(rooms);
/// }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rooms(pub Vec<Room>);

impl IntoRooms for Rooms {
    fn into_rooms(self) -> Vec<Room> {
        self.0
    }
}

impl<'de> Deserialize<'de> for Rooms {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RoomsVisitor)
    }
}

struct RoomsVisitor;

impl<'de> Visitor<'de> for RoomsVisitor {
    type Value = Rooms;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a room name or an array of room names")
    }

    fn visit_str<E: de::Error>(self, room: &str) -> Result<Rooms, E> {
        Ok(Rooms(vec![Room::from(room)]))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Rooms, A::Error> {
        // The hint is the client's word: never reserve more than a few slots on it.
        let mut rooms = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(16));
        while let Some(room) = seq.next_element::<String>()? {
            rooms.push(Room::from(room));
        }
        Ok(Rooms(rooms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rooms(json: &str) -> Result<Vec<String>, String> {
        serde_json::from_str::<Rooms>(json)
            .map(|rooms| rooms.0.iter().map(|room| room.to_string()).collect())
            .map_err(|error| error.to_string())
    }

    #[test]
    fn reads_one_name_or_an_array_of_names() {
        assert_eq!(rooms(r#""lobby""#), Ok(vec!["lobby".to_owned()]));
        assert_eq!(
            rooms(r#"["a", "b"]"#),
            Ok(vec!["a".to_owned(), "b".to_owned()])
        );
        assert_eq!(rooms("[]"), Ok(vec![]));
        assert_eq!(
            rooms(r#"["esc\"aped"]"#),
            Ok(vec![r#"esc"aped"#.to_owned()])
        );
    }

    #[test]
    fn refuses_anything_else_with_a_clear_message() {
        let error = rooms("7").err().unwrap_or_default();
        assert!(
            error.contains("a room name or an array of room names"),
            "{error}"
        );
        let error = rooms("[1]").err().unwrap_or_default();
        assert!(error.contains("expected a string"), "{error}");
    }
}
