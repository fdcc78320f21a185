//! Handlers start in the order their events arrived: each is polled first on the task that
//! read its event.

use std::future::Future;
use std::pin::Pin;

/// A boxed, sendable future.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Runs a handler's future so that handlers start in the order their events arrived: it is
/// polled once right here, on the task that read the event, and only if it has to wait is it
/// moved to a task of its own, where it may run beside later handlers. A panic in a handler
/// is caught and logged; the connection carries on.
pub(crate) fn start_in_order(future: impl Future<Output = ()> + Send + 'static) {
    let mut future = Box::pin(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        future.as_mut().poll(&mut cx)
    }));
    match polled {
        Ok(std::task::Poll::Ready(())) => {}
        // The task polls the future again at once, registering its own waker.
        Ok(std::task::Poll::Pending) => {
            tokio::spawn(future);
        }
        Err(_) => tracing::error!("a handler panicked"),
    }
}
