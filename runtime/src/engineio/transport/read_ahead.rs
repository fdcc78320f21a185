//! A stream that holds no read buffer while its connection is idle, and reads large while
//! data keeps coming.
//!
//! tungstenite keeps a read buffer for the life of a connection and reads at most its size
//! per call: a large buffer costs every idle connection its size, a small one costs a large
//! message one system call per buffer-full. Under a small tungstenite buffer, [`ReadAhead`]
//! notices a read that filled the caller's buffer (more is likely waiting), reads the next
//! burst in one call into a buffer of its own, and serves the following reads from it. The
//! burst buffer is freed as soon as it is drained or the socket has nothing to read.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, ReadBuf};

/// How much one burst read takes at most.
const BURST: usize = 64 * 1024;

/// A byte stream whose reads go through a burst buffer while data keeps coming.
pub(crate) struct ReadAhead<S> {
    inner: S,
    /// Bytes read ahead of the caller; no capacity while the connection is idle.
    ahead: BytesMut,
    /// The last read filled the caller's buffer.
    busy: bool,
}

impl<S> ReadAhead<S> {
    pub(crate) fn new(inner: S) -> Self {
        ReadAhead {
            inner,
            ahead: BytesMut::new(),
            busy: false,
        }
    }

    /// Hands the caller what was read ahead, freeing the buffer once it is drained.
    fn serve(&mut self, buf: &mut ReadBuf<'_>) {
        let n = buf.remaining().min(self.ahead.len());
        buf.put_slice(&self.ahead[..n]);
        self.ahead.advance(n);
        if self.ahead.is_empty() {
            self.ahead = BytesMut::new();
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for ReadAhead<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.ahead.is_empty() {
            this.serve(buf);
            return Poll::Ready(Ok(()));
        }
        if !this.busy || buf.remaining() >= BURST {
            let wanted = buf.remaining();
            let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
            this.busy = matches!(polled, Poll::Ready(Ok(()))) && wanted > 0 && buf.remaining() == 0;
            return polled;
        }
        this.ahead.reserve(BURST);
        match tokio_util::io::poll_read_buf(Pin::new(&mut this.inner), cx, &mut this.ahead) {
            Poll::Ready(Ok(read)) => {
                this.busy = read == BURST;
                this.serve(buf);
                Poll::Ready(Ok(()))
            }
            other => {
                // Nothing waiting after all: the connection is idle again.
                this.ahead = BytesMut::new();
                this.busy = false;
                ready!(other)?;
                Poll::Ready(Ok(()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Reads `total` bytes in `chunk`-sized calls, as tungstenite does.
    async fn read_in_chunks<S: AsyncRead + Unpin>(
        stream: &mut ReadAhead<S>,
        total: usize,
        chunk: usize,
    ) -> Vec<u8> {
        let mut out = Vec::new();
        let mut piece = vec![0; chunk];
        while out.len() < total {
            let n = stream.read(&mut piece).await.unwrap_or(0);
            assert!(
                n > 0,
                "the stream ended after {} of {total} bytes",
                out.len()
            );
            out.extend_from_slice(&piece[..n]);
        }
        out
    }

    #[tokio::test]
    async fn small_reads_of_a_large_burst_get_every_byte_in_order() {
        let (mut client, server) = tokio::io::duplex(1 << 20);
        let sent: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        client.write_all(&sent).await.ok();
        let mut stream = ReadAhead::new(server);
        let received = read_in_chunks(&mut stream, sent.len(), 1024).await;
        assert_eq!(received, sent);
    }

    #[tokio::test]
    async fn reads_a_burst_ahead_and_frees_it_once_idle() {
        let (mut client, server) = tokio::io::duplex(1 << 20);
        client.write_all(&[7; 10_000]).await.ok();
        let mut stream = ReadAhead::new(server);
        // The first read fills the caller's buffer: the next one reads the rest ahead.
        assert_eq!(read_in_chunks(&mut stream, 2048, 1024).await.len(), 2048);
        assert!(!stream.ahead.is_empty());
        assert_eq!(read_in_chunks(&mut stream, 7952, 1024).await.len(), 7952);
        assert_eq!(stream.ahead.capacity(), 0, "drained: the buffer is freed");
        // Nothing more to read: a read that waits holds no buffer either.
        let mut piece = [0; 1024];
        let waiting = poll_fn(|cx| {
            let mut buf = ReadBuf::new(&mut piece);
            Poll::Ready(Pin::new(&mut stream).poll_read(cx, &mut buf).is_pending())
        });
        assert!(waiting.await);
        assert_eq!(stream.ahead.capacity(), 0);
    }
}
