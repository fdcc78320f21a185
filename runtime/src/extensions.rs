//! Typed values stored by type: per-socket session state and shared application state.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Mutex;

use crate::sync::lock;

type AnyMap = HashMap<TypeId, Box<dyn Any + Send + Sync>>;

/// A socket's session: typed values that live as long as the socket, one per type, like
/// Flask-SocketIO's `session`.
///
/// # Examples
///
/// ```
/// # fn f(socket: ferrio::Socket) {
/// #[derive(Clone, Default)]
/// struct ReceiveCount(u32);
///
/// let count = socket.session().update(|c: &mut ReceiveCount| { c.0 += 1; c.0 });
/// assert!(count >= 1);
/// # }
/// ```
#[derive(Default)]
pub struct Session {
    values: Mutex<AnyMap>,
}

impl Session {
    /// Stores a value, returning the one it replaced.
    pub fn insert<T: Send + Sync + 'static>(&self, value: T) -> Option<T> {
        lock(&self.values)
            .insert(TypeId::of::<T>(), Box::new(value))
            .and_then(|old| old.downcast().ok().map(|b: Box<T>| *b))
    }

    /// A copy of the stored value of type `T`.
    pub fn get<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        lock(&self.values)
            .get(&TypeId::of::<T>())
            .and_then(|v| v.downcast_ref::<T>())
            .cloned()
    }

    /// Removes and returns the stored value of type `T`.
    pub fn remove<T: Send + Sync + 'static>(&self) -> Option<T> {
        lock(&self.values)
            .remove(&TypeId::of::<T>())
            .and_then(|old| old.downcast().ok().map(|b: Box<T>| *b))
    }

    /// Changes the stored value of type `T` in place (starting from `T::default()` if there is
    /// none) and returns what `f` returns.
    pub fn update<T, R>(&self, f: impl FnOnce(&mut T) -> R) -> R
    where
        T: Default + Send + Sync + 'static,
    {
        let mut values = lock(&self.values);
        let slot = values
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Box::new(T::default()));
        match slot.downcast_mut::<T>() {
            Some(value) => f(value),
            // The map is keyed by the value's own type id.
            None => f(&mut T::default()),
        }
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("values", &lock(&self.values).len())
            .finish()
    }
}

/// Shared application state, set once on the builder and read by type, without a lock.
#[derive(Default)]
pub(crate) struct StateMap {
    values: HashMap<TypeId, Box<dyn Any + Send + Sync>>,
}

impl StateMap {
    pub(crate) fn insert<T: Clone + Send + Sync + 'static>(&mut self, value: T) {
        self.values.insert(TypeId::of::<T>(), Box::new(value));
    }

    pub(crate) fn contains(&self, type_id: TypeId) -> bool {
        self.values.contains_key(&type_id)
    }

    pub(crate) fn get<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.values
            .get(&TypeId::of::<T>())
            .and_then(|v| v.downcast_ref::<T>())
            .cloned()
    }
}
