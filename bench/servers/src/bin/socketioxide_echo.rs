//! The socketioxide benchmark server, written as its documentation teaches: a tower layer
//! from `SocketIo::builder()` on an axum router, handlers registered per socket in the
//! namespace's connect handler, `Data` and `AckSender` extractors, every option at its
//! default except, when `SOCKETIOXIDE_MAX_BUFFER` is set, the per-socket buffer
//! (`max_buffer_size`, 128 packets by default, beyond which emits are dropped).
//!
//! The same events as `ferrio-echo`: `message-with-ack`, `broadcast`, `join`,
//! `room-broadcast`, with two departures from its examples, both for events a client sends
//! back-to-back, which socketioxide's spawned handlers can drop or reorder: the handlers are
//! registered before the connection's first event (see [`on_connect`]) and the broadcasts
//! run in the handlers' synchronous part (see [`in_order`]). Served by `axum::serve` as socketioxide's examples do, which leaves
//! Nagle's algorithm on (ferrio, Node and the floor turn it off). Listens on
//! 127.0.0.1:`PORT` (see `ferrio_bench_servers::listen`).

use std::fmt;

use futures_util::FutureExt;
use rmpv::Value;
use serde::de::{Deserialize, Deserializer, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeTuple, Serializer};
use socketioxide::SocketIo;
use socketioxide::extract::{AckSender, Data, SocketRef};

/// Every argument of an event, whatever their number, binary included.
///
/// socketioxide has no extractor for that: `Data<T>` reads the first argument, unless `T`
/// (de)serializes as a tuple, which then stands for all of them (its own protocol test server
/// uses `Data<[rmpv::Value; 3]>`). This type is such a tuple, of any length, of
/// `rmpv::Value`, which socketioxide documents for dynamic data with binary in it.
struct Args(Vec<Value>);

impl<'de> Deserialize<'de> for Args {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ArgsVisitor;
        impl<'de> Visitor<'de> for ArgsVisitor {
            type Value = Args;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("the arguments of an event")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Args, A::Error> {
                let mut args = Vec::with_capacity(seq.size_hint().unwrap_or(1));
                while let Some(arg) = seq.next_element()? {
                    args.push(arg);
                }
                Ok(Args(args))
            }
        }
        deserializer.deserialize_tuple(usize::MAX, ArgsVisitor)
    }
}

impl Serialize for Args {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut tuple = serializer.serialize_tuple(self.0.len())?;
        for arg in &self.0 {
            tuple.serialize_element(arg)?;
        }
        tuple.end()
    }
}

/// Runs a broadcast now, in the handler's synchronous part, and returns the (empty) future
/// socketioxide spawns.
///
/// socketioxide 0.18 spawns the future of every event handler as a task of its own, so the
/// handlers of one socket's events run in no set order: written `async |..| io.emit(..).await`,
/// as its examples do, a socket's back-to-back broadcasts reach the others out of order (the
/// load generator sees round 1 before round 0), where Node and ferrio keep the order the
/// client sent. Its in-memory adapter broadcasts at the first poll, so polling once here
/// does the whole broadcast, in the order the events came.
fn in_order<F: Future>(broadcast: F) -> std::future::Ready<()> {
    let done = broadcast.now_or_never();
    assert!(done.is_some(), "the in-memory adapter broadcasts at once");
    std::future::ready(())
}

/// Registers the event handlers of a new socket, at once.
///
/// socketioxide sends the client its CONNECT packet and then spawns the connect handler, so
/// that an `async fn on_connect` registers its handlers only when that task runs: an event
/// the client emits as soon as it is connected can come first and is dropped, handler-less
/// (the load generator's `join` went unacknowledged in about one run of `rooms` in six). A
/// plain function runs in the connect itself and returns the future to spawn, here empty.
fn on_connect(socket: SocketRef) -> std::future::Ready<()> {
    socket.on(
        "message-with-ack",
        async |Data::<Args>(args), ack: AckSender| {
            let _ = ack.send(&args);
        },
    );
    socket.on("broadcast", |io: SocketIo, Data::<Value>(data)| {
        in_order(io.emit("bc", &data))
    });
    socket.on(
        "join",
        async |socket: SocketRef, Data::<String>(room), ack: AckSender| {
            socket.join(room.clone());
            let _ = ack.send(&room);
        },
    );
    socket.on(
        "room-broadcast",
        |io: SocketIo, Data::<(String, Value)>((room, data))| {
            in_order(io.to(room).emit("bc", &data))
        },
    );
    std::future::ready(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut builder = SocketIo::builder();
    if let Ok(size) = std::env::var("SOCKETIOXIDE_MAX_BUFFER") {
        builder = builder.max_buffer_size(size.parse()?);
    }
    let (layer, io) = builder.build_layer();
    io.ns("/", on_connect);
    let app = axum::Router::new().layer(layer);
    let listener = ferrio_bench_servers::listen().await?;
    axum::serve(listener, app).await?;
    Ok(())
}
