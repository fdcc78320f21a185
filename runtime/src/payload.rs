//! The arguments of an event or an acknowledgement, as a client sent them.

use std::sync::Arc;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::ser::{Serialize, SerializeMap, SerializeSeq, SerializeTuple, Serializer};
use serde_json::Value;

use crate::socketio::packet::Args;
use crate::socketio::placeholder_index;

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
        Ok(Self::new(Args {
            values,
            attachments,
        }))
    }

    /// How many arguments there are.
    pub fn len(&self) -> usize {
        self.0.values.len()
    }

    /// Whether there are no arguments.
    pub fn is_empty(&self) -> bool {
        self.0.values.is_empty()
    }

    /// The raw JSON arguments, with binary placeholders as received.
    pub fn values(&self) -> &[Value] {
        &self.0.values
    }

    /// The binary attachments, in placeholder order.
    pub fn attachments(&self) -> &[Bytes] {
        &self.0.attachments
    }

    /// Deserializes argument `index`. A missing argument deserializes from `null`, so
    /// `Option<T>` reads an absent trailing argument as `None`. Binary data, at any depth,
    /// deserializes into `Vec<u8>` or `bytes::Bytes`.
    ///
    /// # Errors
    ///
    /// The argument does not match `T`.
    pub fn arg<T: DeserializeOwned>(&self, index: usize) -> Result<T, serde_json::Error> {
        let value = self.0.values.get(index).unwrap_or(&Value::Null);
        if self.0.attachments.is_empty() {
            T::deserialize(value)
        } else {
            serde_json::from_value(self.resolve(value.clone()))
        }
    }

    /// The binary data of argument `index`, if it is a binary argument.
    pub fn binary(&self, index: usize) -> Option<&Bytes> {
        let num = placeholder_index(self.0.values.get(index)?)?;
        self.0.attachments.get(num)
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
            attachments: &self.0.attachments,
        }
    }

    /// Replaces placeholders with the bytes they stand for, as arrays of numbers, which
    /// serde's byte types accept.
    fn resolve(&self, value: Value) -> Value {
        if let Some(data) = placeholder_index(&value).and_then(|n| self.0.attachments.get(n)) {
            return Value::Array(data.iter().map(|b| Value::from(*b)).collect());
        }
        match value {
            Value::Array(items) => {
                Value::Array(items.into_iter().map(|v| self.resolve(v)).collect())
            }
            Value::Object(map) => {
                Value::Object(map.into_iter().map(|(k, v)| (k, self.resolve(v))).collect())
            }
            other => other,
        }
    }
}

impl Serialize for Payload {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut args = serializer.serialize_tuple(self.len())?;
        for value in &self.0.values {
            args.serialize_element(&self.with_binary(value))?;
        }
        args.end()
    }
}

/// A received value that serializes its placeholders as the bytes they stand for.
struct Resolved<'a> {
    value: &'a Value,
    attachments: &'a [Bytes],
}

impl Serialize for Resolved<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let nested = |value| Resolved {
            value,
            attachments: self.attachments,
        };
        if let Some(data) = placeholder_index(self.value).and_then(|n| self.attachments.get(n)) {
            return serializer.serialize_bytes(data);
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
