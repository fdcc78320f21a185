//! Engine.IO over WebSocket, and the bare WebSocket of floor mode.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::Target;
use crate::proto::{self, EnginePacket, Handshake, Message};

/// How long a clean close may take before the socket is just dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens a WebSocket to `url` on `target` with small buffers (10,000 of them must fit).
async fn open(target: &Target, url: String) -> Result<WebSocketStream<TcpStream>> {
    let tcp = TcpStream::connect(target.addr)
        .await
        .with_context(|| format!("TCP connect to {} failed", target.addr))?;
    tcp.set_nodelay(true)?;
    let config = WebSocketConfig::default()
        .read_buffer_size(16 * 1024)
        .write_buffer_size(0);
    let (ws, _) = tokio_tungstenite::client_async_with_config(url.as_str(), tcp, Some(config))
        .await
        .with_context(|| format!("WebSocket handshake with {url} failed"))?;
    Ok(ws)
}

/// Sends a close frame and waits (bounded) for the server to end the connection.
async fn close_ws(mut ws: WebSocketStream<TcpStream>) -> Result<()> {
    ws.close(None).await.context("sending the close frame")?;
    let drain = async {
        while let Some(frame) = ws.next().await {
            if frame.is_err() {
                break;
            }
        }
    };
    tokio::time::timeout(CLOSE_TIMEOUT, drain)
        .await
        .context("the server did not close the WebSocket after the close frame")
}

/// An Engine.IO session over a WebSocket.
pub struct WsEngine {
    ws: WebSocketStream<TcpStream>,
    handshake: Handshake,
}

impl WsEngine {
    /// Connects and reads the open packet.
    pub async fn connect(target: &Target) -> Result<Self> {
        let mut ws = open(target, target.websocket_url()).await?;
        let handshake = loop {
            match ws.next().await {
                Some(Ok(WsMessage::Text(text))) => break proto::decode_open(text.as_str())?,
                Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => continue,
                Some(Ok(other)) => bail!("expected the open packet, got {other:?}"),
                Some(Err(error)) => return Err(error).context("reading the open packet"),
                None => bail!("connection closed before the open packet"),
            }
        };
        Ok(WsEngine { ws, handshake })
    }

    /// The server's open packet.
    pub fn handshake(&self) -> &Handshake {
        &self.handshake
    }

    /// Sends messages in one flush.
    pub async fn send(&mut self, messages: Vec<Message>) -> Result<()> {
        for message in messages {
            let frame = match message {
                Message::Text(text) => WsMessage::text(format!("4{text}")),
                Message::Binary(data) => WsMessage::Binary(data),
            };
            self.ws.feed(frame).await.context("WebSocket send failed")?;
        }
        self.ws.flush().await.context("WebSocket send failed")
    }

    /// The next message, answering pings. Cancel-safe: a pong interrupted mid-write stays in
    /// the WebSocket's buffer and goes out with the next write.
    pub async fn recv(&mut self) -> Result<Message> {
        loop {
            let frame = match self.ws.next().await {
                Some(frame) => frame.context("WebSocket receive failed")?,
                None => bail!("the server closed the connection"),
            };
            match frame {
                WsMessage::Text(text) => match proto::decode_engine(text.as_str())? {
                    EnginePacket::Message(message) => return Ok(Message::Text(message.into())),
                    EnginePacket::Ping(data) => {
                        let pong = WsMessage::text(format!("3{data}"));
                        self.ws.send(pong).await.context("sending a pong failed")?;
                    }
                    EnginePacket::Close => bail!("the server closed the Engine.IO session"),
                    EnginePacket::Pong(_) | EnginePacket::Noop => {}
                    other => bail!("unexpected Engine.IO packet {other:?}"),
                },
                WsMessage::Binary(data) => return Ok(Message::Binary(data)),
                WsMessage::Close(frame) => bail!("the server closed the WebSocket: {frame:?}"),
                WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Frame(_) => {}
            }
        }
    }

    /// Closes the WebSocket cleanly.
    pub async fn close(self) -> Result<()> {
        close_ws(self.ws).await
    }
}

/// A bare WebSocket to the floor server (no Engine.IO).
pub struct RawWs {
    ws: WebSocketStream<TcpStream>,
}

impl RawWs {
    /// Connects to `ws://HOST/`.
    pub async fn connect(target: &Target) -> Result<Self> {
        Ok(RawWs {
            ws: open(target, target.raw_url()).await?,
        })
    }

    /// Sends frames in one flush.
    pub async fn send(&mut self, frames: Vec<Message>) -> Result<()> {
        for frame in frames {
            let frame = match frame {
                Message::Text(text) => WsMessage::text(text),
                Message::Binary(data) => WsMessage::Binary(data),
            };
            self.ws.feed(frame).await.context("WebSocket send failed")?;
        }
        self.ws.flush().await.context("WebSocket send failed")
    }

    /// The next text or binary frame. Cancel-safe.
    pub async fn recv(&mut self) -> Result<Message> {
        loop {
            match self.ws.next().await {
                Some(frame) => match frame.context("WebSocket receive failed")? {
                    WsMessage::Text(text) => return Ok(Message::Text(text.as_str().into())),
                    WsMessage::Binary(data) => return Ok(Message::Binary(data)),
                    WsMessage::Close(frame) => {
                        bail!("the server closed the WebSocket: {frame:?}")
                    }
                    _ => {}
                },
                None => bail!("the server closed the connection"),
            }
        }
    }

    /// Closes the WebSocket cleanly.
    pub async fn close(self) -> Result<()> {
        close_ws(self.ws).await
    }
}
