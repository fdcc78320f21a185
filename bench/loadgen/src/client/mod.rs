//! The Engine.IO client: a session over WebSocket or HTTP long-polling that carries
//! [`Message`]s and answers the server's pings by itself, and the bare WebSocket client of
//! floor mode.

mod polling;
mod ws;

use std::net::SocketAddr;

use anyhow::{Context, Result, bail};

pub use polling::PollingEngine;
pub use ws::{RawWs, WsEngine};

use crate::proto::{Handshake, Message};

/// The Engine.IO transport a client uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Transport {
    /// One WebSocket per client.
    Websocket,
    /// HTTP long-polling: two keep-alive HTTP/1.1 connections per client, one for the
    /// long-poll GETs and one for the POSTs.
    Polling,
}

impl Transport {
    /// The transport's name as the JSON report spells it.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Websocket => "websocket",
            Transport::Polling => "polling",
        }
    }
}

/// Where a server listens (resolved once, loopback in practice).
#[derive(Debug, Clone)]
pub struct Target {
    /// The socket address to connect to.
    pub addr: SocketAddr,
    /// `host:port`, for the Host header and WebSocket URLs.
    pub authority: String,
}

impl Target {
    /// Resolves `http://HOST:PORT` (a trailing path is ignored: the Socket.IO path is always
    /// `/socket.io/`).
    pub async fn resolve(url: &str) -> Result<Self> {
        let uri: http::Uri = url.parse().with_context(|| format!("bad URL {url:?}"))?;
        match uri.scheme_str() {
            Some("http") | Some("ws") => {}
            _ => bail!("URL {url:?} must start with http://"),
        }
        let authority = uri
            .authority()
            .with_context(|| format!("URL {url:?} has no host"))?;
        let port = authority.port_u16().unwrap_or(80);
        let addr = tokio::net::lookup_host((authority.host(), port))
            .await
            .with_context(|| format!("cannot resolve {url:?}"))?
            .next()
            .with_context(|| format!("{url:?} resolves to no address"))?;
        Ok(Target {
            addr,
            authority: format!("{}:{port}", authority.host()),
        })
    }

    /// The Engine.IO WebSocket URL.
    pub fn websocket_url(&self) -> String {
        format!(
            "ws://{}/socket.io/?EIO=4&transport=websocket",
            self.authority
        )
    }

    /// The floor server's URL.
    pub fn raw_url(&self) -> String {
        format!("ws://{}/", self.authority)
    }
}

/// An open Engine.IO session.
pub enum EngineClient {
    /// Over a WebSocket.
    Ws(Box<WsEngine>),
    /// Over HTTP long-polling.
    Polling(PollingEngine),
}

impl EngineClient {
    /// Opens a session: the WebSocket upgrade or the first GET, then the open packet.
    pub async fn connect(target: &Target, transport: Transport) -> Result<Self> {
        Ok(match transport {
            Transport::Websocket => EngineClient::Ws(Box::new(WsEngine::connect(target).await?)),
            Transport::Polling => EngineClient::Polling(PollingEngine::connect(target).await?),
        })
    }

    /// The server's open packet.
    pub fn handshake(&self) -> &Handshake {
        match self {
            EngineClient::Ws(ws) => ws.handshake(),
            EngineClient::Polling(polling) => polling.handshake(),
        }
    }

    /// Sends messages together (one flush, or one POST).
    pub async fn send(&mut self, messages: Vec<Message>) -> Result<()> {
        match self {
            EngineClient::Ws(ws) => ws.send(messages).await,
            EngineClient::Polling(polling) => polling.send(messages).await,
        }
    }

    /// The next message from the server; pings are answered on the way. Cancel-safe.
    pub async fn recv(&mut self) -> Result<Message> {
        match self {
            EngineClient::Ws(ws) => ws.recv().await,
            EngineClient::Polling(polling) => polling.recv().await,
        }
    }

    /// Closes the session cleanly (WebSocket close handshake, or a close packet).
    pub async fn close(self) -> Result<()> {
        match self {
            EngineClient::Ws(ws) => ws.close().await,
            EngineClient::Polling(polling) => polling.close().await,
        }
    }
}
