//! A socket's data: one typed value per socket that the whole cluster can read (Node's
//! `socket.data`).

use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Mutex;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::socket::Socket;
use crate::sync::lock;

/// The socket's data, taken as a handler parameter or from [`Socket::data`]: one value of
/// type `T` that its server describes to the cluster, as Node's `socket.data`. Any server's
/// [`fetch_sockets`](crate::BroadcastOperator::fetch_sockets), ferrio's or Node's, sees it
/// in the fetched socket (ferrio's [`RemoteSocket::data`](crate::RemoteSocket::data)).
///
/// A socket holds one data value. It is kept as the type it was set as, and read as another
/// type through JSON, so that every type reads it as another server would.
/// For values only this server needs, and that need not serialize, use
/// [`SessionState`](crate::SessionState) instead: it keeps one value per type and never
/// leaves the process.
///
/// # Examples
///
/// ```
/// use ferrio::prelude::*;
///
/// #[derive(Clone, Default, Serialize, Deserialize)]
/// struct Player { name: String, score: u32 }
///
/// #[on("score")]
/// fn score(player: SocketData<Player>, points: u32) -> u32 {
///     player.update(|player| {
///         player.score += points;
///         player.score
///     })
/// }
/// ```
pub struct SocketData<T> {
    pub(crate) socket: Socket,
    pub(crate) value: PhantomData<fn() -> T>,
}

impl<T> SocketData<T>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
{
    /// A copy of the data as a `T`: the value itself when it was set as a `T`, else the data
    /// converted through JSON (as another server would read it); `None` when there is none
    /// or it does not convert.
    pub fn get(&self) -> Option<T>
    where
        T: Clone,
    {
        self.slot().get()
    }

    /// Sets the data, replacing what was there, whatever its type.
    pub fn set(&self, value: T) {
        self.slot().set(value);
    }

    /// Removes the data, returning it as a `T` as [`get`](Self::get) reads it.
    pub fn take(&self) -> Option<T> {
        self.slot().take()
    }

    /// Changes the data in place as a `T` and returns what `f` returns. It starts from the
    /// data as [`get`](Self::get) reads it, or from `T::default()` when there is none or it
    /// does not convert.
    pub fn update<R>(&self, f: impl FnOnce(&mut T) -> R) -> R
    where
        T: Default,
    {
        self.slot().update(f)
    }

    fn slot(&self) -> &DataSlot {
        self.socket.data_slot()
    }
}

impl<T> fmt::Debug for SocketData<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocketData")
            .field("socket", &self.socket.id())
            .field("type", &std::any::type_name::<T>())
            .finish()
    }
}

/// Data set as one type, read as another, through JSON.
fn converted<T: DeserializeOwned>(value: &dyn StoredData) -> Option<T> {
    value
        .to_json()
        .ok()
        .and_then(|json| T::deserialize(json).ok())
}

/// The data as a `T`, moved out when it is one.
fn into<T: DeserializeOwned + 'static>(value: Box<dyn StoredData>) -> Option<T> {
    if value.as_any().is::<T>() {
        return value.into_any().downcast().ok().map(|b: Box<T>| *b);
    }
    converted(&*value)
}

/// Where a socket keeps its data.
#[derive(Default)]
pub(crate) struct DataSlot(Mutex<Option<Box<dyn StoredData>>>);

impl DataSlot {
    fn get<T: Clone + DeserializeOwned + 'static>(&self) -> Option<T> {
        let slot = lock(&self.0);
        let value = slot.as_ref()?;
        match value.as_any().downcast_ref::<T>() {
            Some(value) => Some(value.clone()),
            None => converted(&**value),
        }
    }

    fn set<T: Serialize + Send + Sync + 'static>(&self, value: T) {
        *lock(&self.0) = Some(Box::new(value));
    }

    fn take<T: DeserializeOwned + 'static>(&self) -> Option<T> {
        lock(&self.0).take().and_then(into)
    }

    fn update<T, R>(&self, f: impl FnOnce(&mut T) -> R) -> R
    where
        T: Default + Serialize + DeserializeOwned + Send + Sync + 'static,
    {
        let mut slot = lock(&self.0);
        let mut value = slot.take().and_then(into).unwrap_or_default();
        let result = f(&mut value);
        *slot = Some(Box::new(value));
        result
    }

    /// The data as JSON, for the cluster: `{}` when there is none (as Node's empty
    /// `socket.data`), and `null`, logged, when it does not serialize.
    /// Puts back the data a recovered socket had, as the cluster saw it (`{}` is none).
    pub(crate) fn restore(&self, data: &Value) {
        let empty = data.is_null() || data.as_object().is_some_and(serde_json::Map::is_empty);
        if !empty {
            self.set(data.clone());
        }
    }

    pub(crate) fn to_json(&self) -> Value {
        match lock(&self.0).as_ref() {
            None => Value::Object(serde_json::Map::new()),
            Some(value) => value.to_json().unwrap_or_else(|error| {
                tracing::warn!(%error, "a socket's data does not serialize: it is sent as null");
                Value::Null
            }),
        }
    }
}

/// A data value, with its type erased.
trait StoredData: Send + Sync {
    fn to_json(&self) -> Result<Value, serde_json::Error>;
    fn as_any(&self) -> &dyn Any;
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
}

impl<T: Serialize + Send + Sync + 'static> StoredData for T {
    fn to_json(&self) -> Result<Value, serde_json::Error> {
        serde_json::to_value(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};
    use serde_json::json;

    use super::DataSlot;

    #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
    struct Player {
        name: String,
        score: u32,
    }

    #[test]
    fn empty_data_is_an_empty_object_to_the_cluster() {
        let slot = DataSlot::default();
        assert_eq!(slot.to_json(), json!({}));
        assert_eq!(slot.get::<Player>(), None);
    }

    #[test]
    fn data_is_read_as_its_own_type_or_converted_through_json() {
        let slot = DataSlot::default();
        slot.set(Player {
            name: "ada".into(),
            score: 3,
        });
        assert_eq!(slot.to_json(), json!({ "name": "ada", "score": 3 }));
        assert_eq!(
            slot.get::<serde_json::Value>(),
            Some(json!({ "name": "ada", "score": 3 }))
        );
        slot.set(json!({ "name": "bob", "score": 5 }));
        assert_eq!(
            slot.get(),
            Some(Player {
                name: "bob".into(),
                score: 5
            })
        );
        assert_eq!(slot.get::<u32>(), None, "an object is not a number");
    }

    #[test]
    fn update_starts_from_the_converted_data_or_the_default() {
        let slot = DataSlot::default();
        let score = slot.update(|player: &mut Player| {
            player.score += 1;
            player.score
        });
        assert_eq!(score, 1);
        slot.set(json!({ "name": "ada", "score": 41 }));
        assert_eq!(
            slot.update(|player: &mut Player| {
                player.score += 1;
                player.score
            }),
            42
        );
        assert_eq!(slot.to_json(), json!({ "name": "ada", "score": 42 }));
        slot.set("not a player");
        assert_eq!(slot.update(|player: &mut Player| player.score), 0);
    }

    #[test]
    fn take_empties_the_data() {
        let slot = DataSlot::default();
        slot.set(7u32);
        assert_eq!(slot.take::<u32>(), Some(7));
        assert_eq!(slot.take::<u32>(), None);
        assert_eq!(slot.to_json(), json!({}));
    }

    #[test]
    fn data_that_does_not_serialize_is_null_to_the_cluster() {
        let slot = DataSlot::default();
        let keys_are_not_strings = std::collections::HashMap::from([((1, 2), "pair")]);
        slot.set(keys_are_not_strings);
        assert_eq!(slot.to_json(), serde_json::Value::Null);
    }
}
