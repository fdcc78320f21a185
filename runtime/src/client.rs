//! One client connection: the Socket.IO packets of an Engine.IO session, routed to the
//! sockets of each namespace the client connected to.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use crate::engineio::{CloseReason, EngineHandler, Message, Session};
use crate::handler::ConnectError;
use crate::handler::{ConnectContext, HandlerName, start_in_order};
use crate::payload::Payload;
use crate::server::Shared;
use crate::socket::{DisconnectReason, Socket};
use crate::socketio::packet::{self, Body, Decoded, Packet, PartialPacket};
use crate::sync::lock;

/// What a connection holds: its socket in each namespace, and a binary packet whose
/// attachments are still arriving.
#[derive(Debug, Default)]
pub(crate) struct Connection {
    sockets: Mutex<HashMap<String, Socket>>,
    partial: Mutex<Option<PartialPacket>>,
}

impl Connection {
    fn socket(&self, namespace: &str) -> Option<Socket> {
        lock(&self.sockets).get(namespace).cloned()
    }

    pub(crate) fn remove(&self, namespace: &str) {
        lock(&self.sockets).remove(namespace);
    }
}

/// The Socket.IO server's Engine.IO handler.
pub(crate) struct Dispatcher(pub(crate) Arc<Shared>);

impl EngineHandler for Dispatcher {
    type Data = Connection;

    fn on_open(&self, session: &Arc<Session<Connection>>) {
        // A client that connects to no namespace in time is closed, as socket.io does.
        let session = Arc::downgrade(session);
        let timeout = self.0.config.connect_timeout;
        tokio::spawn(async move {
            tokio::time::sleep(timeout).await;
            if let Some(session) = session.upgrade()
                && lock(&session.data().sockets).is_empty()
            {
                tracing::debug!(sid = %session.sid(), "no namespace connected in time; closing");
                session.disconnect();
            }
        });
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
        match packet::decode(text, self.0.config.max_attachments).map_err(|e| e.to_string())? {
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
                socket.on_event(name, Payload(args), id)
            }
            (Body::Ack { id, args }, Some(socket)) => socket.on_ack(id, Payload(args)),
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
        let Some(namespace) = self.0.namespaces.get(&path).cloned() else {
            refuse(session, &path, &ConnectError::new("Invalid namespace"));
            return;
        };
        let auth = auth.unwrap_or_else(|| serde_json::Value::Object(Default::default()));
        let socket = Socket::new(namespace.clone(), session.clone(), auth.clone());
        lock(&session.data().sockets).insert(path.clone(), socket.clone());
        let session = session.clone();
        start_in_order(async move {
            let outcome = match &namespace.connect {
                Some(handler) => {
                    let context = ConnectContext {
                        socket: socket.clone(),
                        auth,
                    };
                    handler
                        .call(context, HandlerName("connect".to_owned()))
                        .await
                }
                None => Ok(()),
            };
            match outcome {
                Ok(()) => {
                    if socket.confirm().is_err() {
                        socket.close(DisconnectReason::SlowClient);
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
    match packet::encode_connect_error(namespace, refusal) {
        Ok(encoded) => {
            let _ = session.send_frame(crate::engineio::Frame::Text(encoded.text));
        }
        Err(error) => tracing::warn!(%error, "connect error did not serialize"),
    }
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
