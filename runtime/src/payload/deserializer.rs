//! Deserialization of a received argument whose binary placeholders stand for attachments.
//!
//! A placeholder `{"_placeholder":true,"num":N}` deserializes as the bytes of attachment `N`,
//! read in place: byte types (`bytes::Bytes`, `serde_bytes`) are handed the slice, and
//! sequences (`Vec<u8>`, `[u8; N]`) are fed its bytes one by one. No JSON value is built for
//! them, so a megabyte of binary never becomes a million numbers. What asks for any value
//! (`serde_json::Value`) gets the placeholder, marked with the arguments it belongs to, which
//! goes out as the binary again (see `socketio::binary`).

use bytes::Bytes;
use serde::de::value::{MapAccessDeserializer, SeqDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess};
use serde::forward_to_deserialize_any;
use serde_json::{Error, Value};

use crate::socketio::{kept_placeholder, placeholder_index};

/// A received JSON value, with the attachments its placeholders point into.
pub(super) struct Resolving<'a> {
    pub(super) value: &'a Value,
    pub(super) attachments: &'a [Bytes],
    /// The id of the arguments the attachments belong to.
    pub(super) args: u64,
}

impl<'a> Resolving<'a> {
    fn nested(&self, value: &'a Value) -> Self {
        Resolving {
            value,
            attachments: self.attachments,
            args: self.args,
        }
    }

    /// The attachment this value is a placeholder for.
    fn binary(&self) -> Option<&'a Bytes> {
        placeholder_index(self.value).and_then(|n| self.attachments.get(n))
    }
}

impl<'de> Deserializer<'de> for Resolving<'de> {
    type Error = Error;

    fn deserialize_any<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if let (Some(num), Some(_)) = (placeholder_index(self.value), self.binary()) {
            return kept_placeholder(num, self.args).deserialize_any(visitor);
        }
        match self.value {
            Value::Array(items) => visitor.visit_seq(Items {
                items: items.iter(),
                parent: &self,
            }),
            Value::Object(map) => visitor.visit_map(Entries {
                entries: map.iter(),
                value: None,
                parent: &self,
            }),
            scalar => scalar.deserialize_any(visitor),
        }
    }

    fn deserialize_seq<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.binary() {
            Some(data) => visitor.visit_seq(SeqDeserializer::new(data.iter().copied())),
            None => self.deserialize_any(visitor),
        }
    }

    fn deserialize_bytes<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.binary() {
            Some(data) => visitor.visit_borrowed_bytes(data),
            None => self.deserialize_any(visitor),
        }
    }

    fn deserialize_byte_buf<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_tuple<V: de::Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_option<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: de::Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: de::Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.value {
            Value::Object(map) if self.binary().is_none() => {
                visitor.visit_enum(MapAccessDeserializer::new(Entries {
                    entries: map.iter(),
                    value: None,
                    parent: &self,
                }))
            }
            other => other.deserialize_enum(name, variants, visitor),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string unit unit_struct
        tuple_struct map struct identifier ignored_any
    }
}

/// The items of an array.
struct Items<'p, 'a> {
    items: std::slice::Iter<'a, Value>,
    parent: &'p Resolving<'a>,
}

impl<'de> SeqAccess<'de> for Items<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.items
            .next()
            .map(|item| seed.deserialize(self.parent.nested(item)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// The entries of an object.
struct Entries<'p, 'a> {
    entries: serde_json::map::Iter<'a>,
    value: Option<&'a Value>,
    parent: &'p Resolving<'a>,
}

impl<'de> MapAccess<'de> for Entries<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        let key: de::value::BorrowedStrDeserializer<'de, Error> =
            de::value::BorrowedStrDeserializer::new(key);
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        match self.value.take() {
            Some(value) => seed.deserialize(self.parent.nested(value)),
            None => Err(de::Error::custom(
                "a map value was asked for before its key",
            )),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}
