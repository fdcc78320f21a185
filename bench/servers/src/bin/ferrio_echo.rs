//! The ferrio benchmark server, written as the README teaches: `#[on]` handlers gathered by
//! `SocketIo::builder().build()`, served by `ferrio::serve`, every option at its default.
//!
//! - `message-with-ack`: acknowledged with the arguments it came with, binary included;
//! - `broadcast` (`data`): `bc` with `data` to every socket of `/`, the sender included;
//! - `join` (`room`): joins the room, acknowledged with its name;
//! - `room-broadcast` (`room`, `data`): `bc` with `data` to every socket in the room.
//!
//! With `REDIS_URL` set it joins a cluster through the Redis adapter, for the cross-server
//! scenario. Listens on 127.0.0.1:`PORT` (see `ferrio_bench_servers::listen`).

use ferrio::prelude::*;

#[on("message-with-ack")]
fn message_with_ack(payload: Payload) -> Payload {
    payload
}

#[on("broadcast")]
fn broadcast(io: SocketIo, payload: Payload) {
    let _ = io.emit("bc", payload.argument(0));
}

#[on("join")]
fn join(socket: Socket, room: String) -> String {
    socket.join(room.as_str());
    room
}

#[on("room-broadcast")]
fn room_broadcast(io: SocketIo, room: String, payload: Payload) {
    let _ = io.to(room.as_str()).emit("bc", payload.argument(1));
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut builder = SocketIo::builder();
    if let Ok(url) = std::env::var("REDIS_URL") {
        builder = builder.adapter(ferrio::Redis::connect(&url).await?.adapter());
    }
    let io = builder.build();
    let listener = ferrio_bench_servers::listen().await?;
    ferrio::serve(listener, io).await?;
    Ok(())
}
