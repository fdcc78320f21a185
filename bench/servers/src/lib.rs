//! What every benchmark server shares: where it listens and the line that says so.
//!
//! The runner (`bench/run`) starts each server with `PORT=0` and reads the port back from
//! that line, so it never races another process for a port.

use std::io::Write;

use tokio::net::TcpListener;

/// Binds 127.0.0.1 on `PORT` (0, or unset, picks a free port) and prints
/// `listening on http://127.0.0.1:PORT`, flushed, for the runner to read.
///
/// # Errors
///
/// `PORT` is not a port number, or the address cannot be bound.
pub async fn listen() -> std::io::Result<TcpListener> {
    let port = match std::env::var("PORT") {
        Ok(port) => port.parse::<u16>().map_err(|error| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("PORT={port}: {error}"),
            )
        })?,
        Err(_) => 0,
    };
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on http://{}", listener.local_addr()?)?;
    stdout.flush()?;
    Ok(listener)
}
