//! Serialization of outgoing event / ack arguments, with binary attachments.
//!
//! Arguments are written straight into the packet's JSON array by `serde_json`. Two things
//! happen on the way:
//!
//! - the top level decides how many arguments a value stands for: a tuple (anything serde
//!   serializes with `serialize_tuple`, which includes fixed-size arrays `[T; N]`) is spread
//!   into one argument per element, `()` is no argument at all, and any other value is a
//!   single argument;
//! - binary data (anything serialized with `serialize_bytes`, such as `bytes::Bytes` or
//!   `serde_bytes` types), at any depth, is replaced by a `{"_placeholder":true,"num":N}`
//!   object and collected as the `N`th attachment. Note that `Vec<u8>` and `[u8; N]` are
//!   sequences to serde, not binary data: they are written as arrays of numbers.

use std::cell::Cell;
use std::mem;

use bytes::Bytes;
use serde::ser::{self, Serialize, SerializeMap as _, Serializer};
use serde_json::Value;

/// The JSON serializer arguments are written with. It owns its buffer so that raw separators
/// can be spliced in between values (see [`write_raw`]).
type Json = serde_json::Serializer<Vec<u8>>;

/// Serializes `[head, ...args]` (or `[...args]` without `head`) at the end of `out`.
///
/// Returns the buffer and the binary attachments found in `args`, in placeholder order.
pub(crate) fn write_arg_array<T: Serialize + ?Sized>(
    mut out: Vec<u8>,
    head: Option<&str>,
    args: &T,
) -> Result<(Vec<u8>, Vec<Bytes>), serde_json::Error> {
    out.push(b'[');
    let mut json = Json::new(out);
    if let Some(head) = head {
        json.serialize_str(head)?;
    }
    let attachments = Attachments::default();
    // serde_json writes a client's arguments received as text verbatim.
    super::args::writing_json(|| {
        args.serialize(ArgList {
            json: &mut json,
            attachments: &attachments,
            separate: head.is_some(),
        })
    })?;
    let mut out = json.into_inner();
    out.push(b']');
    Ok((out, attachments.into_vec()))
}

/// Returns `N` if `value` is exactly an attachment placeholder `{"_placeholder":true,"num":N}`.
pub(crate) fn placeholder_index(value: &Value) -> Option<usize> {
    let Value::Object(map) = value else {
        return None;
    };
    if map.len() != 2 || map.get("_placeholder") != Some(&Value::Bool(true)) {
        return None;
    }
    usize::try_from(map.get("num")?.as_u64()?).ok()
}

/// The entries of a placeholder kept in a `serde_json::Value`: `_placeholder`, `num`, `args`.
const KEPT_LEN: usize = 3;

/// A received attachment's placeholder as a `serde_json::Value` keeps it:
/// `{"_placeholder":true,"num":N,"args":ID}`, where `ID` names the received arguments. It goes
/// out as the attachment's bytes while those arguments are lent (their handler runs).
pub(crate) fn kept_placeholder(num: usize, args: u64) -> Value {
    serde_json::json!({ "_placeholder": true, "num": num, "args": args })
}

/// The attachment a kept placeholder stands for: its number and arguments' id.
fn kept_index(entries: &[(Value, Value)]) -> Option<(usize, u64)> {
    let get = |name: &str| entries.iter().find(|(key, _)| key == name).map(|(_, v)| v);
    if entries.len() != KEPT_LEN || get("_placeholder") != Some(&Value::Bool(true)) {
        return None;
    }
    let num = usize::try_from(get("num")?.as_u64()?).ok()?;
    Some((num, get("args")?.as_u64()?))
}

/// Appends raw bytes to the serializer's output, between two complete JSON values.
fn write_raw(json: &mut Json, raw: &[u8]) {
    // `serde_json::Serializer` gives no access to its writer, but it is a plain struct around
    // it: take it apart and put it back together (no allocation, `Vec::new` is free).
    let mut out = mem::replace(json, Json::new(Vec::new())).into_inner();
    out.extend_from_slice(raw);
    *json = Json::new(out);
}

/// Binary attachments collected during one serialization, in order of appearance.
#[derive(Default)]
struct Attachments(Cell<Vec<Bytes>>);

impl Attachments {
    /// Records an attachment and returns its placeholder number.
    fn push(&self, bytes: &[u8]) -> usize {
        let mut list = self.0.take();
        let num = list.len();
        list.push(super::lent::share(bytes));
        self.0.set(list);
        num
    }

    /// The collected attachments.
    fn into_vec(self) -> Vec<Bytes> {
        self.0.into_inner()
    }
}

/// Implements `Serializer` methods that only forward their arguments, as `self.$via().method(..)`.
macro_rules! forward_plain {
    ($via:ident) => {
        forward_plain! {
            $via:
            serialize_bool(v: bool);
            serialize_i8(v: i8);
            serialize_i16(v: i16);
            serialize_i32(v: i32);
            serialize_i64(v: i64);
            serialize_i128(v: i128);
            serialize_u8(v: u8);
            serialize_u16(v: u16);
            serialize_u32(v: u32);
            serialize_u64(v: u64);
            serialize_u128(v: u128);
            serialize_f32(v: f32);
            serialize_f64(v: f64);
            serialize_char(v: char);
            serialize_str(v: &str);
            serialize_none();
            serialize_unit_struct(name: &'static str);
            serialize_unit_variant(name: &'static str, index: u32, variant: &'static str);
        }
    };
    ($via:ident: $($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            #[inline]
            fn $method(self, $($arg: $ty),*) -> Result<Self::Ok, Self::Error> {
                self.$via().$method($($arg),*)
            }
        )*
    };
}

/// The top level of an argument list: decides how many arguments a value stands for.
///
/// Also serves as the tuple serializer that spreads a tuple's elements.
struct ArgList<'a> {
    json: &'a mut Json,
    attachments: &'a Attachments,
    /// Whether the next argument needs a `,` before it.
    separate: bool,
}

impl<'a> ArgList<'a> {
    /// Starts a single argument and returns the serializer for its value.
    fn one(self) -> Binary<'a, &'a mut Json> {
        if self.separate {
            write_raw(self.json, b",");
        }
        Binary {
            inner: self.json,
            attachments: self.attachments,
        }
    }
}

impl<'a> Serializer for ArgList<'a> {
    type Ok = ();
    type Error = serde_json::Error;
    type SerializeSeq = <Binary<'a, &'a mut Json> as Serializer>::SerializeSeq;
    type SerializeTuple = Self;
    type SerializeTupleStruct = <Binary<'a, &'a mut Json> as Serializer>::SerializeTupleStruct;
    type SerializeTupleVariant = <Binary<'a, &'a mut Json> as Serializer>::SerializeTupleVariant;
    type SerializeMap = <Binary<'a, &'a mut Json> as Serializer>::SerializeMap;
    type SerializeStruct = <Binary<'a, &'a mut Json> as Serializer>::SerializeStruct;
    type SerializeStructVariant = <Binary<'a, &'a mut Json> as Serializer>::SerializeStructVariant;

    forward_plain!(one);

    /// `()` stands for no argument.
    fn serialize_unit(self) -> Result<(), Self::Error> {
        Ok(())
    }

    /// A tuple is spread into one argument per element.
    fn serialize_tuple(self, _len: usize) -> Result<Self, Self::Error> {
        Ok(self)
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), Self::Error> {
        self.one().serialize_bytes(v)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Self::Error> {
        self.one().serialize_some(value)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Self::Error> {
        self.one().serialize_newtype_struct(name, value)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Self::Error> {
        self.one()
            .serialize_newtype_variant(name, index, variant, value)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, Self::Error> {
        self.one().serialize_seq(len)
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, Self::Error> {
        self.one().serialize_tuple_struct(name, len)
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, Self::Error> {
        self.one()
            .serialize_tuple_variant(name, index, variant, len)
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, Self::Error> {
        self.one().serialize_map(len)
    }

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, Self::Error> {
        self.one().serialize_struct(name, len)
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, Self::Error> {
        self.one()
            .serialize_struct_variant(name, index, variant, len)
    }

    fn collect_str<T: std::fmt::Display + ?Sized>(self, value: &T) -> Result<(), Self::Error> {
        self.one().collect_str(value)
    }
}

impl ser::SerializeTuple for ArgList<'_> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        let arg = ArgList {
            json: &mut *self.json,
            attachments: self.attachments,
            separate: self.separate,
        };
        self.separate = true;
        value.serialize(arg.one())
    }

    fn end(self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// A serializer that delegates to `S`, turning binary data into attachment placeholders.
struct Binary<'a, S> {
    inner: S,
    attachments: &'a Attachments,
}

impl<S> Binary<'_, S> {
    /// The wrapped serializer.
    fn into_inner(self) -> S {
        self.inner
    }
}

impl<'a, S: Serializer> Serializer for Binary<'a, S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Wrap<'a, S::SerializeSeq>;
    type SerializeTuple = Wrap<'a, S::SerializeTuple>;
    type SerializeTupleStruct = Wrap<'a, S::SerializeTupleStruct>;
    type SerializeTupleVariant = Wrap<'a, S::SerializeTupleVariant>;
    type SerializeMap = MapOrKept<'a, S>;
    type SerializeStruct = Wrap<'a, S::SerializeStruct>;
    type SerializeStructVariant = Wrap<'a, S::SerializeStructVariant>;

    forward_plain!(into_inner);

    fn serialize_unit(self) -> Result<S::Ok, S::Error> {
        self.inner.serialize_unit()
    }

    /// Records the bytes as the next attachment and writes its placeholder instead.
    fn serialize_bytes(self, v: &[u8]) -> Result<S::Ok, S::Error> {
        let num = self.attachments.push(v);
        let mut map = self.inner.serialize_map(Some(2))?;
        map.serialize_entry("_placeholder", &true)?;
        map.serialize_entry("num", &num)?;
        map.end()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        self.inner
            .serialize_some(&Intercept::new(value, self.attachments))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        self.inner
            .serialize_newtype_struct(name, &Intercept::new(value, self.attachments))
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        let value = Intercept::new(value, self.attachments);
        self.inner
            .serialize_newtype_variant(name, index, variant, &value)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        let attachments = self.attachments;
        let inner = self.inner.serialize_seq(len)?;
        Ok(Wrap { inner, attachments })
    }

    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        let attachments = self.attachments;
        let inner = self.inner.serialize_tuple(len)?;
        Ok(Wrap { inner, attachments })
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        let attachments = self.attachments;
        let inner = self.inner.serialize_tuple_struct(name, len)?;
        Ok(Wrap { inner, attachments })
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        let attachments = self.attachments;
        let inner = self
            .inner
            .serialize_tuple_variant(name, index, variant, len)?;
        Ok(Wrap { inner, attachments })
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        let attachments = self.attachments;
        if len == Some(KEPT_LEN) {
            return Ok(MapOrKept::Held {
                serializer: self.inner,
                attachments,
                entries: Vec::new(),
            });
        }
        let inner = self.inner.serialize_map(len)?;
        Ok(MapOrKept::Map(Wrap { inner, attachments }))
    }

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        let attachments = self.attachments;
        let inner = self.inner.serialize_struct(name, len)?;
        Ok(Wrap { inner, attachments })
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        let attachments = self.attachments;
        let inner = self
            .inner
            .serialize_struct_variant(name, index, variant, len)?;
        Ok(Wrap { inner, attachments })
    }

    fn collect_str<T: std::fmt::Display + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        self.inner.collect_str(value)
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

/// A value whose serialization goes through [`Binary`].
struct Intercept<'a, T: ?Sized> {
    value: &'a T,
    attachments: &'a Attachments,
}

impl<'a, T: ?Sized> Intercept<'a, T> {
    fn new(value: &'a T, attachments: &'a Attachments) -> Self {
        Self { value, attachments }
    }
}

impl<T: Serialize + ?Sized> Serialize for Intercept<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(Binary {
            inner: serializer,
            attachments: self.attachments,
        })
    }
}

/// A compound serializer whose nested keys and values go through [`Binary`].
struct Wrap<'a, C> {
    inner: C,
    attachments: &'a Attachments,
}

impl<C: ser::SerializeSeq> ser::SerializeSeq for Wrap<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        self.inner
            .serialize_element(&Intercept::new(value, self.attachments))
    }

    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: ser::SerializeTuple> ser::SerializeTuple for Wrap<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        self.inner
            .serialize_element(&Intercept::new(value, self.attachments))
    }

    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: ser::SerializeTupleStruct> ser::SerializeTupleStruct for Wrap<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        self.inner
            .serialize_field(&Intercept::new(value, self.attachments))
    }

    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: ser::SerializeTupleVariant> ser::SerializeTupleVariant for Wrap<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        self.inner
            .serialize_field(&Intercept::new(value, self.attachments))
    }

    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: ser::SerializeMap> ser::SerializeMap for Wrap<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), C::Error> {
        self.inner
            .serialize_key(&Intercept::new(key, self.attachments))
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        self.inner
            .serialize_value(&Intercept::new(value, self.attachments))
    }

    fn serialize_entry<K: Serialize + ?Sized, V: Serialize + ?Sized>(
        &mut self,
        key: &K,
        value: &V,
    ) -> Result<(), C::Error> {
        self.inner.serialize_entry(
            &Intercept::new(key, self.attachments),
            &Intercept::new(value, self.attachments),
        )
    }

    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

/// A map, written through [`Wrap`]; or a map of three entries held back until it is known
/// whether it is a kept placeholder ([`kept_placeholder`]), which goes out as its bytes.
enum MapOrKept<'a, S: Serializer> {
    Map(Wrap<'a, S::SerializeMap>),
    Held {
        serializer: S,
        attachments: &'a Attachments,
        entries: Vec<(Value, Value)>,
    },
    /// Between the two, while switching.
    Switching,
}

impl<S: Serializer> MapOrKept<'_, S> {
    /// Stops holding: the map is written as it comes.
    fn write_through(&mut self) -> Result<(), S::Error> {
        if !matches!(self, Self::Held { .. }) {
            return Ok(());
        }
        if let Self::Held {
            serializer,
            attachments,
            entries,
        } = std::mem::replace(self, Self::Switching)
        {
            let mut map = Wrap {
                inner: serializer.serialize_map(Some(KEPT_LEN))?,
                attachments,
            };
            for (key, value) in &entries {
                ser::SerializeMap::serialize_entry(&mut map, key, value)?;
            }
            *self = Self::Map(map);
        }
        Ok(())
    }
}

/// Whether a map key is `_placeholder`, told without allocating: the key is written as JSON
/// into a small buffer, which any longer key overflows.
fn is_placeholder_key<T: Serialize + ?Sized>(key: &T) -> bool {
    const KEY: &[u8] = br#""_placeholder""#;
    let mut buffer = [0u8; KEY.len()];
    let mut cursor = std::io::Cursor::new(&mut buffer[..]);
    let fits = serde_json::to_writer(&mut cursor, key).is_ok();
    let written = usize::try_from(cursor.position()).unwrap_or(usize::MAX);
    fits && buffer.get(..written) == Some(KEY)
}

/// A key or value as JSON, for a held map.
fn held<T: Serialize + ?Sized, E: ser::Error>(value: &T) -> Result<Value, E> {
    serde_json::to_value(value).map_err(E::custom)
}

impl<S: Serializer> ser::SerializeMap for MapOrKept<'_, S> {
    type Ok = S::Ok;
    type Error = S::Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), S::Error> {
        if let Self::Held { entries, .. } = self {
            if !entries.is_empty() || is_placeholder_key(key) {
                entries.push((held(key)?, Value::Null));
                return Ok(());
            }
            self.write_through()?;
        }
        match self {
            Self::Map(map) => map.serialize_key(key),
            _ => Err(ser::Error::custom("a map key out of order")),
        }
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), S::Error> {
        match self {
            Self::Map(map) => map.serialize_value(value),
            Self::Held { entries, .. } => match entries.last_mut() {
                Some(entry) => {
                    entry.1 = held(value)?;
                    Ok(())
                }
                None => Err(ser::Error::custom("a map value before its key")),
            },
            Self::Switching => Err(ser::Error::custom("a map value out of order")),
        }
    }

    fn end(self) -> Result<S::Ok, S::Error> {
        let mut this = self;
        if let Self::Held {
            serializer,
            attachments,
            entries,
        } = this
        {
            if let Some((num, args)) = kept_index(&entries) {
                let data = super::lent::attachment(args, num).ok_or_else(|| {
                    ser::Error::custom(
                        "binary kept in a serde_json::Value goes out only while the handler of \
                         the event that brought it runs: take it as `bytes::Bytes` to keep it",
                    )
                })?;
                let binary = Binary {
                    inner: serializer,
                    attachments,
                };
                return binary.serialize_bytes(&data);
            }
            this = Self::Held {
                serializer,
                attachments,
                entries,
            };
        }
        this.write_through()?;
        match this {
            Self::Map(map) => map.end(),
            _ => Err(ser::Error::custom("a map ended out of order")),
        }
    }
}

impl<C: ser::SerializeStruct> ser::SerializeStruct for Wrap<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), C::Error> {
        self.inner
            .serialize_field(key, &Intercept::new(value, self.attachments))
    }

    fn skip_field(&mut self, key: &'static str) -> Result<(), C::Error> {
        self.inner.skip_field(key)
    }

    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: ser::SerializeStructVariant> ser::SerializeStructVariant for Wrap<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), C::Error> {
        self.inner
            .serialize_field(key, &Intercept::new(value, self.attachments))
    }

    fn skip_field(&mut self, key: &'static str) -> Result<(), C::Error> {
        self.inner.skip_field(key)
    }

    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use bytes::Bytes;
    use serde::Serialize;
    use serde_json::{Value, json};

    use super::{is_placeholder_key, placeholder_index, write_arg_array};

    #[test]
    fn only_the_placeholder_key_is_held_back() {
        assert!(is_placeholder_key("_placeholder"));
        assert!(!is_placeholder_key("_placeholder_longer"));
        assert!(!is_placeholder_key("_place"));
        assert!(!is_placeholder_key(&7));
    }

    /// A `serde_bytes`-style borrowed byte string.
    struct Raw<'a>(&'a [u8]);

    impl Serialize for Raw<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(self.0)
        }
    }

    fn ph(num: usize) -> String {
        format!(r#"{{"_placeholder":true,"num":{num}}}"#)
    }

    /// Serializes `args` after an optional head; returns the JSON text and attachments.
    fn args<T: Serialize + ?Sized>(head: Option<&str>, args: &T) -> (String, Vec<Bytes>) {
        match write_arg_array(Vec::new(), head, args) {
            Ok((out, attachments)) => match String::from_utf8(out) {
                Ok(text) => (text, attachments),
                Err(e) => panic!("invalid UTF-8: {e}"),
            },
            Err(e) => panic!("serialization failed: {e}"),
        }
    }

    fn text<T: Serialize + ?Sized>(value: &T) -> String {
        let (text, attachments) = args(Some("ev"), value);
        assert!(attachments.is_empty());
        text
    }

    #[test]
    fn tuple_is_spread() {
        assert_eq!(text(&("a", 1)), r#"["ev","a",1]"#);
        assert_eq!(text(&("a",)), r#"["ev","a"]"#);
        assert_eq!(text(&(1, (2, 3), [4, 5])), r#"["ev",1,[2,3],[4,5]]"#);
        assert_eq!(args(None, &("a", 1)).0, r#"["a",1]"#);
        assert_eq!(args(None, &(1,)).0, "[1]");
    }

    #[test]
    fn fixed_array_is_spread_like_a_tuple() {
        assert_eq!(text(&[1u8, 2]), r#"["ev",1,2]"#);
        assert_eq!(text(&["a", "b", "c"]), r#"["ev","a","b","c"]"#);
        assert_eq!(text(&[0u8; 0]), r#"["ev"]"#);
    }

    #[test]
    fn unit_is_no_argument() {
        assert_eq!(text(&()), r#"["ev"]"#);
        assert_eq!(args(None, &()).0, "[]");
    }

    #[test]
    fn other_values_are_one_argument() {
        #[derive(Serialize)]
        struct Point {
            x: i32,
            y: i32,
        }
        #[derive(Serialize)]
        struct Pair(i32, i32);
        #[derive(Serialize)]
        struct Unit;
        #[derive(Serialize)]
        enum E {
            A,
            B(i32),
            C(i32, i32),
            D { x: i32 },
        }

        assert_eq!(text(&1), r#"["ev",1]"#);
        assert_eq!(text("s"), r#"["ev","s"]"#);
        assert_eq!(text(&'c'), r#"["ev","c"]"#);
        assert_eq!(text(&true), r#"["ev",true]"#);
        assert_eq!(text(&1.5), r#"["ev",1.5]"#);
        assert_eq!(text(&u128::MAX), format!(r#"["ev",{}]"#, u128::MAX));
        assert_eq!(text(&vec![1, 2]), r#"["ev",[1,2]]"#);
        assert_eq!(text(&[1, 2][..]), r#"["ev",[1,2]]"#);
        assert_eq!(text(&Vec::<u8>::new()), r#"["ev",[]]"#);
        assert_eq!(text(&Some(3)), r#"["ev",3]"#);
        assert_eq!(text(&None::<i32>), r#"["ev",null]"#);
        assert_eq!(text(&Point { x: 1, y: 2 }), r#"["ev",{"x":1,"y":2}]"#);
        assert_eq!(text(&Pair(1, 2)), r#"["ev",[1,2]]"#);
        assert_eq!(text(&Unit), r#"["ev",null]"#);
        assert_eq!(text(&E::A), r#"["ev","A"]"#);
        assert_eq!(text(&E::B(1)), r#"["ev",{"B":1}]"#);
        assert_eq!(text(&E::C(1, 2)), r#"["ev",{"C":[1,2]}]"#);
        assert_eq!(text(&E::D { x: 1 }), r#"["ev",{"D":{"x":1}}]"#);
        assert_eq!(text(&json!({"a": [1, null]})), r#"["ev",{"a":[1,null]}]"#);
        assert_eq!(text(&json!([1, 2])), r#"["ev",[1,2]]"#);
        assert_eq!(text(&format_args!("{}-{}", 1, 2)), r#"["ev","1-2"]"#);
        assert_eq!(args(None, &1).0, "[1]");
        assert_eq!(args(None, &vec![(1, 2)]).0, "[[[1,2]]]");
    }

    #[test]
    fn head_is_escaped() {
        assert_eq!(text(&()), r#"["ev"]"#);
        let (out, _) = args(Some("a\"b\\c\n\u{1}é"), &());
        assert_eq!(out, r#"["a\"b\\c\n\u0001é"]"#);
    }

    #[test]
    fn binary_at_top_level() {
        let (out, attachments) = args(Some("ev"), &Bytes::from_static(b"\x01\x02"));
        assert_eq!(out, format!(r#"["ev",{}]"#, ph(0)));
        assert_eq!(attachments, [Bytes::from_static(b"\x01\x02")]);

        let (out, attachments) = args(None, &Raw(b"x"));
        assert_eq!(out, format!("[{}]", ph(0)));
        assert_eq!(attachments, [Bytes::from_static(b"x")]);
    }

    #[test]
    fn binary_spread_in_tuple_in_order() {
        let (out, attachments) = args(Some("ev"), &(Raw(b"a"), 1, Raw(b""), Raw(b"c")));
        assert_eq!(out, format!(r#"["ev",{},1,{},{}]"#, ph(0), ph(1), ph(2)));
        assert_eq!(attachments, [&b"a"[..], b"", b"c"]);
    }

    #[test]
    fn binary_nested_in_struct_fields() {
        #[derive(Serialize)]
        struct Inner {
            data: Bytes,
        }
        #[derive(Serialize)]
        struct File {
            name: &'static str,
            head: Bytes,
            inner: Inner,
            opt: Option<Bytes>,
            none: Option<Bytes>,
        }
        let file = File {
            name: "f",
            head: Bytes::from_static(b"h"),
            inner: Inner {
                data: Bytes::from_static(b"d"),
            },
            opt: Some(Bytes::from_static(b"o")),
            none: None,
        };
        let (out, attachments) = args(Some("ev"), &file);
        assert_eq!(
            out,
            format!(
                r#"["ev",{{"name":"f","head":{},"inner":{{"data":{}}},"opt":{},"none":null}}]"#,
                ph(0),
                ph(1),
                ph(2)
            )
        );
        assert_eq!(attachments, [&b"h"[..], b"d", b"o"]);
    }

    #[test]
    fn binary_in_vec_and_map_values() {
        let list = vec![Bytes::from_static(b"0"), Bytes::from_static(b"1")];
        let (out, attachments) = args(Some("ev"), &list);
        assert_eq!(out, format!(r#"["ev",[{},{}]]"#, ph(0), ph(1)));
        assert_eq!(attachments, list);

        let map = BTreeMap::from([("a", Raw(b"A")), ("b", Raw(b"B"))]);
        let (out, attachments) = args(Some("ev"), &(1, map, vec![Raw(b"C")]));
        assert_eq!(
            out,
            format!(r#"["ev",1,{{"a":{},"b":{}}},[{}]]"#, ph(0), ph(1), ph(2))
        );
        assert_eq!(attachments, [&b"A"[..], b"B", b"C"]);
    }

    #[test]
    fn binary_in_enum_variants_and_tuple_structs() {
        #[derive(Serialize)]
        enum E {
            New(Bytes),
            Tuple(i32, Bytes),
            Struct { b: Bytes },
        }
        #[derive(Serialize)]
        struct Wrapper(Bytes);
        #[derive(Serialize)]
        struct Pair(Bytes, Bytes);
        let value = (
            E::New(Bytes::from_static(b"0")),
            E::Tuple(1, Bytes::from_static(b"1")),
            E::Struct {
                b: Bytes::from_static(b"2"),
            },
            Wrapper(Bytes::from_static(b"3")),
            Pair(Bytes::from_static(b"4"), Bytes::from_static(b"5")),
        );
        let (out, attachments) = args(None, &value);
        assert_eq!(
            out,
            format!(
                r#"[{{"New":{}}},{{"Tuple":[1,{}]}},{{"Struct":{{"b":{}}}}},{},[{},{}]]"#,
                ph(0),
                ph(1),
                ph(2),
                ph(3),
                ph(4),
                ph(5)
            )
        );
        let expected: Vec<Bytes> = (0..6).map(|i| Bytes::from(i.to_string())).collect();
        assert_eq!(attachments, expected);
    }

    #[test]
    fn binary_inside_nested_tuples_and_arrays() {
        let (out, attachments) = args(Some("ev"), &[(Raw(b"a"), [Raw(b"b")])]);
        assert_eq!(out, format!(r#"["ev",[{},[{}]]]"#, ph(0), ph(1)));
        assert_eq!(attachments.len(), 2);
    }

    #[test]
    fn vec_u8_is_not_binary() {
        let (out, attachments) = args(Some("ev"), &vec![1u8, 2]);
        assert_eq!(out, r#"["ev",[1,2]]"#);
        assert!(attachments.is_empty());
    }

    #[test]
    fn flatten_and_tagged_enums_go_through() {
        #[derive(Serialize)]
        struct Meta {
            blob: Bytes,
        }
        #[derive(Serialize)]
        struct Outer {
            id: u8,
            #[serde(flatten)]
            meta: Meta,
        }
        #[derive(Serialize)]
        #[serde(tag = "t")]
        enum Tagged {
            A { blob: Bytes },
        }
        let value = (
            Outer {
                id: 1,
                meta: Meta {
                    blob: Bytes::from_static(b"m"),
                },
            },
            Tagged::A {
                blob: Bytes::from_static(b"t"),
            },
        );
        let (out, attachments) = args(None, &value);
        assert_eq!(
            out,
            format!(
                r#"[{{"id":1,"blob":{}}},{{"t":"A","blob":{}}}]"#,
                ph(0),
                ph(1)
            )
        );
        assert_eq!(attachments, [&b"m"[..], b"t"]);
    }

    #[test]
    fn errors_are_reported() {
        let map = BTreeMap::from([(vec![1], 1)]);
        assert!(write_arg_array(Vec::new(), Some("ev"), &map).is_err());
        let map = BTreeMap::from([(Bytes::from_static(b"k"), 1)]);
        assert!(write_arg_array(Vec::new(), None, &map).is_err());
    }

    #[test]
    fn appends_to_the_buffer() {
        let result = write_arg_array(b"prefix".to_vec(), Some("ev"), &1);
        assert!(matches!(result, Ok((out, _)) if out == br#"prefix["ev",1]"#));
    }

    #[test]
    fn placeholder_index_recognises_exact_placeholders() {
        assert_eq!(
            placeholder_index(&json!({"_placeholder": true, "num": 0})),
            Some(0)
        );
        assert_eq!(
            placeholder_index(&json!({"num": 7, "_placeholder": true})),
            Some(7)
        );
        for value in [
            json!({"_placeholder": false, "num": 0}),
            json!({"_placeholder": "true", "num": 0}),
            json!({"_placeholder": true}),
            json!({"num": 0}),
            json!({"_placeholder": true, "num": -1}),
            json!({"_placeholder": true, "num": 1.5}),
            json!({"_placeholder": true, "num": "0"}),
            json!({"_placeholder": true, "num": 0, "x": 1}),
            json!({"_placeholder": true, "other": 0}),
            json!([true, 0]),
            json!(null),
            Value::from(0),
        ] {
            assert_eq!(placeholder_index(&value), None, "{value}");
        }
    }
}
