//! The messages of Node's `@socket.io/redis-streams-adapter` 0.3, the cluster protocol of
//! `socket.io-adapter`: `{uid, nsp, type, data}`. On the stream, an entry's fields are `uid`,
//! `nsp`, `type` (a number as text) and `data` (JSON, or MessagePack in base64 when it holds
//! binary); on Pub/Sub, the whole message is MessagePack.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rmpv::Value as Msg;

use super::super::super::wire::{self, WireError, read_one as read};

/// The message types of socket.io-adapter's `MessageType` that ferrio sends or answers.
pub(super) mod kind {
    pub(crate) const BROADCAST: u64 = 3;
    pub(crate) const SOCKETS_JOIN: u64 = 4;
    pub(crate) const SOCKETS_LEAVE: u64 = 5;
    pub(crate) const DISCONNECT_SOCKETS: u64 = 6;
    pub(crate) const FETCH_SOCKETS: u64 = 7;
    pub(crate) const FETCH_SOCKETS_RESPONSE: u64 = 8;
    pub(crate) const SERVER_SIDE_EMIT: u64 = 9;
    pub(crate) const SERVER_SIDE_EMIT_RESPONSE: u64 = 10;
    pub(crate) const BROADCAST_CLIENT_COUNT: u64 = 11;
    pub(crate) const BROADCAST_ACK: u64 = 12;
}

/// One message between the servers of a cluster.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Message {
    pub(super) uid: String,
    pub(super) nsp: String,
    pub(super) kind: u64,
    /// `nil` when the message has none.
    pub(super) data: Msg,
}

impl Message {
    /// A value of `data`, by key.
    pub(super) fn get(&self, key: &str) -> Option<&Msg> {
        wire::field(&self.data, key)
    }

    /// The request this message asks or answers, if any.
    pub(super) fn request_id(&self) -> Option<&str> {
        self.get("requestId").and_then(Msg::as_str)
    }

    /// The stream entry's fields, in Node's order.
    pub(super) fn to_fields(&self) -> Vec<(&'static str, String)> {
        let mut fields = vec![
            ("uid", self.uid.clone()),
            ("nsp", self.nsp.clone()),
            ("type", self.kind.to_string()),
        ];
        if !self.data.is_nil() {
            let data = if has_binary(&self.data) {
                STANDARD.encode(msgpack(&self.data))
            } else {
                let mut json = String::new();
                write_json(&self.data, &mut json);
                json
            };
            fields.push(("data", data));
        }
        fields
    }

    /// Reads a stream entry's fields.
    pub(super) fn from_fields(fields: &[(Vec<u8>, Vec<u8>)]) -> Result<Self, WireError> {
        let text = |name: &str| {
            fields
                .iter()
                .find(|(key, _)| key.as_slice() == name.as_bytes())
                .map(|(_, value)| std::str::from_utf8(value).map_err(|_| WireError("not UTF-8")))
                .transpose()
        };
        let kind = text("type")?
            .and_then(|kind| kind.parse().ok())
            .ok_or(WireError("no message type"))?;
        let data = match text("data")? {
            None => Msg::Nil,
            Some(json) if json.starts_with('{') => {
                let json: serde_json::Value =
                    serde_json::from_str(json).map_err(|_| WireError("data is not JSON"))?;
                wire::to_msgpack(&json, &[])
            }
            Some(encoded) => {
                let bytes = STANDARD
                    .decode(encoded)
                    .map_err(|_| WireError("data is not base64"))?;
                read(&bytes)?
            }
        };
        Ok(Self {
            uid: text("uid")?.unwrap_or_default().to_owned(),
            nsp: text("nsp")?.unwrap_or("/").to_owned(),
            kind,
            data,
        })
    }

    /// The message as Pub/Sub carries it, in Node's key order.
    pub(super) fn to_pubsub(&self) -> Vec<u8> {
        msgpack(&Msg::Map(vec![
            (Msg::from("type"), Msg::from(self.kind)),
            (Msg::from("data"), self.data.clone()),
            (Msg::from("uid"), Msg::from(self.uid.as_str())),
            (Msg::from("nsp"), Msg::from(self.nsp.as_str())),
        ]))
    }

    /// Reads a message from Pub/Sub.
    pub(super) fn from_pubsub(bytes: &[u8]) -> Result<Self, WireError> {
        let message = read(bytes)?;
        let text = |key| wire::field(&message, key).and_then(Msg::as_str);
        Ok(Self {
            uid: text("uid").unwrap_or_default().to_owned(),
            nsp: text("nsp").unwrap_or("/").to_owned(),
            kind: wire::field(&message, "type")
                .and_then(Msg::as_u64)
                .ok_or(WireError("no message type"))?,
            data: wire::field(&message, "data").cloned().unwrap_or(Msg::Nil),
        })
    }
}

/// A map of string keys, in the order given.
pub(super) fn map<const N: usize>(entries: [(&str, Msg); N]) -> Msg {
    Msg::Map(
        entries
            .into_iter()
            .map(|(key, value)| (Msg::from(key), value))
            .collect(),
    )
}

/// A value's MessagePack bytes.
pub(super) fn msgpack(value: &Msg) -> Vec<u8> {
    let mut bytes = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = rmpv::encode::write_value(&mut bytes, value);
    bytes
}

/// A value without binary as JSON text, its maps' keys in their order (as `JSON.stringify`
/// writes them, where serde_json's maps would sort them).
fn write_json(value: &Msg, out: &mut String) {
    match value {
        Msg::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Msg::Map(entries) => {
            out.push('{');
            for (i, (key, value)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let key = key.as_str().map_or_else(|| key.to_string(), str::to_owned);
                out.push_str(&serde_json::Value::from(key).to_string());
                out.push(':');
                write_json(value, out);
            }
            out.push('}');
        }
        // Leaves convert alone; one that does not (an unknown extension) is `null`.
        leaf => {
            let json = wire::to_json(leaf, &mut Vec::new()).unwrap_or_default();
            out.push_str(&json.to_string());
        }
    }
}

fn has_binary(value: &Msg) -> bool {
    match value {
        Msg::Binary(_) => true,
        Msg::Array(items) => items.iter().any(has_binary),
        Msg::Map(entries) => entries.iter().any(|(_, value)| has_binary(value)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(data: Msg) -> Message {
        Message {
            uid: "a1b2c3".into(),
            nsp: "/chat".into(),
            kind: kind::BROADCAST,
            data,
        }
    }

    #[test]
    fn stream_entries_hold_json_or_base64_msgpack_when_binary() {
        let plain = message(map([
            ("rooms", Msg::Array(vec![Msg::from("lobby")])),
            ("except", Msg::Array(Vec::new())),
        ]));
        let fields = plain.to_fields();
        assert_eq!(
            fields,
            [
                ("uid", "a1b2c3".to_owned()),
                ("nsp", "/chat".to_owned()),
                ("type", "3".to_owned()),
                // In the map's order, as JSON.stringify writes it.
                ("data", r#"{"rooms":["lobby"],"except":[]}"#.to_owned()),
            ]
        );
        let binary = message(map([("bytes", Msg::Binary(vec![1, 2, 3]))]));
        let fields = binary.to_fields();
        // fixmap of one, "bytes", bin8 of three.
        assert_eq!(fields[3], ("data", "gaVieXRlc8QDAQID".to_owned()));
        for sent in [plain, binary] {
            let raw: Vec<(Vec<u8>, Vec<u8>)> = sent
                .to_fields()
                .into_iter()
                .map(|(key, value)| (key.as_bytes().to_vec(), value.into_bytes()))
                .collect();
            let read = Message::from_fields(&raw).expect("decodes");
            assert_eq!(
                (&read.uid, &read.nsp, read.kind),
                (&sent.uid, &sent.nsp, sent.kind)
            );
            // Read through JSON, a map's keys may come in another order.
            let json = |data: &Msg| wire::to_json(data, &mut Vec::new()).ok();
            assert_eq!(json(&read.data), json(&sent.data));
        }
    }

    #[test]
    fn pubsub_messages_are_msgpack_in_nodes_key_order() {
        let sent = message(map([("requestId", Msg::from("0f1e"))]));
        let bytes = sent.to_pubsub();
        assert_eq!(&bytes[..7], b"\x84\xa4type\x03");
        assert_eq!(Message::from_pubsub(&bytes), Ok(sent.clone()));
        assert_eq!(sent.request_id(), Some("0f1e"));
        assert!(Message::from_pubsub(b"\xc1").is_err());
        assert!(Message::from_fields(&[(b"type".to_vec(), b"x".to_vec())]).is_err());
    }
}
