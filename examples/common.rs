//! What every example shares: its port, its static files, the client bundle it serves, and
//! the line that says where it listens. Each example uses a part of it.
#![allow(dead_code)]

use std::path::PathBuf;

use ferrio::ClientScript;
use tower_http::services::ServeDir;

/// The socket.io client a page loads.
pub enum Client {
    /// 2.2.0, as the seed pages load it from the CDN.
    V2,
    /// 4.x.
    V4,
}

/// The client bundle installed from npm in `examples/node_modules` (`npm ci` in `examples/`,
/// which `scripts/run-example` and `scripts/test` run).
pub fn client_script(client: Client) -> ClientScript {
    let package = match client {
        Client::V2 => "socket.io-client-v2",
        Client::V4 => "socket.io-client",
    };
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("node_modules/{package}/dist/socket.io.js"));
    ClientScript::from_file(&path).unwrap_or_else(|error| {
        eprintln!("{error}\nInstall the client bundles first: `npm ci` in examples/ (scripts/run-example does it).");
        std::process::exit(1);
    })
}

/// The example's `static/` folder (override with `STATIC_DIR`).
pub fn static_dir(example: &str) -> PathBuf {
    std::env::var_os("STATIC_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join(example)
                .join("static")
        })
}

/// The example's static files, then the files every example shares (`/examples.css`).
pub fn static_files(example: &str) -> ServeDir<ServeDir> {
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("shared");
    ServeDir::new(static_dir(example)).fallback(ServeDir::new(shared))
}

/// An environment variable as a number, or a default.
pub fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// Logs to stderr, at `info` unless `RUST_LOG` says otherwise.
pub fn init_tracing() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
}

/// Binds `127.0.0.1:$PORT` (`default_port` when unset; 0 picks a free port) and prints the URL
/// to open.
pub async fn listen(default_port: u16, scheme: &str) -> std::io::Result<tokio::net::TcpListener> {
    let port = env_or("PORT", u64::from(default_port)) as u16;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("ferrio listening on {scheme}://{}", listener.local_addr()?);
    Ok(listener)
}

/// Completes on Ctrl-C.
pub async fn ctrl_c() {
    let _ = tokio::signal::ctrl_c().await;
}
