//! The test client's connection: a WebSocket over an in-memory pipe to the server's own HTTP
//! handling, speaking Engine.IO v4 (the open packet, pongs to the server's pings) and
//! handing each decoded Socket.IO packet of its namespace to the client.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::payload::Payload;
use crate::serve::{App, PeerAddr};
use crate::socketio::packet::{self, Body, Decoded, PartialPacket};
use crate::sync::lock;
use crate::testing::Received;

/// How many received packets wait for the test to read them before the client stops reading
/// (and the server, in time, sees a slow client).
const RECEIVED_QUEUE: usize = 1024;

/// How many binary attachments one received packet may announce.
const MAX_ATTACHMENTS: usize = 64;

/// The address the server sees the test client connect from.
pub(super) const TEST_ADDRESS: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 0);

/// An open connection: frames to send, and what came for the namespace.
pub(super) struct Transport {
    pub(super) outgoing: mpsc::UnboundedSender<WsMessage>,
    pub(super) received: mpsc::Receiver<Received>,
    /// Acknowledgements this client awaits, by id.
    pub(super) acks: Acks,
}

pub(super) type Acks = Arc<Mutex<HashMap<u64, oneshot::Sender<Payload>>>>;

impl Transport {
    /// Opens a WebSocket to `app` at `path` through an in-memory pipe; `namespace`'s packets
    /// are the ones handed on.
    pub(super) async fn open<A: App>(
        app: &A,
        path: &str,
        namespace: &str,
        headers: http::HeaderMap,
    ) -> Result<Self, String> {
        let (client_io, server_io) = tokio::io::duplex(64 * 1024);
        let app = app.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |mut request| {
                request.extensions_mut().insert(PeerAddr(TEST_ADDRESS));
                let response = app.handle(request);
                async move { Ok::<_, Infallible>(response.await) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(server_io), service)
                .with_upgrades();
            if let Err(error) = connection.await {
                tracing::debug!(%error, "test connection ended with an error");
            }
        });
        let url = format!("ws://ferrio.test{path}?EIO=4&transport=websocket");
        let mut request = url
            .into_client_request()
            .map_err(|error| format!("the WebSocket request is invalid: {error}"))?;
        request.headers_mut().extend(headers);
        let (socket, _) = tokio_tungstenite::client_async(request, client_io)
            .await
            .map_err(|error| format!("the WebSocket handshake failed: {error}"))?;
        let (mut sink, mut stream) = socket.split();
        match stream.next().await {
            Some(Ok(WsMessage::Text(open))) if open.starts_with('0') => {}
            other => return Err(format!("expected the Engine.IO open packet, got {other:?}")),
        }
        let (outgoing, mut to_send) = mpsc::unbounded_channel::<WsMessage>();
        tokio::spawn(async move {
            while let Some(message) = to_send.recv().await {
                if sink.send(message).await.is_err() {
                    break;
                }
            }
            let _ = sink.close().await;
        });
        let (deliver, received) = mpsc::channel(RECEIVED_QUEUE);
        let acks = Acks::default();
        let reader = Reader {
            namespace: namespace.to_owned(),
            outgoing: outgoing.clone(),
            deliver,
            acks: acks.clone(),
            partial: None,
        };
        tokio::spawn(reader.run(stream));
        Ok(Self {
            outgoing,
            received,
            acks,
        })
    }
}

/// Reads the server's frames: answers pings, reassembles binary packets, and hands on the
/// namespace's packets (acknowledgements to whoever awaits them).
struct Reader {
    namespace: String,
    outgoing: mpsc::UnboundedSender<WsMessage>,
    deliver: mpsc::Sender<Received>,
    acks: Acks,
    partial: Option<PartialPacket>,
}

impl Reader {
    async fn run<S>(mut self, mut stream: S)
    where
        S: futures_util::Stream<Item = Result<WsMessage, tokio_tungstenite::tungstenite::Error>>
            + Unpin,
    {
        let ended = loop {
            let message = match stream.next().await {
                Some(Ok(message)) => message,
                Some(Err(error)) => break format!("transport error: {error}"),
                None => break "transport close".to_owned(),
            };
            let outcome = match message {
                WsMessage::Text(text) => self.on_text(&text).await,
                WsMessage::Binary(data) => self.on_attachment(data).await,
                WsMessage::Close(_) => Err("transport close".to_owned()),
                _ => Ok(()),
            };
            if let Err(ended) = outcome {
                break ended;
            }
        };
        let _ = self.deliver.send(Received::Closed(ended)).await;
    }

    async fn on_text(&mut self, text: &str) -> Result<(), String> {
        match text.as_bytes().first() {
            // The server's ping: answered at once, as a client does.
            Some(b'2') => {
                let _ = self.outgoing.send(WsMessage::text("3"));
                Ok(())
            }
            Some(b'1') => Err("transport close".to_owned()),
            Some(b'4') => self.on_packet(&text[1..]).await,
            _ => Ok(()),
        }
    }

    async fn on_packet(&mut self, text: &str) -> Result<(), String> {
        if let Some(refusal) = connect_error(text, &self.namespace) {
            return self.hand_on(Received::Refused(refusal)).await;
        }
        match packet::decode(text, MAX_ATTACHMENTS) {
            Ok(Decoded::Complete(packet)) => self.on_decoded(packet).await,
            Ok(Decoded::Partial(partial)) => {
                self.partial = Some(partial);
                Ok(())
            }
            Err(error) => Err(format!(
                "the server sent a packet that does not decode: {error}"
            )),
        }
    }

    async fn on_attachment(&mut self, data: bytes::Bytes) -> Result<(), String> {
        let Some(partial) = self.partial.as_mut() else {
            return Err("the server sent a binary message that no packet announced".to_owned());
        };
        match partial.push(data) {
            Some(packet) => {
                self.partial = None;
                self.on_decoded(packet).await
            }
            None => Ok(()),
        }
    }

    async fn on_decoded(&mut self, packet: packet::Packet) -> Result<(), String> {
        if packet.namespace != self.namespace {
            return Ok(());
        }
        let received = match packet.body {
            Body::Connect(reply) => Received::Connected(reply.unwrap_or_default()),
            Body::Event { name, args, id } => Received::Event {
                name,
                payload: Payload::new(args),
                ack: id,
            },
            Body::Ack { id, args } => {
                if let Some(waiting) = lock(&self.acks).remove(&id) {
                    let _ = waiting.send(Payload::new(args));
                }
                return Ok(());
            }
            Body::Disconnect => Received::Disconnected,
        };
        self.hand_on(received).await
    }

    async fn hand_on(&self, received: Received) -> Result<(), String> {
        self.deliver
            .send(received)
            .await
            .map_err(|_| "the test client was dropped".to_owned())
    }
}

/// A CONNECT_ERROR for `namespace` (`44{..}` or `44/ns,{..}`): its payload.
fn connect_error(text: &str, namespace: &str) -> Option<serde_json::Value> {
    let rest = text.strip_prefix('4')?;
    let payload = match namespace {
        "/" => rest,
        _ => rest.strip_prefix(namespace)?.strip_prefix(',')?,
    };
    serde_json::from_str(payload).ok()
}
