//! A typed slot of a socket's session, as a handler parameter.

use std::fmt;
use std::marker::PhantomData;

use crate::socket::Socket;

/// One typed value in the socket's session, taken as a handler parameter: Flask-SocketIO's
/// `session['key']`, checked by the compiler.
///
/// The value lives as long as the socket; each socket has its own.
///
/// # Examples
///
/// ```
/// use ferrio::SessionState;
///
/// #[derive(Default)]
/// struct ReceiveCount(u64);
///
/// fn bump(count: SessionState<ReceiveCount>) -> u64 {
///     count.update(|count| {
///         count.0 += 1;
///         count.0
///     })
/// }
/// ```
pub struct SessionState<T> {
    socket: Socket,
    value: PhantomData<fn() -> T>,
}

impl<T: Send + Sync + 'static> SessionState<T> {
    pub(crate) fn new(socket: Socket) -> Self {
        Self {
            socket,
            value: PhantomData,
        }
    }

    /// A copy of the value, if one is set.
    pub fn get(&self) -> Option<T>
    where
        T: Clone,
    {
        self.socket.session().get::<T>()
    }

    /// Sets the value, returning the previous one.
    pub fn set(&self, value: T) -> Option<T> {
        self.socket.session().insert(value)
    }

    /// Removes the value.
    pub fn take(&self) -> Option<T> {
        self.socket.session().remove::<T>()
    }

    /// Changes the value in place, starting from `T::default()`, and returns what `f` returns.
    pub fn update<R>(&self, f: impl FnOnce(&mut T) -> R) -> R
    where
        T: Default,
    {
        self.socket.session().update(f)
    }
}

impl<T> fmt::Debug for SessionState<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionState")
            .field("socket", &self.socket.id())
            .field("type", &std::any::type_name::<T>())
            .finish()
    }
}
