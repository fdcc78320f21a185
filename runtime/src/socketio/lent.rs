//! Received attachments lent to outgoing serialization, so that bytes sent back are shared,
//! not copied.
//!
//! serde hands a serializer binary data as a plain `&[u8]`, which says nothing of the
//! `Bytes` it may come from. While a handler of a binary event runs, and while a
//! [`Payload`](crate::Payload) serializes, that payload's attachments are lent to this
//! thread: an outgoing attachment whose bytes lie inside one of them becomes a view of it
//! (`Bytes::slice_ref`, a reference count) instead of a copy.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;

use super::packet::Args;

thread_local! {
    static LENT: Cell<Option<Arc<Args>>> = const { Cell::new(None) };
}

/// Runs `f` with `args`' attachments lent to the serializers it runs.
pub(crate) fn lend<R>(args: &Arc<Args>, f: impl FnOnce() -> R) -> R {
    /// Puts back what was lent before, even if `f` panics.
    struct Restore(Option<Arc<Args>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            LENT.with(|lent| lent.set(self.0.take()));
        }
    }
    let _restore = Restore(LENT.with(|lent| lent.replace(Some(args.clone()))));
    f()
}

/// `data` as an attachment: a view of a lent attachment holding it, or else a copy.
pub(crate) fn share(data: &[u8]) -> Bytes {
    LENT.with(|lent| {
        let args = lent.take();
        let shared = args.as_deref().and_then(|args| {
            args.attachments
                .iter()
                .find(|held| contains(held, data))
                .map(|held| held.slice_ref(data))
        });
        lent.set(args);
        shared.unwrap_or_else(|| Bytes::copy_from_slice(data))
    })
}

/// Attachment `num` of the arguments `id`, if they are lent now.
pub(crate) fn attachment(id: u64, num: usize) -> Option<Bytes> {
    LENT.with(|lent| {
        let args = lent.take();
        let found = args
            .as_deref()
            .filter(|args| args.id == id)
            .and_then(|args| args.attachments.get(num).cloned());
        lent.set(args);
        found
    })
}

/// Whether `data` lies within `held`'s memory.
fn contains(held: &[u8], data: &[u8]) -> bool {
    let held = held.as_ptr_range();
    let data = data.as_ptr_range();
    held.start <= data.start && data.end <= held.end
}

/// A handler's future that polls with its event's attachments lent.
pub(crate) struct Lending<F> {
    args: Arc<Args>,
    future: F,
}

impl<F> Lending<F> {
    pub(crate) fn new(args: Arc<Args>, future: F) -> Self {
        Lending { args, future }
    }
}

impl<F: Future + Unpin> Future for Lending<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        lend(&this.args, || Pin::new(&mut this.future).poll(cx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(attachments: Vec<Bytes>) -> Arc<Args> {
        Arc::new(Args::new(Vec::new(), attachments))
    }

    #[test]
    fn shares_bytes_that_lie_in_a_lent_attachment() {
        let received = Bytes::from(vec![7u8; 1 << 20]);
        let lent = args(vec![Bytes::from_static(b"other"), received.clone()]);
        let whole = lend(&lent, || share(&received));
        let part = lend(&lent, || share(&received[10..20]));
        assert_eq!(whole.as_ptr(), received.as_ptr());
        assert_eq!(whole.len(), received.len());
        assert_eq!(part.as_ptr(), received[10..].as_ptr());
        assert_eq!(part.len(), 10);
    }

    #[test]
    fn copies_bytes_from_elsewhere_and_outside_a_loan() {
        let received = Bytes::from_static(b"received");
        let lent = args(vec![received.clone()]);
        let elsewhere = b"received".to_vec();
        let copied = lend(&lent, || share(&elsewhere));
        assert_ne!(copied.as_ptr(), received.as_ptr());
        assert_eq!(copied, elsewhere);
        assert_ne!(share(&received).as_ptr(), received.as_ptr());
    }

    #[test]
    fn a_nested_loan_gives_back_the_outer_one() {
        let outer = Bytes::from_static(b"outer");
        let inner = Bytes::from_static(b"inner");
        let (lent_outer, lent_inner) = (args(vec![outer.clone()]), args(vec![inner.clone()]));
        let shared = lend(&lent_outer, || {
            let nested = lend(&lent_inner, || share(&inner));
            (nested, share(&outer))
        });
        assert_eq!(shared.0.as_ptr(), inner.as_ptr());
        assert_eq!(shared.1.as_ptr(), outer.as_ptr());
    }
}
