//! The server of the equivalence suite: one namespace whose behaviours
//! `tests/equivalence/scenarios.json` describes, run both through ferrio's in-process
//! `TestClient` (`tests/tests/equivalence.rs`) and through the real socket.io-client
//! (`tests/js/equivalence.test.mjs`, against the `equivapp` binary), each held to the same
//! expected results.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use ferrio::{AckSender, ConnectError, DisconnectReason, Payload, Socket, SocketIo, State};
use serde::Deserialize;
use serde_json::json;

/// The namespace of the scenarios.
pub const NAMESPACE: &str = "/eq";

/// The scenarios, as JSON.
pub const SCENARIOS: &str = include_str!("../equivalence/scenarios.json");

#[derive(Deserialize, Default)]
struct Name {
    name: Option<String>,
}

/// Who left, and why, in order: `"<name>: <reason>"`.
#[derive(Clone, Default)]
struct Left(Arc<Mutex<Vec<String>>>);

/// The socket's name, given at connection.
#[derive(Clone)]
struct Named(String);

/// The server every scenario runs against.
pub fn server() -> SocketIo {
    SocketIo::builder()
        .state(Left::default())
        .namespace(NAMESPACE, |ns| {
            ns.on_connect(|socket: Socket, auth: Name| async move {
                let Some(name) = auth.name else {
                    return Err(
                        ConnectError::new("who are you?").with_data(json!({ "need": "name" }))
                    );
                };
                socket.session().insert(Named(name.clone()));
                let _ = socket.emit("welcome", name);
                Ok(())
            })
            .on_disconnect(
                |socket: Socket, reason: DisconnectReason, State(left): State<Left>| async move {
                    if let Ok(mut left) = left.0.lock() {
                        left.push(format!("{}: {reason}", name(&socket)));
                    }
                },
            )
            .on("echo", |payload: Payload, ack: AckSender| async move {
                let _ = ack.send(&payload);
            })
            .on("reverse", |data: Bytes| async move {
                let reversed: Vec<u8> = data.iter().rev().copied().collect();
                (Bytes::from(reversed), data.len())
            })
            .on("count", |socket: Socket, n: u32| async move {
                for i in 0..n {
                    let _ = socket.emit("tick", i);
                }
            })
            .on("join", |socket: Socket, room: String| async move {
                socket.join(room.as_str());
                let mut rooms: Vec<String> = socket
                    .rooms()
                    .iter()
                    .filter(|r| &***r != socket.id().as_str())
                    .map(|r| r.to_string())
                    .collect();
                rooms.sort();
                rooms
            })
            .on(
                "say",
                |socket: Socket, room: String, text: String| async move {
                    let _ = socket.to(room.as_str()).emit("said", (name(&socket), text));
                },
            )
            .on("shout", |socket: Socket, text: String| async move {
                let _ = socket.nsp().emit("shouted", (name(&socket), text));
            })
            .on("ask", |socket: Socket, question: String| async move {
                let answer = match socket.emit_with_ack("question", question).await {
                    Ok(reply) => serde_json::Value::from(reply.values().to_vec()),
                    Err(error) => json!({ "error": error.to_string() }),
                };
                let _ = socket.emit("answered", answer);
            })
            .on("kick", |socket: Socket| async move { socket.disconnect() })
            .on("left", |State(left): State<Left>| async move {
                left.0.lock().map(|left| left.clone()).unwrap_or_default()
            })
        })
        .build()
}

fn name(socket: &Socket) -> String {
    socket
        .session()
        .get::<Named>()
        .map(|named| named.0)
        .unwrap_or_default()
}
