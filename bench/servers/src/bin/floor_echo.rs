//! The floor: a bare WebSocket echo server (tokio-tungstenite), no Engine.IO or Socket.IO
//! framing, so the runner can show what the transport alone costs. Every text and binary
//! message goes back as it came. Listens on 127.0.0.1:`PORT` (see
//! `ferrio_bench_servers::listen`).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// tungstenite's read buffer per connection: its default of 128 KiB would make the floor's
/// memory per socket the largest of all; 4 KiB is what ferrio's WebSocket transport reads
/// with.
const READ_BUFFER: usize = 4096;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listener = ferrio_bench_servers::listen().await?;
    loop {
        match listener.accept().await {
            Ok((stream, _)) => drop(tokio::spawn(echo(stream))),
            Err(error) => {
                // Usually out of file descriptors: back off rather than spin, as ferrio does.
                eprintln!("accept failed: {error}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Sends back every data message until the client closes or the connection fails; pings
/// are answered by tungstenite itself.
async fn echo(stream: TcpStream) {
    // Each message is written whole: Nagle's algorithm could only delay it (ferrio and Node
    // turn it off too).
    let _ = stream.set_nodelay(true);
    let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER);
    let Ok(mut socket) = tokio_tungstenite::accept_async_with_config(stream, Some(config)).await
    else {
        return;
    };
    while let Some(Ok(message)) = socket.next().await {
        if (message.is_text() || message.is_binary()) && socket.send(message).await.is_err() {
            return;
        }
    }
}
