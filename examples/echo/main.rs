//! The `echo` server: the fixed behaviour that ferrio's tests, the official Socket.IO and
//! Engine.IO protocol test suites, and the benchmarks expect.
//!
//! - Socket.IO at `/socket.io/`: namespaces `/` and `/custom`; on connect the server emits
//!   `auth` with the client's auth payload; `message` is answered with `message-back`
//!   carrying the same arguments; `message-with-ack` is acknowledged with them.
//! - A bare Engine.IO server at `/engine.io/` that sends every message back.
//!
//! Configured by environment: `PORT` (3000; 0 picks a free port), `PING_INTERVAL_MS` (300),
//! `PING_TIMEOUT_MS` (200), `MAX_PAYLOAD` (1000000). Run it with `cargo run --bin echo`.
//!
//! Its Socket.IO handlers are written with the `#[on]` DSL, each registered for both
//! namespaces by stacking the attribute.

#[path = "../common.rs"]
mod common;

use std::sync::Arc;
use std::time::Duration;

use ferrio::engineio::{self, CloseReason, EngineHandler, EngineIo, Message};
use ferrio::prelude::*;
use ferrio::{Cors, Payload};

#[on("connect")]
#[on("connect", namespace = "/custom")]
fn on_connect(socket: Socket) {
    let _ = socket.emit("auth", socket.auth());
}

#[on("message")]
#[on("message", namespace = "/custom")]
fn on_message(socket: Socket, payload: Payload) {
    let _ = socket.emit("message-back", &payload);
}

#[on("message-with-ack")]
#[on("message-with-ack", namespace = "/custom")]
fn on_message_with_ack(payload: Payload) -> Payload {
    payload
}

/// Sends every Engine.IO message back as it came.
struct EngineEcho;

impl EngineHandler for EngineEcho {
    type Data = ();

    fn on_open(&self, _: &Arc<engineio::Session<()>>) {}

    fn on_message(&self, session: &Arc<engineio::Session<()>>, message: Message<'_>) {
        let _ = match message {
            Message::Text(text) => session.send_text(text),
            Message::Binary(data) => session.send_binary(data),
        };
    }

    fn on_close(&self, _: &Arc<engineio::Session<()>>, _: CloseReason) {}
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    common::init_tracing();
    let ping_interval = Duration::from_millis(common::env_or("PING_INTERVAL_MS", 300));
    let ping_timeout = Duration::from_millis(common::env_or("PING_TIMEOUT_MS", 200));
    let max_payload = common::env_or("MAX_PAYLOAD", 1_000_000) as usize;

    let io = SocketIo::builder()
        .ping_interval(ping_interval)
        .ping_timeout(ping_timeout)
        .max_payload(max_payload)
        .cors(Cors::Any)
        .build();
    let engine = EngineIo::builder(EngineEcho)
        .path("/engine.io/")
        .ping_interval(ping_interval)
        .ping_timeout(ping_timeout)
        .max_payload(max_payload)
        .cors(Cors::Any)
        .build();

    let app = axum::Router::new()
        .route_service("/socket.io/", io.clone())
        .route_service("/engine.io/", engine.clone());
    let listener = common::listen(3000, "http").await?;
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            common::ctrl_c().await;
            io.close().await;
            engine.close().await;
        })
        .await
}
