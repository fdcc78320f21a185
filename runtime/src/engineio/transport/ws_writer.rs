//! A WebSocket's write side: ferrio frames and writes what it sends; tungstenite only reads.
//!
//! tungstenite's per-message write path (a `Sink` behind the split's lock, a frame built and
//! checked, then copied into its buffer) took more than half of the instructions of a
//! broadcast delivery. A server's frames are simple: never masked, and ferrio never
//! fragments them. [`FrameWriter`] appends each frame's header and payload to one buffer
//! and writes a batch of them at once.
//!
//! tungstenite still reads and checks everything the client sends. The few frames it writes
//! on its own (pongs to the client's pings) go through [`ReadSide`] to the writer, which
//! sends them between whole frames of its own.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf, ReadHalf, WriteHalf};

use super::read_ahead::ReadAhead;
use crate::sync::lock;

/// A drained write buffer larger than this gives its memory back.
const KEEP_CAPACITY: usize = 4096;

/// How many bytes of tungstenite's replies may wait for the writer. A pong is at most 127
/// bytes: only a client that pings far faster than it reads fills this.
const MAX_REPLIES: usize = 16 * 1024;

const OP_TEXT: u8 = 0x1;
const OP_BINARY: u8 = 0x2;
const OP_CLOSE: u8 = 0x8;
/// The FIN bit: the frame is a whole message.
const FIN: u8 = 0x80;

/// Splits a connection into the half tungstenite reads from and the half ferrio writes to.
pub(crate) fn split<S: AsyncRead + AsyncWrite>(io: S) -> (ReadSide<S>, FrameWriter<S>) {
    let (read, write) = tokio::io::split(io);
    let replies = Arc::new(Replies::default());
    let reader = ReadSide {
        read: ReadAhead::new(read),
        replies: replies.clone(),
    };
    let writer = FrameWriter {
        io: write,
        buffer: Vec::new(),
        written: 0,
        replies,
    };
    (reader, writer)
}

/// Frames tungstenite wrote while reading, waiting for the writer.
#[derive(Default)]
struct Replies {
    bytes: Mutex<Vec<u8>>,
    /// The writer's task, while it waits.
    queued: AtomicWaker,
}

/// The half of a connection given to tungstenite: reads come from the socket, writes (whole
/// control frames) are handed to the [`FrameWriter`].
pub(crate) struct ReadSide<S> {
    read: ReadAhead<ReadHalf<S>>,
    replies: Arc<Replies>,
}

impl<S: AsyncRead> AsyncRead for ReadSide<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().read).poll_read(cx, buf)
    }
}

impl<S> AsyncWrite for ReadSide<S> {
    /// Takes all of `data` or none: tungstenite writes whole frames from the start of its
    /// buffer, so what the writer receives is always whole frames.
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let replies = &self.replies;
        {
            let mut bytes = lock(&replies.bytes);
            if bytes.len() + data.len() > MAX_REPLIES {
                return Poll::Ready(Err(io::Error::other(
                    "the client pings faster than it reads the pongs",
                )));
            }
            bytes.extend_from_slice(data);
        }
        replies.queued.wake();
        Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Writes a server's WebSocket frames: queued into one buffer, then written together.
pub(crate) struct FrameWriter<S> {
    io: WriteHalf<S>,
    /// Whole frames, of which the first `written` bytes are on the wire already.
    buffer: Vec<u8>,
    written: usize,
    replies: Arc<Replies>,
}

impl<S: AsyncWrite> FrameWriter<S> {
    /// Queues a text message.
    pub(crate) fn text(&mut self, text: &str) {
        self.frame(OP_TEXT, &[], text.as_bytes());
    }

    /// Queues a binary message.
    pub(crate) fn binary(&mut self, data: &[u8]) {
        self.frame(OP_BINARY, &[], data);
    }

    /// Queues a binary message of one `prefix` byte followed by `data`.
    pub(crate) fn binary_prefixed(&mut self, prefix: u8, data: &[u8]) {
        self.frame(OP_BINARY, &[prefix], data);
    }

    /// Queues the close frame (no status code: "no status received" for the client).
    pub(crate) fn close(&mut self) {
        self.frame(OP_CLOSE, &[], &[]);
    }

    fn frame(&mut self, opcode: u8, prefix: &[u8], data: &[u8]) {
        let len = prefix.len() + data.len();
        let buffer = &mut self.buffer;
        buffer.reserve(10 + len);
        buffer.push(FIN | opcode);
        // The length: in the second byte, or 126 and 16 bits, or 127 and 64 bits (RFC 6455 5.2).
        if let Ok(short @ 0..=125) = u8::try_from(len) {
            buffer.push(short);
        } else if let Ok(medium) = u16::try_from(len) {
            buffer.push(126);
            buffer.extend_from_slice(&medium.to_be_bytes());
        } else {
            buffer.push(127);
            buffer.extend_from_slice(&(len as u64).to_be_bytes());
        }
        buffer.extend_from_slice(prefix);
        buffer.extend_from_slice(data);
    }

    /// Waits until tungstenite has a reply to send (then [`flush`](Self::flush) sends it).
    pub(crate) fn replies_queued(&self) -> impl Future<Output = ()> + Send + '_ {
        // Borrows the replies alone: the socket's write half is not `Sync`.
        let replies = &*self.replies;
        std::future::poll_fn(move |cx| {
            if !lock(&replies.bytes).is_empty() {
                return Poll::Ready(());
            }
            replies.queued.register(cx.waker());
            // A reply queued before the registration woke nobody: look again.
            if lock(&replies.bytes).is_empty() {
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        })
    }

    /// Writes everything queued, tungstenite's replies after it.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: what was written is remembered, and a later flush goes on from there.
    pub(crate) async fn flush(&mut self) -> io::Result<()>
    where
        S: Unpin,
    {
        {
            let mut replies = lock(&self.replies.bytes);
            self.buffer.extend_from_slice(&replies);
            replies.clear();
        }
        while self.written < self.buffer.len() {
            match self.io.write(&self.buffer[self.written..]).await? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => self.written += n,
            }
        }
        self.io.flush().await?;
        self.written = 0;
        self.buffer.clear();
        if self.buffer.capacity() > KEEP_CAPACITY {
            self.buffer = Vec::new();
        }
        Ok(())
    }

    /// Sends the close frame, then ends the connection's write side.
    pub(crate) async fn finish(&mut self) -> io::Result<()>
    where
        S: Unpin,
    {
        self.close();
        self.flush().await?;
        self.io.shutdown().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::WebSocketStream;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::protocol::Role;

    /// A server-side writer and reader, and tungstenite as the client on the other end.
    async fn pair() -> (
        FrameWriter<tokio::io::DuplexStream>,
        WebSocketStream<ReadSide<tokio::io::DuplexStream>>,
        WebSocketStream<tokio::io::DuplexStream>,
    ) {
        let (server, client) = tokio::io::duplex(1 << 16);
        let (read, writer) = split(server);
        let reader = WebSocketStream::from_raw_socket(read, Role::Server, None).await;
        let client = WebSocketStream::from_raw_socket(client, Role::Client, None).await;
        (writer, reader, client)
    }

    #[tokio::test]
    async fn frames_of_every_length_reach_a_websocket_client_whole_and_in_order() {
        let (mut writer, _reader, mut client) = pair().await;
        let medium = "m".repeat(300);
        let large: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
        writer.text("4hello");
        writer.text(&medium);
        writer.binary(&large);
        writer.binary_prefixed(4, b"\x01\x02");
        writer.binary(&[]);
        let send = async { writer.finish().await.is_ok() };
        let receive = async {
            let mut received = Vec::new();
            while let Some(Ok(message)) = client.next().await {
                received.push(message);
            }
            received
        };
        let (sent, received) = tokio::join!(send, receive);
        assert!(sent);
        assert_eq!(
            received,
            vec![
                Message::text("4hello"),
                Message::text(medium),
                Message::binary(large),
                Message::binary(vec![4, 1, 2]),
                Message::binary(Vec::new()),
                Message::Close(None),
            ]
        );
    }

    #[tokio::test]
    async fn a_clients_ping_is_answered_through_the_writer() {
        let (mut writer, mut reader, mut client) = pair().await;
        assert!(
            client
                .send(Message::Ping("are you there".into()))
                .await
                .is_ok()
        );
        assert!(client.send(Message::text("after")).await.is_ok());
        let ping = Message::Ping("are you there".into());
        assert_eq!(reader.next().await.and_then(Result::ok), Some(ping));
        // Reading on after the ping makes tungstenite write its pong: to the writer.
        assert_eq!(
            reader.next().await.and_then(Result::ok),
            Some(Message::text("after"))
        );
        writer.replies_queued().await;
        writer.text("4ours");
        assert!(writer.flush().await.is_ok());
        assert_eq!(
            client.next().await.and_then(Result::ok),
            Some(Message::text("4ours"))
        );
        assert_eq!(
            client.next().await.and_then(Result::ok),
            Some(Message::Pong("are you there".into()))
        );
    }

    #[tokio::test]
    async fn a_client_that_pings_without_reading_is_refused() {
        let (_writer, mut reader, mut client) = pair().await;
        let payload = vec![0u8; 125];
        for _ in 0..(MAX_REPLIES / 127 + 1) {
            assert!(
                client
                    .feed(Message::Ping(payload.clone().into()))
                    .await
                    .is_ok()
            );
        }
        assert!(client.send(Message::text("end")).await.is_ok());
        let outcome = loop {
            match reader.next().await {
                Some(Ok(Message::Text(_))) | None => break None,
                Some(Ok(_)) => {}
                Some(Err(error)) => break Some(error.to_string()),
            }
        };
        assert!(
            outcome.is_some_and(|error| error.contains("pings faster than it reads")),
            "the reader stops at the limit"
        );
    }
}
