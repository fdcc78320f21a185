//! The arguments of an event or an acknowledgement, as a client sent them.

mod deserializer;

use std::any::Any;
use std::sync::Arc;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::ser::{Serialize, SerializeMap, SerializeSeq, SerializeTuple, Serializer};
use serde_json::Value;

use crate::socketio::packet::Args;
use crate::socketio::placeholder_index;
use crate::socketio::{args, lent};
use deserializer::Resolving;

/// The arguments of an event or acknowledgement: JSON values and binary attachments.
///
/// Binary arguments arrive as placeholders that point into the attachments; [`arg`](Self::arg)
/// and [`binary`](Self::binary) resolve them, at any depth. A payload serializes as the
/// arguments it holds, binary included, so emitting or acknowledging with `&payload` sends
/// them back as they came.
///
/// # Examples
///
/// ```
/// # fn f(payload: ferrio::Payload) -> Result<(), serde_json::Error> {
/// // the client sent: socket.emit("move", "north", 3)
/// let direction: String = payload.arg(0)?;
/// let steps: u32 = payload.arg(1)?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Payload(pub(crate) Arc<Args>);

impl Payload {
    /// Wraps received arguments. A payload is shared, not copied, when a handler takes it.
    pub(crate) fn new(args: Args) -> Self {
        Self(Arc::new(args))
    }

    /// The arguments `args` stands for: a tuple is several, `()` none, anything else one;
    /// binary data becomes attachments.
    pub(crate) fn from_args<T: Serialize + ?Sized>(args: &T) -> Result<Self, serde_json::Error> {
        let (json, attachments) = crate::socketio::write_arg_array(Vec::new(), None, args)?;
        let values = serde_json::from_slice(&json)?;
        Ok(Self::new(Args::new(values, attachments)))
    }

    /// How many arguments there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no arguments.
    pub fn is_empty(&self) -> bool {
        self.0.len() == 0
    }

    /// The arguments as JSON values, with binary placeholders as received. Arguments are
    /// kept as the JSON text the client sent until something asks for them as values: the
    /// first call parses them.
    pub fn values(&self) -> &[Value] {
        self.0.values()
    }

    /// The binary attachments, in placeholder order.
    pub fn attachments(&self) -> &[Bytes] {
        &self.0.attachments
    }

    /// Deserializes argument `index`. A missing argument deserializes from `null`, so
    /// `Option<T>` reads an absent trailing argument as `None`. Binary data, at any depth,
    /// deserializes into `bytes::Bytes`, `Vec<u8>` or `serde_bytes` types, read straight from
    /// the attachment; a binary argument taken as `Bytes` is the attachment itself, shared.
    /// A `serde_json::Value` (JSON has no bytes) keeps binary as its placeholder,
    /// `{"_placeholder":true,"num":N,"args":ID}`, which goes out as the same binary when the
    /// value is emitted or acknowledged while the handler of this event runs; sent later, it
    /// is an error (take the binary as `Bytes` to keep it). Untagged enums and flattened
    /// fields see binary as that placeholder too: give binary a plain field.
    ///
    /// # Errors
    ///
    /// The argument does not match `T`.
    pub fn arg<T: DeserializeOwned + 'static>(&self, index: usize) -> Result<T, serde_json::Error> {
        if let Some(text) = self.0.text(index) {
            return serde_json::from_str(text.get());
        }
        let value = self.0.values().get(index).unwrap_or(&Value::Null);
        if self.0.attachments.is_empty() {
            return T::deserialize(value);
        }
        if let Some(shared) = self.binary(index).and_then(as_shared::<T>) {
            return Ok(shared);
        }
        T::deserialize(Resolving {
            value,
            attachments: &self.0.attachments,
            args: self.0.id,
        })
    }

    /// The binary data of argument `index`, if it is a binary argument.
    pub fn binary(&self, index: usize) -> Option<&Bytes> {
        if self.0.attachments.is_empty() {
            return None;
        }
        let num = placeholder_index(self.0.values().get(index)?)?;
        self.0.attachments.get(num)
    }

    /// Argument `index` as the client sent it, to pass on (`null` when missing): JSON goes
    /// out as the text it came as, binary as the bytes it stands for, shared.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn f(io: ferrio::SocketIo, payload: ferrio::Payload) {
    /// // the client sent: socket.emit("say", "lobby", anything)
    /// let _ = io.to("lobby").emit("said", payload.argument(1));
    /// # }
    /// ```
    pub fn argument(&self, index: usize) -> impl Serialize + '_ {
        Argument {
            payload: self,
            index,
        }
    }

    /// A value taken from this payload (an argument, or any part of one) that serializes with
    /// its binary placeholders turned back into the bytes they stand for: use it to pass on
    /// part of what a client sent, binary included.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn f(socket: ferrio::Socket, payload: ferrio::Payload) {
    /// // the client sent: socket.emit("forward", { to: "room", file: someBuffer })
    /// if let Some(file) = payload.values().first().and_then(|arg| arg.get("file")) {
    ///     let _ = socket.to("room").emit("file", &payload.with_binary(file));
    /// }
    /// # }
    /// ```
    pub fn with_binary<'a>(&'a self, value: &'a Value) -> impl Serialize + 'a {
        Resolved {
            value,
            payload: self,
        }
    }
}

/// `data` itself, when `T` is `Bytes`.
fn as_shared<T: 'static>(data: &Bytes) -> Option<T> {
    let mut slot: Option<T> = None;
    let bytes = (&mut slot as &mut dyn Any).downcast_mut::<Option<Bytes>>()?;
    *bytes = Some(data.clone());
    slot
}

impl Serialize for Payload {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if let Some(verbatim) = self.0.verbatim() {
            return verbatim.serialize(serializer);
        }
        let mut args = serializer.serialize_tuple(self.len())?;
        for value in self.0.values() {
            args.serialize_element(&self.with_binary(value))?;
        }
        args.end()
    }
}

/// One argument of a payload, serializing as it was received.
struct Argument<'a> {
    payload: &'a Payload,
    index: usize,
}

impl Serialize for Argument<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        static MISSING: Value = Value::Null;
        match self.payload.0.text(self.index) {
            Some(text) if args::writing_verbatim() => text.serialize(serializer),
            _ => {
                let value = self.payload.values().get(self.index);
                let value = value.unwrap_or(&MISSING);
                self.payload.with_binary(value).serialize(serializer)
            }
        }
    }
}

/// A received value that serializes its placeholders as the bytes they stand for, lending
/// them to the serializer so that they are shared rather than copied.
struct Resolved<'a> {
    value: &'a Value,
    payload: &'a Payload,
}

impl Serialize for Resolved<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let nested = |value| Resolved {
            value,
            payload: self.payload,
        };
        let attachments = &self.payload.0.attachments;
        if let Some(data) = placeholder_index(self.value).and_then(|n| attachments.get(n)) {
            return lent::lend(&self.payload.0, || serializer.serialize_bytes(data));
        }
        match self.value {
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&nested(item))?;
                }
                seq.end()
            }
            Value::Object(map) => {
                let mut out = serializer.serialize_map(Some(map.len()))?;
                for (key, value) in map {
                    out.serialize_entry(key, &nested(value))?;
                }
                out.end()
            }
            other => other.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socketio::packet::{Decoded, decode, encode_event};
    use serde_json::json;

    fn received(text: &str, attachments: &[&'static [u8]]) -> Payload {
        let Ok(Decoded::Partial(mut partial)) = decode(text, 10) else {
            panic!("expected a binary packet");
        };
        let mut complete = None;
        for data in attachments {
            complete = partial.push(Bytes::from_static(data));
        }
        match complete.map(|p| p.body) {
            Some(crate::socketio::packet::Body::Event { args, .. }) => Payload::new(args),
            other => panic!("expected an event, got {other:?}"),
        }
    }

    #[test]
    fn reads_typed_arguments_and_nested_binary() {
        let ph = |n: usize| json!({ "_placeholder": true, "num": n });
        let text = format!(r#"52-["ev","north",{{"img":{}}},{}]"#, ph(1), ph(0));
        let payload = received(&text, &[b"first", b"second"]);
        assert_eq!(payload.len(), 3);
        assert_eq!(payload.arg::<String>(0).ok(), Some("north".to_owned()));
        #[derive(serde::Deserialize)]
        struct Image {
            img: Vec<u8>,
        }
        assert_eq!(
            payload.arg::<Image>(1).map(|i| i.img).ok(),
            Some(b"second".to_vec())
        );
        assert_eq!(payload.binary(2).map(|b| &b[..]), Some(&b"first"[..]));
        assert_eq!(payload.arg::<Option<u8>>(7).ok(), Some(None));
        assert!(payload.arg::<u32>(0).is_err());
    }

    /// A received event carrying `data` as its only argument and, nested, as `{"file": data}`.
    fn one_mebibyte() -> (Payload, Bytes) {
        let data = Bytes::from(vec![0xab; 1 << 20]);
        let ph = json!({ "_placeholder": true, "num": 0 });
        let args = Args::new(vec![ph.clone(), json!({ "file": ph })], vec![data.clone()]);
        (Payload::new(args), data)
    }

    #[test]
    fn a_binary_argument_taken_as_bytes_is_the_attachment_itself() {
        let (payload, data) = one_mebibyte();
        let taken: Bytes = payload.arg(0).unwrap_or_default();
        assert_eq!(taken.as_ptr(), data.as_ptr());
        assert_eq!(taken.len(), 1 << 20);
    }

    #[test]
    fn nested_binary_reads_from_the_attachment_without_json_numbers() {
        #[derive(serde::Deserialize)]
        struct File<T> {
            file: T,
        }
        let (payload, data) = one_mebibyte();
        let as_bytes = payload.arg::<File<Bytes>>(1).map(|f| f.file);
        assert_eq!(as_bytes.ok().as_ref(), Some(&data));
        let as_vec = payload.arg::<File<Vec<u8>>>(1).map(|f| f.file);
        assert_eq!(as_vec.ok().as_deref(), Some(&data[..]));
        assert!(payload.arg::<File<String>>(1).is_err());
    }

    #[test]
    fn a_value_keeps_binary_as_a_placeholder_that_goes_out_as_the_binary() {
        let (payload, data) = one_mebibyte();
        let kept = crate::socketio::kept_placeholder(0, payload.0.id);
        let value = payload.arg::<Value>(1).ok();
        assert_eq!(
            value,
            Some(json!({ "file": kept.clone() })),
            "no million numbers"
        );
        assert_eq!(payload.arg::<Value>(0).ok(), Some(kept));
        let value = value.unwrap_or_default();
        // In the handler of the event (its attachments lent): the bytes, shared.
        let sent = lent::lend(&payload.0, || encode_event("/", "ev", &value, None));
        let sent = sent.ok();
        assert_eq!(
            sent.as_ref().map(|e| e.text.as_str()),
            Some(r#"451-["ev",{"file":{"_placeholder":true,"num":0}}]"#)
        );
        let attachment = sent.as_ref().and_then(|e| e.attachments.first());
        assert_eq!(attachment.map(|a| a.as_ptr()), Some(data.as_ptr()));
        // Elsewhere, or in another event's handler, it stands for nothing: an error, not
        // a placeholder that would point into some other packet.
        assert!(encode_event("/", "ev", &value, None).is_err());
        let (other, _) = one_mebibyte();
        assert!(lent::lend(&other.0, || encode_event("/", "ev", &value, None)).is_err());
        // A map of three entries that is no placeholder is written as it is.
        let three = json!({ "_placeholder": "no", "num": 1, "args": 2 });
        let written = encode_event("/", "ev", &three, None).map(|e| e.text).ok();
        assert_eq!(
            written.as_deref(),
            Some(r#"42["ev",{"_placeholder":"no","args":2,"num":1}]"#)
        );
    }

    #[test]
    fn bytes_sent_back_from_a_payload_or_a_handler_share_the_attachment() {
        let (payload, data) = one_mebibyte();
        let forwarded = encode_event("/", "ev", &payload, None).map(|e| e.attachments);
        let forwarded = forwarded.unwrap_or_default();
        assert_eq!(forwarded.len(), 2);
        assert!(forwarded.iter().all(|a| a.as_ptr() == data.as_ptr()));
        // What a handler of the event returns: taken as `Bytes`, then acknowledged.
        let taken: Bytes = payload.arg(0).unwrap_or_default();
        let acked = lent::lend(&payload.0, || {
            crate::socketio::packet::encode_ack("/", 1, &taken).map(|e| e.attachments)
        });
        assert_eq!(
            acked.ok().and_then(|a| a.first().map(|a| a.as_ptr())),
            Some(data.as_ptr())
        );
    }

    #[test]
    fn json_arguments_go_back_as_the_client_wrote_them() {
        let text = r#"2["ev",{"b": 1, "a": [1, 2.50]},"x",null]"#;
        let Ok(Decoded::Complete(packet)) = decode(text, 10) else {
            panic!("expected an event");
        };
        let crate::socketio::packet::Body::Event { args, .. } = packet.body else {
            panic!("expected an event");
        };
        let payload = Payload::new(args);
        assert_eq!(payload.arg::<String>(1).ok().as_deref(), Some("x"));
        assert_eq!(payload.values()[0], json!({"a": [1, 2.5], "b": 1}));
        // Sent back untouched: spacing, key order and number spelling as received.
        let encoded = encode_event("/", "ev", &payload, None).map(|e| e.text);
        assert_eq!(encoded.ok().as_deref(), Some(format!("4{text}").as_str()));
        // One argument passed on, verbatim too, and null when missing.
        let passed = encode_event("/", "ev", &(payload.argument(0), payload.argument(9)), None);
        assert_eq!(
            passed.map(|e| e.text).ok().as_deref(),
            Some(r#"42["ev",{"b": 1, "a": [1, 2.50]},null]"#)
        );
        // Other serializers get the values.
        let as_value = serde_json::to_value(&payload).ok();
        assert_eq!(as_value, Some(json!([{"a": [1, 2.5], "b": 1}, "x", null])));
    }

    #[test]
    fn serializes_back_to_the_same_packet() {
        let ph = |n: usize| json!({ "_placeholder": true, "num": n });
        let text = format!(r#"52-["ev",1,{{"x":[{},"s"]}},{}]"#, ph(0), ph(1));
        let payload = received(&text, &[b"a", b"b"]);
        let encoded = encode_event("/", "ev", &payload, None).ok();
        let encoded = encoded
            .as_ref()
            .map(|e| (e.text.as_str(), e.attachments.clone()));
        assert_eq!(
            encoded,
            Some((
                format!("4{text}").as_str(),
                vec![Bytes::from_static(b"a"), Bytes::from_static(b"b")]
            ))
        );
    }
}
