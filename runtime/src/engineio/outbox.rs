//! A session's outgoing queue: bounded, drained by one transport at a time, and free while
//! empty.
//!
//! A tokio `mpsc` channel allocates its first block of slots when it is made (about 2 KiB per
//! session, idle or not) and pays a semaphore per frame. Frames here wait in a `VecDeque`
//! that allocates on first use and gives its memory back once a burst is drained; an
//! `AtomicWaker` wakes the one reader (a `Notify` locks its list of waiters at every wait).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::task::Poll;

use futures_util::task::AtomicWaker;

use super::frame::Frame;
use crate::sync::lock;

/// Past this many slots, a drained queue gives its memory back.
const KEEP_SLOTS: usize = 64;

/// Frames waiting for the transport, in the order they were queued.
#[derive(Debug)]
pub(crate) struct Outbox {
    frames: Mutex<VecDeque<Frame>>,
    capacity: usize,
    /// The reader's task, while it waits for a frame.
    queued: AtomicWaker,
    /// Held by the transport that drains the queue: one at a time.
    reader: tokio::sync::Mutex<()>,
}

/// The queue holds its capacity already.
#[derive(Debug)]
pub(crate) struct Full;

impl Outbox {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            frames: Mutex::new(VecDeque::new()),
            capacity,
            queued: AtomicWaker::new(),
            reader: tokio::sync::Mutex::new(()),
        }
    }

    /// How many frames the queue holds at most.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Queues a frame behind the others.
    pub(crate) fn push(&self, frame: Frame) -> Result<(), Full> {
        {
            let mut frames = lock(&self.frames);
            if frames.len() >= self.capacity {
                return Err(Full);
            }
            frames.push_back(frame);
        }
        self.queued.wake();
        Ok(())
    }

    /// Becomes the queue's reader, once the current one (if any) is done.
    pub(crate) async fn reader(&self) -> Reader<'_> {
        Reader {
            outbox: self,
            _turn: self.reader.lock().await,
        }
    }

    /// Becomes the queue's reader if nobody else is.
    pub(crate) fn try_reader(&self) -> Option<Reader<'_>> {
        let turn = self.reader.try_lock().ok()?;
        Some(Reader {
            outbox: self,
            _turn: turn,
        })
    }

    /// Whether a reader holds the queue now.
    pub(crate) fn is_being_read(&self) -> bool {
        self.reader.try_lock().is_err()
    }
}

/// The right to take frames from an [`Outbox`].
pub(crate) struct Reader<'a> {
    outbox: &'a Outbox,
    _turn: tokio::sync::MutexGuard<'a, ()>,
}

impl Reader<'_> {
    /// The next frame, once there is one.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a frame is taken only when this returns it.
    pub(crate) async fn recv(&mut self) -> Frame {
        std::future::poll_fn(|cx| {
            if let Some(frame) = self.try_recv() {
                return Poll::Ready(frame);
            }
            self.outbox.queued.register(cx.waker());
            // A frame pushed before the registration woke nobody: look again.
            self.try_recv().map_or(Poll::Pending, Poll::Ready)
        })
        .await
    }

    /// The next frame, if one is queued.
    pub(crate) fn try_recv(&mut self) -> Option<Frame> {
        let mut frames = lock(&self.outbox.frames);
        let frame = frames.pop_front();
        if frames.is_empty() && frames.capacity() > KEEP_SLOTS {
            frames.shrink_to_fit();
        }
        frame
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(frame: Option<Frame>) -> Option<String> {
        match frame {
            Some(Frame::Text(text)) => Some(text.as_str().to_owned()),
            _ => None,
        }
    }

    #[test]
    fn keeps_order_and_refuses_past_its_capacity() {
        let outbox = Outbox::new(2);
        assert!(outbox.push(Frame::text("a")).is_ok());
        assert!(outbox.push(Frame::text("b")).is_ok());
        assert!(outbox.push(Frame::text("c")).is_err());
        let mut reader = outbox.try_reader().expect("no other reader");
        assert_eq!(text(reader.try_recv()).as_deref(), Some("4a"));
        assert_eq!(text(reader.try_recv()).as_deref(), Some("4b"));
        assert!(reader.try_recv().is_none());
    }

    #[test]
    fn has_one_reader_at_a_time() {
        let outbox = Outbox::new(1);
        let reader = outbox.try_reader();
        assert!(reader.is_some());
        assert!(outbox.is_being_read());
        assert!(outbox.try_reader().is_none());
        drop(reader);
        assert!(!outbox.is_being_read());
    }

    #[test]
    fn gives_back_the_memory_of_a_drained_burst() {
        let outbox = Outbox::new(10_000);
        for _ in 0..1000 {
            assert!(outbox.push(Frame::Ping).is_ok());
        }
        let mut reader = outbox.try_reader().expect("no other reader");
        while reader.try_recv().is_some() {}
        assert!(lock(&outbox.frames).capacity() <= KEEP_SLOTS);
    }

    #[tokio::test]
    async fn wakes_the_reader_for_a_frame_queued_while_it_waits() {
        let outbox = std::sync::Arc::new(Outbox::new(4));
        let pusher = outbox.clone();
        let push = tokio::spawn(async move {
            tokio::task::yield_now().await;
            pusher.push(Frame::text("late")).is_ok()
        });
        let frame = outbox.reader().await.recv().await;
        assert_eq!(text(Some(frame)).as_deref(), Some("4late"));
        assert!(matches!(push.await, Ok(true)));
    }
}
