//! One client connection: the Socket.IO packets of an Engine.IO session, routed to the
//! sockets of each namespace the client connected to.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use rustc_hash::FxHashMap;

use crate::engineio::{CloseReason, EngineHandler, Message, ProtocolVersion, Session};
use crate::error::ConnectError;
use crate::payload::Payload;
use crate::socket::in_order::start_in_order;
use crate::socket::namespace::Namespace;
use crate::socket::recovery::{Claim, Replay};
use crate::socket::{DisconnectReason, Socket};
use crate::socketio::packet::{self, Body, Decoded, Packet, PartialPacket};
use crate::sync::lock;

/// What a connection holds: its socket in each namespace, and a binary packet whose
/// attachments are still arriving.
#[derive(Debug, Default)]
pub(crate) struct Connection {
    /// One per joined namespace, each a namespace of the server: the fast hasher is safe.
    sockets: Mutex<FxHashMap<String, Socket>>,
    partial: Mutex<Option<PartialPacket>>,
}

impl Connection {
    fn socket(&self, namespace: &str) -> Option<Socket> {
        lock(&self.sockets).get(namespace).cloned()
    }

    pub(crate) fn remove(&self, namespace: &str) {
        lock(&self.sockets).remove(namespace);
    }

    /// Puts `new` in the place of `old` in its namespace; `false` when `old` is no longer
    /// there (the connection closed).
    pub(crate) fn replace(&self, namespace: &str, old: &Socket, new: Socket) -> bool {
        let mut sockets = lock(&self.sockets);
        match sockets.get_mut(namespace) {
            Some(socket) if socket == old => {
                *socket = new;
                true
            }
            _ => false,
        }
    }

    /// The connection's sockets, one per namespace it joined.
    pub(crate) fn sockets(&self) -> Vec<Socket> {
        lock(&self.sockets).values().cloned().collect()
    }
}

/// A server's namespaces as its connections reach them, and the limits connecting obeys.
pub(crate) struct Namespaces {
    /// Looked up by the path a client sends: fixed at build time, so the fast hasher is safe.
    pub(crate) by_path: FxHashMap<String, Arc<Namespace>>,
    /// How long a connection may go without joining a namespace.
    pub(crate) connect_timeout: Duration,
    /// How many binary attachments one packet may announce.
    pub(crate) max_attachments: usize,
}

/// The Socket.IO server's Engine.IO handler.
pub(crate) struct Dispatcher(pub(crate) Arc<Namespaces>);

impl EngineHandler for Dispatcher {
    type Data = Connection;

    fn on_open(&self, session: &Arc<Session<Connection>>) {
        // Protocol revision 4 (the 2.x client) connects the main namespace implicitly, with
        // the handshake's query as its auth payload.
        if session.protocol() == ProtocolVersion::V3 && self.0.by_path.contains_key("/") {
            let query = session.handshake().uri.query().unwrap_or_default();
            self.connect(session, "/".to_owned(), Some(query_object(query)));
        }
    }

    /// A client that connects to no namespace in time is closed, as socket.io does.
    async fn supervise(&self, session: &Arc<Session<Connection>>) -> Infallible {
        tokio::time::sleep(self.0.connect_timeout).await;
        if lock(&session.data().sockets).is_empty() {
            tracing::debug!(sid = %session.sid(), "no namespace connected in time; closing");
            session.disconnect();
        }
        std::future::pending().await
    }

    fn on_message(&self, session: &Arc<Session<Connection>>, message: Message<'_>) {
        let packet = match message {
            Message::Text(text) => self.decode_text(session, text),
            Message::Binary(data) => attach(session, data),
        };
        match packet {
            Ok(Some(packet)) => self.on_packet(session, packet),
            Ok(None) => {}
            Err(reason) => {
                tracing::info!(sid = %session.sid(), %reason, "invalid socket.io packet; closing the connection");
                session.disconnect_with(CloseReason::ParseError);
            }
        }
    }

    fn on_close(&self, session: &Arc<Session<Connection>>, reason: CloseReason) {
        let sockets: Vec<Socket> = lock(&session.data().sockets)
            .drain()
            .map(|(_, s)| s)
            .collect();
        for socket in sockets {
            socket.close(DisconnectReason::from(reason));
        }
    }
}

impl Dispatcher {
    fn decode_text(
        &self,
        session: &Session<Connection>,
        text: &str,
    ) -> Result<Option<Packet>, String> {
        let mut partial = lock(&session.data().partial);
        if partial.is_some() {
            return Err("a text packet arrived while binary attachments were awaited".to_owned());
        }
        match packet::decode(text, self.0.max_attachments).map_err(|e| e.to_string())? {
            Decoded::Complete(packet) => Ok(Some(packet)),
            Decoded::Partial(waiting) => {
                *partial = Some(waiting);
                Ok(None)
            }
        }
    }

    fn on_packet(&self, session: &Arc<Session<Connection>>, packet: Packet) {
        let Packet { namespace, body } = packet;
        let socket = session.data().socket(&namespace);
        match (body, socket) {
            (Body::Connect(auth), None) => self.connect(session, namespace, auth),
            (Body::Event { name, args, id }, Some(socket)) => {
                socket.on_event(name, Payload::new(args), id)
            }
            (Body::Ack { id, args }, Some(socket)) => socket.on_ack(id, Payload::new(args)),
            (Body::Disconnect, Some(socket)) => {
                socket.close(DisconnectReason::ClientNamespaceDisconnect)
            }
            (body, _) => {
                tracing::debug!(sid = %session.sid(), %namespace, ?body, "packet for a namespace in the wrong state; ignored");
            }
        }
    }

    fn connect(
        &self,
        session: &Arc<Session<Connection>>,
        path: String,
        auth: Option<serde_json::Value>,
    ) {
        // Revision 4 carries a query in the namespace (`/admin?role=admin`): it is the auth.
        let (path, auth) = match path.split_once('?') {
            Some((path, query)) if session.protocol() == ProtocolVersion::V3 => {
                (path.to_owned(), Some(query_object(query)))
            }
            _ => (path, auth),
        };
        let Some(namespace) = self.0.by_path.get(&path).cloned() else {
            refuse(session, &path, &ConnectError::new("Invalid namespace"));
            return;
        };
        let mut auth = auth.unwrap_or_else(|| serde_json::Value::Object(Default::default()));
        let claim = match namespace.recovery {
            Some(_) if session.protocol() == ProtocolVersion::V4 => Claim::take(&mut auth),
            _ => None,
        };
        let socket = Socket::new(namespace.clone(), session.clone(), auth.clone());
        lock(&session.data().sockets).insert(path.clone(), socket.clone());
        let session = session.clone();
        start_in_order(async move {
            let (socket, replay) = match claim {
                Some(claim) => claim.resume(&session, &path, socket).await,
                None => (socket, Replay::default()),
            };
            let skip_handler = socket.recovered()
                && namespace
                    .recovery
                    .is_some_and(|recovery| recovery.skip_connect_handler);
            let connecting = match skip_handler {
                true => None,
                false => namespace.handlers.connect(&socket, auth),
            };
            let outcome = match connecting {
                Some(connecting) => connecting.await,
                None => Ok(()),
            };
            match outcome {
                Ok(()) => {
                    if socket.confirm(replay).is_err() {
                        socket.close(DisconnectReason::SlowClient);
                    } else if let Some(observer) = &namespace.observer {
                        observer.connected(&socket);
                    }
                }
                Err(refusal) => {
                    tracing::debug!(namespace = %path, sid = %session.sid(), %refusal, "connection refused");
                    socket.close(DisconnectReason::ServerNamespaceDisconnect);
                    refuse(&session, &path, &refusal);
                }
            }
        });
    }
}

/// Answers a connection attempt with CONNECT_ERROR.
fn refuse(session: &Session<Connection>, namespace: &str, refusal: &ConnectError) {
    let encoded = match session.protocol() {
        ProtocolVersion::V4 => packet::encode_connect_error(namespace, &refusal.to_json()),
        // An ERROR packet: the client 2.x emits `error` with its data, or else its message.
        ProtocolVersion::V3 => match refusal.data() {
            Some(data) => packet::encode_connect_error(namespace, data),
            None => packet::encode_connect_error(namespace, refusal.message()),
        },
    };
    match encoded {
        Ok(encoded) => {
            let _ = session.send_frame(crate::engineio::Frame::Text(encoded.text));
        }
        Err(error) => tracing::warn!(%error, "connect error did not serialize"),
    }
}

/// A query string as a JSON object of strings, without Engine.IO's own parameters.
fn query_object(query: &str) -> serde_json::Value {
    const ENGINE_PARAMS: [&str; 6] = ["EIO", "transport", "sid", "t", "b64", "j"];
    form_urlencoded::parse(query.as_bytes())
        .filter(|(key, _)| !ENGINE_PARAMS.contains(&key.as_ref()))
        .map(|(key, value)| {
            (
                key.into_owned(),
                serde_json::Value::String(value.into_owned()),
            )
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// Adds a binary message to the packet awaiting it.
fn attach(session: &Session<Connection>, data: Bytes) -> Result<Option<Packet>, String> {
    let mut partial = lock(&session.data().partial);
    let Some(waiting) = partial.as_mut() else {
        return Err("a binary message arrived that no packet announced".to_owned());
    };
    let complete = waiting.push(data);
    if complete.is_some() {
        *partial = None;
    }
    Ok(complete)
}
