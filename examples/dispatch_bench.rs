//! The server of `tests/bench/dispatch.mjs`: the same round trips through an `#[on]` handler
//! (namespace `/dsl`) and a hand-registered one (`/manual`), to check that the macros add no
//! cost. `ping` is client → server → ack; `call` makes the server emit to the client and
//! await its ack `n` times, and acknowledges the elapsed microseconds.

use std::time::{Duration, Instant};

use ferrio::AckSender;
use ferrio::prelude::*;

#[on("ping", namespace = "/dsl")]
fn ping(n: u64) -> u64 {
    n
}

#[on("call", namespace = "/dsl")]
async fn call(socket: Socket, n: u64) -> u128 {
    server_round_trips(&socket, n).await
}

async fn server_round_trips(socket: &Socket, n: u64) -> u128 {
    let start = Instant::now();
    for i in 0..n {
        let _ = socket
            .emit_with_ack_timeout("pong", i, Duration::from_secs(5))
            .await;
    }
    start.elapsed().as_micros()
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let io = SocketIo::builder()
        .namespace("/manual", |ns| {
            ns.on("ping", |n: u64, ack: AckSender| async move {
                let _ = ack.send(n);
            })
            .on(
                "call",
                |socket: Socket, n: u64, ack: AckSender| async move {
                    let _ = ack.send(server_round_trips(&socket, n).await);
                },
            )
        })
        .build();
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("ferrio listening on http://{}", listener.local_addr()?);
    ferrio::serve(listener, io).await
}
